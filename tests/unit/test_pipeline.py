"""The chain engine with an in-memory terminal (no network: this is the unit level)."""

from __future__ import annotations

import time

import pytest

from composio import CallContext, CallNext, Middleware, Request, Response, Stage, Timeout
from composio.headers import Headers
from composio.middlewares.headers import (
    AuthMiddleware,
    IdentityMiddleware,
    SessionHeadersMiddleware,
    new_request_id,
)
from composio.pipeline import compose, sort_chain


class Trace:
    def __init__(self, name: str, stage: Stage, log: list[str], order: int = 0) -> None:
        self.name, self.stage, self.order, self.log = name, stage, order, log

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        self.log.append(f">{self.name}")
        try:
            return call_next(request)
        finally:
            self.log.append(f"<{self.name}")


def _ctx(**kw: object) -> CallContext:
    t = Timeout()
    return CallContext("test.op", t, time.monotonic() + t.total, 0, **kw)  # type: ignore[arg-type]


def test_compose_runs_outermost_first_and_unwinds() -> None:
    log: list[str] = []
    chain = sort_chain(
        [
            Trace("c", Stage.ATTEMPT, log),
            Trace("a", Stage.CALL, log, 1),
            Trace("b", Stage.RETRY, log),
            Trace("a0", Stage.CALL, log, 1),
        ]
    )
    assert [m.name for m in chain] == ["a", "a0", "b", "c"]
    sentinel = object()

    def terminal(request: Request) -> Response:
        log.append("transport")
        return sentinel  # type: ignore[return-value]

    handler = compose(chain, terminal)
    assert handler(Request("GET", "http://x", context=_ctx())) is sentinel
    assert log == [">a", ">a0", ">b", ">c", "transport", "<c", "<b", "<a0", "<a"]


def test_middleware_protocol_is_runtime_checkable() -> None:
    assert isinstance(AuthMiddleware("k"), Middleware)
    assert not isinstance(object(), Middleware)


def test_header_middlewares_write_their_layers() -> None:
    seen: dict[str, str] = {}

    def terminal(request: Request) -> Response:
        seen.update(request.headers.to_wire())
        return None  # type: ignore[return-value]

    chain = sort_chain(
        [AuthMiddleware("key-1"), IdentityMiddleware("openai"), SessionHeadersMiddleware()]
    )
    handler = compose(chain, terminal)
    layer = {"x-request-id": ("X-Request-Id", "fixed"), "x-user": ("x-user", "u")}
    handler(Request("GET", "http://x", context=_ctx(session_layer=layer)))
    assert seen["x-api-key"] == "key-1"
    assert seen["x-framework"] == "openai" and seen["x-source"] == "PYTHON_SDK"
    assert seen["X-Request-Id"] == "fixed" and "x-request-id" not in seen
    assert seen["x-user"] == "u"
    assert "key-1" not in repr(chain)


def test_request_ids_are_uuid4_hex_and_unique() -> None:
    import uuid

    ids = {new_request_id() for _ in range(2000)}
    assert len(ids) == 2000
    for value in list(ids)[:50]:
        parsed = uuid.UUID(hex=value)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_request_repr_redacts_query_and_header_values() -> None:
    headers = Headers({"x-api-key": "secretvalue", "x-request-id": "rid"})
    r = Request("GET", "http://h/p?token=abc", context=_ctx(), headers=headers)
    assert "abc" not in repr(r) and "token=***" in repr(r)
    assert "secretvalue" not in repr(r.headers) and "rid" in repr(r.headers)


@pytest.mark.parametrize("stage", list(Stage))
def test_stages_are_ordered(stage: Stage) -> None:
    assert Stage.CALL < Stage.RETRY < Stage.ATTEMPT
    assert int(stage) in (0, 1, 2)
