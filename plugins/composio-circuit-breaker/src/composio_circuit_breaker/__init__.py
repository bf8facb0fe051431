"""A per-host circuit breaker for composio-pipeline.

Why: when the API (or the gateway in front of it) is down, every call still waits for its
connect timeout and its retries, threads pile up, and the failing host gets the full load the
moment it comes back. A breaker counts consecutive failures per host; at ``failure_threshold``
it *opens* and calls fail at once with :class:`CircuitOpenError`, without sending anything.
After ``cooldown`` seconds it *half-opens*: exactly one request (the probe) is let through;
its success closes the circuit, its failure opens it again for another cool-down.

Two parts, one plugin object:

* :class:`CircuitBreakerMiddleware`, ATTEMPT stage, order -100 (before ``tracing``): it sees
  every physical attempt, so a retried call counts each failed attempt, and a refused attempt
  makes no HTTP span because nothing was sent.
* ``composio_retry_decision`` (``tryfirst``): once an attempt's failure has opened the circuit,
  the SDK's retry layer is told to stop, so the caller gets the real error (the 503) at once
  instead of a backoff sleep followed by a :class:`CircuitOpenError`.

What counts: a failure is a connection error (refused, reset, DNS, TLS, timeouts; not the
call's own total deadline, nor an async client's wait for a connection of its own pool) or a
status of 500 and above or 408. A 429 is neutral (the host is alive and asks for less): it
neither counts nor resets. Every other answer is a success.

State lives in the middleware, one per client *build*: a root client and all its sessions
share it; a ``with_options`` copy is built anew and gets its own (a plugin cannot see the
root client's runtime; see the README).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from composio import (
    APIConnectionError,
    ClientConfig,
    Middleware,
    Request,
    Response,
    RetryDecision,
    Stage,
    ValidationError,
    hookimpl,
)
from composio_circuit_breaker._circuit import CLOSED, HALF_OPEN, OPEN, Circuit, CircuitOpenError

__all__ = [
    "CLOSED",
    "COOLDOWN_ENV",
    "FAILURES_ENV",
    "HALF_OPEN",
    "OPEN",
    "CircuitBreaker",
    "CircuitBreakerMiddleware",
    "CircuitOpenError",
    "default_breaker",
]

FAILURES_ENV = "COMPOSIO_CIRCUIT_BREAKER_FAILURES"
COOLDOWN_ENV = "COMPOSIO_CIRCUIT_BREAKER_COOLDOWN"
DEFAULT_FAILURES = 5
DEFAULT_COOLDOWN = 30.0
#: Connection errors that say nothing about the host: the call's own total deadline, and an
#: async client's wait for a free connection of its own pool (local contention).
_NOT_THE_HOST = frozenset({"deadline", "pool_timeout"})


def _threshold(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{where} must be an int >= 1 (consecutive failures that open).")
    return value


def _cooldown(value: object, where: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValidationError(f"{where} must be a positive, finite number of seconds.")
    return float(value)


def _from_env(name: str, parse: Callable[[str], Any], check: Callable[[Any, str], Any]) -> Any:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = parse(raw)
    except ValueError:
        raise ValidationError(f"{name}={raw!r:.20} is not a number.") from None
    return check(value, name)


def _origin(url: str) -> str:
    """``scheme://host:port`` of an absolute URL, by string slicing (no urlsplit per call)."""
    start = url.find("://")
    end = url.find("/", start + 3 if start >= 0 else 0)
    return url if end < 0 else url[:end]


def _state_key(name: str) -> str:
    """Where a breaker named ``name`` leaves the current attempt's circuit for the retry hook
    (``request.context.state`` survives the attempts of one call)."""
    return f"composio-circuit-breaker:{name}"


def _is_failure(status: int) -> bool:
    return status >= 500 or status == 408


