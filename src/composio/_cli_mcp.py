"""``composio mcp list``: the project's MCP servers, every ``page_no`` page walked."""

from __future__ import annotations

import argparse
from typing import Any

from composio._cli_client import cli_client
from composio._cli_triggers import add_connection_args, print_rows

__all__ = ["add_mcp_parser"]


def add_mcp_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``mcp list`` to the ``composio`` subcommands (``sub`` from add_subparsers)."""
    mcp = sub.add_parser("mcp", help="work with MCP servers")
    msub = mcp.add_subparsers(dest="mcp_command", required=True)
    listing = msub.add_parser("list", parents=parents, help="list MCP servers")
    listing.add_argument("--name", default=None, help="servers whose name contains this")
    listing.add_argument(
        "--toolkit", dest="toolkits", action="append", default=None,
        help="servers with this toolkit (repeatable)",
    )  # fmt: skip
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(listing)
    listing.set_defaults(func=cmd_mcp_list)


def cmd_mcp_list(args: argparse.Namespace) -> int:
    with cli_client(args) as client:
        page = client.mcp.list(name=args.name, toolkits=args.toolkits)
        rows = [
            {
                "id": s.id,
                "name": s.name,
                "toolkits": ",".join(s.toolkits or ()),
                "mcp_url": s.mcp_url,
            }
            for s in page
        ]
    print_rows(rows, ("id", "name", "toolkits", "mcp_url"), args.json)
    return 0
