"""The local server's routing: one table of ``(method, path template) -> handler``.

Handlers are plain functions of a :class:`Ctx` that return a :class:`Reply` or raise
:class:`ApiError`; they never touch the socket. That keeps every route testable and lets the
"passthrough" fault run a handler without sending its answer.

Both API prefixes are served by one table: ``/api/v3.1/...`` (canonical since 2026-04) and
``/api/v3/...`` (legacy) are the same routes; :func:`canonical_path` maps the first onto the
second and :attr:`Ctx.api_version` says which one the caller used.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

if TYPE_CHECKING:
    from composio.testing.server import LocalServer

__all__ = [
    "ApiError",
    "Ctx",
    "Handler",
    "Reply",
    "Router",
    "api_version_of",
    "canonical_path",
    "lookup",
    "optional_text",
    "paginate",
    "required_text",
]

T = TypeVar("T")

V3 = "/api/v3/"
V31 = "/api/v3.1/"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000


def canonical_path(path: str) -> str:
    """``/api/v3.1/x`` -> ``/api/v3/x``; anything else unchanged."""
    return V3 + path[len(V31) :] if path.startswith(V31) else path


def api_version_of(path: str) -> str | None:
    """``"v3.1"``, ``"v3"`` or ``None`` (not an API path)."""
    if path.startswith(V31):
        return "v3.1"
    if path.startswith(V3):
        return "v3"
    return None


class ApiError(Exception):
    """An answer in the spec's error shape (``{"error": {...}}``)."""

    def __init__(
        self,
        status: int,
        message: str,
        fix: str | None = None,
        *,
        code: int | None = None,
        slug: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fix = fix
        self.code = code  #: the API's numeric error code (``None``: derived from the status)
        self.slug = slug  #: the API's error slug, e.g. ``ActionExecute_ConnectedAccountNotFound``


@dataclass
class Reply:
    """What a handler answers. ``raw`` (bytes) is sent as is with ``headers``; otherwise
    ``body`` is sent as JSON."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass
class Ctx:
    """One request as a handler sees it."""

    owner: LocalServer
    method: str
    raw_path: str
    path: str  #: canonical (``/api/v3/...``)
    params: dict[str, str]  #: decoded path parameters
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  #: lower-case names
    body: bytes
    request_id: str

    @property
    def api_version(self) -> str | None:
        return api_version_of(self.raw_path)

    # -- body ----------------------------------------------------------------------------
    def json(self, *, required: bool = True) -> dict[str, Any]:
        """The body as a JSON object; a 400 naming the problem otherwise."""
        if not self.body:
            if required:
                raise ApiError(400, "Request body is required (a JSON object)")
            return {}
        try:
            value = json.loads(self.body)
        except (ValueError, RecursionError):  # nested past the recursion limit: not JSON here
            raise ApiError(400, "Request body is not valid JSON") from None
        if not isinstance(value, dict):
            raise ApiError(400, "Body must be a JSON object")
        return value

    # -- query ---------------------------------------------------------------------------
    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def many(self, name: str) -> list[str]:
        """An array parameter: repeated (``form, explode``) or comma-separated, both read."""
        return [v.strip() for raw in self.query.get(name, []) for v in raw.split(",") if v.strip()]

    def flag(self, name: str) -> bool | None:
        value = self.one(name)
        if value is None or value == "":
            return None
        if value not in ("true", "false"):
            raise ApiError(400, f"{name} must be 'true' or 'false', got {value!r}")
        return value == "true"

    def number(self, name: str, *, minimum: int = 1, maximum: int = MAX_PAGE_SIZE) -> int | None:
        value = self.one(name)
        if value is None or value == "":
            return None
        try:
            number = int(float(value))
        except ValueError:
            raise ApiError(400, f"{name} must be a number, got {value!r}") from None
        if not minimum <= number <= maximum:
            raise ApiError(400, f"{name} must be between {minimum} and {maximum}")
        return number

    # -- links back to this server -------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.owner.url


Handler = Callable[[Ctx], Reply]


class Router:
    """A list of routes tried in order; templates use ``{name}`` for one path segment."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        pattern = re.compile(
            "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        )

        def register(handler: Handler) -> Handler:
            self._routes.append((method, pattern, handler))
            return handler

        return register

    def include(self, other: Router) -> None:
        self._routes.extend(other._routes)

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """The handler and decoded path parameters, or ``None``; a path known under another
        method raises a 405-like 404 (the API answers unknown routes with 404)."""
        for verb, pattern, handler in self._routes:
            found = pattern.match(path)
            if found and verb == method:
                return handler, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


# -- paging ---------------------------------------------------------------------------------
def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, num = raw.partition(":")
        value = int(num)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if kind == "offset" and value >= 0 else None


def paginate(
    ctx: Ctx,
    items: Sequence[Any],
    render: Callable[[Any], Any] = lambda item: item,
    *,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """A cursor page in the spec's shape (``items``, ``next_cursor``, ``total_pages``,
    ``current_page``, ``total_items``), from the query's ``limit``/``cursor`` unless given."""
    size = limit if limit is not None else ctx.number("limit") or ctx.owner.page_size
    token = cursor if cursor is not None else ctx.one("cursor")
    offset = 0
    if token:
        decoded = decode_cursor(token)
        if decoded is None:
            raise ApiError(400, "Invalid cursor", "Pass next_cursor from the previous page.")
        offset = decoded
    page = items[offset : offset + size]
    nxt = offset + size
    return {
        "items": [render(i) for i in page],
        "next_cursor": encode_cursor(nxt) if nxt < len(items) else None,
        "total_pages": max(1, -(-len(items) // size)),
        "current_page": offset // size + 1,
        "total_items": len(items),
    }


def required_text(body: Mapping[str, Any], name: str) -> str:
    """A body field that must be a non-empty string; a 400 naming it otherwise."""
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"'{name}' must be a non-empty string")
    return value


def optional_text(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, f"'{name}' must be a string")
    return value


def lookup(table: Mapping[str, T], key: str, what: str, fix: str | None = None) -> T:
    """``table[key]``, or the API's 404 naming what was not found."""
    found = table.get(key)
    if found is None:
        raise ApiError(404, f"{what} {key} not found", fix)
    return found


def require_string_list(body: Mapping[str, Any], name: str) -> list[str]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"'{name}' must be an array of strings")
    return list(value)
