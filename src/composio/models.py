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

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from types import MappingProxyType
from typing import Any, TypeVar

__all__ = ["ShapeError", "Tool", "ToolExecution", "Toolkit", "ToolkitRef", "parse_model"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})

M = TypeVar("M")

#: Returned for a value of the wrong JSON type.
_BAD: Any = object()
#: Field kinds: ``str``, ``bool``, ``dict`` (any JSON object), ``STRS`` (a list of strings, kept
#: as a tuple), ``ANY`` (kept as is), or a model class with ``from_dict`` (nested object).
STRS: Any = object()
ANY: Any = object()
Kinds = Mapping[str, Any]


class ShapeError(ValueError):
    """A response body did not have the shape a model needs (turned into APIError upstream)."""


_KIND_NAME: dict[Any, str] = {
    str: "a string",
    bool: "a boolean",
    dict: "an object",
    STRS: "a list of strings",
}


def _convert(kind: Any, value: Any) -> Any:
    """The slow path of :func:`parse_model`: anything but an exact JSON type match."""
    if kind is str:
        return value if isinstance(value, str) else _BAD
    if kind is bool:
        return value if isinstance(value, bool) else _BAD
    if kind is dict:
        return value if isinstance(value, Mapping) else _BAD
    if kind is STRS:
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            return tuple(value)
        return _BAD
    try:
        return kind.from_dict(value)
    except ShapeError:
        return _BAD


class _Plan:
    """How to build one model class fast: per field, its kind, its slot setter and default.

    ``parse_model`` runs for every item of every page, and a frozen dataclass's ``__init__``
    (one ``object.__setattr__`` per field, keyword parsing) cost more than the checks
    themselves; writing the slots directly is ~3x cheaper and needs no code generation.
    """

    __slots__ = ("fields", "known", "put_extra", "required")

    def __init__(self, cls: type, kinds: Kinds, required: tuple[str, ...]) -> None:
        plan = []
        for f in fields(cls):
            if f.name == "extra":
                continue
            default = None if f.default is MISSING else f.default
            plan.append((f.name, kinds.get(f.name, ANY), cls.__dict__[f.name].__set__, default))
        self.fields = tuple(plan)
        self.known = frozenset(name for name, _, _, _ in plan)
        self.put_extra = cls.__dict__["extra"].__set__
        self.required = required


_PLANS: dict[type, _Plan] = {}


def parse_model(
    cls: type[M],
    data: object,
    kinds: Kinds,
    required: tuple[str, ...] = (),
) -> M:
    """Build ``cls`` from a JSON object: known keys checked into fields, the rest to ``extra``.

    The common case -- a value whose exact type is the field's kind, as ``json.loads``
    produces -- is one type comparison and one slot write.
    """
    if type(data) is not dict:
        if not isinstance(data, Mapping):
            raise ShapeError(
                f"expected a JSON object for {cls.__name__}, got {type(data).__name__}"
            )
        data = dict(data)
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _Plan(cls, kinds, required)
    obj = object.__new__(cls)
    get = data.get
    extra: dict[str, Any] | None = None
    for name, kind, put, default in plan.fields:
        value = get(name)
        if value is None:
            if name in plan.required:
                raise ShapeError(f"{cls.__name__} is missing required field {name!r}")
            put(obj, default)
        elif type(value) is kind or kind is ANY:
            put(obj, value)
        else:
            out = _convert(kind, value)
            if out is not _BAD:
                put(obj, out)
            elif name in plan.required:
                what = _KIND_NAME.get(kind, "a valid object")
                raise ShapeError(
                    f"{cls.__name__}.{name} must be {what}, got {type(value).__name__}"
                )
            else:
                put(obj, default)
                if extra is None:
                    extra = {}
                extra[name] = value
    unknown = data.keys() - plan.known
    if unknown:
        if extra is None:
            extra = {}
        for key in unknown:
            extra[key] = data[key]
    plan.put_extra(obj, MappingProxyType(extra) if extra else _EMPTY)
    return obj


def _extra() -> Any:
    return field(default_factory=lambda: _EMPTY, repr=False, compare=False)


class _Model:
    """Pickling for the models (SPEC §12.1).

    ``extra`` is a read-only ``MappingProxyType``, which ``pickle`` refuses; the dataclass's
    own slot pickling would therefore fail for every model. The state crosses as a plain dict
    and the view is rebuilt on the other side, so an unpickled model is as read-only as the
    original. ``copy.copy``/``deepcopy`` go through the same path.
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        state = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        state["extra"] = dict(state["extra"])
        return (_restore, (type(self), state))


def _restore(cls: type[M], state: dict[str, Any]) -> M:
    obj = object.__new__(cls)
    extra = state.pop("extra", None)
    for name, value in state.items():
        object.__setattr__(obj, name, value)
    object.__setattr__(obj, "extra", MappingProxyType(dict(extra)) if extra else _EMPTY)
    return obj


@dataclass(frozen=True, slots=True)
class ToolkitRef(_Model):
    """The short form of a toolkit embedded in a tool."""

    slug: str
    name: str | None = None
    logo: str | None = None
    extra: Mapping[str, Any] = _extra()

    @classmethod
    def from_dict(cls, data: object) -> ToolkitRef:
        return parse_model(cls, data, _TOOLKIT_REF, ("slug",))


_TOOLKIT_REF: dict[str, Any] = {"slug": str, "name": str, "logo": str}


@dataclass(frozen=True, slots=True)
class Tool(_Model):
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


_TOOL: dict[str, Any] = {
    "slug": str,
    "name": str,
    "description": str,
    "toolkit": ToolkitRef,
    "input_parameters": dict,
    "output_parameters": dict,
    "version": str,
    "available_versions": STRS,
    "no_auth": bool,
    "scopes": STRS,
    "tags": STRS,
    "is_deprecated": bool,
    "deprecated": dict,
}


@dataclass(frozen=True, slots=True)
class Toolkit(_Model):
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


_TOOLKIT: dict[str, Any] = {
    "slug": str,
    "name": str,
    "meta": dict,
    "enabled": bool,
    "no_auth": bool,
    "auth_schemes": STRS,
    "composio_managed_auth_schemes": STRS,
    "is_local_toolkit": bool,
    "deprecated": dict,
}


@dataclass(frozen=True, slots=True)
class ToolExecution(_Model):
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


_EXECUTION: dict[str, Any] = {
    "successful": bool,
    "data": dict,
    "error": str,
    "log_id": str,
    "session_info": ANY,
}
