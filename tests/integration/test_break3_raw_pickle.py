"""Break round 3 (issue 19): a ``RawResponse`` across ``pickle``.

It holds the live response, and the response holds the request with its unredacted
headers: on ``Composio`` a pickled ``RawResponse`` carried the API key and the session's
secret header; on ``AsyncComposio`` it did not pickle at all (aiohttp's header proxy). As
for ``APIStatusError.response`` (design-decisions, "Pickling"), the live response does not
cross a pickle; what the raw response describes, and its value, do.
"""

from __future__ import annotations

import pickle
import socket
import threading

from tests._drivers import Driver
from tests.conftest import SENTINEL_KEY
from tests.integration._raw_servers import assert_no_secret, raw_server

SESSION_SECRET = "tnt-SENTINEL-77c0d1e2a4"
BODY = b'{"slug": "github", "name": "GitHub", "meta": {}}'


def toolkit(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: req-1"
        + f"\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n".encode()
        + BODY
    )


def test_break3_raw_response_pickles_without_secrets_on_both_clients(driver: Driver) -> None:
    with raw_server(toolkit) as server:
        root = driver.client(api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False)
        client = root.create_session(headers={"x-tenant-secret": SESSION_SECRET})
        raw = client.with_raw_response.toolkits.retrieve("github")
    raw = getattr(raw, "target", raw)  # the async driver's view of the RawResponse
    data = pickle.dumps(raw)
    for secret in (SENTINEL_KEY, SESSION_SECRET):
        assert secret.encode() not in data
        assert_no_secret(secret, data.decode("latin-1"))
    back = pickle.loads(data)
    assert back.http_response is None  # the live response stays behind
    assert (back.status_code, back.elapsed) == (200, raw.elapsed)
    assert back.request_id == "req-1" and back.headers["Content-Type"] == "application/json"
    assert back.parse() == raw.parse() and back.parse().slug == "github"
    assert repr(back) == "<RawResponse [200] toolkits.retrieve request_id='req-1'>"
