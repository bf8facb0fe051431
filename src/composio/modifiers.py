"""Modifiers: change tools and executions without touching HTTP (SPEC §15).

Three kinds, each a decorator that turns ``fn(tool, toolkit, value) -> value`` into a
:class:`Modifier` passed per call (``modifiers=[...]``)::

    @before_execute(tools=["GITHUB_CREATE_ISSUE"])
    def default_repo(tool: str, toolkit: str, request: ExecuteRequest) -> ExecuteRequest:
        return dataclasses.replace(request, arguments={"repo": "sdk", **request.arguments})

* ``before_execute``: value is an :class:`ExecuteRequest` (arguments, user, account, version);
* ``after_execute``: value is the :class:`~composio.models.ToolExecution`;
* ``schema_modifier``: value is the :class:`~composio.models.Tool` a provider is about to wrap.

Plugins ship the same three through the hookspecs ``composio_before_execute``,
``composio_after_execute`` and ``composio_tool_schema``. The ``apply_*`` functions run both:
the call's modifiers first, in list order (``None`` from a modifier is an error), then the
plugins (in pluggy's call order, each seeing the previous one's output; ``None`` from a hook
means "unchanged") -- SPEC §15 as amended in Part III: policy nearest the boundary. Anything a
modifier or hook raises, or a value of the wrong type (arguments or data that are not plain
JSON included, ``composio._untrusted``), becomes a :class:`~composio.errors.ComposioError`
naming it, so the one execution fails and nothing else.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from composio._untrusted import UntrustedJSONError, checked_result, exception_text, json_value
from composio.errors import ComposioError, ValidationError
from composio.models import Tool, ToolExecution

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "ExecuteRequest",
    "Modifier",
    "ToolHooks",
    "after_execute",
    "apply_after",
    "apply_before",
    "apply_schema",
    "before_execute",
    "check_modifiers",
    "schema_modifier",
    "toolkit_of",
]

V = TypeVar("V")
Kind = Literal["before_execute", "after_execute", "schema_modifier"]
#: ``tools=`` / ``toolkits=``: one slug, or a list/tuple/set of slugs.
SlugFilter = str | Sequence[str] | frozenset[str] | set[str] | None


@dataclass(frozen=True, slots=True)
class ExecuteRequest:
    """What a ``before_execute`` modifier may change; change it with ``dataclasses.replace``."""

    arguments: Mapping[str, Any]
    user_id: str | None = None
    connected_account_id: str | None = None
    version: str | None = None


BeforeExecuteFn = Callable[[str, str, ExecuteRequest], ExecuteRequest]
AfterExecuteFn = Callable[[str, str, ToolExecution], ToolExecution]
SchemaModifierFn = Callable[[str, str, Tool], Tool]


@dataclass(frozen=True, slots=True, eq=False)
class Modifier(Generic[V]):
    """A decorated modifier function and the tools it applies to.

    ``tools`` / ``toolkits`` hold case-folded slugs; ``None`` for both means every tool,
    otherwise a tool matches if its slug is in ``tools`` OR its toolkit in ``toolkits``.
    Calling the modifier calls the function, so it can be unit-tested as is.
    """

    kind: Kind
    function: Callable[[str, str, V], V]
    tools: frozenset[str] | None = None
    toolkits: frozenset[str] | None = None

    @property
    def name(self) -> str:
        """How errors name it: ``module.qualname`` of the function."""
        fn = self.function
        qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
        module = getattr(fn, "__module__", None)
        return f"{module}.{qualname}" if module and module != "__main__" else str(qualname)

    def applies_to(self, tool: str, toolkit: str) -> bool:
        if self.tools is None and self.toolkits is None:
            return True
        return (self.tools is not None and tool.casefold() in self.tools) or (
            self.toolkits is not None and toolkit.casefold() in self.toolkits
        )

    def __call__(self, tool: str, toolkit: str, value: V) -> V:
        return self.function(tool, toolkit, value)

    def __repr__(self) -> str:
        filters = "".join(
            f", {key}={sorted(val)!r}"
            for key, val in (("tools", self.tools), ("toolkits", self.toolkits))
            if val is not None
        )
        return f"<{self.kind} modifier {self.name}{filters}>"


def _slugs(value: object, kind: Kind, key: str) -> frozenset[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)) or not all(
        isinstance(s, str) and s.strip() for s in items
    ):
        raise ValidationError(
            f"@{kind}({key}=...) takes a slug or a list of non-empty slugs, got {value!r:.80}."
        )
    if not items:
        raise ValidationError(
            f"@{kind}({key}=[]) would match no tool; pass None (the default) to match all."
        )
    return frozenset(s.strip().casefold() for s in items)


def _make(kind: Kind, fn: object, tools: SlugFilter, toolkits: SlugFilter) -> Modifier[Any]:
    if isinstance(fn, Modifier):
        raise ValidationError(
            f"@{kind} was applied to {fn!r}, which is already a modifier; one function is "
            "one modifier of one kind."
        )
    if not callable(fn):
        raise ValidationError(
            f"@{kind} decorates a function fn(tool, toolkit, value); got {type(fn).__name__}. "
            f"Pass filters by keyword: @{kind}(tools=[...], toolkits=[...])."
        )
    try:
        inspect.signature(fn).bind("TOOL", "toolkit", None)
    except TypeError:
        raise ValidationError(
            f"@{kind}: {getattr(fn, '__qualname__', fn)!r} must accept three positional "
            "arguments (tool, toolkit, value)."
        ) from None
    except ValueError:  # no signature to inspect (some builtins): trust the caller
        pass
    return Modifier(kind, fn, _slugs(tools, kind, "tools"), _slugs(toolkits, kind, "toolkits"))


def _decorator(kind: Kind, fn: object, tools: SlugFilter, toolkits: SlugFilter) -> Any:
    if fn is not None:
        return _make(kind, fn, tools, toolkits)
    # Check the filters now, so a typo fails where the decorator is written.
    _slugs(tools, kind, "tools")
    _slugs(toolkits, kind, "toolkits")
    return lambda f: _make(kind, f, tools, toolkits)


@overload
def before_execute(fn: BeforeExecuteFn, /) -> Modifier[ExecuteRequest]: ...
@overload
def before_execute(
    *, tools: SlugFilter = None, toolkits: SlugFilter = None
) -> Callable[[BeforeExecuteFn], Modifier[ExecuteRequest]]: ...
def before_execute(
    fn: BeforeExecuteFn | None = None,
    /,
    *,
    tools: SlugFilter = None,
    toolkits: SlugFilter = None,
) -> Any:
    """``fn(tool, toolkit, request: ExecuteRequest) -> ExecuteRequest``, run before a tool.

    Use bare (every tool) or with ``tools=`` / ``toolkits=`` (slugs, case-insensitive).
    """
    return _decorator("before_execute", fn, tools, toolkits)


@overload
def after_execute(fn: AfterExecuteFn, /) -> Modifier[ToolExecution]: ...
@overload
def after_execute(
    *, tools: SlugFilter = None, toolkits: SlugFilter = None
) -> Callable[[AfterExecuteFn], Modifier[ToolExecution]]: ...
def after_execute(
    fn: AfterExecuteFn | None = None,
    /,
    *,
    tools: SlugFilter = None,
    toolkits: SlugFilter = None,
) -> Any:
    """``fn(tool, toolkit, result: ToolExecution) -> ToolExecution``, run on a tool's result.

    It sees failed results (``successful: false``) too, and may change them.
    """
    return _decorator("after_execute", fn, tools, toolkits)


@overload
def schema_modifier(fn: SchemaModifierFn, /) -> Modifier[Tool]: ...
@overload
def schema_modifier(
    *, tools: SlugFilter = None, toolkits: SlugFilter = None
) -> Callable[[SchemaModifierFn], Modifier[Tool]]: ...
def schema_modifier(
    fn: SchemaModifierFn | None = None,
    /,
    *,
    tools: SlugFilter = None,
    toolkits: SlugFilter = None,
) -> Any:
    """``fn(tool, toolkit, schema: Tool) -> Tool``, run on each tool before a provider wraps it.

    Change the description or ``input_parameters`` with ``dataclasses.replace``; the slug
    must stay (the model calls the tool by it).
    """
    return _decorator("schema_modifier", fn, tools, toolkits)


def check_modifiers(modifiers: object) -> tuple[Modifier[Any], ...]:
    """The ``modifiers=`` argument of a call, checked: ``None`` or a list/tuple of modifiers.

    Call it where the call starts, so a bare function fails before anything is sent.
    """
    if modifiers is None:
        return ()
    if not isinstance(modifiers, (list, tuple)):
        raise ValidationError(
            f"modifiers= must be a list of modifiers, got {type(modifiers).__name__}."
        )
    for i, m in enumerate(modifiers):
        if not isinstance(m, Modifier):
            raise ValidationError(
                f"modifiers[{i}] is a {type(m).__name__}, not a modifier; decorate the "
                "function with @before_execute, @after_execute or @schema_modifier."
            )
    return tuple(modifiers)


def toolkit_of(tool: Tool) -> str:
    """The toolkit slug modifiers and hooks see for ``tool`` (``""`` if it has none)."""
    return tool.toolkit.slug if tool.toolkit is not None else ""


# -- applying ------------------------------------------------------------------------------


def apply_before(
    hooks: ToolHooks | None,
    modifiers: Sequence[Modifier[Any]],
    tool: str,
    toolkit: str,
    request: ExecuteRequest,
) -> ExecuteRequest:
    """The ``before_execute`` modifiers, then plugins' ``composio_before_execute``."""
    return _apply(_BEFORE, hooks, modifiers, tool, toolkit, request, _check_request)


