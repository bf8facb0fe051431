"""``client.triggers.subscribe`` on both clients, over a real websocket on loopback: the SDK's
aiohttp client against ``LocalServer``'s Pusher-protocol server (standard library, RFC 6455
by hand), which shares no code with it. Frames are checked against the Pusher Channels
protocol 7 documentation (https://pusher.com/docs/channels/library_auth_reference/
pusher-websockets-protocol) and the auth signature against the worked example of
https://pusher.com/docs/channels/library_auth_reference/auth-signatures.

Every wait is on a condition (an event arriving, the hub counting a subscription or a pong)
with a bound that only proves "did not hang"; nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import threading
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from composio import (
    APIConnectionError,
    APITimeoutError,
    AsyncComposio,
    Composio,
    ComposioError,
    TriggerEvent,
)
from composio.errors import PermissionDeniedError, ValidationError
from composio.testing import LocalServer
from composio.testing._realtime_hub import CHUNK_SIZE, pusher_signature
from tests._drivers import Driver
from tests.integration._api import Api

STAR = "GITHUB_STAR_ADDED_EVENT"
CONFIG = {"owner": "octo", "repo": "hello"}
WAIT = 15.0  # "did not hang", never a synchronisation sleep


def _realtime_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("composio-realtime:")]


class Sub:
    """A subscription of either client behind one blocking surface: ``next()``, ``close()``.
    The async one runs on the driver's loop thread, as the caller's own task would."""

    def __init__(self, driver: Driver, client: Any, **filters: Any) -> None:
        self.driver = driver
        if driver.loop is not None:
            self.sub = driver.loop.run(client.target.triggers.subscribe(**filters))
        else:
            self.sub = client.triggers.subscribe(**filters)

    def next(self) -> TriggerEvent:
        if self.driver.loop is not None:
            return self.driver.loop.run(self.sub.__anext__(), WAIT)  # type: ignore[no-any-return]
        return next(self.sub)  # type: ignore[no-any-return]

    def __enter__(self) -> Sub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.driver.loop is not None:
            self.driver.loop.run(self.sub.close(), WAIT)
        else:
            self.sub.close()


def _loop_tasks(driver: Driver) -> set[asyncio.Task[Any]]:
    """Tasks left on the driver's loop besides the one asking."""
    assert driver.loop is not None

    async def others() -> set[asyncio.Task[Any]]:
        return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]

    return driver.loop.run(others())


@pytest.fixture
def api(server: LocalServer) -> Iterator[Api]:
    caller = Api(server)
    yield caller
    caller.close()


def _settings(server: LocalServer, **more: Any) -> dict[str, Any]:
    """Either client's keywords for ``server``, its websocket included."""
    return {
        "api_key": server.api_key,
        "base_url": server.url,
        "allow_tracking": False,
        "realtime_url": server.realtime_url,
        **more,
    }


@pytest.fixture
def client(driver: Driver, server: LocalServer) -> Any:
    return driver.client(**_settings(server))


@pytest.fixture
def sync_client(server: LocalServer) -> Iterator[Composio]:
    with Composio(**_settings(server)) as made:
        yield made


def _trigger(
    api: Api, user: str, toolkit: str = "github", slug: str = STAR, config: Any = None
) -> str:
    account = api.active_account(user, toolkit)
    body = {"connected_account_id": account, "trigger_config": CONFIG if config is None else config}
    made = api("POST", f"/trigger_instances/{slug}/upsert", json=body)
    return str(made["trigger_id"])


