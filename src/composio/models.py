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

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from types import MappingProxyType, MemberDescriptorType
from typing import TYPE_CHECKING, Any, TypeVar

from composio._deferred_items import Build, DeferredItems
from composio._fork import module_lock

if TYPE_CHECKING:
    from composio.pagination import AsyncPage, Page

__all__ = [
    "AsyncConnectionRequest",
    "AuthConfig",
    "ConnectedAccount",
    "ConnectionRequest",
    "ProxyResponse",
    "ShapeError",
    "Tool",
    "ToolExecution",
    "ToolInput",
    "Toolkit",
    "ToolkitCategory",
    "ToolkitChangelog",
    "ToolkitRef",
    "parse_items",
    "parse_model",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})

M = TypeVar("M")

#: Returned for a value of the wrong JSON type.
_BAD: Any = object()
#: Field kinds: ``str``, ``bool``, ``dict`` (any JSON object), ``STRS`` (a list of strings, kept
#: as a tuple), ``ANY`` (kept as is), or a model class with ``from_dict`` (nested object).
#: A model does not list them: each field's kind is read from its annotation (``_kind_of``).
STRS: Any = object()
ANY: Any = object()
#: a whole JSON number (``3`` or ``3.0``), kept as ``int``
INT: Any = object()
#: a list of JSON objects, kept as a tuple of dicts
OBJECTS: Any = object()
Kinds = Mapping[str, Any]

#: A field's annotation (without ``| None``) -> its kind; any other annotation must name a
#: model class of this module (a nested object).
_KIND_OF_ANNOTATION: dict[str, Any] = {
    "str": str,
    "bool": bool,
    "int": INT,
    "Any": ANY,
    "Mapping[str, Any]": dict,
    "tuple[str, ...]": STRS,
    "tuple[Mapping[str, Any], ...]": OBJECTS,
}


class ShapeError(ValueError):
    """A response body did not have the shape a model needs (turned into APIError upstream)."""


