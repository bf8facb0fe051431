"""Break-it review of the batch page parser (SPEC §19): ``models.parse_items`` must build
exactly what ``parse_model`` builds, item by item, or raise exactly what it raises, whatever
untrusted JSON a page holds -- every model a page operation lists, items of any JSON type,
required fields missing or of the wrong type, lone surrogates, NaN."""

from __future__ import annotations

import dataclasses
import json
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composio import models
from composio.models import ShapeError

#: every class a page operation parses with ``_from_items`` (src/composio/_ops)
_PAGED = sorted(
    {
        "AuthConfig",
        "ConnectedAccount",
        "FileRef",
        "McpInstance",
        "McpServer",
        "Tool",
        "ToolRouterToolkit",
        "Toolkit",
        "TriggerInstance",
        "TriggerType",
    }
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 2.0, 2.5, float("nan"), float("inf"), 10**30]),
    st.text(max_size=3),
    st.just("\ud800"),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=5,
)


def _cls(name: str) -> type:
    found: type = getattr(models, name)
    return found


def _item(cls: type) -> st.SearchStrategy[Any]:
    names = [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    obj = st.dictionaries(st.sampled_from([*names, "zz"]), _JSON, max_size=len(names) + 1)
    return st.one_of(obj, obj, obj, _JSON)


def _outcome(build: Any) -> Any:
    try:
        built = build()
    except ShapeError as exc:
        return ("raised", str(exc))
    return ("built", built)


@pytest.mark.parametrize("name", _PAGED)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_break5_parse_items_builds_or_raises_what_parse_model_does(
    name: str, data: st.DataObject
) -> None:
    cls = _cls(name)
    items = data.draw(st.lists(_item(cls), max_size=4))
    wire = json.dumps(items)  # what a server sends; each side parses its own copy
    slow = _outcome(lambda: tuple(models.parse_model(cls, i) for i in json.loads(wire)))
    fast = _outcome(lambda: models.parse_items(cls, json.loads(wire)))
    assert fast[0] == slow[0]
    if slow[0] == "raised":
        assert fast == slow
        return
    # NaN is not equal to itself: compare what the models print and pickle as, field by field
    assert repr(fast[1]) == repr(slow[1])
    for a, b in zip(fast[1], slow[1], strict=True):
        assert type(a) is type(b) is cls
        assert pickle.dumps(a) == pickle.dumps(b)
        assert a.extra.keys() == b.extra.keys()


def test_break5_a_page_larger_than_the_toolkit_cache_keeps_it_bounded() -> None:
    from composio._toolkit_versions import ToolkitCache

    cache = ToolkitCache(limit=4)
    page = [{"slug": f"T{n}", "toolkit": {"slug": "KIT"}} for n in range(10)]
    cache.learn_page(json.loads(json.dumps(page)))
    assert len(cache) <= 4  # a server's 10 000-tool page held 10 000 entries past the limit
    assert cache.get("T9") == "kit"  # the page's last tools are the ones kept
