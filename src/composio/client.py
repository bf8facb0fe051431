"""``Composio``: the client, its sessions and derived copies (SPEC §2, §4).

What does no I/O -- config, validation (one table of options, ``composio._options``),
derivation (``create_session``, ``with_options``), ``headers``, ``chain``, ``repr`` and the
preparation of each operation's request -- lives in :class:`BaseClient`, once. ``Composio``
(here) and ``AsyncComposio`` (``async_client``) add only a driver: which transport, how the
chain is composed (plain calls or awaits) and how an operation is run (SPEC §13: one core,
two drivers).

Three layers of sharing, from widest to narrowest:

* :class:`_Runtime` -- one per root client: the connection pool, the retry budget and the
  telemetry sink. Every session and ``with_options`` copy shares it; only its owner closes it.
* :class:`_Built` -- one per chain build (the root, and each ``with_options``): the resolved
  config, the sorted chain and its composed handler.
* the client itself -- a ``_Built``, a ``_Runtime`` and one folded session header layer.
  ``create_session`` makes a new client that points at the same ``_Built`` and ``_Runtime`` with
  one more layer folded in: no chain rebuild, no socket, no thread, no I/O.
"""

from __future__ import annotations

import logging
import os
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from composio._external import external_request, sender
from composio._fork import module_lock
from composio._local_call import LocalCall
from composio._logging import log_response
from composio._operation import API_PREFIX, Blocking, ExternalOperation, Sleep, flow_name
from composio._options import CONFIG_FIELDS, derive_options, resolve_options
from composio._raw_response import FlowScope, record, stamp
from composio._resource_properties import ResourceProperties
from composio._retry_budget import RetryBudget
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio._status_errors import status_error
from composio._tool_env import ToolEnv
from composio._toolkit_versions import ToolkitCache
from composio.config import DEFAULT_BASE_URL, ClientConfig, Timeout
from composio.errors import ClientClosedError, ComposioError
from composio.headers import FrozenHeaders, Layer, build_layer, fold_layers
from composio.pipeline import (
    CallContext,
    Middleware,
    Request,
    Response,
    Stage,
    acompose,
    compose,
)
from composio.transport import RequestsTransport

if TYPE_CHECKING:
    from composio._operation import Flow, Operation, PageData
    from composio._realtime import Filters
    from composio.custom_tools import CustomTool
    from composio.models import ToolExecution
    from composio.pagination import Page
    from composio.providers import Provider
    from composio.realtime import Subscription

__all__ = ["BaseClient", "Composio"]

logger = logging.getLogger("composio")
_EMPTY: Layer = {}
_logged_hosts: set[str] = set()
_logged_lock = module_lock("composio.client._logged_lock")
T = TypeVar("T")
_C = TypeVar("_C", bound="BaseClient")


class _Runtime:
    """What a root client owns and its sessions share."""

    __slots__ = ("__weakref__", "retry_budget", "telemetry", "toolkit_of", "transport")

    def __init__(self, transport: Any) -> None:
        from composio import _fork

        self.transport = transport
        #: tool slug -> its toolkit's slug, learnt from tool schemas (SPEC §14: version pins
        #: are matched by the tool's toolkit; one root client asks once per tool)
        self.toolkit_of = ToolkitCache()
        from composio.telemetry._hub import TelemetryHub

        self.retry_budget = RetryBudget()
        self.telemetry = TelemetryHub()
        _fork.track(self)
        # A root client dropped without close() (with its sessions) stops its telemetry
        # threads once collected, instead of each idling on (issue 16 item 21). Non-blocking:
        # it may run inside any thread's garbage collection. Not at interpreter exit, where
        # close_all() flushes every live queue within its budget.
        weakref.finalize(self, self.telemetry.close, timeout=0.0).atexit = False

    def after_fork_in_child(self) -> None:
        """Called in a forked child (``composio._fork``): fresh pool, fresh telemetry thread."""
        self.transport.after_fork_in_child()
        self.telemetry.after_fork_in_child()
        self.retry_budget.after_fork_in_child()

    def telemetry_sink(self, config: ClientConfig) -> Any:
        return self.telemetry.sink_for(config)

    def close(self, how: str = "close()") -> None:
        try:
            self.telemetry.close(timeout=1.0)
        finally:
            self.transport.close(how)

    async def aclose(self, how: str = "close()") -> None:
        """The async client's close: the telemetry flush (a bounded thread join) runs in a
        worker thread so the event loop is never blocked by it."""
        import asyncio

        try:
            await asyncio.to_thread(self.telemetry.close, timeout=1.0)
        finally:
            await self.transport.aclose(how)


