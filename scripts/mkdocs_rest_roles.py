"""mkdocs hook: render the reST roles of the SDK's docstrings as plain code in the API reference.

The docstrings are written for readers of the source and for Sphinx-style tools
(``:class:`~composio.errors.ValidationError```); mkdocstrings renders Markdown, where the role
would show literally (":class:" followed by the code). This keeps the code span, drops the role,
and shortens a ``~``-prefixed path to its last part, as Sphinx would.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|data|mod|attr|exc|obj|const):<code>(~?)([^<]+)</code>"
)


def _render(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if tilde else target}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub(_render, html)
