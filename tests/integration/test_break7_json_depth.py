"""break7: a body nested deeper than JSON encoding can walk is a ``ValidationError`` saying
so, from the one check every caller-given body passes (``_ops._body.check_json``), on both
clients; nothing is sent and the client stays usable (it was a bare ``RecursionError``)."""

from __future__ import annotations

import pytest

from composio import ValidationError
from composio.testing import LocalServer
from tests._drivers import Driver


def _deep(depth: int = 100_000) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def test_break7_a_body_nested_too_deep_is_a_validation_error(
    composio_server: LocalServer, driver: Driver
) -> None:
    client = driver.client(
        api_key=composio_server.api_key, base_url=composio_server.url, allow_tracking=False
    )
    with pytest.raises(ValidationError, match="nested deeper") as info:
        client.request("POST", "/echo", json={"a": _deep()})
    assert "request(json=...)" in str(info.value)
    assert composio_server.requests_to("/echo") == []
    assert client.request("POST", "/echo", json={"a": 1}).status_code == 200
