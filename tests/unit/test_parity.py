"""``Composio`` and ``AsyncComposio`` have exactly the same public surface (SPEC §13).

Compared by introspection, so an operation added to one client and forgotten in the other
fails here: every public attribute of the clients, every resource (discovered from live
clients, not from a list), every method's parameter names, kinds and defaults, its return
annotation (``Page`` ↔ ``AsyncPage``, ``Tools`` ↔ ``AsyncTools``), and ``async def`` exactly
where the sync method does I/O.

"Does I/O" is decided structurally: a method both classes share (the very same function,
inherited from a common base: ``create_session``, ``with_options``, a pure helper such as a
webhook verifier) does none and must not be a coroutine in either; a method each class
defines for itself is a driver method and must be ``async def`` on the async side only.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest

from composio import AsyncComposio, AsyncPage, Composio, Page
from composio.models import (
    AsyncConnectionRequest,
    AsyncToolRouterSession,
    ConnectionRequest,
    ToolRouterSession,
)
from composio.resources._base import Resource

#: Dunders whose async spelling differs; every other dunder must match by name.
_DUNDER_TWINS = {
    "__enter__": "__aenter__",
    "__exit__": "__aexit__",
    "__iter__": "__aiter__",
}
#: Object plumbing, not API.
_IGNORED = {"__weakref__", "__slots__", "__module__", "__doc__", "__dict__", "__annotations__"}
_IGNORED |= {"__init_subclass__", "__subclasshook__", "__class_getitem__", "__orig_bases__"}
_IGNORED |= {"__parameters__", "__dataclass_fields__", "__dataclass_params__", "__match_args__"}
_IGNORED |= {"__firstlineno__", "__static_attributes__"}


def _sync_name(name: str) -> str:
    for sync, async_ in _DUNDER_TWINS.items():
        if name == async_:
            return sync
    return name


def _surface(cls: type) -> set[str]:
    """Public names plus the dunders an API user touches (``with``, iteration...)."""
    names = {n for n in dir(cls) if not n.startswith("_")}
    names |= {n for n in dir(cls) if n in _DUNDER_TWINS or n in _DUNDER_TWINS.values()}
    return {_sync_name(n) for n in names}


def _attr(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    raise AttributeError(name)


def _twin_attr(cls: type, name: str) -> Any:
    return _attr(cls, _DUNDER_TWINS.get(name, name) if cls in _ASYNC_SIDE else name)


def _annotation(fn: Any) -> str:
    ann = inspect.signature(fn).return_annotation
    return ann if isinstance(ann, str) else getattr(ann, "__name__", repr(ann))


#: Returned objects whose async twin is another class (its methods that do I/O are awaited).
_RESULT_TWINS = {
    "ConnectionRequest": "AsyncConnectionRequest",
    "Subscription": "AsyncSubscription",
    "ToolRouterSession": "AsyncToolRouterSession",
}


def _async_spelling(annotation: str) -> str:
    """What the async twin's return annotation must read, given the sync one."""
    out = annotation.replace("Page[", "AsyncPage[")
    for sync, async_ in _RESULT_TWINS.items():
        out = re.sub(rf"\b{sync}\b", async_, out)
    if annotation == "Composio":
        return "AsyncComposio"
    if annotation in _RESOURCE_NAMES:
        return "Async" + annotation
    return out


def parity_problems(sync_cls: type, async_cls: type) -> list[str]:
    """Every difference between the two classes' public surfaces, as readable lines."""
    problems: list[str] = []
    only_sync = _surface(sync_cls) - _surface(async_cls)
    only_async = _surface(async_cls) - _surface(sync_cls)
    problems += [f"{sync_cls.__name__}.{n} has no async twin" for n in sorted(only_sync)]
    problems += [f"{async_cls.__name__}.{n} has no sync twin" for n in sorted(only_async)]
    for name in sorted(_surface(sync_cls) & _surface(async_cls)):
        s = _attr(sync_cls, name)
        a = _attr(async_cls, _DUNDER_TWINS.get(name, name))
        where = f"{async_cls.__name__}.{name}"
        if isinstance(s, property) != isinstance(a, property):
            problems.append(f"{where}: property on one side only")
            continue
        if isinstance(s, property):
            continue  # readable settings and resources; resources are compared separately
        if not callable(s) or not callable(a):
            if s != a:
                problems.append(f"{where}: class attribute differs ({s!r} vs {a!r})")
            continue
        shared = s is a
        if shared:
            if inspect.iscoroutinefunction(s):
                problems.append(f"{where}: shared (no I/O) but a coroutine function")
            continue
        if inspect.iscoroutinefunction(s):
            problems.append(f"{sync_cls.__name__}.{name}: the sync side is a coroutine")
        if not (inspect.iscoroutinefunction(a) or inspect.isasyncgenfunction(a)):
            problems.append(f"{where}: does I/O on the sync side but is not async def")
        ss, sa = inspect.signature(s), inspect.signature(a)
        ps = [(p.name, p.kind, p.default) for p in ss.parameters.values()]
        pa = [(p.name, p.kind, p.default) for p in sa.parameters.values()]
        if name == "__exit__":
            continue  # (*exc) vs (*exc): nothing to compare beyond existence
        if ps != pa:
            problems.append(f"{where}: parameters differ:\n  sync  {ps}\n  async {pa}")
        want = _async_spelling(_annotation(s))
        if name not in ("__iter__", "iter_pages") and _annotation(a) != want:
            problems.append(f"{where}: returns {_annotation(a)!r}, expected {want!r}")
    return problems


