"""Custom tools (SPEC §15): schema from annotations, local execution, the ToolProxy helper."""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.chat import ChatCompletionToolParam
from pydantic import BaseModel, TypeAdapter

from composio import (
    AnthropicProvider,
    CustomTool,
    OpenAIProvider,
    Tool,
    ToolExecution,
    ToolProxy,
    ValidationError,
    custom_tool,
    schema_modifier,
)
from composio.modifiers import apply_schema

if sys.version_info >= (3, 11):
    from typing import NotRequired, Required, TypedDict
else:  # typing's TypedDict learned Required/NotRequired in 3.11
    from typing_extensions import NotRequired, Required, TypedDict


class Address(BaseModel):
    city: str
    zip: str | None = None


class Person(BaseModel):
    name: str
    home: Address


class Options(TypedDict):
    depth: int
    label: NotRequired[str]


class Loose(TypedDict, total=False):
    a: int
    b: Required[str]


def schema_of(tool: CustomTool) -> dict[str, Any]:
    assert tool.tool.input_parameters is not None
    return dict(tool.tool.input_parameters)


def test_bare_decorator_uses_name_and_docstring() -> None:
    @custom_tool
    def add(a: int, b: int = 0) -> int:
        """Add two integers.

        Args:
            a: the first number
            b (int): the second
                number, defaults to zero.

        Returns:
            The sum.
        """
        return a + b

    assert isinstance(add, CustomTool)
    assert add.slug == "ADD" and add.toolkit is None
    assert isinstance(add.tool, Tool) and add.tool.slug == "ADD" and add.tool.toolkit is None
    assert add.tool.description == "Add two integers.\n\nReturns:\n    The sum."
    assert schema_of(add) == {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "description": "the first number"},
            "b": {
                "type": "integer",
                "description": "the second number, defaults to zero.",
                "default": 0,
            },
        },
        "required": ["a"],
        "additionalProperties": False,
    }
    assert add(2, 3) == 5  # still the function
    assert add.execute({"a": 2, "b": 3}) == ToolExecution(successful=True, data={"result": 5})


def test_options_slug_toolkit_description() -> None:
    @custom_tool(slug="my-tool_1", toolkit="github", description="Explicit.")
    def f(x: str) -> dict[str, str]:
        """Ignored docstring."""
        return {"x": x}

    assert f.slug == "my-tool_1" and f.toolkit == "github"
    assert f.tool.toolkit is not None and f.tool.toolkit.slug == "github"
    assert f.tool.description == "Explicit."
    assert f.execute({"x": "1"}).data == {"x": "1"}


