"""CPU per request of each plugin under plugins/: ``python -m tests.benchmarks.plugins``.

Run it with an interpreter where the plugin packages are installed (``tox -e plugins`` makes
one: ``.tox/plugins/bin/python -m tests.benchmarks.plugins``); a package that is not installed
is reported as such. Two figures per middleware, both on the caller's thread CPU clock
(``time.thread_time``), variants interleaved in rounds, medians:

* **alone**: the middleware called with an in-memory ``call_next`` that returns a canned
  response, minus the same loop without it (a fresh ``Request`` per call in both, as the
  client makes one per call);
* **in the chain**: a client's whole composed chain over an in-memory transport, with the
  plugin minus without it (what a ``session.tools.list()`` pays for it, without the noise of
  a socket round trip that is a hundred times larger).

Hook-only plugins cost nothing per successful request: ``composio-request-metadata`` is
merged when the client is built; ``composio_retry_decision`` hooks (``composio-retry-policy``,
the circuit breaker's veto) run only after a failed attempt, and are timed per failed attempt.
"""

from __future__ import annotations

import argparse
import importlib
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import requests

from tests.benchmarks._measure import diff_of_rounds, interleaved

__all__ = ["main"]

BASE = "http://127.0.0.1:9"
KEY = "benchmark-signing-key-0123456789abcdef0123456"


def _response_factory() -> Callable[[Any], Any]:
    from composio import Response

    raw = requests.Response()
    raw.status_code = 200
    raw.headers["content-type"] = "application/json"
    raw._content = b'{"items":[],"next_cursor":null}'

    def answer(request: Any) -> Any:
        return Response(request, raw, raw._content, 0.0)

    return answer


def _request_factory(
    operation: str, method: str, path: str, params: Any, body: Any
) -> Callable[[], Any]:
    from composio import CallContext, Request, Timeout

    timeout = Timeout()

    def make() -> Any:
        ctx = CallContext(operation, timeout, time.monotonic() + 60, 2)
        return Request(method, BASE + path, context=ctx, params=params, json=body)

    return make


LIST = ("tools.list", "GET", "/api/v3/tools", [("toolkit_slug", "github"), ("limit", "20")], None)
EXECUTE = (
    "tools.execute",
    "POST",
    "/api/v3/tools/execute/GITHUB_CREATE_ISSUE",
    None,
    {"arguments": {"owner": "acme", "repo": "api", "title": "flaky"}, "user_id": "u1"},
)


Case = tuple[str, Callable[[], Any], tuple[Any, ...], Callable[[], Any]]


def _cases() -> list[Case]:
    """(label, middleware factory, request shape, context to enter) per installed plugin."""
    import contextlib

    def plugin(module: str) -> Any:
        try:
            return importlib.import_module(module)
        except ImportError:
            return None

    idem = plugin("composio_idempotency")
    tenant = plugin("composio_tenant_context")
    breaker = plugin("composio_circuit_breaker")
    signing = plugin("composio_request_signing")
    none = contextlib.nullcontext
    cases: list[Case] = []
    if idem:
        cases.append(("idempotency (tools.execute)", idem.IdempotencyKeyMiddleware, EXECUTE, none))
    if tenant:
        inside = lambda: tenant.tenant_context(tenant="t1", user="u1")  # noqa: E731
        cases.append(
            ("tenant-context (inside a context)", tenant.TenantContextMiddleware, LIST, inside)
        )
        cases.append(("tenant-context (no context)", tenant.TenantContextMiddleware, LIST, none))
    if breaker:
        cases.append(("circuit-breaker (closed)", breaker.CircuitBreakerMiddleware, LIST, none))
    if signing:
        signer = lambda: signing.RequestSigner(KEY)  # noqa: E731
        cases.append(("request-signing (GET + query)", signer, LIST, none))
        cases.append(("request-signing (POST + JSON body)", signer, EXECUTE, none))
    for name, mod in (
        ("composio-idempotency", idem),
        ("composio-tenant-context", tenant),
        ("composio-circuit-breaker", breaker),
        ("composio-request-signing", signing),
    ):
        if mod is None:
            print(f"  {name}: not installed, skipped")
    return cases


def _alone(mw: Any, make: Callable[[], Any], answer: Callable[[Any], Any], n: int) -> float:
    def bare() -> object:
        return answer(make())

    def with_mw() -> object:
        return mw(make(), answer)

    samples = interleaved({"with": with_mw, "bare": bare}, rounds=n, per_round=2000)
    return diff_of_rounds(samples, "with", "bare")


def _in_chain(mw: Any, make: Callable[[], Any], answer: Callable[[Any], Any], n: int) -> float:
    from composio import Composio
    from composio.pipeline import compose

    kw: Any = dict(api_key="k", base_url=BASE, allow_tracking=False)
    plain = Composio(**kw)
    plus = Composio(**kw, middlewares=[mw])
    run_plain = compose(plain.chain, answer)
    run_plus = compose(plus.chain, answer)
    samples = interleaved(
        {"with": lambda: run_plus(make()), "bare": lambda: run_plain(make())},
        rounds=n,
        per_round=1000,
    )
    plain.close()
    plus.close()
    return diff_of_rounds(samples, "with", "bare")


def _hook_costs(n: int) -> list[tuple[str, float]]:
    """Per failed attempt: one ``composio_retry_decision`` call through pluggy."""
    import pluggy

    from composio import hookspecs

    out = []
    answer = _response_factory()
    make = _request_factory(*LIST)
    for module, attr in (
        ("composio_retry_policy", "default_policy"),
        ("composio_circuit_breaker", "default_breaker"),
    ):
        try:
            plugin = getattr(importlib.import_module(module), attr)
        except ImportError:
            continue
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        pm.register(plugin)
        hook = pm.hook.composio_retry_decision
        req = make()
        resp = answer(req)
        samples = interleaved(
            {
                "with": lambda h=hook, r=req, s=resp: h(
                    request=r, response=s, error=None, attempt=0
                ),
                "bare": lambda: None,
            },
            rounds=n,
            per_round=2000,
        )
        out.append(
            (f"{module} retry hook (per failed attempt)", diff_of_rounds(samples, "with", "bare"))
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.plugins", description=__doc__)
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (median)")
    args = parser.parse_args(argv)
    # Only the middlewares passed in: installed entry points would add themselves twice.
    os.environ["COMPOSIO_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    answer = _response_factory()
    print(f"{'plugin middleware':<44} {'alone µs':>9} {'in chain µs':>12}")
    for label, factory, shape, context in _cases():
        make = _request_factory(*shape)
        with context():
            alone = _alone(factory(), make, answer, args.rounds)
            chained = _in_chain(factory(), make, answer, args.rounds)
        print(f"  {label:<42} {alone * 1e6:>9.2f} {chained * 1e6:>12.2f}")
    print("  composio-request-metadata                  0 per request (merged at build time)")
    for label, cost in _hook_costs(args.rounds):
        print(f"  {label:<56} {cost * 1e6:>6.2f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
