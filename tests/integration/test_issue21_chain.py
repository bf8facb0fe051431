"""Issue 21 (SPEC §19): the chain's fixed cost was cut without changing what a call sends or
refuses. These pin the behaviours each shortcut had to keep, on both clients, over loopback."""

from __future__ import annotations

import math
from typing import Any

import pytest

from composio import ValidationError
from composio.testing import LocalServer
from tests._drivers import Driver


def _client(driver: Driver, server: LocalServer) -> Any:
    return driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)


@pytest.mark.parametrize(
    ("body", "says"),
    [({"x": math.nan}, "Out of range float"), ({"x": object()}, "not JSON serializable")],
)
def test_issue21_request_json_is_still_checked_before_sending(
    driver: Driver, composio_server: LocalServer, body: object, says: str
) -> None:
    """``request()`` skips encoding when there is no body; a body is still proved to be JSON
    (no NaN, no arbitrary object) before anything is sent, and the client stays usable."""
    client = _client(driver, composio_server)
    with pytest.raises(ValidationError) as info:
        client.request("POST", "/echo", json=body)
    assert "request(json=...)" in str(info.value) and says in str(info.value)
    assert composio_server.requests_to("/echo") == []
    client.request("GET", "/echo")  # no body: nothing to check, sent as is
    client.request("POST", "/echo", json={"n": 1.5, "s": "x"})
    plain, posted = composio_server.requests_to("/echo")
    assert plain.body == b"" and posted.json() == {"n": 1.5, "s": "x"}
    client.close()
