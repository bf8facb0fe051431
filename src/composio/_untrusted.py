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
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from composio.models import ToolExecution

__all__ = ["MAX_DEPTH", "UntrustedJSONError", "checked_result", "json_value"]

#: The deepest nesting accepted (containers inside containers). Real tool arguments and
#: results stay far below it; ``json`` and every recursive walker (ours, a plugin's) stay far
#: below Python's recursion limit.
MAX_DEPTH = 100

_PLAIN = (str, int, bool, type(None))


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


def _copy(value: object, strict: bool, depth: int, path: set[int]) -> Any:
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, float):
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
                out[key] = _copy(item, strict, depth + 1, path)
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
    finally:
        path.discard(ident)


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
    if result.error is not None and not isinstance(result.error, str):
        raise UntrustedJSONError(f"error is a {type(result.error).__name__}, not a str")
    if result.data is None:
        return result
    if not isinstance(result.data, Mapping):
        raise UntrustedJSONError(
            f"data is a {type(result.data).__name__}; it must be a JSON object (a dict) or None"
        )
    return dataclasses.replace(result, data=json_value(result.data, "data", strict=False))
