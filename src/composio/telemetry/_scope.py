"""One telemetry event per *public* operation (SPEC §7, §12.11).

The ``telemetry`` middleware sees HTTP calls, not public operations, and two things make the
two differ:

* a public method may make several calls, or a call under another method's name
  (``tools.get`` runs ``tools.list`` or ``tools.retrieve`` inside);
* the outcome the caller sees is decided after the chain returns: a 200 whose body cannot be
  parsed becomes an ``APIError`` in the resource, long after the middleware saw "200".

So every public resource method runs inside a :func:`public_operation` scope (a context
variable, so threads and asyncio tasks each have their own). While a scope is open, the first
tracking middleware that sees a call *claims* it and only adds to it (attempts, the last
call's outcome); the scope emits one event when the method returns or raises, named after the
outermost public method, with the exception the caller actually got. A nested public call
(``tools.get`` -> ``tools.list``) joins its caller's scope and is not reported separately.

A call made outside any scope (``client.request``, a middleware's own call) is reported by the
middleware directly, as before.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from contextvars import Context, ContextVar, copy_context
from typing import Any, Protocol, TypeVar, cast

_perf = time.perf_counter

__all__ = ["Scope", "context_between_operations", "current_scope", "operation", "public_operation"]

F = TypeVar("F", bound=Callable[..., Any])


class Reporter(Protocol):
    """What a scope needs from the middleware that claimed it."""

    def emit(self, name: str, started: float, t0: float, status: str, attempts: int) -> None: ...


class Scope:
    """The telemetry state of one public operation in flight.

    Built on every public call, tracking on or off, so it does the least it can: one clock
    read; the wall-clock start is derived from it only when an event is emitted.
    """

    __slots__ = ("attempts", "name", "outcome", "reporter", "t0")

    def __init__(self, name: str) -> None:
        self.name = name
        self.t0 = _perf()
        self.reporter: Reporter | None = None
        self.attempts = 0
        self.outcome = "ok"

    def claim(self, reporter: Reporter) -> bool:
        """True when ``reporter`` reports this operation (the first tracking client to call)."""
        if self.reporter is None:
            self.reporter = reporter
            return True
        return self.reporter is reporter

    def note(self, attempts: int, outcome: str) -> None:
        self.attempts += attempts
        self.outcome = outcome

    def finish(self, error: BaseException | None) -> None:
        reporter = self.reporter
        if reporter is None:  # nothing was sent, or tracking is off for this client
            return
        status = self.outcome if error is None else type(error).__name__
        with contextlib.suppress(Exception):  # telemetry never replaces the caller's outcome
            started = time.time() - (_perf() - self.t0)
            reporter.emit(self.name, started, self.t0, status, self.attempts)


_current: ContextVar[Scope | None] = ContextVar("composio_operation", default=None)


def current_scope() -> Scope | None:
    return _current.get()


def context_between_operations() -> Context:
    """A copy of the current context with no public operation open in it.

    For work that resumes later in the caller's context (a ``Page`` fetching the pages after
    it): that work is an operation of its own, not part of the one that was open when the
    context was taken (which has reported and ended by then).
    """
    ctx = copy_context()
    if _current.get() is not None:
        ctx.run(_current.set, None)
    return ctx


class operation(Scope):  # lower-case: used like a function, ``with operation("tools.list"):``
    """Run a block as the public operation ``name``; inside another one it joins that one.

    The scope is its own context manager (issue 21: one object per public call of either
    client, not a manager and a scope); joining another operation leaves it unused."""

    __slots__ = ("token",)

    def __enter__(self, _get: Any = _current.get, _set: Any = _current.set) -> None:
        # the context variable's methods bound once, as defaults: this runs on every call
        self.token = _set(self) if _get() is None else None

    def __exit__(
        self, kind: object, error: BaseException | None, tb: object, _reset: Any = _current.reset
    ) -> None:
        token = self.token
        if token is not None:
            _reset(token)
            self.token = None
            if self.reporter is not None:  # else nothing was reported (``Scope.finish``)
                self.finish(error)


def public_operation(name: str) -> Callable[[F], F]:
    """Mark a public method as one operation named ``name`` for telemetry (sync or async).

    The sync wrapper is written out rather than built on :class:`operation`: it runs on every
    public call, and a context-manager object costs about as much again as the scope itself.
    """

    def decorate(func: F) -> F:
        import inspect  # here, not at import: the clients import this module

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with operation(name):
                    return await func(*args, **kwargs)

            return cast(F, run_async)

        get, set_, reset = _current.get, _current.set, _current.reset

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            if get() is not None:
                return func(*args, **kwargs)
            scope = Scope(name)
            token = set_(scope)
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                reset(token)
                scope.finish(exc)
                raise
            reset(token)
            if scope.reporter is not None:
                scope.finish(None)
            return result

        return cast(F, run)

    return decorate
