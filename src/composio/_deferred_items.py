"""A page's items, checked when the page is parsed and built on their first read (issue 21).

A list call's cost beside the HTTP exchange and ``json.loads`` was mostly the page's models:
one object per item, whether or not the caller reads them (a walk that only counts, a
``has_next_page`` check, a call made for its side effect on the toolkit cache). So a page's
parse checks every item's required field at once -- a page with a bad item still fails at the
call, with the same error (``composio.models.defer_items``) -- and keeps the checked JSON
objects as :class:`DeferredItems`; the models are built, once, when ``items`` is first read.

:class:`ItemsSlot` is that ``items`` attribute, on ``Page``/``AsyncPage`` and on the drivers'
``PageData``: a slot holding either the built tuple or the :class:`DeferredItems`, so a
built page reads its items at the cost of one descriptor call, and everything that reads
``items`` (equality, ``repr``, pickling, iteration) sees the same tuple.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from composio._fork import module_lock

__all__ = ["Build", "DeferredItems", "ItemsSlot", "install"]

T = TypeVar("T")

#: builds a page's models from its checked JSON objects, stamped with the request id
Build = Callable[[list[Any], "str | None"], tuple[Any, ...]]


class DeferredItems(Generic[T]):
    """A page's checked JSON objects and how to build them: the objects are the page's own
    (fresh from ``json.loads``, held by nothing else), so they are kept, not copied."""

    __slots__ = ("_build", "_raw", "_request_id")

    def __init__(self, build: Build, raw: list[Any], request_id: str | None) -> None:
        self._build = build
        self._raw = raw
        self._request_id = request_id

    def __len__(self) -> int:
        return len(self._raw)

    def build(self) -> tuple[T, ...]:
        return self._build(self._raw, self._request_id)

    def __repr__(self) -> str:
        return f"<{len(self._raw)} items not built yet>"


#: makes a first read's look-and-store one step (``ItemsSlot.__get__``): held for two slot
#: operations, never while building, and only by the first read of each page (a module
#: lock: a fork while another thread holds it leaves the child's free, ``composio._fork``)
_STORE = module_lock("composio._deferred_items")


class ItemsSlot:
    """``items`` over the slot of that name: the tuple, built from a :class:`DeferredItems`
    on the first read and kept. Two threads reading a fresh page at once may both build; the
    first to store its tuple wins and the other returns that one, so every read sees one
    tuple (the models are equal either way). The look and the store are one step under
    :data:`_STORE`: without it, both threads could look, find nothing stored, and each store
    and return its own tuple (break9)."""

    __slots__ = ("member",)

    def __init__(self, member: Any) -> None:
        self.member = member

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = self.member.__get__(obj, owner)
        if type(value) is not DeferredItems:
            return value  # built (or a page made by hand: whatever it was given)
        built = value.build()
        with _STORE:
            current = self.member.__get__(obj, owner)
            if type(current) is not DeferredItems:  # another thread stored its tuple first
                return current
            self.member.__set__(obj, built)
        return built

    def __set__(self, obj: Any, value: Any) -> None:
        self.member.__set__(obj, value)

    def count(self, obj: Any) -> int:
        """How many items, without building them."""
        return len(self.member.__get__(obj))

    def any(self, obj: Any) -> bool:
        """Whether there are items, without building them: ``bool`` of what the slot holds
        (a :class:`DeferredItems` answers by its length), so a page built by hand over a
        generator answers as it did before items were deferred (break9)."""
        return bool(self.member.__get__(obj))


def install(cls: type) -> ItemsSlot:
    """Put an :class:`ItemsSlot` over ``cls``'s own ``items`` slot; returns it."""
    slot = ItemsSlot(cls.__dict__["items"])
    cls.items = slot  # type: ignore[attr-defined]
    return slot
