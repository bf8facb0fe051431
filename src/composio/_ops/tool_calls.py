"""The tool layer's operations (SPEC §15): ``tools.execute`` with modifiers and custom tools,
and ``tools.handle_tool_calls``. Flows, written once, driven by either client.

``handle_tool_calls`` is a :class:`ToolCallBatch`: the parsed calls, one flow per call and
the provider that formats the results. The driver runs the flows -- in order, or up to
:data:`~composio._tool_calls.MAX_PARALLEL` at once (threads on ``Composio``, tasks on
``AsyncComposio``) -- and hands the results back in call order. Each flow is an ordinary
sequence of chain calls, so the session's headers, retries, spans and telemetry apply to
every request it makes.

Every execution -- ``tools.execute`` and each call of ``handle_tool_calls`` -- is the one
execution path, ``composio._ops.execution.run_tool`` (entry and exit checks, modifiers and
plugin hooks in SPEC §15's order, the tool-execution marker, which failures are answers and
which are raised, the toolkit lookup): nothing here executes a tool another way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from composio._operation import Flow, call_options
from composio._ops._encode import q_list
from composio._ops.execution import error_result, run_tool
from composio._ops.tools import get_tools
from composio.errors import ValidationError
from composio.models import Tool, ToolExecution
from composio.modifiers import Modifier, apply_schema, check_modifiers

if TYPE_CHECKING:
    from composio._sentinel import HeadersArg
    from composio._tool_env import ToolEnv
    from composio.custom_tools import CustomTool
    from composio.providers import ToolCall
from composio.providers.base import AgenticProvider, Provider, ToolExecutor

__all__ = ["ToolCallBatch", "execute", "get", "handle_tool_calls", "wrap"]

HANDLE = "tools.handle_tool_calls"
EXECUTE = "tools.execute"


def execute(
    env: ToolEnv,
    slug: str,
    arguments: Mapping[str, Any] | None,
    *,
    user_id: str | None,
    connected_account_id: str | None,
    version: str | None,
    raise_on_error: bool,
    modifiers: Sequence[Modifier[Any]] | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[ToolExecution]:
    """``tools.execute``: the one execution path, raising what goes wrong (the caller passed
    the arguments). An API tool with no modifier and no plugin hook is one POST, as before."""
    return run_tool(
        env,
        slug,
        arguments,
        name=EXECUTE,
        user_id=user_id,
        connected_account_id=connected_account_id,
        version=version,
        modifiers=check_modifiers(modifiers),
        raise_on_error=raise_on_error,
        extra_headers=extra_headers,
        timeout=timeout,
    )


class ToolCallBatch:
    """``handle_tool_calls`` described: the calls, one flow per call, how to format."""

    __slots__ = ("calls", "env", "flows", "parallel")

    def __init__(
        self,
        env: ToolEnv,
        calls: list[ToolCall],
        flows: list[Flow[ToolExecution]],
        parallel: bool,
    ) -> None:
        self.env = env
        self.calls = calls
        self.flows = flows
        self.parallel = parallel

    #: the public operation its requests report as (telemetry, spans)
    name = HANDLE

    def format(self, results: Sequence[ToolExecution]) -> list[object]:
        return self.env.provider.format_results(self.calls, results)


def handle_tool_calls(
    env: ToolEnv,
    user_id: str,
    response: object,
    *,
    modifiers: Sequence[Modifier[Any]] | None,
    parallel: bool,
    extra_headers: HeadersArg,
    timeout: Any,
) -> ToolCallBatch:
    """Parse ``response`` with the client's provider and describe one flow per tool call.

    The caller's own mistakes (no user, a bad ``modifiers=`` list, a bad header, a response
    that is not the provider's shape) raise here, before anything runs.
    """
    if not isinstance(user_id, str) or not user_id:
        raise ValidationError(f"{HANDLE}(user_id): user_id must be a non-empty string.")
    if not isinstance(parallel, bool):
        raise ValidationError(f"{HANDLE}: parallel must be True or False.")
    mods = check_modifiers(modifiers)
    call_options(extra_headers, timeout)
    calls = env.provider.parse_tool_calls(response)
    flows = [_answer(env, call, user_id, mods, extra_headers, timeout) for call in calls]
    return ToolCallBatch(env, calls, flows, parallel)


def _answer(
    env: ToolEnv,
    call: ToolCall,
    user_id: str,
    mods: Sequence[Modifier[Any]],
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[ToolExecution]:
    """The result that answers one call: the one execution path in ``answer`` mode, so only
    errors the model cannot act on escape."""
    if call.error is not None:
        return error_result(call.error)  # never executed; no hook or modifier sees it
    return (
        yield from run_tool(
            env,
            call.slug,
            call.arguments,
            name=HANDLE,
            user_id=user_id,
            modifiers=mods,
            answer=True,
            extra_headers=extra_headers,
            timeout=timeout,
        )
    )


class _AsIs(Provider):
    """Lets the API part of ``tools.get`` return the ``Tool`` objects unwrapped, so that the
    schema hooks and modifiers run on them (and custom tools join) before the real provider
    wraps the lot."""

    name = "as-is"

    def wrap_tools(self, tools: Iterable[Tool]) -> list[object]:
        return list(tools)


_AS_IS = _AsIs()


def get(
    env: ToolEnv,
    user_id: str,
    *,
    slug: str | None,
    tools: str | Sequence[str] | None,
    toolkits: str | Sequence[str] | None,
    search: str | None,
    limit: int | None,
    modifiers: Sequence[Modifier[Any]] | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[list[Tool]]:
    """``tools.get``: the API's tools (``get_tools``) plus the matching custom tools, each
    through the schema hooks and modifiers; :func:`wrap` hands them to the provider.

    Custom tools match by slug (``slug=``/``tools=``), by ``toolkits=`` and by ``search``
    (in slug or description); with no filter every custom tool is included. A custom tool
    shadows an API tool of the same slug (``tools.execute`` runs the custom one too). Only
    API tools count towards ``limit``. Nothing is requested when every tool asked for is a
    custom one.
    """
    mods = check_modifiers(modifiers)
    custom: list[CustomTool] = []
    api_slug, api_tools = slug, tools
    one = env.custom_tool(slug)
    if one is not None:
        if tools is not None or toolkits is not None or search is not None or limit:
            raise ValidationError(
                "tools.get(slug=...) fetches one tool; it cannot be combined with "
                "tools=, toolkits=, search= or limit=."
            )
        custom = [one]
        api_slug, api_tools = None, ()
    elif slug is None and env.custom:
        named = q_list(tools, "tools") or []
        kits = {k.lower() for k in q_list(toolkits, "toolkits") or []}
        needle = search.lower() if isinstance(search, str) else None
        wanted = {s.upper() for s in named}
        for candidate in env.custom.values():
            text = f"{candidate.slug} {candidate.tool.description}".lower()
            if (
                candidate.slug.upper() in wanted
                or (candidate.toolkit or "").lower() in kits
                or (needle is not None and needle in text)
                or (not named and not kits and needle is None)
            ):
                custom.append(candidate)
        api_named = [s for s in named if env.custom_tool(s) is None]
        api_tools = api_named if api_named else None
        if named and not api_named and not kits and needle is None:
            api_tools = ()  # only custom tools were asked for
    found: list[Tool] = []
    if api_tools != ():
        api = get_tools(
            _AS_IS,
            user_id,
            slug=api_slug,
            tools=api_tools,
            toolkits=toolkits,
            search=search,
            limit=limit,
            extra_headers=extra_headers,
            timeout=timeout,
            pins=env.pins,
            learn=env.toolkits,  # every schema read teaches the root client its toolkit
        )
        listed = yield from api
        found = [t for t in listed if isinstance(t, Tool) and env.custom_tool(t.slug) is None]
    elif not isinstance(user_id, str) or not user_id:
        raise ValidationError("tools.get(user_id): user_id must be a non-empty string.")
    found.extend(t.tool for t in custom)
    if env.hooks.schema or mods:
        found = [apply_schema(env.hooks, mods, t) for t in found]
    return found


def wrap(env: ToolEnv, tools: list[Tool], execute: Callable[[], ToolExecutor]) -> list[object]:
    """``tools.get``'s answer: the client's provider wraps ``tools``; an agentic one (SPEC
    §17) also gets ``execute()``, the client's execution bound to the user and modifiers."""
    provider = env.provider
    if isinstance(provider, AgenticProvider):
        return provider.wrap_tools(tools, execute())
    return provider.wrap_tools(tools)
