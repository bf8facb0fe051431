"""Small shared types with no dependencies, so the client can import them without pulling in
the resources (and their models) at ``import composio`` time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["NOT_GIVEN", "HeadersArg", "NotGiven"]

HeadersArg = Mapping[str, "str | None"] | None


class NotGiven:
    """Sentinel for 'use the client's setting' (``timeout`` per call, ``with_options``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = NotGiven()
