"""Triggers end to end: trigger types and instances over HTTP, and ``fire_trigger``
delivering signed V3 events to a real receiver (``http.server`` in a thread), whose
signature is checked with the reference ``standardwebhooks`` package -- not with our own
code, so a mistake in the signer cannot be mirrored by the check."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import standardwebhooks

from composio.testing import LocalServer
from composio.webhooks import verify_webhook
from tests.integration._api import Api
from tests.integration._webhook_receiver import Receiver, running_receiver

WHSEC = "whsec_" + base64.b64encode(b"a 32-byte secret for the tests!!").decode()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rec:
        yield rec


@pytest.fixture
def server(receiver: Receiver) -> Iterator[LocalServer]:
    with LocalServer(webhook_url=receiver.url, webhook_secret=WHSEC) as srv:
        yield srv


@pytest.fixture
def api(server: LocalServer) -> Iterator[Api]:
    caller = Api(server)
    yield caller
    caller.close()


def _star_trigger(api: Api, user: str = "alice") -> tuple[str, str]:
    account = api.active_account(user)
    made = api(
        "POST",
        "/trigger_instances/GITHUB_STAR_ADDED_EVENT/upsert",
        json={"connected_account_id": account, "trigger_config": {"owner": "o", "repo": "r"}},
    )
    return made["trigger_id"], account


def test_fired_event_is_signed_per_standard_webhooks_in_the_v3_shape(
    server: LocalServer, api: Api, receiver: Receiver
) -> None:
    trigger_id, account = _star_trigger(api)
    assert server.fire_trigger(trigger_id, {"action": "created", "stars": 42}) == 200
    [(headers, body)] = receiver.received
    verified = standardwebhooks.Webhook(WHSEC).verify(body, headers)
    assert verified["data"] == {"action": "created", "stars": 42}
    assert verified["type"] == "composio.trigger.message"
    assert verified["id"] == headers["webhook-id"]
    meta = verified["metadata"]
    assert meta["trigger_slug"] == "GITHUB_STAR_ADDED_EVENT"
    assert (meta["trigger_id"], meta["connected_account_id"], meta["user_id"]) == (
        trigger_id,
        account,
        "alice",
    )
    ac = api("GET", f"/connected_accounts/{account}")["auth_config"]["id"]
    assert meta["auth_config_id"] == ac
    assert headers["x-composio-webhook-version"] == "V3"
    assert headers["content-type"] == "application/json"
    assert headers["webhook-timestamp"].isdigit()
    # a changed body no longer verifies (the check can fail)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(WHSEC).verify(body.replace(b"42", b"43"), headers)


def test_a_plain_secret_is_used_as_its_utf8_bytes(
    server: LocalServer, api: Api, receiver: Receiver
) -> None:
    server.webhook_secret = "plain sécret"  # settable after start
    trigger_id, _ = _star_trigger(api)
    server.fire_trigger(trigger_id, {})
    [(headers, body)] = receiver.received
    standardwebhooks.Webhook("plain sécret".encode()).verify(body, headers)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(WHSEC).verify(body, headers)


def test_5xx_is_retried_with_the_same_webhook_id(
    server: LocalServer, api: Api, receiver: Receiver
) -> None:
    trigger_id, _ = _star_trigger(api)
    receiver.statuses.extend([503, 500])
    assert server.fire_trigger(trigger_id, {"n": 1}) == 200
    assert len(receiver.received) == 3
    ids = {h["webhook-id"] for h, _ in receiver.received}
    assert len(ids) == 1
    for headers, body in receiver.received:  # every attempt verifies on its own
        standardwebhooks.Webhook(WHSEC).verify(body, headers)
    assert [d.status for d in server.webhook_deliveries] == [503, 500, 200]
    assert [d.attempt for d in server.webhook_deliveries] == [1, 2, 3]


def test_retries_stop_after_a_few_attempts_and_4xx_is_not_retried(
    server: LocalServer, api: Api, receiver: Receiver
) -> None:
    trigger_id, _ = _star_trigger(api)
    receiver.statuses.extend([502] * 10)
    assert server.fire_trigger(trigger_id, {}) == 502
    attempts = len(receiver.received)
    assert 2 <= attempts <= 5
    receiver.statuses.clear()
    receiver.statuses.append(410)
    assert server.fire_trigger(trigger_id, {}) == 410
    assert len(receiver.received) == attempts + 1


def test_fire_trigger_refuses_what_cannot_be_delivered(
    server: LocalServer, api: Api, receiver: Receiver
) -> None:
    trigger_id, _ = _star_trigger(api)
    with pytest.raises(ValueError, match="ti_missing"):
        server.fire_trigger("ti_missing", {})
    api("PATCH", f"/trigger_instances/manage/{trigger_id}", json={"status": "disable"})
    with pytest.raises(ValueError, match="disabled"):
        server.fire_trigger(trigger_id, {})
    api("PATCH", f"/trigger_instances/manage/{trigger_id}", json={"status": "enable"})
    server.webhook_url = None
    with pytest.raises(ValueError, match="webhook_url"):
        server.fire_trigger(trigger_id, {})
    assert receiver.received == []


def test_an_unreachable_receiver_raises_connection_error(api: Api, server: LocalServer) -> None:
    trigger_id, _ = _star_trigger(api)
    server.webhook_url = "http://127.0.0.1:9/nowhere"  # discard port: refused
    with pytest.raises(ConnectionError, match="did not answer"):
        server.fire_trigger(trigger_id, {})
    assert all(d.status is None for d in server.webhook_deliveries)


def test_trigger_types_and_instances(api: Api, server: LocalServer) -> None:
    enum = api("GET", "/triggers_types/list/enum")
    assert "GITHUB_STAR_ADDED_EVENT" in enum
    github = api("GET", "/triggers_types", params={"toolkit_slugs": "github", "limit": 2})
    rest = api(
        "GET",
        "/triggers_types",
        params={"toolkit_slugs": "github", "limit": 2, "cursor": github["next_cursor"]},
    )
    slugs = [t["slug"] for t in github["items"] + rest["items"]]
    assert len(slugs) == github["total_items"] == 3
    assert all(s.startswith("GITHUB_") for s in slugs)
    star = api("GET", "/triggers_types/GITHUB_STAR_ADDED_EVENT")
    assert star["config"]["required"] == ["owner", "repo"]

    trigger_id, account = _star_trigger(api, "bob")
    again = api(
        "POST",
        "/trigger_instances/GITHUB_STAR_ADDED_EVENT/upsert",
        json={"connected_account_id": account, "trigger_config": {"owner": "o", "repo": "x"}},
    )
    assert again["trigger_id"] == trigger_id  # an upsert: same instance, new config
    [active] = api("GET", "/trigger_instances/active", params={"trigger_ids": trigger_id})["items"]
    assert active["trigger_config"] == {"owner": "o", "repo": "x"}
    assert active["disabled_at"] is None
    # a gmail trigger on a github account is refused; so is an account not ACTIVE
    api(
        "POST",
        "/trigger_instances/GMAIL_NEW_GMAIL_MESSAGE/upsert",
        400,
        json={"connected_account_id": account, "trigger_config": {"labelIds": "INBOX"}},
    )
    pending = api.link(api.managed_auth_config(), "carl")["connected_account_id"]
    api(
        "POST",
        "/trigger_instances/GITHUB_COMMIT_EVENT/upsert",
        400,
        json={"connected_account_id": pending, "trigger_config": {"owner": "o", "repo": "r"}},
    )

    api("PATCH", f"/trigger_instances/manage/{trigger_id}", json={"status": "disable"})
    assert api("GET", "/trigger_instances/active")["items"] == []
    shown = api("GET", "/trigger_instances/active", params={"show_disabled": "true"})["items"]
    assert [t["id"] for t in shown] == [trigger_id] and shown[0]["disabled_at"]
    by_name = api(
        "GET",
        "/trigger_instances/active",
        params={"trigger_names": "GITHUB_STAR_ADDED_EVENT", "show_disabled": "true"},
    )
    assert [t["id"] for t in by_name["items"]] == [trigger_id]
    assert api("DELETE", f"/trigger_instances/manage/{trigger_id}") == {"trigger_id": trigger_id}
    api("DELETE", f"/trigger_instances/manage/{trigger_id}", 404)


def test_delivered_body_is_the_bytes_that_were_signed(
    server: LocalServer, api: Api, receiver: Receiver
) -> None:
    trigger_id, _ = _star_trigger(api)
    server.fire_trigger(trigger_id, {"text": "ünïcode ✓"})
    [(_, body)] = receiver.received
    [delivery] = server.webhook_deliveries
    assert delivery.body == body
    assert json.loads(body)["data"] == {"text": "ünïcode ✓"}


def test_the_sdks_verifier_accepts_what_the_server_sends(
    server: LocalServer, api: Api, receiver: Receiver
) -> None:
    """The two independent implementations meet on the wire: the server's signer and the
    SDK's ``verify_webhook``, with the V3 payload parsed into a ``TriggerEvent``."""
    trigger_id, account = _star_trigger(api, "dana")
    receiver.statuses.append(503)  # the retry is signed afresh and verifies too
    server.fire_trigger(trigger_id, {"starred": True})
    events = [verify_webhook(body, headers, WHSEC) for headers, body in receiver.received]
    assert len(events) == 2 and events[0].id == events[1].id
    event = events[-1]
    assert event.id == receiver.received[-1][0]["webhook-id"]
    assert (event.version, event.type) == ("V3", "composio.trigger.message")
    assert (event.trigger_slug, event.trigger_id) == ("GITHUB_STAR_ADDED_EVENT", trigger_id)
    assert (event.user_id, event.connected_account_id) == ("dana", account)
    assert event.data == {"starred": True}
