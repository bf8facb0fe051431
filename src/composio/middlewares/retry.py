"""The ``retry`` slot (SPEC §5): the only retry layer (urllib3/requests retries are off).

Why the first attempt runs inline: almost every call succeeds, and a success must cost no
more than a header write, a budget tick and a status check. tenacity is imported, and a
``Retrying`` controller built, only after an attempt failed *and* the rules say retry. Each
failing operation gets its own controller (tenacity keeps per-run state on it), so nothing is
shared between threads.

What is retried (the built-in rules, after ``composio_retry_decision`` plugins):

* every method: connection errors that provably sent nothing (refused, DNS, connect
  timeout) and 429 (the server declares it did not process the request);
* idempotent requests only (GET, HEAD, PUT, DELETE, OPTIONS, or an ``Idempotency-Key``
  header): 408, 5xx, resets/truncations after sending, read timeouts. A POST such as
  ``tools.execute`` may have run on the server; running it twice could send an email twice;
* never: TLS failures, the call's total deadline running out, anything that is not an
  :class:`~composio.errors.APIConnectionError`.

``x-should-retry: true|false`` on a response overrides the status rules. Waits come from
``retry-after-ms``/``Retry-After`` (a hint over 60 s means "do not retry"), else
``min(0.5 * 2**n, 8)`` s with full jitter; a wait that would cross the call's deadline, an
exhausted retry budget or ``max_retries`` ends the retries and surfaces the last outcome.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from composio._redact import scrub
from composio._wire import parse_retry_after
from composio.config import ClientConfig
from composio.errors import APIConnectionError
from composio.pipeline import AsyncCallNext, CallNext, Request, Response, Stage
from composio.retry_decision import RetryDecision

if TYPE_CHECKING:
    import pluggy

    from composio._retry_budget import Budget

__all__ = [
    "DEFAULT_SEAMS",
    "IDEMPOTENT_METHODS",
    "MAX_RETRY_AFTER",
    "RetryMiddleware",
    "RetrySeams",
    "backoff_cap",
]

logger = logging.getLogger("composio")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: A server hint longer than this means "do not retry now" (SPEC §5).
MAX_RETRY_AFTER = 60.0
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 8.0
#: Error kinds no rule (and no plugin) retries: a bad certificate stays bad, and a spent
#: deadline leaves no time for another attempt.
_NEVER_KINDS = frozenset({"tls", "deadline"})


def backoff_cap(n: int) -> float:
    """Upper bound of the jittered wait before retry number ``n + 1`` (``n`` from 0)."""
    return min(_BACKOFF_BASE * 2.0 ** min(n, 32), _BACKOFF_CAP)


def _idempotent(request: Request) -> bool:
    return request.method in IDEMPOTENT_METHODS or "idempotency-key" in request.headers


class _Verdict:
    """One decision about one failed attempt: retry or not, the wait hint and why."""

    __slots__ = ("hint", "reason", "retry")

    def __init__(self, retry: bool, reason: str, hint: float | None = None) -> None:
        self.retry = retry
        self.reason = reason
        self.hint = hint


@dataclass(frozen=True, slots=True, eq=False)
class RetrySeams:
    """The retry middleware's clock, sleep and jitter source, fixed when a client is built.

    Why a frozen object and not writable attributes: one middleware instance serves every
    thread and session of a client, so a seam swapped on it at run time would change the
    waits of calls already in flight on other threads. A test that wants a fake sleep builds
    its own client with one: ``Composio(..., plugins=[RetrySeams(sleep=waits.append)])`` (the
    built-in plugin picks the last ``RetrySeams`` among ``plugins``; it has no hooks of its
    own), or constructs ``RetryMiddleware(..., seams=...)`` directly.
    """

    sleep: Callable[[float], None] = time.sleep
    #: The async client's wait (SPEC §13: only the loop and the sleep differ from sync).
    #: Unset, it is ``asyncio.sleep`` -- or, when ``sleep`` was replaced (a test's recorder),
    #: a coroutine calling that ``sleep``, so one fake serves both clients.
    asleep: Callable[[float], Awaitable[None]] | None = None
    #: Full jitter: ``random() * backoff_cap(n)``.
    random: Callable[[], float] = random.random
    #: The clock ``CallContext.deadline`` is measured on (a test with a fake sleep moves it).
    clock: Callable[[], float] = time.monotonic
    composio_plugin_name: str = "composio.retry-seams"

    def __post_init__(self) -> None:
        if self.asleep is None:
            fake = self.sleep

            async def call_sleep(seconds: float) -> None:
                fake(seconds)

            object.__setattr__(self, "asleep", asyncio.sleep if fake is time.sleep else call_sleep)


DEFAULT_SEAMS = RetrySeams()


class RetryMiddleware:
    """The ``retry`` middleware. Its state after ``__init__`` is read-only (SPEC §3)."""

    name = "retry"
    stage = Stage.RETRY
    order = 0
    __slots__ = ("_budget", "_hook", "_seams")

    def __init__(
        self,
        config: ClientConfig,
        hook: pluggy.PluginManager | None,
        budget: Budget,
        *,
        seams: RetrySeams = DEFAULT_SEAMS,
    ) -> None:
        self._budget = budget
        #: pluggy's hook caller (firstresult; each impl gets only the arguments it declares),
        #: or None when no plugin implements the hook: then a failure costs no hook call.
        self._hook: Any = None
        caller = hook.hook.composio_retry_decision if hook is not None else None
        if caller is not None and caller.get_hookimpls():
            self._hook = caller
        self._seams = seams

    # -- the success path ----------------------------------------------------------------
    def __call__(self, request: Request, call_next: CallNext) -> Response:
        self._begin(request)
        self._budget.record_request()
        try:
            response = call_next(request)
        except APIConnectionError as exc:
            verdict = self._after_first_error(request, exc)
            return self._retry(request, call_next, verdict, None, exc)
        retry = self._after_first_response(request, response)
        if retry is None:
            return response
        return self._retry(request, call_next, retry, response, None)

    async def acall(self, request: Request, call_next: AsyncCallNext) -> Response:
        """The async chain's retry: the same rules, verdicts and budget; awaits and
        ``asyncio.sleep`` instead of calls and ``time.sleep``."""
        self._begin(request)
        await self._budget.arecord_request()
        try:
            response = await call_next(request)
        except APIConnectionError as exc:
            verdict = self._after_first_error(request, exc)
            return await self._aretry(request, call_next, verdict, None, exc)
        retry = self._after_first_response(request, response)
        if retry is None:
            return response
        return await self._aretry(request, call_next, retry, response, None)

    def _begin(self, request: Request) -> None:
        request.context.attempt = 0
        request.headers["x-retry-count"] = "0"

    def _after_first_error(self, request: Request, exc: APIConnectionError) -> _Verdict:
        """The verdict on a first attempt that raised; re-raises ``exc`` when not retrying."""
        if request.context.max_retries <= 0 or exc.kind in _NEVER_KINDS:
            raise exc
        verdict = self._decide(request, None, exc, 0)
        if not verdict.retry:
            _log_stop(request, 0, verdict.reason)
            raise exc
        return verdict

    def _after_first_response(self, request: Request, response: Response) -> _Verdict | None:
        """The verdict on a first answer, or None when it is returned as is."""
        if response.status_code < 400 or request.context.max_retries <= 0:
            return None
        verdict = self._decide(request, response, None, 0)
        return verdict if verdict.retry else None

    # -- the rules -------------------------------------------------------------------------
    def _decide(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        attempt: int,
    ) -> _Verdict:
        if error is not None and (
            not isinstance(error, APIConnectionError) or error.kind in _NEVER_KINDS
        ):
            return _Verdict(False, f"{type(error).__name__} is never retried")
        if self._hook is not None:
            decision = self._ask_plugins(request, response, error, attempt)
            if decision is not None:
                hint = None
                if decision.wait is not None:
                    hint = decision.wait
                elif response is not None:
                    server = parse_retry_after(response.headers)
                    hint = server if server is not None and server <= MAX_RETRY_AFTER else None
                return _Verdict(
                    decision.retry, f"plugin: {scrub(str(decision.reason), request.headers)}", hint
                )
        if error is not None:
            return _error_verdict(request, error)
        assert response is not None
        return _status_verdict(request, response)

    def _ask_plugins(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        attempt: int,
    ) -> RetryDecision | None:
        try:
            decision = self._hook(request=request, response=response, error=error, attempt=attempt)
        except Exception as exc:
            # The call's own outcome (the 503, the reset) is what the caller must see; a
            # broken plugin falls back to the built-in rules and says so.
            logger.warning(
                "composio: a composio_retry_decision plugin raised %s; using the built-in "
                "retry rules",
                type(exc).__name__,
            )
            return None
        if decision is None or isinstance(decision, RetryDecision):
            return decision
        logger.warning(
            "composio: a composio_retry_decision plugin returned %s, not a RetryDecision or "
            "None; ignored",
            type(decision).__name__,
        )
        return None

    # -- the failure path ----------------------------------------------------------------
    def _retry(
        self,
        request: Request,
        call_next: CallNext,
        first: _Verdict,
        response: Response | None,
        error: BaseException | None,
    ) -> Response:
        import tenacity  # only failing operations pay for it

        ctl = _Controller(self, request, call_next, first, response, error)
        retrying = tenacity.Retrying(sleep=self._seams.sleep, **ctl.rules())
        result: Response = retrying(ctl.attempt)
        return result

    async def _aretry(
        self,
        request: Request,
        call_next: AsyncCallNext,
        first: _Verdict,
        response: Response | None,
        error: BaseException | None,
    ) -> Response:
        import tenacity

        ctl = _Controller(self, request, call_next, first, response, error)
        asleep = self._seams.asleep
        assert asleep is not None  # set in RetrySeams.__post_init__
        rules = ctl.rules()
        rules["stop"] = ctl.astop  # the budget may be a network round trip (SPEC §16)
        retrying = tenacity.AsyncRetrying(sleep=asleep, **rules)
        result: Response = await retrying(ctl.aattempt)
        return result


def _last_outcome(state: Any) -> Any:
    """On stop: the last response is returned (the client raises for it), or the last error
    re-raised -- never tenacity's ``RetryError`` wrapper."""
    return state.outcome.result()