class CircuitBreakerMiddleware:
    """The ATTEMPT-stage half of the breaker; holds one :class:`Circuit` per origin.

    One instance per client build (``CircuitBreaker.composio_middlewares``); it is safe to share
    between threads and between the sync and async chains.
    """

    stage = Stage.ATTEMPT
    order = -100
    __slots__ = ("_circuits", "_clock", "_cooldown", "_lock", "_state_key", "_threshold", "name")

    def __init__(
        self,
        *,
        failure_threshold: int = DEFAULT_FAILURES,
        cooldown: float = DEFAULT_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
        name: str = "circuit-breaker",
    ) -> None:
        self.name = name
        self._threshold = _threshold(failure_threshold, "failure_threshold")
        self._cooldown = _cooldown(cooldown, "cooldown")
        self._clock = clock
        self._lock = threading.Lock()
        self._circuits: dict[str, Circuit] = {}
        #: where the circuit of the current attempt is left for the retry hook
        self._state_key = _state_key(name)

    def circuit(self, url: str) -> Circuit:
        """The circuit of ``url``'s origin (created closed on first use)."""
        origin = _origin(url)
        found = self._circuits.get(origin)
        if found is None:
            with self._lock:
                found = self._circuits.setdefault(
                    origin, Circuit(origin, self._threshold, self._cooldown, self._clock)
                )
        return found

    def _enter(self, request: Request) -> tuple[Circuit, bool]:
        circuit = self.circuit(request.url)
        probe = circuit.admit(request.method, request.url)
        request.context.state[self._state_key] = circuit
        return circuit, probe

    @staticmethod
    def _on_error(circuit: Circuit, probe: bool, exc: BaseException) -> None:
        if isinstance(exc, APIConnectionError) and exc.kind not in _NOT_THE_HOST:
            circuit.failure(probe)
        else:  # the call's own deadline, a bug upstream, a cancelled task: not the host
            circuit.neutral(probe)

    @staticmethod
    def _on_response(circuit: Circuit, probe: bool, response: Response) -> None:
        status = response.status_code
        if _is_failure(status):
            circuit.failure(probe)
        elif status == 429:
            circuit.neutral(probe)
        else:
            circuit.success(probe)

    def __call__(self, request: Request, call_next: Callable[[Request], Response]) -> Response:
        circuit, probe = self._enter(request)
        try:
            response = call_next(request)
        except BaseException as exc:
            self._on_error(circuit, probe, exc)
            raise
        self._on_response(circuit, probe, response)
        return response

    async def acall(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        circuit, probe = self._enter(request)
        try:
            response = await call_next(request)
        except BaseException as exc:  # CancelledError included: a probe gives its slot back
            self._on_error(circuit, probe, exc)
            raise
        self._on_response(circuit, probe, response)
        return response

    def __repr__(self) -> str:
        return (
            f"CircuitBreakerMiddleware(name={self.name!r}, failure_threshold={self._threshold}, "
            f"cooldown={self._cooldown:g}, circuits={sorted(self._circuits)!r})"
        )


class CircuitBreaker:
    """The plugin: one :class:`CircuitBreakerMiddleware` per client build, plus the retry hook.

    ``failure_threshold``/``cooldown`` default to the environment (``FAILURES_ENV``,
    ``COOLDOWN_ENV``, read when a client is built), else 5 failures and 30 seconds. ``clock``
    (monotonic seconds) is for tests. ``name`` is the middleware's name and the plugin's, for
    ``blocked_plugins``; two breakers in one chain need two names.
    """

    __slots__ = ("_clock", "_cooldown", "_name", "_threshold", "composio_plugin_name")

    def __init__(
        self,
        *,
        failure_threshold: int | None = None,
        cooldown: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        name: str = "circuit-breaker",
    ) -> None:
        if failure_threshold is not None:
            failure_threshold = _threshold(failure_threshold, "failure_threshold")
        self._threshold = failure_threshold
        self._cooldown = None if cooldown is None else _cooldown(cooldown, "cooldown")
        self._clock = clock
        self._name = name
        #: The name it is registered and blocked under when passed as ``plugins=[...]``.
        self.composio_plugin_name = name

    @hookimpl
    def composio_middlewares(self, config: ClientConfig) -> Sequence[Middleware]:
        threshold = self._threshold
        if threshold is None:
            threshold = _from_env(FAILURES_ENV, int, _threshold) or DEFAULT_FAILURES
        cooldown = self._cooldown
        if cooldown is None:
            cooldown = _from_env(COOLDOWN_ENV, float, _cooldown) or DEFAULT_COOLDOWN
        return [
            CircuitBreakerMiddleware(
                failure_threshold=threshold, cooldown=cooldown, clock=self._clock, name=self._name
            )
        ]

    @hookimpl(tryfirst=True)
    def composio_retry_decision(self, request: Request) -> RetryDecision | None:
        # Any breaker middleware that ran leaves its circuit under its own key; this plugin's
        # middlewares all share ``self._name``, so the key is known without a registry.
        circuit: Circuit | None = request.context.state.get(_state_key(self._name))
        if circuit is not None and circuit.rejects():
            return RetryDecision.stop(
                f"circuit breaker for {circuit.origin} is {circuit.state}; not retrying"
            )
        return None

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(name={self._name!r}, failure_threshold={self._threshold!r}, "
            f"cooldown={self._cooldown!r})"
        )


#: What the entry point registers (as ``composio-circuit-breaker``).
default_breaker = CircuitBreaker()
