"""Frozen, slotted models of the API's resources.

Parsing is tolerant in the direction servers evolve: unknown fields are kept in ``.extra``
and never break parsing, a missing optional field is ``None``. Only the fields without which
the object is meaningless (a tool's ``slug``, an execution's ``successful``) are enforced;
a response lacking them raises :class:`~composio.errors.APIError` at the call site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, TypeVar

__all__ = ["Tool", "ToolExecution", "Toolkit", "ToolkitRef", "parse_model"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})

M = TypeVar("M")


class ShapeError(ValueError):
    """A response body did not have the shape a model needs (turned into APIError upstream)."""


def _field_names(cls: type) -> frozenset[str]:
    cached: frozenset[str] | None = cls.__dict__.get("_composio_fields")
    if cached is None:
        cached = frozenset(f.name for f in fields(cls) if f.name != "extra")
        type.__setattr__(cls, "_composio_fields", cached)
    return cached


def parse_model(cls: type[M], data: object, required: tuple[str, ...] = ()) -> M:
    """Build ``cls`` from a JSON object: known keys to fields, the rest to ``extra``."""
    if not isinstance(data, Mapping):
        raise ShapeError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}")
    for name in required:
        if data.get(name) is None:
            raise ShapeError(f"{cls.__name__} is missing required field {name!r}")
    known = _field_names(cls)
    kwargs = {k: v for k, v in data.items() if k in known}
    extra = {k: v for k, v in data.items() if k not in known}
    return cls(**kwargs, extra=MappingProxyType(extra) if extra else _EMPTY)  # type: ignore[call-arg]


@dataclass(frozen=True, slots=True)
class ToolkitRef:
    """The short form of a toolkit embedded in a tool."""

    slug: str
    name: str | None = None
    logo: str | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Tool:
    slug: str
    name: str | None = None
    description: str | None = None
    toolkit: ToolkitRef | None = None
    input_parameters: Mapping[str, Any] | None = None
    output_parameters: Mapping[str, Any] | None = None
    version: str | None = None
    available_versions: tuple[str, ...] | None = None
    no_auth: bool | None = None
    scopes: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    is_deprecated: bool | None = None
    deprecated: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: object) -> Tool:
        tool = parse_model(cls, data, ("slug",))
        changes: dict[str, Any] = {}
        if isinstance(tool.toolkit, Mapping):
            changes["toolkit"] = parse_model(ToolkitRef, tool.toolkit, ("slug",))
        for name in ("available_versions", "scopes", "tags"):
            value = getattr(tool, name)
            if isinstance(value, list):
                changes[name] = tuple(value)
        if changes:
            for k, v in changes.items():
                object.__setattr__(tool, k, v)
        return tool


@dataclass(frozen=True, slots=True)
class Toolkit:
    slug: str
    name: str | None = None
    meta: Mapping[str, Any] | None = None
    enabled: bool | None = None
    no_auth: bool | None = None
    auth_schemes: tuple[str, ...] | None = None
    composio_managed_auth_schemes: tuple[str, ...] | None = None
    is_local_toolkit: bool | None = None
    deprecated: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: object) -> Toolkit:
        kit = parse_model(cls, data, ("slug",))
        for name in ("auth_schemes", "composio_managed_auth_schemes"):
            value = getattr(kit, name)
            if isinstance(value, list):
                object.__setattr__(kit, name, tuple(value))
        return kit

    @property
    def description(self) -> str | None:
        meta = self.meta or {}
        value = meta.get("description")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class ToolExecution:
    """The result of ``tools.execute``."""

    data: Mapping[str, Any] | None = None
    error: str | None = None
    successful: bool = False
    log_id: str | None = None
    session_info: Any = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: object) -> ToolExecution:
        result = parse_model(cls, data, ("successful",))
        if not isinstance(result.successful, bool):
            raise ShapeError("ToolExecution.successful must be a boolean")
        return result
