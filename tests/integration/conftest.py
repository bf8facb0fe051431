"""Fixtures of the integration tests of SPEC §14's resources: a fresh ``LocalServer`` and a
client of the kind the ``driver`` fixture picks (``Composio``, or ``AsyncComposio`` behind
the sync view), so each test states its rule once and runs on both clients. A test module
may define its own ``server``/``client``; it then wins over these."""

from __future__ import annotations

from typing import Any

import pytest

from composio.testing import LocalServer
from tests._drivers import Driver


@pytest.fixture
def server(composio_server: LocalServer) -> LocalServer:
    return composio_server


@pytest.fixture
def client(driver: Driver, server: LocalServer) -> Any:
    """A ``Composio``, or an ``AsyncComposio`` seen through the sync view (``driver``)."""
    return driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
