"""``connected_accounts`` and ``ConnectionRequest`` over loopback, on both clients (SPEC §14).

The whole connect flow runs as it does in production: the SDK links (or initiates), a
"browser" GETs the ``redirect_url`` (no API key, like a user's browser), and waiting polls
the account through the client's chain until it is ``ACTIVE``, ``FAILED``, or the deadline.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from composio import (
    APITimeoutError,
    AsyncConnectionRequest,
    BadRequestError,
    ComposioError,
    ConnectedAccount,
    ConnectionFailedError,
    ConnectionRequest,
    MultipleConnectedAccountsError,
    NotFoundError,
    Response,
    Stage,
    ValidationError,
)
from composio.testing import Fault, LocalServer
from tests._drivers import Driver, SyncView


def _settings(server: LocalServer) -> dict[str, Any]:
    return {"api_key": server.api_key, "base_url": server.url, "allow_tracking": False}


def _real(value: Any) -> Any:
    """What the client returned (a view shows the async client's objects synchronously)."""
    return value.target if isinstance(value, SyncView) else value


def _browser(url: str, **params: str) -> requests.Response:
    """What the user's browser does with a redirect URL: no API key, redirects not followed."""
    return requests.get(url, params=params or None, allow_redirects=False, timeout=10)


def _managed(client: Any, toolkit: str = "github") -> str:
    config = client.auth_configs.create(toolkit)
    return str(config.id)


def _api_key_config(client: Any) -> str:
    options = {"type": "use_custom_auth", "authScheme": "API_KEY", "name": "keys"}
    config = client.auth_configs.create("github", options=options)
    return str(config.id)


def _polls(server: LocalServer, account_id: str) -> list[Any]:
    return [
        r
        for r in server.requests_to(f"/api/v3.1/connected_accounts/{account_id}")
        if r.method == "GET"
    ]


class _BrowserDuringWait:
    """Completes the connection (a browser GET of its redirect URL) right after the first
    poll has seen it still ``INITIATED``: the wait must then see ``ACTIVE`` on a later poll.
    Event-driven: no sleep decides the order."""

    name = "browser-during-wait"
    stage = Stage.ATTEMPT

    def __init__(self, error: str | None = None) -> None:
        self.redirect_url: str | None = None
        self.error = error
        self.seen: list[str] = []

    def on_response(self, response: Response) -> None:
        if response.request.method != "GET" or self.redirect_url is None:
            return
        if response.status_code != 200:
            self.seen.append(str(response.status_code))
            return
        self.seen.append(json.loads(response.content)["status"])
        if self.seen.count("INITIATED") == 1 and self.seen[-1] == "INITIATED":
            params = {"error": self.error} if self.error else {}
            assert _browser(self.redirect_url, **params).status_code == 200


def test_link_then_the_browser_then_wait_gives_the_active_account(
    driver: Driver, server: LocalServer, client: Any
) -> None:
    config_id = _managed(client)
    request = client.connected_accounts.link("alice", config_id)
    assert isinstance(_real(request), ConnectionRequest)
    assert isinstance(_real(request), AsyncConnectionRequest) is driver.is_async
    assert request.status == "INITIATED" and request.redirect_url
    assert request.extra["link_token"] and request.extra["expires_at"]
    sent = server.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/api/v3.1/connected_accounts/link")
    assert json.loads(sent.body) == {"auth_config_id": config_id, "user_id": "alice"}

    before = client.connected_accounts.retrieve(request.id)
    assert isinstance(before, ConnectedAccount) and before.status == "INITIATED"

    assert _browser(request.redirect_url).status_code == 200  # the user grants access
    account = request.wait_for_connection(timeout=10)
    assert isinstance(account, ConnectedAccount)
    assert (account.id, account.status, account.user_id) == (request.id, "ACTIVE", "alice")
    assert account.toolkit_slug == "github" and account.auth_config_id == config_id
    # Polls at once: one GET found it ACTIVE, no wait before it.
    assert len(_polls(server, request.id)) == 2  # the retrieve above, then the single poll


def test_wait_polls_until_the_user_completes_mid_wait(
    driver: Driver, server: LocalServer, client: Any
) -> None:
    browser = _BrowserDuringWait()
    client = driver.client(**_settings(server), middlewares=[browser])
    try:
        config_id = _managed(client)
        request = client.connected_accounts.link("bob", config_id)
        browser.redirect_url = request.redirect_url
        session = client.create_session(headers={"x-tenant-id": "t-1"})
        account = session.connected_accounts.wait_for_connection(request.id)
        assert account.status == "ACTIVE"
        assert browser.seen == ["INITIATED", "ACTIVE"]
        polls = _polls(server, request.id)
        assert len(polls) == 2
        # Each poll is an ordinary call through the chain: the session's headers ride along.
        assert {p.header("x-tenant-id") for p in polls} == {"t-1"}
    finally:
        client.close()


def test_a_denied_connection_raises_connection_failed_with_the_state(
    driver: Driver, server: LocalServer, client: Any
) -> None:
    browser = _BrowserDuringWait(error="access_denied")
    client = driver.client(**_settings(server), middlewares=[browser])
    try:
        request = client.connected_accounts.link("carol", _managed(client))
        browser.redirect_url = request.redirect_url
        with pytest.raises(ConnectionFailedError) as info:
            request.wait_for_connection(timeout=10)
    finally:
        client.close()
    err = info.value
    assert isinstance(err, ComposioError)
    assert (err.status, err.account_id, err.reason) == ("FAILED", request.id, "access_denied")
    assert "FAILED" in str(err) and request.id in str(err)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.status, copy.account_id, copy.reason, str(copy)) == (
        err.status,
        err.account_id,
        err.reason,
        str(err),
    )
    assert copy.account == err.account