def test_every_supported_annotation_has_a_schema() -> None:
    @custom_tool
    def everything(
        s: str,
        i: int,
        f: float,
        b: bool,
        items: list,  # type: ignore[type-arg]
        names: list[str],
        mapping: dict,  # type: ignore[type-arg]
        scores: dict[str, float],
        maybe: Optional[int],  # noqa: UP045 - the spelling under test
        maybe_new: str | None,
        either: Union[int, str],  # noqa: UP007
        mode: Literal["fast", "slow"],
        mixed: Literal[1, "one"],
        opts: Options,
        loose: Loose,
        person: Person,
        described: Annotated[str, "what it is"],
    ) -> None:
        """All of them."""

    props = schema_of(everything)["properties"]
    assert props["s"] == {"type": "string"}
    assert props["i"] == {"type": "integer"}
    assert props["f"] == {"type": "number"}
    assert props["b"] == {"type": "boolean"}
    assert props["items"] == {"type": "array"}
    assert props["names"] == {"type": "array", "items": {"type": "string"}}
    assert props["mapping"] == {"type": "object"}
    assert props["scores"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert props["maybe"] == {"type": ["integer", "null"]}
    assert props["maybe_new"] == {"type": ["string", "null"]}
    assert props["either"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert props["mode"] == {"enum": ["fast", "slow"], "type": "string"}
    assert props["mixed"] == {"enum": [1, "one"]}
    assert props["opts"] == {
        "type": "object",
        "properties": {"depth": {"type": "integer"}, "label": {"type": "string"}},
        "required": ["depth"],
    }
    assert props["loose"]["required"] == ["b"]
    assert props["person"]["properties"]["home"] == {"$ref": "#/$defs/Address"}
    assert props["described"] == {"type": "string", "description": "what it is"}
    # Nested model definitions are hoisted to the root, where "#/$defs/..." points.
    assert schema_of(everything)["$defs"]["Address"]["properties"]["city"]["type"] == "string"
    # Every provider can wrap it, and OpenAI's own param type accepts the result.
    wrapped = OpenAIProvider().wrap_tool(everything.tool)
    assert TypeAdapter(ChatCompletionToolParam).validate_python(wrapped) == wrapped
    assert AnthropicProvider().wrap_tool(everything.tool)["input_schema"]["$defs"]


def test_string_annotations_are_resolved() -> None:
    # This module has ``from __future__ import annotations``: every annotation is a string.
    @custom_tool
    def f(when: Optional[str] = None) -> None:  # noqa: UP045
        """Doc."""

    assert schema_of(f)["properties"]["when"]["type"] == ["string", "null"]
    assert f.execute({"when": None}).successful
    assert f.execute({}).successful


@pytest.mark.parametrize(
    ("define", "message"),
    [
        ("def f(x): 'doc'", "parameter 'x' has no type annotation"),
        ("def f(x: set) -> None: 'doc'", "parameter 'x': set is not supported"),
        ("def f(x: Any) -> None: 'doc'", "parameter 'x': Any says nothing"),
        ("def f(x: dict[int, str]) -> None: 'doc'", "parameter 'x'.*use dict\\[str, X\\]"),
        ("def f(x: list[object]) -> None: 'doc'", "parameter 'x': object says nothing"),
        ("def f(x: Literal[b'a']) -> None: 'doc'", "Literal values must be"),
        ("def f(*args: int) -> None: 'doc'", "parameter 'args' must be an ordinary"),
        ("def f(**kw: int) -> None: 'doc'", "parameter 'kw' must be an ordinary"),
        ("def f(x: int, /) -> None: 'doc'", "parameter 'x' must be an ordinary"),
        ("def f(x: int) -> None: pass", "needs a description"),
        ("def f(x: 'Missing') -> None: 'doc'", "could not be resolved .*NameError"),
        ("def f(p: ToolProxy) -> None: 'doc'", "ToolProxy, which needs toolkit="),
    ],
)
def test_unsupported_definitions_fail_at_decoration_naming_the_cause(
    define: str, message: str
) -> None:
    namespace: dict[str, Any] = {"Any": Any, "Literal": Literal, "ToolProxy": ToolProxy}
    exec(define, namespace)
    with pytest.raises(ValidationError, match=message):
        custom_tool(namespace["f"])


@pytest.mark.parametrize("slug", ["", "has space", "x" * 65, "dots.not.ok"])
def test_bad_slugs_are_refused(slug: str) -> None:
    with pytest.raises(ValidationError, match="not a valid tool name"):
        custom_tool(slug=slug)(lambda: None)


def test_a_lambda_needs_a_slug() -> None:
    with pytest.raises(ValidationError, match="'<LAMBDA>' is not a valid tool name"):
        custom_tool(lambda: None)
    tool = custom_tool(slug="NOOP", description="Nothing.")(lambda: None)
    assert tool.execute().data == {"result": None}


def test_two_models_with_the_same_name_collide_clearly() -> None:
    class Inner(BaseModel):
        a: int

    class A(BaseModel):
        inner: Inner

    first_inner = Inner

    class Inner(BaseModel):  # type: ignore[no-redef]
        b: str

    class B(BaseModel):
        inner: Inner

    assert first_inner is not Inner

    def both(a: A, b: B) -> None:
        """Doc."""

    with pytest.raises(ValidationError, match="two different models are named 'Inner'"):
        custom_tool(both)


# -- execution ----------------------------------------------------------------------------


@custom_tool
def profile(person: Person, tags: list[str], limit: int = 10) -> dict[str, Any]:
    """Describe a person."""
    return {"city": person.home.city, "tags": tags, "limit": limit}


def test_pydantic_arguments_are_validated_into_the_model() -> None:
    result = profile.execute({"person": {"name": "Ada", "home": {"city": "London"}}, "tags": ["x"]})
    assert result == ToolExecution(
        successful=True, data={"city": "London", "tags": ["x"], "limit": 10}
    )
    bad = profile.execute({"person": {"name": "Ada"}, "tags": []})
    assert not bad.successful and bad.error is not None
    assert bad.error.startswith("PROFILE: argument 'person' is invalid") and "home" in bad.error


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        ({"tags": []}, "missing required key(s) 'person'"),
        (
            {"person": {"name": "A", "home": {"city": "c"}}, "tags": [], "extra": 1},
            "unknown key 'extra'",
        ),
        (
            {"person": {"name": "A", "home": {"city": "c"}}, "tags": "x"},
            "arguments.tags must be array, got string",
        ),
        (
            {"person": {"name": "A", "home": {"city": "c"}}, "tags": [1]},
            "arguments.tags[0] must be string, got integer",
        ),
        (
            {"person": {"name": "A", "home": {"city": "c"}}, "tags": [], "limit": True},
            "arguments.limit must be integer, got boolean",
        ),
        (
            {"person": {"name": "A", "home": {"city": "c"}}, "tags": [], "limit": 2.5},
            "arguments.limit must be integer, got number",
        ),
    ],
)
def test_arguments_that_do_not_fit_are_a_failed_result_not_a_call(
    arguments: dict[str, Any], why: str
) -> None:
    calls: list[object] = []

    @custom_tool(slug="PROFILE")
    def spy(person: Person, tags: list[str], limit: int = 10) -> None:
        """Spy."""
        calls.append(person)

    result = spy.execute(arguments)
    assert result.successful is False and result.error is not None
    assert why in result.error and result.error.startswith("PROFILE: ")
    assert calls == []


