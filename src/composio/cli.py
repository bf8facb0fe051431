"""The ``composio`` command: ``demo``, ``dev-server``, ``tools ...``, ``triggers ...``,
``mcp list``, ``plugins``.

Errors print ``error: <message>``, then ``Suggested fix: ...`` on its own line when there is
one, and exit 1 (``--debug`` shows the traceback; ``_error_lines`` words them). The API key
is never printed: it comes from ``COMPOSIO_API_KEY`` (or ``--api-key``) and only goes on the wire.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from composio._cli_client import TELEMETRY_HELP, TELEMETRY_OPT_IN_ENV, cli_client
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


def _dev_banner(server: Any, args: argparse.Namespace, secret: str | None) -> None:
    """What to export, where webhooks go, how telemetry works; never a chosen key or secret."""
    from composio._cli_triggers import SECRET_ENV
    from composio._redact import redact_url

    out(f"Composio local API server on {server.url}")
    out("Point a client at it with COMPOSIO_BASE_URL and the key below; Ctrl-C stops it.")
    out(f"  COMPOSIO_BASE_URL={server.url}")
    if args.server_api_key is None:
        out(f"  COMPOSIO_API_KEY={server.api_key}  (a throw-away local key)")
    else:  # a key the user chose is never echoed (SPEC §8), whatever it is
        out("  COMPOSIO_API_KEY=<the key given with --api-key>")
    if args.webhook_url is not None:  # the secret is never echoed either
        signed = "signed" if secret else "UNSIGNED: no --webhook-secret or $" + SECRET_ENV
        out(f"Fired triggers are delivered to {redact_url(args.webhook_url)} ({signed}).")
        out(f"  To fire one: POST {server.url}/_local/triggers/<id>/fire with x-api-key")
    out(
        "Telemetry: composio commands pointed here send no usage events unless "
        f"{TELEMETRY_OPT_IN_ENV}=1; the SDK in your code sends them by default (to "
        "$COMPOSIO_TELEMETRY_URL): pass allow_tracking=False or set "
        "COMPOSIO_DISABLE_TELEMETRY=1 to stop that.",
        flush=True,
    )


def cmd_dev_server(args: argparse.Namespace) -> int:
    from composio._cli_triggers import SECRET_ENV
    from composio.testing import LocalServer

    secret = args.webhook_secret if args.webhook_secret is not None else os.environ.get(SECRET_ENV)
    server = LocalServer(
        port=args.port,
        api_key=args.server_api_key,
        webhook_url=args.webhook_url,
        webhook_secret=secret or None,
        on_request=(lambda rec: out(rec.log_line(), flush=True)) if args.log else None,
    ).start()
    try:  # before the first line: a reader may press Ctrl-C as soon as it sees one
        _dev_banner(server, args, secret)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def cmd_tools_list(args: argparse.Namespace) -> int:
    """Every page by default; ``--limit``/``--cursor`` ask for one page, and when the server
    has more, standard error says how to get it (stdout stays the list, for scripts)."""
    client = cli_client(args, _parse_pairs(args.header, "--header"))
    with client:
        first = client.tools.list(
            args.toolkit, search=args.search, limit=args.limit, cursor=args.cursor
        )
        one_page = args.limit is not None or args.cursor is not None
        pages = [first] if one_page else list(first.iter_pages())
        tools = [tool for page in pages for tool in page.items]
    if args.json:
        out_json([_tool_json(t) for t in tools])
    elif not tools:
        out("(none)")
    else:
        for tool in tools:
            out(f"{escape(tool.slug):<28} {tool.name or ''}")
    if one_page and first.has_next_page():
        err(f"more: --cursor {first.next_cursor}")
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
            args.slug,
            arguments,
            user_id=args.user_id,
            connected_account_id=args.connected_account_id,
            raise_on_error=False,
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


def cmd_doctor(args: argparse.Namespace) -> int:
    """Which distribution owns the ``composio`` import name (composio_pipeline.diagnose)."""
    from composio_pipeline import diagnose

    found = diagnose()
    for line in found.lines():
        out(line)
    return 0 if found.ok else 1


def cmd_plugins(args: argparse.Namespace) -> int:
    from composio._cli_plugins import run

    return run(as_json=args.json)


def _positive_int(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) > 0):
        raise argparse.ArgumentTypeError(f"must be a whole number above 0, got {text!r}")
    return int(text)


class _Parser(argparse.ArgumentParser):
    """argparse's usage, help and errors (which quote the command line back) through the
    printer too; subparsers inherit the class."""

    def _print_message(self, message: str, file: Any = None) -> None:
        """Help, usage and ``--version``: standard output (errors come through exit)."""
        _lines(message, out)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        _lines(message, err)
        raise SystemExit(status)

    def error(self, message: str) -> NoReturn:
        _lines(self.format_usage(), err)
        self.exit(2, f"{self.prog}: error: {message}")


def _lines(message: str | None, write: Any) -> None:
    if message:
        for line in message.rstrip("\n").split("\n"):
            write(line)


def _parser() -> argparse.ArgumentParser:
    from composio import __version__

    parser = _Parser(
        prog="composio",
        description="Composio API from the shell.",
        epilog="Environment: COMPOSIO_API_KEY (the API key; safer than --api-key), "
        "COMPOSIO_BASE_URL (default https://backend.composio.dev; "
        "'composio dev-server' prints one). " + TELEMETRY_HELP,
    )
    parser.add_argument("--version", action="version", version=f"composio-pipeline {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    # Also accepted after a subcommand; SUPPRESS keeps the top-level value when absent there.
    debug = _Parser(add_help=False)
    debug.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser(
        "demo",
        help="see the SDK at work, offline: connect an account, run tools, the agent loop, "
        "a trigger, then the plumbing",
    ).set_defaults(func=cmd_demo)

    from composio._cli_triggers import SECRET_ENV, port_number

    dev = sub.add_parser(
        "dev-server",
        help="run the local Composio API server",
        description="Run the local Composio API server (composio.testing.LocalServer) on "
        "loopback until Ctrl-C. " + TELEMETRY_HELP,
    )
    dev.add_argument(
        "--port", type=port_number, default=8000, help="port (default 8000; 0 picks a free one)"
    )
    dev.add_argument(
        "--api-key",
        dest="server_api_key",
        default=None,
        help="the key the server accepts (default: a random one)",
    )
    dev.add_argument(
        "--webhook-url", default=None, help="where fired triggers are delivered (signed)"
    )
    dev.add_argument(
        "--webhook-secret",
        default=None,
        help=f"the secret deliveries are signed with (default: ${SECRET_ENV}, safer)",
    )
    dev.add_argument(
        "--log", action="store_true", help="print one line (method and path) per request"
    )
    dev.set_defaults(func=cmd_dev_server)

    def conn(p: argparse.ArgumentParser) -> None:
        p.add_argument("--api-key", default=None, help="default: $COMPOSIO_API_KEY (safer)")
        p.add_argument("--base-url", default=None, help="default: $COMPOSIO_BASE_URL")

    tools = sub.add_parser("tools", help="list, show and run tools")
    tsub = tools.add_subparsers(dest="tools_command", required=True)
    tl = tsub.add_parser("list", help="list tools", parents=[debug])
    tl.add_argument("toolkit", nargs="?", default=None, help="only this toolkit's tools")
    tl.add_argument("--search", default=None, help="only tools matching this text")
    tl.add_argument(
        "--limit",
        type=_positive_int,
        default=None,
        help="one page of at most this many tools (default: every page)",
    )
    tl.add_argument(
        "--cursor", default=None, help="one page from here (printed as 'more: --cursor ...')"
    )
    tl.add_argument("--header", action="append", metavar="K=V", help="extra header (repeatable)")
    tl.add_argument("--json", action="store_true", help="machine-readable output")
    conn(tl)
    tl.set_defaults(func=cmd_tools_list)
    tg = tsub.add_parser("get", help="show one tool", parents=[debug])
    tg.add_argument("slug", help="the tool's slug")
    conn(tg)
    tg.set_defaults(func=cmd_tools_get)
    te = tsub.add_parser("execute", help="run a tool", parents=[debug])
    te.add_argument("slug", help="the tool's slug, e.g. GITHUB_STAR_REPO")
    te.add_argument("--arg", action="append", metavar="K=V", help="argument (JSON or text)")
    te.add_argument("--user-id", "--user", dest="user_id", default=None, help="your user's id")
    te.add_argument(
        "--connected-account-id",
        default=None,
        help="the connected account to run it with (default: the user's only one)",
    )
    conn(te)
    te.set_defaults(func=cmd_tools_execute)

    from composio._cli_triggers import add_triggers_parser

    add_triggers_parser(sub, [debug])
    from composio._cli_mcp import add_mcp_parser

    add_mcp_parser(sub, [debug])

    from composio._cli_accounts import add_accounts_parser

    add_accounts_parser(sub, [debug], conn)

    sub.add_parser(
        "doctor",
        parents=[debug],
        help="check this environment: which installed distribution owns the 'composio' "
        "import name (the vendor's SDK uses it too)",
    ).set_defaults(func=cmd_doctor)

    pl = sub.add_parser("plugins", help="show installed plugins and the chain", parents=[debug])
    pl.add_argument("--json", action="store_true", help="machine-readable output")
    pl.set_defaults(func=cmd_plugins)
    return parser


#: Python spellings in SDK (and LocalServer) messages, as a shell user types them; the first
#: match of each row wins, so a longer phrase comes before a shorter one it contains. Whole
#: phrases only: a server's or a user's text may say ``base_url`` (an auth config's field) and
#: mean something else, so that word is the client's base URL only where the SDK's own check
#: starts its message with it (``config.py``), not wherever it appears.
_SHELL_HINTS = tuple(
    (re.compile(pattern), shell)
    for pattern, shell in (
        (
            re.escape("Check the slug with tools.list()"),
            "Check the slug with 'composio tools list'",
        ),
        (re.escape("pass Composio(api_key=...) or set"), "pass --api-key or set"),
        (
            re.escape("Pass the server's api_key as Composio(api_key=...)"),
            "Pass the server's key with --api-key or COMPOSIO_API_KEY",
        ),
        (
            re.escape("pass api_key= instead"),
            "give the key with --api-key or COMPOSIO_API_KEY instead",
        ),
        (r"^base_url\b", "the base URL (--base-url or COMPOSIO_BASE_URL)"),
    )
)
#: Connection failures where the address itself is the likely mistake.
_UNREACHABLE = frozenset({"refused", "dns", "connect_timeout", "tls"})
_FIX = " Suggested fix: "
_REQUEST_ID = re.compile(r" \(request_id=[^()]*\)$")


def _error_lines(exc: Exception) -> list[str]:
    """What the CLI prints for an error: ``error: <message>`` with Python hints replaced by
    the flag or variable to use, then the suggested fix, if any, on a line of its own.
    Why not the class name: ``NotFoundError`` is a Python name; the message already says
    what happened. The one place the CLI words an error (``main`` prints these)."""
    from composio.errors import APIConnectionError, APIStatusError

    text = one_line(exc)
    for python, shell in _SHELL_HINTS:
        text = python.sub(shell, text, 1)
    message, fix = text, ""
    # The fix is the server's ``suggested_fix`` field, which the SDK appends last (before
    # the request id): a message merely containing the words is not advice to print as ours.
    if isinstance(exc, APIStatusError) and exc.suggested_fix and _FIX in text:
        message, _, fix = text.rpartition(_FIX)
        found = _REQUEST_ID.search(fix)
        if found:  # the request id belongs to the error, not to the advice
            message, fix = message + found.group(), fix[: found.start()]
    elif isinstance(exc, APIConnectionError) and exc.kind in _UNREACHABLE:
        fix = (
            "check --base-url or COMPOSIO_BASE_URL: is a server listening there? "
            "('composio dev-server' runs a local one)"
        )
    return [f"error: {message}", *([f"Suggested fix: {fix}"] if fix else [])]


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
                for line in _error_lines(exc):
                    err(line)
            return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
