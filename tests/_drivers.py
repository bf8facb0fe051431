"""Run one test on both clients (SPEC §13: "identical semantics").

``driver.client(**kw)`` returns a ``Composio`` (sync driver) or an ``AsyncComposio`` seen
through :class:`SyncView` (async driver): every awaitable method is run on a real event loop
in a background thread, with real aiohttp against the real loopback server, and its result or
exception handed back unchanged. So the sync integration tests can state a rule once and check
it on both clients; only what the view cannot express (``isinstance(x, Composio)``, thread
counts of the sync pool) stays sync-only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import inspect
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

from composio import AsyncComposio, AsyncPage, Composio, RawResponse
from composio.models import AsyncConnectionRequest
from composio.resources._base import Resource

__all__ = ["Driver", "LoopThread", "SyncView"]

T = TypeVar("T")


class LoopThread:
    """An event loop running in a daemon thread; ``run(coro)`` waits for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Await ``coro`` on the loop *in the caller's context* (contextvars copied at the
        call, as ``await`` in the caller's own task would see them: an application's current
        span, for one)."""
        caller = contextvars.copy_context()
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def start() -> None:
            task = caller.run(self.loop.create_task, coro)  # the task copies the caller's

            def finish(t: asyncio.Task[T]) -> None:
                if t.cancelled():
                    done.cancel()
                elif t.exception() is not None:
                    done.set_exception(t.exception())  # type: ignore[arg-type]
                else:
                    done.set_result(t.result())

            task.add_done_callback(finish)

        self.loop.call_soon_threadsafe(start)
        return done.result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class SyncView:
    """An ``AsyncComposio`` (or its resource, or page) behind the sync surface."""

    __slots__ = ("_loop", "_target")

    def __init__(self, target: Any, loop: LoopThread) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_loop", loop)

    @property
    def target(self) -> Any:
        return self._target

    def _wrap(self, value: Any) -> Any:
        # a with_raw_response view (its awaitable methods) and a RawResponse (whose parse()
        # may hold an AsyncPage) are run and unwrapped the same way
        raw_view = type(value).__module__ == "composio._raw_views"
        if raw_view or isinstance(
            value, (AsyncComposio, Resource, AsyncConnectionRequest, RawResponse)
        ):
            return SyncView(value, self._loop)
        if isinstance(value, AsyncPage):
            return SyncPage(value, self._loop)
        return value

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if inspect.iscoroutinefunction(value):

            def run(*args: Any, **kwargs: Any) -> Any:
                return self._wrap(self._loop.run(value(*args, **kwargs)))

            return run
        if inspect.ismethod(value):

            def call(*args: Any, **kwargs: Any) -> Any:
                return self._wrap(value(*args, **kwargs))

            return call
        return self._wrap(value)

    def __setattr__(self, name: str, value: object) -> None:
        setattr(self._target, name, value)  # the client's own immutability error

    def __enter__(self) -> SyncView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._target)

    __str__ = __repr__


class SyncPage:
    """An ``AsyncPage`` iterated (every page, lazily) and paged through the loop thread."""

    def __init__(self, page: AsyncPage[Any], loop: LoopThread) -> None:
        self._page = page
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page, name)

    def __len__(self) -> int:
        return len(self._page)

    def next_page(self) -> SyncPage | None:
        nxt = self._loop.run(self._page.next_page())
        return None if nxt is None else SyncPage(nxt, self._loop)

    def __iter__(self) -> Iterator[Any]:
        page: SyncPage | None = self
        while page is not None:
            yield from page._page.items
            page = page.next_page()


class Driver:
    """Makes clients of one kind; closes what it made at the end of the test."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.loop: LoopThread | None = LoopThread() if kind == "async" else None
        self._made: list[Any] = []

    @property
    def is_async(self) -> bool:
        return self.loop is not None

    def wait(self, value: Any) -> Any:
        """``value``, awaited on the loop first when it is awaitable (what an object the view
        does not wrap -- a live ``AsyncToolRouterSession``'s methods -- returns)."""
        if not inspect.isawaitable(value):
            return value
        assert self.loop is not None, "the sync client returned an awaitable"
        result = self.loop.run(value)  # type: ignore[arg-type]
        return SyncView(result, self.loop)._wrap(result)  # a page, a connection request...

    def client(self, **kw: Any) -> Any:
        """``Composio(**kw)``, or ``AsyncComposio(**kw)`` behind a :class:`SyncView`."""
        if self.loop is None:
            client: Any = Composio(**kw)
        else:
            client = SyncView(AsyncComposio(**kw), self.loop)
        self._made.append(client)
        return client

    def close(self) -> None:
        for client in self._made:
            with contextlib.suppress(Exception):
                client.close()
        if self.loop is not None:
            self.loop.stop()