def test_literal_and_nested_typed_dict_arguments_are_checked() -> None:
    @custom_tool
    def search(mode: Literal["fast", "slow"], opts: Options) -> dict[str, Any]:
        """Search."""
        return {"mode": mode, **opts}

    assert search.execute({"mode": "fast", "opts": {"depth": 1}}).data == {
        "mode": "fast",
        "depth": 1,
    }
    bad_mode = search.execute({"mode": "medium", "opts": {"depth": 1}})
    assert "arguments.mode must be one of ['fast', 'slow']" in (bad_mode.error or "")
    missing = search.execute({"mode": "fast", "opts": {}})
    assert "arguments.opts: missing required key(s) 'depth'" in (missing.error or "")


def test_return_values_and_exceptions() -> None:
    @custom_tool
    def echo(value: str) -> Any:
        """Echo or fail."""
        if value == "raise":
            raise LookupError("no such thing")
        if value == "dict":
            return {"a": 1}
        return [value]

    assert echo.execute({"value": "dict"}).data == {"a": 1}
    assert echo.execute({"value": "x"}).data == {"result": ["x"]}
    failed = echo.execute({"value": "raise"})
    assert failed == ToolExecution(successful=False, error="LookupError: no such thing")


def test_execute_rejects_caller_bugs_with_validation_error() -> None:
    with pytest.raises(ValidationError, match="arguments must be a mapping"):
        profile.execute(["not", "a", "dict"])  # type: ignore[arg-type]


def test_base_exceptions_are_not_swallowed() -> None:
    @custom_tool
    def stop(x: int) -> None:
        """Stop."""
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stop.execute({"x": 1})


# -- the ToolProxy helper -------------------------------------------------------------------


