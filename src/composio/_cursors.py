"""The rule every cursor walk follows: a cursor is followed once (SPEC §2, pagination).

``Page.iter_pages``/``AsyncPage.iter_pages`` and the builders that walk pages inside one
operation (``tools.get`` by names, a toolkit lookup) all stop on a repeated ``next_cursor``
with the same error; this module is where that rule lives, so it is not imported from
``pagination``'s private names.
"""

from __future__ import annotations

__all__ = ["refuse_repeated_cursor"]


def refuse_repeated_cursor(cursor: str | None, seen: set[str]) -> None:
    """Refuse a cursor the walk has already followed: a server answering the same
    ``next_cursor`` again would otherwise make ``for item in page`` loop forever."""
    if not cursor:
        return
    if cursor in seen:
        from composio.errors import APIError

        raise APIError(
            "The server returned a next_cursor it had already returned in this walk; stopping "
            "instead of looping forever (the items so far were yielded).",
            request=None,
        )
    seen.add(cursor)
