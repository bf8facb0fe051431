"""Issue 16 item 19: a page walk continues in the ``contextvars`` context it started in.

A middleware that reads a context variable per request (as composio-tenant-context does)
sent the *iterating* context's value on the pages after the first: a ``Page`` got for tenant A
and walked under tenant B fetched A's next pages with B's headers. Both clients, over loopback.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import pytest

from composio import Request, Stage
from composio.pipeline import RequestPolicy
from composio.testing import LocalServer
from tests._drivers import Driver

TOOLS = "/api/v3.1/tools"
tenant: ContextVar[str] = ContextVar("test_page_context_tenant", default="none")


class TenantHeader(RequestPolicy):
    """Sends the current context's tenant, read at request time."""

    name = "test-tenant"
    stage = Stage.CALL

    def on_request(self, request: Request) -> None:
        request.headers["x-tenant-id"] = tenant.get()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(page_size=2) as srv:
        yield srv


def _under(value: str, work: Any) -> Any:
    token = tenant.set(value)
    try:
        return work()
    finally:
        tenant.reset(token)


def _tenants(server: LocalServer) -> list[str | None]:
    return [r.header("x-tenant-id") for r in server.requests_to(TOOLS)]


def test_item19_a_page_walk_keeps_the_context_it_started_in(
    driver: Driver, server: LocalServer
) -> None:
    client = driver.client(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        middlewares=[TenantHeader()],
    )
    page = _under("A", lambda: client.tools.list(toolkit_slug="github"))
    assert page.next_cursor  # more than one page
    slugs = _under("B", lambda: [t.slug for t in page])
    pages = len(server.requests_to(TOOLS))
    assert pages >= 3 and len(slugs) > 2
    assert _tenants(server) == ["A"] * pages  # B's context never reached A's walk
    # One step at a time (next_page), and from a thread that has no context at all.
    server.reset()
    got: list[Any] = []
    walker = threading.Thread(target=lambda: got.append(page.next_page()))
    walker.start()
    walker.join(30)
    assert got and got[0] is not None and _tenants(server) == ["A"]
    # The caller's own context is untouched, and a new call is made in it.
    server.reset()
    _under("B", lambda: client.tools.list())
    assert _tenants(server) == ["B"]


def test_item19_cancelling_an_async_next_page_cancels_its_fetch(server: LocalServer) -> None:
    """The async walk awaits its fetch in a task made in the page's context; cancelling the
    awaiting caller (here by ``wait_for``) must cancel that task too, not leave it running."""
    import asyncio

    from composio import AsyncComposio
    from composio.testing import Fault

    async def scenario() -> list[asyncio.Task[Any]]:
        async with AsyncComposio(
            api_key=server.api_key, base_url=server.url, allow_tracking=False
        ) as client:
            page = await client.tools.list()
            server.fail_next(TOOLS, [Fault(status=200, body={"items": []}, delay=5.0)])
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(page.next_page(), 0.3)
            return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(scenario()) == []
