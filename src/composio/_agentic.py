"""The ``execute`` that ``tools.get`` hands an agentic provider (SPEC §17).

Why here and not in the providers: providers stay pure (no client reference); this is the
one object that binds a client (its session headers, plugins, retries, telemetry), a user
and the call's modifiers, and every framework's tool goes through it. It runs the client's
public ``tools.execute`` -- the same path as a direct call -- so whatever that path applies
(plugins' hooks, modifiers, guardrails, idempotency, tracing) applies to a framework's calls
too, with nothing repeated here.

Why it never raises for a failed execution: an exception would escape into the framework's
agent loop and end the run; the model should instead read what went wrong and carry on.
Only cancellation (``BaseException``) passes through, so a framework can still stop a call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from composio._untrusted import exception_text
from composio.errors import ComposioError, NotFoundError
from composio.providers._calls import arguments_from_object, arguments_from_text

if TYPE_CHECKING:
    from composio.async_client import AsyncComposio
    from composio.client import Composio
    from composio.models import ToolExecution
    from composio.modifiers import Modifier

__all__ = ["AsyncExecute", "SyncExecute", "bind_execute", "failure"]

_NOT_RUNNING = (
    "the AsyncComposio client's event loop is not running; run the agent on that loop "
    "(the framework's async API), or use Composio"
)

#: longest error text handed to a model for an unexpected exception
_WHY_LIMIT = 500


def failure(why: str) -> dict[str, Any]:
    """The outcome of an execution that did not succeed, for the model to read."""
    return {"data": None, "error": why, "successful": False}


def _outcome(result: ToolExecution) -> dict[str, Any]:
    data = dict(result.data) if result.data is not None else None
    return {"data": data, "error": result.error, "successful": bool(result.successful)}


def _arguments(slug: object, arguments: object) -> dict[str, Any] | str:
    """The arguments as a dict, or why they cannot be executed (never sent, then)."""
    if not isinstance(slug, str) or not slug:
        return f"the tool name must be a non-empty string, got {type(slug).__name__}"
    if arguments is None or isinstance(arguments, str):
        call = arguments_from_text("", slug, arguments)
    else:
        call = arguments_from_object("", slug, arguments)
    return call.error if call.error is not None else call.arguments


def _why(slug: str, exc: Exception) -> str:
    if isinstance(exc, NotFoundError):
        # Most often the tool's name; the API's own words say when it is something else
        # (a connected account, say).
        return (
            f"unknown tool {slug!r}, or something it needs was not found; call one of the "
            f"tools you were given ({exc.message:.300})"
        )
    if isinstance(exc, ComposioError):
        return exc.message
    # Not one of ours (a framework or a user's code raised inside the path): its type and
    # first line, bounded and readable (its str() is user code too) -- the model needs the
    # gist, not a traceback.
    text = " ".join(exception_text(exc).split())
    return text if len(text) <= _WHY_LIMIT else text[: _WHY_LIMIT - 3] + "..."


class _Execute:
    __slots__ = ("_options", "_user_id")

    is_async = False

    def __init__(self, user_id: str, modifiers: Sequence[Modifier[Any]]) -> None:
        self._user_id = user_id
        #: ``tools.execute``'s keywords: a failed tool is a result to read, not an exception
        self._options: dict[str, Any] = {
            "user_id": user_id,
            "raise_on_error": False,
            "modifiers": list(modifiers),
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} user_id={self._user_id!r}>"


class SyncExecute(_Execute):
    """``execute`` on ``Composio``: blocking; ``arun`` runs it in a worker thread."""

    __slots__ = ("_client",)

    def __init__(self, client: Composio, user_id: str, modifiers: Sequence[Modifier[Any]]) -> None:
        super().__init__(user_id, modifiers)
        self._client = client

    def __call__(self, slug: str, arguments: object) -> dict[str, Any]:
        return self.run(slug, arguments)

    def run(self, slug: str, arguments: object) -> dict[str, Any]:
        try:
            checked = _arguments(slug, arguments)
            if isinstance(checked, str):
                return failure(checked)
            result = self._client.tools.execute(slug, checked, **self._options)
        except Exception as exc:  # whatever the model or the path threw: the model reads it
            return failure(_why(str(slug), exc))
        return _outcome(result)

    async def arun(self, slug: str, arguments: object) -> dict[str, Any]:
        # A worker thread: the sync client blocks, and the framework's loop must not.
        return await asyncio.to_thread(self.run, slug, arguments)


class AsyncExecute(_Execute):
    """``execute`` on ``AsyncComposio``: awaits natively; ``run`` (a framework's sync path,
    in its worker thread) hands the call to the client's loop and waits for it."""

    __slots__ = ("_client", "_loop")

    is_async = True

    def __init__(
        self,
        client: AsyncComposio,
        user_id: str,
        modifiers: Sequence[Modifier[Any]],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(user_id, modifiers)
        self._client = client
        self._loop = loop  # the loop tools.get ran on: the client's pool belongs to it

    def __call__(self, slug: str, arguments: object) -> Any:
        return self.arun(slug, arguments)

    async def arun(self, slug: str, arguments: object) -> dict[str, Any]:
        if asyncio.get_running_loop() is self._loop:
            return await self._execute(slug, arguments)
        # A framework running its own loop (``Runner.run_sync`` makes one): the client's
        # pool belongs to its loop, so the call runs there and this loop awaits it.
        if self._loop.is_closed() or not self._loop.is_running():
            return failure(_NOT_RUNNING)
        future = asyncio.run_coroutine_threadsafe(self._execute(slug, arguments), self._loop)
        return await asyncio.wrap_future(future)

    async def _execute(self, slug: str, arguments: object) -> dict[str, Any]:
        try:
            checked = _arguments(slug, arguments)
            if isinstance(checked, str):
                return failure(checked)
            result = await self._client.tools.execute(slug, checked, **self._options)
        except Exception as exc:  # whatever the model or the path threw: the model reads it
            return failure(_why(str(slug), exc))
        return _outcome(result)

    def run(self, slug: str, arguments: object) -> dict[str, Any]:
        if self._loop.is_closed() or not self._loop.is_running():
            return failure(_NOT_RUNNING)
        if _on_loop_thread(self._loop):
            # Blocking here would stall the very loop that must run the call.
            return failure(
                f"tool {slug!r} was called synchronously on the event loop's thread; with "
                "AsyncComposio use the framework's async API (or use Composio)"
            )
        future = asyncio.run_coroutine_threadsafe(self._execute(slug, arguments), self._loop)
        return future.result()


def _on_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether this thread is running ``loop`` (a running loop is its thread's running loop)."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def bind_execute(
    client: Any, user_id: str, modifiers: Sequence[Modifier[Any]] | None
) -> SyncExecute | AsyncExecute:
    """``tools.get``'s ``execute`` for ``client``: on ``AsyncComposio`` called inside the
    coroutine, so the running loop is the one the client's pool belongs to."""
    if getattr(client, "_asynchronous", False):
        return AsyncExecute(client, user_id, modifiers or (), asyncio.get_running_loop())
    return SyncExecute(client, user_id, modifiers or ())
