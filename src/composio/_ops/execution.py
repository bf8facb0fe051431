"""The one execution path (SPEC §15, §17; issue 16): :func:`run_tool`.

Every tool execution goes through :func:`run_tool`: ``tools.execute``, each call of
``tools.handle_tool_calls``, ``tool_router.execute`` and ``execute_meta``, custom tools run in
this process, and §17's framework providers and MCP server, which call it. So a rule about
tool executions -- a check, a hook, the order, the marker -- is written here once and cannot be
forgotten by a second path. One flow (both clients drive it), in this order:

1. **entry**: the slug and the arguments are untrusted (from an LLM, or passed on by the
   application): a non-blank slug, arguments a JSON object of plain JSON values, string keys,
   no cycle, at most :data:`~composio._untrusted.MAX_DEPTH` levels (``composio._untrusted``);
2. the tool's **toolkit**, only when a modifier or a plugin's tool hook needs it
   (``docs/design-decisions.md``, "the toolkit of a tool call");
3. **before**: the call's ``before_execute`` modifiers, then the plugins'
   ``composio_before_execute`` (SPEC §15 as amended in Part III: policy nearest the boundary,
   so a guardrail approves the arguments that are sent);
3b. with ``auto_files`` (SPEC §18), local paths in the tool's ``file_uploadable`` arguments
   uploaded and replaced by their file references (``composio._ops.auto_files``: the
   ``composio_before_file_upload`` hooks, then the sensitive-path rule, then
   ``files.upload``'s flow); the tool's schema, fetched first, also gives step 2 its toolkit;
4. the **execution** -- the API's ``POST /tools/execute/{slug}``, the custom tool (a
   ``LocalCall`` through the CALL stage), or the tool router's ``execute``/``execute_meta`` --
   whose request is marked: ``request.context.tool`` is the slug, so a plugin recognises a
   tool execution without knowing operation names;
5. **exit**: the result is untrusted too (a custom tool, a server): data that is not a JSON
   object of plain JSON values becomes the tool's failure (``composio._untrusted``);
5b. with ``auto_files``, the ``file_downloadable`` fields of a successful result downloaded
   into ``file_download_dir`` and replaced by the local paths, before the hooks see it;
6. **after**: the call's ``after_execute`` modifiers, then the plugins'
   ``composio_after_execute`` (a redaction plugin sees what the model will read); each one's
   output is checked like the tool's;
7. ``raise_on_error`` judges the result (``tools.execute``).

Two ways to fail (``answer``): ``tools.execute`` and ``tool_router.*`` raise (the caller
passed the arguments), while ``handle_tool_calls`` -- and every caller that answers a model
(§17) -- turns everything one call got wrong that the model can act on into that call's error
result: bad slug or arguments, an unknown tool, a modifier or hook that raised or returned a
bad value, a tool whose result cannot be read, the API refusing the call's content (400/422).
What the model cannot fix (credentials, rate limits, the API down, a closed client) is raised
either way. A file argument refused (a sensitive path, a plugin's ``False``, a file that cannot
be read) is the model's to fix; a download that fails (storage, the size cap) is not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from composio._local_call import LocalCall, LocalResponse
from composio._operation import CallOptions, Flow, Operation, PageData, call_options
from composio._ops._encode import page_operation, params, parse, q_str, slug_path
from composio._ops.auto_files import download_results, has_downloads, upload_arguments
from composio._ops.tools import After, execute_tool, judge, retrieve_tool
from composio._sentinel import NOT_GIVEN
from composio._untrusted import UntrustedJSONError, checked_result, json_value
from composio.errors import (
    APIError,
    BadRequestError,
    ClientClosedError,
    ComposioError,
    NotFoundError,
    PermissionDeniedError,
    ToolExecutionError,
    UnprocessableEntityError,
    ValidationError,
)
from composio.models import ConnectedAccount, Tool, ToolExecution, ToolRouterExecution
from composio.modifiers import ExecuteRequest, Modifier, apply_after, apply_before, toolkit_of

if TYPE_CHECKING:
    from composio._sentinel import HeadersArg
    from composio._tool_env import ToolEnv
    from composio.custom_tools import CustomTool
    from composio.pipeline import Response

__all__ = [
    "RouterTarget",
    "Split",
    "as_router_execution",
    "check_arguments",
    "error_result",
    "exit_check",
    "routed",
    "run_tool",
    "unknown_tool",
]

#: The toolkit hooks and modifiers see for the tool router's meta tools (``COMPOSIO_*``).
META_TOOLKIT = "composio"


def error_result(why: str) -> ToolExecution:
    """A failed result carrying ``why``; providers send it as ``{"successful": false, ...}``."""
    return ToolExecution(successful=False, error=why)


def unknown_tool(slug: str) -> ToolExecution:
    """The answer to a call naming a tool that does not exist (or was not offered)."""
    return error_result(
        f"unknown tool {slug!r}: no tool of that name is available; call one of the "
        "tools you were given"
    )


def check_arguments(arguments: object, where: str) -> dict[str, Any]:
    """Step 1: the arguments as plain JSON (``None`` is ``{}``), else a ``ValidationError``
    naming what is wrong and where."""
    if arguments is None:
        return {}
    if not isinstance(arguments, Mapping):
        raise ValidationError(
            f"{where}: arguments must be a mapping (dict) of argument name to value, "
            f"not {type(arguments).__name__}."
        )
    try:
        out: dict[str, Any] = json_value(arguments, "arguments", strict=True)
    except UntrustedJSONError as exc:
        raise ValidationError(f"{where}: {exc}.") from None
    return out


def exit_check(slug: str, result: ToolExecution) -> ToolExecution:
    """Step 5: ``result`` with plain-JSON data, or the tool's failure saying why it cannot
    be read (a tuple key, a cycle, data that is not an object...)."""
    try:
        return checked_result(result)
    except UntrustedJSONError as exc:
        return error_result(f"tool {slug!r} returned a result that cannot be read: {exc}")


#: Step 4 of a routed execution done another way (a live session's split batch): given the
#: target, the arguments after the before-hooks, the operation name and the call's options,
#: the flow computing the result -- or ``None`` for the router's own POST.
Split = Callable[
    ["RouterTarget", Mapping[str, Any], str, CallOptions], "Flow[ToolExecution] | None"
]


class RouterTarget:
    """Run the tool in a tool-router session: ``execute`` (``meta=False``, body field
    ``tool_slug``) or ``execute_meta`` (``slug``). The session decides the user and account.

    ``split`` (a live session's multi-execute batch naming the client's custom tools,
    ``composio._ops.router_session``) replaces the POST at step 4, after the hooks judged
    the whole batch and before they see its result: one execution with inner ones."""

    __slots__ = ("field", "meta", "session_path", "split", "tail")

    def __init__(self, session_path: str, meta: bool, split: Split | None = None) -> None:
        self.session_path = session_path
        self.meta = meta
        self.split = split
        #: the request body's field naming the tool, and the path after the session's
        self.field, self.tail = ("slug", "/execute_meta") if meta else ("tool_slug", "/execute")


def run_tool(
    env: ToolEnv,
    slug: object,
    arguments: object,
    *,
    name: str,
    user_id: str | None = None,
    connected_account_id: str | None = None,
    version: str | None = None,
    modifiers: Sequence[Modifier[Any]] = (),
    raise_on_error: bool = False,
    answer: bool = False,
    router: RouterTarget | None = None,
    extra_headers: HeadersArg = None,
    timeout: Any = NOT_GIVEN,
) -> Flow[ToolExecution]:
    """Execute one tool call through every step of the module docstring.

    ``name`` is the public operation its requests report as (telemetry, spans); ``modifiers``
    must have been checked (``check_modifiers``) and the per-call keywords validated by the
    caller. See the module docstring for ``answer``.
    """
    where = f"{name}({slug!r:.80})"
    try:
        slug_path(slug, f"{name}: {router.field if router is not None else 'slug'}")
        assert isinstance(slug, str)
        args = check_arguments(arguments, where)
    except ValidationError as exc:
        if not answer:
            raise
        if not isinstance(slug, str) or not slug.strip():
            return unknown_tool(str(slug))
        return error_result(exc.message)
    for field, value in (
        ("user_id", user_id),
        ("connected_account_id", connected_account_id),
        ("version", version),
    ):
        q_str(value, f"{name}: {field}")
    if not isinstance(raise_on_error, bool):
        raise ValidationError(f"{name}: raise_on_error must be True or False.")
    call_options(extra_headers, timeout)  # a bad header fails before any request

    custom = env.custom_tool(slug) if router is None else None
    hooks = env.hooks
    files = env.files
    # auto_files (SPEC §18): the tool's schema says which arguments and result fields are
    # files; it also gives the toolkit (learnt, so step 2 asks nothing more)
    schema: Tool | None = None
    if files is not None and files.enabled and custom is None and not (router and router.meta):
        try:
            schema = yield retrieve_tool(
                slug, extra_headers=extra_headers, timeout=timeout, name=name
            )
            env.toolkits.learn(schema.slug, toolkit_of(schema).lower())
        except NotFoundError:
            # no schema, no file fields: the execution itself says whether the tool exists
            # (a tool-router session may serve tools the catalog does not list)
            schema = None
    toolkit = ""
    if router is not None and router.meta:
        toolkit = META_TOOLKIT
    elif (
        custom is not None
        or hooks.before
        or hooks.after
        or any(m.kind != "schema_modifier" for m in modifiers)
    ):
        try:
            toolkit = yield from _toolkit(env, slug, custom, name, extra_headers, timeout)
        except NotFoundError:
            if answer:
                return unknown_tool(slug)
            raise

    request = ExecuteRequest(args, user_id, connected_account_id, version)
    try:
        request = apply_before(hooks, modifiers, slug, toolkit, request)
        if router is not None and (
            request.user_id or request.connected_account_id or request.version
        ):
            raise ComposioError(
                f"a before_execute modifier or plugin set user_id, connected_account_id or "
                f"version for {slug!r} in a tool-router session; the session decides them."
            )
    except ComposioError as exc:
        if answer:
            return error_result(exc.message)
        raise

    if schema is not None:  # step 3b: local paths in file arguments uploaded (auto_files)
        assert files is not None
        kit = toolkit or toolkit_of(schema).lower()
        options = call_options(extra_headers, timeout)
        try:
            uploaded = yield from upload_arguments(
                hooks, files, schema, kit, request.arguments, options, where
            )
        except (APIError, ClientClosedError):
            raise  # the API or storage failed: nothing the model can fix
        except ComposioError as exc:  # refused: a path, a plugin, an unreadable file
            if answer:
                return error_result(exc.message)
            raise
        request = replace(request, arguments=uploaded)
    downloads = schema is not None and has_downloads(schema)
    #: the answer whose result waits for its downloads (step 5b), judged once they are done
    held: Response | None = None

    def after_hooks(result: ToolExecution, response: Response | None = None) -> ToolExecution:
        try:
            return apply_after(hooks, modifiers, slug, toolkit, result)
        except ComposioError as exc:
            if answer:
                return error_result(exc.message)
            raise

    def after(result: ToolExecution, response: Response | None = None) -> ToolExecution:
        nonlocal held
        result = exit_check(slug, result)
        if downloads and result.successful and response is not None:
            held = response  # its files are downloaded first (step 5b), then the hooks run
            return result
        return after_hooks(result)

    try:
        result = yield from _run(
            env,
            slug,
            custom,
            router,
            request,
            name,
            extra_headers,
            timeout,
            raise_on_error,
            after,
        )
    except NotFoundError as exc:
        if not answer:
            raise
        if _not_connected(exc):  # the tool exists; the user has no account for it
            return after(error_result(f"{slug!r} could not run: {exc.message:.500}"))
        return unknown_tool(slug)
    except (BadRequestError, UnprocessableEntityError) as exc:
        if answer:
            return after(error_result(f"the API refused the call to {slug!r}: {exc.message:.500}"))
        raise
    except PermissionDeniedError as exc:
        # In a tool-router session a 403 is the session refusing a tool outside it (a toolkit
        # it does not enable): the model can pick another. Outside a session it is the key's
        # permissions, which no model can fix: raised.
        if answer and router is not None:
            return after(error_result(f"the session refused {slug!r}: {exc.message:.500}"))
        raise
    except ValidationError as exc:  # a rule of the request the checks above did not foresee
        if answer:
            return after(error_result(exc.message))
        raise
    if held is None:
        return result
    # step 5b: files in the result downloaded (auto_files); a failure is raised either way.
    # Then the answer is judged as it would have been (the same scrubbing of a failure).
    assert files is not None and schema is not None
    options = call_options(extra_headers, timeout)
    result = yield from download_results(files, schema, result, options, name)
    return judge(held, result, slug, raise_on_error and router is None, after_hooks)


#: The API's answer to an execution for a user with no connected account for the tool's
#: toolkit: a 404 like an unknown tool's, told apart by its code and slug.
NOT_CONNECTED = (1810, "ActionExecute_ConnectedAccountNotFound")


def _not_connected(exc: NotFoundError) -> bool:
    err = exc.body.get("error") if isinstance(exc.body, dict) else None
    slug = err.get("slug") if isinstance(err, dict) else None
    return exc.code in NOT_CONNECTED or slug in NOT_CONNECTED


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


def routed(
    router: RouterTarget,
    slug: str,
    arguments: Mapping[str, Any],
    name: str,
    options: CallOptions,
    after: After | None = None,
) -> Operation[ToolExecution]:
    """The router's POST (marked as the execution of ``slug``); its answer read as a
    ``ToolExecution`` (``successful`` is ``error is None``) so that the same hooks see it.
    ``tool_router`` turns it back. Only step 4 of :func:`run_tool` sends it (directly, or
    through a ``split``)."""

    def read(response: Response) -> ToolExecution:
        got = parse(response, ToolRouterExecution.from_dict)
        result = ToolExecution(
            successful=got.successful,
            data=got.data,
            error=got.error,
            log_id=got.log_id,
            extra=got.extra,
        )
        return judge(response, result, slug, False, after)

    return Operation(
        name,
        "POST",
        router.session_path + router.tail,
        read,
        body={router.field: slug, "arguments": dict(arguments)},
        options=options,
        tool=slug,
    )


def as_router_execution(result: ToolExecution) -> ToolRouterExecution:
    """A routed execution's result, after the hooks, as ``tool_router`` returns it: a failure
    always carries an ``error`` (that is how ``ToolRouterExecution`` says it failed)."""
    error = result.error
    if not result.successful and not error:
        error = "the tool reported failure without a message"
    return ToolRouterExecution(
        data=result.data,
        error=error if not result.successful else None,
        log_id=result.log_id,
        extra=result.extra,
    )


def _run(
    env: ToolEnv,
    slug: str,
    custom: CustomTool | None,
    router: RouterTarget | None,
    request: ExecuteRequest,
    name: str,
    extra_headers: HeadersArg,
    timeout: Any,
    raise_on_error: bool,
    after: After,
) -> Flow[ToolExecution]:
    """Step 4, execute ``request``: the router's POST, the API's POST, or the custom tool in
    this process; ``after`` and ``raise_on_error`` apply where the answer is read
    (``judge``)."""
    if router is not None:
        options = call_options(extra_headers, timeout)
        split = router.split(router, request.arguments, name, options) if router.split else None
        if split is not None:
            return after((yield from split), None)
        answered: ToolExecution = yield routed(
            router, slug, request.arguments, name, options, after
        )
        return answered
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
    path = f"/tools/execute/{slug_path(custom.slug, f'{name}: slug')}"

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
        tool=custom.slug,
    )
    ran: ToolExecution = yield LocalCall(local, custom, request.arguments, account)
    return ran


def _judged(
    result: ToolExecution,
    slug: str,
    raise_on_error: bool,
    after: After,
) -> ToolExecution:
    """``judge`` for a result made here (no answer to read): nothing to scrub in it."""
    result = after(result, None)
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
    op = page_operation(name, "/connected_accounts", query, options, ConnectedAccount._from_items)
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
