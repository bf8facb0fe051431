"""Metadata headers from the environment: ``COMPOSIO_METADATA_X_TEAM=payments`` sends
``x-team: payments`` on every request of every client.

Why the environment: the people who know a deployment's team, cost centre or region are the
ones who deploy it, not the code that builds the client. Why a metadata hook rather than
``default_headers``: the SDK merges metadata once, when a client is built, *below*
``default_headers``, sessions and per-call headers, so code can still override or remove
(``None``) any of them, and nothing is read per request.

Names: the part after the prefix, lower-cased, ``_`` becoming ``-``. An empty value is
skipped (an empty variable usually means "unset"). The SDK validates what this returns like
any header: a reserved name (``COMPOSIO_METADATA_X_API_KEY``) or a control character in a
value fails the client's construction with an error naming the header, never its value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from composio import ClientConfig, hookimpl

__all__ = ["PREFIX", "composio_request_metadata", "headers_from_env"]

#: The name this plugin is registered and blocked under (``COMPOSIO_BLOCKED_PLUGINS``).
composio_plugin_name = "composio-request-metadata"
PREFIX = "COMPOSIO_METADATA_"


def headers_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{header: value}`` for every ``COMPOSIO_METADATA_<NAME>`` with a non-empty value."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for key in sorted(env):  # sorted: a stable order whatever the platform's environ order
        if key.startswith(PREFIX) and len(key) > len(PREFIX):
            value = env[key]
            if value:
                found[key[len(PREFIX) :].lower().replace("_", "-")] = value
    return found


@hookimpl
def composio_request_metadata(config: ClientConfig) -> dict[str, str]:
    # Read when a client is built, not at import: a test or a process that sets the
    # variables after importing composio still gets them on its next client.
    return headers_from_env()
