"""``composio mcp list``: the project's MCP servers (the API's MCP resource), every
``page_no`` page walked; ``composio mcp serve``: a local MCP server of one user's tools
(SPEC §17, ``composio._mcp_server``) over stdio, or streamable HTTP on loopback."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from composio._cli_client import cli_client
from composio._cli_triggers import add_connection_args, print_rows

__all__ = ["add_mcp_parser"]


def add_mcp_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``mcp list`` and ``mcp serve`` to the ``composio`` subcommands."""
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
    serve = msub.add_parser(
        "serve",
        parents=parents,
        help="serve a user's tools to MCP clients (stdio; --http PORT for streamable HTTP)",
    )
    serve.add_argument("--user-id", required=True, help="whose tools, executed as whom")
    serve.add_argument("--toolkits", default=None, metavar="SLUG,SLUG", help="their tools")
    serve.add_argument("--tools", default=None, metavar="SLUG,SLUG", help="these tools")
    serve.add_argument(
        "--http",
        type=int,
        default=None,
        metavar="PORT",
        help="streamable HTTP on http://127.0.0.1:PORT/mcp instead of stdio (0: a free port)",
    )
    serve.add_argument("--header", action="append", metavar="K=V", help="extra header (repeatable)")
    add_connection_args(serve)
    serve.set_defaults(func=cmd_mcp_serve)


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


def cmd_mcp_serve(args: argparse.Namespace) -> int:
    """Serve until the client closes stdin (stdio) or Ctrl-C (HTTP). Nothing but the
    protocol goes to stdout: it is the stdio transport; messages go to stderr."""
    from composio._cli_client import cli_client
    from composio._mcp_server import serve
    from composio._terminal import err, stdout_to_stderr
    from composio.cli import _parse_pairs

    # Over stdio nothing but the transport writes to stdout: not while the client is built
    # (plugins imported) nor closed; the transport itself diverts fd 1 while it serves.
    quiet = stdout_to_stderr if args.http is None else contextlib.nullcontext
    with quiet():
        client = cli_client(args, _parse_pairs(args.header, "--header"))
    try:
        with quiet():
            server = client.mcp_server(args.user_id, toolkits=args.toolkits, tools=args.tools)
        with contextlib.suppress(KeyboardInterrupt):
            # the URL goes to stderr, once it is listening
            serve(server, args.http, lambda url: err(f"MCP server on {url}"))
    finally:
        with quiet():
            client.close()
    return 0