# -- delivery --------------------------------------------------------------------------------
def test_an_event_fired_after_subscribing_arrives_as_a_trigger_event(
    driver: Driver, client: Any, server: LocalServer, api: Api
) -> None:
    trigger = _trigger(api, "alice")
    server.reset()
    with Sub(driver, client) as sub:
        assert server.fire_trigger(trigger, {"stars": 7}) == 200  # no webhook: realtime only
        event = sub.next()
    assert isinstance(event, TriggerEvent)
    assert (event.trigger_slug, event.trigger_id, event.user_id, event.version) == (
        STAR,
        trigger,
        "alice",
        "V3",
    )
    assert event.data == {"stars": 7} and event.id.startswith("msg_")
    # credentials and channel auth are ordinary API calls through the chain, with the key ...
    calls = [(r.method, r.path.split("/api/v3.1", 1)[1]) for r in server.requests]
    assert calls == [
        ("GET", "/internal/sdk/realtime/credentials"),
        ("POST", "/internal/sdk/realtime/auth"),
    ]
    assert all(r.headers.get("x-api-key") == server.api_key for r in server.requests)
    # ... while the websocket goes to another origin and carries none of the SDK's headers
    (handshake,) = server.realtime.handshakes
    assert not {"x-api-key", "authorization", "cookie"} & set(handshake)
    assert server.api_key not in json.dumps(handshake)


def test_the_realtime_api_calls_are_retried_like_any_call_and_a_refusal_raised(
    driver: Driver, client: Any, server: LocalServer, api: Api
) -> None:
    trigger = _trigger(api, "alice")
    server.reset()
    server.fail_next("/api/v3.1/internal/sdk/realtime/credentials", [503])
    server.fail_next("/api/v3.1/internal/sdk/realtime/auth", [502])
    with Sub(driver, client) as sub:
        server.fire_trigger(trigger, {"n": 1})
        assert sub.next().data == {"n": 1}
    assert len(server.requests_to("/api/v3.1/internal/sdk/realtime/credentials")) == 2
    assert len(server.requests_to("/api/v3.1/internal/sdk/realtime/auth")) == 2
    assert all(r.headers.get("x-retry-count") for r in server.requests[1::2])
    # the API refusing the channel is the API's own error, and nothing is left running
    server.fail_next("/api/v3.1/internal/sdk/realtime/auth", [403])
    with pytest.raises(PermissionDeniedError):
        Sub(driver, client)
    assert _realtime_threads() == []
    if driver.loop is not None:
        assert _loop_tasks(driver) == set()


def test_a_200_kb_payload_arrives_whole_through_chunked_frames(
    driver: Driver, client: Any, server: LocalServer, api: Api
) -> None:
    trigger = _trigger(api, "alice")
    big = {"blob": "é" * 200_000, "list": list(range(1000))}
    with Sub(driver, client) as sub:
        server.fire_trigger(trigger, big)
        event = sub.next()
    assert event.data == big
    assert server.realtime.sent["chunked-trigger_to_client"] > 200_000 // CHUNK_SIZE
    assert server.realtime.sent["trigger_to_client"] == 0


@pytest.mark.parametrize(
    ("filters", "wanted_user"),
    [
        ({"user_id": "bob"}, "bob"),
        ({"toolkit": "SLACK"}, "bob"),
        ({"connected_account_id": "<bob>"}, "bob"),
        ({"trigger_id": "<bob-trigger>"}, "bob"),
        ({"auth_config_id": "<bob-config>"}, "bob"),  # the filter the vendor's TS SDK ignored
        ({"trigger_slug": "github_star_added_event", "user_id": "ALICE"}, "alice"),
    ],
)
def test_filters_drop_the_events_that_do_not_match(
    driver: Driver,
    client: Any,
    server: LocalServer,
    api: Api,
    filters: dict[str, str],
    wanted_user: str,
) -> None:
    alice = _trigger(api, "alice")
    bob = _trigger(api, "bob", "slack", "SLACK_RECEIVE_MESSAGE", {"channel": "c"})
    bob_row = api("GET", "/trigger_instances/active", params={"trigger_ids": bob})["items"][0]
    bob_account = bob_row["connected_account_id"]
    bob_config = api("GET", f"/connected_accounts/{bob_account}")["auth_config"]["id"]
    given = {
        k: {"<bob>": bob_account, "<bob-trigger>": bob, "<bob-config>": bob_config}.get(v, v)
        for k, v in filters.items()
    }
    with Sub(driver, client, **given) as sub:
        # the unwanted one first: order is kept on the socket, so the first event received
        # proves the other was dropped
        first, second = (bob, alice) if wanted_user == "alice" else (alice, bob)
        server.fire_trigger(first, {"n": 1})
        server.fire_trigger(second, {"n": 2})
        event = sub.next()
    assert (event.user_id, event.data) == (wanted_user, {"n": 2})


