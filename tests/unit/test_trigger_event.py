"""``TriggerEvent``: the V3 shape fully, V2 and V1 with what they carry, anything else
tolerated (SPEC §14); frozen and picklable (§12.1). The payloads are the vendor SDKs' shapes
(``WebhookPayloadV1/V2/V3`` in ComposioHQ/composio, python and ts)."""

from __future__ import annotations

import dataclasses
import json
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composio import TriggerEvent, ValidationError
from composio.webhooks import sign_webhook, verify_webhook
from tests.unit._webhook_payloads import V1, V2, V3


def fields_of(event: TriggerEvent) -> dict[str, Any]:
    return {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}


def test_v3_through_verify_webhook() -> None:
    body = json.dumps(V3)
    event = verify_webhook(body, sign_webhook(body, "s", webhook_id="msg_hdr"), "s")
    assert fields_of(event) == {
        "id": "msg_hdr",  # the header, not the body's "id"
        "type": "composio.trigger.message",
        "trigger_slug": "GITHUB_STAR_ADDED_EVENT",
        "trigger_id": "ti_123",
        "user_id": "user-1",
        "connected_account_id": "ca_456",
        "data": V3["data"],
        "raw": V3,
        "version": "V3",
    }


def test_v2_carries_ids_in_data_and_the_slug_in_type() -> None:
    event = TriggerEvent.from_dict(V2, id="msg_v2")
    assert (event.version, event.type, event.trigger_slug) == (
        "V2",
        "slack_receive_message",
        "SLACK_RECEIVE_MESSAGE",
    )
    assert (event.trigger_id, event.connected_account_id, event.user_id) == (
        "ti_v2",
        "ca_v2",
        "user-2",
    )
    assert event.data == {"text": "hello", "channel": "C1"}
    assert event.raw == V2


def test_v2_without_nano_ids_falls_back_to_the_uuids() -> None:
    inner = {k: v for k, v in V2["data"].items() if "nano" not in k}  # type: ignore[attr-defined]
    event = TriggerEvent.from_dict({**V2, "data": inner}, id="m")
    assert (event.trigger_id, event.connected_account_id) == ("9a1b-uuid", "5f3c-uuid")


def test_v1_has_no_type_and_no_user() -> None:
    event = TriggerEvent.from_dict(V1, id="msg_v1")
    assert fields_of(event) == {
        "id": "msg_v1",
        "type": None,
        "trigger_slug": "GMAIL_NEW_GMAIL_MESSAGE",
        "trigger_id": "ti_v1",
        "user_id": None,
        "connected_account_id": "ca_v1",
        "data": {"subject": "hi"},
        "raw": V1,
        "version": "V1",
    }


@pytest.mark.parametrize(
    "raw",
    [{}, {"hello": "world"}, {"type": "future.event", "data": {"x": 1}}, {"data": []}],
)
def test_unknown_shapes_parse_with_raw_only(raw: dict[str, Any]) -> None:
    event = TriggerEvent.from_dict(raw, id="m")
    assert event.version is None and event.raw == raw
    assert (event.trigger_slug, event.trigger_id, event.user_id) == (None, None, None)
    assert event.data == (raw["data"] if isinstance(raw.get("data"), dict) else None)


def test_wrong_json_types_become_none_and_stay_in_raw() -> None:
    metadata = {**V3["metadata"], "user_id": 42, "trigger_slug": ["x"]}  # type: ignore[dict-item]
    raw = {**V3, "metadata": metadata, "data": "not an object"}
    event = TriggerEvent.from_dict(raw, id="m")
    assert (event.user_id, event.trigger_slug, event.data) == (None, None, None)
    assert event.version == "V3"
    assert event.trigger_id == "ti_123" and event.raw["metadata"]["user_id"] == 42


def test_a_v3_with_a_missing_metadata_object_still_parses() -> None:
    event = TriggerEvent.from_dict({**V3, "metadata": None}, id="m")
    assert (event.version, event.type, event.trigger_slug, event.data) == (
        "V3",
        "composio.trigger.message",
        None,
        V3["data"],
    )


def test_frozen_hashable_and_repr_without_the_payload() -> None:
    event = TriggerEvent.from_dict({**V3, "data": {"email": "secret-body@example.com"}}, id="msg_1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.user_id = "someone else"  # type: ignore[misc]
    assert {event, TriggerEvent.from_dict(dict(V3), id="msg_1")} and hash(event) == hash("msg_1")
    assert "secret-body" not in repr(event) and "GITHUB_STAR_ADDED_EVENT" in repr(event)


def test_from_dict_refuses_non_objects() -> None:
    with pytest.raises(ValidationError, match="JSON object"):
        TriggerEvent.from_dict([1, 2], id="m")  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


metadata_objects = st.fixed_dictionaries(
    {},
    optional={k: json_values for k in V3["metadata"]},  # type: ignore[attr-defined]
)


@settings(deadline=None, max_examples=100)
@given(
    raw=st.one_of(
        st.dictionaries(st.text(), json_values),
        st.fixed_dictionaries({}, optional={k: json_values for k in V3}),
        st.fixed_dictionaries({}, optional={k: json_values for k in V2}),
        st.fixed_dictionaries({}, optional={k: json_values for k in V1}),
        st.fixed_dictionaries({"metadata": metadata_objects}),
    )
)
def test_any_object_parses_pickles_and_never_lies(raw: dict[str, Any]) -> None:
    event = TriggerEvent.from_dict(raw, id="msg_p")
    clone = pickle.loads(pickle.dumps(event))
    assert clone == event and fields_of(clone) == fields_of(event)
    for name in ("type", "trigger_slug", "trigger_id", "user_id", "connected_account_id"):
        assert getattr(event, name) is None or isinstance(getattr(event, name), str)
    assert event.data is None or isinstance(event.data, dict)
    assert event.raw == raw
