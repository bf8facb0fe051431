"""Header names, values and layers (SPEC §4).

Everything is validated when a layer is *built* (``Composio(...)``, ``create_session``,
``with_options``, a call's ``extra_headers``), never while a request is in flight, so a bad
header fails early with a message that names it and never echoes its value.

A *layer* is stored pre-folded: ``{lower_name: (spelling, value_or_None)}``. Folding a new
layer over an old one is one dict merge, which is what keeps ``create_session`` in the
microsecond range.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, MutableMapping
from types import MappingProxyType
from typing import TypeAlias

from composio.errors import ValidationError

__all__ = [
    "FRAMING_HEADERS",
    "RESERVED_HEADERS",
    "FrozenHeaders",
    "Headers",
    "Layer",
    "build_layer",
    "check_name",
    "check_value",
    "fold_layers",
]

#: Headers the SDK owns, with the knob a user should turn instead.
RESERVED_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "x-api-key": "pass api_key= to Composio(...) instead",
        "x-source": "it is set by the SDK",
        "x-sdk-version": "it is set by the SDK",
        "x-runtime": "it is set by the SDK",
        "x-framework": "pass provider= to Composio(...) instead (its name is sent)",
    }
)

# RFC 9110 §5.6.2 token.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# CR, LF, NUL and every other control character except horizontal tab; DEL too.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 9110 §5.5 field-vchar without obs-text, plus SP and HTAB: anything else is refused. Why
# not allow obs-text (0x80-0xFF): requests encodes values as latin-1, so "é" would be sent as
# one raw byte a server decodes differently, and "€" would raise UnicodeEncodeError at send
# time, mid-call, instead of here.
_NOT_FIELD_VALUE = re.compile(r"[^\t\x20-\x7e]")

#: Headers that frame the message on the wire (RFC 9110 §7.6.1, RFC 9112 §6-§7, ``host``):
#: the transport computes them; a caller's value would desynchronise body and framing.
FRAMING_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
    }
)

#: A folded layer: lower-cased name -> (spelling to send, value or None for "remove").
Layer: TypeAlias = Mapping[str, tuple[str, "str | None"]]

HeaderInput: TypeAlias = "Mapping[str, str | None] | None"


def _check(name: object, value: object, where: str, allow_none: bool) -> tuple[str, str | None]:
    check_name(name, where)
    assert isinstance(name, str)
    lower = name.lower()
    if lower in RESERVED_HEADERS:
        raise ValidationError(f"Header {name!r} in {where} is reserved: {RESERVED_HEADERS[lower]}.")
    if lower in FRAMING_HEADERS:
        raise ValidationError(
            f"Header {name!r} in {where} frames the HTTP message and is set by the SDK's "
            "transport; remove it (a caller's value could desynchronise the connection)."
        )
    if value is None:
        if not allow_none:
            raise ValidationError(f"Header {name!r} in {where} has value None; use a string.")
        return name, None
    return name, check_value(name, value, where)


def check_name(name: object, where: str) -> None:
    """A header name must be an RFC 9110 token; the error shows it only if short."""
    if not isinstance(name, str) or not _TOKEN.match(name):
        shown = repr(name) if isinstance(name, str) and len(name) <= 64 else "<invalid>"
        raise ValidationError(
            f"Invalid header name {shown} in {where}: a header name must be a non-empty "
            "RFC 9110 token (letters, digits and !#$%&'*+-.^_`|~, no spaces or colons)."
        )


def check_value(name: str, value: object, where: str) -> str:
    """A header value must be a str of visible ASCII, space and tab; never shown."""
    if not isinstance(value, str):
        raise ValidationError(
            f"Header {name!r} in {where} must have a str value, not {type(value).__name__}."
        )
    if _NOT_FIELD_VALUE.search(value):
        if _CONTROL.search(value):
            raise ValidationError(
                f"Header {name!r} in {where} has a value containing CR, LF, NUL or another "
                "control character (header injection); the value is not shown."
            )
        raise ValidationError(
            f"Header {name!r} in {where} has a value with a character outside visible ASCII, "
            "space and tab (RFC 9110); encode non-ASCII text first (for example "
            "urllib.parse.quote). The value is not shown."
        )
    return value


def build_layer(headers: HeaderInput, where: str, allow_none: bool = True) -> Layer:
    """Validate and fold one mapping of headers into a layer (a private copy)."""
    if not headers:
        return {}
    if not isinstance(headers, Mapping):
        raise ValidationError(
            f"{where} must be a mapping of header name to str, not {type(headers).__name__}."
        )
    layer: dict[str, tuple[str, str | None]] = {}
    for name, value in headers.items():
        spelled, checked = _check(name, value, where, allow_none)
        layer[spelled.lower()] = (spelled, checked)
    return layer


def fold_layers(lower: Layer, upper: Layer) -> Layer:
    """``upper`` over ``lower``; a ``None`` in ``upper`` stays as a removal marker."""
    if not upper:
        return lower
    if not lower:
        return upper
    merged = dict(lower)
    merged.update(upper)
    return merged


class Headers(MutableMapping[str, str]):
    """A case-insensitive header dict owned by one request; the last writer's spelling wins."""

    __slots__ = ("_store",)

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self._store: dict[str, tuple[str, str]] = {}
        if initial:
            for k, v in initial.items():
                self._store[k.lower()] = (k, v)

    def __getitem__(self, name: str) -> str:
        return self._store[name.lower()][1]

    def __setitem__(self, name: str, value: str) -> None:
        self._store[name.lower()] = (name, value)

    def __delitem__(self, name: str) -> None:
        del self._store[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._store

    def __iter__(self) -> Iterator[str]:
        return (spelled for spelled, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        item = self._store.get(name.lower())
        return default if item is None else item[1]

    def apply(self, layer: Layer) -> None:
        """Write a folded layer over these headers, honouring its removal markers."""
        store = self._store
        for lower, (spelled, value) in layer.items():
            if value is None:
                store.pop(lower, None)
            else:
                store[lower] = (spelled, value)

    def extend(self, layer: Layer) -> None:
        """Write a layer known to hold no removal marker (built-in layers, checked once when
        the client was built): one C-level ``dict.update``, no per-header loop."""
        self._store.update(layer)  # type: ignore[arg-type]

    def values_outside(self, names: frozenset[str]) -> frozenset[str]:
        """The non-empty values of every header whose lower-cased name is not in ``names``
        (``composio._redact.secret_values``: what a server's answer must not echo). A set
        difference of the names first, so only the few secret headers are visited, not
        every header of the request."""
        store = self._store
        return frozenset([value for name in store.keys() - names if (value := store[name][1])])

    def to_wire(self) -> dict[str, str]:
        """A plain dict with the spellings to send."""
        return dict(self._store.values())

    def copy(self) -> Headers:
        new = Headers()
        new._store = dict(self._store)
        return new

    def __repr__(self) -> str:
        from composio._redact import redact_headers

        return f"Headers({redact_headers(self.to_wire())!r})"


class FrozenHeaders(Mapping[str, str]):
    """The read-only, case-insensitive view behind ``client.headers``."""

    __slots__ = ("_store",)

    def __init__(self, layer: Layer) -> None:
        self._store = {k: sv for k, sv in layer.items() if sv[1] is not None}

    def __getitem__(self, name: str) -> str:
        value = self._store[name.lower()][1]
        assert value is not None
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._store

    def __iter__(self) -> Iterator[str]:
        return (spelled for spelled, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def __setitem__(self, name: str, value: str) -> None:
        raise TypeError("client.headers is read-only; use create_session(headers=...) instead")

    def __delitem__(self, name: str) -> None:
        raise TypeError("client.headers is read-only; use create_session(headers={name: None})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {k.lower(): v for k, v in self.items()} == {
            str(k).lower(): v for k, v in other.items()
        }

    def __hash__(self) -> int:
        return hash(frozenset((k, v) for k, (_, v) in self._store.items()))

    def __repr__(self) -> str:
        from composio._redact import redact_headers

        return f"FrozenHeaders({redact_headers(dict(self.items()))!r})"