# -- discovery -------------------------------------------------------------------------------


def _clients() -> tuple[Composio, AsyncComposio]:
    """Live clients (construction does no I/O): their properties show the resources."""
    kw: dict[str, Any] = {"api_key": "k", "base_url": "http://127.0.0.1:9", "allow_tracking": False}
    return Composio(**kw), AsyncComposio(**kw)


def _resources(obj: object, path: str = "") -> Iterator[tuple[str, Resource[Any]]]:
    """Every resource reachable from ``obj`` through public properties, recursively."""
    for name in sorted(n for n in dir(type(obj)) if not n.startswith("_")):
        if not isinstance(_attr(type(obj), name), property):
            continue
        value = getattr(obj, name)
        if isinstance(value, Resource):
            yield f"{path}{name}", value
            yield from _resources(value, f"{path}{name}.")


_SYNC, _ASYNC = _clients()
_SYNC_RESOURCES = dict(_resources(_SYNC))
_ASYNC_RESOURCES = dict(_resources(_ASYNC))
_RESOURCE_NAMES = {type(r).__name__ for r in _SYNC_RESOURCES.values()}
_ASYNC_SIDE: set[type] = {AsyncComposio, AsyncPage, AsyncConnectionRequest, AsyncToolRouterSession}
_ASYNC_SIDE |= {type(r) for r in _ASYNC_RESOURCES.values()}


def test_resources_are_discovered_not_listed() -> None:
    # The discovery must find what SPEC §2 names, so an empty walk cannot pass vacuously.
    assert {"tools", "toolkits", "connected_accounts", "auth_configs"} <= set(_SYNC_RESOURCES)
    assert set(_SYNC_RESOURCES) == set(_ASYNC_RESOURCES)


def test_the_clients_have_the_same_surface() -> None:
    assert parity_problems(Composio, AsyncComposio) == []


@pytest.mark.parametrize("path", sorted(_SYNC_RESOURCES))
def test_each_resource_has_the_same_methods_signatures_and_async_io(path: str) -> None:
    sync_cls = type(_SYNC_RESOURCES[path])
    async_cls = type(_ASYNC_RESOURCES[path])
    assert async_cls.__name__ == "Async" + sync_cls.__name__
    assert parity_problems(sync_cls, async_cls) == []
    # Every public method of a resource does I/O: a coroutine on the async side.
    io = [n for n in _surface(sync_cls) if callable(_attr(sync_cls, n))]
    assert io, f"{path} has no methods"


def test_pages_have_the_same_surface() -> None:
    assert parity_problems(Page, AsyncPage) == []


def test_connection_requests_have_the_same_surface() -> None:
    # ``link``/``initiate``/``refresh`` return these; waiting is awaited on the async one.
    assert parity_problems(ConnectionRequest, AsyncConnectionRequest) == []
    assert inspect.iscoroutinefunction(AsyncConnectionRequest.wait_for_connection)
    assert issubclass(AsyncConnectionRequest, ConnectionRequest)  # isinstance checks carry over


def test_live_router_sessions_have_the_same_surface_and_await_every_io_method() -> None:
    # The async session is hand-written (thin delegations to the generated facade): this is
    # what keeps it equal to the sync one, method by method.
    assert parity_problems(ToolRouterSession, AsyncToolRouterSession) == []
    live = ("tools", "search", "execute", "handle_tool_calls", "authorize", "toolkits")
    assert all(inspect.iscoroutinefunction(getattr(AsyncToolRouterSession, m)) for m in live)
    assert issubclass(AsyncToolRouterSession, ToolRouterSession)