@pytest.mark.parametrize("state", ["EXPIRED", "INACTIVE", "REVOKED"])
def test_every_terminal_state_ends_the_wait(server: LocalServer, client: Any, state: str) -> None:
    request = client.connected_accounts.link("dan", _managed(client))
    server.set_connection_status(request.id, state)
    with pytest.raises(ConnectionFailedError) as info:
        client.connected_accounts.wait_for_connection(request.id, timeout=10)
    assert info.value.status == state
    assert len(_polls(server, request.id)) == 1


def test_nobody_completes_gives_api_timeout_on_time(server: LocalServer, client: Any) -> None:
    request = client.connected_accounts.link("erin", _managed(client))
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        request.wait_for_connection(timeout=1.5)
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 2.0, elapsed  # never gives up early, never overruns
    assert request.id in str(info.value) and "INITIATED" in str(info.value)
    polls = _polls(server, request.id)
    # at once, then after ~0.5 s, then ~1 s later: backoff, not a tight loop
    assert 2 <= len(polls) <= 4, len(polls)


def test_the_deadline_holds_while_a_poll_is_in_flight(server: LocalServer, client: Any) -> None:
    request = client.connected_accounts.link("fay", _managed(client))
    path = f"/api/v3.1/connected_accounts/{request.id}"
    server.fail_next(path, [Fault(200, delay=8.0, passthrough=True)])  # a stuck poll
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.connected_accounts.wait_for_connection(request.id, timeout=1.0)
    assert time.monotonic() - started < 1.6


def test_a_poll_that_fails_transiently_is_polled_again(
    driver: Driver, server: LocalServer, client: Any
) -> None:
    browser = _BrowserDuringWait()
    client = driver.client(**_settings(server), middlewares=[browser], max_retries=0)
    try:
        request = client.connected_accounts.link("gus", _managed(client))
        browser.redirect_url = request.redirect_url
        server.fail_next(f"/api/v3.1/connected_accounts/{request.id}", [503, 503])
        account = client.connected_accounts.wait_for_connection(request.id)
        assert account.status == "ACTIVE"
        assert browser.seen == ["503", "503", "INITIATED", "ACTIVE"]
    finally:
        client.close()


def test_an_unknown_account_ends_the_wait_at_once(server: LocalServer, client: Any) -> None:
    with pytest.raises(NotFoundError):
        client.connected_accounts.wait_for_connection("ca_nope", timeout=30)
    assert len(server.requests) == 1


def test_initiate_on_managed_oauth_says_to_call_link(server: LocalServer, client: Any) -> None:
    config_id = _managed(client)
    with pytest.raises(BadRequestError) as info:
        client.connected_accounts.initiate("hal", config_id)
    message = str(info.value)
    assert "connected_accounts.link" in message and info.value.status_code == 400
    posted = server.requests_to("/api/v3.1/connected_accounts")
    assert [r.method for r in posted] == ["GET", "POST"]  # the allow_multiple check, then it
    pickle.loads(pickle.dumps(info.value))


