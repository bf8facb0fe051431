"""The base of every resource facade: a handle on the client that runs its operations."""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["Resource"]

C = TypeVar("C")


class Resource(Generic[C]):
    """A thin typed facade: each method builds an operation (``composio._ops``) and hands it
    to its client's driver, ``_run`` (``Composio``) or ``_arun`` (``AsyncComposio``)."""

    __slots__ = ("_client",)

    def __init__(self, client: C) -> None:
        self._client = client
