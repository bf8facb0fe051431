"""Issue 21 (SPEC §19): the cheaper page build keeps every answer of the one it replaced.

Stamping the request id (``models.stamp_all``) skips the nested slots of a lazy model that
has not built them yet; learning toolkits (``ToolkitCache.learn_page``) skips the tools it
knows; a page object writes its slots directly. Each test pins what the shortcut must not
change.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import pickle
from collections.abc import Mapping
from typing import Any

import pytest

from composio import models
from composio._toolkit_versions import ToolkitCache
from composio.models import ConnectionRequest, Tool, ToolkitRef, set_request_id, stamp_all
from composio.pagination import AsyncPage, Page

_ITEMS = [
    {"slug": "GITHUB_STAR", "name": "Star", "toolkit": {"slug": "github", "name": "GitHub"}},
    {"slug": "SLACK_POST", "toolkit": {"slug": "slack"}},
]


def _page_items() -> tuple[Tool, ...]:
    return models.parse_items(Tool, json.loads(json.dumps(_ITEMS)))


def test_issue21_a_lazy_items_toolkit_gets_the_request_id_when_it_is_built() -> None:
    tools = _page_items()
    stamp_all(tools, "req-1")
    assert [t._request_id for t in tools] == ["req-1", "req-1"]
    assert [t.toolkit._request_id for t in tools if t.toolkit] == ["req-1", "req-1"]


def test_issue21_an_item_filled_before_stamping_has_its_toolkit_stamped() -> None:
    tools = _page_items()
    assert tools[0].name == "Star"  # fills every lazy field: the toolkit is built, unstamped
    stamp_all(tools, "req-2")
    assert tools[0].toolkit is not None and tools[0].toolkit._request_id == "req-2"


def test_issue21_a_model_built_by_hand_has_its_nested_model_stamped() -> None:
    tool = Tool("X", toolkit=ToolkitRef("github"))
    Tool.from_dict({"slug": "Y"})  # the class has a plan: its nested slots are looked into
    set_request_id(tool, "req-3")
    assert tool._request_id == tool.toolkit._request_id == "req-3"  # type: ignore[union-attr]


def test_issue21_stamp_all_stamps_the_models_of_a_mixed_list_and_leaves_the_rest() -> None:
    request = ConnectionRequest("ca_1", "INITIATED")
    (tool,) = _page_items()[:1]
    values: list[object] = [tool, 3, {"k": 1}, request, tool, "x"]
    stamp_all(values, "req-4")
    assert tool._request_id == request._request_id == "req-4"
    assert values[1:3] == [3, {"k": 1}] and values[5] == "x"


@dataclasses.dataclass(frozen=True, slots=True)
class _Holder(models._Parsed):
    """A model whose nested model is required: built at parse, so stamped at once."""

    ref: ToolkitRef
    extra: Mapping[str, Any] = models._extra()


def test_issue21_a_required_nested_model_is_stamped_with_its_parent() -> None:
    (holder,) = models.parse_items(_Holder, [{"ref": {"slug": "gh"}, "more": 1}])
    stamp_all((holder,), "req-5")
    assert not models._plan_of(_Holder).nested_later  # the path under test
    assert holder.ref._request_id == "req-5" and holder.extra == {"more": 1}
    assert pickle.loads(pickle.dumps(holder)).ref._request_id == "req-5"


def test_issue21_learn_page_skips_known_tools_and_learns_the_rest() -> None:
    cache = ToolkitCache()
    cache.learn("GITHUB_STAR", "github")
    cache.learn_page(
        [
            {"slug": "GITHUB_STAR", "toolkit": {"slug": "other"}},  # known: a toolkit never changes
            {"slug": "slack_post", "toolkit": {"slug": "Slack"}},  # lower case: normalised
            {"slug": ["unhashable"], "toolkit": {"slug": "x"}},  # not a string: ignored
            {"slug": "NO_TOOLKIT", "toolkit": "github"},
            {"slug": "BAD_TOOLKIT_SLUG", "toolkit": {"slug": 3}},
        ]
    )
    assert cache.get("github_star") == "github" and cache.get("SLACK_POST") == "slack"
    assert cache.get("NO_TOOLKIT") is None and cache.get("BAD_TOOLKIT_SLUG") is None
    assert len(cache) == 2


def test_break7_a_tool_known_without_a_toolkit_learns_it_from_a_listing() -> None:
    """``execute`` records "" for a tool whose details show no toolkit; a later listing that
    shows one must still be learnt (before the fix the "" stayed until the cache reset, and
    version pins fell back to latest for that tool)."""
    cache = ToolkitCache()
    cache.learn("GITHUB_STAR", "")
    assert cache.get("github_star") == "" and len(cache) == 1
    # what a listing's one pass skips (``parse_items(..., known)``) must not hold it
    assert "GITHUB_STAR" not in cache.known()
    cache.learn_page([{"slug": "GITHUB_STAR", "toolkit": {"slug": "GitHub"}}])
    assert cache.get("GITHUB_STAR") == "github" and len(cache) == 1
    cache.learn("GITHUB_STAR", "")  # a known toolkit is never forgotten for ""
    assert cache.get("GITHUB_STAR") == "github"


def test_issue21_a_page_object_is_the_dataclass_it_was() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("issue21", default="outside")
    token = var.set("made-here")
    try:
        page: Page[int] = Page((1, 2), "c", 9, _request_id="req-6")
    finally:
        var.reset(token)
    assert (page.items, page.next_cursor, page.total_items, page.total_pages) == (
        (1, 2),
        "c",
        9,
        None,
    )
    assert page._context.run(var.get) == "made-here" and page._request_id == "req-6"
    assert page == Page(items=(1, 2), next_cursor="c", total_items=9) and len(page) == 2
    moved = dataclasses.replace(page, next_cursor=None)
    assert moved.next_cursor is None and moved._context is page._context
    context = contextvars.copy_context()
    assert AsyncPage((), _context=context)._context is context
    back = pickle.loads(pickle.dumps(page))
    assert back == page and back._request_id == "req-6"
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.items = ()  # type: ignore[misc]


def test_issue21_parse_items_stamps_and_hands_back_the_unknown_in_its_one_pass() -> None:
    """Second pass: the page's ids are written and its new tools found as the items are built
    (what ``stamp_all`` and ``learn_page`` did in loops of their own)."""
    items = json.loads(json.dumps(_ITEMS))
    fresh: list[Any] = []
    tools = models.parse_items(Tool, items, "req-9", {"GITHUB_STAR"}, fresh)
    assert [t._request_id for t in tools] == ["req-9", "req-9"]
    assert fresh == [items[1]]  # SLACK_POST is not known; GITHUB_STAR is
    assert [t.toolkit._request_id for t in tools if t.toolkit] == ["req-9", "req-9"]
    assert tools == models.parse_items(Tool, json.loads(json.dumps(_ITEMS)))  # same models
    plain = models.parse_items(Tool, json.loads(json.dumps(_ITEMS)))
    assert [t._request_id for t in plain] == [None, None]
    assert b"_composio_request_id" not in pickle.dumps(plain[0])  # no id: none pickled


def test_issue21_parse_items_of_another_shape_stamps_and_hands_back_every_item() -> None:
    """A class off the fast path (a required nested model) gets the same stamp, and all its
    items count as unknown: the caller's own check decides."""
    items = [{"ref": {"slug": "gh"}}, {"ref": {"slug": "sl"}, "more": 1}]
    fresh: list[Any] = []
    holders = models.parse_items(_Holder, items, "req-10", set(), fresh)
    assert [h._request_id for h in holders] == ["req-10", "req-10"]
    assert [h.ref._request_id for h in holders] == ["req-10", "req-10"]
    assert fresh == items


def test_issue21_page_counts_take_whole_finite_numbers_only() -> None:
    from composio._operation import PageData

    def counts(**fields: object) -> tuple[int | None, int | None, int | None]:
        data = PageData.from_json({"items": [], **fields}, Tool._from_items, "req-11")
        assert data.request_id == "req-11"
        return data.total_items, data.total_pages, data.current_page

    assert counts() == (None, None, None)
    assert counts(total_items=3, total_pages=2.0, current_page=True) == (3, 2, None)
    assert counts(total_items=float("nan"), total_pages="2", current_page=float("inf")) == (
        None,
        None,
        None,
    )
    with pytest.raises(models.ShapeError, match="'items' list"):
        PageData.from_json({"items": {}}, Tool._from_items)
    with pytest.raises(models.ShapeError, match="'items' list"):
        PageData.from_json([], Tool._from_items)
