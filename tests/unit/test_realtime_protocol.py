"""The sans-I/O half of realtime triggers (``composio._realtime``): chunk reassembly and its
bounds, event parsing of both realtime envelopes, the filters (failing closed), frames."""

from __future__ import annotations

import json

import pytest

from composio import _realtime as rt
from composio.errors import ValidationError

#: The legacy realtime envelope, as the vendor Python SDK documents it (``_TriggerData``).
LEGACY = {
    "appName": "github",
    "payload": {"message": "temp"},
    "originalPayload": {"ref": "refs/heads/temp"},
    "metadata": {
        "id": "2507236e-4be2-4606-b338-fb24c76ce38d",
        "nanoId": "ti_VZEWUqF5fQ6P",
        "triggerName": "GITHUB_COMMIT_EVENT",
        "triggerConfig": {"repo": "ph7"},
        "connection": {
            "id": "75271255-fe95-4d34-bee3-459a02645e38",
            "connectedAccountNanoId": "ca_5KdA-e2C4ZMd",
            "integrationId": "500748ea-8547-4abb-9f9e-10dbcfdb81c2",
            "authConfigNanoId": "ac_ZxnpxqOo1nAP",
            "clientUniqueUserId": "default",
            "status": "ACTIVE",
        },
    },
}
V3 = {
    "id": "msg_1",
    "type": "composio.trigger.message",
    "metadata": {
        "trigger_slug": "SLACK_RECEIVE_MESSAGE",
        "trigger_id": "ti_1",
        "user_id": "u",
        "connected_account_id": "ca_1",
        "auth_config_id": "ac_1",
    },
    "data": {"text": "hi"},
}


def _chunks(text: str, size: int, key: str = "e1") -> list[dict[str, object]]:
    parts = [text[i : i + size] for i in range(0, len(text), size)]
    return [
        {"id": key, "index": i, "chunk": p, "final": i == len(parts) - 1}
        for i, p in enumerate(parts)
    ]


def test_chunks_reassemble_in_any_order_and_only_when_complete() -> None:
    text = json.dumps(V3)
    parts = _chunks(text, 7)
    assembler = rt.ChunkAssembler()
    order = [parts[-1], *reversed(parts[:-1])]  # the final one first, the rest backwards
    results = [assembler.add(json.dumps(p)) for p in order]
    assert results[:-1] == [None] * (len(parts) - 1) and results[-1] == text


def test_interleaved_events_reassemble_separately() -> None:
    a, b = json.dumps({"a": 1} | V3), json.dumps({"b": 2} | V3)
    assembler = rt.ChunkAssembler()
    out = []
    for x, y in zip(_chunks(a, 10, "A"), _chunks(b, 10, "B"), strict=False):
        out += [assembler.add(x), assembler.add(y)]
    assert [o for o in out if o] == [a, b]


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "e", "index": -1, "chunk": "x", "final": True},
        {"id": "e", "index": True, "chunk": "x", "final": True},
        {"id": "e", "index": 0, "chunk": 5, "final": True},
        {"id": 3, "index": 0, "chunk": "x", "final": True},
        {"id": "e", "index": rt.MAX_CHUNKS, "chunk": "x", "final": True},
        "not an object",
    ],
)
def test_a_malformed_chunk_is_dropped_with_its_event(bad: object) -> None:
    assembler = rt.ChunkAssembler()
    assembler.add({"id": "e", "index": 1, "chunk": "}", "final": True})
    assert assembler.add(bad) is None
    # what was half-sent under that id is gone: a later index 0 does not complete it
    if isinstance(bad, dict) and bad.get("id") == "e":
        assert assembler.add({"id": "e", "index": 0, "chunk": "{", "final": False}) is None


def test_half_sent_events_are_bounded() -> None:
    assembler = rt.ChunkAssembler()
    for n in range(rt.MAX_PENDING + 5):
        assembler.add({"id": f"e{n}", "index": 1, "chunk": "x", "final": True})
    assert len(assembler._pending) == rt.MAX_PENDING
    # the oldest were dropped, the newest kept
    assert assembler.add({"id": "e0", "index": 0, "chunk": "y", "final": False}) is None
    last = f"e{rt.MAX_PENDING + 4}"
    assert assembler.add({"id": last, "index": 0, "chunk": "y", "final": False}) == "yx"


