"""``composio triggers listen``: a local receiver that verifies each webhook delivery;
``composio triggers list`` / ``triggers types``: the project's trigger instances and the
trigger types a toolkit offers (read through the SDK, so the same errors and redaction).

For development: point a trigger's webhook (or ``LocalServer.webhook_url``, or a tunnel) at
it and watch one line per delivery. It answers 204 to a verified delivery and 400 to a
rejected one -- what a production receiver should do, so the sender's retry behaviour can be
watched too. Standard library only (``http.server``): nothing to install for a debugging aid.

The secret comes from ``COMPOSIO_WEBHOOK_SECRET`` (preferred: a command line is visible to
every user of the machine) or ``--secret``; it is never printed, and neither is anything a
rejected delivery sent.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from composio._cli_client import cli_client
from composio._terminal import err, escape, out, out_json

__all__ = ["add_connection_args", "add_triggers_parser", "port_number", "print_rows"]

SECRET_ENV = "COMPOSIO_WEBHOOK_SECRET"
#: Larger bodies are refused with 413 before being read: a receiver must bound what it buffers.
MAX_BODY = 10 * 1024 * 1024


def add_triggers_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``triggers listen`` to the ``composio`` subcommands (``sub`` from add_subparsers)."""
    triggers = sub.add_parser("triggers", help="work with trigger deliveries")
    tsub = triggers.add_subparsers(dest="triggers_command", required=True)
    listen = tsub.add_parser(
        "listen",
        parents=parents,
        help="receive webhook deliveries locally, verify each and print one line per event",
    )
    listen.add_argument("--port", type=port_number, default=8787, help="0 picks a free port")
    listen.add_argument("--host", default="127.0.0.1", help="default: loopback only")
    listen.add_argument(
        "--secret", default=None, help=f"the webhook secret (default: ${SECRET_ENV}, safer)"
    )
    listen.add_argument(
        "--tolerance",
        type=_tolerance,
        default=300.0,
        help="seconds a delivery's timestamp may be from now (default 300; 'none' disables)",
    )
    listen.set_defaults(func=cmd_triggers_listen)

    active = tsub.add_parser(
        "list",
        parents=parents,
        help="list the trigger instances set up in the project (enabled ones by default)",
    )
    active.add_argument(
        "--user-id", dest="user_ids", action="append", default=None,
        help="only this user's triggers (repeatable)",
    )  # fmt: skip
    active.add_argument(
        "--trigger", dest="trigger_names", action="append", default=None,
        help="only this trigger type, e.g. GITHUB_STAR_ADDED_EVENT (repeatable)",
    )  # fmt: skip
    active.add_argument(
        "--connected-account-id", "--account", dest="connected_account_ids", action="append",
        default=None, help="only this connected account's triggers (repeatable)",
    )  # fmt: skip
    active.add_argument("--all", action="store_true", help="include disabled triggers")
    active.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(active)
    active.set_defaults(func=cmd_triggers_list)

    types = tsub.add_parser(
        "types", parents=parents, help="list the trigger types (of some toolkits)"
    )
    types.add_argument("toolkits", nargs="*", help="toolkit slugs (default: all)")
    types.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(types)
    types.set_defaults(func=cmd_triggers_types)


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    """``--api-key``/``--base-url``, as every API-calling subcommand of ``composio`` has."""
    parser.add_argument("--api-key", default=None, help="default: $COMPOSIO_API_KEY (safer)")
    parser.add_argument("--base-url", default=None, help="default: $COMPOSIO_BASE_URL")


