"""The description of one API operation, shared by the sync and the async client (SPEC §13).

An :class:`Operation` says everything about a call that involves no I/O: its name (the
telemetry ``functionName`` and span attribute), method, path, query pairs, JSON body, the
per-call options, how to turn the answer into a value, and for a page how to describe the
next page's call. Builders in ``composio._ops`` validate the caller's arguments and return
one; the clients only *run* it (``Composio._run`` / ``AsyncComposio._arun``), so a rule about
encoding, validation or parsing is written once and holds for both.

Operations that need several requests (``tools.get``, ``connected_accounts.initiate``) are
*flows*: generators that yield operations and receive their results. The sync client drives a
flow with plain calls, the async one with awaits; the flow's own logic is the same code. A
flow may also yield :class:`Sleep` (waiting for a connection polls with backoff): the sync
driver runs ``time.sleep``, the async one ``asyncio.sleep``, so the waiting logic is shared
too. An error of a yielded operation is thrown into the flow (``generator.throw``), so a flow
can decide that a failed poll is worth another try, or turn an API answer into a better error.

The API prefix is here, in :data:`API_PREFIX`, and nowhere else: every operation's ``path``
is relative to it, so moving the SDK to another API version is a one-line change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeAlias, TypeVar

from composio._deferred_items import DeferredItems, install
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.config import Timeout
from composio.headers import Layer, build_layer
from composio.pipeline import Response

if TYPE_CHECKING:
    from composio._external import FileBody, FileSink
    from composio._local_call import LocalCall

__all__ = [
    "API_PREFIX",
    "Blocking",
    "CallOptions",
    "Flow",
    "Operation",
    "PageData",
    "ParseItems",
    "Sleep",
    "call_options",
    "flow_name",
]

#: Where every wrapped operation lives: the API's canonical prefix since 2026-04 (SPEC §14).
API_PREFIX = "/api/v3.1"

T = TypeVar("T")
P = TypeVar("P")
_EMPTY: Layer = {}


class CallOptions:
    """A call's validated ``extra_headers`` (as a layer) and ``timeout`` (None: the client's).

    ``deadline`` (a ``time.monotonic()`` value) caps the call's total deadline: a flow with a
    deadline of its own (``wait_for_connection``) bounds each request by what is left of it.
    """

    __slots__ = ("deadline", "layer", "timeout")

    def __init__(
        self, layer: Layer, timeout: Timeout | None, deadline: float | None = None
    ) -> None:
        self.layer = layer
        self.timeout = timeout
        self.deadline = deadline

    def until(self, deadline: float) -> CallOptions:
        """The same options, with the call's deadline capped at ``deadline``."""
        return CallOptions(self.layer, self.timeout, deadline)


#: a call's options when it was given no ``extra_headers`` and no ``timeout`` (one object)
NO_OPTIONS = CallOptions(_EMPTY, None)


def call_options(extra_headers: HeadersArg, timeout: Any) -> CallOptions:
    """Validate the per-call keywords every method takes (SPEC §2), before anything is sent."""
    if not extra_headers and timeout is NOT_GIVEN:
        return NO_OPTIONS
    layer = build_layer(extra_headers, "extra_headers") if extra_headers else _EMPTY
    return CallOptions(layer, None if timeout is NOT_GIVEN else Timeout.coerce(timeout))


class Operation(Generic[T]):
    """One request to send and how to read its answer. Immutable once built.

    ``path`` is relative to :data:`API_PREFIX` unless ``raw`` (``client.request``, whose path
    the caller gives relative to ``base_url``). ``next_page(cursor)``, set on list operations,
    describes the call for the following page. ``tool``: the slug of the tool this request
    executes, set only by the one execution path (``composio._ops.execution``); the request's
    ``context.tool`` carries it to the middlewares.
    """

    __slots__ = (
        "body",
        "method",
        "name",
        "next_page",
        "options",
        "parse",
        "path",
        "query",
        "raw",
        "tool",
    )

    def __init__(
        self,
        name: str,
        method: str,
        path: str,
        parse: Callable[[Response], T],
        *,
        query: Sequence[tuple[str, str]] | None = None,
        body: object = None,
        options: CallOptions = NO_OPTIONS,
        next_page: Callable[[str], Operation[T]] | None = None,
        raw: bool = False,
        tool: str | None = None,
    ) -> None:
        self.name = name
        self.method = method
        self.path = path
        self.parse = parse
        self.query = query
        self.body = body
        self.options = options
        self.next_page = next_page
        self.raw = raw
        self.tool = tool

    def __repr__(self) -> str:
        return f"<Operation {self.name} {self.method} {self.path}>"


