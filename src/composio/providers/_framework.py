"""What the agentic providers (SPEC §17) share: importing their framework, result text.

Each provider module imports its framework only when a provider is built (so
``composio.providers.<module>`` imports without it), and fails with the extra to install.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from composio._install import install_hint
from composio.errors import ComposioError
from composio.providers._calls import dumps, error_text

__all__ = ["outcome_text", "require"]


def require(module: str, extra: str, provider: str) -> ModuleType:
    """``import module``, or an error naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ComposioError(
            f"{provider} needs the {module.split('.')[0]!r} package: {install_hint(extra)} ({exc})"
        ) from exc


def outcome_text(outcome: Mapping[str, Any]) -> tuple[str, bool]:
    """``(content, is_error)`` of an execute outcome, as §15's providers answer a call:
    success is the JSON text of ``data`` (``{}`` if none), failure the JSON text of
    ``{"successful": false, "error": ...}``."""
    if outcome.get("successful"):
        data = outcome.get("data")
        return dumps(data if data is not None else {}), False
    why = outcome.get("error") or "the tool reported failure without a message"
    return error_text(str(why)), True