def _error_verdict(request: Request, error: BaseException) -> _Verdict:
    assert isinstance(error, APIConnectionError)
    kind = error.kind
    if not error.sent:
        return _Verdict(True, f"connection error ({kind}) before the request was sent")
    if _idempotent(request):
        return _Verdict(True, f"connection error ({kind})")
    return _Verdict(
        False,
        f"connection error ({kind}) after a {request.method} was sent without an "
        "Idempotency-Key; it may have been processed",
    )


def _status_verdict(request: Request, response: Response) -> _Verdict:
    status = response.status_code
    headers = response.headers
    flag = headers.get("x-should-retry")
    flag = flag.strip().lower() if isinstance(flag, str) else None
    if flag == "false":
        return _Verdict(False, f"status {status}; the server sent x-should-retry: false")
    if flag == "true":
        retry, reason = True, f"status {status}; the server sent x-should-retry: true"
    elif status == 429:
        retry, reason = True, "status 429"
    elif status == 408 or status >= 500:
        if not _idempotent(request):
            return _Verdict(
                False,
                f"status {status} on a {request.method} without an Idempotency-Key; it may "
                "have been processed",
            )
        retry, reason = True, f"status {status}"
    else:
        return _Verdict(False, f"status {status} is not retryable")
    hint = parse_retry_after(headers)
    if hint is not None and hint > MAX_RETRY_AFTER:
        return _Verdict(
            False, f"status {status}; the server asked to wait {hint:.0f}s (over 60s)", hint
        )
    return _Verdict(retry, reason, hint)