class Sleep:
    """A flow's instruction to its driver: wait ``seconds`` (``time.sleep``/``asyncio.sleep``)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.0, seconds)

    def __repr__(self) -> str:
        return f"Sleep({self.seconds:.3f})"


class Blocking:
    """A flow's instruction to its driver: run ``fn(*args)``, a step that touches the disk
    (opening a file to upload, creating a download's file). The sync driver calls it; the
    async one runs it in a worker thread (SPEC §13: no file I/O on the event loop), so the
    flow that needs it is still written once. Its value is sent back into the flow; a
    :class:`~composio.errors.ComposioError` it raises is thrown into the flow. ``undo``
    releases a value the flow never received (an async call cancelled while the thread ran:
    the thread finishes, then ``undo`` closes or removes what it made)."""

    __slots__ = ("args", "fn", "undo")

    def __init__(
        self, fn: Callable[..., Any], *args: Any, undo: Callable[[Any], object] | None = None
    ) -> None:
        self.fn = fn
        self.args = args
        self.undo = undo

    def __repr__(self) -> str:
        return f"Blocking({getattr(self.fn, '__name__', self.fn)!r})"


#: A multi-request operation: yields operations (or sleeps), is sent each operation's result
#: (``None`` after a sleep), returns the value.
#: A flow may also yield a ``LocalCall`` (a custom tool run in-process, SPEC §15), or a
#: :class:`Blocking` step (disk I/O).
Flow: TypeAlias = Generator["Operation[Any] | Sleep | LocalCall | Blocking", Any, T]


def flow_name(first: Operation[Any] | Sleep | LocalCall | Blocking) -> str:
    """The public operation a flow reports as (telemetry, spans): its first request's name.
    A flow starts with a request (or a custom tool's local run), never a sleep (there is
    nothing to wait for yet)."""
    from composio._local_call import LocalCall

    if isinstance(first, LocalCall):
        return first.op.name
    if not isinstance(first, Operation):
        raise TypeError("a flow must start with an Operation, not a Sleep")
    return first.name


#: How a page's items become values: the page's JSON list (its own objects, see
#: ``composio._ops._encode.parse_page``) and the response's request id in, a tuple of
#: models stamped with that id out, or those objects checked and kept to be built on first
#: read (``composio._deferred_items``) -- ``Model._from_items``
#: (``composio.models.defer_items``): one call and one loop per page, not one per item.
ParseItems: TypeAlias = Callable[[list[Any], "str | None"], "tuple[T, ...] | DeferredItems[T]"]


class PageData(Generic[T]):
    """One page as parsed from the wire, before a client turns it into ``Page``/``AsyncPage``."""

    __slots__ = ("current_page", "items", "next_cursor", "request_id", "total_items", "total_pages")

    #: the items, built on their first read (``composio._deferred_items``): a flow that
    #: reads them gets the tuple; ``page`` hands them on unbuilt
    items: tuple[T, ...]

    def __init__(
        self,
        items: tuple[T, ...] | DeferredItems[T],
        next_cursor: str | None,
        total_items: int | None,
        total_pages: int | None,
        current_page: int | None,
        request_id: str | None = None,
    ) -> None:
        _put_items(self, items)
        self.next_cursor = next_cursor
        self.total_items = total_items
        self.total_pages = total_pages
        self.current_page = current_page
        #: the response's ``x-request-id``: given when the items were parsed (and stamped
        #: with it, ``ParseItems``), so the client's stamp has nothing left to do
        #: (``composio._raw_response.stamp``)
        self.request_id = request_id

    def page(self, cls: Callable[..., P], fetch: Callable[[str], Any] | None) -> P:
        """This data as the driver's page type (``Page`` or ``AsyncPage``) with its fetcher."""
        return cls(
            _held_items(self),
            self.next_cursor,
            self.total_items,
            self.total_pages,
            self.current_page,
            fetch,
            _request_id=self.request_id,
        )

    @classmethod
    def from_json(
        cls, data: Any, items: ParseItems[T], request_id: str | None = None
    ) -> PageData[T]:
        """The API's cursor page: ``items``, ``next_cursor`` and optional totals; the items
        stamped with ``request_id`` as they are parsed."""
        if type(data) is not dict and not isinstance(data, Mapping):  # dict: no ABC check
            _no_list("items")
        get = data.get
        found = get("items")
        if not isinstance(found, list):
            _no_list("items")
        cursor = get("next_cursor")
        return cls(
            items(found, request_id),
            cursor if isinstance(cursor, str) and cursor else None,
            _count(get("total_items")),
            _count(get("total_pages")),
            _count(get("current_page")),
            request_id,
        )

    @classmethod
    def from_numbered(
        cls,
        data: Any,
        items: ParseItems[T],
        key: str = "items",
        request_id: str | None = None,
    ) -> PageData[T]:
        """A page of an endpoint numbered by ``page_no`` (MCP) rather than by cursors.

        The following page's number becomes the page's cursor (``"2"``), so ``Page`` and
        the drivers walk both kinds the same way; ``next_page(cursor)`` of such an operation
        turns it back into ``page_no``. There is a next page while ``current_page`` is below
        ``total_pages``.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get(key), list):
            _no_list(key)

        current, total = _count(data.get("current_page")), _count(data.get("total_pages"))
        following = None
        if current is not None and total is not None and current < total:
            following = str(current + 1)
        return cls(
            items(data[key], request_id),
            following,
            _count(data.get("total_items")),
            total,
            current,
            request_id,
        )


_PAGE_DATA_ITEMS = install(PageData)
#: the slot's own setter and getter, under the ``items`` descriptor: what was given, as is
_put_items, _held_items = _PAGE_DATA_ITEMS.member.__set__, _PAGE_DATA_ITEMS.member.__get__


def _no_list(key: str) -> NoReturn:
    from composio.models import ShapeError

    raise ShapeError(f"expected an object with an {key!r} list")


def _count(v: object) -> int | None:
    """A page's number field's value, or ``None`` when absent or not a finite JSON number."""
    if v is None or type(v) is int:  # absent, or what json.loads gives for a whole number
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return int(v)


class ExternalOperation(Operation[T]):
    """A request to ANOTHER origin (``files.upload``'s PUT to a presigned storage URL, an
    automatic download's GET, SPEC §18).

    ``path`` is the absolute URL. The driver hands it straight to the client's transport --
    the same pool, bounded by ``options`` (its deadline included) -- and NOT to the middleware
    chain: none of the SDK's credentials, default, session or extra headers, no telemetry,
    tracing or retries, only ``headers`` as given. The body is ``content``: bytes, or a
    file streamed from disk (:class:`composio._external.FileBody`); ``sink``, when given,
    receives a 2xx answer's body slice by slice instead of memory (a download streamed to
    disk, :class:`composio._external.FileSink`). The rules of such a request (headers,
    tracing, proxies, https) live in :mod:`composio._external`.
    """

    __slots__ = ("content", "headers", "sink")

    def __init__(
        self,
        name: str,
        method: str,
        url: str,
        parse: Callable[[Response], T],
        *,
        content: bytes | FileBody | None,
        headers: Mapping[str, str],
        options: CallOptions = NO_OPTIONS,
        sink: FileSink | None = None,
    ) -> None:
        super().__init__(name, method, url, parse, options=options)
        self.content = content
        self.headers = dict(headers)
        self.sink = sink

    def __repr__(self) -> str:
        from composio._redact import redact_url

        return f"<ExternalOperation {self.name} {self.method} {redact_url(self.path)}>"