_KIND_NAME: dict[Any, str] = {
    str: "a string",
    bool: "a boolean",
    dict: "an object",
    STRS: "a list of strings",
    INT: "a whole number",
    OBJECTS: "a list of objects",
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
    if kind is INT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _BAD
        if isinstance(value, int):
            return value
        return int(value) if value.is_integer() else _BAD
    if kind is OBJECTS:
        if isinstance(value, list) and all(isinstance(x, Mapping) for x in value):
            return tuple(value)
        return _BAD
    try:
        return kind.from_dict(value)
    except ShapeError:
        return _BAD


def _kind_of(cls: type, name: str, annotation: object) -> Any:
    """The kind a field's annotation declares (``from __future__ import annotations``: a
    string). An annotation this table does not know is a programming error, raised on the
    class's first parse, so a new field cannot be read unchecked by accident."""
    text = str(annotation).removesuffix(" | None")
    kind = _KIND_OF_ANNOTATION.get(text)
    if kind is not None:
        return kind
    nested = globals().get(text)
    if isinstance(nested, type) and hasattr(nested, "from_dict"):
        return nested
    raise TypeError(f"{cls.__name__}.{name}: no JSON kind for the annotation {text!r}")


class _Plan:
    """How to build one model class fast: per field, its kind, its slot setter and default.

    Derived once per class from its dataclass fields: the kind from the annotation, required
    when the field has no default. ``parse_model`` runs for every item of every page, and a
    frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field, keyword parsing)
    cost more than the checks themselves; writing the slots directly is ~3x cheaper and needs
    no code generation.

    A :class:`_Parsed` model is also *lazy* (SPEC §19: building a page must cost next to
    nothing): ``parse_model`` checks and writes its required fields at once and keeps (a
    shallow copy of) the JSON object; the other fields and ``extra`` are left unset, and the
    first read of any of them (:class:`_Lazy`) fills them all from it with the very same
    rules. Equality, ``repr``, pickling and ``copy`` read the fields, so they see what an
    eager parse would have built.
    """

    __slots__ = (
        "fields",
        "known",
        "later",
        "lazy",
        "nested",
        "nested_later",
        "now",
        "pending",
        "private",
        "put_extra",
        "required",
    )

    def __init__(
        self, cls: type, kinds: Kinds | None = None, required: tuple[str, ...] | None = None
    ) -> None:
        plan = []
        needed = []
        private = []
        for f in fields(cls):
            if f.name.startswith("_"):
                # private state (a session's client) is never read from the wire
                private.append((_slot(cls, f.name).__set__, f.default))
                continue
            if f.name == "extra":
                continue
            kind = _kind_of(cls, f.name, f.type) if kinds is None else kinds.get(f.name, ANY)
            if f.default is MISSING and f.default_factory is MISSING:
                needed.append(f.name)
            default = None if f.default is MISSING else f.default
            plan.append((f.name, kind, _slot(cls, f.name).__set__, default))
        self.fields = tuple(plan)
        nested = [
            n for n, kind, _, _ in plan if isinstance(kind, type) and issubclass(kind, _Model)
        ]
        #: the slots of fields holding a model (``Tool.toolkit``): they carry the request id too
        self.nested = tuple(_slot(cls, name) for name in nested)
        self.known = frozenset(name for name, _, _, _ in plan)
        self.put_extra = _slot(cls, "extra").__set__
        self.private = tuple(private)
        # explicit kinds (a caller's own class): its own required tuple, none if not given
        self.required = tuple(needed) if kinds is None else (required or ())
        self.now = tuple(f for f in self.fields if f[0] in self.required)
        self.later = tuple(f for f in self.fields if f[0] not in self.required)
        pending = getattr(cls, "_pending", None)  # _Parsed's slot, inherited
        self.lazy = kinds is None and isinstance(pending, MemberDescriptorType)
        self.pending: Any = pending
        #: a lazy model builds its nested models (none required) only when it is filled
        self.nested_later = self.lazy and not any(name in self.required for name in nested)
        if self.lazy:
            for name in (*(f[0] for f in self.later), "extra"):
                # on the class that declares the slot: a twin subclass shares its base's
                owner = next(k for k in cls.__mro__ if name in k.__dict__)
                if not isinstance(owner.__dict__[name], _Lazy):
                    setattr(owner, name, _Lazy(_slot(cls, name), self))


def _slot(cls: type, name: str) -> Any:
    """The slot's own descriptor (under the :class:`_Lazy` one once that is installed), on
    the class that declares it: a twin subclass such as ``AsyncToolRouterSession`` adds no
    slots of its own."""
    found = next(k.__dict__[name] for k in cls.__mro__ if name in k.__dict__)
    return found.member if isinstance(found, _Lazy) else found


class _Lazy:
    """A lazy field's descriptor: the slot's value, filled with the model's other lazy fields
    on the first read (``_fill_later``). Writes go to the slot (``_restore``, ``__init__``)."""

    __slots__ = ("member", "plan")

    def __init__(self, member: Any, plan: _Plan) -> None:
        self.member = member
        self.plan = plan

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            return self.member.__get__(obj, owner)
        except AttributeError:
            if not _fill_later(obj, self.plan):
                raise
            return self.member.__get__(obj, owner)

    def __set__(self, obj: Any, value: Any) -> None:
        self.member.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self.member.__delete__(obj)


def _fill_later(obj: Any, plan: _Plan) -> bool:
    """Fill a lazy model's other fields and ``extra`` from its kept JSON object; False if it
    has none (built some other way: an unset slot is then a real ``AttributeError``).

    One fill per model, under :data:`_FILL`: two threads reading a fresh model at once
    would otherwise both fill it, and one could return a nested model (``tool.toolkit``)
    the other's fill then replaced -- equal, but not the object the model holds (the class
    of break9's finding on page items). The lock is taken only by a model's first read of a
    lazy field; what it guards builds no page and reads no lazy field, so it is never taken
    twice by one thread."""
    try:
        data = plan.pending.__get__(obj)
    except AttributeError:
        return False
    if data is None:  # filled already
        return True
    with _FILL:
        if plan.pending.__get__(obj) is None:  # filled meanwhile by another thread
            return True
        extra = _fill(type(obj), obj, plan.later, (), data, None)
        _put_extra(plan, obj, data, extra)
        plan.pending.__set__(obj, None)
    return True


#: one lazy model's fill at a time (``_fill_later``); a module lock, so a fork while another
#: thread holds it leaves the child's free (``composio._fork``)
_FILL = module_lock("composio.models")


def _fill(
    cls: type,
    obj: Any,
    plan_fields: tuple[tuple[str, Any, Any, Any], ...],
    required: tuple[str, ...],
    data: dict[str, Any],
    extra: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """Check and write ``plan_fields`` from ``data``; what goes to ``extra``."""
    get = data.get
    for name, kind, put, default in plan_fields:
        value = get(name)
        if value is None:
            if name in required:
                raise ShapeError(f"{cls.__name__} is missing required field {name!r}")
            put(obj, default)
        elif type(value) is kind or kind is ANY:
            put(obj, value)
        else:
            out = _convert(kind, value)
            if out is not _BAD:
                if isinstance(out, _Model):  # filled after the parent was stamped (lazily)
                    request_id = obj._request_id
                    if request_id is not None:
                        set_request_id(out, request_id)
                put(obj, out)
            elif name in required:
                what = _KIND_NAME.get(kind, "a valid object")
                raise ShapeError(
                    f"{cls.__name__}.{name} must be {what}, got {type(value).__name__}"
                )
            else:
                put(obj, default)
                if extra is None:
                    extra = {}
                extra[name] = value
    return extra


def _put_extra(plan: _Plan, obj: Any, data: dict[str, Any], extra: dict[str, Any] | None) -> None:
    unknown = data.keys() - plan.known
    if unknown:
        if extra is None:
            extra = {}
        for key in unknown:
            extra[key] = data[key]
    plan.put_extra(obj, MappingProxyType(extra) if extra else _EMPTY)


_PLANS: dict[type, _Plan] = {}


def _plan_of(
    cls: type, kinds: Kinds | None = None, required: tuple[str, ...] | None = None
) -> _Plan:
    """``cls``'s plan, derived on its first parse (``kinds``/``required`` read only then)."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _Plan(cls, kinds, required)
    return plan


def parse_model(
    cls: type[M],
    data: object,
    kinds: Kinds | None = None,
    required: tuple[str, ...] | None = None,
) -> M:
    """Build ``cls`` from a JSON object: known keys checked into fields, the rest to ``extra``.

    The fields' kinds and which are required come from ``cls``'s dataclass fields (derived
    once per class). A caller may still pass ``kinds`` (and ``required``, else nothing is
    required) for a class of its own, as before; they are read on its first parse only, as
    the plan is kept. A :class:`_Parsed` model checks its required fields here and the rest
    on first read (:class:`_Plan`); the answers are the same.

    The common case -- a value whose exact type is the field's kind, as ``json.loads``
    produces -- is one type comparison and one slot write.
    """
    if type(data) is not dict:
        if not isinstance(data, Mapping):
            raise ShapeError(
                f"expected a JSON object for {cls.__name__}, got {type(data).__name__}"
            )
        data = dict(data)
    plan = _plan_of(cls, kinds, required)
    obj = object.__new__(cls)
    for put, default in plan.private:
        put(obj, default)
    if plan.lazy:
        _fill(cls, obj, plan.now, plan.required, data, None)  # raises, never moves to extra
        plan.pending.__set__(obj, data.copy())  # a caller's later edits do not reach it
        return obj
    extra = _fill(cls, obj, plan.fields, plan.required, data, None)
    _put_extra(plan, obj, data, extra)
    return obj


def parse_items(
    cls: type[M],
    items: list[Any],
    request_id: str | None = None,
    known: Container[str] | None = None,
    fresh: list[Any] | None = None,
) -> tuple[M, ...]:
    """A page's JSON objects as ``cls`` models, each as :func:`parse_model` builds it, at a
    fraction of its cost (SPEC §19: building a page must cost next to nothing):
    :func:`defer_items`, built at once."""
    found = defer_items(cls, items, request_id, known, fresh)
    return found if type(found) is tuple else found.build()  # type: ignore[union-attr]


def defer_items(
    cls: type[M],
    items: list[Any],
    request_id: str | None = None,
    known: Container[str] | None = None,
    fresh: list[Any] | None = None,
) -> tuple[M, ...] | DeferredItems[M]:
    """A page's JSON objects checked now and built as ``cls`` models on their first read
    (``composio._deferred_items``), each as :func:`parse_model` builds it.

    The objects must be the caller's own, fresh from ``json.loads`` and held by nothing else
    (``composio._ops._encode.parse_page``): each model keeps its object as it is instead of
    a copy. The common case -- a JSON object whose required field has its exact JSON type --
    is one type check per item here; anything else (a missing or mistyped field, a
    non-object, a class of another shape) sends the whole page through :func:`parse_model`
    now, so the answers and the errors are the same, raised at the call.

    In the same loop (issue 21: one pass over a page), when the caller passes its ``known``
    keys, every object whose required field is not among them is appended to ``fresh`` (a
    listed tool whose toolkit the client has not learned yet, ``ToolkitCache.learn_page``).
    The models get ``request_id`` as :func:`stamp_all` would give it, when they are built.
    """
    plan = _plan_of(cls)
    if not plan.lazy or len(plan.now) != 1 or plan.private:
        # Not a paged model's shape (every one is lazy, with one required field and no
        # private state: a Tool's ``slug``): the item-by-item parse, the same answers.
        return _parse_each(cls, items, request_id, fresh)
    ((name, kind, _, _),) = plan.now
    for item in items:
        if type(item) is dict:
            value = item.get(name)
            if type(value) is kind:
                if known is not None and value not in known:
                    fresh.append(item)  # type: ignore[union-attr]
                continue
        if fresh is not None:
            fresh.clear()  # every item is fresh to the item-by-item parse
        return _parse_each(cls, items, request_id, fresh)
    return DeferredItems(_BUILDERS.get(cls) or _builder(cls), items, request_id)


def _parse_each(
    cls: type[M], items: list[Any], request_id: str | None, fresh: list[Any] | None
) -> tuple[M, ...]:
    models = tuple(parse_model(cls, item) for item in items)
    if request_id is not None:
        stamp_all(models, request_id)
    if fresh is not None:
        fresh.extend(items)
    return models


_BUILDERS: dict[type, Build] = {}


def _builder(cls: type[M]) -> Callable[[list[Any], str | None], tuple[M, ...]]:
    """How :func:`defer_items`' checked objects become ``cls`` models: one object, its
    required field, its kept JSON object and its request id each (a fresh lazy model has no
    nested model built yet, so one slot write stamps it, and ``_fill`` stamps its nested
    models when they are built: ``stamp_all``'s own shortcut for such a model)."""
    plan = _plan_of(cls)
    ((name, _, put, _),) = plan.now
    keep, new, mark = plan.pending.__set__, object.__new__, _put_slot

    def build(items: list[Any], request_id: str | None) -> tuple[M, ...]:
        out: list[M] = []
        append = out.append
        for item in items:
            obj = new(cls)
            put(obj, item[name])
            keep(obj, item)
            mark(obj, request_id)
            append(obj)
        return tuple(out)

    _BUILDERS[cls] = build
    return build


def _extra() -> Any:
    return field(default_factory=lambda: _EMPTY, repr=False, compare=False)


class _Model:
    """Pickling for the models (SPEC §12.1), and the response's request id (SPEC §18).

    ``extra`` is a read-only ``MappingProxyType``, which ``pickle`` refuses; the dataclass's
    own slot pickling would therefore fail for every model. The state crosses as a plain dict
    and the view is rebuilt on the other side, so an unpickled model is as read-only as the
    original. ``copy.copy``/``deepcopy`` go through the same path.

    ``_request_id`` is the ``x-request-id`` of the response the model came from (``None`` for
    a model built by hand). It lives in a slot of this base, not in a dataclass field, so it
    is no part of the model's data: equality, hashing, ``repr`` and ``fields()`` (hence
    parsing) ignore it; pickling and copying carry it.
    """

    __slots__ = ("_composio_request_id",)

    @property
    def _request_id(self) -> str | None:
        return getattr(self, "_composio_request_id", None)

    def __reduce__(self) -> tuple[Any, ...]:
        state = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        state["extra"] = dict(state["extra"])
        request_id = self._request_id
        if request_id is not None:
            state["_composio_request_id"] = request_id
        return (_restore, (type(self), state))


_put_slot = _Model.__dict__["_composio_request_id"].__set__


def set_request_id(obj: object, request_id: str) -> None:
    """Write ``request_id`` into a model's slot (frozen: the slot is written directly, as
    :func:`parse_model` writes fields) and into the models nested in it (SPEC §18: every
    model a call returns, ``tool.toolkit`` included) that are already built; a lazy one
    not yet built gets it when it is (``_fill``). Anything that is not a model is left
    alone."""
    stamp_all((obj,), request_id)


def stamp_all(values: Sequence[object], request_id: str) -> None:
    """:func:`set_request_id` on each of ``values`` (a page's items, the list a call
    returned), in one loop, with the per-class questions asked once per run of a class.

    A model with no nested model field takes one slot write. So does a lazy model still
    holding its JSON object (every item of a fresh page): its nested models are not built
    yet, and ``_fill`` stamps them when they are -- unless a nested field is required (built
    at parse: ``_Plan.nested_later`` is false). Only the rest look into their nested slots. Before
    issue 21 every item took that look, and a lazy item's unset slot raised (and swallowed)
    an ``AttributeError``: half the cost of building a page of tools."""
    put = _put_slot
    last: type | None = None
    model = deep = False
    pending: Any = None
    nested: tuple[Any, ...] = ()
    for value in values:
        cls = type(value)
        if cls is not last:
            last, plan = cls, _PLANS.get(cls)
            if plan is None:  # never parsed (built by hand): no nested slots to look into
                model, deep = isinstance(value, _Model), False
            else:
                model, nested = True, plan.nested
                deep = bool(nested)
                pending = plan.pending.__get__ if deep and plan.nested_later else None
        if not model:
            continue
        put(value, request_id)
        if not deep:
            continue
        if pending is not None:
            try:
                if pending(value) is not None:
                    continue  # still lazy: no nested model built yet
            except AttributeError:
                pass  # built some other way (by hand, unpickled): look
        for member in nested:
            try:
                child = member.__get__(value)  # the slot itself: never fills a lazy model
            except AttributeError:
                continue
            stamp_all((child,), request_id)


def _restore(cls: type[M], state: dict[str, Any]) -> M:
    obj = object.__new__(cls)
    extra = state.pop("extra", None)
    for name, value in state.items():
        object.__setattr__(obj, name, value)
    object.__setattr__(obj, "extra", MappingProxyType(dict(extra)) if extra else _EMPTY)
    return obj


class _Parsed(_Model):
    """A model read from a JSON object: ``from_dict`` is :func:`parse_model` on its fields,
    lazily (``_pending``: the JSON object until the fields are filled, see :class:`_Plan`)."""

    __slots__ = ("_pending",)

    @classmethod
    def from_dict(cls: type[M], data: object) -> M:
        return parse_model(cls, data)

    @classmethod
    def _from_items(
        cls: type[M], items: list[Any], request_id: str | None = None
    ) -> tuple[M, ...] | DeferredItems[M]:
        """A page's items, checked now and built on first read, stamped with the response's
        ``request_id`` (:func:`defer_items`: the objects are the caller's own)."""
        return defer_items(cls, items, request_id)


@dataclass(frozen=True, slots=True)
class ToolkitRef(_Parsed):
    """The short form of a toolkit embedded in a tool."""

    slug: str
    name: str | None = None
    logo: str | None = None
    extra: Mapping[str, Any] = _extra()


@dataclass(frozen=True, slots=True)
class Tool(_Parsed):
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


@dataclass(frozen=True, slots=True)
class Toolkit(_Parsed):
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
    #: v3.1 (``None`` from a v3 server): ``"native"`` or ``"custom"`` (a project's MCP toolkit)
    type: str | None = None
    #: v3.1 detail only: per managed scheme, ``{"mode", "scopes": {"available": [...]}}``
    composio_managed_auth: tuple[Mapping[str, Any], ...] | None = None
    extra: Mapping[str, Any] = _extra()

    @property
    def description(self) -> str | None:
        value = (self.meta or {}).get("description")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class ToolExecution(_Parsed):
    """The result of ``tools.execute``: ``successful`` says whether the tool itself worked."""

    successful: bool
    data: Mapping[str, Any] | None = None
    error: str | None = None
    log_id: str | None = None
    session_info: Any = None
    extra: Mapping[str, Any] = _extra()


# -- SPEC §14: accounts, auth configs and the rest of the catalog -------------------------------


@dataclass(frozen=True, slots=True)
class ConnectedAccount(_Parsed):
    """A user's connection to a toolkit (``GET /connected_accounts[/{id}]``).

    ``status`` is kept as the API's string (``INITIATED``, ``ACTIVE``, ``FAILED``, ``EXPIRED``,
    ``INACTIVE``, and whatever later API versions add, such as v3.1's ``REVOKED``).
    """

    id: str
    status: str | None = None
    user_id: str | None = None
    toolkit: ToolkitRef | None = None
    auth_config: Mapping[str, Any] | None = None
    state: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None
    params: Mapping[str, Any] | None = None
    status_reason: str | None = None
    is_disabled: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    test_request_endpoint: str | None = None
    alias: str | None = None  #: v3.1 (``connected_accounts.update``)
    extra: Mapping[str, Any] = _extra()

    @property
    def auth_config_id(self) -> str | None:
        value = (self.auth_config or {}).get("id")
        return value if isinstance(value, str) else None

    @property
    def toolkit_slug(self) -> str | None:
        return self.toolkit.slug if self.toolkit is not None else None


@dataclass(frozen=True, slots=True)
class ConnectionRequest(_Model):
    """A connection being made: ``redirect_url`` is where the user goes to grant access.

    ``wait_for_connection(timeout=60.0)`` polls the account until it is ``ACTIVE`` (see
    ``connected_accounts.wait_for_connection``), through the client that made the request. The
    binding to that client is not pickled (a client holds sockets): an unpickled request
    keeps ``id``, ``status``, ``redirect_url`` and ``extra``; wait on it with
    ``client.connected_accounts.wait_for_connection(request.id)``. ``extra`` holds what else
    the API said (``link_token``, ``expires_at`` for a link).
    """

    id: str
    status: str
    redirect_url: str | None = None
    extra: Mapping[str, Any] = _extra()
    _client: Any = field(default=None, repr=False, compare=False)

    def _bound_client(self) -> Any:
        if self._client is None:
            from composio.errors import ComposioError

            raise ComposioError(
                f"This ConnectionRequest ({self.id}) is not bound to a client (it was unpickled "
                "or built by hand): call client.connected_accounts.wait_for_connection("
                f"{self.id!r}) instead."
            )
        return self._client

    def wait_for_connection(self, timeout: float = 60.0) -> ConnectedAccount:
        """Poll until the account is ``ACTIVE`` (returned); see
        ``connected_accounts.wait_for_connection`` for the errors."""
        account: ConnectedAccount = self._bound_client().connected_accounts.wait_for_connection(
            self.id, timeout=timeout
        )
        return account

    def __copy__(self) -> ConnectionRequest:
        return self  # immutable: a copy (shallow or deep) keeps its binding to the client

    def __deepcopy__(self, memo: Any) -> ConnectionRequest:
        return self

    def __reduce__(self) -> Any:
        return (
            _connection_request,
            (
                type(self),
                self.id,
                self.status,
                self.redirect_url,
                dict(self.extra),
                self._request_id,
            ),
        )


def _connection_request(
    cls: type[ConnectionRequest],
    id: str,
    status: str,
    redirect_url: str | None,
    extra: Any,
    request_id: str | None = None,
) -> ConnectionRequest:
    request = cls(id, status, redirect_url, MappingProxyType(extra) if extra else _EMPTY)
    if request_id is not None:
        set_request_id(request, request_id)
    return request


@dataclass(frozen=True, slots=True)
class AsyncConnectionRequest(ConnectionRequest):
    """The async client's :class:`ConnectionRequest`: ``await request.wait_for_connection()``."""

    async def wait_for_connection(  # type: ignore[override]
        self, timeout: float = 60.0
    ) -> ConnectedAccount:
        account: ConnectedAccount = (
            await self._bound_client().connected_accounts.wait_for_connection(
                self.id, timeout=timeout
            )
        )
        return account


@dataclass(frozen=True, slots=True)
class AuthConfig(_Parsed):
    """How a toolkit's users authenticate (``/auth_configs``): Composio-managed or custom.

    ``auth_configs.create`` answers with a short form (``id``, ``auth_scheme``,
    ``is_composio_managed``, the toolkit); the other fields are then ``None``.
    """

    id: str
    name: str | None = None
    type: str | None = None
    toolkit: ToolkitRef | None = None
    auth_scheme: str | None = None
    is_composio_managed: bool | None = None
    status: str | None = None
    credentials: Mapping[str, Any] | None = None
    proxy_config: Mapping[str, Any] | None = None
    tool_access_config: Mapping[str, Any] | None = None
    restrict_to_following_tools: tuple[str, ...] | None = None
    no_of_connections: Any = None
    uuid: str | None = None
    created_by: str | None = None
    created_at: str | None = None
    last_updated_at: str | None = None
    extra: Mapping[str, Any] = _extra()

    @classmethod
    def from_created(cls, data: object) -> AuthConfig:
        """``POST /auth_configs`` answers ``{toolkit, auth_config: {id, ...}}``: one object."""
        if not isinstance(data, Mapping) or not isinstance(data.get("auth_config"), Mapping):
            raise ShapeError("expected an object with an 'auth_config' object")
        flat = dict(data["auth_config"])
        flat.setdefault("toolkit", data.get("toolkit"))
        return cls.from_dict(flat)


@dataclass(frozen=True, slots=True)
class ToolkitCategory(_Parsed):
    """One of ``GET /toolkits/categories``: ``id`` is what ``toolkits.list(category=)`` takes."""

    id: str
    name: str | None = None
    extra: Mapping[str, Any] = _extra()


@dataclass(frozen=True, slots=True)
class ToolkitChangelog(_Parsed):
    """A toolkit's versions and what changed in each (``GET /toolkits/changelog``);
    ``versions`` is a tuple of ``{"version": ..., "changelog": ...}`` objects."""

    slug: str
    name: str | None = None
    display_name: str | None = None
    versions: tuple[Mapping[str, Any], ...] | None = None
    extra: Mapping[str, Any] = _extra()


@dataclass(frozen=True, slots=True)
class ProxyResponse(_Parsed):
    """What the toolkit's API answered to ``tools.proxy``: its ``status``, ``data`` (any
    JSON), ``headers`` and, for a binary answer, ``binary_data`` (a download URL)."""

    status: int
    data: Any = None
    headers: Mapping[str, Any] | None = None
    binary_data: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = _extra()


@dataclass(frozen=True, slots=True)
class ToolInput(_Parsed):
    """Arguments the API generated for a tool from a sentence (``tools.input``); ``error``
    says why, when it could not."""

    arguments: Mapping[str, Any] | None = None
    error: str | None = None
    extra: Mapping[str, Any] = _extra()


# -- triggers, tool router, MCP, files (SPEC §14) ------------------------------------------
# Appended as one block (several resources are being added at once); the module's
# ``__all__`` is extended here, not above, for the same reason.


@dataclass(frozen=True, slots=True)
class TriggerType(_Parsed):
    """A kind of event a toolkit can send (``GET /triggers_types``, ``/triggers_types/{slug}``).

    ``config`` is the JSON schema of the ``trigger_config`` that ``triggers.create`` needs;
    ``payload`` the schema of the ``data`` each event carries.
    """

    slug: str
    name: str | None = None
    description: str | None = None
    instructions: str | None = None
    type: str | None = None  #: ``"webhook"`` or ``"poll"``
    toolkit: ToolkitRef | None = None
    config: Mapping[str, Any] | None = None
    payload: Mapping[str, Any] | None = None
    version: str | None = None
    extra: Mapping[str, Any] = _extra()


@dataclass(frozen=True, slots=True)
class TriggerInstance(_Parsed):
    """A trigger set up on one connected account (``GET /trigger_instances/active``).

    ``disabled_at`` is ``None`` while the trigger is enabled. The API's camelCase duplicates
    (``triggerName``, ``connectedAccountId``...) land in ``.extra``.
    """

    id: str
    trigger_name: str | None = None
    connected_account_id: str | None = None
    user_id: str | None = None
    trigger_config: Mapping[str, Any] | None = None
    state: Mapping[str, Any] | None = None
    updated_at: str | None = None
    disabled_at: str | None = None
    uuid: str | None = None
    connected_account_uuid: str | None = None
    trigger_data: str | None = None
    version: str | None = None  #: v3.1: the trigger type's version it runs
    extra: Mapping[str, Any] = _extra()

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class ToolRouterSession(_Parsed):
    """A tool-router session: a user's view of the catalog, served as one MCP endpoint, and
    live (SPEC §18) when the client made it (``tool_router.create_session`` / ``use``).

    Live methods, through the client that made it (its session headers, provider, plugins,
    custom tools): :meth:`tools` (the session's meta tools and the client's custom tools,
    wrapped by the client's provider), :meth:`search`, :meth:`execute`,
    :meth:`handle_tool_calls`, :meth:`authorize` and :meth:`toolkits`. The binding is not
    pickled or compared (a client holds sockets): an unpickled session keeps its data;
    reattach with ``client.tool_router.use(session.session_id)``.
    """

    session_id: str
    mcp: Mapping[str, Any] | None = None
    tool_router_tools: tuple[str, ...] | None = None
    config: Mapping[str, Any] | None = None
    #: v3.1: bumped by each change of the session's config (``None`` from a v3 server)
    config_version: int | None = None
    extra: Mapping[str, Any] = _extra()
    _client: Any = field(default=None, repr=False, compare=False)

    @property
    def mcp_url(self) -> str | None:
        """The session's MCP endpoint (``mcp.url``)."""
        value = (self.mcp or {}).get("url")
        return value if isinstance(value, str) else None

    @property
    def user_id(self) -> str | None:
        """The session's user (``config.user_id``)."""
        value = (self.config or {}).get("user_id")
        return value if isinstance(value, str) else None

    def _router(self) -> Any:
        """The bound client's ``tool_router`` facade, which holds the live logic (so the
        async twin below only awaits it)."""
        if self._client is None:
            from composio.errors import ComposioError

            raise ComposioError(
                f"This ToolRouterSession ({self.session_id}) is not bound to a client (it was "
                "unpickled or built by hand): reattach with client.tool_router.use("
                f"{self.session_id!r})."
            )
        return self._client.tool_router

    def tools(self, *, modifiers: Sequence[Any] | None = None) -> list[object]:
        """The session's meta tools plus the client's custom tools, through the schema
        modifiers and hooks, wrapped by the client's provider."""
        tools: list[object] = self._router()._live_tools(self, modifiers)
        return tools

    def search(self, query: str) -> ToolRouterSearch:
        """The session's tools for a use case (``POST …/search``)."""
        found: ToolRouterSearch = self._router()._live_search(self, query)
        return found

    def execute(self, slug: str, arguments: Mapping[str, Any] | None = None) -> ToolRouterExecution:
        """Run a tool as the session's user: a custom tool of the client here, a meta tool
        or a catalog tool on the server; a multi-execute batch is split between the two."""
        result: ToolRouterExecution = self._router()._live_execute(self, slug, arguments)
        return result

    def handle_tool_calls(
        self,
        response: object,
        *,
        modifiers: Sequence[Any] | None = None,
        parallel: bool = False,
    ) -> list[object]:
        """Answer the tool calls in an LLM ``response`` as ``tools.handle_tool_calls`` does
        (every call answered, mistakes and failures as error results), in this session."""
        answers: list[object] = self._router()._live_handle(self, response, modifiers, parallel)
        return answers

    def authorize(self, toolkit: str, *, callback_url: str | None = None) -> ConnectionRequest:
        """A connection link for the session's user to connect ``toolkit``; wait on it with
        ``request.wait_for_connection()``."""
        request: ConnectionRequest = self._router()._live_authorize(self, toolkit, callback_url)
        return request

    def toolkits(self) -> Page[ToolRouterToolkit]:
        """The session's toolkits, connected or not."""
        page: Page[ToolRouterToolkit] = self._router().session_toolkits(self.session_id)
        return page

    def __copy__(self) -> ToolRouterSession:
        return self  # immutable: a copy keeps its binding to the client

    def __deepcopy__(self, memo: Any) -> ToolRouterSession:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        state["extra"] = dict(state["extra"])
        state["_client"] = None  # the binding stays in this process
        return (_restore, (type(self), state))


@dataclass(frozen=True, slots=True)
class AsyncToolRouterSession(ToolRouterSession):
    """The async client's :class:`ToolRouterSession`: its I/O methods are awaited. A
    hand-written twin of thin delegations (``tests/unit/test_parity.py`` keeps it equal)."""

    async def tools(  # type: ignore[override]
        self, *, modifiers: Sequence[Any] | None = None
    ) -> list[object]:
        tools: list[object] = await self._router()._live_tools(self, modifiers)
        return tools

    async def search(self, query: str) -> ToolRouterSearch:  # type: ignore[override]
        found: ToolRouterSearch = await self._router()._live_search(self, query)
        return found

    async def execute(  # type: ignore[override]
        self, slug: str, arguments: Mapping[str, Any] | None = None
    ) -> ToolRouterExecution:
        result: ToolRouterExecution = await self._router()._live_execute(self, slug, arguments)
        return result

    async def handle_tool_calls(  # type: ignore[override]
        self,
        response: object,
        *,
        modifiers: Sequence[Any] | None = None,
        parallel: bool = False,
    ) -> list[object]:
        answers: list[object] = await self._router()._live_handle(
            self, response, modifiers, parallel
        )
        return answers

    async def authorize(  # type: ignore[override]
        self, toolkit: str, *, callback_url: str | None = None
    ) -> AsyncConnectionRequest:
        request: AsyncConnectionRequest = await self._router()._live_authorize(
            self, toolkit, callback_url
        )
        return request

    async def toolkits(self) -> AsyncPage[ToolRouterToolkit]:  # type: ignore[override]
        page: AsyncPage[ToolRouterToolkit] = await self._router().session_toolkits(self.session_id)
        return page


@dataclass(frozen=True, slots=True)
class ToolRouterExecution(_Parsed):
    """What a tool (or a meta tool) run in a tool-router session returned.

    The API reports a tool's own failure as ``error`` in a 200 answer; ``successful`` is
    ``error is None``.
    """

    data: Mapping[str, Any] | None = None
    error: str | None = None
    log_id: str | None = None
    extra: Mapping[str, Any] = _extra()

    @property
    def successful(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class ToolRouterSearch(_Parsed):
    """What a session's search found (``POST …/search``): one result per query (its
    ``primary_tool_slugs``...), the tools' schemas by slug and the toolkits' connection
    statuses. :attr:`tool_slugs` lists the primary tools of every query, once each."""

    success: bool | None = None
    error: str | None = None
    results: tuple[Mapping[str, Any], ...] | None = None
    tool_schemas: Mapping[str, Any] | None = None
    toolkit_connection_statuses: tuple[Mapping[str, Any], ...] | None = None
    next_steps_guidance: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = _extra()

    @property
    def tool_slugs(self) -> list[str]:
        out: list[str] = []
        for result in self.results or ():
            slugs = result.get("primary_tool_slugs")
            for slug in slugs if isinstance(slugs, list) else ():
                if isinstance(slug, str) and slug not in out:
                    out.append(slug)
        return out


@dataclass(frozen=True, slots=True)
class ToolRouterLink(_Parsed):
    """A connection link made in a session: send the user to ``redirect_url``."""

    redirect_url: str
    connected_account_id: str | None = None
    link_token: str | None = None
    extra: Mapping[str, Any] = _extra()


@dataclass(frozen=True, slots=True)
class ToolRouterToolkit(_Parsed):
    """A toolkit as a session sees it: enabled or not, connected or not."""

    slug: str
    name: str | None = None
    enabled: bool | None = None
    is_no_auth: bool | None = None
    composio_managed_auth_schemes: tuple[str, ...] | None = None
    meta: Mapping[str, Any] | None = None
    connected_account: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = _extra()


@dataclass(frozen=True, slots=True)
class McpServer(_Parsed):
    """An MCP server configuration (``/mcp/servers``, ``/mcp/{id}``).

    ``server_instance_count`` is kept as the JSON number the API sent.
    """

    id: str
    name: str | None = None
    mcp_url: str | None = None
    auth_config_ids: tuple[str, ...] | None = None
    allowed_tools: tuple[str, ...] | None = None
    toolkits: tuple[str, ...] | None = None
    toolkit_icons: Mapping[str, Any] | None = None
    commands: Mapping[str, Any] | None = None
    managed_auth_via_composio: bool | None = None
    server_instance_count: Any = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted: bool | None = None
    extra: Mapping[str, Any] = _extra()


@dataclass(frozen=True, slots=True)
class McpUrls(_Parsed):
    """``mcp.generate``: the server's URL, and one per user id / connected account asked for."""

    mcp_url: str
    user_ids_url: tuple[str, ...] | None = None
    connected_account_urls: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = _extra()


@dataclass(frozen=True, slots=True)
class McpInstance(_Parsed):
    """One user's instance of an MCP server; ``instance_id`` is that user's id."""

    id: str
    instance_id: str | None = None
    mcp_server_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    extra: Mapping[str, Any] = _extra()


@dataclass(frozen=True, slots=True)
class FileRef(_Parsed):
    """A file stored for a tool: listed by ``files.list``, returned by ``files.upload``.

    ``key`` (the storage key a tool argument refers to) is known after an upload; the list
    endpoint does not return it. :meth:`as_tool_argument` is the shape file-taking tools
    expect.
    """

    filename: str
    mimetype: str | None = None
    md5: str | None = None
    toolkit_slug: str | None = None
    tool_slug: str | None = None
    key: str | None = None
    extra: Mapping[str, Any] = _extra()

    def as_tool_argument(self) -> dict[str, Any]:
        return {"name": self.filename, "mimetype": self.mimetype, "s3key": self.key}


__all__ += [
    "AsyncToolRouterSession",
    "FileRef",
    "McpInstance",
    "McpServer",
    "McpUrls",
    "ToolRouterExecution",
    "ToolRouterLink",
    "ToolRouterSearch",
    "ToolRouterSession",
    "ToolRouterToolkit",
    "TriggerInstance",
    "TriggerType",
]
