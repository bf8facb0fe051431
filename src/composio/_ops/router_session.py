"""A live tool-router session (SPEC §18): its tools, its executions, answering a model.

A session's model sees the router's meta tools (``COMPOSIO_SEARCH_TOOLS``,
``COMPOSIO_MULTI_EXECUTE_TOOL``...) and the client's custom tools. Where each call runs:

* a custom tool of the client: here, as ``tools.execute`` runs it (as the session's user);
* a meta tool (``COMPOSIO_*``) or a catalog tool: on the server, in the session;
* a multi-execute batch naming custom tools: **split** -- the server runs the others in one
  batch first, then each custom tool runs here; the answers are merged in the batch's order.

Every one of those is an execution of the one path, ``composio._ops.execution.run_tool``
(modifiers, plugin hooks, guardrails, the ``request.context.tool`` marker). A split batch is
one execution of the meta tool with inner ones: its before-hooks judge the whole batch (a
guardrail that reads the tools inside refuses it before anything runs, as when it is not
split), the split replaces step 4 (``RouterTarget.split``), each local tool is an execution
of its own (its hooks see it; it always answers -- its failure is its item's result -- since
the server's part has already run), and the after-hooks see the merged result the model
reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from composio._operation import CallOptions, Flow
from composio._ops import tool_calls
from composio._ops.execution import RouterTarget, routed, run_tool
from composio._ops.tool_router import session_path, session_tools
from composio._sentinel import NOT_GIVEN
from composio.errors import ValidationError
from composio.models import ToolExecution
from composio.modifiers import Modifier, check_modifiers

if TYPE_CHECKING:
    from composio._tool_env import ToolEnv
    from composio.models import Tool, ToolRouterSession
    from composio.providers import ToolCall

__all__ = ["MULTI_EXECUTE", "execute", "handle", "tools"]

EXECUTE = "tool_router.execute"
EXECUTE_META = "tool_router.execute_meta"
#: The meta tool that runs a batch ``{"tools": [{"tool_slug", "arguments"}, ...]}``.
MULTI_EXECUTE = "COMPOSIO_MULTI_EXECUTE_TOOL"
#: Every meta tool's slug starts so (the router's naming).
META_PREFIX = "COMPOSIO_"


def tools(
    env: ToolEnv, session: ToolRouterSession, modifiers: Sequence[Modifier[Any]] | None
) -> Flow[list[Tool]]:
    """The session's tools (``GET …/tools``) and the client's custom tools (a custom tool
    shadows a server tool of the same slug), through the schema hooks as ``tools.get``'s
    (``tool_calls.wrap`` hands them to the provider)."""
    mods = check_modifiers(modifiers)
    served: list[Tool] = yield from session_tools(
        session.session_id, extra_headers=None, timeout=NOT_GIVEN
    )
    found = [t for t in served if env.custom_tool(t.slug) is None]
    found.extend(c.tool for c in env.custom.values())
    return tool_calls.offer(env, mods, found)


def execute(
    env: ToolEnv,
    session: ToolRouterSession,
    slug: object,
    arguments: object,
    *,
    answer: bool,
    modifiers: Sequence[Modifier[Any]] = (),
) -> Flow[ToolExecution]:
    """One call in the session, routed as the module docstring says; ``answer`` as in
    ``run_tool`` (``session.execute`` raises what the caller got wrong, a model's calls are
    answered)."""
    if env.custom_tool(slug) is not None:
        return (yield from _local(env, session, slug, arguments, answer, modifiers))
    meta = isinstance(slug, str) and slug.upper().startswith(META_PREFIX)
    name = EXECUTE_META if meta else EXECUTE
    split = None
    if meta and str(slug).upper() == MULTI_EXECUTE and env.custom:

        def split(
            target: RouterTarget, sent: Mapping[str, Any], name: str, options: CallOptions
        ) -> Flow[ToolExecution] | None:
            batch = _batch(env, sent)
            if batch is None:
                return None
            return _split(env, session, target, sent, batch, name, options, modifiers)

    return (
        yield from run_tool(
            env,
            slug,
            arguments,
            name=name,
            router=RouterTarget(session_path(session.session_id, name), meta, split),
            modifiers=modifiers,
            answer=answer,
        )
    )


def _local(
    env: ToolEnv,
    session: ToolRouterSession,
    slug: object,
    arguments: object,
    answer: bool,
    modifiers: Sequence[Modifier[Any]],
) -> Flow[ToolExecution]:
    """A custom tool, here, as the session's user (its toolkit helper uses their account)."""
    return (
        yield from run_tool(
            env,
            slug,
            arguments,
            name=EXECUTE,
            user_id=session.user_id,
            modifiers=modifiers,
            answer=answer,
        )
    )


