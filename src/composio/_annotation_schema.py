"""Python annotations to JSON Schema, and a small validator for the schemas made here.

Custom tools (SPEC §15) describe their input with ordinary type hints; the model reads the
JSON Schema made from them. Only what maps cleanly onto JSON is accepted -- str, int, float,
bool, None, list[X], dict[str, X], Optional/Union, Literal, TypedDict, and classes with
``model_json_schema()`` (pydantic v2 models) -- so that what the model sends can be handed to
the function as is. Anything else is refused when the tool is defined, not when it is called.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union

__all__ = ["SchemaError", "Schemas", "validate"]

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list, tuple),
    "object": (Mapping,),
}


def _requiredness(origin: object) -> bool | None:
    """``True`` for a ``Required[...]`` marker, ``False`` for ``NotRequired[...]``, else None.

    ``typing``'s (3.11+) or typing_extensions' (3.10): the latter is looked up only if already
    imported -- a TypedDict using its markers imported it -- so this module never pays for it.
    """
    for module in (typing, sys.modules.get("typing_extensions")):
        if module is None:
            continue
        if origin is not None and origin is getattr(module, "Required", object()):
            return True
        if origin is not None and origin is getattr(module, "NotRequired", object()):
            return False
    return None


class SchemaError(TypeError):
    """An annotation has no JSON Schema here; the message says which and what is accepted."""


_ACCEPTED = (
    "use str, int, float, bool, list[X], dict[str, X], Optional[X], Literal[...], a TypedDict "
    "or a pydantic model"
)


def _is_typeddict(tp: object) -> typing.TypeGuard[type]:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


class Schemas:
    """Builds schemas for one tool, collecting the ``$defs`` of nested pydantic models.

    A pydantic model's schema refers to its sub-models as ``#/$defs/Name`` -- relative to the
    document root -- so their definitions are hoisted into the tool's root schema.
    """

    def __init__(self) -> None:
        self.defs: dict[str, Any] = {}

    def of(self, tp: object) -> dict[str, Any]:
        description: str | None = None
        if typing.get_origin(tp) is typing.Annotated:
            tp, *meta = typing.get_args(tp)
            description = next((m for m in meta if isinstance(m, str)), None)
        schema = self._of(tp)
        if description:
            schema = {**schema, "description": description}
        return schema

    def _of(self, tp: object) -> dict[str, Any]:
        if tp is Any or tp is object:
            raise SchemaError(f"{_name(tp)} says nothing the model could follow; {_ACCEPTED}")
        if tp is None or tp is type(None):
            return {"type": "null"}
        if tp in _SCALARS:
            return {"type": _SCALARS[tp]}
        if tp is list:
            return {"type": "array"}
        if tp is dict:
            return {"type": "object"}
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is list:
            return {"type": "array", "items": self.of(args[0])}
        if origin is dict:
            if args[0] is not str:
                raise SchemaError(f"{_name(tp)}: JSON object keys are strings; use dict[str, X]")
            return {"type": "object", "additionalProperties": self.of(args[1])}
        if origin is Union or origin is types.UnionType:
            return self._union(args)
        if origin is Literal:
            return _literal(tp, args)
        if _is_typeddict(tp):
            return self._typeddict(tp)
        dump = getattr(tp, "model_json_schema", None)
        if isinstance(tp, type) and callable(dump):
            return self._model(tp, dump())
        raise SchemaError(f"{_name(tp)} is not supported; {_ACCEPTED}")

    def _union(self, args: tuple[Any, ...]) -> dict[str, Any]:
        options = [self.of(a) for a in args if a is not type(None)]
        nullable = len(options) < len(args)
        if len(options) == 1 and nullable:
            only = options[0]
            # Optional[str] -> {"type": ["string", "null"]}: the plain form models read best.
            if isinstance(only.get("type"), str) and "enum" not in only:
                return {**only, "type": [only["type"], "null"]}
        if nullable:
            options.append({"type": "null"})
        return {"anyOf": options}

    def _typeddict(self, tp: type) -> dict[str, Any]:
        hints = typing.get_type_hints(tp, include_extras=True)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for key, hint in hints.items():
            marked = _requiredness(typing.get_origin(hint))
            if marked is not None:
                is_required = marked
                hint = typing.get_args(hint)[0]
            else:
                # Decided by the class's totality; __required_keys__ misses markers written
                # as strings on older Pythons, which the branch above catches.
                is_required = key in tp.__required_keys__  # type: ignore[attr-defined]
            try:
                properties[key] = self.of(hint)
            except SchemaError as exc:
                raise SchemaError(f"{tp.__name__}.{key}: {exc}") from None
            if is_required:
                required.append(key)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return schema

    def _model(self, tp: type, schema: dict[str, Any]) -> dict[str, Any]:
        schema = dict(schema)
        for name, definition in (schema.pop("$defs", None) or {}).items():
            if self.defs.setdefault(name, definition) != definition:
                raise SchemaError(
                    f"two different models are named {name!r}; rename one so their schemas "
                    "do not collide"
                )
        return schema


def _literal(tp: object, values: tuple[Any, ...]) -> dict[str, Any]:
    kinds = set()
    for value in values:
        if value is None:
            kinds.add("null")
        elif type(value) in _SCALARS:
            kinds.add(_SCALARS[type(value)])
        else:
            raise SchemaError(f"{_name(tp)}: Literal values must be str, int, float, bool or None")
    schema: dict[str, Any] = {"enum": list(values)}
    if len(kinds) == 1:
        schema["type"] = kinds.pop()
    return schema


def _name(tp: object) -> str:
    return getattr(tp, "__name__", None) or repr(tp)


def validate(value: object, schema: Mapping[str, Any], where: str) -> str | None:
    """Why ``value`` does not fit ``schema`` (a schema made above), or ``None`` if it does.

    Minimal on purpose: JSON types, ``enum``, ``anyOf``, array items, object properties,
    required and extra keys. A ``$ref`` (part of a pydantic model) is left to the model's own
    validation.
    """
    if "$ref" in schema:
        return None
    if "anyOf" in schema:
        if any(validate(value, option, where) is None for option in schema["anyOf"]):
            return None
        return f"{where} matches none of the allowed types"
    if "enum" in schema and not any(value == v and type(value) is type(v) for v in schema["enum"]):
        return f"{where} must be one of {schema['enum']!r}, got {value!r:.60}"
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is(value, k) for k in kinds):
            return f"{where} must be {' or '.join(kinds)}, got {_json_name(value)}"
    if isinstance(value, (list, tuple)) and "items" in schema:
        for i, item in enumerate(value):
            why = validate(item, schema["items"], f"{where}[{i}]")
            if why:
                return why
    if isinstance(value, Mapping):
        return _validate_object(value, schema, where)
    return None


def _validate_object(value: Mapping[Any, Any], schema: Mapping[str, Any], where: str) -> str | None:
    properties = schema.get("properties")
    missing = [k for k in schema.get("required", ()) if k not in value]
    if missing:
        return f"{where}: missing required key(s) {', '.join(map(repr, missing))}"
    extra_schema = schema.get("additionalProperties")
    for key, item in value.items():
        if properties is not None and key in properties:
            why = validate(item, properties[key], f"{where}.{key}")
        elif isinstance(extra_schema, Mapping):
            why = validate(item, extra_schema, f"{where}.{key}")
        elif extra_schema is False:
            why = f"{where}: unknown key {key!r} (known: {', '.join(properties or ()) or 'none'})"
        else:
            why = None
        if why:
            return why
    return None


def _is(value: object, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False  # JSON booleans are not numbers, whatever Python says
    return isinstance(value, _JSON_TYPES.get(kind, object))


def _json_name(value: object) -> str:
    for kind in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is(value, kind):
            return kind
    return type(value).__name__
