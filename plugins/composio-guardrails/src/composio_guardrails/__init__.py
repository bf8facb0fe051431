"""composio-guardrails: policy for tool executions, through the SDK's tool hooks (SPEC §15).

The hooks run on every tool execution -- ``tools.execute``, ``handle_tool_calls``,
``tool_router.execute``/``execute_meta``, custom tools -- after the call's own modifiers: the
policy judges the arguments that are sent and redacts the result the model reads.

* **block** tools by glob pattern (``*_DELETE_*``): the call is never executed; the model gets
  an error result saying the tool is blocked (``tools.execute`` raises ``ComposioError``);
* **require approval** for tools by pattern: ``approve(tool, toolkit, params) -> bool`` (the
  application's callback) decides; no callback, or a ``False``, refuses like a block;
* **cap the arguments' size** (JSON bytes) before anything is sent;
* **redact PII** from results before they reach the model: e-mail addresses (non-ASCII ones
  too), phone numbers and card numbers (13-19 digits passing the Luhn check), in string
  values, integer values and mapping keys alike.

Configured by constructor keywords, or by the environment for what is not given::

    COMPOSIO_GUARDRAILS_BLOCK=*_DELETE_*,GMAIL_SEND_EMAIL     (comma-separated globs)
    COMPOSIO_GUARDRAILS_APPROVE=GITHUB_*                       (needs a callback: see README)
    COMPOSIO_GUARDRAILS_REDACT=email,phone,card                (or "none"; default: all three)
    COMPOSIO_GUARDRAILS_MAX_ARGUMENT_BYTES=65536               (0: no cap)

Installed, the entry point registers :data:`plugin` (configured from the environment) in every
client; pass your own ``Guardrails(...)`` with ``plugins=[...]`` for an approval callback (and
``blocked_plugins=["composio-guardrails"]`` if only yours should run).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from composio import ExecuteRequest, ToolExecution, hookimpl

__all__ = ["GuardrailError", "Guardrails", "plugin", "redact"]

ENV = "COMPOSIO_GUARDRAILS_"
KINDS = ("email", "phone", "card")
DEFAULT_MAX_ARGUMENT_BYTES = 64 * 1024
#: The tool router's meta tool running a batch of tools on the server.
MULTI_EXECUTE = "COMPOSIO_MULTI_EXECUTE_TOOL"

Approve = Callable[[str, str, ExecuteRequest], bool]

# Unicode letters and digits on both sides (RFC 6531 addresses: "josé@example.com",
# "用户@例子.广告"); the top-level label is letters, or an IDNA "xn--" label.
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.(?:xn--[A-Za-z0-9-]+|[^\W\d_]{2,})")
# Separated groups ("+1 (415) 555-0123", "020 7946 0958", "415.555.0123"), "+" and 8-15
# digits, or a bare North American number with its country code (1, then a valid area code
# and exchange: "14155550123", as APIs often store phones, in strings or as JSON integers).
# Other plain digit runs (ids, amounts, timestamps) are not phone numbers here.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+[0-9]{8,15}|1[2-9][0-9]{2}[2-9][0-9]{6}|(?:\+[0-9]{1,3}[ .-]?)?"
    r"(?:\([0-9]{2,4}\)[ .-]?|[0-9]{2,4}[ .-])[0-9]{3,4}[ .-][0-9]{3,4})(?!\w)"
)
_CARD = re.compile(r"(?<![\w+])[0-9](?:[ -]?[0-9]){12,18}(?!\w)")
#: Deletes ASCII digits: ``len(text) - len(text.translate(_NO_DIGITS))`` counts them at C speed,
#: so strings that cannot hold a phone (8+ digits) or a card (13+) skip those expressions.
_NO_DIGITS = str.maketrans("", "", "0123456789")
#: An integer below this has under 11 digits: no phone (11+ bare) nor card (13+) fits in it.
_SHORTEST_PII = 10**10


class GuardrailError(Exception):
    """Why guardrails refused an execution (the SDK reports it naming this plugin)."""


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group())
    return "[REDACTED CARD]" if 13 <= len(digits) <= 19 and _luhn(digits) else match.group()


def redact(text: str, kinds: Iterable[str] = KINDS) -> str:
    """``text`` with the PII-looking parts of ``kinds`` replaced by ``[REDACTED ...]``."""
    wanted = kinds if isinstance(kinds, (tuple, frozenset, set)) else tuple(kinds)
    digits = len(text) - len(text.translate(_NO_DIGITS))
    if digits >= 13 and "card" in wanted:
        text = _CARD.sub(_card, text)
    if "@" in text and "email" in wanted:
        text = _EMAIL.sub("[REDACTED EMAIL]", text)
    if digits >= 8 and "phone" in wanted:
        text = _PHONE.sub("[REDACTED PHONE]", text)
    return text


def _patterns(value: Iterable[str] | str | None, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    out = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"composio-guardrails: {name} takes glob strings, got {item!r}")
        if item.strip():
            out.append(item.strip().upper())
    return tuple(out)


class Guardrails:
    """The plugin. Every keyword not given is read from ``COMPOSIO_GUARDRAILS_*`` in ``env``
    (default ``os.environ``); see the module docstring."""

    def __init__(
        self,
        *,
        block: Iterable[str] | None = None,
        require_approval: Iterable[str] | None = None,
        approve: Approve | None = None,
        redact: Iterable[str] | None = None,
        max_argument_bytes: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if env is None else env
        self.block = _patterns(block if block is not None else environ.get(ENV + "BLOCK"), "block")
        self.require_approval = _patterns(
            require_approval if require_approval is not None else environ.get(ENV + "APPROVE"),
            "require_approval",
        )
        if approve is not None and not callable(approve):
            raise ValueError("composio-guardrails: approve must be a callable")
        self.approve = approve
        if redact is None:
            raw = environ.get(ENV + "REDACT", ",".join(KINDS)).strip().lower()
            redact = () if raw in ("", "none", "0", "off") else raw.split(",")
        kinds = tuple(k.strip().lower() for k in redact if k.strip())
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(
                f"composio-guardrails: cannot redact {unknown[0]!r}; choose from {', '.join(KINDS)}"
            )
        self.redact = kinds
        if max_argument_bytes is None:
            raw_cap = environ.get(ENV + "MAX_ARGUMENT_BYTES", str(DEFAULT_MAX_ARGUMENT_BYTES))
            try:
                max_argument_bytes = int(raw_cap)
            except ValueError:
                raise ValueError(
                    f"composio-guardrails: {ENV}MAX_ARGUMENT_BYTES must be an int, got {raw_cap!r}"
                ) from None
        if isinstance(max_argument_bytes, bool) or max_argument_bytes < 0:
            raise ValueError("composio-guardrails: max_argument_bytes must be an int >= 0")
        self.max_argument_bytes = max_argument_bytes

    # -- the hooks ----------------------------------------------------------------------
    @hookimpl
    def composio_before_execute(
        self, tool: str, toolkit: str, params: ExecuteRequest
    ) -> ExecuteRequest | None:
        self._judge(tool, toolkit, params)
        if tool.upper() == MULTI_EXECUTE and (self.block or self.require_approval):
            # The tool router's batch: the tools inside run on the server, so each is judged
            # here like a call of its own; a batch that cannot be read is refused (fail closed).
            for inner, arguments in _batch(tool, params.arguments):
                self._judge(inner, "", dataclasses.replace(params, arguments=arguments))
        if self.max_argument_bytes:
            size = len(json.dumps(params.arguments, ensure_ascii=False, default=str).encode())
            if size > self.max_argument_bytes:
                raise GuardrailError(
                    f"the arguments for {tool!r} are {size} bytes, over the limit of "
                    f"{self.max_argument_bytes}; send less"
                )
        return None

    def _judge(self, tool: str, toolkit: str, params: ExecuteRequest) -> None:
        """Block or ask for approval of ``tool`` by the patterns; raise to refuse."""
        slug = tool.upper()
        for pattern in self.block:
            if fnmatch.fnmatchcase(slug, pattern):
                raise GuardrailError(
                    f"tool {tool!r} is blocked by policy (pattern {pattern!r}); do not retry it"
                )
        for pattern in self.require_approval:
            if fnmatch.fnmatchcase(slug, pattern):
                if self.approve is None:
                    raise GuardrailError(
                        f"tool {tool!r} needs approval (pattern {pattern!r}) and no approver "
                        "is configured"
                    )
                if not self.approve(tool, toolkit, params):
                    raise GuardrailError(f"tool {tool!r} was not approved")
                break

    @hookimpl
    def composio_after_execute(self, result: ToolExecution) -> ToolExecution | None:
        if not self.redact:
            return None
        data = _scrub(result.data, self.redact) if result.data is not None else None
        error = redact(result.error, self.redact) if result.error else result.error
        if data is result.data and error == result.error:
            return None
        return dataclasses.replace(result, data=data, error=error)

    def __repr__(self) -> str:
        return (
            f"Guardrails(block={list(self.block)}, require_approval={list(self.require_approval)}"
            f", redact={list(self.redact)}, max_argument_bytes={self.max_argument_bytes})"
        )


def _batch(tool: str, arguments: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The ``(tool_slug, arguments)`` of each tool in a multi-execute batch
    (``{"tools": [{"tool_slug": ..., "arguments": {...}}, ...]}``), or a refusal."""
    tools = arguments.get("tools")
    if not isinstance(tools, list):
        raise GuardrailError(f"{tool!r} needs a 'tools' list of tool calls to be judged")
    out = []
    for item in tools:
        slug = item.get("tool_slug") if isinstance(item, dict) else None
        inner = item.get("arguments", {}) if isinstance(item, dict) else None
        if not isinstance(slug, str) or not isinstance(inner, dict):
            raise GuardrailError(
                f"{tool!r}: each of 'tools' must be an object with a 'tool_slug' string and "
                "'arguments' object to be judged"
            )
        out.append((slug, inner))
    return out


