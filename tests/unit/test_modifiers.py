"""Modifiers and the three tool hooks (SPEC §15), against real pluggy plugin managers."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pluggy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from composio import (
    ComposioError,
    ExecuteRequest,
    Tool,
    ToolExecution,
    ValidationError,
    after_execute,
    before_execute,
    hookimpl,
    hookspecs,
    schema_modifier,
)
from composio.modifiers import (
    Modifier,
    ToolHooks,
    apply_after,
    apply_before,
    apply_schema,
    check_modifiers,
    toolkit_of,
)

REQ = ExecuteRequest(arguments={"a": 1}, user_id="u1")
ADD = Tool.from_dict(
    {"slug": "MATH_ADD", "description": "Add.", "toolkit": {"slug": "math"}, "input_parameters": {}}
)


def manager(*plugins: object) -> pluggy.PluginManager:
    """A plugin manager set up the way composio.plugins.build_chain sets up a client's."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for i, plugin in enumerate(plugins):
        pm.register(plugin, name=f"plugin{i}")
    return pm


def relay(*plugins: object) -> ToolHooks:
    """The tool hooks of a client built with ``plugins`` (what the client hands the flows)."""
    return ToolHooks(manager(*plugins))


def add_arg(key: str, value: object) -> Any:
    def fn(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        return dataclasses.replace(request, arguments={**request.arguments, key: value})

    return fn


# -- decorators ----------------------------------------------------------------------------


def test_bare_and_called_decorators_make_modifiers() -> None:
    @before_execute
    def bare(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        return request

    @after_execute(tools=["math_add"], toolkits="GitHub")
    def filtered(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        return result

    @schema_modifier()
    def empty_call(tool: str, toolkit: str, schema: Tool) -> Tool:
        return schema

    assert isinstance(bare, Modifier) and bare.kind == "before_execute"
    assert bare.tools is None and bare.toolkits is None
    assert filtered.kind == "after_execute"
    assert filtered.tools == {"math_add"} and filtered.toolkits == {"github"}
    assert empty_call.kind == "schema_modifier"
    # Still callable as the function, for the user's own unit tests.
    assert bare("T", "k", REQ) is REQ
    assert "test_bare_and_called_decorators_make_modifiers.<locals>.bare" in bare.name
    assert "tools=['math_add']" in repr(filtered)


@pytest.mark.parametrize(
    ("tool", "toolkit", "matches"),
    [
        ("MATH_ADD", "math", True),  # by tool, case-insensitive
        ("math_add", "other", True),
        ("GITHUB_STAR", "GITHUB", True),  # by toolkit, case-insensitive
        ("GITHUB_STAR", "github", True),
        ("MATH_SUB", "math", False),
        ("X", "", False),
    ],
)
def test_filters_match_tool_or_toolkit_case_insensitively(
    tool: str, toolkit: str, matches: bool
) -> None:
    mod = before_execute(tools=["Math_Add"], toolkits=["GitHub"])(add_arg("hit", True))
    assert mod.applies_to(tool, toolkit) is matches
    out = apply_before(None, [mod], tool, toolkit, REQ)
    assert ("hit" in out.arguments) is matches


@given(tool=st.text(max_size=20), toolkit=st.text(max_size=10))
def test_unfiltered_modifier_applies_to_every_tool(tool: str, toolkit: str) -> None:
    mod = before_execute(add_arg("seen", tool))
    assert apply_before(None, [mod], tool, toolkit, REQ).arguments["seen"] == tool


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: before_execute(tools=[]), r"tools=\[\]\) would match no tool"),
        (lambda: before_execute(toolkits=[""]), "list of non-empty slugs"),
        (lambda: after_execute(tools=3), "list of non-empty slugs"),
        (lambda: before_execute(["MATH_ADD"]), "Pass filters by keyword"),
        (lambda: schema_modifier(lambda tool, toolkit: None), "three positional arguments"),
        (lambda: after_execute(before_execute(add_arg("a", 1))), "already a modifier"),
    ],
)
def test_bad_definitions_fail_where_they_are_written(call: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()


def test_check_modifiers() -> None:
    mod = before_execute(add_arg("a", 1))
    assert check_modifiers(None) == ()
    assert check_modifiers([mod]) == (mod,)
    with pytest.raises(ValidationError, match=r"modifiers\[1\] is a function.*@before_execute"):
        check_modifiers([mod, add_arg("b", 2)])
    with pytest.raises(ValidationError, match="must be a list"):
        check_modifiers(mod)


def test_execute_request_is_frozen_and_changed_with_replace() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        REQ.user_id = "other"  # type: ignore[misc]
    changed = dataclasses.replace(REQ, connected_account_id="ca_1", version="20250101")
    assert changed.arguments == REQ.arguments and changed.connected_account_id == "ca_1"
    assert pickle.loads(pickle.dumps(changed)) == changed


# -- applying modifiers -------------------------------------------------------------------


def test_modifiers_run_in_list_order_each_seeing_the_previous_output() -> None:
    seen: list[dict[str, Any]] = []

    def record(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        seen.append(dict(request.arguments))
        return dataclasses.replace(request, arguments={**request.arguments, "n": len(seen)})

    mods = [before_execute(record), before_execute(record), before_execute(record)]
    out = apply_before(None, mods, "T", "k", REQ)
    assert seen == [{"a": 1}, {"a": 1, "n": 1}, {"a": 1, "n": 2}]
    assert out.arguments == {"a": 1, "n": 3}


def test_each_apply_uses_only_its_own_kind() -> None:
    calls: list[str] = []

    def note(kind: str) -> Any:
        def fn(tool: str, toolkit: str, value: Any) -> Any:
            calls.append(kind)
            return value

        return fn

    mixed = [
        before_execute(note("before")),
        after_execute(note("after")),
        schema_modifier(note("schema")),
    ]
    apply_before(None, mixed, "MATH_ADD", "math", REQ)
    apply_after(None, mixed, "MATH_ADD", "math", ToolExecution(successful=True))
    apply_schema(None, mixed, ADD)
    assert calls == ["before", "after", "schema"]


def test_after_modifier_sees_and_may_change_a_failed_result() -> None:
    @after_execute
    def soften(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        return dataclasses.replace(result, error=f"{tool}/{toolkit}: {result.error}")

    out = apply_after(None, [soften], "MATH_DIVIDE", "math", ToolExecution(False, error="div0"))
    assert out.error == "MATH_DIVIDE/math: div0" and not out.successful


def test_schema_modifier_gets_the_slug_and_toolkit_of_the_tool() -> None:
    got: list[tuple[str, str]] = []

    @schema_modifier(toolkits=["math"])
    def describe(tool: str, toolkit: str, schema: Tool) -> Tool:
        got.append((tool, toolkit))
        return dataclasses.replace(schema, description="Adds, carefully.")

    out = apply_schema(None, [describe], ADD)
    assert got == [("MATH_ADD", "math")]
    assert out.description == "Adds, carefully." and ADD.description == "Add."
    no_kit = Tool.from_dict({"slug": "LOCAL"})
    assert toolkit_of(no_kit) == "" and apply_schema(None, [describe], no_kit) is no_kit


def test_a_modifier_returning_none_is_an_error_naming_it() -> None:
    @before_execute
    def forgot_return(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        request.arguments  # noqa: B018 - the classic bug: no return
        return None  # type: ignore[return-value]

    with pytest.raises(ComposioError, match=r"forgot_return' returned None for tool 'T'"):
        apply_before(None, [forgot_return], "T", "k", REQ)


def test_a_modifier_that_raises_fails_with_composio_error_naming_it() -> None:
    @after_execute
    def explode(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        raise KeyError("missing")

    with pytest.raises(ComposioError) as info:
        apply_after(None, [explode], "T", "k", ToolExecution(successful=True))
    assert "after_execute modifier" in str(info.value) and "explode" in str(info.value)
    assert "KeyError: 'missing'" in str(info.value)
    assert isinstance(info.value.__cause__, KeyError)
    assert type(info.value) is ComposioError
    pickle.loads(pickle.dumps(info.value))


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (
            {"arguments": {}},
            "returned a dict for tool 'T'; it must return a composio.ExecuteRequest",
        ),
        (ExecuteRequest(arguments=[1]), "returned arguments of type list"),  # type: ignore[arg-type]
        (ExecuteRequest(arguments={1: 2}), "returned bad arguments .*key 1 of type int"),  # type: ignore[dict-item]
        (ExecuteRequest(arguments={}, user_id=7), "set user_id to a int"),  # type: ignore[arg-type]
    ],
)
def test_a_before_modifier_returning_a_bad_request_is_named(returned: object, message: str) -> None:
    mod = before_execute(lambda tool, toolkit, request: returned)
    with pytest.raises(ComposioError, match=message):
        apply_before(None, [mod], "T", "k", REQ)


def test_wrong_types_from_after_and_schema_modifiers_are_named() -> None:
    with pytest.raises(ComposioError, match=r"must return a composio\.ToolExecution"):
        apply_after(
            None,
            [after_execute(lambda t, k, r: {"successful": True})],
            "T",
            "k",
            ToolExecution(True),
        )
    with pytest.raises(ComposioError, match=r"must return a composio\.Tool\.$"):
        apply_schema(None, [schema_modifier(lambda t, k, s: {"slug": "MATH_ADD"})], ADD)


def test_a_schema_modifier_may_not_rename_the_tool() -> None:
    rename = schema_modifier(lambda t, k, s: dataclasses.replace(s, slug="OTHER"))
    with pytest.raises(ComposioError, match="changed the slug of tool 'MATH_ADD' to 'OTHER'"):
        apply_schema(None, [rename], ADD)


# -- plugin hooks ---------------------------------------------------------------------------


class Prefix:
    """A plugin module's worth of tool hooks, each declaring a different subset of arguments."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    @hookimpl
    def composio_before_execute(self, params: ExecuteRequest) -> ExecuteRequest:
        trail = [*params.arguments.get("trail", []), self.tag]
        return dataclasses.replace(params, arguments={**params.arguments, "trail": trail})

    @hookimpl
    def composio_after_execute(self, tool: str, result: ToolExecution) -> ToolExecution:
        data = dict(result.data or {})
        data["trail"] = [*data.get("trail", []), f"{self.tag}:{tool}"]
        return dataclasses.replace(result, data=data)

    @hookimpl
    def composio_tool_schema(self, toolkit: str, schema: Tool) -> Tool:
        return dataclasses.replace(
            schema, description=f"{schema.description}[{self.tag}:{toolkit}]"
        )


def test_amended_order_the_calls_modifiers_then_plugins_in_pluggy_order() -> None:
    """SPEC §15 as amended in Part III: the call's modifiers first, the plugins last (policy
    nearest the boundary), for all three kinds; plugins chain in pluggy's order."""
    hooks = relay(Prefix("first-registered"), Prefix("second-registered"))
    mod = before_execute(add_arg("trail", ["modifier"]))

    out = apply_before(hooks, [mod], "MATH_ADD", "math", REQ)
    # pluggy calls the last registered first; each impl sees the previous one's output.
    assert out.arguments["trail"] == ["modifier", "second-registered", "first-registered"]

    tag = after_execute(
        lambda t, k, r: dataclasses.replace(r, data={**(r.data or {}), "trail": ["modifier"]})
    )
    result = apply_after(hooks, [tag], "MATH_ADD", "math", ToolExecution(True, data={"r": 1}))
    assert result.data == {
        "r": 1,
        "trail": ["modifier", "second-registered:MATH_ADD", "first-registered:MATH_ADD"],
    }

    renamed = schema_modifier(lambda t, k, s: dataclasses.replace(s, description="Sum."))
    schema = apply_schema(hooks, [renamed], ADD)
    assert schema.description == "Sum.[second-registered:math][first-registered:math]"


def test_plugin_order_follows_tryfirst_and_trylast() -> None:
    class Late:
        @hookimpl(trylast=True)
        def composio_before_execute(self, params: ExecuteRequest) -> ExecuteRequest:
            return dataclasses.replace(
                params,
                arguments={
                    **params.arguments,
                    "order": [*params.arguments.get("order", []), "late"],
                },
            )

    class Early:
        @hookimpl(tryfirst=True)
        def composio_before_execute(self, params: ExecuteRequest) -> ExecuteRequest:
            return dataclasses.replace(
                params,
                arguments={
                    **params.arguments,
                    "order": [*params.arguments.get("order", []), "early"],
                },
            )

    # Registered late-first and early-last, so registration order alone would give the
    # opposite of what the markers ask for... and the other way round too.
    for plugins in ((Late(), Early()), (Early(), Late())):
        assert apply_before(relay(*plugins), [], "T", "k", REQ).arguments["order"] == [
            "early",
            "late",
        ]


def test_a_hook_returning_none_leaves_the_value_unchanged() -> None:
    class Observer:
        def __init__(self) -> None:
            self.seen: list[tuple[str, str]] = []

        @hookimpl
        def composio_before_execute(self, tool: str, toolkit: str, params: ExecuteRequest) -> None:
            self.seen.append((tool, toolkit))

    observer = Observer()
    assert apply_before(relay(observer), [], "MATH_ADD", "math", REQ) is REQ
    assert observer.seen == [("MATH_ADD", "math")]


def test_a_hook_that_raises_or_returns_junk_fails_with_its_plugin_named() -> None:
    class Raises:
        @hookimpl
        def composio_after_execute(self, result: ToolExecution) -> ToolExecution:
            raise RuntimeError("audit store down")

    class Junk:
        @hookimpl
        def composio_before_execute(self, params: ExecuteRequest) -> object:
            return {"arguments": {}}

    with pytest.raises(
        ComposioError,
        match=r"plugin 'plugin0' \(composio_after_execute\) raised for tool 'T': "
        r"RuntimeError: audit store down",
    ):
        apply_after(relay(Raises()), [], "T", "k", ToolExecution(True))
    with pytest.raises(
        ComposioError, match=r"plugin 'plugin0' \(composio_before_execute\) returned a dict"
    ):
        apply_before(relay(Junk()), [], "T", "k", REQ)


def test_hooks_get_only_the_arguments_they_declare_including_defaulted_ones() -> None:
    """pluggy makes each call (SPEC §12.2): an impl may declare any subset of the arguments;
    a defaulted keyword it declares is passed too (pluggy >= 1.7)."""
    seen: list[tuple[Any, ...]] = []

    class Subset:
        @hookimpl
        def composio_before_execute(self, toolkit: str, tool: str = "?") -> None:
            seen.append((tool, toolkit))

    assert apply_before(relay(Subset()), [], "MATH_ADD", "math", REQ) is REQ
    assert seen == [("MATH_ADD", "math")]


def test_a_plugin_without_tool_hooks_changes_nothing() -> None:
    class Headers:
        @hookimpl
        def composio_request_metadata(self, config: object) -> dict[str, str]:
            return {"x-team": "a"}

    assert apply_before(relay(Headers()), [], "T", "k", REQ) is REQ


def test_hookspecs_declare_the_documented_argument_names() -> None:
    for name, argname in (
        ("composio_before_execute", "params"),
        ("composio_after_execute", "result"),
        ("composio_tool_schema", "schema"),
    ):
        caller = getattr(manager().hook, name)
        assert caller.spec.argnames == ("tool", "toolkit", argname)
        assert argname in (getattr(hookspecs, name).__doc__ or "")


def test_a_hook_declaring_an_unknown_argument_is_refused_at_registration() -> None:
    class Wrong:
        @hookimpl
        def composio_before_execute(self, request: ExecuteRequest) -> None: ...

    with pytest.raises(pluggy.PluginValidationError, match="request"):
        manager(Wrong())
