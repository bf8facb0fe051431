"""Cursor pages. Iterating a :class:`Page` walks every page lazily, one request per page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["Page"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str | None = None
    total_items: int | None = None
    total_pages: int | None = None
    current_page: int | None = None
    _fetch: Callable[[str], Page[T]] | None = field(default=None, repr=False, compare=False)

    def has_next_page(self) -> bool:
        return bool(self.next_cursor) and bool(self.items) and self._fetch is not None

    def next_page(self) -> Page[T] | None:
        """The following page (one request), or ``None`` on the last page."""
        if not self.has_next_page():
            return None
        assert self._fetch is not None and self.next_cursor is not None
        return self._fetch(self.next_cursor)

    def iter_pages(self) -> Iterator[Page[T]]:
        page: Page[T] | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.items

    def __len__(self) -> int:
        """Items on *this* page (``total_items`` has the server's total)."""
        return len(self.items)
