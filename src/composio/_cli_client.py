"""The client every ``composio`` CLI command talks through, made from its arguments.

One place for how ``--api-key``/``--base-url`` (or ``COMPOSIO_API_KEY``/``COMPOSIO_BASE_URL``,
read by the client when they are absent) and ``--header`` become a ``Composio``; the
command modules (``cli``, ``_cli_accounts``, ``_cli_mcp``, ``_cli_triggers``) import it from
here rather than from ``cli``'s private names.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["cli_client"]


def cli_client(args: argparse.Namespace, headers: dict[str, str] | None = None) -> Any:
    from composio import Composio

    return Composio(
        api_key=getattr(args, "api_key", None),
        base_url=getattr(args, "base_url", None),
        default_headers=headers or None,
    )
