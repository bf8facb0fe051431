"""A minimal immutable value-object base for the classes on the ``import composio`` path.

Frozen dataclasses would do, but ``dataclasses`` imports ``inspect``, ``ast`` and ``dis``
(~6 ms that ``requests`` never pays), and these few classes need only slots, equality, a repr
and pickling. Models, which are not on the import path, stay dataclasses.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Value"]


class Value:
    """Slotted, immutable; equality, hash, repr and pickling by the slots, in order.

    Subclasses set ``__slots__`` and assign fields in ``__init__`` with ``object.__setattr__``;
    their ``__init__`` must accept every slot as a keyword of the same name.
    """

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (tried to set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (tried to delete {name!r})")

    def _names(self) -> tuple[str, ...]:
        names: tuple[str, ...] = type(self).__slots__
        return names

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._names())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Value)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._names())
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), dict(zip(self._names(), self._values(), strict=True))))


def _rebuild(cls: type[Value], fields: dict[str, Any]) -> Value:
    return cls(**fields)