def test_initiate_with_credentials_and_the_allow_multiple_check(
    server: LocalServer, client: Any
) -> None:
    accounts = client.connected_accounts
    config_id = _api_key_config(client)
    config = {"authScheme": "API_KEY", "val": {"api_key": "user-key-1"}}
    first = accounts.initiate("ivy", config_id, config=config)
    assert isinstance(_real(first), ConnectionRequest) and first.status == "ACTIVE"
    body = json.loads(server.requests_to("/api/v3.1/connected_accounts")[-1].body)
    assert body == {
        "auth_config": {"id": config_id},
        "connection": {
            "user_id": "ivy",
            "state": {
                "authScheme": "API_KEY",
                "val": {"api_key": "user-key-1", "status": "ACTIVE"},
            },
        },
    }
    server.reset()
    with pytest.raises(MultipleConnectedAccountsError) as info:
        accounts.initiate("ivy", config_id, config=config)
    assert info.value.account_id == first.id and first.id in str(info.value)
    # Nothing about the check is sent: one list call with the user's ACTIVE accounts, no POST.
    [check] = server.requests
    assert check.method == "GET" and check.path == "/api/v3.1/connected_accounts"
    assert check.query == {
        "user_ids": ["ivy"],
        "auth_config_ids": [config_id],
        "statuses": ["ACTIVE"],
        "limit": ["1"],
    }
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.account_id, copy.user_id, copy.auth_config_id) == (first.id, "ivy", config_id)

    server.reset()
    second = accounts.initiate("ivy", config_id, config=config, allow_multiple=True)
    assert second.id != first.id
    assert [r.method for r in server.requests] == ["POST"]  # no check when allowed
    # Another user, or a non-ACTIVE account, is no obstacle.
    other = accounts.initiate("jay", config_id, callback_url="https://app.example/cb")
    assert other.status == "INITIATED" and other.redirect_url
    body = json.loads(server.requests[-1].body)
    assert body["connection"] == {"user_id": "jay", "callback_url": "https://app.example/cb"}


def test_the_vendor_spelling_of_config_is_sent_as_the_spec_spells_it(
    server: LocalServer, client: Any
) -> None:
    config_id = _api_key_config(client)
    config = {"auth_scheme": "API_KEY", "val": {"api_key": "k", "status": "ACTIVE"}}
    client.connected_accounts.initiate("kim", config_id, config=config)
    body = json.loads(server.requests[-1].body)
    assert body["connection"]["state"] == {
        "authScheme": "API_KEY",
        "val": {"api_key": "k", "status": "ACTIVE"},
    }


def test_list_filters_and_walks_pages(server: LocalServer, client: Any) -> None:
    accounts = client.connected_accounts
    config_id = _managed(client)
    made = [(accounts.link(user, config_id)) for user in ("u1", "u2", "u1")]
    _browser(made[0].redirect_url)
    page = accounts.list(user_ids="u1", statuses=["active"])
    assert [a.id for a in page.items] == [made[0].id]
    sent = server.requests[-1]
    assert sent.query == {"user_ids": ["u1"], "statuses": ["ACTIVE"]}
    page = accounts.list(
        user_ids=["u1", "u2"],
        toolkit_slugs=["github"],
        auth_config_ids=[config_id],
        statuses=["INITIATED", "ACTIVE"],
        limit=2,
    )
    assert len(page.items) == 2 and page.has_next_page()
    assert server.requests[-1].query == {
        "toolkit_slugs": ["github"],
        "statuses": ["INITIATED", "ACTIVE"],
        "limit": ["2"],
        "user_ids": ["u1", "u2"],
        "auth_config_ids": [config_id],
    }
    ids = [a.id for a in page]
    assert sorted(ids) == sorted(m.id for m in made)


def test_delete_enable_disable_return_none_and_change_the_account(
    server: LocalServer, client: Any
) -> None:
    accounts = client.connected_accounts
    request = accounts.link("lee", _managed(client))
    assert (accounts.disable(request.id)) is None
    assert (accounts.retrieve(request.id)).is_disabled is True
    patch = server.requests_to(f"/api/v3.1/connected_accounts/{request.id}/status")[-1]
    assert patch.method == "PATCH" and json.loads(patch.body) == {"enabled": False}
    assert (accounts.enable(request.id)) is None
    assert (accounts.retrieve(request.id)).is_disabled is False
    assert (accounts.delete(request.id)) is None
    delete = server.requests[-1]
    assert delete.method == "DELETE" and delete.body == b""  # the spec declares no body
    with pytest.raises(NotFoundError):
        accounts.retrieve(request.id)


