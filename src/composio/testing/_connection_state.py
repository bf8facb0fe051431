"""A connected account's ``state`` as the spec shapes it: ``{authScheme, val: {status, ...}}``.

The spec's state schema is a ``oneOf`` per auth scheme, each with a ``oneOf`` per status whose
required fields differ (an OAuth2 account ``INITIATED`` needs ``redirectUrl``, ``ACTIVE`` needs
``access_token``...). The table below is that schema, read once from the spec and written
down; the conformance suite judges every account the server renders against the spec itself.
"""

from __future__ import annotations

from typing import Any

from composio.testing._state import Account

__all__ = ["connect_url", "state_of"]

_OAUTH1 = ("oauth_token", "oauth_token_secret")
_OAUTH2 = ("access_token",)
_DCR = ("client_id", "access_token")
_JWT = ("username", "password")
_GITHUB_APP = ("application_id", "installation_id", "private_key")
_BILLCOM = ("sessionId", "devKey")

#: Per scheme: the statuses the spec's ``val`` has, and the fields each requires.
STATE_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "OAUTH1": {
        "INITIATED": (*_OAUTH1, "authUri", "redirectUrl"),
        "ACTIVE": _OAUTH1,
        "INACTIVE": _OAUTH1,
        "FAILED": (),
        "EXPIRED": (),
    },
    "OAUTH2": {
        "INITIATED": ("redirectUrl",),
        "ACTIVE": _OAUTH2,
        "INACTIVE": _OAUTH2,
        "FAILED": (),
        "EXPIRED": (),
    },
    "DCR_OAUTH": {
        "INITIATED": ("client_id", "redirectUrl"),
        "ACTIVE": _DCR,
        "INACTIVE": _DCR,
        "FAILED": (),
        "EXPIRED": (),
    },
    "BILLCOM_AUTH": {
        "INITIATED": ("redirectUrl",),
        "ACTIVE": _BILLCOM,
        "INACTIVE": _BILLCOM,
        "FAILED": (),
        "EXPIRED": (),
    },
    "BASIC_WITH_JWT": {
        "INITIATED": (),
        "ACTIVE": _JWT,
        "INACTIVE": _JWT,
        "FAILED": _JWT,
        "EXPIRED": _JWT,
    },
    "GOOGLE_SERVICE_ACCOUNT": {
        "INITIATED": ("redirectUrl",),
        "ACTIVE": ("credentials_json",),
        "INACTIVE": ("credentials_json",),
    },
    "SERVICE_ACCOUNT": {"INITIATED": (), "ACTIVE": _GITHUB_APP, "INACTIVE": _GITHUB_APP},
    "BASIC": {"INITIATED": (), "ACTIVE": ("username",), "INACTIVE": ("username",)},
    "BEARER_TOKEN": {"INITIATED": (), "ACTIVE": ("token",), "INACTIVE": ("token",)},
    "API_KEY": {"INITIATED": (), "ACTIVE": (), "INACTIVE": ()},
    **{
        scheme: {s: () for s in ("INITIATED", "ACTIVE", "INACTIVE", "FAILED", "EXPIRED")}
        for scheme in ("NO_AUTH", "CALCOM_AUTH", "SAML")
    },
}
for _fields in STATE_FIELDS.values():  # every scheme has a bare INITIALIZING state
    _fields["INITIALIZING"] = ()

#: Where a connect link points; the path segment after it is the link's secret token.
CONNECT_PREFIX = "/_local/connect/"


def connect_url(base_url: str, account: Account) -> str:
    """The account's link on this server: what a browser opens to connect it."""
    return f"{base_url}{CONNECT_PREFIX}{account.token}"


def state_of(account: Account, base_url: str) -> dict[str, Any]:
    """``val`` holds the fields the spec requires for the account's scheme and status. Where
    the spec has no ``val`` for a status (an API-key account that FAILED), the last status it
    has (``INITIATED``) is shown; the account's own ``status`` field is always the truth."""
    fields = STATE_FIELDS[account.auth_scheme]
    shown = account.status if account.status in fields else "INITIATED"
    val: dict[str, Any] = {"status": shown}
    for name in fields[shown]:
        if name in ("redirectUrl", "authUri"):
            val[name] = connect_url(base_url, account)
        else:
            val[name] = account.credentials.get(name) or f"local-{name}"
    if account.callback_url:
        val["callback_url"] = account.callback_url
    if account.status_reason and shown == "FAILED":
        val["error"] = account.status_reason
    return {"authScheme": account.auth_scheme, "val": val}
