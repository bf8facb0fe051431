"""Tenant and user ids from the current ``contextvars`` context, sent as headers.

Why: a web app serving many tenants would otherwise build a session per incoming request
(``composio.create_session(headers={"x-tenant-id": ...})``) and pass it down every call path.
With this plugin the request handler says once who it serves::

    with tenant_context(tenant="t1", user="u1"):
        composio.tools.list()          # sends x-tenant-id: t1, x-user-id: u1

and every client call made inside it, on this thread or in this asyncio task, carries them.
A ``ContextVar`` is what makes that safe: each thread starts with no context (nothing leaks
from one worker thread to the next), each asyncio task runs in a copy of its creator's context
(so it flows across ``await`` and into tasks the handler starts, but never back out), and a
``with`` block restores the previous value on the way out, even on an exception.

Precedence (see the README for why): plugin metadata < ``default_headers`` < **this context**
< session layers < the call's ``extra_headers``. A context is ambient; a session or a call
that names a header explicitly wins over it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

from composio import (
    ClientConfig,
    Middleware,
    Request,
    Response,
    Stage,
    ValidationError,
    hookimpl,
)
from composio.headers import Layer, build_layer, fold_layers

__all__ = [
    "TENANT_HEADER",
    "USER_HEADER",
    "TenantContext",
    "TenantContextMiddleware",
    "composio_middlewares",
    "current_tenant",
    "reset_tenant",
    "set_tenant",
    "tenant_context",
]

#: The name this plugin is registered and blocked under (``COMPOSIO_BLOCKED_PLUGINS``).
composio_plugin_name = "composio-tenant-context"
TENANT_HEADER = "x-tenant-id"
USER_HEADER = "x-user-id"


@dataclass(frozen=True, slots=True)
class TenantContext:
    """What the current context sends: validated when it was set, never per request."""

    tenant: str | None = None
    user: str | None = None
    #: more headers (a folded layer), e.g. the inbound request's ``x-request-id``
    headers: Layer = field(default_factory=dict)


_current: ContextVar[TenantContext | None] = ContextVar("composio_tenant_context", default=None)


def _check(value: str | None, header: str, where: str) -> str | None:
    if value is None:
        return None
    if value == "":
        raise ValidationError(f"{where} is an empty string; pass None to leave it unset.")
    # The SDK's own header rules (RFC 9110 value, no CR/LF/NUL); the error names the
    # argument and never echoes the value.
    build_layer({header: value}, where, allow_none=False)
    return value


def _new(
    tenant: str | None,
    user: str | None,
    headers: Mapping[str, str | None] | None,
    inherit: bool,
) -> TenantContext:
    tenant = _check(tenant, TENANT_HEADER, "tenant_context(tenant=...)")
    user = _check(user, USER_HEADER, "tenant_context(user=...)")
    layer = build_layer(headers, "tenant_context(headers=...)")
    outer = _current.get() if inherit else None
    if outer is not None:
        tenant = outer.tenant if tenant is None else tenant
        user = outer.user if user is None else user
        layer = fold_layers(outer.headers, layer)
    return TenantContext(tenant, user, layer)


def set_tenant(
    tenant: str | None = None,
    user: str | None = None,
    *,
    headers: Mapping[str, str | None] | None = None,
    inherit: bool = True,
) -> Token[TenantContext | None]:
    """Make ``tenant``/``user`` (and ``headers``) current; returns the token that
    :func:`reset_tenant` takes to restore the previous context.

    With ``inherit`` (the default) what is not given is kept from the enclosing context, and
    ``headers`` fold over its headers (``None`` removes one). Bad values raise
    ``composio.ValidationError`` here, not at request time.
    """
    return _current.set(_new(tenant, user, headers, inherit))


def reset_tenant(token: Token[TenantContext | None]) -> None:
    """Restore the context that was current before the :func:`set_tenant` that made ``token``."""
    _current.reset(token)


@contextlib.contextmanager
def tenant_context(
    tenant: str | None = None,
    user: str | None = None,
    *,
    headers: Mapping[str, str | None] | None = None,
    inherit: bool = True,
) -> Iterator[TenantContext]:
    """``set_tenant`` for the body of a ``with`` block, restored on the way out."""
    token = _current.set(_new(tenant, user, headers, inherit))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def current_tenant() -> TenantContext | None:
    """The context a call made now would send, or ``None``."""
    return _current.get()


class TenantContextMiddleware:
    """CALL stage, order 350: after ``default-headers`` (300), before ``session-headers`` (400).

    Once per operation (not per attempt): the context is read when the call starts, so every
    attempt of a retried call carries the same ids even if the context changed meanwhile.
    """

    name = "tenant-context"
    stage = Stage.CALL
    order = 350
    __slots__ = ("_tenant_header", "_user_header")

    def __init__(self, tenant_header: str = TENANT_HEADER, user_header: str = USER_HEADER) -> None:
        build_layer(
            {tenant_header: "", user_header: ""}, "TenantContextMiddleware(...)", allow_none=False
        )
        self._tenant_header = tenant_header
        self._user_header = user_header

    def on_request(self, request: Request) -> None:
        ctx = _current.get()
        if ctx is None:
            return
        headers = request.headers
        if ctx.tenant is not None:
            headers[self._tenant_header] = ctx.tenant
        if ctx.user is not None:
            headers[self._user_header] = ctx.user
        if ctx.headers:
            headers.apply(ctx.headers)

    def __call__(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        self.on_request(request)
        return call_next(request)

    async def acall(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        self.on_request(request)
        return await call_next(request)

    def __repr__(self) -> str:
        return (
            f"TenantContextMiddleware(tenant_header={self._tenant_header!r}, "
            f"user_header={self._user_header!r})"
        )


@hookimpl
def composio_middlewares(config: ClientConfig) -> Sequence[Middleware]:
    return [TenantContextMiddleware()]