def apply_after(
    hooks: ToolHooks | None,
    modifiers: Sequence[Modifier[Any]],
    tool: str,
    toolkit: str,
    result: ToolExecution,
) -> ToolExecution:
    """The ``after_execute`` modifiers, then plugins' ``composio_after_execute``."""
    return _apply(_AFTER, hooks, modifiers, tool, toolkit, result, _check_result)


def apply_schema(
    hooks: ToolHooks | None,
    modifiers: Sequence[Modifier[Any]],
    schema: Tool,
) -> Tool:
    """The ``schema_modifier`` modifiers, then plugins' ``composio_tool_schema``.

    The tool and toolkit slugs passed on are ``schema.slug`` and :func:`toolkit_of`.
    """

    def check(value: object, who: str, tool: str) -> Tool:
        if not isinstance(value, Tool):
            raise _wrong_type(who, tool, value, "composio.Tool")
        if value.slug != schema.slug:
            raise ComposioError(
                f"{who} changed the slug of tool {schema.slug!r} to {value.slug!r}; the "
                "model calls a tool by its slug, so a schema modifier must keep it."
            )
        return value

    return _apply(_SCHEMA, hooks, modifiers, schema.slug, toolkit_of(schema), schema, check)


@dataclass(frozen=True, slots=True)
class _Kind:
    kind: Kind
    hook: str
    argname: str
    type_name: str
    attr: str  #: the ToolHooks attribute holding this hook's callers


