"""pytest fixtures (registered through the ``pytest11`` entry point).

* ``composio_server`` -- a fresh :class:`~composio.testing.LocalServer` per test.
* ``composio_client`` -- a ``Composio`` client pointed at it (telemetry off, no retries waits
  beyond the defaults), closed after the test.
* ``composio_async_client`` -- the same as an ``AsyncComposio``, closed (awaited) after the
  test. It is an async fixture: with pytest-asyncio (the project's runner) mark the test
  ``@pytest.mark.asyncio``; with anyio's plugin, ``@pytest.mark.anyio`` works too (the fixture
  is then a plain async-generator fixture, which anyio drives).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from composio.testing.server import LocalServer

try:  # pytest-asyncio in strict mode only drives async fixtures declared through it
    import pytest_asyncio

    _async_fixture: Any = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - anyio's plugin drives plain async fixtures
    _async_fixture = pytest.fixture


def _settings(server: LocalServer) -> dict[str, Any]:
    return {"api_key": server.api_key, "base_url": server.url, "allow_tracking": False}


@pytest.fixture
def composio_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def composio_client(composio_server: LocalServer) -> Iterator[object]:
    from composio import Composio

    client = Composio(**_settings(composio_server))
    try:
        yield client
    finally:
        client.close()


@_async_fixture  # type: ignore[untyped-decorator]
async def composio_async_client(composio_server: LocalServer) -> AsyncIterator[object]:
    from composio import AsyncComposio

    client = AsyncComposio(**_settings(composio_server))
    try:
        yield client
    finally:
        await client.close()