def test_async_methods_are_coroutines_where_sync_does_io() -> None:
    assert inspect.iscoroutinefunction(AsyncComposio.request)
    assert inspect.iscoroutinefunction(AsyncComposio.close)
    assert not inspect.iscoroutinefunction(AsyncComposio.create_session)
    assert not inspect.iscoroutinefunction(AsyncComposio.with_options)
    assert AsyncComposio.create_session is Composio.create_session  # one implementation


def test_derivation_keeps_the_client_kind() -> None:
    session = _ASYNC.create_session(headers={"x-user-id": "a"})
    assert type(session) is AsyncComposio and type(session.with_options(max_retries=0)) is (
        AsyncComposio
    )
    assert type(_SYNC.create_session()) is Composio


# -- the checker itself must catch what it is for ---------------------------------------------


class _SyncFake:
    def list(self, a: int, *, limit: int | None = None) -> Page[int]:
        raise NotImplementedError

    def forgotten(self) -> None:
        raise NotImplementedError

    def pure(self) -> int:
        return 1


class _AsyncFake:
    async def list(self, a: int, *, limit: int | None = 10) -> AsyncPage[int]:
        raise NotImplementedError

    def pure(self) -> int:  # a second implementation: counted as I/O, must be async
        return 1


def test_the_checker_reports_a_forgotten_method_a_default_and_a_sync_twin() -> None:
    problems = "\n".join(parity_problems(_SyncFake, _AsyncFake))
    assert "_SyncFake.forgotten has no async twin" in problems
    assert "list: parameters differ" in problems  # limit=None vs limit=10
    assert "pure: does I/O on the sync side but is not async def" in problems


def test_verify_webhook_is_the_same_pure_function_on_both_clients() -> None:
    # SPEC §14: pure, no I/O, the same function on both clients -- so a plain method (not a
    # coroutine) on the async client. The checker accepts it because it is shared, not
    # because it is exempted: a second implementation on one side would be reported as I/O.
    from composio.resources.triggers import AsyncTriggers, Triggers
    from composio.webhooks import verify_webhook

    assert "triggers" in _SYNC_RESOURCES
    for triggers in (_SYNC.triggers, _ASYNC.triggers):
        assert triggers.verify_webhook is verify_webhook
        assert not inspect.iscoroutinefunction(triggers.verify_webhook)
    assert _attr(Triggers, "verify_webhook") is _attr(AsyncTriggers, "verify_webhook")
    assert parity_problems(Triggers, AsyncTriggers) == []


# -- with_raw_response (SPEC §18) ----------------------------------------------------------------


def _params(fn: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def test_with_raw_response_has_every_resource_on_both_clients() -> None:
    for client in (_SYNC, _ASYNC):
        view = client.with_raw_response
        names = {n for n in dir(type(view)) if isinstance(_attr(type(view), n), property)}
        assert names == set(_SYNC_RESOURCES)
    assert isinstance(_attr(Composio, "with_raw_response"), property)
    assert isinstance(_attr(AsyncComposio, "with_raw_response"), property)


@pytest.mark.parametrize("path", sorted(_SYNC_RESOURCES))
def test_with_raw_response_wraps_each_io_method_with_the_same_parameters(path: str) -> None:
    # The views are generated (scripts/unasync.py); this holds them to the facades: exactly
    # the methods that do I/O (async def on AsyncComposio), the same parameters, awaitable
    # exactly on the async client.
    sync_res, async_res = _SYNC_RESOURCES[path], _ASYNC_RESOURCES[path]
    async_cls = type(async_res)
    io = {n for n in _surface(async_cls) if inspect.iscoroutinefunction(_attr(async_cls, n))}
    sync_view = getattr(_SYNC.with_raw_response, path)
    async_view = getattr(_ASYNC.with_raw_response, path)
    assert io and set(type(sync_view).__slots__) == set(type(async_view).__slots__) == io
    for name in sorted(io):
        s, a = getattr(sync_view, name), getattr(async_view, name)
        assert not inspect.iscoroutinefunction(s), f"{path}.{name}"
        assert inspect.iscoroutinefunction(a), f"{path}.{name}"
        assert _params(s) == _params(getattr(sync_res, name)) == _params(a), f"{path}.{name}"
