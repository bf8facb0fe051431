"""``AsyncComposio``: the asyncio client (SPEC §13).

Everything that does no I/O is :class:`~composio.client.BaseClient`'s, shared with
``Composio``: the keywords, validation, ``create_session``/``with_options`` (sync, no I/O),
``headers``, ``chain``, ``repr`` and how each operation's request is prepared. This class adds
the async driver only: the chain composed with ``acall``/policies, the aiohttp transport, and
``_arun`` to run an operation with awaits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from composio._operation import Flow, Operation, PageData, Sleep, flow_name
from composio._ops.raw import request_operation
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.client import BaseClient
from composio.errors import ComposioError
from composio.pipeline import Response

if TYPE_CHECKING:
    from composio.pagination import AsyncPage
    from composio.resources import (
        AsyncAuthConfigs,
        AsyncConnectedAccounts,
        AsyncToolkits,
        AsyncTools,
    )
    from composio.resources.files import AsyncFiles
    from composio.resources.mcp import AsyncMcp
    from composio.resources.tool_router import AsyncToolRouter
    from composio.resources.triggers import AsyncTriggers

__all__ = ["AsyncComposio"]

T = TypeVar("T")


class AsyncComposio(BaseClient):
    """A client of the Composio API for asyncio; same keywords as ``Composio``.

    ``async with AsyncComposio(...) as client`` or ``await client.close()``. The connection
    pool is created on the first call, inside the running event loop, and belongs to it.
    """

    __slots__ = ()
    _asynchronous = True

    @classmethod
    def _new_transport(cls, base_url: str, verify: bool | str, pool_maxsize: int) -> Any:
        from composio.async_transport import AiohttpTransport

        return AiohttpTransport(base_url, verify=verify, pool_maxsize=pool_maxsize)

    # -- resources -----------------------------------------------------------------------
    @property
    def tool_router(self) -> AsyncToolRouter:
        from composio.resources.tool_router import AsyncToolRouter

        return AsyncToolRouter(self)

    @property
    def mcp(self) -> AsyncMcp:
        from composio.resources.mcp import AsyncMcp

        return AsyncMcp(self)

    @property
    def files(self) -> AsyncFiles:
        from composio.resources.files import AsyncFiles

        return AsyncFiles(self)

    @property
    def triggers(self) -> AsyncTriggers:
        from composio.resources.triggers import AsyncTriggers

        return AsyncTriggers(self)

    @property
    def tools(self) -> AsyncTools:
        from composio.resources.tools import AsyncTools

        return AsyncTools(self)

    @property
    def toolkits(self) -> AsyncToolkits:
        from composio.resources.toolkits import AsyncToolkits

        return AsyncToolkits(self)

    @property
    def connected_accounts(self) -> AsyncConnectedAccounts:
        from composio.resources.connected_accounts import AsyncConnectedAccounts

        return AsyncConnectedAccounts(self)

    @property
    def auth_configs(self) -> AsyncAuthConfigs:
        from composio.resources.auth_configs import AsyncAuthConfigs

        return AsyncAuthConfigs(self)

    # -- the driver ----------------------------------------------------------------------
    async def _arun(self, op: Operation[T]) -> T:
        # Why a gate of pool size in front of the chain: 1,000 calls gathered at once would
        # otherwise all run their first step -- chain, request set-up, up to aiohttp's
        # connector queue -- in one turn of the loop, starving every other task for as long.
        # Waiting here costs a call nothing (a semaphore's fast path does not yield) until
        # the pool is busy, and keeps the work per turn bounded by the pool size (SPEC §13:
        # p99 loop lag). A retry's wait keeps its slot: the budget bounds those.
        async with self._runtime.transport.gate:
            handler = self._handler_for(op)
            if op.raw:  # client.request: reported by the telemetry middleware itself
                return self._finish(op, await handler(self._prepare(op)))
            with self._built.operation(op.name):  # a context variable: one scope per task
                return self._finish(op, await handler(self._prepare(op)))

    async def _arun_page(self, op: Operation[PageData[T]]) -> AsyncPage[T]:
        from composio.pagination import AsyncPage

        data = await self._arun(op)
        next_page = op.next_page

        async def fetch(cursor: str) -> AsyncPage[T]:
            assert next_page is not None
            return await self._arun_page(next_page(cursor))

        return data.page(AsyncPage, fetch if next_page is not None else None)

    async def _arun_flow(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        with self._built.operation(flow_name(step)):  # the flow's requests join one operation
            try:
                while True:
                    if isinstance(step, Sleep):
                        import asyncio  # only flows that wait need it

                        await asyncio.sleep(step.seconds)
                        step = flow.send(None)
                        continue
                    try:
                        result = await self._arun(step)
                    except ComposioError as exc:
                        step = flow.throw(exc)  # the flow may handle it (a poll to retry)
                        continue
                    step = flow.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            finally:
                flow.close()  # a cancelled await must not leave the flow suspended

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json: object = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Response:
        """Send any request through the full chain (operation ``"request"``).

        ``path`` is relative to ``base_url`` and must start with ``/``. 4xx/5xx raise.
        """
        return await self._arun(
            request_operation(
                method,
                path,
                params=params,
                json=json,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    # -- lifecycle -----------------------------------------------------------------------
    async def close(self) -> None:
        """Close the pool and flush telemetry -- only on the client that owns them. The
        telemetry flush (bounded, 1 s) runs in a worker thread, off the event loop."""
        if self._owns_runtime:
            await self._runtime.aclose()

    async def __aenter__(self) -> AsyncComposio:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._owns_runtime:
            await self._runtime.aclose("the exit of its 'async with' block")
