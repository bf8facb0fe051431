"""``composio plugins [--json]``: what is installed, what a client built here loads, its chain.

Why it reads the entry points' metadata itself instead of only building a client: a plugin
that fails to import fails the build, and exactly then the user needs to see which
distributions are installed and at which versions. So the list comes from package metadata
(nothing imported), then a client is built the way the user's code would build one (same
environment: autoload, blocked plugins, base URL), and its chain is shown, or the build's
error. No request is sent and the API key, if one is set, is never printed.
"""

from __future__ import annotations

import os
from typing import Any

from composio._terminal import err, one_line, out, out_json
from composio.plugins import ENTRY_POINT_GROUP, autoload_enabled, blocked_from_env

__all__ = ["chain_rows", "installed_plugins", "run"]

#: Used only to build the client whose chain is shown; nothing is sent with it.
_PLACEHOLDER_KEY = "composio-plugins-listing"
_ASYNC_HOOKS = ("on_request", "on_response", "acall")


def installed_plugins() -> list[dict[str, Any]]:
    """Every entry point of group ``composio``, from metadata alone (nothing is imported)."""
    from importlib.metadata import entry_points

    rows = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        rows.append(
            {
                "name": ep.name,
                "entry_point": ep.value,
                "distribution": dist.name if dist is not None else None,
                "version": dist.version if dist is not None else None,
            }
        )
    return rows


def chain_rows(client: Any) -> list[dict[str, Any]]:
    """The composed chain of ``client``, outermost first."""
    return [
        {
            "position": i,
            "name": mw.name,
            "stage": mw.stage.name,
            "stage_value": int(mw.stage),
            "order": int(getattr(mw, "order", 0)),
            "class": f"{type(mw).__module__}.{type(mw).__qualname__}",
            # What an async chain (SPEC §13) could drive; __call__ serves the sync chain.
            "async_hooks": [h for h in _ASYNC_HOOKS if callable(getattr(mw, h, None))],
        }
        for i, mw in enumerate(client.chain)
    ]


def _status(name: str, registered: tuple[str, ...] | None, blocked: frozenset[str]) -> str:
    if name in blocked:
        return "blocked (COMPOSIO_BLOCKED_PLUGINS)"
    if not autoload_enabled():
        return "not loaded (COMPOSIO_DISABLE_PLUGIN_AUTOLOAD)"
    if registered is None:
        return "unknown (the client build failed)"
    return "loaded" if name in registered else "not loaded"


def _build() -> tuple[Any, str | None]:
    from composio import Composio

    try:
        client = Composio(
            api_key=os.environ.get("COMPOSIO_API_KEY") or _PLACEHOLDER_KEY, allow_tracking=False
        )
    except Exception as exc:  # the report shows it; main() would lose the plugin list
        return None, f"{type(exc).__name__}: {one_line(exc)}"
    return client, None


def run(as_json: bool) -> int:
    plugins = installed_plugins()
    client, error = _build()
    try:
        registered = client.plugin_names if client is not None else None
        blocked = blocked_from_env()
        for row in plugins:
            row["status"] = _status(row["name"], registered, blocked)
        chain = chain_rows(client) if client is not None else None
    finally:
        if client is not None:
            client.close()
    if as_json:
        report = {
            "autoload": autoload_enabled(),
            "plugins": plugins,
            "registered": list(registered) if registered is not None else None,
            "chain": chain,
            "error": error,
        }
        out_json(report)
    else:
        _print_text(plugins, registered, chain)
    if error is not None:
        err(f"error: building a client failed: {error}")
        return 1
    return 0


def _print_text(
    plugins: list[dict[str, Any]],
    registered: tuple[str, ...] | None,
    chain: list[dict[str, Any]] | None,
) -> None:
    if registered is not None:
        out("plugins: " + (", ".join(registered) or "(none)"))
    out(f"installed (entry-point group {ENTRY_POINT_GROUP!r}):")
    width = max((len(p["name"]) for p in plugins), default=0)
    for p in plugins:
        dist = f"{p['distribution']} {p['version']}" if p["distribution"] else p["entry_point"]
        out(f"  {p['name']:<{width}}  {dist}  [{p['status']}]")
    if not plugins:
        out("  (none)")
    if chain is None:
        return
    out("chain, outermost first:")
    for row in chain:
        stage = f"{row['stage_value']}:{row['stage']}"
        out(f"  {stage:<10} order={row['order']:<5} {row['name']}  ({row['class']})")
    out("  -> transport")
