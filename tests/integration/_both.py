"""Run one test body on both clients: the ``both`` fixture gives a ``Composio`` or an
``AsyncComposio`` on the same ``LocalServer`` and a ``run`` that awaits what the async client
returns and passes the sync client's results through. The test is written once; what differs
between the clients is exactly what the fixture hides (awaiting)."""

from __future__ import annotations

import inspect
from typing import Any

from composio import AsyncComposio, Composio
from composio.testing import LocalServer


class Both:
    def __init__(self, client: Any, server: LocalServer) -> None:
        self.client = client
        self.server = server
        self.is_async = isinstance(client, AsyncComposio)

    async def __call__(self, value: Any) -> Any:
        return await value if inspect.isawaitable(value) else value

    def other(self, **kw: Any) -> Any:
        """Another client of the same kind on the same server (its own settings)."""
        cls = AsyncComposio if self.is_async else Composio
        settings: dict[str, Any] = {
            "api_key": self.server.api_key,
            "base_url": self.server.url,
            "allow_tracking": False,
        }
        return cls(**{**settings, **kw})

    async def close(self, client: Any) -> None:
        await self(client.close())