def print_rows(rows: list[dict[str, Any]], columns: tuple[str, ...], as_json: bool) -> None:
    """Rows as JSON (``--json``) or one aligned, tab-free line each; an empty list says so.
    Cells are escaped before the widths are measured, so hostile values cannot skew them."""
    if as_json:
        out_json(rows)
        return
    if not rows:
        out("(none)")
        return
    widths = [max(len(c), *(len(_printable(r[c])) for r in rows)) for c in columns]
    out("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in rows:
        cells = (_printable(row[c]).ljust(w) for c, w in zip(columns, widths, strict=True))
        out("  ".join(cells).rstrip())


def cmd_triggers_list(args: argparse.Namespace) -> int:
    with cli_client(args) as client:
        page = client.triggers.list_active(
            trigger_names=args.trigger_names,
            connected_account_ids=args.connected_account_ids,
            show_disabled=True if args.all else None,
        )
        wanted = set(args.user_ids or ())
        rows = [
            {
                "id": t.id,
                "trigger": t.trigger_name,
                "user_id": t.user_id,
                "connected_account_id": t.connected_account_id,
                "status": "enabled" if t.enabled else "disabled",
            }
            for t in page
            if not wanted or t.user_id in wanted
        ]
    print_rows(rows, ("id", "trigger", "user_id", "connected_account_id", "status"), args.json)
    return 0


def cmd_triggers_types(args: argparse.Namespace) -> int:
    with cli_client(args) as client:
        page = client.triggers.list_types(toolkit_slugs=args.toolkits or None)
        rows = [
            {
                "slug": t.slug,
                "toolkit": t.toolkit.slug if t.toolkit else None,
                "type": t.type,
                "name": t.name,
            }
            for t in page
        ]
    print_rows(rows, ("slug", "toolkit", "type", "name"), args.json)
    return 0


def port_number(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {text!r}")
    return int(text)


def _tolerance(text: str) -> float | None:
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be seconds >= 0 or 'none', got {text!r}")
    return value


def _printable(value: object) -> str:
    """A table cell or a delivery's value: escaped by the printer, at most 200 characters
    of the original, ``-`` for nothing."""
    if value is None:
        return "-"
    text = str(value)
    return escape(text[:200] + ("..." if len(text) > 200 else "")) or "-"


def cmd_triggers_listen(args: argparse.Namespace) -> int:
    from composio._webhook_secret import webhook_key
    from composio.errors import ValidationError

    secret = args.secret if args.secret is not None else os.environ.get(SECRET_ENV)
    if not secret:
        raise ValidationError(f"No webhook secret: set {SECRET_ENV} (or pass --secret).")
    webhook_key(secret)  # a malformed secret fails now, not on every delivery
    tolerance: float | None = args.tolerance

    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:  # one whole line at a time from the handler threads
            out(line, flush=True)

    handler = _handler(secret, tolerance, say)
    try:
        server = _Server((args.host, args.port), handler)
    except OSError as exc:
        raise ValidationError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from None
    host, port = args.host, server.server_address[1]
    source = "--secret" if args.secret is not None else f"${SECRET_ENV}"
    previous = _stop_on_signals()  # before the first line: a reader may signal right after it
    try:
        say(f"Listening for webhook deliveries on http://{host}:{port}/ (secret from {source})")
        say("Ctrl-C stops.")
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        for signum, handler_was in previous.items():
            signal.signal(signum, handler_was)
    say("stopped")
    return 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line instead of socketserver's traceback (a client hanging up mid-body)."""
        err(f"error: {type(sys.exc_info()[1]).__name__} while reading a delivery")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> dict[int, Any]:
    """SIGINT and SIGTERM both stop cleanly, even when SIGINT was inherited as ignored (a
    shell's background job): a receiver that cannot be stopped is worse than one that can.
    Returns the handlers replaced, to put back."""
    if threading.current_thread() is not threading.main_thread():
        return {}  # signal handlers can only be set there; embedders handle their own
    return {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}


def _handler(secret: str, tolerance: float | None, say: Any) -> type[BaseHTTPRequestHandler]:
    from composio.errors import WebhookVerificationError
    from composio.webhooks import verify_webhook

    class Handler(BaseHTTPRequestHandler):
        server_version = "composio-triggers-listen"
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            # Each outcome is printed before it is answered, so a sender that has its answer
            # can rely on the line being out (the tests do).
            length = self.headers.get("content-length", "")
            if not (length.isascii() and length.isdigit()):
                say("rejected: length_required: the delivery had no valid Content-Length")
                self._answer(411, "a Content-Length is required", close=True)
                return
            if int(length) > MAX_BODY:
                say(f"rejected: too_large: {int(length)} bytes (limit {MAX_BODY})")
                self._answer(413, "body too large", close=True)
                return
            body = self.rfile.read(int(length))
            try:
                event = verify_webhook(body, self.headers, secret, tolerance=tolerance)
            except WebhookVerificationError as exc:
                say(f"rejected: {exc.reason}: {exc}")
                self._answer(400, exc.reason)
                return
            say(
                f"event {_printable(event.id)} {_printable(event.trigger_slug)} "
                f"user={_printable(event.user_id)} "
                f"account={_printable(event.connected_account_id)}"
            )
            self._answer(204, None)

        def do_GET(self) -> None:
            self._answer(405, "POST webhook deliveries here", allow="POST")

        do_PUT = do_DELETE = do_PATCH = do_GET

        def _answer(
            self, status: int, text: str | None, *, allow: str | None = None, close: bool = False
        ) -> None:
            payload = (text + "\n").encode() if text else b""
            self.send_response(status)
            if allow:
                self.send_header("Allow", allow)
            if payload:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if payload:
                self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request access log: the event line is the log."""

    return Handler
