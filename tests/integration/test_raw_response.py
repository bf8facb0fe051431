"""SPEC §18: ``client.with_raw_response.<resource>.<method>(...)`` and ``_request_id``.

Both clients (the ``driver`` fixture), over loopback to a real ``LocalServer``. A
``RequestPolicy`` numbers each request's ``x-request-id`` (the server echoes it), so which
response a ``RawResponse`` and a model's ``_request_id`` describe is known exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from composio import NotFoundError, Request, Stage
from composio.pipeline import RequestPolicy
from composio.testing import Fault, LocalServer
from tests._drivers import Driver


class NumberedRequestIds(RequestPolicy):
    """Sends ``x-request-id: req-1``, ``req-2``... (LocalServer answers with the one sent)."""

    name = "test-numbered-request-ids"
    stage = Stage.ATTEMPT

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.sent: list[str] = []

    def on_request(self, request: Request) -> None:
        value = f"req-{next(self.counter)}"
        self.sent.append(value)
        request.headers["x-request-id"] = value


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(page_size=2) as srv:
        yield srv


@pytest.fixture
def ids() -> NumberedRequestIds:
    return NumberedRequestIds()


@pytest.fixture
def client(driver: Driver, server: LocalServer, ids: NumberedRequestIds) -> Any:
    return driver.client(
        api_key=server.api_key, base_url=server.url, allow_tracking=False, middlewares=[ids]
    )


def test_raw_response_has_status_headers_request_id_elapsed_and_the_plain_calls_model(
    client: Any, ids: NumberedRequestIds
) -> None:
    raw = client.with_raw_response.toolkits.retrieve("github")
    assert raw.status_code == 200
    assert raw.headers["Content-Type"].startswith("application/json")  # case-insensitive
    assert raw.request_id == ids.sent[-1] == raw.headers["x-request-id"]
    assert isinstance(raw.elapsed, float) and raw.elapsed > 0
    toolkit = raw.parse()
    assert toolkit == client.toolkits.retrieve("github")  # what the plain call returns
    assert toolkit.slug == "github" and toolkit._request_id == ids.sent[-2]
    assert raw.http_response.json()["slug"] == "github"
    assert repr(raw) == f"<RawResponse [200] toolkits.retrieve request_id={ids.sent[-2]!r}>"


def test_a_page_and_its_items_carry_the_request_id_and_later_pages_do_not_rewrite_it(
    client: Any, ids: NumberedRequestIds
) -> None:
    raw = client.with_raw_response.tools.list(toolkit_slug="github")
    page = raw.parse()
    first = ids.sent[-1]
    assert raw.request_id == page._request_id == first
    assert page.items and {tool._request_id for tool in page.items} == {first}
    nxt = page.next_page()  # a request made after the raw call returned, in the page's context
    assert nxt is not None and nxt._request_id == ids.sent[-1] != first
    assert {tool._request_id for tool in nxt.items} == {ids.sent[-1]}
    assert raw.request_id == first and raw.http_response.json()["items"][0]["slug"] == (
        page.items[0].slug
    )


def test_a_multi_request_flow_reports_its_last_api_response(
    client: Any, server: LocalServer, ids: NumberedRequestIds
) -> None:
    server.reset()
    raw = client.with_raw_response.toolkits.retrieve_many(["github", "gmail", "slack"])
    assert len(server.requests) >= 2  # a flow: page_size=2 makes it walk pages
    assert raw.request_id == ids.sent[-1] and raw.status_code == 200
    toolkits = raw.parse()
    assert [t.slug for t in toolkits] == ["github", "gmail", "slack"]
    # each model keeps the id of the response it came from: the first page's, then the last's
    assert toolkits[0]._request_id == ids.sent[0] and toolkits[-1]._request_id == ids.sent[-1]


def test_with_raw_response_raises_the_plain_calls_error_and_the_client_stays_usable(
    client: Any,
) -> None:
    with pytest.raises(NotFoundError, match="NOPE_TOOL"):
        client.with_raw_response.tools.retrieve("NOPE_TOOL")
    assert client.with_raw_response.toolkits.retrieve("github").status_code == 200


def test_plain_calls_return_models_with_the_responses_request_id(
    client: Any, ids: NumberedRequestIds
) -> None:
    assert client.toolkits.retrieve("github")._request_id == ids.sent[-1]
    categories = client.toolkits.categories()
    assert categories and {c._request_id for c in categories} == {ids.sent[-1]}
    page = client.toolkits.list()
    assert page._request_id == ids.sent[-1]
    # A ConnectionRequest is rebuilt bound to the client (connected_accounts.bind): it keeps
    # the id of the response that created it.
    config = client.auth_configs.create("github")
    request = client.connected_accounts.link("user-1", config.id)
    assert request.id and request._request_id == ids.sent[-1]


def test_an_upload_reports_the_apis_response_not_the_storage_put(
    client: Any, server: LocalServer, ids: NumberedRequestIds, tmp_path: Any
) -> None:
    # files.upload is POST /files/upload/request, then a PUT to another origin (presigned
    # storage): that PUT is not the API's response, so it is neither the raw response nor
    # the source of the FileRef's request id.
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    raw = client.with_raw_response.files.upload(
        path, toolkit_slug="text", tool_slug="TEXT_UPPERCASE"
    )
    assert server.uploaded_files  # the PUT happened
    assert raw.http_response.request.url.endswith("/api/v3.1/files/upload/request")
    assert raw.request_id == ids.sent[-1] == raw.parse()._request_id


def test_a_custom_tool_run_locally_has_a_raw_response_too(
    driver: Driver, server: LocalServer
) -> None:
    from composio import custom_tool

    @custom_tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    client = driver.client(
        api_key=server.api_key, base_url=server.url, allow_tracking=False, custom_tools=[add]
    )
    raw = client.with_raw_response.tools.execute("ADD", {"a": 1, "b": 2}, user_id="u")
    assert raw.status_code == 200 and raw.parse().data == {"result": 3}
    assert not server.requests_to("/api/v3.1/tools/execute/ADD")  # ran here, no HTTP


def test_request_id_reaches_nested_models_built_at_once_or_lazily(
    client: Any, ids: NumberedRequestIds
) -> None:
    """``Tool.toolkit`` is a model the call returns too (SPEC §18): it had no id."""
    eager = client.tools.retrieve("GITHUB_CREATE_ISSUE")
    assert eager.toolkit is not None  # built now (before the stamp on a later read: lazily)
    assert eager._request_id == eager.toolkit._request_id == ids.sent[-1]
    [lazy] = client.tools.list(tool_slugs=["GITHUB_CREATE_ISSUE"]).items
    rid = lazy._request_id
    assert rid == ids.sent[-1] and lazy.toolkit is not None and lazy.toolkit._request_id == rid


def test_request_id_echoing_a_secret_is_scrubbed_on_models_raw_responses_and_pickles(
    client: Any, server: LocalServer
) -> None:
    """A server (or proxy) echoing the API key into ``x-request-id``: the id was kept as is on
    every model, its nested models, a ``RawResponse`` and their pickles (SPEC §12.5)."""
    import pickle

    body = client.with_raw_response.tools.retrieve("GITHUB_CREATE_ISSUE").http_response.json()
    echo = {"x-request-id": f"echo-{server.api_key}", "x-echo": server.api_key}
    path = "/api/v3/tools/GITHUB_CREATE_ISSUE"
    server.fail_next(path, [Fault(status=200, headers=echo, body=body)] * 2)
    tool = client.tools.retrieve("GITHUB_CREATE_ISSUE")
    raw = client.with_raw_response.tools.retrieve("GITHUB_CREATE_ISSUE")
    raw = getattr(raw, "_target", raw)  # the async driver's blocking view of it
    assert tool._request_id == "echo-***" and tool.toolkit._request_id == "echo-***"
    assert raw.request_id == "echo-***" and raw.parse()._request_id == "echo-***"
    for kept in (tool, raw, raw.parse()):
        assert server.api_key.encode() not in pickle.dumps(kept)
    again = pickle.loads(pickle.dumps(raw))
    assert again.request_id == "echo-***" and again.headers["x-echo"] == "***"
