"""Cursor pages. Iterating a :class:`Page` walks every page lazily, one request per page;
``async for`` over an :class:`AsyncPage` does the same with awaits.

Both share their fields and ``has_next_page`` (:class:`_PageFields`); only how the next page is
fetched differs (a call or an await): the client's driver supplies ``_fetch``.

A walk continues in the context it started in: a page remembers the ``contextvars`` context it
was made in, and fetches the pages after it there. So a page got for tenant A (a plugin that
reads a context variable per request, like composio-tenant-context) and iterated later, under
tenant B or on another thread or task, keeps asking for A's pages with A's headers (issue 16
item 19), as the first request of the walk did.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeVar

from composio._cursors import refuse_repeated_cursor
from composio._deferred_items import DeferredItems, install
from composio.telemetry._scope import context_between_operations

__all__ = ["AsyncPage", "Page"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True, init=False)
class _PageFields(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str | None = None
    total_items: int | None = None
    total_pages: int | None = None
    current_page: int | None = None
    #: the driver's "fetch the page at this cursor" (a call, or a coroutine function)
    _fetch: Callable[[str], Any] | None = field(default=None, repr=False, compare=False)
    #: where the walk started: the context this page was made in (see the module docstring)
    _context: contextvars.Context = field(
        default_factory=context_between_operations, repr=False, compare=False
    )
    #: the ``x-request-id`` of the response this page came from (SPEC §18)
    _request_id: str | None = field(default=None, repr=False, compare=False)

    def __init__(
        self,
        items: tuple[T, ...] | DeferredItems[T],
        next_cursor: str | None = None,
        total_items: int | None = None,
        total_pages: int | None = None,
        current_page: int | None = None,
        _fetch: Callable[[str], Any] | None = None,
        _context: contextvars.Context | None = None,
        _request_id: str | None = None,
    ) -> None:
        """The dataclass's own ``__init__``, with the slots written directly: a frozen
        dataclass's goes through ``object.__setattr__`` per field, half of building a page
        object, which every list call does (issue 21)."""
        items_, next_, total_, pages_, current_, fetch_, context_, request_id_ = _PUT_FIELDS
        items_(self, items)
        next_(self, next_cursor)
        total_(self, total_items)
        pages_(self, total_pages)
        current_(self, current_page)
        fetch_(self, _fetch)
        context_(self, context_between_operations() if _context is None else _context)
        request_id_(self, _request_id)

    def has_next_page(self) -> bool:
        return bool(self.next_cursor) and _ITEMS.any(self) and self._fetch is not None

    def __len__(self) -> int:
        """Items on *this* page (``total_items`` has the server's total); counted without
        building them."""
        return _ITEMS.count(self)

    def __copy__(self) -> _PageFields[T]:
        return self  # immutable: a shallow copy may share the client

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the data, not the client: the fetch function holds the live client.

        An unpickled page keeps its items and ``next_cursor``; asking it for the next page
        raises a clear error instead of silently ending the iteration early, which would look
        like the last page and lose data (SPEC §12.1).
        """
        data = (self.items, self.next_cursor, self.total_items, self.total_pages)
        return (_restore, (type(self), *data, self.current_page, self._request_id))


#: the slots' own setters, in the fields' order (``_PageFields.__init__``)
_PUT_FIELDS = tuple(_PageFields.__dict__[f.name].__set__ for f in fields(_PageFields))
#: ``items``: the models, built on their first read (``composio._deferred_items``)
_ITEMS = install(_PageFields)


@dataclass(frozen=True, slots=True, init=False)
class Page(_PageFields[T]):
    def next_page(self) -> Page[T] | None:
        """The following page (one request), or ``None`` on the last page."""
        if not self.has_next_page():
            return None
        assert self._fetch is not None and self.next_cursor is not None
        # A copy per fetch: one Context cannot be entered twice at once (two threads
        # walking the same page), and what the fetch sets stays out of the page's context.
        page: Page[T] = self._context.copy().run(self._fetch, self.next_cursor)
        return page

    def iter_pages(self) -> Iterator[Page[T]]:
        page: Page[T] | None = self
        seen: set[str] = set()
        while page is not None:
            yield page
            refuse_repeated_cursor(page.next_cursor, seen)
            page = page.next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.items


@dataclass(frozen=True, slots=True, init=False)
class AsyncPage(_PageFields[T]):
    """A page of the async client: ``async for item in page`` walks every page lazily."""

    async def next_page(self) -> AsyncPage[T] | None:
        """The following page (one request), or ``None`` on the last page."""
        if not self.has_next_page():
            return None
        assert self._fetch is not None and self.next_cursor is not None
        # A task runs in a copy of the context current when it is created: made inside the
        # page's context, it awaits the fetch there. Cancelling this await cancels the task.
        import asyncio  # loaded already by whoever awaits; not for sync users' imports

        fetch = self._fetch(self.next_cursor)
        page: AsyncPage[T] = await self._context.copy().run(asyncio.ensure_future, fetch)
        return page

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        page: AsyncPage[T] | None = self
        seen: set[str] = set()
        while page is not None:
            yield page
            refuse_repeated_cursor(page.next_cursor, seen)
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item


def _detached(cursor: str) -> Page[Any]:
    from composio.errors import ComposioError

    raise ComposioError(
        "This Page was unpickled (or deep-copied), so it has no client to fetch the next page "
        "with; call the list method again with cursor=page.next_cursor on a client."
    )


def _restore(
    cls: type[_PageFields[Any]],
    items: tuple[Any, ...],
    next_cursor: str | None,
    total_items: int | None,
    total_pages: int | None,
    current_page: int | None,
    request_id: str | None = None,
) -> _PageFields[Any]:
    return cls(
        items,
        next_cursor,
        total_items,
        total_pages,
        current_page,
        _detached,
        _request_id=request_id,
    )