def _log_stop(request: Request, attempt: int, reason: str) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "composio: not retrying %s after attempt %d: %s",
            request.context.operation,
            attempt,
            reason,
        )


class _Controller:
    """The per-operation retry state tenacity's callbacks share (never crosses threads)."""

    __slots__ = (
        "call_next",
        "first",
        "first_error",
        "first_response",
        "last",
        "mw",
        "request",
    )

    def __init__(
        self,
        mw: RetryMiddleware,
        request: Request,
        call_next: Any,
        first: _Verdict,
        response: Response | None,
        error: BaseException | None,
    ) -> None:
        self.mw = mw
        self.request = request
        self.call_next = call_next
        self.first: _Verdict | None = first
        self.first_response = response
        self.first_error = error
        self.last = first

    def rules(self) -> dict[str, Any]:
        """tenacity's callbacks, the same for ``Retrying`` and ``AsyncRetrying``."""
        return {
            "retry": self.should_retry,
            "wait": self.wait,
            "stop": self.stop,
            "before_sleep": self.before_sleep,
            "retry_error_callback": _last_outcome,
        }

    def attempt(self) -> Response:
        """tenacity's attempt 1 replays the outcome the inline first attempt already had."""
        replayed = self._replay()
        if replayed is not None:
            return replayed
        return self.call_next(self._next_request())  # type: ignore[no-any-return]

    async def aattempt(self) -> Response:
        replayed = self._replay()
        if replayed is not None:
            return replayed
        return await self.call_next(self._next_request())  # type: ignore[no-any-return]

    def _replay(self) -> Response | None:
        if self.first is None:
            return None
        response, error = self.first_response, self.first_error
        self.first_response = self.first_error = None
        if error is not None:
            raise error
        return response

    def _next_request(self) -> Request:
        request = self.request
        request.headers["x-retry-count"] = str(request.context.attempt)
        return request

    def should_retry(self, state: Any) -> bool:
        first = self.first
        if first is not None:  # decided inline already; do not ask plugins twice
            self.first = None
            return True
        outcome = state.outcome
        attempt = state.attempt_number - 1
        if outcome.failed:
            error = outcome.exception()
            if not isinstance(error, APIConnectionError):
                return False
            verdict = self.mw._decide(self.request, None, error, attempt)
        else:
            response = outcome.result()
            if response.status_code < 400:
                return False
            verdict = self.mw._decide(self.request, response, None, attempt)
        self.last = verdict
        if not verdict.retry:
            _log_stop(self.request, attempt, verdict.reason)
        return verdict.retry

    def wait(self, state: Any) -> float:
        hint = self.last.hint
        if hint is not None:
            return float(hint)
        return self.mw._seams.random() * backoff_cap(state.attempt_number - 1)

    def stop(self, state: Any) -> bool:
        return self._out_of_time(state) or self._spent(state, self.mw._budget.try_spend())

    async def astop(self, state: Any) -> bool:
        """``stop`` for ``AsyncRetrying`` (tenacity >= 8.4.1 awaits it): a shared budget's
        round trip runs on the event loop instead of blocking it."""
        return self._out_of_time(state) or self._spent(state, await self.mw._budget.atry_spend())

    def _out_of_time(self, state: Any) -> bool:
        """``max_retries`` used, or the wait would cross the deadline (checked before the
        budget, so a retry that cannot happen does not spend from it)."""
        request = self.request
        ctx = request.context
        done = state.attempt_number  # attempts made so far, the first included
        wait = float(state.upcoming_sleep)
        if done > ctx.max_retries:
            _log_stop(request, done - 1, f"{self.last.reason}; max_retries={ctx.max_retries} used")
            return True
        if self.mw._seams.clock() + wait >= ctx.deadline:
            _log_stop(
                request,
                done - 1,
                f"{self.last.reason}; waiting {wait:.3f}s would pass the call's total "
                f"timeout of {ctx.timeout.total:g}s",
            )
            return True
        return False

    def _spent(self, state: Any, granted: bool) -> bool:
        if not granted:
            _log_stop(
                self.request,
                state.attempt_number - 1,
                f"{self.last.reason}; the client's retry budget is spent",
            )
        return not granted

    def before_sleep(self, state: Any) -> None:
        request = self.request
        ctx = request.context
        outcome = state.outcome
        if not outcome.failed:
            # Fully read by the transport; close() hands the connection back to the pool.
            outcome.result().requests_response.close()
        ctx.attempt = state.attempt_number
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "composio: retrying %s (retry %d of at most %d) after %s; waiting %.3fs",
                ctx.operation,
                ctx.attempt,
                ctx.max_retries,
                self.last.reason,
                float(state.upcoming_sleep),
            )
