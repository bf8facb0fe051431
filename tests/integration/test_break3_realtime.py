"""Break round 3 (issue 20): the realtime websocket against a hostile origin.

The rule ``validate_realtime_url`` enforces -- plain text only on loopback -- is about where
the socket goes; a redirect is the server choosing another place. aiohttp's ``ws_connect``
follows redirects (to any ``http://`` URL), so a ``wss://`` origin could send the socket, and
the channel's auth signature sent on it, to a plain-text host anywhere.
"""

from __future__ import annotations

import gc
import socket
import threading
import warnings
from collections.abc import Iterator

import pytest

from composio import APIConnectionError
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.integration.test_realtime import WAIT, Sub, _loop_tasks, _realtime_threads, _settings


@pytest.fixture
def redirector(server: LocalServer) -> Iterator[tuple[str, list[bytes]]]:
    """Answers every websocket handshake with a 307 to the LocalServer's own hub (as
    ``http://``, the scheme aiohttp follows): following it would subscribe."""
    listener = socket.create_server(("127.0.0.1", 0))
    target = server.realtime_url.replace("ws://", "http://", 1)
    seen: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                head = conn.recv(65536)
                seen.append(head)
                path = head.split(b" ", 2)[1].decode()
                conn.sendall(
                    f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}{path}\r\n"
                    "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{listener.getsockname()[1]}", seen
    listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept (Linux)
    listener.close()
    thread.join()


def test_break3_realtime_websocket_follows_no_redirect(
    driver: Driver, server: LocalServer, redirector: tuple[str, list[bytes]]
) -> None:
    url, seen = redirector
    client = driver.client(**_settings(server, realtime_url=url))
    with pytest.raises(APIConnectionError, match="redirect") as caught:
        Sub(driver, client)
    assert url in str(caught.value) and server.api_key not in str(caught.value)
    assert len(seen) == 1 and server.realtime.connections == 0
    assert server.realtime.subscriptions == 0
    assert _realtime_threads() == []
    if driver.loop is not None:
        assert _loop_tasks(driver) == set()
    assert client.triggers.type_enum()  # the client stays usable


@pytest.mark.parametrize("driver", ["async"], indirect=True)
def test_break3_async_close_right_after_subscribe_closes_the_socket(
    driver: Driver, server: LocalServer
) -> None:
    """``close()`` before the reading task first ran: cancelling a task that never started
    skips its ``finally``, so the websocket and its aiohttp session were left open."""
    client = driver.client(**_settings(server))
    assert driver.loop is not None

    async def subscribe_and_close() -> bool:
        sub = await client.target.triggers.subscribe()
        await sub.close()  # no await in between: the reading task has not run yet
        return bool(sub.closed)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert driver.loop.run(subscribe_and_close(), WAIT)
        gc.collect()
    assert server.realtime.wait_for(lambda hub: hub.connections == 0, WAIT)
    assert _loop_tasks(driver) == set()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
