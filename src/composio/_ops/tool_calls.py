"""The tool layer's operations (SPEC §15): ``tools.execute`` with modifiers and custom tools,
and ``tools.handle_tool_calls``. Flows, written once, driven by either client.

``handle_tool_calls`` is a :class:`ToolCallBatch`: the parsed calls, one flow per call and
the provider that formats the results. The driver runs the flows -- in order, or up to
:data:`~composio._tool_calls.MAX_PARALLEL` at once (threads on ``Composio``, tasks on
``AsyncComposio``) -- and hands the results back in call order. Each flow is an ordinary
sequence of chain calls, so the session's headers, retries, spans and telemetry apply to
every request it makes.

Which failures are answers and which are raised: everything the model can act on is an
error result for that call -- an unknown tool (404 from the lookup or the execution), bad
arguments (never executed), ``successful: false``, a modifier or hook that raised, the API
refusing the call's content (400/422), a toolkit-bound custom tool without a usable
connected account. Everything the model cannot fix -- bad credentials, rate limits, the API
down, no connection -- is raised, as for any other call: retrying the turn is the
application's decision, not the model's.

The toolkit of a call (hooks receive it, modifiers filter on it) comes from, in order: the
custom tool's ``toolkit=``, the root client's cache (filled by every tool schema the client
reads), one ``GET /tools/{slug}`` (named after the operation that needed it). It is looked up
only when a plugin implements a tool hook or the call has modifiers of that kind; otherwise
an API tool costs exactly one request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from composio._local_call import LocalCall, LocalResponse
from composio._operation import Flow, Operation, PageData, call_options
from composio._ops._encode import page_operation, params, parse, q_list, q_str, slug_path
from composio._ops.tools import _arguments, execute_tool, get_tools, judge, retrieve_tool
from composio._tool_calls import error_result, finish, prepare, unknown_tool
from composio.errors import (
    BadRequestError,
    NotFoundError,
    ToolExecutionError,
    UnprocessableEntityError,
    ValidationError,
)
from composio.models import ConnectedAccount, Tool, ToolExecution
from composio.modifiers import (
    ExecuteRequest,
    Modifier,
    apply_after,
    apply_before,
    apply_schema,
    check_modifiers,
    toolkit_of,
)

if TYPE_CHECKING:
    from composio._sentinel import HeadersArg
    from composio._tool_env import ToolEnv
    from composio.custom_tools import CustomTool
    from composio.pipeline import Response
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
    """``tools.execute``: one POST for an API tool with nothing to apply (as before), else
    plugins' hooks and the call's modifiers around the execution, or the custom tool run
    locally. Arguments are all checked before the first request."""
    mods = check_modifiers(modifiers)
    custom = env.custom_tool(slug)
    if custom is None and not env.hooks and not mods:
        return (
            yield from execute_tool(
                slug,
                arguments,
                user_id=user_id,
                connected_account_id=connected_account_id,
                version=version,
                raise_on_error=raise_on_error,
                extra_headers=extra_headers,
                timeout=timeout,
                pins=env.pins,
                toolkit_of=env.toolkits,
            )
        )
    slug_path(slug, "tools.execute: slug")
    request = ExecuteRequest(_arguments(slug, arguments), user_id, connected_account_id, version)
    for name in ("user_id", "connected_account_id", "version"):
        q_str(getattr(request, name), f"tools.execute: {name}")
    if not isinstance(raise_on_error, bool):
        raise ValidationError("tools.execute: raise_on_error must be True or False.")
    call_options(extra_headers, timeout)  # a bad header fails before any request
    toolkit = yield from _toolkit(env, slug, custom, EXECUTE, extra_headers, timeout)
    request = apply_before(env.hooks, mods, slug, toolkit, request)

    def after(result: ToolExecution) -> ToolExecution:
        return apply_after(env.hooks, mods, slug, toolkit, result)

    # ``after`` runs where the answer is read, before raise_on_error judges it: a modifier may
    # turn a failure into a success, and the error raised is scrubbed like any other.
    return (
        yield from _run(
            env, slug, custom, request, EXECUTE, extra_headers, timeout, raise_on_error, after
        )
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
    need_toolkit = bool(env.hooks) or any(m.kind != "schema_modifier" for m in mods)
    flows = [
        _answer(env, call, user_id, mods, need_toolkit, extra_headers, timeout) for call in calls
    ]
    return ToolCallBatch(env, calls, flows, parallel)


def _answer(
    env: ToolEnv,
    call: ToolCall,
    user_id: str,
    mods: Sequence[Modifier[Any]],
    need_toolkit: bool,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[ToolExecution]:
    """The result that answers one call; only errors the model cannot act on escape."""
    if call.error is not None:
        return error_result(call.error)  # never executed; no hook or modifier sees it
    custom = env.custom_tool(call.slug)
    toolkit = ""
    if custom is not None or need_toolkit:
        try:
            toolkit = yield from _toolkit(env, call.slug, custom, HANDLE, extra_headers, timeout)
        except NotFoundError:
            return unknown_tool(call)
    step = prepare(call, toolkit, user_id=user_id, hooks=env.hooks, modifiers=mods)
    if isinstance(step, ToolExecution):
        return step
    try:
        result = yield from _run(
            env, call.slug, custom, step, HANDLE, extra_headers, timeout, False, None
        )
    except NotFoundError:
        return unknown_tool(call)
    except (BadRequestError, UnprocessableEntityError) as exc:
        result = error_result(f"the API refused the call to {call.slug!r}: {exc.message:.500}")
    except ValidationError as exc:  # e.g. a before-modifier made the arguments non-JSON
        result = error_result(exc.message)
    return finish(call, toolkit, result, hooks=env.hooks, modifiers=mods)


def _toolkit(
    env: ToolEnv,
    slug: str,
    custom: CustomTool | None,
    name: str,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[str]:
    """The toolkit slug of ``slug`` (``""`` if it has none); see the module docstring."""
    if custom is not None:
        return custom.toolkit or ""
    known = env.toolkits.get(slug)
    if known is not None:
        return known
    tool = yield retrieve_tool(slug, extra_headers=extra_headers, timeout=timeout, name=name)
    kit = toolkit_of(tool).lower()
    env.toolkits.learn(tool.slug, kit)
    return kit


def _run(
    env: ToolEnv,
    slug: str,
    custom: CustomTool | None,
    request: ExecuteRequest,
    name: str,
    extra_headers: HeadersArg,
    timeout: Any,
    raise_on_error: bool,
    after: Callable[[ToolExecution], ToolExecution] | None,
) -> Flow[ToolExecution]:
    """Execute ``request``: the API's POST, or the custom tool in this process; ``after``
    and ``raise_on_error`` apply where the answer is read (``judge``)."""
    if custom is None:
        return (
            yield from execute_tool(
                slug,
                request.arguments,
                user_id=request.user_id,
                connected_account_id=request.connected_account_id,
                version=request.version,
                raise_on_error=raise_on_error,
                extra_headers=extra_headers,
                timeout=timeout,
                pins=env.pins,
                toolkit_of=env.toolkits,
                name=name,
                after=after,
            )
        )
    account = request.connected_account_id
    if custom.needs_proxy and account is None:
        found = yield from _active_account(custom, request.user_id, name, extra_headers, timeout)
        if isinstance(found, ToolExecution):
            return _judged(found, custom.slug, raise_on_error, after)
        account = found
    path = f"/tools/execute/{slug_path(custom.slug, 'tools.execute: slug')}"

    def read(response: Response) -> ToolExecution:
        if isinstance(response, LocalResponse):
            result = response.execution
        else:  # a CALL-stage middleware answered instead of the function
            result = parse(response, ToolExecution.from_dict)
        return judge(response, result, custom.slug, raise_on_error, after)

    local = Operation(
        name,
        "POST",
        path,
        read,
        body={"arguments": dict(request.arguments)},
        options=call_options(extra_headers, timeout),
    )
    ran: ToolExecution = yield LocalCall(local, custom, request.arguments, account)
    return ran


def _judged(
    result: ToolExecution,
    slug: str,
    raise_on_error: bool,
    after: Callable[[ToolExecution], ToolExecution] | None,
) -> ToolExecution:
    """``judge`` for a result made here (no answer to read): nothing to scrub in it."""
    if after is not None:
        result = after(result)
    if raise_on_error and not result.successful:
        raise ToolExecutionError(
            f"tools.execute: tool {slug!r} reported failure: {result.error}",
            result=result,
            slug=slug,
        )
    return result


def _active_account(
    custom: CustomTool,
    user_id: str | None,
    name: str,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Flow[str | ToolExecution]:
    """The user's one ACTIVE connected account for the custom tool's toolkit (one list call),
    or the failed result saying why there is none to use."""
    kit = custom.toolkit or ""
    if user_id is None:
        return error_result(
            f"custom tool {custom.slug!r} calls the {kit!r} API with the user's connected "
            "account: pass user_id= (or connected_account_id=)."
        )
    query = params(("user_ids", [user_id]), ("toolkit_slugs", [kit]), ("statuses", ["ACTIVE"]))
    options = call_options(extra_headers, timeout)
    op = page_operation(name, "/connected_accounts", query, options, ConnectedAccount.from_dict)
    page: PageData[ConnectedAccount] = yield op
    ids = [a.id for a in page.items]
    if len(ids) == 1:
        return ids[0]
    if not ids:
        return error_result(
            f"custom tool {custom.slug!r} needs a connected {kit!r} account, and user "
            f"{user_id!r} has no ACTIVE one; connect one first (toolkits.authorize)."
        )
    return error_result(
        f"custom tool {custom.slug!r}: user {user_id!r} has {len(ids)} ACTIVE {kit!r} "
        f"accounts ({', '.join(ids[:5])}); choose one with connected_account_id= (a "
        "before_execute modifier can set it)."
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
