"""Redirects (SPEC §8, §11): followed for GET/HEAD only, at most 5 hops; a hop to another
origin drops the API key and every default/session/call header, and never re-adds them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from composio import APIError, APIStatusError, AuthenticationError, Composio
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.conftest import SENTINEL_KEY
from tests.integration._raw_servers import (
    assert_error_clean,
    checked_out,
    raw_server,
    redirect_to,
)

USER_HEADERS = ("x-tenant-id", "x-user-id", "x-call", "x-correlation-id")


@pytest.fixture
def other() -> Iterator[LocalServer]:
    # The same key: had the key crossed over, this server would answer 200, not 401.
    with LocalServer(api_key=SENTINEL_KEY) as server:
        yield server


@pytest.fixture
def session(sentinel_server: LocalServer, driver: Driver) -> Iterator[Composio]:
    """A session of ``Composio`` or of ``AsyncComposio`` (``driver``): §8 holds for both."""
    client = driver.client(
        api_key=SENTINEL_KEY,
        base_url=sentinel_server.url,
        allow_tracking=False,
        default_headers={"x-tenant-id": "tenant-1"},
    )
    yield client.create_session(headers={"x-user-id": "user-1", "x-correlation-id": "corr-1"})


def _redirect(to: str, status: int = 302) -> dict[str, str]:
    return {"to": to, "status": str(status)}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_cross_origin_redirect_drops_credentials(
    session: Composio,
    sentinel_server: LocalServer,
    other: LocalServer,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG, logger="composio")
    with pytest.raises(AuthenticationError) as info:
        session.request(
            "GET",
            "/redirect",
            params=_redirect(f"{other.url}/echo", status),
            extra_headers={"x-call": "call-1"},
        )
    first = sentinel_server.requests_to("/redirect")[0]
    assert first.header("x-api-key") == SENTINEL_KEY
    assert all(first.header(h) for h in USER_HEADERS)
    (hop,) = other.requests_to("/echo")
    assert hop.header("x-api-key") is None
    assert hop.header("authorization") is None and hop.header("cookie") is None
    for name in USER_HEADERS:
        assert hop.header(name) is None, name
    assert (
        hop.header(
            "user-agent",
        )
        is not None
    )  # non-identifying headers still go
    assert checked_out(session) == 0
    assert_error_clean(SENTINEL_KEY, info.value, caplog.text)


def test_dropped_credentials_are_not_re_added_on_the_way_back(
    session: Composio, sentinel_server: LocalServer
) -> None:
    with raw_server(redirect_to(f"{sentinel_server.url}/echo")) as bouncer:
        with pytest.raises(AuthenticationError):
            session.request("GET", "/redirect", params=_redirect(f"{bouncer.url}/elsewhere"))
        (via,) = bouncer.requests
    assert b"x-api-key" not in via.lower() and b"user-1" not in via
    (returned,) = sentinel_server.requests_to("/echo")  # back at the first origin
    assert returned.header("x-api-key") is None
    assert returned.header("x-tenant-id") is None and returned.header("x-user-id") is None


def test_same_origin_redirect_keeps_the_headers(
    session: Composio, sentinel_server: LocalServer
) -> None:
    response = session.request(
        "GET", "/redirect", params=_redirect("/echo"), extra_headers={"x-call": "call-1"}
    )
    assert response.status_code == 200
    echoed = response.json()["headers"]
    assert echoed["x-api-key"] == SENTINEL_KEY
    assert echoed["x-tenant-id"] == "tenant-1"
    assert echoed["x-user-id"] == "user-1"
    assert echoed["x-call"] == "call-1"
    assert checked_out(session) == 0


def test_post_redirect_is_not_followed(
    session: Composio, sentinel_server: LocalServer, other: LocalServer
) -> None:
    response = session.request(
        "POST", "/redirect", params=_redirect(f"{other.url}/echo", 307), json={"a": 1}
    )
    assert response.status_code == 307
    assert response.headers["location"] == f"{other.url}/echo"
    assert other.requests == []
    assert len(sentinel_server.requests_to("/redirect")) == 1


def test_a_sixth_hop_is_an_error_not_a_success(
    session: Composio, sentinel_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    inner = "/echo"
    for _ in range(5):
        inner = f"/redirect?{urlencode(_redirect(inner))}"
    with pytest.raises(APIError, match="too many redirects") as info:
        session.request("GET", "/redirect", params=_redirect(inner))
    assert not isinstance(info.value, APIStatusError)  # the 3xx is not passed off as a result
    assert len(sentinel_server.requests_to("/redirect")) == 6
    assert sentinel_server.requests_to("/echo") == []
    assert checked_out(session) == 0
    assert_error_clean(SENTINEL_KEY, info.value, caplog.text)


def test_five_hops_are_followed(session: Composio, sentinel_server: LocalServer) -> None:
    inner = "/echo"
    for _ in range(4):
        inner = f"/redirect?{urlencode(_redirect(inner))}"
    response = session.request("GET", "/redirect", params=_redirect(inner))
    assert response.status_code == 200
    assert len(sentinel_server.requests_to("/redirect")) == 5


@pytest.mark.parametrize(
    "location",
    [
        "http://[::1",  # an IPv6 bracket never closed
        "http://127.0.0.1:port-not-number/",
        "http://127.0.0.1:99999/",  # a port out of range
        "",  # present but empty
        "   ",
        "ftp://127.0.0.1/file",  # not http(s)
        "https://:443/no-host",
    ],
)
def test_a_malformed_location_is_an_api_error_and_the_connection_goes_back(
    session: Composio,
    sentinel_server: LocalServer,
    caplog: pytest.LogCaptureFixture,
    location: str,
) -> None:
    session.request("GET", "/echo")  # one pooled connection, kept alive
    accepted = sentinel_server.accepted_connections
    with pytest.raises(APIError, match="Location") as info:
        session.request("GET", "/redirect", params={"to": location})
    assert not isinstance(info.value, ValueError)  # not a bare ValueError, nor ValidationError
    assert checked_out(session) == 0
    # the connection went back to the pool, drained: the next call reuses it
    assert session.request("GET", "/echo").status_code == 200
    assert sentinel_server.accepted_connections == accepted
    assert_error_clean(SENTINEL_KEY, info.value, caplog.text)


def test_a_location_with_spaces_and_utf8_is_quoted_and_followed(
    session: Composio, sentinel_server: LocalServer
) -> None:
    response = session.request("GET", "/redirect", params=_redirect("/echo?q=a b&w=é"))
    assert response.status_code == 200
    (hop,) = sentinel_server.requests_to("/echo")
    assert hop.query == {"q": ["a b"], "w": ["é"]}
