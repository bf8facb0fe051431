"""Custom tools: a typed, documented Python function as a tool the model can call (SPEC §15).

::

    @custom_tool
    def add(a: int, b: int = 0) -> int:
        \"\"\"Add two integers.

        Args:
            a: the first number
            b: the second number
        \"\"\"
        return a + b

    add.slug                     # "ADD"
    add.tool                     # a composio.Tool: any provider can wrap it
    add.execute({"a": 2})        # ToolExecution(successful=True, data={"result": 2})

The description is the docstring (its ``Args:`` section becomes the parameters'
descriptions); the input JSON Schema comes from the annotations, resolved with
``typing.get_type_hints`` (string annotations work). A bad definition fails at decoration
time with :class:`~composio.errors.ValidationError` naming the parameter.

With ``toolkit=`` the function may declare one parameter typed :class:`ToolProxy` (any name;
it is not part of the schema): the client passes a helper that calls ``tools.proxy`` with the
user's connected account for that toolkit, so the function can call the toolkit's API
without handling credentials.
"""

from __future__ import annotations

import inspect
import re
import sys
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, overload

from composio._annotation_schema import SchemaError, Schemas, validate
from composio._untrusted import UntrustedJSONError, exception_text, json_value
from composio.errors import ValidationError
from composio.models import Tool, ToolExecution, ToolkitRef

__all__ = ["CustomTool", "ToolProxy", "custom_tool"]

#: What OpenAI and Anthropic accept as a tool name.
_SLUG = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ARGS_HEADER = re.compile(r"^(Args|Arguments|Parameters|Params):\s*$")
_ARG_LINE = re.compile(r"^(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


class ToolProxy(Protocol):
    """Calls the toolkit's own API through Composio with the user's connected account.

    The same signature as ``client.tools.proxy`` minus ``connected_account_id``, which the
    client binds; e.g. ``proxy("/user", "GET")``. The return value is what ``tools.proxy``
    returns.
    """

    def __call__(
        self,
        endpoint: str,
        method: str,
        *,
        body: object = None,
        parameters: Sequence[Mapping[str, str]] | None = None,
    ) -> Any: ...


class CustomTool:
    """A function the model can call as a tool; made by :func:`custom_tool`.

    * ``slug``: the tool's name for the model (the function's name upper-cased by default);
    * ``toolkit``: the toolkit slug given (``None`` if none);
    * ``tool``: the :class:`~composio.models.Tool` describing it (``input_parameters`` is the
      JSON Schema), what ``provider.wrap_tool`` takes and schema modifiers see;
    * ``function``: the function itself; calling the ``CustomTool`` calls it.

    Immutable; safe to share between clients and threads (as safe as the function).
    """

    __slots__ = (
        "_converters",
        "_proxy_param",
        "_validation",
        "function",
        "slug",
        "tool",
        "toolkit",
    )

    function: Callable[..., Any]
    slug: str
    toolkit: str | None
    tool: Tool
    _converters: Mapping[str, Callable[[Any], Any]]
    _proxy_param: str | None
    _validation: Mapping[str, Any]

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        slug: str | None = None,
        toolkit: str | None = None,
        description: str | None = None,
        _localns: Mapping[str, Any] | None = None,
    ) -> None:
        if _localns is None:
            _localns = sys._getframe(1).f_locals
        built = _build(function, slug, toolkit, description, _localns)
        for name, value in built.items():
            object.__setattr__(self, name, value)

    @property
    def needs_proxy(self) -> bool:
        """Whether the function takes a :class:`ToolProxy` (then ``execute`` needs one)."""
        return self._proxy_param is not None

    @property
    def is_async(self) -> bool:
        """Whether the function is ``async def`` (only ``AsyncComposio`` can run it)."""
        return inspect.iscoroutinefunction(self.function)

    def execute(
        self, arguments: Mapping[str, Any] | None = None, *, proxy: ToolProxy | None = None
    ) -> ToolExecution:
        """Run the function locally with ``arguments`` (a JSON object, as a model sends it).

        Arguments that do not fit the schema (a required one missing, an unknown key, a wrong
        JSON type) and any exception of the function give ``successful=False`` with the
        reason -- the model can read it and retry. A ``dict`` return value is ``data``;
        anything else is ``{"result": value}``. Passing something that is not a mapping, or
        no ``proxy`` to a function that needs one, is a caller bug:
        :class:`~composio.errors.ValidationError`. An ``async def`` tool is run with
        :meth:`aexecute` (this raises ``ValidationError`` for it).
        """
        if self.is_async:
            raise ValidationError(
                f"{self.slug}.execute: the function is async; await {self.slug}.aexecute(...) "
                "(AsyncComposio does)."
            )
        kwargs = self._bind(arguments, proxy)
        if isinstance(kwargs, ToolExecution):
            return kwargs
        try:
            value = self.function(**kwargs)
        except Exception as exc:
            return _failure(exc)
        return _outcome(value, self.slug)

    async def aexecute(
        self, arguments: Mapping[str, Any] | None = None, *, proxy: ToolProxy | None = None
    ) -> ToolExecution:
        """:meth:`execute` for an ``async def`` tool: the same rules, the function awaited.

        A plain function is called as is (on the caller's thread); ``AsyncComposio`` runs
        plain tools in a worker thread instead, so that they cannot block its event loop.
        """
        kwargs = self._bind(arguments, proxy)
        if isinstance(kwargs, ToolExecution):
            return kwargs
        try:
            value = self.function(**kwargs)
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:
            return _failure(exc)
        return _outcome(value, self.slug)

    def _bind(
        self, arguments: Mapping[str, Any] | None, proxy: ToolProxy | None
    ) -> dict[str, Any] | ToolExecution:
        """The keyword arguments for the function, or the failed result explaining why not."""
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, Mapping):
            raise ValidationError(
                f"{self.slug}.execute: arguments must be a mapping of argument name to value, "
                f"not {type(arguments).__name__}."
            )
        if self._proxy_param is not None and proxy is None:
            raise ValidationError(
                f"{self.slug}.execute: the function takes a ToolProxy "
                f"({self._proxy_param!r}); pass proxy= (the client binds tools.proxy to the "
                f"user's {self.toolkit!r} account)."
            )
        why = validate(arguments, self._validation, "arguments")
        if why is not None:
            return ToolExecution(successful=False, error=f"{self.slug}: {why}")
        kwargs = dict(arguments)
        for name, convert in self._converters.items():
            if name in kwargs:
                try:
                    kwargs[name] = convert(kwargs[name])
                except Exception as exc:
                    return ToolExecution(
                        successful=False,
                        error=f"{self.slug}: argument {name!r} is invalid: {exc}",
                    )
        if self._proxy_param is not None:
            kwargs[self._proxy_param] = proxy
        return kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"CustomTool is immutable (tried to set {name!r})")

    def __repr__(self) -> str:
        toolkit = f", toolkit={self.toolkit!r}" if self.toolkit else ""
        return f"CustomTool(slug={self.slug!r}{toolkit})"


