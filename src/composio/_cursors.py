"""The rule every cursor walk follows: a cursor is followed once, and at most
:data:`MAX_PAGES` of them in one walk (SPEC §2, pagination).

``Page.iter_pages``/``AsyncPage.iter_pages`` and the builders that walk pages inside one
operation (``tools.get`` by names, a toolkit lookup) all stop on a repeated ``next_cursor``
with the same error; this module is where that rule lives, so it is not imported from
``pagination``'s private names. The bound: a server answering a *new* cursor on every page
(``c1``, ``c2``, ...) is never caught by the repeat check, and kept ``composio tools list``
and ``tools.get(tools=[...])`` requesting forever, holding every item.
"""

from __future__ import annotations

__all__ = ["MAX_PAGES", "refuse_repeated_cursor"]

#: Cursors one walk follows at most: far past any real listing (the whole catalog is ~1,000
#: pages of 20), and a bound on requests and memory when a server never stops.
MAX_PAGES = 10_000


def refuse_repeated_cursor(cursor: str | None, seen: set[str]) -> None:
    """Refuse a cursor the walk has already followed: a server answering the same
    ``next_cursor`` again would otherwise make ``for item in page`` loop forever."""
    if not cursor:
        return
    from composio.errors import APIError

    if cursor in seen:
        raise APIError(
            "The server returned a next_cursor it had already returned in this walk; stopping "
            "instead of looping forever (the items so far were yielded).",
            request=None,
        )
    if len(seen) >= MAX_PAGES:
        raise APIError(
            f"The server kept returning a new next_cursor after {MAX_PAGES} pages in this "
            "walk; stopping instead of paging forever (the items so far were yielded). Narrow "
            "the listing, or page by hand with the cursor of the last page.",
            request=None,
        )
    seen.add(cursor)
