"""The description of one API operation, shared by the sync and the async client (SPEC §13).

An :class:`Operation` says everything about a call that involves no I/O: its name (the
telemetry ``functionName`` and span attribute), method, path, query pairs, JSON body, the
per-call options, how to turn the answer into a value, and for a page how to describe the
next page's call. Builders in ``composio._ops`` validate the caller's arguments and return
one; the clients only *run* it (``Composio._run`` / ``AsyncComposio._arun``), so a rule about
encoding, validation or parsing is written once and holds for both.

Operations that need several requests (``tools.get``) are *flows*: generators that yield
operations and receive their results. The sync client drives a flow with plain calls, the
async one with awaits; the flow's own logic is the same code.

The API prefix is here, in :data:`API_PREFIX`, and nowhere else: every operation's ``path``
is relative to it, so moving the SDK to another API version is a one-line change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, Generic, TypeAlias, TypeVar

from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.config import Timeout
from composio.headers import Layer, build_layer
from composio.pipeline import Response

__all__ = [
    "API_PREFIX",
    "CallOptions",
    "Flow",
    "Operation",
    "PageData",
    "call_options",
]

#: Where every wrapped operation lives (SPEC §14 moves this to ``/api/v3.1``).
API_PREFIX = "/api/v3"

T = TypeVar("T")
P = TypeVar("P")
_EMPTY: Layer = {}


class CallOptions:
    """A call's validated ``extra_headers`` (as a layer) and ``timeout`` (None: the client's)."""

    __slots__ = ("layer", "timeout")

    def __init__(self, layer: Layer, timeout: Timeout | None) -> None:
        self.layer = layer
        self.timeout = timeout


_DEFAULT_OPTIONS = CallOptions(_EMPTY, None)


def call_options(extra_headers: HeadersArg, timeout: Any) -> CallOptions:
    """Validate the per-call keywords every method takes (SPEC §2), before anything is sent."""
    if not extra_headers and timeout is NOT_GIVEN:
        return _DEFAULT_OPTIONS
    layer = build_layer(extra_headers, "extra_headers") if extra_headers else _EMPTY
    return CallOptions(layer, None if timeout is NOT_GIVEN else Timeout.coerce(timeout))


class Operation(Generic[T]):
    """One request to send and how to read its answer. Immutable once built.

    ``path`` is relative to :data:`API_PREFIX` unless ``raw`` (``client.request``, whose path
    the caller gives relative to ``base_url``). ``next_page(cursor)``, set on list operations,
    describes the call for the following page.
    """

    __slots__ = ("body", "method", "name", "next_page", "options", "parse", "path", "query", "raw")

    def __init__(
        self,
        name: str,
        method: str,
        path: str,
        parse: Callable[[Response], T],
        *,
        query: Sequence[tuple[str, str]] | None = None,
        body: object = None,
        options: CallOptions = _DEFAULT_OPTIONS,
        next_page: Callable[[str], Operation[T]] | None = None,
        raw: bool = False,
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

    def __repr__(self) -> str:
        return f"<Operation {self.name} {self.method} {self.path}>"


#: A multi-request operation: yields operations, is sent each one's result, returns the value.
Flow: TypeAlias = Generator["Operation[Any]", Any, T]


class PageData(Generic[T]):
    """One page as parsed from the wire, before a client turns it into ``Page``/``AsyncPage``."""

    __slots__ = ("current_page", "items", "next_cursor", "total_items", "total_pages")

    def __init__(
        self,
        items: tuple[T, ...],
        next_cursor: str | None,
        total_items: int | None,
        total_pages: int | None,
        current_page: int | None,
    ) -> None:
        self.items = items
        self.next_cursor = next_cursor
        self.total_items = total_items
        self.total_pages = total_pages
        self.current_page = current_page

    def page(self, cls: Callable[..., P], fetch: Callable[[str], Any] | None) -> P:
        """This data as the driver's page type (``Page`` or ``AsyncPage``) with its fetcher."""
        return cls(
            self.items,
            self.next_cursor,
            self.total_items,
            self.total_pages,
            self.current_page,
            fetch,
        )

    @classmethod
    def from_json(cls, data: Any, factory: Callable[[Any], T]) -> PageData[T]:
        """The API's cursor page: ``items``, ``next_cursor`` and optional totals."""
        from composio.models import ShapeError

        if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
            raise ShapeError("expected an object with an 'items' list")
        cursor = data.get("next_cursor")

        def num(key: str) -> int | None:
            v = data.get(key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                return None
            return int(v)

        return cls(
            tuple(factory(item) for item in data["items"]),
            cursor if isinstance(cursor, str) and cursor else None,
            num("total_items"),
            num("total_pages"),
            num("current_page"),
        )