@overload
def custom_tool(fn: Callable[..., Any], /) -> CustomTool: ...
@overload
def custom_tool(
    *, slug: str | None = None, toolkit: str | None = None, description: str | None = None
) -> Callable[[Callable[..., Any]], CustomTool]: ...
def custom_tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    slug: str | None = None,
    toolkit: str | None = None,
    description: str | None = None,
) -> CustomTool | Callable[[Callable[..., Any]], CustomTool]:
    """Turn a typed, documented function into a :class:`CustomTool` (bare or with options).

    ``slug=``: the tool's name (default: the function's name upper-cased); ``toolkit=``: the
    toolkit it belongs to (needed for a :class:`ToolProxy` parameter; modifiers filter on
    it); ``description=``: instead of the docstring.
    """
    # The caller's locals resolve string annotations naming classes defined in the same
    # function as the tool (typing.get_type_hints sees only the module's globals).
    localns = dict(sys._getframe(1).f_locals)
    if fn is not None:
        return CustomTool(fn, slug=slug, toolkit=toolkit, description=description, _localns=localns)
    return lambda f: CustomTool(
        f, slug=slug, toolkit=toolkit, description=description, _localns=localns
    )


def _build(
    fn: object,
    slug: str | None,
    toolkit: str | None,
    description: str | None,
    localns: Mapping[str, Any],
) -> dict[str, Any]:
    if isinstance(fn, CustomTool) or not callable(fn) or isinstance(fn, type):
        raise ValidationError(
            f"@custom_tool decorates a function, not {type(fn).__name__}: "
            "def my_tool(x: int) -> dict: ..."
        )
    fname = getattr(fn, "__name__", type(fn).__name__)
    slug = fname.upper() if slug is None else slug
    where = f"@custom_tool {slug!r}"
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise ValidationError(
            f"@custom_tool: the slug {slug!r} is not a valid tool name (1-64 letters, digits, "
            "'_' or '-'); pass slug=..."
        )
    if toolkit is not None and (not isinstance(toolkit, str) or not _SLUG.fullmatch(toolkit)):
        raise ValidationError(f"{where}: toolkit= must be a toolkit slug, got {toolkit!r}.")
    doc, arg_docs = _docstring(inspect.getdoc(fn))
    if description is None:
        description = doc
    if not isinstance(description, str) or not description.strip():
        raise ValidationError(
            f"{where}: the model needs a description; write a docstring or pass description=."
        )
    try:
        hints = typing.get_type_hints(fn, localns=dict(localns), include_extras=True)
    except Exception as exc:
        raise ValidationError(
            f"{where}: its annotations could not be resolved ({type(exc).__name__}: {exc}); "
            "import every type they name where the function is defined."
        ) from None

    schemas = Schemas()
    properties: dict[str, Any] = {}
    validation: dict[str, Any] = {}
    required: list[str] = []
    converters: dict[str, Callable[[Any], Any]] = {}
    proxy_param: str | None = None
    for param in inspect.signature(fn).parameters.values():
        name = param.name
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            raise ValidationError(
                f"{where}: parameter {name!r} must be an ordinary named parameter "
                "(the model passes arguments by name; no *args, **kwargs or positional-only)."
            )
        if name not in hints:
            raise ValidationError(
                f"{where}: parameter {name!r} has no type annotation; annotate it so the "
                "model knows what to send."
            )
        hint = hints[name]
        if _is_proxy(hint):
            if toolkit is None:
                raise ValidationError(
                    f"{where}: parameter {name!r} is a ToolProxy, which needs toolkit=... "
                    "(the proxy uses the user's connected account for that toolkit)."
                )
            if proxy_param is not None:
                raise ValidationError(f"{where}: only one parameter may be a ToolProxy.")
            proxy_param = name
            continue
        try:
            schema = schemas.of(hint)
        except SchemaError as exc:
            raise ValidationError(f"{where}: parameter {name!r}: {exc}.") from None
        if name in arg_docs and "description" not in schema:
            schema = {**schema, "description": arg_docs[name]}
        if param.default is param.empty:
            required.append(name)
        elif _is_json(param.default):
            schema = {**schema, "default": param.default}
        properties[name] = schema
        model_validate = getattr(hint, "model_validate", None)
        if isinstance(hint, type) and callable(model_validate):
            converters[name] = model_validate
            validation[name] = {}  # the model validates itself, with its own messages
        else:
            validation[name] = schema
    input_parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        input_parameters["required"] = required
    input_parameters["additionalProperties"] = False
    if schemas.defs:
        input_parameters["$defs"] = schemas.defs
    tool = Tool(
        slug=slug,
        name=fname,
        description=description.strip(),
        toolkit=ToolkitRef(slug=toolkit) if toolkit else None,
        input_parameters=input_parameters,
    )
    return {
        "function": fn,
        "slug": slug,
        "toolkit": toolkit,
        "tool": tool,
        "_converters": converters,
        "_proxy_param": proxy_param,
        "_validation": {**input_parameters, "properties": validation},
    }


