"""pytest fixtures (registered through the ``pytest11`` entry point).

* ``composio_server`` -- a fresh :class:`~composio.testing.LocalServer` per test.
* ``composio_client`` -- a ``Composio`` client pointed at it (telemetry off, no retries waits
  beyond the defaults), closed after the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from composio.testing.server import LocalServer


@pytest.fixture
def composio_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def composio_client(composio_server: LocalServer) -> Iterator[object]:
    from composio import Composio

    client = Composio(
        api_key=composio_server.api_key,
        base_url=composio_server.url,
        allow_tracking=False,
    )
    try:
        yield client
    finally:
        client.close()