def test_a_flood_of_events_arrives_complete_and_in_order(
    driver: Driver, client: Any, server: LocalServer, api: Api
) -> None:
    trigger = _trigger(api, "alice")
    with Sub(driver, client) as sub:
        for n in range(500):
            server.fire_trigger(trigger, {"n": n})
        got = [sub.next().data for _ in range(500)]
    assert got == [{"n": n} for n in range(500)]


def test_malformed_frames_are_skipped_and_the_subscription_goes_on(
    driver: Driver, client: Any, server: LocalServer, api: Api
) -> None:
    trigger = _trigger(api, "alice")
    channel = server.realtime.channel
    with Sub(driver, client) as sub:
        for text in (
            "not json",
            "[]",
            json.dumps({"event": "trigger_to_client", "channel": channel, "data": "[1]"}),
            json.dumps({"event": "trigger_to_client", "channel": channel, "data": "{bad"}),
            json.dumps(
                {
                    "event": "chunked-trigger_to_client",
                    "channel": channel,
                    "data": json.dumps({"id": "x", "index": -1, "chunk": "{", "final": True}),
                }
            ),
            json.dumps(
                {
                    "event": "chunked-trigger_to_client",
                    "channel": channel,
                    "data": json.dumps({"id": "y", "index": 1, "chunk": "}", "final": True}),
                }
            ),
            # another channel's event is not ours
            json.dumps({"event": "trigger_to_client", "channel": "private-x", "data": "{}"}),
            json.dumps({"event": "pusher:error", "data": {"message": "no code: not fatal"}}),
        ):
            server.realtime.send_raw(text)
        server.fire_trigger(trigger, {"ok": True})
        event = sub.next()
    assert event.data == {"ok": True}


# -- the protocol ----------------------------------------------------------------------------
def test_the_frames_sent_are_pusher_protocol_7_as_documented(
    driver: Driver, client: Any, server: LocalServer
) -> None:
    sub = Sub(driver, client)
    sub.close()
    (target,) = server.realtime.targets
    parts = urlsplit(target)
    assert parts.path == f"/app/{server.realtime.key}"
    query = parse_qs(parts.query)
    assert query["protocol"] == ["7"] and query["client"] and query["version"]
    subscribe = next(f for f in server.realtime.received if f.get("event") == "pusher:subscribe")
    channel = f"private-{server.realtime.project_id}_triggers"
    assert subscribe["data"]["channel"] == channel
    key, _, digest = subscribe["data"]["auth"].partition(":")
    assert key == server.realtime.key and len(digest) == 64 and int(digest, 16) >= 0


def test_the_auth_signature_is_pushers_documented_hmac() -> None:
    # the worked example of Pusher's "auth signatures" page, private-channel part
    assert pusher_signature(
        "7ad3773142a6692b25b8", "278d425bdf160c739803", "1234.1234", "private-foobar"
    ) == ("278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4")