def _batch(env: ToolEnv, arguments: Mapping[str, Any]) -> list[tuple[str, object]] | None:
    """The batch's ``(tool_slug, arguments)`` items when it names a custom tool; ``None``
    (sent as is: the server judges it) otherwise or when it cannot be read."""
    items = arguments.get("tools")
    if not isinstance(items, list):
        return None
    out: list[tuple[str, object]] = []
    for item in items:
        slug = item.get("tool_slug") if isinstance(item, Mapping) else None
        if not isinstance(slug, str):
            return None
        out.append((slug, item.get("arguments", {})))
    return out if any(env.custom_tool(slug) is not None for slug, _ in out) else None


def _split(
    env: ToolEnv,
    session: ToolRouterSession,
    target: RouterTarget,
    arguments: Mapping[str, Any],
    batch: list[tuple[str, object]],
    name: str,
    options: CallOptions,
    modifiers: Sequence[Modifier[Any]],
) -> Flow[ToolExecution]:
    """The server's part of the batch in one request, then each local tool; the answers in
    the batch's order, each ``{"index", "tool_slug", "response": {"successful", "data",
    "error"}}`` (the server's shape). A server refusal (an API error) raises here, before
    anything local ran."""
    responses: dict[int, dict[str, Any]] = {}
    remote = [i for i, (slug, _) in enumerate(batch) if env.custom_tool(slug) is None]
    log_id = None
    if remote:
        sent = {**arguments, "tools": [arguments["tools"][i] for i in remote]}
        ran: ToolExecution = yield routed(target, MULTI_EXECUTE, sent, name, options)
        log_id = ran.log_id
        for i, response in zip(remote, _server_responses(ran, len(remote)), strict=True):
            responses[i] = response
    for i, (slug, inner) in enumerate(batch):
        if i not in responses:
            done = yield from _local(env, session, slug, inner, True, modifiers)
            responses[i] = _response(done)
    results = [
        {"index": i, "tool_slug": slug, "response": responses[i]}
        for i, (slug, _) in enumerate(batch)
    ]
    return ToolExecution(successful=True, data={"results": results}, log_id=log_id)


def _response(result: ToolExecution) -> dict[str, Any]:
    data = dict(result.data) if result.data is not None else {}
    return {"successful": bool(result.successful), "data": data, "error": result.error}


def _server_responses(ran: ToolExecution, count: int) -> list[dict[str, Any]]:
    """The server's per-tool responses, by their ``index``; a batch that failed as a whole,
    or an answer that cannot be read, fails each of its tools with the reason."""
    why = ran.error if not ran.successful else None
    got: dict[int, dict[str, Any]] = {}
    items = (ran.data or {}).get("results")
    for item in items if why is None and isinstance(items, list) else ():
        index, response = (
            (item.get("index"), item.get("response")) if isinstance(item, Mapping) else (None, None)
        )
        if isinstance(index, int) and 0 <= index < count and isinstance(response, Mapping):
            data, error = response.get("data"), response.get("error")
            got[index] = {
                "successful": response.get("successful") is True,
                "data": dict(data) if isinstance(data, Mapping) else {},
                "error": error if isinstance(error, str) else None,
            }
    missing = why or "the server's answer for this tool of the batch could not be read"
    return [got.get(i, {"successful": False, "data": {}, "error": missing}) for i in range(count)]


def handle(
    env: ToolEnv,
    session: ToolRouterSession,
    response: object,
    modifiers: Sequence[Modifier[Any]] | None,
    parallel: bool,
) -> tool_calls.ToolCallBatch:
    """``session.handle_tool_calls``: each call answered in the session (SPEC §15's rules)."""
    if not isinstance(session.user_id, str) or not session.user_id:
        raise ValidationError(
            f"tool router session {session.session_id}: its config names no user_id."
        )

    def run(call: ToolCall, mods: Sequence[Modifier[Any]]) -> Flow[ToolExecution]:
        return execute(env, session, call.slug, call.arguments, answer=True, modifiers=mods)

    return tool_calls.answer_calls(env, response, run, modifiers, parallel, None, NOT_GIVEN)
