"""Break round 8 on issue 21's second pass (the one-pass page, the toolkit cache, the single
JSON check): each test states a rule those changes must keep, on both clients, over loopback."""

from __future__ import annotations

import threading
from typing import Any

from composio import Stage, ValidationError
from composio._ops._body import json_problem
from composio.pipeline import Request, RequestPolicy
from composio.testing import LocalServer
from tests._drivers import Driver


def _deep(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def _deepest_accepted_here() -> int:
    """The deepest list nesting ``json_problem`` accepts when called from this frame."""
    low, high = 1, 1_000_000  # accepted, refused
    while high - low > 1:
        mid = (low + high) // 2
        if json_problem(_deep(mid)) is None:
            low = mid
        else:
            high = mid
    return low


def test_break8_a_body_just_inside_the_checks_depth_is_refused_not_a_recursion_error(
    composio_server: LocalServer, driver: Driver
) -> None:
    """The check runs a few frames above the transport that encodes the body for real: a
    body nested just within the check's reach passed it and then raised a bare
    ``RecursionError`` from the wire (break7's fix held only well past the limit). Every
    depth around the limit is either sent or a ``ValidationError`` naming the call."""
    client = driver.client(
        api_key=composio_server.api_key, base_url=composio_server.url, allow_tracking=False
    )
    # the async client checks on its event loop's thread, the sync one on this (deeper) one
    here = _deepest_accepted_here()
    elsewhere: list[int] = []
    thread = threading.Thread(target=lambda: elsewhere.append(_deepest_accepted_here()))
    thread.start()
    thread.join()
    outcomes: dict[str, int] = {}
    for depth in range(min(here, *elsewhere) - 60, max(here, *elsewhere) + 3):
        try:
            client.request("POST", "/echo", json={"a": _deep(depth)})
            outcome = "sent"
        except ValidationError as exc:
            assert "nested deeper than JSON encoding can go" in str(exc)
            assert "request" in str(exc)
            outcome = "refused"
        except RecursionError:
            outcome = "RecursionError"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert "RecursionError" not in outcomes, outcomes
    assert outcomes.get("sent") and outcomes.get("refused"), outcomes
    assert len(composio_server.requests_to("/echo")) == outcomes["sent"]  # refused: not sent
    assert client.request("POST", "/echo", json={"a": 1}).status_code == 200


class _MarksParams(RequestPolicy):
    """A middleware that adds a query parameter by editing ``request.params`` in place (the
    list the SDK hands it): SPEC §3 lets a middleware change the request."""

    name = "test-break8-marks-params"
    stage = Stage.CALL
    order = 50

    def on_request(self, request: Request) -> None:
        if isinstance(request.params, list):  # a GET with a query
            request.params.append(("mark", "1"))


def _marks(server: LocalServer, path: str) -> list[Any]:
    return [r.query.get("mark") for r in server.requests_to(path)]


def test_break8_a_middlewares_edit_of_page_one_params_does_not_reach_page_two(
    driver: Driver, server: LocalServer
) -> None:
    """A page's following pages are described from the first page's query: a middleware's
    in-place edit of the first request's params was sent again on page two (twice marked),
    for cursor pages (``tools.list``) and numbered ones (``mcp.list``)."""
    client = driver.client(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        middlewares=[_MarksParams()],
    )
    for n in range(3):
        client.mcp.create(f"server {n}", auth_config_ids=[], no_auth_apps=["text"])
    server.reset()
    tools = client.tools.list(limit=2)
    assert tools.next_page() is not None
    client.tools.list(limit=2)  # the next call
    assert _marks(server, "/api/v3.1/tools") == [["1"], ["1"], ["1"]]
    servers = client.mcp.list(limit=1)
    assert servers.has_next_page()
    servers.next_page()
    assert _marks(server, "/api/v3/mcp/servers") == [["1"], ["1"]]