def _scrub(value: Any, kinds: tuple[str, ...]) -> Any:
    """``value`` with every string, integer and mapping key redacted; the same object when
    nothing changed (cheap). An integer that holds PII (a card or phone number stored as a JSON
    number) becomes the redaction string; two keys redacted to the same text are kept apart by
    a counter, so no value is lost."""
    if isinstance(value, str):
        new = redact(value, kinds)
        return value if new == value else new
    if isinstance(value, int) and not isinstance(value, bool):
        if -_SHORTEST_PII < value < _SHORTEST_PII:  # counts, ids, amounts: no str() needed
            return value
        text = str(value)
        new = redact(text, kinds)
        return value if new == text else new
    if isinstance(value, Mapping):
        changed = False
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = _scrub(key, kinds)
            new = _scrub(item, kinds)
            if new_key is not key:
                base, n = new_key, 1
                while new_key in out or new_key in value:
                    n += 1
                    new_key = f"{base} ({n})"
            changed = changed or new is not item or new_key is not key
            out[new_key] = new
        return out if changed else value
    if isinstance(value, (list, tuple)):
        items = [_scrub(item, kinds) for item in value]
        if any(a is not b for a, b in zip(items, value, strict=True)):
            return type(value)(items) if isinstance(value, tuple) else items
        return value
    return value


#: What the entry point registers: guardrails configured from the environment.
plugin = Guardrails()