def test_the_server_refuses_a_subscription_with_a_wrong_signature(server: LocalServer) -> None:
    import aiohttp

    async def attempt(auth_of: Any) -> tuple[str, Any]:
        async with aiohttp.ClientSession() as session:
            url = f"{server.realtime_url}/app/{server.realtime.key}?protocol=7"
            async with session.ws_connect(url) as ws:
                hello = json.loads((await ws.receive(WAIT)).data)
                socket_id = json.loads(hello["data"])["socket_id"]
                channel = server.realtime.channel
                auth = auth_of(socket_id, channel)
                await ws.send_str(
                    json.dumps(
                        {"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth}}
                    )
                )
                answer = json.loads((await ws.receive(WAIT)).data)
                return answer["event"], answer.get("data")

    hub = server.realtime
    good = asyncio.run(attempt(lambda s, c: pusher_signature(hub.secret, hub.key, s, c)))
    bad = asyncio.run(attempt(lambda s, c: pusher_signature("not the secret", hub.key, s, c)))
    other = asyncio.run(attempt(lambda s, c: pusher_signature(hub.secret, hub.key, "1.2", c)))
    assert good[0] == "pusher_internal:subscription_succeeded"
    assert bad[0] == other[0] == "pusher:subscription_error"
    assert hub.subscriptions == 1


def test_a_server_ping_is_answered_with_a_pong(
    driver: Driver, client: Any, server: LocalServer
) -> None:
    with Sub(driver, client):
        assert server.realtime.ping() == 1
        assert server.realtime.wait_for(lambda hub: hub.pongs >= 1, WAIT)
    assert {"event": "pusher:pong", "data": {}} in server.realtime.received


def test_a_dropped_socket_is_reconnected_resubscribed_and_the_next_event_arrives(
    driver: Driver, client: Any, server: LocalServer, api: Api
) -> None:
    trigger = _trigger(api, "alice")
    with Sub(driver, client) as sub:
        assert server.realtime.drop_connections() == 1
        assert server.realtime.wait_for(lambda hub: hub.subscriptions >= 2, WAIT)
        server.fire_trigger(trigger, {"after": "reconnect"})
        event = sub.next()
    assert event.data == {"after": "reconnect"}
    assert len(server.realtime.handshakes) == 2
    # the second subscription was authorised afresh for the new socket id, through the API
    assert len(server.requests_to("/api/v3.1/internal/sdk/realtime/auth")) == 2


def test_a_half_open_socket_is_detected_by_a_missed_pong_and_replaced(
    driver: Driver, client: Any, server: LocalServer, api: Api
) -> None:
    trigger = _trigger(api, "alice")
    hub = server.realtime
    hub.activity_timeout = 1  # the client pings after 1 s of silence, waits 1 s for the pong
    with Sub(driver, client) as sub:
        hub.answer = False  # from now on the server reads and never answers: half-open
        assert hub.wait_for(lambda h: len(h.handshakes) >= 2, WAIT)  # a new socket was made
        hub.answer = True
        assert hub.wait_for(lambda h: h.subscriptions >= 2, WAIT)
        server.fire_trigger(trigger, {"after": "half-open"})
        assert sub.next().data == {"after": "half-open"}
    assert any(f.get("event") == "pusher:ping" for f in hub.received)  # the client's ping


# -- closing ---------------------------------------------------------------------------------
def _no_socket_left(server: LocalServer) -> bool:
    return server.realtime.wait_for(lambda hub: hub.connections == 0, WAIT)


def test_sync_close_from_inside_the_loop_body_ends_iteration_and_leaves_nothing(
    sync_client: Composio, server: LocalServer, api: Api
) -> None:
    trigger = _trigger(api, "alice")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sub = sync_client.triggers.subscribe()
        server.fire_trigger(trigger, {"n": 1})
        server.fire_trigger(trigger, {"n": 2})
        seen = []
        for event in sub:  # the vendor's stop() from inside a callback deadlocked
            seen.append(event.data)
            sub.close()
        del event
        gc.collect()
    assert seen == [{"n": 1}] and sub.closed
    assert _realtime_threads() == [] and _no_socket_left(server)
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert list(sub) == []  # stays ended


def test_sync_close_from_another_thread_ends_a_blocked_iteration(
    sync_client: Composio, server: LocalServer
) -> None:
    sub = sync_client.triggers.subscribe()
    got: list[Any] = []
    reader = threading.Thread(target=lambda: got.extend(sub))  # blocks: nothing is fired
    reader.start()
    sub.close()
    reader.join(WAIT)
    assert not reader.is_alive() and got == []
    assert _realtime_threads() == [] and _no_socket_left(server)


@pytest.mark.parametrize("driver", ["async"], indirect=True)
def test_async_close_from_inside_the_loop_body_leaves_no_task_or_socket(
    driver: Driver, client: Any, server: LocalServer, api: Api
) -> None:
    trigger = _trigger(api, "alice")
    assert driver.loop is not None

    async def body() -> list[Any]:
        seen = []
        async with await client.target.triggers.subscribe() as sub:
            server.fire_trigger(trigger, {"n": 1})
            server.fire_trigger(trigger, {"n": 2})
            async for event in sub:
                seen.append(event.data)
                await sub.close()
            assert sub.closed
        return seen

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert driver.loop.run(body(), WAIT) == [{"n": 1}]
        gc.collect()
    assert _loop_tasks(driver) == set() and _no_socket_left(server)
    # aiohttp warns about an unclosed session or connector when collected: none here
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_a_forgotten_sync_subscription_warns_and_stops_its_thread(
    sync_client: Composio, server: LocalServer
) -> None:
    # vendor #3858: the websocket thread outlived its subscription and reconnected forever
    sub = sync_client.triggers.subscribe()
    (thread,) = _realtime_threads()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del sub
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)
    thread.join(WAIT)
    assert not thread.is_alive() and _no_socket_left(server)