_BEFORE = _Kind("before_execute", "composio_before_execute", "params", "ExecuteRequest", "before")
_AFTER = _Kind("after_execute", "composio_after_execute", "result", "ToolExecution", "after")
_SCHEMA = _Kind("schema_modifier", "composio_tool_schema", "schema", "Tool", "schema")


class ToolHooks:
    """The three tool hooks of one client build, ready to chain plugin by plugin.

    pluggy calls a hook's implementations as one call and returns their results as a list,
    so no implementation could see another's output. Here each plugin gets its own hook
    caller (``pm.subset_hook_caller`` without every other plugin), in pluggy's call order
    (last registered first, ``tryfirst``/``trylast`` respected): pluggy still makes each
    call, passing only the arguments the implementation declares, and each call is handed
    the previous one's output. Built once per client build (the plugin set is fixed then).
    """

    __slots__ = ("after", "before", "schema")

    before: tuple[tuple[str, Any], ...]
    after: tuple[tuple[str, Any], ...]
    schema: tuple[tuple[str, Any], ...]

    def __init__(self, pm: pluggy.PluginManager | None) -> None:
        for attr, kind in (("before", _BEFORE), ("after", _AFTER), ("schema", _SCHEMA)):
            object.__setattr__(self, attr, _callers(pm, kind.hook))

    def __bool__(self) -> bool:
        """Whether any plugin implements a tool hook (else no toolkit lookup is needed)."""
        return bool(self.before or self.after or self.schema)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ToolHooks is immutable")


