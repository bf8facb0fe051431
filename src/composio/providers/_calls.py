"""What every provider shares: the ``ToolCall`` value, reading framework objects, result text.

Kept apart from the providers so that each of them is only the mapping of one framework's
shapes (SPEC §15); everything here is pure and framework-agnostic.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from composio.errors import ValidationError
from composio.models import ToolExecution

__all__ = [
    "ToolCall",
    "answers",
    "arguments_from_object",
    "arguments_from_text",
    "as_plain",
    "check_results",
    "dumps",
    "error_text",
    "items_of_type",
    "result_text",
    "string_field",
]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call an LLM asked for, in the SDK's framework-neutral form.

    * ``id``: the framework's id the result must answer (Chat Completions ``tool_calls[].id``,
      Responses ``call_id``, Anthropic ``tool_use.id``);
    * ``slug``: the tool's name as the model gave it;
    * ``arguments``: the arguments, always a dict (empty when they could not be read);
    * ``raw_arguments``: the arguments text as the framework sent it (Chat Completions and
      Responses send JSON text; ``None`` for Anthropic, which sends an object);
    * ``error``: why the arguments are unusable (not JSON, not a JSON object), else ``None``.
      A call with an ``error`` must not be executed: the executor answers it with an error
      result, so the model can read what went wrong and try again.
    """

    id: str
    slug: str
    arguments: dict[str, Any] = field(default_factory=dict, hash=False)
    raw_arguments: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the call can be executed (its arguments are a JSON object)."""
        return self.error is None


def as_plain(value: object, what: str) -> Any:
    """A framework object as plain JSON-like data: ``model_dump()`` if it has one, else as is.

    Pydantic models (openai, anthropic) and anything else exposing ``model_dump()`` work without
    this module importing their package.
    """
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump()
        except Exception as exc:
            raise ValidationError(
                f"{what}: model_dump() of the {type(value).__name__} failed "
                f"({type(exc).__name__}: {exc})."
            ) from exc
    return value


def string_field(item: Mapping[str, Any], key: str, what: str) -> str:
    """A required non-empty string of a tool-call item; its absence is a malformed response."""
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValidationError(
            f"{what} has no {key!r} (a non-empty string); got {type(value).__name__}. "
            "Pass the framework's response object (or its dict) unchanged."
        )
    return value


def arguments_from_text(call_id: str, slug: str, raw: object) -> ToolCall:
    """A ``ToolCall`` from JSON-text arguments; text that is not a JSON object sets ``error``.

    Empty or missing arguments (``""``, ``None``) mean "no arguments": some OpenAI-compatible
    servers send them for tools without parameters.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ToolCall(call_id, slug, {}, raw if isinstance(raw, str) else None)
    if not isinstance(raw, str):
        return ToolCall(
            call_id,
            slug,
            {},
            None,
            f"arguments for tool {slug!r} must be JSON text of an object, got {type(raw).__name__}",
        )
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        return ToolCall(
            call_id, slug, {}, raw, f"arguments for tool {slug!r} are not valid JSON ({exc})"
        )
    except RecursionError:  # nesting past the interpreter's limit: untrusted text, an answer
        return ToolCall(
            call_id, slug, {}, raw, f"arguments for tool {slug!r} are nested too deeply"
        )
    return arguments_from_object(call_id, slug, parsed, raw)


def arguments_from_object(
    call_id: str, slug: str, value: object, raw: str | None = None
) -> ToolCall:
    if not isinstance(value, Mapping):
        return ToolCall(
            call_id,
            slug,
            {},
            raw,
            f"arguments for tool {slug!r} are not a JSON object (got {_json_kind(value)})",
        )
    return ToolCall(call_id, slug, dict(value), raw)


def _json_kind(value: object) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    for kind, name in kinds.items():
        if isinstance(value, kind):
            return name
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


def items_of_type(
    items: Sequence[object], kind: str, what: str, label: str
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(where, item)`` for each item of ``type == kind`` in a list of typed items.

    Responses ``output`` items and Anthropic ``content`` blocks share this shape: a list
    mixing kinds, of which only one kind is ours to answer.
    """
    for i, raw in enumerate(items):
        item = as_plain(raw, what)
        if not isinstance(item, Mapping):
            raise ValidationError(f"{what}: {label}[{i}] is a {type(item).__name__}.")
        if item.get("type") == kind:
            yield f"{what}: {label}[{i}] ({kind})", item


def answers(
    calls: Sequence[ToolCall], results: Sequence[ToolExecution], provider: str
) -> Iterator[tuple[ToolCall, str, bool]]:
    """``(call, content, is_error)`` per call, after checking calls and results pair up."""
    check_results(calls, results, provider)
    for call, result in zip(calls, results, strict=True):
        content, is_error = result_text(result)
        yield call, content, is_error


def check_results(
    calls: Sequence[ToolCall], results: Sequence[ToolExecution], provider: str
) -> None:
    """``format_results`` pairs calls and results by position; a mismatch is a caller bug."""
    if len(calls) != len(results):
        raise ValidationError(
            f"{provider}.format_results: {len(calls)} call(s) but {len(results)} result(s); "
            "pass one result per call, in the same order."
        )
    for i, (call, result) in enumerate(zip(calls, results, strict=True)):
        if not isinstance(call, ToolCall):
            raise ValidationError(
                f"{provider}.format_results: calls[{i}] is a {type(call).__name__}, "
                "not a composio.ToolCall (use the provider's parse_tool_calls)."
            )
        if not isinstance(result, ToolExecution):
            raise ValidationError(
                f"{provider}.format_results: results[{i}] is a {type(result).__name__}, "
                "not a composio.ToolExecution."
            )


def _default(value: object) -> object:
    # Data from the API is JSON already; a custom tool or an after-modifier may add values
    # JSON cannot hold (datetime, Decimal, sets). The model reads text, so their str() is
    # more useful than failing every result of the turn.
    if isinstance(value, (set, frozenset)):
        return list(value)
    return str(value)


def _finite(value: object) -> object:
    """NaN and infinities are not JSON; send them as strings instead of invalid text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def dumps(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=_default, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), ensure_ascii=False, default=_default, allow_nan=False)


def error_text(why: str) -> str:
    """The content of an error result (SPEC §15): ``{"successful": false, "error": why}``."""
    return dumps({"successful": False, "error": why})


def result_text(result: ToolExecution) -> tuple[str, bool]:
    """``(content, is_error)`` for one result.

    Success: the JSON text of ``result.data`` (``{}`` when there is none) -- the answer
    itself, with no envelope the model has to see past. Failure: :func:`error_text` of the
    tool's own error.
    """
    if result.successful:
        return dumps(dict(result.data) if result.data is not None else {}), False
    return error_text(result.error or "the tool reported failure without a message"), True
