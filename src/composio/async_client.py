"""``AsyncComposio``: the asyncio client (SPEC §13).

Everything that does no I/O is :class:`~composio.client.BaseClient`'s, shared with
``Composio``: the keywords, validation, ``create_session``/``with_options`` (sync, no I/O),
``headers``, ``chain``, ``repr`` and how each operation's request is prepared. This class adds
the async driver only: the chain composed with ``acall``/policies, the aiohttp transport, and
``_arun`` to run an operation with awaits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from composio._async_resource_properties import AsyncResourceProperties
from composio._local_call import LocalCall
from composio._operation import Blocking, Flow, Operation, PageData, Sleep, flow_name
from composio._ops.raw import request_operation
from composio._raw_response import FlowScope
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.client import BaseClient
from composio.errors import ComposioError
from composio.pipeline import Request, Response, acompose

if TYPE_CHECKING:
    from composio._realtime import Filters
    from composio.models import ToolExecution
    from composio.pagination import AsyncPage
    from composio.realtime import AsyncSubscription

__all__ = ["AsyncComposio"]

T = TypeVar("T")


async def _blocking_step(step: Blocking) -> Any:
    """A flow's disk step in a worker thread. Cancelled while the thread runs, the thread
    still finishes (a thread cannot be stopped) and the step's ``undo`` releases what it
    made (an open file, a created download), which the flow will never see."""
    import asyncio

    task = asyncio.ensure_future(asyncio.to_thread(step.fn, *step.args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        undo = step.undo
        if undo is not None:

            def release(done: asyncio.Future[Any]) -> None:
                if not done.cancelled() and done.exception() is None:
                    undo(done.result())

            task.add_done_callback(release)
        raise


class AsyncComposio(AsyncResourceProperties, BaseClient):
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

    # -- the driver ----------------------------------------------------------------------
    async def _arun(self, op: Operation[T]) -> T:
        # No pool slot is held here: the transport takes one per attempt (SPEC §13, the
        # pool gate), so a retry's wait, the parsing and every middleware run without one.
        handler = self._handler_for(op)
        if op.raw:  # client.request: reported by the telemetry middleware itself
            return self._finish(op, await self._paced(handler, op))
        with self._built.operation(op.name):  # a context variable: one scope per task
            return self._finish(op, await self._paced(handler, op))

    async def _paced(self, handler: Any, op: Operation[Any]) -> Response:
        """The chain, once the loop has a turn with room for this call to start (the pool's
        pacer: bounded work per turn when many calls are gathered). The deadline is set
        first, so that wait counts against it."""
        request = self._prepare(op)
        turn = self._runtime.transport.pace()
        if turn is not None:
            await turn
        return await handler(request)  # type: ignore[no-any-return]

    async def _arun_page(self, op: Operation[PageData[T]]) -> AsyncPage[T]:
        data = await self._arun(op)
        next_page = op.next_page

        async def fetch(cursor: str) -> AsyncPage[T]:
            assert next_page is not None
            return await self._arun_page(next_page(cursor))

        return data.page(self._built.page, fetch if next_page is not None else None)

    async def _arun_flow(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        # the flow's requests join one operation; its value gets its last request id
        with self._built.operation(flow_name(step)), FlowScope() as scope:
            try:
                while True:
                    if isinstance(step, Sleep):
                        import asyncio  # only flows that wait need it

                        await asyncio.sleep(step.seconds)
                        step = flow.send(None)
                        continue
                    try:
                        if isinstance(step, LocalCall):
                            result = await self._arun_local(step)
                        elif isinstance(step, Blocking):
                            result = await _blocking_step(step)
                        else:
                            result = await self._arun(step)
                    except ComposioError as exc:
                        step = flow.throw(exc)  # the flow may handle it (a poll to retry)
                        continue
                    step = flow.send(result)
            except StopIteration as done:
                return scope.finish(done.value)  # type: ignore[no-any-return]
            finally:
                flow.close()  # a cancelled await must not leave the flow suspended

    async def _arun_flows(self, flows: Sequence[Flow[T]], parallel: bool, name: str) -> list[T]:
        """Run several flows: in order, or (``parallel``) as tasks, at most ``MAX_PARALLEL``
        running at once (a semaphore); results in the flows' order. If one raises, the
        others are cancelled and the error propagates."""
        with self._built.operation(name):  # one public operation, however many requests and tasks
            if not parallel or len(flows) < 2:
                return [await self._arun_flow(flow) for flow in flows]
            return await self._arun_flows_as_tasks(flows)

    async def _arun_flows_as_tasks(self, flows: Sequence[Flow[T]]) -> list[T]:
        import asyncio

        from composio._tool_calls import MAX_PARALLEL

        slots = asyncio.Semaphore(MAX_PARALLEL)

        async def one(flow: Flow[T]) -> T:
            async with slots:
                return await self._arun_flow(flow)

        tasks = [asyncio.ensure_future(one(flow)) for flow in flows]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            raise

    @staticmethod
    async def _arun_blocking(fn: Callable[..., T], *args: Any) -> T:
        """A blocking step of a facade (reading a file) in a worker thread, so it cannot
        stall the event loop (SPEC §13)."""
        import asyncio

        return await asyncio.to_thread(fn, *args)

    async def _arun_subscribe(self, filters: Filters) -> AsyncSubscription:
        """``triggers.subscribe``: returns once subscribed (``composio.realtime``)."""
        from composio.realtime import AsyncSubscription

        return await AsyncSubscription._open(self, filters)

    async def _arun_local(self, call: LocalCall) -> ToolExecution:
        """A custom tool's execution through the CALL-stage middlewares, no HTTP. An
        ``async def`` tool is awaited on the loop; a plain one runs in a worker thread, so a
        blocking function cannot stall the loop (its proxy hops back onto the loop)."""
        import asyncio

        tool, arguments = call.tool, call.arguments
        account = call.account

        async def run_here(request: Request) -> Response:
            started = time.perf_counter()
            if tool.is_async:
                proxy = self._tool_proxy(account) if account is not None else None
                execution = await tool.aexecute(arguments, proxy=proxy)
            else:
                loop = asyncio.get_running_loop()
                proxy = self._threaded_proxy(account, loop) if account is not None else None
                execution = await asyncio.to_thread(tool.execute, arguments, proxy=proxy)
            return call.respond(request, execution, started)

        handler = acompose(self._built.call_stage, run_here)
        return self._finish(call.op, await handler(self._prepare(call.op)))

    def _threaded_proxy(self, account: str, loop: Any) -> Any:
        """A blocking ``ToolProxy`` for a plain tool running in a worker thread: each call
        is run on the client's loop and waited for."""
        import asyncio

        aproxy = self._tool_proxy(account)

        def proxy(
            endpoint: str,
            method: str,
            *,
            body: object = None,
            parameters: Sequence[Mapping[str, str]] | None = None,
        ) -> Any:
            coro = aproxy(endpoint, method, body=body, parameters=parameters)
            return asyncio.run_coroutine_threadsafe(coro, loop).result()

        return proxy

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