# -- failing to subscribe --------------------------------------------------------------------
@pytest.fixture
def mute_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """Accepts TCP connections and never answers the websocket handshake."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{listener.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_subscribe_that_cannot_connect_raises_within_its_timeout_and_leaves_nothing(
    driver: Driver, server: LocalServer, mute_server: tuple[str, list[socket.socket]]
) -> None:
    url, accepted = mute_server
    client = driver.client(**_settings(server, realtime_url=url, timeout=1.0))
    with pytest.raises(APITimeoutError) as caught:
        Sub(driver, client)
    assert "1 s" in str(caught.value) and url in str(caught.value)
    assert server.api_key not in str(caught.value)
    assert _realtime_threads() == []
    # the client's socket was closed: past the handshake it sent, the server reads its end
    (conn,) = accepted
    conn.settimeout(WAIT)
    received = b""
    while chunk := conn.recv(4096):
        received += chunk
    assert received.startswith(b"GET /app/")
    if driver.loop is not None:
        assert _loop_tasks(driver) == set()
    # the client stays usable
    assert client.triggers.type_enum()


def test_a_refused_connection_is_a_connection_error(driver: Driver, server: LocalServer) -> None:
    spare = socket.create_server(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nothing listens there now
    client = driver.client(**_settings(server, realtime_url=f"ws://127.0.0.1:{port}"))
    with pytest.raises(APIConnectionError) as caught:
        Sub(driver, client)
    assert not isinstance(caught.value, APITimeoutError)
    assert _realtime_threads() == []


def test_a_wrong_app_key_is_refused_by_the_protocol_and_raised(
    driver: Driver, server: LocalServer
) -> None:
    with LocalServer() as other:  # its hub serves another app key than ours hands out
        client = driver.client(**_settings(server, realtime_url=other.realtime_url))
        with pytest.raises(APIConnectionError, match="4001"):
            Sub(driver, client)
        assert other.realtime.refused and other.realtime.refused[0].startswith("4001")
        assert _realtime_threads() == []


# -- configuration ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "ws://example.com",
        "http://127.0.0.1:1",
        "wss://user:pw@example.com",
        "wss://example.com/app/key",
        "wss://example.com?x=1",
        "",
    ],
)
def test_a_bad_realtime_url_is_refused_at_construction(url: str) -> None:
    for cls in (Composio, AsyncComposio):
        with pytest.raises(ValidationError, match="realtime_url"):
            cls(api_key="k", allow_tracking=False, realtime_url=url)


def test_realtime_url_comes_from_the_environment_and_with_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMPOSIO_REALTIME_URL", "ws://127.0.0.1:5/")
    for cls in (Composio, AsyncComposio):
        client = cls(api_key="k", allow_tracking=False)
        assert client._built.config.realtime_url == "ws://127.0.0.1:5"
        other = client.with_options(realtime_url="wss://rt.example.com:444")
        assert other._built.config.realtime_url == "wss://rt.example.com:444"
        assert other.with_options(max_retries=1)._built.config.realtime_url == (
            "wss://rt.example.com:444"
        )


# -- the byte budget (unread events + half-sent chunks) -------------------------------------
def _chunk_frame(channel: str, ident: str, index: int, chunk: str, final: bool) -> str:
    data = {"id": ident, "index": index, "chunk": chunk, "final": final}
    return json.dumps(
        {"event": "chunked-trigger_to_client", "channel": channel, "data": json.dumps(data)}
    )


def test_realtime_byte_budget_ends_a_subscription_whose_unread_events_pass_it(
    driver: Driver, server: LocalServer, api: Api
) -> None:
    """Unread events were bounded by count only (10,000 of up to 1 MiB each): now, past
    ``realtime_max_buffer_bytes``, the subscription delivers what it holds, then raises."""
    trigger = _trigger(api, "alice")
    client = driver.client(**_settings(server, realtime_max_buffer_bytes=1 << 20))
    sub = Sub(driver, client)
    try:
        # ~300 KB each: three fit in 1 MiB, the fourth does not. No fifth: the fourth ends
        # the subscription, and a fire after that has no subscriber (a race under load).
        for n in range(4):
            server.fire_trigger(trigger, {"n": n, "pad": "x" * 300_000})
        # the subscription ends by itself (its socket closes) while nothing is read
        assert server.realtime.wait_for(lambda hub: hub.connections == 0, WAIT)
        got = [sub.next().data["n"] for _ in range(3)]
        with pytest.raises(ComposioError, match="realtime_max_buffer_bytes") as caught:
            sub.next()
    finally:
        sub.close()
    assert got == [0, 1, 2]
    assert str(1 << 20) in str(caught.value) and "with_options" in str(caught.value)
    assert server.api_key not in str(caught.value)
    assert _realtime_threads() == []
    assert client.triggers.type_enum()  # the client stays usable


def test_realtime_byte_budget_drops_half_sent_events_oldest_first(
    driver: Driver, server: LocalServer, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """Half-sent chunked events were bounded only by 16 x 32 MiB: now they share the budget,
    and the oldest is dropped (logged) when a new chunk would pass it."""
    trigger = _trigger(api, "alice")
    client = driver.client(**_settings(server, realtime_max_buffer_bytes=1 << 20))
    channel = server.realtime.channel
    head = '{"data":{"pad":"' + "x" * 400_000
    with caplog.at_level("WARNING", "composio.realtime"), Sub(driver, client) as sub:
        for ident in ("A", "B", "C"):  # 3 x 400 KB > 1 MiB: A goes
            server.realtime.send_raw(_chunk_frame(channel, ident, 0, head, False))
        for ident in ("A", "C"):  # A's end cannot complete it any more; C's does
            tail = '","who":"' + ident + '"}}'
            server.realtime.send_raw(_chunk_frame(channel, ident, 1, tail, True))
        server.fire_trigger(trigger, {"after": True})
        first, second = sub.next(), sub.next()
    assert first.data["who"] == "C" and second.data == {"after": True}
    dropped = [r.getMessage() for r in caplog.records if "partly received" in r.getMessage()]
    assert len(dropped) == 1 and "realtime_max_buffer_bytes=1048576" in dropped[0]


@pytest.mark.parametrize("bad", [0, (1 << 20) - 1, True, 2.0e6, "64MiB"])
def test_realtime_byte_budget_below_one_frame_is_refused(bad: object) -> None:
    for cls in (Composio, AsyncComposio):
        with pytest.raises(ValidationError, match="realtime_max_buffer_bytes"):
            cls(api_key="k", realtime_max_buffer_bytes=bad)
