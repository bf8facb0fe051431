"""Frozen, slotted models of the API's resources.

Parsing is tolerant in the direction servers evolve: unknown fields are kept in ``.extra``
and never break parsing, a missing optional field is ``None``. A known field whose value has
an unexpected JSON type is moved to ``.extra`` too, so the typed attribute never lies (it is
``None``) and nothing the server sent is lost. Only the fields without which the object is
meaningless (a tool's ``slug``, an execution's ``successful``) are enforced; a response lacking
them raises :class:`~composio.errors.APIError` at the call site.

Nested JSON (``input_parameters``, ``data``, ``meta``) stays plain ``dict``/``list`` so it can
be handed to JSON encoders and AI frameworks as is; treat it as read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

__all__ = ["ShapeError", "Tool", "ToolExecution", "Toolkit", "ToolkitRef", "parse_model"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})

M = TypeVar("M")

#: Returned by a converter for a value of the wrong JSON type.
_BAD: Any = object()
Converter = Callable[[Any], Any]


class ShapeError(ValueError):
    """A response body did not have the shape a model needs (turned into APIError upstream)."""


def _str(v: Any) -> Any:
    return v if isinstance(v, str) else _BAD


def _bool(v: Any) -> Any:
    return v if isinstance(v, bool) else _BAD


def _map(v: Any) -> Any:
    return v if isinstance(v, Mapping) else _BAD


def _strs(v: Any) -> Any:
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return tuple(v)
    return _BAD


def _any(v: Any) -> Any:
    return v


def _nested(cls: Any) -> Converter:
    def convert(v: Any) -> Any:
        try:
            return cls.from_dict(v)
        except ShapeError:
            return _BAD

    return convert


_KIND: dict[Converter, str] = {
    _str: "a string",
    _bool: "a boolean",
    _map: "an object",
    _strs: "a list of strings",
}


def parse_model(
    cls: type[M],
    data: object,
    converters: Mapping[str, Converter],
    required: tuple[str, ...] = (),
) -> M:
    """Build ``cls`` from a JSON object: known keys converted to fields, the rest to ``extra``."""
    if not isinstance(data, Mapping):
        raise ShapeError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}")
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        convert = converters.get(key)
        if convert is None:
            extra[key] = value
            continue
        if value is None:
            continue
        out = convert(value)
        if out is _BAD:
            if key in required:
                kind = _KIND.get(convert, "a valid object")
                raise ShapeError(f"{cls.__name__}.{key} must be {kind}, got {type(value).__name__}")
            extra[key] = value
        else:
            kwargs[key] = out
    for name in required:
        if name not in kwargs:
            raise ShapeError(f"{cls.__name__} is missing required field {name!r}")
    kwargs["extra"] = MappingProxyType(extra) if extra else _EMPTY
    return cls(**kwargs)


def _extra() -> Any:
    return field(default_factory=lambda: _EMPTY, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ToolkitRef:
    """The short form of a toolkit embedded in a tool."""

    slug: str
    name: str | None = None
    logo: str | None = None
    extra: Mapping[str, Any] = _extra()

    @classmethod
    def from_dict(cls, data: object) -> ToolkitRef:
        return parse_model(cls, data, _TOOLKIT_REF, ("slug",))


_TOOLKIT_REF: dict[str, Converter] = {"slug": _str, "name": _str, "logo": _str}


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool as ``GET /api/v3/tools`` and ``/tools/{slug}`` describe it."""

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
    extra: Mapping[str, Any] = _extra()

    @classmethod
    def from_dict(cls, data: object) -> Tool:
        return parse_model(cls, data, _TOOL, ("slug",))


_TOOL: dict[str, Converter] = {
    "slug": _str,
    "name": _str,
    "description": _str,
    "toolkit": _nested(ToolkitRef),
    "input_parameters": _map,
    "output_parameters": _map,
    "version": _str,
    "available_versions": _strs,
    "no_auth": _bool,
    "scopes": _strs,
    "tags": _strs,
    "is_deprecated": _bool,
    "deprecated": _map,
}


@dataclass(frozen=True, slots=True)
class Toolkit:
    """A toolkit from ``GET /api/v3/toolkits`` (list) or ``/toolkits/{slug}`` (detail).

    Detail-only fields (``auth_config_details``, ``base_url``, ...) are in ``.extra``.
    """

    slug: str
    name: str | None = None
    meta: Mapping[str, Any] | None = None
    enabled: bool | None = None
    no_auth: bool | None = None
    auth_schemes: tuple[str, ...] | None = None
    composio_managed_auth_schemes: tuple[str, ...] | None = None
    is_local_toolkit: bool | None = None
    deprecated: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = _extra()

    @classmethod
    def from_dict(cls, data: object) -> Toolkit:
        return parse_model(cls, data, _TOOLKIT, ("slug",))

    @property
    def description(self) -> str | None:
        value = (self.meta or {}).get("description")
        return value if isinstance(value, str) else None


_TOOLKIT: dict[str, Converter] = {
    "slug": _str,
    "name": _str,
    "meta": _map,
    "enabled": _bool,
    "no_auth": _bool,
    "auth_schemes": _strs,
    "composio_managed_auth_schemes": _strs,
    "is_local_toolkit": _bool,
    "deprecated": _map,
}


@dataclass(frozen=True, slots=True)
class ToolExecution:
    """The result of ``tools.execute``: ``successful`` says whether the tool itself worked."""

    successful: bool
    data: Mapping[str, Any] | None = None
    error: str | None = None
    log_id: str | None = None
    session_info: Any = None
    extra: Mapping[str, Any] = _extra()

    @classmethod
    def from_dict(cls, data: object) -> ToolExecution:
        return parse_model(cls, data, _EXECUTION, ("successful",))


_EXECUTION: dict[str, Converter] = {
    "successful": _bool,
    "data": _map,
    "error": _str,
    "log_id": _str,
    "session_info": _any,
}