def _outcome(value: object, slug: str) -> ToolExecution:
    """SPEC §15: a dict return value is the data; anything else is ``{"result": value}``.

    The value is untrusted (``composio._untrusted``): one that JSON cannot carry -- a tuple
    key, a dict containing itself, nesting past the limit -- is the tool's failure, not an
    exception out of the turn (issue 16, item 7)."""
    data = value if isinstance(value, Mapping) else {"result": value}
    try:
        return ToolExecution(successful=True, data=json_value(data, "data", strict=False))
    except UntrustedJSONError as exc:
        why = f"{slug}: the function returned a value that cannot be read: {exc}"
        return ToolExecution(successful=False, error=why)


def _failure(exc: Exception) -> ToolExecution:
    """The function raised: its exception as the failure the model reads (its text is
    untrusted like a return value, ``composio._untrusted.exception_text``)."""
    return ToolExecution(successful=False, error=exception_text(exc))


def _is_proxy(hint: object) -> bool:
    if hint is ToolProxy:
        return True
    args = typing.get_args(hint)
    return ToolProxy in args and all(a is ToolProxy or a is type(None) for a in args)


def _is_json(value: object) -> bool:
    from composio._ops._body import json_problem

    return json_problem(value) is None


def _docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """The description (the docstring without its ``Args:`` section) and per-argument texts.

    Google style: ``Args:`` then ``name: text`` or ``name (type): text`` lines, continuation
    lines indented further.
    """
    if not doc:
        return "", {}
    kept: list[str] = []
    args: dict[str, str] = {}
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        if not _ARGS_HEADER.match(lines[i]):
            kept.append(lines[i])
            i += 1
            continue
        i += 1
        current: str | None = None
        indent: int | None = None
        while i < len(lines) and (not lines[i].strip() or lines[i][:1].isspace()):
            line = lines[i]
            i += 1
            if not line.strip():
                continue
            depth = len(line) - len(line.lstrip())
            match = _ARG_LINE.match(line.strip())
            if match and (indent is None or depth <= indent):
                indent = depth
                current = match.group(1)
                args[current] = match.group(2).strip()
            elif current is not None:
                args[current] = f"{args[current]} {line.strip()}".strip()
    return "\n".join(kept).strip(), args
