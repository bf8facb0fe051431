"""Fixtures of the integration suite (the package's own ``composio_server``/``composio_client``
come from its pytest plugin)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from composio.testing import LocalServer
from tests.integration._both import Both


@pytest_asyncio.fixture(params=["sync", "async"])
async def both(request: pytest.FixtureRequest, composio_server: LocalServer) -> AsyncIterator[Both]:
    runner = Both(None, composio_server)
    runner.is_async = request.param == "async"
    client = runner.other()
    runner.client = client
    yield runner
    await runner.close(client)
