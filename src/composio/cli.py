"""The ``composio`` command: ``demo``, ``dev-server``, ``tools ...``, ``triggers ...``,
``mcp list``, ``plugins``.

Errors print one line and exit 1 (``--debug`` shows the traceback). The API key is never
printed: it comes from ``COMPOSIO_API_KEY`` (or ``--api-key``) and only goes on the wire.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any

from composio._cli_client import cli_client
from composio._terminal import err, escape, one_line, out, out_json, routed_logging

__all__ = ["main"]


def _parse_pairs(pairs: Sequence[str] | None, what: str) -> dict[str, str]:
    from composio.errors import ValidationError

    out: dict[str, str] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValidationError(f"{what} {pair!r} must look like NAME=VALUE.")
        out[name] = value
    return out


def cmd_demo(args: argparse.Namespace) -> int:
    from composio._demo import run_demo

    run_demo()
    return 0


def cmd_dev_server(args: argparse.Namespace) -> int:
    from composio.testing import LocalServer

    server = LocalServer(port=args.port, api_key=args.server_api_key).start()
    # The banner is inside the ``try``: a Ctrl-C as soon as the server listens (a script
    # that read the URL line and is done) is a clean stop, not exit status 130.
    try:
        out(f"Composio local API server on {server.url}")
        out("Point a client at it with COMPOSIO_BASE_URL and the key below; Ctrl-C stops it.")
        out(f"  COMPOSIO_BASE_URL={server.url}")
        if args.server_api_key is None:
            out(f"  COMPOSIO_API_KEY={server.api_key}  (a throw-away local key)", flush=True)
        else:  # a key the user chose is never echoed (SPEC §8), whatever it is
            out("  COMPOSIO_API_KEY=<the key given with --api-key>", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def cmd_tools_list(args: argparse.Namespace) -> int:
    client = cli_client(args, _parse_pairs(args.header, "--header"))
    with client:
        page = client.tools.list(args.toolkit, search=args.search, limit=args.limit)
        if args.json:
            out_json([_tool_json(t) for t in page.items])
        else:
            for tool in page.items:
                out(f"{escape(tool.slug):<28} {tool.name or ''}")
    return 0


def _tool_json(tool: Any) -> dict[str, Any]:
    return {
        "slug": tool.slug,
        "name": tool.name,
        "description": tool.description,
        "toolkit": tool.toolkit.slug if tool.toolkit else None,
        "input_parameters": dict(tool.input_parameters or {}),
    }


def cmd_tools_get(args: argparse.Namespace) -> int:
    with cli_client(args) as client:
        out_json(_tool_json(client.tools.retrieve(args.slug)))
    return 0


def _arguments(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``--arg k=v``: ``v`` as JSON when it parses (numbers, true, objects), else as text."""
    arguments: dict[str, Any] = {}
    for name, raw in _parse_pairs(pairs, "--arg").items():
        try:
            arguments[name] = json.loads(raw)
        except ValueError:
            arguments[name] = raw
    return arguments


def cmd_tools_execute(args: argparse.Namespace) -> int:
    arguments = _arguments(args.arg)
    with cli_client(args) as client:
        result = client.tools.execute(
            args.slug, arguments, user_id=args.user_id, raise_on_error=False
        )
    out_json(
        {
            "successful": result.successful,
            "data": result.data,
            "error": result.error,
            "log_id": result.log_id,
        }
    )
    if not result.successful:
        err(f"error: tool {one_line(args.slug)} reported failure: {one_line(result.error)}")
        return 1
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    from composio._cli_plugins import run

    return run(as_json=args.json)


class _Parser(argparse.ArgumentParser):
    """argparse's usage, help and errors (which quote the command line back) through the
    printer too; subparsers inherit the class."""

    def _print_message(self, message: str, file: Any = None) -> None:
        if not message:
            return
        write = out if file is None else err  # argparse names stderr for errors only
        for line in message.rstrip("\n").split("\n"):
            write(line)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="composio", description="Composio API from the shell.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    # Also accepted after a subcommand; SUPPRESS keeps the top-level value when absent there.
    debug = _Parser(add_help=False)
    debug.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser(
        "demo", help="run the session examples against the embedded server"
    ).set_defaults(func=cmd_demo)

    dev = sub.add_parser("dev-server", help="run the local Composio API server")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument(
        "--api-key",
        dest="server_api_key",
        default=None,
        help="the key the server accepts (default: a random one)",
    )
    dev.set_defaults(func=cmd_dev_server)

    def conn(p: argparse.ArgumentParser) -> None:
        p.add_argument("--api-key", default=None, help="default: $COMPOSIO_API_KEY (safer)")
        p.add_argument("--base-url", default=None, help="default: $COMPOSIO_BASE_URL")

    tools = sub.add_parser("tools", help="list, show and run tools")
    tsub = tools.add_subparsers(dest="tools_command", required=True)
    tl = tsub.add_parser("list", help="list tools", parents=[debug])
    tl.add_argument("toolkit", nargs="?", default=None)
    tl.add_argument("--search", default=None)
    tl.add_argument("--limit", type=int, default=None)
    tl.add_argument("--header", action="append", metavar="K=V", help="extra header (repeatable)")
    tl.add_argument("--json", action="store_true")
    conn(tl)
    tl.set_defaults(func=cmd_tools_list)
    tg = tsub.add_parser("get", help="show one tool", parents=[debug])
    tg.add_argument("slug")
    conn(tg)
    tg.set_defaults(func=cmd_tools_get)
    te = tsub.add_parser("execute", help="run a tool", parents=[debug])
    te.add_argument("slug")
    te.add_argument("--arg", action="append", metavar="K=V", help="argument (JSON or text)")
    te.add_argument("--user-id", default=None)
    conn(te)
    te.set_defaults(func=cmd_tools_execute)

    from composio._cli_triggers import add_triggers_parser

    add_triggers_parser(sub, [debug])
    from composio._cli_mcp import add_mcp_parser

    add_mcp_parser(sub, [debug])

    from composio._cli_accounts import add_accounts_parser

    add_accounts_parser(sub, [debug], conn)

    pl = sub.add_parser("plugins", help="show installed plugins and the chain", parents=[debug])
    pl.add_argument("--json", action="store_true", help="machine-readable output")
    pl.set_defaults(func=cmd_plugins)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with routed_logging():
        args = _parser().parse_args(argv)
        try:
            return int(args.func(args))
        except KeyboardInterrupt:
            return 130
        except Exception as exc:
            if args.debug:  # the traceback quotes the message too: through the printer
                for block in traceback.format_exception(exc):
                    for line in block.rstrip("\n").split("\n"):
                        err(line)
            else:
                err(f"error: {type(exc).__name__}: {one_line(exc)}")
            return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