class RecordingProxy:
    """Stands in for ``functools.partial(client.tools.proxy, connected_account_id=...)``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, object, object]] = []

    def __call__(
        self,
        endpoint: str,
        method: str,
        *,
        body: object = None,
        parameters: Any = None,
    ) -> dict[str, Any]:
        self.calls.append((endpoint, method, body, parameters))
        return {"status": 200, "data": {"login": "octocat"}}


@custom_tool(toolkit="github")
def github_me(fields: list[str], proxy: ToolProxy) -> dict[str, Any]:
    """Who am I on GitHub."""
    response = proxy(
        "/user", "GET", parameters=[{"name": "fields", "value": ",".join(fields), "type": "query"}]
    )
    return {"login": response["data"]["login"]}


def test_proxy_parameter_is_not_in_the_schema_and_receives_the_helper() -> None:
    assert set(schema_of(github_me)["properties"]) == {"fields"}
    assert github_me.needs_proxy
    proxy = RecordingProxy()
    assert github_me.execute({"fields": ["login"]}, proxy=proxy).data == {"login": "octocat"}
    assert proxy.calls == [
        ("/user", "GET", None, [{"name": "fields", "value": "login", "type": "query"}])
    ]


def test_a_proxy_tool_without_a_proxy_is_a_caller_bug() -> None:
    with pytest.raises(ValidationError, match="takes a ToolProxy \\('proxy'\\); pass proxy="):
        github_me.execute({"fields": []})


def test_optional_proxy_and_one_proxy_only() -> None:
    @custom_tool(toolkit="github")
    def maybe(p: ToolProxy | None = None) -> bool:
        """Maybe proxied."""
        return p is not None

    assert maybe.needs_proxy and maybe.execute({}, proxy=RecordingProxy()).data == {"result": True}
    with pytest.raises(ValidationError, match="only one parameter may be a ToolProxy"):

        @custom_tool(toolkit="github")
        def two(a: ToolProxy, b: ToolProxy) -> None:
            """Two."""


def test_custom_tool_is_immutable_and_thread_safe_to_share() -> None:
    with pytest.raises(AttributeError, match="immutable"):
        profile.slug = "X"  # type: ignore[misc]
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def run(i: int) -> None:
        barrier.wait()
        try:
            result = profile.execute(
                {"person": {"name": "A", "home": {"city": str(i)}}, "tags": [str(i)]}
            )
            assert result.data == {"city": str(i), "tags": [str(i)], "limit": 10}
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert errors == []


def test_schema_modifiers_apply_to_custom_tools() -> None:
    shout = schema_modifier(tools=["ADD_ONE"])(
        lambda tool, toolkit, schema: dataclasses.replace(schema, description="LOUD")
    )

    @custom_tool
    def add_one(x: int) -> int:
        """Add one."""
        return x + 1

    assert apply_schema(None, [shout], add_one.tool).description == "LOUD"


# -- property-based: what the schema promises, execute accepts ---------------------------


@custom_tool
def typed(
    s: str,
    i: int,
    f: float,
    b: bool,
    names: list[str],
    scores: dict[str, float],
    maybe: Optional[int] = None,  # noqa: UP045
    mode: Literal["a", "b"] = "a",
) -> dict[str, Any]:
    """Echo typed values."""
    return {
        "s": s,
        "i": i,
        "f": f,
        "b": b,
        "names": names,
        "scores": scores,
        "maybe": maybe,
        "mode": mode,
    }


finite = st.floats(allow_nan=False, allow_infinity=False)
valid_arguments = st.fixed_dictionaries(
    {
        "s": st.text(),
        "i": st.integers(),
        "f": finite | st.integers(),
        "b": st.booleans(),
        "names": st.lists(st.text(max_size=5), max_size=4),
        "scores": st.dictionaries(st.text(max_size=5), finite, max_size=3),
    },
    optional={"maybe": st.none() | st.integers(), "mode": st.sampled_from(["a", "b"])},
)


@given(valid_arguments)
def test_arguments_fitting_the_schema_run_and_round_trip(arguments: dict[str, Any]) -> None:
    result = typed.execute(arguments)
    assert result.successful, result.error
    assert result.data is not None
    assert {k: result.data[k] for k in arguments} == arguments
    # The same arguments survive the trip through JSON a model's call takes.
    assert typed.execute(json.loads(json.dumps(arguments))).successful


@given(valid_arguments, st.sampled_from(["s", "i", "f", "b", "names", "scores"]), st.data())
def test_a_wrong_json_type_is_refused_naming_the_argument(
    arguments: dict[str, Any], key: str, data: st.DataObject
) -> None:
    wrong = {
        "s": st.integers() | st.booleans() | st.none(),
        "i": st.text() | finite.filter(lambda x: not float(x).is_integer()) | st.booleans(),
        "f": st.text() | st.booleans() | st.none(),
        "b": st.integers() | st.text(),
        "names": st.text() | st.lists(st.integers(), min_size=1),
        "scores": st.lists(st.integers())
        | st.dictionaries(st.text(max_size=3), st.text(), min_size=1),
    }[key]
    broken = {**arguments, key: data.draw(wrong)}
    result = typed.execute(broken)
    assert result.successful is False
    assert f"arguments.{key}" in (result.error or "")