class _Built:
    __slots__ = (
        "api_base",
        "base_url",
        "call_stage",
        "chain",
        "config",
        "handler",
        "hook",
        "operation",
        "page",
        "plugin_names",
        "tool_env",
    )

    def __init__(
        self, config: ClientConfig, runtime: _Runtime, transport: Any, asynchronous: bool = False
    ):
        # Deferred to the first build: pluggy, the plugin scan and the built-in middlewares
        # are not needed by ``import composio`` (SPEC §9).
        from composio.middlewares._builtin import BuiltinPlugin
        from composio.pagination import AsyncPage, Page
        from composio.plugins import build_chain
        from composio.telemetry._scope import operation

        build = build_chain(
            config,
            lambda metadata, hook: BuiltinPlugin(metadata, hook, runtime),
            config.plugins,
            config.middlewares,
            asynchronous=asynchronous,
        )
        self.config = config
        self.chain: tuple[Middleware, ...] = build.chain
        #: ``Request -> Response`` (sync) or ``Request -> Awaitable[Response]`` (async)
        self.handler: Any = (acompose if asynchronous else compose)(build.chain, transport)
        self.hook = build.hook
        self.plugin_names = build.plugin_names
        self.base_url = config.base_url
        #: where every wrapped operation's path is appended (``API_PREFIX``, in one place)
        self.api_base = config.base_url + API_PREFIX
        #: the public-operation telemetry scope (imported with the first build, not at import)
        self.operation = operation
        #: the driver's page class, imported here once rather than by every list call
        self.page: type[Any] = AsyncPage if asynchronous else Page
        #: the CALL-stage middlewares: what a custom tool's local execution runs through
        self.call_stage = tuple(m for m in build.chain if m.stage == Stage.CALL)
        from composio._ops.auto_files import FilePolicy
        from composio.modifiers import ToolHooks

        self.tool_env = ToolEnv(
            config.provider,
            ToolHooks(build.pm),
            config.custom_tools,
            runtime.toolkit_of,
            config.toolkit_versions,
            FilePolicy(
                config.auto_files,
                config.file_download_dir,
                config.file_upload_deny,
                config.file_download_max_bytes,
            ),
        )


def _config_of(options: Mapping[str, Any]) -> ClientConfig:
    return ClientConfig(**{name: options[name] for name in CONFIG_FIELDS})


def _log_base_url(base_url: str) -> None:
    if base_url == DEFAULT_BASE_URL:
        return
    host = urlsplit(base_url).hostname or "?"
    with _logged_lock:
        if host in _logged_hosts:
            return
        _logged_hosts.add(host)
    logger.info("composio: using a non-default API host %s", host)