def test_an_event_over_the_size_bound_is_dropped() -> None:
    assembler = rt.ChunkAssembler(rt.Budget(rt.MIN_BUFFER_BYTES))
    big = "x" * (rt.MIN_BUFFER_BYTES // 2 + 1)
    assert assembler.add({"id": "e", "index": 0, "chunk": big, "final": False}) is None
    assert assembler.add({"id": "e", "index": 1, "chunk": big, "final": True}) is None
    assert assembler._pending == {}


def test_the_legacy_realtime_envelope_parses_into_a_trigger_event() -> None:
    event = rt.event_from_data(json.dumps(LEGACY))
    assert event is not None
    assert (event.trigger_slug, event.trigger_id, event.user_id, event.connected_account_id) == (
        "GITHUB_COMMIT_EVENT",
        "ti_VZEWUqF5fQ6P",
        "default",
        "ca_5KdA-e2C4ZMd",
    )
    assert event.data == {"message": "temp"} and event.version is None


@pytest.mark.parametrize(
    ("filters", "legacy", "v3"),
    [
        ({"toolkit": "GitHub"}, True, False),
        ({"toolkit": "slack"}, False, True),
        ({"auth_config_id": "ac_ZxnpxqOo1nAP"}, True, False),
        ({"auth_config_id": "AC_1"}, False, True),
        ({"user_id": "default", "trigger_slug": "github_commit_event"}, True, False),
        ({"connected_account_id": "ca_1", "trigger_id": "ti_1"}, False, True),
        ({}, True, True),
    ],
)
def test_filters_match_both_envelopes(filters: dict[str, str], legacy: bool, v3: bool) -> None:
    match = rt.Filters(**filters).match
    assert match(rt.event_from_data(LEGACY)) is legacy  # type: ignore[arg-type]
    assert match(rt.event_from_data(V3)) is v3  # type: ignore[arg-type]


def test_a_filter_on_a_value_the_event_lacks_fails_closed() -> None:
    # the vendor TS SDK ignored authConfigId (PR #4298): every event got through
    bare = dict(V3, metadata={k: v for k, v in V3["metadata"].items() if k != "auth_config_id"})  # type: ignore[attr-defined]
    event = rt.event_from_data(bare)
    assert event is not None
    assert not rt.Filters(auth_config_id="ac_1").match(event)
    assert rt.Filters().match(event)


@pytest.mark.parametrize("value", ["", 3, "x" * 257])
def test_a_bad_filter_value_is_a_validation_error(value: object) -> None:
    with pytest.raises(ValidationError, match="user_id"):
        rt.Filters(user_id=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("data", ["[]", "{bad", 5, None])
def test_a_trigger_frame_that_is_not_an_object_is_skipped(data: object) -> None:
    assert rt.event_from_data(data) is None


def test_connection_established_bounds_the_activity_timeout() -> None:
    assert rt.connection_established('{"socket_id": "1.2", "activity_timeout": 0}') == ("1.2", 1.0)
    assert rt.connection_established({"socket_id": "1.2", "activity_timeout": 1e9})[1] == 120.0
    with pytest.raises(rt.ProtocolError):
        rt.connection_established('{"activity_timeout": 5}')


@pytest.mark.parametrize(
    ("code", "fatal", "immediate"),
    [(4001, True, False), (4100, False, False), (4201, False, True), (None, False, False)],
)
def test_pusher_error_codes_follow_the_protocol(
    code: int | None, fatal: bool, immediate: bool
) -> None:
    error = rt.error_of(json.dumps({"code": code, "message": "m"}))
    assert (error.fatal, error.immediate) == (fatal, immediate)


def test_realtime_byte_budget_counts_unread_events_against_half_sent_ones() -> None:
    budget = rt.Budget(rt.MIN_BUFFER_BYTES)
    assembler = rt.ChunkAssembler(budget)
    half = rt.MIN_BUFFER_BYTES // 2
    budget.take(half)  # unread events
    assert assembler.add({"id": "a", "index": 0, "chunk": "x" * 1000, "final": False}) is None
    assert assembler.held == 1000 + rt.CHUNK_OVERHEAD  # a held chunk is not free
    with pytest.raises(rt.BudgetExceeded):  # dropping "a" is not enough
        assembler.make_room(half + 1)
    assert (assembler.held, assembler.dropped) == (0, 1)
    # a dropped event's later chunks are ignored, not started afresh
    assert assembler.add({"id": "a", "index": 1, "chunk": "}", "final": True}) is None
    assert assembler.held == 0
    # a chunk that the unread events leave no room for ends the subscription ...
    with pytest.raises(rt.BudgetExceeded):
        assembler.add({"id": "b", "index": 0, "chunk": "x" * (half + 1), "final": False})
    budget.release(half)  # ... unless the consumer read them
    assembler.make_room(half)
    assert assembler.add({"id": "c", "index": 0, "chunk": "x" * (half + 1), "final": True}) == (
        "x" * (half + 1)
    )


def test_break4_chunk_budget_counts_empty_chunks_and_refuses_long_ids() -> None:
    """Every byte from a server is untrusted: empty chunks cost memory (a dict entry each:
    16 events x 100,000 of them held ~90 MiB against a 1 MiB budget while counting 0), and
    an event id is held as it came (80 ids of 900 KB: ~70 MiB, uncounted)."""
    import json

    from composio._realtime import MIN_BUFFER_BYTES, Budget, ChunkAssembler

    assembler = ChunkAssembler(Budget(MIN_BUFFER_BYTES))
    for k in range(16):
        for i in range(1, 2000):
            assembler.add(json.dumps({"id": f"e{k}", "index": i, "chunk": ""}))
    assert 0 < assembler.held <= MIN_BUFFER_BYTES  # counted (was 0), and bounded
    assembler.clear()
    for k in range(8):
        assembler.add(json.dumps({"id": f"{k}" + "x" * 300, "index": 0, "chunk": "y"}))
    assert assembler.held == 0 and not assembler._pending and not assembler._gone
