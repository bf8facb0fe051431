"""The triggers / tool-router / MCP / files models (SPEC §12.1, §14): frozen, tolerant of
what the server adds or mistypes, and picklable with equal public fields -- checked by
property over JSON the API could send. The strategy table names every model; a model added to
``composio.models.__all__`` for these resources without an entry fails the first test."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import composio
from composio import models

text = st.text(max_size=12)
ident = st.text(min_size=1, max_size=12)
json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
strs = st.lists(text, max_size=3)
obj = st.dictionaries(text, json_value, max_size=3)

#: model -> (required fields, optional fields: name -> strategy of a well-typed value)
TABLE: dict[type, tuple[dict[str, Any], dict[str, Any]]] = {
    models.TriggerType: (
        {"slug": ident},
        {
            "name": text,
            "description": text,
            "instructions": text,
            "type": st.sampled_from(["webhook", "poll"]),
            "toolkit": st.fixed_dictionaries({"slug": ident, "name": text}),
            "config": obj,
            "payload": obj,
            "version": text,
        },
    ),
    models.TriggerInstance: (
        {"id": ident},
        {
            "trigger_name": text,
            "connected_account_id": text,
            "user_id": text,
            "trigger_config": obj,
            "state": obj,
            "updated_at": text,
            "disabled_at": st.none() | text,
            "uuid": text,
        },
    ),
    models.ToolRouterSession: (
        {"session_id": ident},
        {
            "mcp": st.fixed_dictionaries({"type": st.just("http"), "url": text}),
            "config": obj,
            "tool_router_tools": strs,
        },
    ),
    models.ToolRouterSearch: (
        {},
        {
            "success": st.booleans(),
            "error": st.none() | text,
            "results": st.lists(obj, max_size=2),
            "tool_schemas": obj,
            "toolkit_connection_statuses": st.lists(obj, max_size=2),
            "next_steps_guidance": strs,
        },
    ),
    models.ToolRouterExecution: ({}, {"data": obj, "error": st.none() | text, "log_id": text}),
    models.ToolRouterLink: (
        {"redirect_url": ident},
        {"connected_account_id": text, "link_token": text},
    ),
    models.ToolRouterToolkit: (
        {"slug": ident},
        {
            "name": text,
            "enabled": st.booleans(),
            "is_no_auth": st.booleans(),
            "composio_managed_auth_schemes": strs,
            "meta": obj,
            "connected_account": st.none() | obj,
        },
    ),
    models.McpServer: (
        {"id": ident},
        {
            "name": text,
            "mcp_url": text,
            "auth_config_ids": strs,
            "allowed_tools": strs,
            "toolkits": strs,
            "toolkit_icons": obj,
            "commands": obj,
            "managed_auth_via_composio": st.booleans(),
            "server_instance_count": st.integers(0),
            "created_at": text,
            "updated_at": text,
            "deleted": st.booleans(),
        },
    ),
    models.McpUrls: (
        {"mcp_url": ident},
        {"user_ids_url": strs, "connected_account_urls": strs},
    ),
    models.McpInstance: (
        {"id": ident},
        {"instance_id": text, "mcp_server_id": text, "created_at": text, "updated_at": text},
    ),
    models.FileRef: (
        {"filename": ident},
        {"mimetype": text, "md5": text, "toolkit_slug": text, "tool_slug": text, "key": text},
    ),
}


TABLE[models.AsyncToolRouterSession] = TABLE[models.ToolRouterSession]


def payloads(cls: type) -> st.SearchStrategy[dict[str, Any]]:
    required, optional = TABLE[cls]
    extra_keys = st.text(min_size=1, max_size=8).filter(lambda k: k not in optional)
    return st.tuples(
        st.fixed_dictionaries(required, optional=optional),
        st.dictionaries(extra_keys, json_value, max_size=2),
    ).map(lambda pair: {**pair[1], **pair[0]})


def _public(model: Any) -> dict[str, Any]:
    return {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}


def test_the_table_covers_every_new_public_model() -> None:
    new = {getattr(models, name) for name in composio._EVENT_MODELS}
    assert new == set(TABLE)


@pytest.mark.parametrize("cls", sorted(TABLE, key=lambda c: c.__name__))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_parsed_models_pickle_with_equal_fields_and_are_frozen(cls: type, data: Any) -> None:
    raw = data.draw(payloads(cls))
    model = cls.from_dict(raw)  # type: ignore[attr-defined]
    back = pickle.loads(pickle.dumps(model))
    assert back == model and _public(back) == _public(model)
    for key in raw.keys() - {f.name for f in dataclasses.fields(model)}:
        assert model.extra[key] == raw[key]  # unknown fields kept, never lost
    name = dataclasses.fields(model)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(model, name, "changed")


@pytest.mark.parametrize("cls", sorted(TABLE, key=lambda c: c.__name__))
def test_a_mistyped_optional_field_moves_to_extra(cls: type) -> None:
    required, optional = TABLE[cls]
    base = {k: "x" for k in required}
    for field in optional:
        wrong = [1, {"a": None}]  # the wrong JSON type for every field kind used here
        model = cls.from_dict({**base, field: wrong})  # type: ignore[attr-defined]
        kind_is_any = field == "server_instance_count"
        if not kind_is_any:
            assert getattr(model, field) is None and model.extra[field] == wrong


@pytest.mark.parametrize("cls", [c for c in TABLE if TABLE[c][0]])
def test_a_missing_required_field_is_a_shape_error(cls: type) -> None:
    with pytest.raises(models.ShapeError):
        cls.from_dict({"unrelated": 1})  # type: ignore[attr-defined]