class BaseClient:
    """What ``Composio`` and ``AsyncComposio`` share: everything but the I/O.

    Immutable: derive with ``create_session``/``with_options``. A subclass supplies the driver:
    ``_asynchronous`` (which chain to compose) and ``_new_transport`` (which pool).
    """

    __slots__ = ("__weakref__", "_built", "_owns_runtime", "_runtime", "_session_layer")

    #: True for a client whose chain is awaited (``acall``/policies) and transport is asyncio
    _asynchronous: ClassVar[bool] = False

    _built: _Built
    _runtime: _Runtime
    _session_layer: Layer
    _owns_runtime: bool

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        allow_tracking: bool = True,
        allow_tracing: bool = True,
        provider: Provider | None = None,
        telemetry_transport: Any = None,
        default_headers: Mapping[str, str] | None = None,
        timeout: float | Timeout = 60.0,
        max_retries: int = 2,
        verify: bool | str = True,
        tracer_provider: Any = None,
        middlewares: Sequence[Middleware] = (),
        plugins: Sequence[object] = (),
        *,
        blocked_plugins: Sequence[str] = (),
        pool_maxsize: int = 32,
        toolkit_versions: Mapping[str, str] | str | None = None,
        custom_tools: Sequence[CustomTool] | None = None,
        realtime_url: str | None = None,
        auto_files: bool = False,
        file_download_dir: str | os.PathLike[str] | None = None,
        file_upload_deny: Sequence[str | os.PathLike[str]] = (),
        file_download_max_bytes: int = 1 << 30,
        realtime_max_buffer_bytes: int = 64 << 20,
    ) -> None:
        # every keyword by name; each is checked by its row of the options table
        options = resolve_options(locals(), type(self))
        config = _config_of(options)
        transport = self._new_transport(config.base_url, config.verify, options["pool_maxsize"])
        runtime = _Runtime(transport)
        try:
            built = _Built(config, runtime, transport, self._asynchronous)
        except BaseException:
            runtime.close()  # nothing of a failed build outlives it: pool, telemetry, tracking
            raise
        _log_base_url(config.base_url)
        self._init(built, runtime, _EMPTY, owns=True)

    @classmethod
    def _new_transport(cls, base_url: str, verify: bool | str, pool_maxsize: int) -> Any:
        """The driver's connection pool for a root client (or a copy with its own TLS)."""
        raise NotImplementedError

    def _init(self, built: _Built, runtime: _Runtime, layer: Layer, owns: bool) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "_built", built)
        setattr_(self, "_runtime", runtime)
        setattr_(self, "_session_layer", layer)
        setattr_(self, "_owns_runtime", owns)

    # -- immutability --------------------------------------------------------------------
    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"Composio clients are immutable (tried to set {name!r}); derive a new one with "
            "with_options(...) or create_session(headers=...)."
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Composio clients are immutable.")

    # -- derivation ----------------------------------------------------------------------
    def create_session(self: _C, headers: Mapping[str, str | None] | None = None) -> _C:
        """A new client with every setting of this one plus one frozen header layer on top.

        ``None`` as a value removes that header for the session. The mapping is copied.
        """
        layer = build_layer(headers, "create_session(headers=...)")
        session = object.__new__(type(self))
        session._init(
            self._built, self._runtime, fold_layers(self._session_layer, layer), owns=False
        )
        return session

    def mcp_server(
        self,
        user_id: str,
        *,
        toolkits: str | Sequence[str] | None = None,
        tools: str | Sequence[str] | None = None,
    ) -> Any:
        """A local MCP server (``mcp.server.lowlevel.Server``, extra ``mcp``) offering
        ``user_id``'s tools -- those of ``toolkits`` and/or the ``tools`` named -- to any MCP
        client (SPEC §17). ``tools/call`` runs through this client (its session headers,
        plugins and modifiers); a failure is a result with ``isError: true``. No I/O until a
        client asks: serve it with the ``mcp`` package, or run ``composio mcp serve``."""
        from composio._mcp_server import build_server

        return build_server(self, user_id, toolkits, tools)

    def with_options(
        self: _C,
        api_key: Any = NOT_GIVEN,
        base_url: Any = NOT_GIVEN,
        allow_tracking: Any = NOT_GIVEN,
        allow_tracing: Any = NOT_GIVEN,
        provider: Any = NOT_GIVEN,
        telemetry_transport: Any = NOT_GIVEN,
        default_headers: Any = NOT_GIVEN,
        timeout: Any = NOT_GIVEN,
        max_retries: Any = NOT_GIVEN,
        verify: Any = NOT_GIVEN,
        tracer_provider: Any = NOT_GIVEN,
        middlewares: Any = NOT_GIVEN,
        plugins: Any = NOT_GIVEN,
        *,
        blocked_plugins: Any = NOT_GIVEN,
        pool_maxsize: Any = NOT_GIVEN,
        toolkit_versions: Any = NOT_GIVEN,
        custom_tools: Any = NOT_GIVEN,
        realtime_url: Any = NOT_GIVEN,
        auto_files: Any = NOT_GIVEN,
        file_download_dir: Any = NOT_GIVEN,
        file_upload_deny: Any = NOT_GIVEN,
        file_download_max_bytes: Any = NOT_GIVEN,
        realtime_max_buffer_bytes: Any = NOT_GIVEN,
    ) -> _C:
        """A derived client with some settings replaced; it shares the connection pool.

        Every setting not given is kept (SPEC §12.10). ``default_headers`` merges over this
        client's; session layers are kept. Another ``verify`` or ``pool_maxsize`` needs another
        pool: the copy gets its own, which only closing the copy closes. If anything raises,
        nothing the call made (pool, telemetry queue) outlives it.
        """
        # every keyword by name: a NOT_GIVEN one keeps this client's value (composio._options)
        options = derive_options(self._options(), locals(), type(self))
        config = _config_of(options)
        old = self._built.config
        runtime = self._runtime
        transport = runtime.transport
        old_maxsize = transport.pool_maxsize
        new_base, new_verify, new_maxsize = config.base_url, config.verify, options["pool_maxsize"]
        owns = False
        if new_verify != old.verify or new_maxsize != old_maxsize:
            if getattr(transport, "closed", False) is True:
                # A new pool for a closed client would reopen sockets behind its owner's back
                # (SPEC §12.9); copies sharing the closed pool are allowed and raise on use.
                raise ClientClosedError(
                    f"with_options: the client for {old.base_url} was closed; create a new "
                    "client instead of deriving one with its own pool from it.",
                    base_url=old.base_url,
                )
            # TLS settings and the size belong to a pool: the copy gets its own (owned) runtime.
            transport = self._new_transport(new_base, new_verify, new_maxsize)
            runtime = _Runtime(transport)
            owns = True
        elif new_base != old.base_url:
            transport = transport.for_base_url(new_base)
        try:
            built = _Built(config, runtime, transport, self._asynchronous)
        except BaseException:
            if owns:
                runtime.close()
            raise
        if new_base != old.base_url:
            _log_base_url(new_base)
        client = object.__new__(type(self))
        client._init(built, runtime, self._session_layer, owns=owns)
        return client

    def _options(self) -> dict[str, Any]:
        """Every option of this client, as ``with_options`` keeps it: the config's fields and
        the pool's settings."""
        config = self._built.config
        options = {name: getattr(config, name) for name in CONFIG_FIELDS}
        options["pool_maxsize"] = self._runtime.transport.pool_maxsize
        return options

    # -- readable settings ---------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._built.base_url

    @property
    def provider(self) -> Provider:
        return self._built.config.provider

    @property
    def allow_tracking(self) -> bool:
        return self._built.config.allow_tracking

    @property
    def allow_tracing(self) -> bool:
        return self._built.config.allow_tracing

    @property
    def timeout(self) -> Timeout:
        return self._built.config.timeout

    @property
    def max_retries(self) -> int:
        return self._built.config.max_retries

    @property
    def headers(self) -> FrozenHeaders:
        """The custom headers this client sends: default headers, then every session layer."""
        return FrozenHeaders(fold_layers(self._built.config.default_headers, self._session_layer))

    @property
    def chain(self) -> tuple[Middleware, ...]:
        """The composed middleware chain, outermost first."""
        return self._built.chain

    @property
    def plugin_names(self) -> tuple[str, ...]:
        return self._built.plugin_names

    @property
    def config(self) -> ClientConfig:
        return self._built.config

    @property
    def _tool_env(self) -> ToolEnv:
        """What the facades build tool operations from (pins, toolkit cache, hooks)."""
        return self._built.tool_env

    # -- running operations (shared, no I/O) ----------------------------------------------
    def _prepare(self, op: Operation[Any]) -> Request:
        """The request for one operation: the context its middlewares read, the full URL."""
        built = self._built
        config = built.config
        options = op.options
        t = options.timeout or config.timeout
        deadline = time.monotonic() + t.total
        if options.deadline is not None and options.deadline < deadline:
            deadline = options.deadline
        ctx = CallContext(
            op.name,
            t,
            deadline,
            config.max_retries,
            self._session_layer,
            options.layer,
            tool=op.tool,
        )
        if isinstance(op, ExternalOperation):  # another origin: its rules, composio._external
            return external_request(op, ctx, built.base_url)
        url = (built.base_url if op.raw else built.api_base) + op.path
        return Request(op.method, url, context=ctx, params=op.query, json=op.body)

    def _handler_for(self, op: Operation[Any]) -> Any:
        """The middleware chain; for an :class:`ExternalOperation`, the transport (the same
        pool) without any middleware, so none can add this client's credentials or headers,
        wrapped by :func:`composio._external.sender` (no HTTP instrumentation)."""
        if not isinstance(op, ExternalOperation):
            return self._built.handler
        transport = self._runtime.transport
        if getattr(transport, "closed", False) is True:
            raise ClientClosedError(
                f"{op.name}: the client for {self._built.base_url} was closed; its sessions "
                "and with_options copies share its pool. Create a new client to make calls.",
                base_url=self._built.base_url,
            )
        return sender(transport)

    @staticmethod
    def _finish(op: Operation[T], response: Response) -> T:
        """4xx/5xx become the §2 errors; anything else is read by the operation's parser.

        The one place a response becomes a value, on both clients: so it is also where an
        open ``with_raw_response`` capture sees the response, where the value gets the
        response's request id (``_request_id``), ``composio._raw_response``, and where the
        call's DEBUG line is logged (``composio._logging``)."""
        # A response from another origin (a presigned storage URL, composio._external) is
        # not the API's: no raw response, request id or log line is made of it.
        api = not isinstance(op, ExternalOperation)
        if api:
            record(response)
            log_response(response)
        if response.status_code >= 400:
            raise status_error(response)
        value = op.parse(response)
        if api:
            stamp(value, response)
        return value

    def _tool_proxy(self, account: str) -> Any:
        """A ``ToolProxy`` for a toolkit-bound custom tool: this client's ``tools.proxy`` (so
        its session headers apply) bound to ``account``; on ``AsyncComposio`` calling it
        returns the awaitable ``tools.proxy`` does."""
        tools = self.tools  # type: ignore[attr-defined]  # each driver's resource

        def proxy(
            endpoint: str,
            method: str,
            *,
            body: object = None,
            parameters: Sequence[Mapping[str, str]] | None = None,
        ) -> Any:
            return tools.proxy(
                endpoint, method, connected_account_id=account, body=body, parameters=parameters
            )

        return proxy

    def __repr__(self) -> str:
        names = sorted(self.headers)
        return (
            f"{type(self).__name__}(api_key='***', base_url={self.base_url!r}, "
            f"provider={self.provider.name!r}, headers={names!r})"
        )

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError(
            f"{type(self).__name__} clients hold a connection pool and cannot be pickled."
        )


