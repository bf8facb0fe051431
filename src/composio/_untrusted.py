"""The one check for JSON that crosses the tool layer's boundary (SPEC §15, issue 16).

Arguments come from an LLM (or an application passing them on), results from the API, a
custom tool or a modifier: all untrusted in shape. Each is copied into plain JSON data here --
``dict`` with ``str`` keys, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None`` -- or
refused with a message naming where it went wrong, so that nothing downstream (the request
body, a plugin walking the data, a provider's ``json.dumps``) can meet a tuple key, a cycle or a
nesting deep enough to raise ``RecursionError``.

``strict`` (arguments: they are sent as a JSON body) refuses every value JSON cannot hold.
Otherwise (results: the model reads text) the values JSON cannot hold keep the documented
rule of ``docs/design-decisions.md`` ("what a tool result says to the model"): sets become
lists, NaN/infinities and other objects their ``str()``. Structure is never repaired: a key
that is not a string, a container inside itself and depth beyond :data:`MAX_DEPTH` are
refused in both modes.

Scalars are checked too, since every later step writes them as UTF-8 JSON: a string holding a
lone surrogate (``"\\ud800"`` is valid JSON an LLM can send, and UTF-8 cannot encode it) is
refused in ``strict`` mode and has each surrogate replaced by U+FFFD otherwise; an integer
longer than Python's digit limit for ``str()`` (``sys.get_int_max_str_digits``, 4300) cannot be
written at all and is refused in both modes. A container whose reading raises (a user's
``Mapping`` whose ``items()`` raises) is refused naming the place, as is a key whose hash raises:
subclasses of ``str``/``int`` are copied to the plain type, so no user code runs after this check.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from composio.models import ToolExecution

__all__ = ["MAX_DEPTH", "UntrustedJSONError", "checked_result", "exception_text", "json_value"]

#: The deepest nesting accepted (containers inside containers). Real tool arguments and
#: results stay far below it; ``json`` and every recursive walker (ours, a plugin's) stay far
#: below Python's recursion limit.
MAX_DEPTH = 100

#: A lone surrogate: UTF-8 (and so every JSON body, file and provider message) cannot hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")

#: Below this many bits an int has fewer digits than any digit limit Python allows (640 is
#: the smallest ``sys.set_int_max_str_digits`` accepts): no need to try ``str()``.
_SAFE_INT_BITS = 2000


class UntrustedJSONError(ValueError):
    """Why a value cannot cross the boundary; its text names the place (``data['a'][0]``)."""


def json_value(value: object, what: str, *, strict: bool) -> Any:
    """A plain-JSON copy of ``value``; :class:`UntrustedJSONError` names what is wrong.

    ``what`` names the value in messages (``"arguments"``, ``"data"``); the place inside it
    is added (``data['rows'][3]``), built only when something is wrong.
    """
    try:
        return _copy(value, strict, 0, set())
    except _Bad as bad:
        keys = [f"[{_short(k)}]" for k in reversed(bad.keys)]
        if len(keys) > 6:  # a deep place: its start and its end say enough
            keys[3:-2] = ["..."]
        place = what + "".join(keys)
        raise UntrustedJSONError(f"{place} {bad.reason}") from None


class _Bad(Exception):
    """Raised at the bad value; each container on the way out adds its key."""

    def __init__(self, reason: str, *, here: bool = False) -> None:
        self.reason = reason
        #: raised by the container itself (a bad key): the first container adds no key
        self.here = here
        self.keys: list[object] = []


def _text(value: str, strict: bool) -> str:
    """``value`` as a plain ``str`` UTF-8 can encode (see the module docstring)."""
    value = str.__str__(value)  # a subclass's methods are user code; this is a plain copy
    if value.isascii() or _SURROGATE.search(value) is None:
        return value
    if strict:
        at = _SURROGATE.search(value)
        assert at is not None
        raise _Bad(
            f"holds a lone surrogate ({ord(at.group()):#06x} at index {at.start()}), which "
            "UTF-8 cannot encode"
        )
    return _SURROGATE.sub("\ufffd", value)


def _integer(value: int) -> int:
    """``value`` as a plain ``int`` that ``str()`` (and so ``json``) can write."""
    value = int.__index__(value)  # a plain int, even of a subclass
    if value.bit_length() > _SAFE_INT_BITS:
        limit = sys.get_int_max_str_digits()
        if limit and abs(value) >= 10**limit:
            raise _Bad(f"is an integer with more than {limit} digits, which JSON cannot write")
    return value


def _copy(value: object, strict: bool, depth: int, path: set[int]) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _text(value, strict)
    if isinstance(value, int):
        return _integer(value)
    if isinstance(value, float):
        value = float(value)
        if math.isfinite(value):
            return value
        if strict:
            raise _Bad(f"is {value!r}, which JSON cannot hold")
        return str(value)
    if not isinstance(value, (Mapping, list, tuple, set, frozenset)):
        if strict:
            raise _Bad(f"is of type {type(value).__name__}, which JSON cannot hold")
        try:
            return str(value)
        except Exception as exc:  # a user's __str__ is untrusted code too
            why = f"is of type {type(value).__name__} whose str() raised {type(exc).__name__}"
            raise _Bad(why) from None
    if depth >= MAX_DEPTH:
        raise _Bad(f"is nested deeper than {MAX_DEPTH} levels")
    if strict and isinstance(value, (set, frozenset)):
        raise _Bad(f"is a {type(value).__name__}, which JSON cannot hold")
    ident = id(value)
    if ident in path:
        raise _Bad("contains itself (a cycle)")
    path.add(ident)
    key: object = None
    try:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise _Bad(
                        f"has a key {_short(key)} of type {type(key).__name__}; keys must be "
                        "strings",
                        here=True,
                    )
                try:
                    plain = _text(key, strict)
                except _Bad as bad:
                    raise _Bad(f"has a key that {bad.reason}", here=True) from None
                out[plain] = _copy(item, strict, depth + 1, path)
            return out
        items = []
        for key, item in enumerate(value):  # noqa: B007 (key names the place on error)
            items.append(_copy(item, strict, depth + 1, path))
        return items
    except _Bad as bad:
        if bad.here:
            bad.here = False
        else:
            bad.keys.append(key)
        raise
    except Exception as exc:  # reading a user's container (items(), __iter__) raised
        # raised past this container's own ``_Bad`` handler: it adds no key, its parents do
        raise _Bad(
            f"could not be read: its {type(value).__name__} raised {type(exc).__name__}"
        ) from None
    finally:
        path.discard(ident)


def exception_text(exc: BaseException) -> str:
    """``"Type: message"`` of an exception raised by user code (a custom tool, a modifier, a
    plugin's hook), for a message the model or the application reads: its ``str()`` is user
    code too (it may raise), and its text may hold lone surrogates UTF-8 cannot encode."""
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:
        text = f"{type(exc).__name__} (its message could not be read)"
    return _text(text, strict=False)


def _short(key: object) -> str:
    try:
        text = repr(key)
    except Exception:
        text = f"<{type(key).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def checked_result(result: ToolExecution) -> ToolExecution:
    """``result`` with plain-JSON ``data``, or :class:`UntrustedJSONError` saying why not:
    ``data`` must be a JSON object or ``None``, ``successful`` a bool, ``error`` a str or
    ``None`` (a modifier or a custom tool can build any ``ToolExecution``)."""
    if not isinstance(result.successful, bool):
        raise UntrustedJSONError(f"successful is a {type(result.successful).__name__}, not a bool")
    if result.error is not None:
        if not isinstance(result.error, str):
            raise UntrustedJSONError(f"error is a {type(result.error).__name__}, not a str")
        error = _text(result.error, strict=False)  # the model reads it too
        if error is not result.error:
            result = dataclasses.replace(result, error=error)
    if result.data is None:
        # A server's ``data`` of another JSON type is kept in ``extra`` by the tolerant
        # parser (``models.parse_model``); read as "no data" it would tell the model that
        # the tool succeeded with nothing, so it is this check's refusal like any other.
        misplaced = result.extra.get("data")
        if misplaced is not None:
            raise UntrustedJSONError(
                f"data is a {type(misplaced).__name__}; it must be a JSON object (a dict) or None"
            )
        return result
    if not isinstance(result.data, Mapping):
        raise UntrustedJSONError(
            f"data is a {type(result.data).__name__}; it must be a JSON object (a dict) or None"
        )
    return dataclasses.replace(result, data=json_value(result.data, "data", strict=False))
