"""``client.triggers`` on both clients, over loopback against the stateful LocalServer: a
trigger created for a user's account, fired with ``server.fire_trigger``, arrives at a real
receiver (``http.server`` in a thread) and verifies with ``client.triggers.verify_webhook``."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from composio import TriggerInstance, TriggerType, ValidationError, WebhookVerificationError
from composio.errors import NotFoundError
from composio.testing import LocalServer
from composio.webhooks import sign_webhook
from tests._drivers import Driver
from tests.integration._api import Api
from tests.integration._webhook_receiver import Receiver, running_receiver

WHSEC = "whsec_" + base64.b64encode(b"another 32-byte secret for tests").decode()
STAR = "GITHUB_STAR_ADDED_EVENT"
CONFIG = {"owner": "octo", "repo": "hello"}


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


@pytest.fixture
def client(driver: Driver, server: LocalServer) -> Any:
    return driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)


def _paths(server: LocalServer) -> list[str]:
    """Method and path after the API prefix (``/api/v3.1``, SPEC §14)."""
    return [f"{r.method} {r.path.split('/', 3)[3]}" for r in server.requests]


def test_created_trigger_fires_and_the_delivery_verifies(
    client: Any, server: LocalServer, api: Api, receiver: Receiver
) -> None:
    account = api.active_account("alice")
    server.reset()
    trigger = client.triggers.create(STAR, user_id="alice", trigger_config=CONFIG)
    assert isinstance(trigger, TriggerInstance)
    assert (trigger.connected_account_id, trigger.trigger_name, trigger.user_id) == (
        account,
        STAR,
        "alice",
    )
    assert trigger.trigger_config == CONFIG and trigger.enabled
    # type (for its toolkit), ONE list of the user's ACTIVE github accounts, upsert, read back
    assert _paths(server) == [
        f"GET triggers_types/{STAR}",
        "GET connected_accounts",
        f"POST trigger_instances/{STAR}/upsert",
        "GET trigger_instances/active",
    ]
    listed = server.requests[1]
    assert listed.query == {
        "user_ids": ["alice"],
        "toolkit_slugs": ["github"],
        "statuses": ["ACTIVE"],
    }
    assert json.loads(server.requests[2].body) == {
        "connected_account_id": account,
        "trigger_config": CONFIG,
    }

    assert server.fire_trigger(trigger.id, {"action": "created", "stars": 7}) == 200
    [(headers, body)] = receiver.received
    event = client.triggers.verify_webhook(body, headers, WHSEC)
    assert event.id == headers["webhook-id"]
    assert (event.trigger_id, event.trigger_slug, event.user_id) == (trigger.id, STAR, "alice")
    assert event.connected_account_id == account
    assert event.data == {"action": "created", "stars": 7}
    assert event.type == "composio.trigger.message"


def test_every_webhook_failure_mode_raises_the_named_check(
    client: Any, server: LocalServer, api: Api, receiver: Receiver
) -> None:
    account = api.active_account("alice")
    trigger = client.triggers.create(STAR, connected_account_id=account, trigger_config=CONFIG)
    server.fire_trigger(trigger.id, {"stars": 1})
    [(headers, body)] = receiver.received
    verify = client.triggers.verify_webhook

    def reason(payload: Any, hdrs: dict[str, str], secret: str = WHSEC, **kw: Any) -> str:
        with pytest.raises(WebhookVerificationError) as info:
            verify(payload, hdrs, secret, **kw)
        assert WHSEC not in str(info.value)
        return info.value.reason

    assert reason(body.replace(b'"stars":1', b'"stars":2'), headers) == "no_valid_signature"
    assert reason(body, headers, "whsec_" + base64.b64encode(b"x" * 32).decode()) == (
        "no_valid_signature"
    )
    missing = {k: v for k, v in headers.items() if k != "webhook-signature"}
    assert reason(body, missing) == "missing_header"
    assert reason(body, {**headers, "webhook-timestamp": "soon"}) == "bad_timestamp"
    old = sign_webhook(
        body, WHSEC, webhook_id=headers["webhook-id"], timestamp=int(time.time()) - 3600
    )
    assert reason(body, old) == "timestamp_too_old"
    future = sign_webhook(body, WHSEC, timestamp=int(time.time()) + 3600)
    assert reason(body, future) == "timestamp_too_new"
    assert verify(body, old, WHSEC, tolerance=None).trigger_id == trigger.id  # check disabled
    not_json = b"<html>ok</html>"
    assert reason(not_json, sign_webhook(not_json, WHSEC)) == "not_json"
    # the untouched delivery still verifies: each failure above was the named change alone
    assert verify(body, headers, WHSEC).trigger_id == trigger.id


def test_create_names_the_missing_account_and_sends_nothing_more(
    client: Any, server: LocalServer, api: Api
) -> None:
    api.active_account("bob", toolkit="gmail")  # an ACTIVE account, but not a github one
    server.reset()
    with pytest.raises(ValidationError, match=r"'bob' has no ACTIVE github connected account"):
        client.triggers.create(STAR, user_id="bob", trigger_config=CONFIG)
    assert not server.requests_to(f"/api/v3.1/trigger_instances/{STAR}/upsert")


def test_create_refuses_to_guess_between_several_accounts(
    client: Any, server: LocalServer, api: Api
) -> None:
    first, second = api.active_account("carol"), api.active_account("carol")
    with pytest.raises(ValidationError, match="several ACTIVE github") as info:
        client.triggers.create(STAR, user_id="carol", trigger_config=CONFIG)
    assert first in str(info.value) and second in str(info.value)
    assert not server.requests_to(f"/api/v3.1/trigger_instances/{STAR}/upsert")
    chosen = client.triggers.create(STAR, connected_account_id=second, trigger_config=CONFIG)
    assert chosen.connected_account_id == second


def test_create_is_an_upsert_and_with_an_account_makes_no_lookups(
    client: Any, server: LocalServer, api: Api
) -> None:
    account = api.active_account("dave")
    server.reset()
    made = client.triggers.create(STAR, connected_account_id=account, trigger_config=CONFIG)
    again = client.triggers.create(
        STAR, connected_account_id=account, trigger_config={**CONFIG, "repo": "other"}
    )
    assert again.id == made.id and again.trigger_config == {**CONFIG, "repo": "other"}
    assert not server.requests_to("/api/v3.1/connected_accounts")
    assert not server.requests_to(f"/api/v3.1/triggers_types/{STAR}")


def test_list_active_filters_enable_disable_delete(
    client: Any, server: LocalServer, api: Api
) -> None:
    a, b = api.active_account("erin"), api.active_account("frank")
    ta = client.triggers.create(STAR, connected_account_id=a, trigger_config=CONFIG)
    tb = client.triggers.create(STAR, connected_account_id=b, trigger_config=CONFIG)
    assert {t.id for t in client.triggers.list_active()} == {ta.id, tb.id}
    only_a = client.triggers.list_active(connected_account_ids=[a], trigger_names=STAR)
    assert [t.id for t in only_a] == [ta.id]
    assert server.requests[-1].query == {
        "connected_account_ids": [a],
        "trigger_names": [STAR],
    }
    assert client.triggers.disable(ta.id) is None
    assert json.loads(server.requests[-1].body) == {"status": "disable"}
    assert [t.id for t in client.triggers.list_active()] == [tb.id]
    shown = client.triggers.list_active(trigger_ids=[ta.id, tb.id], show_disabled=True)
    assert server.requests[-1].query["show_disabled"] == ["true"]
    assert server.requests[-1].query["trigger_ids"] == [ta.id, tb.id]
    assert {t.id: t.enabled for t in shown} == {ta.id: False, tb.id: True}
    assert client.triggers.enable(ta.id) is None
    assert json.loads(server.requests[-1].body) == {"status": "enable"}
    assert len(list(client.triggers.list_active())) == 2
    assert client.triggers.delete(ta.id) is None
    delete = server.requests[-1]
    assert (delete.method, delete.body) == ("DELETE", b"")  # no body: the spec declares none
    assert [t.id for t in client.triggers.list_active(show_disabled=True)] == [tb.id]
    with pytest.raises(NotFoundError):
        client.triggers.delete(ta.id)


def test_list_active_walks_every_page(client: Any, server: LocalServer, api: Api) -> None:
    made = {
        client.triggers.create(
            STAR, connected_account_id=api.active_account(f"u{i}"), trigger_config=CONFIG
        ).id
        for i in range(5)
    }
    page = client.triggers.list_active(limit=2)
    assert len(page.items) == 2 and page.next_cursor
    assert {t.id for t in page} == made


def test_trigger_types(client: Any, server: LocalServer) -> None:
    kinds = client.triggers.list_types(toolkit_slugs=["github"])
    assert server.requests[-1].query == {"toolkit_slugs": ["github"]}
    slugs = [t.slug for t in kinds]
    assert STAR in slugs and all(t.toolkit.slug == "github" for t in kinds)
    star = client.triggers.retrieve_type(STAR)
    assert isinstance(star, TriggerType) and star.toolkit and star.toolkit.slug == "github"
    assert "required" in (star.config or {})
    enum = client.triggers.type_enum()
    assert isinstance(enum, tuple) and STAR in enum
    with pytest.raises(NotFoundError):
        client.triggers.retrieve_type("NO_SUCH_TRIGGER")


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda t: t.create(STAR), "user_id= "),
        (lambda t: t.create("", user_id="u"), "slug"),
        (lambda t: t.create(STAR, user_id=""), "user_id"),
        (lambda t: t.create(STAR, user_id="u", trigger_config=[1]), "trigger_config"),
        (
            lambda t: t.create(STAR, user_id="u", trigger_config={"x": float("nan")}),
            "trigger_config",
        ),
        (lambda t: t.list_active(show_disabled="yes"), "show_disabled"),
        (lambda t: t.list_active(trigger_ids=[""]), "trigger_ids"),
        (lambda t: t.list_types(limit=0), "limit"),
        (lambda t: t.enable(""), "trigger_id"),
        (lambda t: t.delete(None), "trigger_id"),
    ],
)
def test_bad_arguments_are_named_and_send_nothing(
    client: Any, server: LocalServer, call: Any, named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        call(client.triggers)
    assert server.requests == []
    assert client.triggers.type_enum()  # the client is still usable