class Composio(ResourceProperties, BaseClient):
    """A client of the Composio API (blocking I/O over a shared ``requests`` pool)."""

    __slots__ = ()

    @classmethod
    def _new_transport(cls, base_url: str, verify: bool | str, pool_maxsize: int) -> Any:
        return RequestsTransport(base_url, verify=verify, pool_maxsize=pool_maxsize)

    # -- the driver ----------------------------------------------------------------------
    def _run(self, op: Operation[T]) -> T:
        handler = self._handler_for(op)
        if op.raw:  # client.request: reported by the telemetry middleware itself
            return self._finish(op, handler(self._prepare(op)))
        # One telemetry event per public operation, with the error the caller gets (§12.11).
        with self._built.operation(op.name):
            return self._finish(op, handler(self._prepare(op)))

    def _run_page(self, op: Operation[PageData[T]]) -> Page[T]:
        data = self._run(op)
        next_page = op.next_page

        def fetch(cursor: str) -> Page[T]:
            assert next_page is not None
            return self._run_page(next_page(cursor))

        return data.page(self._built.page, fetch if next_page is not None else None)

    def _run_flow(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        # the flow's requests join one operation; its value gets its last request id
        with self._built.operation(flow_name(step)), FlowScope() as scope:
            try:
                while True:
                    if isinstance(step, Sleep):
                        time.sleep(step.seconds)
                        step = flow.send(None)
                        continue
                    try:
                        if isinstance(step, LocalCall):
                            result = self._run_local(step)
                        elif isinstance(step, Blocking):
                            result = self._run_blocking(step.fn, *step.args)
                        else:
                            result = self._run(step)
                    except ComposioError as exc:
                        step = flow.throw(exc)  # the flow may handle it (a poll to retry)
                        continue
                    step = flow.send(result)
            except StopIteration as done:
                return scope.finish(done.value)  # type: ignore[no-any-return]
            finally:
                flow.close()

    def _run_flows(self, flows: Sequence[Flow[T]], parallel: bool, name: str) -> list[T]:
        """Run several flows: in order, or (``parallel``) up to ``MAX_PARALLEL`` at once on
        worker threads, each flow an ordinary sequence of chain calls; results in the flows'
        order. Each worker runs in a copy of the caller's context (its current span stays
        the parent, its telemetry joins the operation ``name``). The first error in flow
        order is raised once every flow has ended."""
        with self._built.operation(name):  # one public operation, however many requests and threads
            if not parallel or len(flows) < 2:
                return [self._run_flow(flow) for flow in flows]
            return self._run_flows_in_threads(flows)

    def _run_flows_in_threads(self, flows: Sequence[Flow[T]]) -> list[T]:
        import contextvars
        from concurrent.futures import ThreadPoolExecutor

        from composio._tool_calls import MAX_PARALLEL

        workers = min(MAX_PARALLEL, len(flows))
        with ThreadPoolExecutor(workers, thread_name_prefix="composio-tool-call") as pool:
            futures = [
                pool.submit(contextvars.copy_context().run, self._run_flow, flow) for flow in flows
            ]
            return [future.result() for future in futures]

    @staticmethod
    def _run_blocking(fn: Callable[..., T], *args: Any) -> T:
        """A blocking step of a facade (reading a file): here, simply a call."""
        return fn(*args)

    def _run_subscribe(self, filters: Filters) -> Subscription:
        """``triggers.subscribe``: returns once subscribed (``composio.realtime``)."""
        from composio.realtime import Subscription

        return Subscription._open(self, filters)

    def _run_local(self, call: LocalCall) -> ToolExecution:
        """A custom tool's execution: its operation's request through the CALL-stage
        middlewares only, with the function where the transport would be (no HTTP)."""
        tool, arguments = call.tool, call.arguments
        proxy = self._tool_proxy(call.account) if call.account is not None else None

        def run_here(request: Request) -> Response:
            started = time.perf_counter()
            return call.respond(request, tool.execute(arguments, proxy=proxy), started)

        handler = compose(self._built.call_stage, run_here)
        return self._finish(call.op, handler(self._prepare(call.op)))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json: object = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Response:
        """Send any request through the full chain (operation ``"request"``).

        ``path`` is relative to ``base_url`` and must start with ``/``. 4xx/5xx raise.
        """
        from composio._ops.raw import request_operation

        return self._run(
            request_operation(
                method,
                path,
                params=params,
                json=json,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    # -- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        """Close the pool and flush telemetry -- only on the client that owns them.

        Afterwards every call on this client, its sessions and the ``with_options`` copies
        sharing its pool raises :class:`~composio.errors.ClientClosedError`. Idempotent.
        """
        if self._owns_runtime:
            self._runtime.close()

    def __enter__(self) -> Composio:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owns_runtime:
            self._runtime.close("the exit of its 'with' block")
