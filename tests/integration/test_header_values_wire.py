"""SPEC §12.3 over loopback: a header value that is not visible ASCII never reaches the wire."""

from __future__ import annotations

from typing import Any

import pytest

from composio import Composio, Stage, ValidationError
from composio.testing import LocalServer

TOOLS = "/api/v3/tools"


@pytest.mark.parametrize("value", ["caf\u00e9", "price \u20ac5", "\u00a0"])
def test_non_ascii_header_never_sent_and_client_stays_usable(
    composio_server: LocalServer, value: str
) -> None:
    client = Composio(
        api_key=composio_server.api_key, base_url=composio_server.url, allow_tracking=False
    )
    with pytest.raises(ValidationError, match="x-note"):
        client.tools.list(limit=1, extra_headers={"x-note": value})
    assert composio_server.requests_to(TOOLS) == []  # nothing, not even a partial request
    # same client, same pool: the next call works and carries a valid header
    page = client.tools.list(limit=1, extra_headers={"x-note": "cafe"})
    assert len(page.items) == 1
    (seen,) = composio_server.requests_to(TOOLS)
    assert seen.header("x-note") == "cafe"
    client.close()


class _Framing:
    """A plugin middleware writing a framing header on every request."""

    name = "framing-writer"
    stage = Stage.ATTEMPT
    order = 500

    def __init__(self, header: str, value: str) -> None:
        self.header, self.value = header, value

    def on_request(self, request: object) -> None:
        request.headers[self.header] = self.value  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Transfer-Encoding", "chunked"),
        ("Connection", "Upgrade"),
        ("Upgrade", "h2c"),
        ("Host", "evil.example"),
        ("TE", "trailers"),
    ],
)
def test_issue21_a_middlewares_framing_header_is_refused_before_sending(
    composio_server: LocalServer, driver: Any, header: str, value: str
) -> None:
    """break6: a middleware's Transfer-Encoding beside the transport's Content-Length is a
    request-smuggling shape; the one wire check (``HeaderLines.check``, both clients and
    every path) refuses it by name, and the client stays usable."""
    client = driver.client(
        api_key=composio_server.api_key,
        base_url=composio_server.url,
        allow_tracking=False,
        middlewares=[_Framing(header, value)],
    )
    with pytest.raises(ValidationError, match=header) as info:
        client.request("POST", "/echo", json={"a": 1})
    assert value not in str(info.value)
    assert composio_server.requests_to("/echo") == []


def test_issue21_a_middlewares_content_length_is_replaced_by_the_real_one(
    composio_server: LocalServer, driver: Any
) -> None:
    client = driver.client(
        api_key=composio_server.api_key,
        base_url=composio_server.url,
        allow_tracking=False,
        middlewares=[_Framing("content-length", "999")],
    )
    for _ in range(2):  # the second call borrows the connection on the async client
        seen = client.request("POST", "/echo", json={"a": 1}).json()["headers"]
        assert seen["content-length"] == "7"
        seen = client.request("GET", "/echo").json()["headers"]
        assert "content-length" not in seen
