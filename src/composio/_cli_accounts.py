"""``composio accounts list|connect`` and ``composio auth-configs list``.

``accounts connect TOOLKIT --user-id ID`` is the whole connect flow from a terminal (a user
who already has an ``ACTIVE`` account for the toolkit is told so, and nothing is created,
unless ``--allow-multiple``, as ``connected_accounts.initiate`` does): it finds or
creates the toolkit's Composio-managed auth config, creates a link (``toolkits.authorize``),
prints the URL for the user to open, and waits until the account is ``ACTIVE`` (exit 0),
``FAILED``/``EXPIRED``... (exit 1, ``ConnectionFailedError``) or the timeout (exit 1,
``APITimeoutError``). The redirect URL is on its own line, first, and flushed, so a script can
read it and hand it to a browser while the command keeps waiting.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from composio._cli_client import cli_client
from composio._terminal import err, escape, out, out_json

__all__ = ["add_accounts_parser"]


def add_accounts_parser(
    sub: Any,
    parents: list[argparse.ArgumentParser],
    conn: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add ``accounts`` and ``auth-configs`` to the ``composio`` subcommands; ``conn`` adds
    the connection options (``--api-key``, ``--base-url``) every API command takes."""
    accounts = sub.add_parser("accounts", help="connected accounts: list, connect")
    asub = accounts.add_subparsers(dest="accounts_command", required=True)

    al = asub.add_parser("list", parents=parents, help="list connected accounts")
    al.add_argument(
        "--user-id", "--user", dest="user", default=None, help="only this user's accounts"
    )
    al.add_argument("--toolkit", default=None, help="only this toolkit's accounts")
    al.add_argument("--status", action="append", default=None, help="e.g. ACTIVE (repeatable)")
    al.add_argument("--json", action="store_true", help="machine-readable output")
    conn(al)
    al.set_defaults(func=cmd_accounts_list)

    ac = asub.add_parser(
        "connect",
        parents=parents,
        help="connect a user's account to a toolkit: print the link, wait until ACTIVE",
    )
    ac.add_argument("toolkit", help="the toolkit's slug, e.g. github")
    ac.add_argument("--user-id", "--user", dest="user", required=True, help="your user's id")
    ac.add_argument(
        "--allow-multiple",
        action="store_true",
        help="connect even when the user already has an ACTIVE account for the toolkit",
    )
    ac.add_argument("--timeout", type=_seconds, default=300.0, help="seconds (default 300)")
    conn(ac)
    ac.set_defaults(func=cmd_accounts_connect)

    configs = sub.add_parser("auth-configs", help="auth configs: list")
    csub = configs.add_subparsers(dest="auth_configs_command", required=True)
    cl = csub.add_parser("list", parents=parents, help="list auth configs")
    cl.add_argument("--toolkit", default=None, help="only this toolkit's auth configs")
    cl.add_argument("--json", action="store_true", help="machine-readable output")
    conn(cl)
    cl.set_defaults(func=cmd_auth_configs_list)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def cmd_accounts_list(args: argparse.Namespace) -> int:
    with cli_client(args) as client:
        accounts = list(
            client.connected_accounts.list(
                user_ids=args.user, toolkit_slugs=args.toolkit, statuses=args.status
            )
        )
    if args.json:
        rows = [
            {
                "id": a.id,
                "user_id": a.user_id,
                "toolkit": a.toolkit_slug,
                "status": a.status,
                "auth_config_id": a.auth_config_id,
            }
            for a in accounts
        ]
        out_json(rows)
        return 0
    for a in accounts:
        status, toolkit = escape(a.status or "?"), escape(a.toolkit_slug or "?")
        out(f"{escape(a.id):<20} {status:<10} {toolkit:<14} {a.user_id or ''}")
    return 0


def cmd_accounts_connect(args: argparse.Namespace) -> int:
    with cli_client(args) as client:
        if not args.allow_multiple:
            active = list(
                client.connected_accounts.list(
                    user_ids=args.user, toolkit_slugs=args.toolkit, statuses=["ACTIVE"]
                )
            )
            if active:
                ids = ", ".join(escape(a.id) for a in active)
                err(
                    f"error: user {escape(args.user)!r} already has an ACTIVE "
                    f"{escape(args.toolkit)} account ({ids}). Nothing was created. "
                    "Suggested fix: use it, or pass --allow-multiple to connect another."
                )
                return 1
        request = client.toolkits.authorize(args.user, args.toolkit)
        out(request.redirect_url or "(no redirect URL: nothing for the user to do)", flush=True)
        err(
            f"Open the link above as {args.user!r} to connect {args.toolkit}; waiting up to "
            f"{args.timeout:g}s (connected account {request.id})..."
        )
        account = request.wait_for_connection(timeout=args.timeout)
    out(f"{account.id} {account.status}")
    return 0


def cmd_auth_configs_list(args: argparse.Namespace) -> int:
    with cli_client(args) as client:
        configs = list(client.auth_configs.list(toolkit_slug=args.toolkit))
    if args.json:
        rows = [
            {
                "id": c.id,
                "name": c.name,
                "toolkit": c.toolkit.slug if c.toolkit else None,
                "auth_scheme": c.auth_scheme,
                "is_composio_managed": c.is_composio_managed,
                "status": c.status,
            }
            for c in configs
        ]
        out_json(rows)
        return 0
    for c in configs:
        kind = "managed" if c.is_composio_managed else "custom"
        toolkit = escape(c.toolkit.slug if c.toolkit else "?")
        scheme = escape(c.auth_scheme or "?")
        out(f"{escape(c.id):<20} {toolkit:<14} {scheme:<14} {kind:<8} {c.name or ''}")
    return 0
