"""Models: frozen, tolerant of evolution, honest about types; pages and providers."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from composio import OpenAIProvider, Page, Provider, Tool, ToolExecution, Toolkit
from composio.models import ShapeError
from composio.testing.catalog import TOOLKITS, TOOLS, toolkit_detail


def test_every_catalog_tool_and_toolkit_parses_with_no_leftovers() -> None:
    for raw in TOOLS:
        tool = Tool.from_dict(raw)
        assert tool.slug == raw["slug"] and tool.extra == {}
        assert tool.toolkit is not None and tool.toolkit.slug == raw["toolkit"]["slug"]
        assert tool.tags == tuple(raw["tags"])
    for raw in TOOLKITS:
        kit = Toolkit.from_dict(raw)
        assert kit.extra == {} and kit.description == raw["meta"]["description"]
        detail = Toolkit.from_dict(toolkit_detail(raw))
        assert set(detail.extra) == {"auth_config_details", "base_url"}


def test_unknown_fields_are_kept_and_missing_optional_ones_are_none() -> None:
    tool = Tool.from_dict({"slug": "X", "brand_new": {"a": 1}})
    assert tool.extra == {"brand_new": {"a": 1}}
    assert tool.name is None and tool.toolkit is None and tool.tags is None


def test_a_mistyped_optional_field_moves_to_extra_instead_of_lying() -> None:
    tool = Tool.from_dict(
        {"slug": "X", "tags": "email", "no_auth": "yes", "toolkit": "github", "name": 5}
    )
    assert tool.tags is None and tool.no_auth is None and tool.toolkit is None
    assert tool.name is None
    assert tool.extra == {"tags": "email", "no_auth": "yes", "toolkit": "github", "name": 5}


def test_null_is_the_same_as_missing() -> None:
    assert Tool.from_dict({"slug": "X", "description": None}).description is None


@pytest.mark.parametrize(
    "data",
    [{}, {"slug": None}, {"slug": 5}, [], "X", None],
)
def test_a_tool_without_a_string_slug_is_a_shape_error(data: Any) -> None:
    with pytest.raises(ShapeError):
        Tool.from_dict(data)


def test_execution_requires_a_boolean_successful() -> None:
    ok = ToolExecution.from_dict({"data": {"r": 1}, "error": None, "successful": True})
    assert ok.successful is True and ok.data == {"r": 1} and ok.error is None
    for bad in ({"data": {}}, {"successful": "true"}, {"successful": 1}):
        with pytest.raises(ShapeError, match="successful"):
            ToolExecution.from_dict(bad)


def test_models_are_frozen_and_slotted() -> None:
    tool = Tool.from_dict(TOOLS[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        tool.slug = "other"  # type: ignore[misc]
    assert not hasattr(tool, "__dict__")
    with pytest.raises(TypeError):
        tool.extra["x"] = 1  # type: ignore[index]


def _pages(sizes: list[int]) -> tuple[Page[int], list[str]]:
    fetched: list[str] = []
    starts = [sum(sizes[:i]) for i in range(len(sizes))]

    def fetch(cursor: str) -> Page[int]:
        fetched.append(cursor)
        return make(int(cursor))

    def make(i: int) -> Page[int]:
        items = tuple(range(starts[i], starts[i] + sizes[i]))
        nxt = str(i + 1) if i + 1 < len(sizes) else None
        return Page(items=items, next_cursor=nxt, _fetch=fetch)

    return make(0), fetched


def test_page_iteration_is_lazy_one_fetch_per_page() -> None:
    page, fetched = _pages([3, 3, 2])
    it = iter(page)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    assert fetched == []
    assert next(it) == 3 and fetched == ["1"]
    assert list(it) == [4, 5, 6, 7] and fetched == ["1", "2"]


def test_next_page_and_has_next_page() -> None:
    page, _ = _pages([2, 1])
    assert page.has_next_page() and len(page) == 2
    last = page.next_page()
    assert last is not None and last.items == (2,)
    assert not last.has_next_page() and last.next_page() is None


def test_an_empty_page_with_a_cursor_ends_iteration() -> None:
    """A server bug (cursor on an empty page) must not become an endless loop."""
    page = Page(items=(), next_cursor="again", _fetch=lambda c: pytest.fail("fetched"))
    assert not page.has_next_page() and list(page) == []


def test_openai_provider_shape_and_isolation() -> None:
    tool = Tool.from_dict(TOOLS[0])
    wrapped = OpenAIProvider().wrap_tool(tool)
    assert wrapped == {
        "type": "function",
        "function": {
            "name": tool.slug,
            "description": tool.description,
            "parameters": TOOLS[0]["input_parameters"],
        },
    }
    wrapped["function"]["parameters"]["properties"].clear()
    assert tool.input_parameters is not None and tool.input_parameters["properties"]


def test_openai_provider_gives_a_tool_without_parameters_an_empty_object_schema() -> None:
    wrapped = OpenAIProvider().wrap_tool(Tool.from_dict({"slug": "X"}))
    assert wrapped["function"] == {
        "name": "X",
        "description": "",
        "parameters": {"type": "object", "properties": {}},
    }


def test_a_custom_provider_is_a_small_subclass() -> None:
    class Names(Provider):
        name = "names"

        def wrap_tool(self, tool: Tool) -> str:
            return tool.slug.lower()

    tools = [Tool.from_dict(t) for t in TOOLS[:2]]
    assert Names().wrap_tools(tools) == ["github_create_issue", "github_list_issues"]
    assert repr(Names()) == "Names(name='names')"
    with pytest.raises(NotImplementedError, match="wrap_tool"):
        Provider().wrap_tool(tools[0])


def test_models_tolerate_what_v3_1_added() -> None:
    """SPEC §14: v3.1 added an account status and toolkit fields the January spec lacks."""
    from composio.models import AuthConfig, ConnectedAccount

    account = ConnectedAccount.from_dict(
        {"id": "ca_1", "status": "REVOKED", "toolkit": {"slug": "github"}, "new_field": [1]}
    )
    assert account.status == "REVOKED" and account.toolkit_slug == "github"
    assert account.extra == {"new_field": [1]}
    kit = Toolkit.from_dict({"slug": "github", "type": "app", "auth_schemes": ["OAUTH2"]})
    assert kit.type == "app" and kit.auth_schemes == ("OAUTH2",)  # a typed field since §18
    created = AuthConfig.from_created(
        {"toolkit": {"slug": "gmail"}, "auth_config": {"id": "ac_1", "auth_scheme": "OAUTH2"}}
    )
    assert (created.id, created.toolkit.slug if created.toolkit else None) == ("ac_1", "gmail")
