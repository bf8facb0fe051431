"""Timeouts (SPEC §2, §5): float or ``Timeout(connect, read, total)``, per-call override, each
attempt clipped to what is left of ``total``, ``None`` rejected. Real loopback servers."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from composio import APITimeoutError, Composio, Timeout, ValidationError
from composio.middlewares.retry import RetrySeams
from composio.testing import LocalServer
from composio.testing.server import Fault
from tests._drivers import Driver
from tests.conftest import SENTINEL_KEY
from tests.integration._raw_servers import (
    AttemptLog,
    SleepRecorder,
    assert_error_clean,
    blackhole,
    checked_out,
    raw_server,
    record_sleeps,
    redirect_to,
    trickle,
)

TOOLS = "/api/v3/tools"


@pytest.fixture
def client(sentinel_server: LocalServer, driver: Driver) -> Iterator[Composio]:
    """``Composio`` or ``AsyncComposio`` (``driver``): the deadline rules hold for both."""
    c: Composio = driver.client(
        api_key=SENTINEL_KEY, base_url=sentinel_server.url, allow_tracking=False
    )
    yield c


def test_float_timeout_becomes_connect_read_total() -> None:
    c = Composio(api_key="k", base_url="http://127.0.0.1:9", timeout=2.5, allow_tracking=False)
    assert c.timeout == Timeout(connect=2.5, read=2.5, total=2.5)
    c2 = c.with_options(timeout=30)
    assert c2.timeout == Timeout(connect=10.0, read=30.0, total=30.0)
    t = Timeout(connect=1, read=None, total=5)
    assert c.with_options(timeout=t).timeout is t
    assert c.create_session(headers={"x-a": "1"}).timeout == c.timeout
    c.close()


@pytest.mark.parametrize("bad", [None, 0, -1, math.nan, math.inf, True, "5", [1]])
def test_bad_timeouts_are_rejected_everywhere(bad: Any, driver: Driver) -> None:
    with pytest.raises(ValidationError):
        driver.client(api_key="k", base_url="http://127.0.0.1:9", timeout=bad)
    c = driver.client(api_key="k", base_url="http://127.0.0.1:9", allow_tracking=False)
    with pytest.raises(ValidationError):
        c.with_options(timeout=bad)
    with pytest.raises(ValidationError):
        c.tools.list(timeout=bad)  # validated before anything is sent (nothing listens on :9)
    c.close()


def test_timeout_none_message_says_why() -> None:
    with pytest.raises(ValidationError, match="must not wait forever"):
        Composio(api_key="k", base_url="http://127.0.0.1:9", timeout=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kw",
    [{"total": None}, {"connect": 0}, {"read": -1}, {"total": math.inf}, {"connect": "1"}],
)
def test_bad_timeout_objects(kw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Timeout(**kw)


def test_per_call_timeout_overrides_the_client(
    client: Composio, sentinel_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="composio")
    sentinel_server.fail_next(TOOLS, [Fault(status=200, delay=5.0)] * 3)
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.tools.list(timeout=0.3)  # the client's own timeout is 60 s
    elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 3.0
    # total=0.3 covers every attempt: the first used it all, so no retry was started.
    assert len(sentinel_server.requests_to(TOOLS)) == 1
    assert "total timeout of 0.3s" in str(info.value)  # the total ran out, not a read
    assert checked_out(client) == 0
    assert_error_clean(SENTINEL_KEY, info.value, caplog.text)


def test_read_timeout_is_clipped_to_what_is_left_of_total(
    client: Composio, sentinel_server: LocalServer
) -> None:
    sentinel_server.fail_next(TOOLS, [Fault(status=200, delay=8.0)])
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.tools.list(timeout=Timeout(connect=5.0, read=10.0, total=0.5))
    elapsed = time.monotonic() - started
    assert info.value.kind == "deadline"  # the total ran out, not the 10 s read timeout
    assert "total timeout of 0.5s" in str(info.value)
    assert 0.4 <= elapsed < 3.0
    assert len(sentinel_server.requests_to(TOOLS)) == 1


def test_total_spans_every_attempt_and_the_last_one_is_clipped(
    client: Composio, sentinel_server: LocalServer
) -> None:
    client, sleeps = record_sleeps(client, jitter=lambda: 0.0)  # no backoff: time is all reads
    sentinel_server.fail_next(TOOLS, [Fault(status=200, delay=10.0)] * 3)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.tools.list(timeout=Timeout(connect=1.0, read=2.0, total=2.5))
    elapsed = time.monotonic() - started
    # Attempt 1 reads for 2.0 s, attempt 2 gets the 0.5 s left (unclipped it would be 4 s),
    # and no third attempt starts after the deadline.
    assert 2.4 <= elapsed < 3.5
    assert len(sentinel_server.requests_to(TOOLS)) == 2
    assert sleeps.waits == [0.0]


def test_connect_timeout_is_retried_even_for_a_post(
    caplog: pytest.LogCaptureFixture, driver: Driver
) -> None:
    attempts = AttemptLog()
    sleeps = SleepRecorder()
    with blackhole() as url:
        c = driver.client(
            api_key=SENTINEL_KEY,
            base_url=url,
            allow_tracking=False,
            timeout=Timeout(connect=0.2, read=1.0, total=20.0),
            middlewares=[attempts],
            plugins=[RetrySeams(sleep=sleeps)],
        )
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as info:
            c.tools.execute("TEXT_UPPERCASE", {"text": "x"}, user_id="u")
        elapsed = time.monotonic() - started
        assert info.value.kind == "connect_timeout" and info.value.sent is False
        assert attempts.counts == ["0", "1", "2"]  # nothing was sent: safe to retry a POST
        assert len(sleeps.waits) == 2
        assert elapsed < 10.0
        assert checked_out(c) == 0
        assert_error_clean(SENTINEL_KEY, info.value, caplog.text)
        c.close()


# -- the total deadline holds to the end (SPEC §12.6) --------------------------------------

TRICKLES = ["headers", "length", "close", "chunked", "chunk-size", "gzip", "stall"]


@pytest.mark.parametrize("mode", TRICKLES)
def test_a_trickling_server_cannot_stretch_the_total_deadline(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    total = 1.0
    with raw_server(trickle(mode)) as server:
        c = Composio(api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False)
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as info:
            c.request("GET", "/slow", timeout=Timeout(connect=5.0, read=5.0, total=total))
        elapsed = time.monotonic() - started
        assert elapsed <= total + 0.5, f"{mode}: {elapsed:.2f}s for a {total}s total"
        assert elapsed >= total - 0.1  # it did trickle until the deadline
        assert info.value.kind == "deadline"
        assert server.connections == 1  # no retry after the deadline
        # the half-read connection was closed, not handed back to the pool
        assert checked_out(c) == 0
        assert server.wait_open_connections(0), "the half-read connection is still open"
        assert_error_clean(SENTINEL_KEY, info.value, caplog.text)
        c.close()


def test_the_deadline_bounds_every_redirect_hop() -> None:
    """Each hop gets what is left of the total, not the connect timeout the call began with."""
    with blackhole() as hole, raw_server(redirect_to(f"{hole}/next", delay=0.8)) as bouncer:
        c = Composio(api_key=SENTINEL_KEY, base_url=bouncer.url, allow_tracking=False)
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            # the first hop takes 0.8 s; a connect to the hole may then take the 0.2 s left,
            # not the 1.0 s the call began with
            c.request("GET", "/start", timeout=Timeout(connect=1.0, read=5.0, total=1.0))
        elapsed = time.monotonic() - started
        assert 0.8 <= elapsed <= 1.0 + 0.5, elapsed
        assert checked_out(c) == 0
        c.close()
