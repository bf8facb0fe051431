"""Regressions found by the break2 review of issue 16's gate, external URLs and composio-redis.

Each test is named for what it breaks; all run on the public API against loopback servers.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from composio import APIError, ClientClosedError
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.integration._raw_servers import raw_server
from tests.integration.test_external_urls import (  # noqa: F401 (proxy: a fixture)
    _proxy_env,
    _Storage,
    _StorageServer,
    proxy,
)
from tests.integration.test_pool_gate import _async_client, _paths, _routes, _until


@pytest.mark.asyncio
async def test_break2_a_call_waiting_for_a_slot_when_close_runs_is_client_closed() -> None:
    """``pool_maxsize=1``, its slot held: a call waiting at the gate when ``close()`` runs is
    ``ClientClosedError`` once the slot comes back (it was aiohttp's bare ``RuntimeError:
    Session is closed``: the session was taken before the wait), and sends nothing; the
    call whose connection ``close()`` closed under it is ``ClientClosedError`` too, not a
    "reset" blamed on the server."""
    held, release = threading.Event(), threading.Event()
    with raw_server(_routes(held, release)) as server:
        client = _async_client(server.url, pool_maxsize=1, max_retries=0)  # nothing masks it
        holder = asyncio.ensure_future(client.request("GET", "/hold"))
        try:
            assert await asyncio.to_thread(held.wait, 10)
            waiter = asyncio.ensure_future(client.request("GET", "/waiter"))
            gate = client._runtime.transport._pool.gate
            await asyncio.wait_for(_until(lambda: bool(gate.waiters)), 10)
            await client.close()
        finally:
            release.set()
        with pytest.raises(ClientClosedError) as caught:
            await waiter
        assert "/waiter" in str(caught.value) and "close()" in str(caught.value)
        with pytest.raises(ClientClosedError):
            await holder  # its connection was closed under it: not a "reset" of the server's
        assert _paths(server) == [b"/hold"]
        assert gate.free == 1


@pytest.mark.parametrize("entry", ["host", "calhost", "host:{port}"])
def test_break2_no_proxy_matches_whole_domain_labels_only(
    driver: Driver,
    server: LocalServer,
    proxy: Any,  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
    entry: str,
) -> None:
    """``NO_PROXY=host`` exempts ``host`` and its subdomains, not ``localhost`` (nor
    ``evilexample.com`` for ``example.com``): a suffix that is not a whole label used to send
    the call around the proxy on both clients, where ``requests`` routes it through."""
    api = server.url.replace("127.0.0.1", "localhost")
    _proxy_env(monkeypatch, proxy, entry.format(port=urlsplit(api).port))
    client = driver.client(api_key=server.api_key, base_url=api, allow_tracking=False)
    assert client.request("GET", "/echo").json()["path"] == "/echo"
    assert [line.split(" ", 2)[:2] for line in proxy.seen] == [["GET", f"{api}/echo"]]
    client.close()


class _RecordingStorage(_Storage):
    """The storage of ``test_external_urls`` that also keeps each PUT's target and its
    ``Authorization`` header."""

    def do_PUT(self) -> None:
        owner: Any = self.server
        owner.targets.append((self.path, self.headers.get("Authorization")))
        super().do_PUT()


@pytest.fixture
def storage() -> Iterator[_StorageServer]:
    server = _StorageServer()
    server.httpd.RequestHandlerClass = _RecordingStorage
    server.httpd.targets = []
    with server:
        yield server


@pytest.mark.parametrize(
    ("put_url", "why"),
    [
        ("http://bob:PUTSECRET@localhost:{port}/store/k1", "user-info"),
        ("http://localhost:99999/store/k1", "not a valid URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
    ],
    ids=["userinfo", "bad-port", "file"],
)
def test_break2_an_unusable_presigned_url_is_an_api_error_on_both_clients(
    driver: Driver, storage: _StorageServer, put_url: str, why: str
) -> None:
    """A presigned URL with user-info was sent with ``Authorization: Basic`` by aiohttp and
    without by urllib3; an out-of-range port raised a bare ``ValueError``. Each is now the
    upload's ``APIError`` naming what is wrong (never the credentials), nothing sent."""
    storage.httpd.put_url = put_url.format(port=storage.port)
    client = driver.client(api_key="k", base_url=storage.url, allow_tracking=False)
    with pytest.raises(APIError) as caught:
        client.files.upload(b"data", toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
    message = str(caught.value)  # the body's excerpt included: URLs in it are redacted
    assert why in message and "PUTSECRET" not in message, message
    assert storage.httpd.targets == []
    storage.httpd.put_url = f"http://localhost:{storage.port}/store/a b"
    client.files.upload(b"data", toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
    assert storage.httpd.targets == [("/store/a%20b", None)]  # one spelling on both clients
    client.close()


def test_break2_a_presigned_url_in_an_unexpected_answer_is_redacted_in_the_error(
    driver: Driver,
) -> None:
    """An upload-request answer of an unexpected shape is an ``APIError`` quoting the start of
    the body, and that body held the presigned URL with its signature and user-info: every
    URL in a quoted body is now redacted (one place: ``Scrubber.excerpt``)."""
    from composio.testing import Fault

    answer = {
        "type": "new",
        "key": "k1",
        "new_presigned_url": "http://bob:PUTSECRET@host/put?X-Amz-Signature=SIGSECRET",
    }
    with LocalServer() as server:
        server.fail_next("/api/v3/files/upload/request", [Fault(status=200, body=answer)])
        client = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
        with pytest.raises(APIError) as caught:
            client.files.upload(b"data", toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
        text = f"{caught.value} {caught.value!r}"
        assert "body starts" in text and "http://host/put" in text, text
        assert "PUTSECRET" not in text and "SIGSECRET" not in text, text
        client.close()
