"""composio-retry-policy against the local server, over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import entry_points

import pytest
from composio_retry_policy import RetryPolicy, default_policy

from composio import Composio, ConflictError, InternalServerError, RetryDecision
from composio.middlewares.retry import RetrySeams
from composio.testing import LocalServer

TOOLS = "/api/v3/tools"


class _Client:
    """A client with this plugin only, whose retry waits are recorded instead of slept."""

    def __init__(self, server: LocalServer, policy: object | None, **kw: object) -> None:
        self.waits: list[float] = []
        # The retry seam's sleep is fixed when the chain is built (never swapped live).
        seams = RetrySeams(sleep=self.waits.append)
        self.client = Composio(
            api_key=server.api_key,
            base_url=server.url,
            allow_tracking=False,
            plugins=[policy, seams] if policy is not None else [seams],
            **kw,  # type: ignore[arg-type]
        )


@pytest.fixture(autouse=True)
def _only_explicit_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def with_policy(composio_server: LocalServer) -> Iterator[_Client]:
    c = _Client(composio_server, RetryPolicy())
    yield c
    c.client.close()


def test_a_conflict_is_retried_after_the_policys_wait(
    with_policy: _Client, composio_server: LocalServer
) -> None:
    composio_server.fail_next(TOOLS, [409])
    page = with_policy.client.tools.list()
    assert page.items
    assert [r.header("x-retry-count") for r in composio_server.requests_to(TOOLS)] == ["0", "1"]
    assert with_policy.waits == [0.1]


def test_without_the_policy_a_conflict_is_final(composio_server: LocalServer) -> None:
    bare = _Client(composio_server, None)
    composio_server.fail_next(TOOLS, [409])
    with pytest.raises(ConflictError):
        bare.client.tools.list()
    assert len(composio_server.requests_to(TOOLS)) == 1
    bare.client.close()


def test_max_retries_still_bounds_the_policy(composio_server: LocalServer) -> None:
    c = _Client(composio_server, RetryPolicy(conflict_wait=0.0), max_retries=2)
    composio_server.fail_next(TOOLS, [409, 409, 409, 409])
    with pytest.raises(ConflictError):
        c.client.tools.list()
    assert len(composio_server.requests_to(TOOLS)) == 3  # the first attempt + max_retries
    c.client.close()


def test_x_no_retry_vetoes_a_retry_the_sdk_would_make(
    with_policy: _Client, composio_server: LocalServer
) -> None:
    composio_server.fail_next(TOOLS, [503, 503])
    with pytest.raises(InternalServerError):
        with_policy.client.tools.list(extra_headers={"x-no-retry": "1"})
    assert len(composio_server.requests_to(TOOLS)) == 1
    assert with_policy.waits == []
    # The same 503 without the header is retried by the built-in rules (GET is idempotent).
    with_policy.client.tools.list()
    assert len(composio_server.requests_to(TOOLS)) == 3


def test_x_no_retry_false_means_retry(with_policy: _Client, composio_server: LocalServer) -> None:
    composio_server.fail_next(TOOLS, [409])
    with_policy.client.tools.list(extra_headers={"x-no-retry": "false"})
    assert len(composio_server.requests_to(TOOLS)) == 2


def test_conflict_rule_limited_to_operations(composio_server: LocalServer) -> None:
    c = _Client(composio_server, RetryPolicy(conflict_operations=frozenset({"toolkits.list"})))
    composio_server.fail_next(TOOLS, [409])
    with pytest.raises(ConflictError):
        c.client.tools.list()
    composio_server.fail_next("/api/v3/toolkits", [409])
    assert c.client.toolkits.list().items
    c.client.close()


def test_decisions_are_retry_decisions() -> None:
    class _Req:
        headers = {"x-no-retry": "yes"}

    decision = default_policy.composio_retry_decision(_Req(), None, None, 0)  # type: ignore[arg-type]
    assert isinstance(decision, RetryDecision) and decision.retry is False
    with pytest.raises(ValueError):
        RetryPolicy(conflict_wait=-1)


def test_the_package_registers_its_entry_point(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    eps = {ep.name: ep.value for ep in entry_points(group="composio")}
    assert eps.get("composio-retry-policy") == "composio_retry_policy:default_policy"
    monkeypatch.delenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD")
    c = _Client(composio_server, None)
    assert "composio-retry-policy" in c.client.plugin_names
    composio_server.fail_next(TOOLS, [409])
    assert c.client.tools.list().items  # the packaged instance retried the conflict
    assert c.waits == [0.1]
    c.client.close()
