"""Every package under plugins/ installed together (``tox -e plugins``): a plain ``Composio()``
picks them all up through their entry points, composes them in ``(stage, order, name)``
order, and they work on one call together."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from composio_request_signing import Verifier
from composio_tenant_context import tenant_context

import composio
from composio import CallNext, ClientConfig, Composio, Middleware, Request, Response, Stage
from composio.testing import Fault, LocalServer

KEY = "all-plugins-signing-key-0123456789abcdef0123"
PACKAGED = {
    "composio-circuit-breaker",
    "composio-guardrails",
    "composio-idempotency",
    "composio-request-metadata",
    "composio-request-signing",
    "composio-retry-policy",
    "composio-tenant-context",
}
EXPECTED_CHAIN = [
    ("telemetry", Stage.CALL, -100),
    ("auth", Stage.CALL, 100),
    ("identity", Stage.CALL, 200),
    ("default-headers", Stage.CALL, 300),
    ("tenant-context", Stage.CALL, 350),
    ("session-headers", Stage.CALL, 400),
    ("call-headers", Stage.CALL, 500),
    ("idempotency-key", Stage.CALL, 600),
    ("retry", Stage.RETRY, 0),
    ("circuit-breaker", Stage.ATTEMPT, -100),
    ("tracing", Stage.ATTEMPT, 0),
    ("request-signing", Stage.ATTEMPT, 10_000),
]


@pytest.fixture(autouse=True)
def _autoload_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.setenv("COMPOSIO_SIGNING_KEY", KEY)
    monkeypatch.setenv("COMPOSIO_METADATA_X_TEAM", "platform")


def _key(mw: Middleware) -> tuple[int, int, str]:
    return (int(mw.stage), int(getattr(mw, "order", 0)), mw.name)


def test_a_plain_client_has_every_packaged_plugin_in_stage_order_name_order(
    composio_server: LocalServer,
) -> None:
    with Composio(api_key=composio_server.api_key, base_url=composio_server.url) as c:
        assert set(c.plugin_names) >= PACKAGED
        chain = [(m.name, m.stage, getattr(m, "order", 0)) for m in c.chain]
        assert chain == EXPECTED_CHAIN
        assert list(c.chain) == sorted(c.chain, key=_key)


def test_autoload_off_leaves_every_packaged_plugin_out(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")
    with Composio(api_key=composio_server.api_key, base_url=composio_server.url) as c:
        assert not PACKAGED & set(c.plugin_names)
        assert [m.name for m in c.chain] == [
            "telemetry",
            "auth",
            "identity",
            "default-headers",
            "session-headers",
            "call-headers",
            "retry",
            "tracing",
        ]


class _Audit:
    stage = Stage.ATTEMPT
    order = 10_000  # the signer's order: ties break on the name

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        return call_next(request)


class _AuditPlugin:
    def __init__(self, name: str) -> None:
        self.composio_plugin_name = f"plugin-{name}"
        self._name = name

    @composio.hookimpl
    def composio_middlewares(self, config: ClientConfig) -> Sequence[Middleware]:
        return [_Audit(self._name)]


@pytest.mark.parametrize("reverse", [False, True])
def test_same_stage_and_order_break_ties_on_name_whatever_the_registration_order(
    composio_server: LocalServer, reverse: bool
) -> None:
    plugins = [_AuditPlugin("zz-audit"), _AuditPlugin("audit-a")]
    with Composio(
        api_key=composio_server.api_key,
        base_url=composio_server.url,
        plugins=plugins[::-1] if reverse else plugins,
    ) as c:
        tail = [m.name for m in c.chain][-3:]
    assert tail == ["audit-a", "request-signing", "zz-audit"]


def test_all_of_them_on_one_retried_tool_execution(composio_server: LocalServer) -> None:
    execute = "/api/v3/tools/execute/TEXT_UPPERCASE"
    # The tool runs, the answer is lost (500): idempotency makes the POST retryable.
    composio_server.fail_next(
        execute, [Fault(status=500, passthrough=True, headers={"retry-after-ms": "0"})]
    )
    with (
        Composio(api_key=composio_server.api_key, base_url=composio_server.url) as c,
        tenant_context(tenant="t1", user="u1"),
    ):
        result = c.tools.execute("TEXT_UPPERCASE", {"text": "hi"})
    assert result.successful and composio_server.execution_count("TEXT_UPPERCASE") == 1
    first, second = composio_server.requests_to(execute)
    verifier = Verifier(KEY)
    for rec in (first, second):
        verifier.verify(rec.method, rec.path, rec.query, rec.body, rec.headers)
        assert (rec.header("x-tenant-id"), rec.header("x-user-id")) == ("t1", "u1")
        assert rec.header("x-team") == "platform"
        assert rec.header("x-composio-content-sha256") == hashlib.sha256(rec.body).hexdigest()
    assert first.header("idempotency-key") == second.header("idempotency-key") is not None
    assert first.header("x-composio-nonce") != second.header("x-composio-nonce")
