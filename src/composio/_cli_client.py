"""The client every ``composio`` CLI command talks through, made from its arguments.

One place for how ``--api-key``/``--base-url`` (or ``COMPOSIO_API_KEY``/``COMPOSIO_BASE_URL``,
read by the client when they are absent) and ``--header`` become a ``Composio``, with the
CLI's telemetry rule (:func:`cli_tracking`); the command modules (``cli``,
``_cli_accounts``, ``_cli_mcp``, ``_cli_triggers``) import it from here rather than from
``cli``'s private names.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["TELEMETRY_HELP", "TELEMETRY_OPT_IN_ENV", "cli_client", "cli_tracking"]

#: Opt-in to usage telemetry from the CLI against a loopback base URL (a dev server).
TELEMETRY_OPT_IN_ENV = "COMPOSIO_ENABLE_TELEMETRY"
TELEMETRY_HELP = (
    "Telemetry: each command sends one usage event per API operation (no arguments, keys, "
    "user ids or hosts; docs/telemetry.md) to $COMPOSIO_TELEMETRY_URL -- except against a "
    f"loopback base URL (composio dev-server), where it is off unless {TELEMETRY_OPT_IN_ENV}=1. "
    "COMPOSIO_DISABLE_TELEMETRY=1 or DO_NOT_TRACK=1 turns it off everywhere."
)


def cli_tracking(base_url: str | None) -> bool:
    """The CLI's telemetry rule (issue 23), the one place it is decided: on, as the SDK's
    default, unless the base URL is loopback and ``COMPOSIO_ENABLE_TELEMETRY`` is not set.
    The SDK's opt-outs (``COMPOSIO_DISABLE_TELEMETRY``, ``DO_NOT_TRACK``) still apply on top.
    A malformed URL counts as not loopback: the client's own validation reports it."""
    from urllib.parse import urlsplit

    from composio.config import env_flag, is_loopback

    url = base_url if base_url is not None else os.environ.get("COMPOSIO_BASE_URL") or ""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return not (host and is_loopback(host)) or env_flag(TELEMETRY_OPT_IN_ENV)


def cli_client(args: argparse.Namespace, headers: dict[str, str] | None = None) -> Any:
    from composio import Composio

    base_url = getattr(args, "base_url", None)
    return Composio(
        api_key=getattr(args, "api_key", None),
        base_url=base_url,
        default_headers=headers or None,
        allow_tracking=cli_tracking(base_url),
    )