def _callers(pm: pluggy.PluginManager | None, hook: str) -> tuple[tuple[str, Any], ...]:
    if pm is None:
        return ()
    impls = getattr(pm.hook, hook).get_hookimpls()
    plugins = [impl.plugin for impl in impls]
    return tuple(
        (
            f"plugin {impl.plugin_name!r} ({hook})",
            pm.subset_hook_caller(hook, [p for p in plugins if p is not impl.plugin]),
        )
        for impl in reversed(impls)
    )


def _apply(
    kind: _Kind,
    hooks: ToolHooks | None,
    modifiers: Sequence[Modifier[Any]],
    tool: str,
    toolkit: str,
    value: V,
    check: Callable[[object, str, str], V],
) -> V:
    # SPEC §15 (amended in Part III): the call's modifiers first, the plugins last -- policy
    # stands nearest the boundary, so a guardrail approves the arguments that are sent and
    # redacts the result the model reads.
    for modifier in modifiers:
        if modifier.kind != kind.kind or not modifier.applies_to(tool, toolkit):
            continue
        who = f"{kind.kind} modifier {modifier.name!r}"
        try:
            out = modifier.function(tool, toolkit, value)
        except Exception as exc:
            raise _raised(who, tool, exc) from exc
        if out is None:
            raise ComposioError(
                f"{who} returned None for tool {tool!r}; it must return the "
                f"{kind.type_name} (the one it was given, changed or not)."
            )
        value = check(out, who, tool)
    if hooks is not None:
        for who, caller in getattr(hooks, kind.attr):
            try:
                outs = caller(**{"tool": tool, "toolkit": toolkit, kind.argname: value})
            except Exception as exc:
                raise _raised(who, tool, exc) from exc
            for out in outs:  # pluggy drops None ("unchanged"); one plugin, one result
                value = check(out, who, tool)
    return value


def _raised(who: str, tool: str, exc: Exception) -> ComposioError:
    return ComposioError(f"{who} raised for tool {tool!r}: {exception_text(exc)}")


def _wrong_type(who: str, tool: str, value: object, expected: str) -> ComposioError:
    return ComposioError(
        f"{who} returned a {type(value).__name__} for tool {tool!r}; it must return a {expected}."
    )


def _check_request(value: object, who: str, tool: str) -> ExecuteRequest:
    if not isinstance(value, ExecuteRequest):
        raise _wrong_type(who, tool, value, "composio.ExecuteRequest")
    if not isinstance(value.arguments, Mapping):
        raise ComposioError(
            f"{who} returned arguments of type {type(value.arguments).__name__} for tool "
            f"{tool!r}; they must be a dict of argument name (str) to value."
        )
    try:
        arguments = json_value(value.arguments, "arguments", strict=True)
    except UntrustedJSONError as exc:
        raise ComposioError(f"{who} returned bad arguments for tool {tool!r}: {exc}.") from None
    for name in ("user_id", "connected_account_id", "version"):
        field_value = getattr(value, name)
        if field_value is not None and not isinstance(field_value, str):
            raise ComposioError(
                f"{who} set {name} to a {type(field_value).__name__} for tool {tool!r}; it "
                "must be a str or None."
            )
    return dataclasses.replace(value, arguments=arguments)


def _check_result(value: object, who: str, tool: str) -> ToolExecution:
    if not isinstance(value, ToolExecution):
        raise _wrong_type(who, tool, value, "composio.ToolExecution")
    try:
        return checked_result(value)
    except UntrustedJSONError as exc:
        raise ComposioError(f"{who} returned a bad result for tool {tool!r}: {exc}.") from None
