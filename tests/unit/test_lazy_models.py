"""A page's models check their required fields at once and the rest on first read (SPEC §19);
what they hold, compare, print and pickle as is exactly what the eager parse builds."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composio import models
from composio.models import ConnectedAccount, ShapeError, Tool, ToolExecution, ToolkitRef
from tests._interleave import race

_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=4)
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def _eager(cls: type, data: dict[str, Any]) -> Any:
    """The eager parse (every field at once), as a class with explicit kinds gets it."""
    plan = models._Plan(cls)
    obj = object.__new__(cls)
    extra = models._fill(cls, obj, plan.fields, plan.required, data, None)
    models._put_extra(plan, obj, data, extra)
    return obj


def _objects(cls: type, required: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    names = [f.name for f in dataclasses.fields(cls) if f.name != "extra"]
    known = st.dictionaries(st.sampled_from(names), _JSON, max_size=len(names))
    toolkit = st.dictionaries(st.sampled_from(["slug", "name", "logo", "x"]), _JSON, max_size=4)
    unknown = st.dictionaries(st.sampled_from(["zz", "new_field"]), _JSON, max_size=2)
    return st.tuples(known, toolkit, unknown).map(
        lambda t: {**t[0], "toolkit": t[1], **t[2], **required}
    )


@pytest.mark.parametrize(
    ("cls", "required"),
    [(Tool, {"slug": "S"}), (ToolExecution, {"successful": True}), (ConnectedAccount, {})],
)
@given(data=st.data())
def test_lazy_model_reads_compares_prints_and_pickles_as_the_eager_parse(
    cls: type, required: dict[str, Any], data: st.DataObject
) -> None:
    need = {
        f.name: required.get(f.name, "x")
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    obj = data.draw(_objects(cls, need))
    lazy = cls.from_dict(obj)
    eager = _eager(cls, dict(obj))
    obj.clear()  # the caller's dict changing afterwards does not reach the model
    for f in dataclasses.fields(cls):
        assert getattr(lazy, f.name) == getattr(eager, f.name), f.name
    assert lazy == eager and repr(lazy) == repr(eager)
    again = cls.from_dict(dict(_eager_state(eager)))
    assert pickle.loads(pickle.dumps(again)) == eager  # pickled before any field was read
    assert copy.deepcopy(cls.from_dict(dict(_eager_state(eager)))) == eager


def _eager_state(model: Any) -> dict[str, Any]:
    """A JSON object that parses to ``model`` (its fields, then its extra)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(model):
        value = getattr(model, f.name)
        if f.name == "extra":
            out.update(value)
        elif dataclasses.is_dataclass(value):
            out[f.name] = {**_eager_state(value)}
        elif isinstance(value, tuple):
            out[f.name] = list(value)
        elif value is not None:
            out[f.name] = value
    return out


def test_required_fields_are_checked_at_once_and_lazy_fields_stay_frozen() -> None:
    with pytest.raises(ShapeError, match="Tool is missing required field 'slug'"):
        Tool.from_dict({"name": "n"})
    with pytest.raises(ShapeError, match=r"Tool\.slug must be a string, got int"):
        Tool.from_dict({"slug": 3})
    tool = Tool.from_dict({"slug": "S", "name": "n", "toolkit": {"slug": "gh"}, "tags": "x"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        tool.name = "other"  # type: ignore[misc]
    assert tool.name == "n"
    assert tool.toolkit == ToolkitRef(slug="gh")
    assert tool.tags is None and tool.extra == {"tags": "x"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        tool.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        tool.extra["tags"] = "y"  # type: ignore[index]


def test_a_model_built_by_its_constructor_is_not_lazy() -> None:
    tool = Tool(slug="S", name="n")
    assert tool.name == "n" and tool.extra == {}
    assert tool == Tool.from_dict({"slug": "S", "name": "n"})


@pytest.mark.parametrize(
    ("cls", "item"),
    [
        (Tool, {"slug": "S", "name": "n", "toolkit": {"slug": "gh"}, "tags": "x", "new": 1}),
        (Tool, {"slug": "S"}),
        (ToolExecution, {"successful": False, "data": {"a": 1}, "error": 3}),
        (ConnectedAccount, {"id": "ca_1", "status": "ACTIVE", "toolkit": {"slug": "gh"}}),
    ],
)
def test_issue21_page_items_are_what_parse_model_builds(cls: type, item: dict[str, Any]) -> None:
    (fast,) = models.parse_items(cls, [dict(item)])
    eager = _eager(cls, dict(item))
    assert fast == eager and repr(fast) == repr(eager) and type(fast) is cls
    assert pickle.loads(pickle.dumps(models.parse_items(cls, [dict(item)])[0])) == eager


@pytest.mark.parametrize(
    ("item", "error"),
    [
        ({"name": "n"}, "Tool is missing required field 'slug'"),
        ({"slug": 3}, r"Tool\.slug must be a string, got int"),
        (["slug"], "expected a JSON object for Tool, got list"),
    ],
)
def test_issue21_a_bad_page_item_raises_what_parse_model_raises(item: object, error: str) -> None:
    with pytest.raises(ShapeError, match=error):
        models.parse_items(Tool, [{"slug": "OK"}, item])
    with pytest.raises(ShapeError, match=error):
        Tool.from_dict(item)


def test_two_first_reads_of_a_lazy_model_see_the_nested_model_it_holds() -> None:
    """Two threads read a fresh tool's ``toolkit`` at once: each must get the very
    ``ToolkitRef`` the tool holds afterwards. Both used to fill the model, and the thread
    whose fill was overwritten returned a ``ToolkitRef`` the tool no longer held (break9's
    race on page items, in the models). The interleaving is forced: a trace function stops
    this thread just before its fill writes the fields and runs the other thread's read
    there, until it ends or reaches the line that waits for this fill."""
    tool = Tool.from_dict({"slug": "A_B", "toolkit": {"slug": "kit"}})
    mine, other = race(
        lambda: tool.toolkit,
        models._fill_later.__code__,
        "extra = _fill(type(obj), obj, plan.later",  # before the fill writes any field
        "with _FILL",
    )
    assert mine is tool.toolkit and other is tool.toolkit