def test_refresh_returns_a_connection_request_to_complete_again(
    server: LocalServer, client: Any
) -> None:
    accounts = client.connected_accounts
    request = accounts.link("max", _managed(client))
    _browser(request.redirect_url)
    refreshed = accounts.refresh(request.id)
    assert isinstance(_real(refreshed), ConnectionRequest) and refreshed.id == request.id
    assert refreshed.status == "INITIATED" and refreshed.redirect_url != request.redirect_url
    assert server.requests[-1].body == b""
    _browser(refreshed.redirect_url)
    assert (refreshed.wait_for_connection(timeout=10)).status == "ACTIVE"


def test_a_pickled_connection_request_keeps_its_fields_not_its_client(
    driver: Driver, client: Any
) -> None:
    request = client.connected_accounts.link("ned", _managed(client))
    made = _real(request)
    copy = pickle.loads(pickle.dumps(made))
    assert type(copy) is type(made)
    assert (copy.id, copy.status, copy.redirect_url, dict(copy.extra)) == (
        request.id,
        request.status,
        request.redirect_url,
        dict(request.extra),
    )
    assert copy == made
    with pytest.raises(ComposioError, match="wait_for_connection"):
        waiting = copy.wait_for_connection(timeout=1)
        if driver.is_async:
            asyncio.run(waiting)
    # The id is enough to wait through any client.
    _browser(request.redirect_url)
    waited = client.connected_accounts.wait_for_connection(copy.id)
    assert waited.status == "ACTIVE"


def test_bad_input_names_the_argument_and_sends_nothing(server: LocalServer, client: Any) -> None:
    accounts = client.connected_accounts
    calls: list[tuple[Any, str]] = [
        (lambda: accounts.link("", "ac_1"), "user_id"),
        (lambda: accounts.link("u", None), "auth_config_id"),
        (lambda: accounts.link("u", "ac_1", callback_url=""), "callback_url"),
        (lambda: accounts.initiate("u", "ac_1", allow_multiple="yes"), "allow_multiple"),
        (lambda: accounts.initiate("u", "ac_1", config=["API_KEY"]), "config"),
        (lambda: accounts.initiate("u", "ac_1", config={"val": {}}), "authScheme"),
        (lambda: accounts.list(statuses=["DONE"]), "statuses"),
        (lambda: accounts.list(user_ids=[""]), "user_ids"),
        (lambda: accounts.list(limit=0), "limit"),
        (lambda: accounts.retrieve(""), "id"),
        (lambda: accounts.delete(" "), "id"),
        (lambda: accounts.wait_for_connection("ca_1", timeout=0), "timeout"),
        (lambda: accounts.wait_for_connection("ca_1", timeout=float("inf")), "timeout"),
    ]
    for call, name in calls:
        with pytest.raises(ValidationError, match=name):
            call()
    assert server.requests == []


def test_ids_travel_as_one_path_segment(server: LocalServer, client: Any) -> None:
    with pytest.raises(NotFoundError):
        client.connected_accounts.retrieve("../auth_configs")
    path = server.requests[-1].path
    assert urlsplit(path).path.startswith("/api/v3.1/connected_accounts/")
    assert path.count("/") == 4


class _PollSeen:
    """Sets an asyncio event when the first poll's answer arrives (no sleep decides it)."""

    name = "poll-seen"
    stage = Stage.ATTEMPT

    def __init__(self) -> None:
        self.event: asyncio.Event | None = None

    def on_response(self, response: Response) -> None:
        if response.request.method == "GET" and self.event is not None:
            self.event.set()


@pytest.mark.asyncio
async def test_cancelling_an_async_wait_cancels_it_and_frees_the_connection(
    composio_server: LocalServer,
) -> None:
    from composio import AsyncComposio

    seen = _PollSeen()
    async with AsyncComposio(
        api_key=composio_server.api_key,
        base_url=composio_server.url,
        allow_tracking=False,
        middlewares=[seen],
    ) as client:
        config = await client.auth_configs.create("github")
        request = await client.connected_accounts.link("zed", config.id)
        seen.event = asyncio.Event()
        task = asyncio.create_task(request.wait_for_connection(timeout=30))
        await seen.event.wait()  # the first poll answered: the wait is now sleeping
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client._runtime.transport.checked_out() == 0
        # The client is as usable as before.
        assert (await client.connected_accounts.retrieve(request.id)).status == "INITIATED"
