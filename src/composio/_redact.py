"""Allow-list redaction (SPEC §8, §12.5): header *names* may be shown, values only when
listed; and one scrubber for everything built from what a server sent back."""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

T = TypeVar("T")

SHOWN_HEADER_VALUES = frozenset(
    {
        "accept",
        "accept-encoding",
        "content-type",
        "content-length",
        "user-agent",
        "x-request-id",
        "x-correlation-id",
        "x-retry-count",
        "retry-after",
        "retry-after-ms",
        "x-should-retry",
        "traceparent",
        "tracestate",
        "x-source",
        "x-sdk-version",
        "x-runtime",
        "x-framework",
        "date",
        "server",
        "location",
    }
)
REDACTED = "***"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (v if k.lower() in SHOWN_HEADER_VALUES else REDACTED) for k, v in headers.items()}


#: A secret shorter than this is replaced only where it is a whole value (a JSON string, a
#: whole header value), never inside other text: "1" or "a" would otherwise turn every "1"
#: and "a" of a message into "***". API keys and tokens are far longer than this.
MIN_SCRUB_LENGTH = 8
#: The most of a server's body an error keeps as text (``APIStatusError.body`` when not JSON).
BODY_TEXT_LIMIT = 4096
#: What a JSON body nested too deeply to scrub is replaced with.
TOO_DEEP = f"{REDACTED} (JSON nested too deeply to scrub)"


def secret_values(headers: Mapping[str, str]) -> frozenset[str]:
    """The request header values that must never come back out: every value whose header is
    not on the allow-list (the API key included)."""
    outside = getattr(headers, "values_outside", None)  # composio.headers.Headers
    if outside is not None:
        return outside(SHOWN_HEADER_VALUES)  # type: ignore[no-any-return]
    return frozenset(v for k, v in headers.items() if v and k.lower() not in SHOWN_HEADER_VALUES)


def _spellings(secret: str) -> set[str]:
    """How an echo may spell a secret: as sent, %-encoded, JSON-escaped or base64."""
    raw = secret.encode()
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
    }


class Scrubber:
    """Removes one request's secrets from anything built from what the server sent back.

    A misbehaving server or proxy may echo request headers into its body, its error message
    or its response headers; whatever an error, log record or span keeps of that goes through
    here first (SPEC §8, §12.5). Values of :data:`MIN_SCRUB_LENGTH` characters or more are
    replaced wherever they occur (case-insensitively, in every spelling of
    :func:`_spellings`); shorter ones only where a whole value equals them.
    """

    __slots__ = ("_pattern", "_whole")

    def __init__(self, secrets: Iterable[str]) -> None:
        self._whole = frozenset(secrets)
        forms = {f for s in self._whole if len(s) >= MIN_SCRUB_LENGTH for f in _spellings(s)}
        ordered = sorted(forms, key=len, reverse=True)  # the longest spelling wins an overlap
        self._pattern = (
            re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None
        )

    @classmethod
    def for_headers(cls, headers: Mapping[str, str]) -> Scrubber:
        return _scrubber_for(secret_values(headers))

    def text(self, text: str) -> str:
        if text in self._whole:
            return REDACTED
        pattern = self._pattern
        return pattern.sub(REDACTED, text) if pattern is not None else text

    def optional(self, value: T) -> T:
        """Scrub a value that is a string or ``None`` (``request_id``, ``suggested_fix``)."""
        return self.text(value) if isinstance(value, str) else value  # type: ignore[return-value]

    def data(self, value: Any) -> Any:
        """A scrubbed copy of parsed JSON (strings and keys, at any depth)."""
        try:
            return self._data(value)
        except RecursionError:  # nested deeper than can be walked: keep nothing of it
            return TOO_DEEP

    def _data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self._data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._data(v) for v in value]
        return value

    def body_text(self, text: str, limit: int = BODY_TEXT_LIMIT) -> str:
        """The start of a text body, scrubbed *before* it is cut, so a cut never leaves the
        first characters of a secret behind."""
        longest = max(map(len, self._whole), default=0) * 3  # %-encoding triples a length
        return self.text(text[: limit + longest])[:limit]

    def excerpt(self, content: bytes, limit: int = 200) -> str:
        """The start of a body for an error message: scrubbed, every URL in it redacted (an
        answer may carry presigned URLs whose query is a credential), then printable
        characters only."""
        text = content[: limit * 4 + 4096].decode("utf-8", "replace")
        text = self.body_text(_URL_IN_TEXT.sub(_redacted_match, text), limit)
        text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
        return text + ("..." if len(content) > limit else "")


@functools.lru_cache(maxsize=64)
def _scrubber_for(secrets: frozenset[str]) -> Scrubber:
    """One :class:`Scrubber` per set of secrets, reused: a session sends the same secret
    values (key, session headers) on every call, and building one -- seven spellings of each
    secret, a regex -- cost ~13 µs, paid on every call whose response carries a request id of
    the server's own (``Response.request_id``). It keeps no more than ``re``'s own pattern
    cache already keeps (the compiled alternation of the same spellings)."""
    return Scrubber(secrets)


def scrub(text: str, request_headers: Mapping[str, str]) -> str:
    """``text`` without the request's API key or any non-allow-listed header value."""
    return Scrubber.for_headers(request_headers).text(text)


#: A URL inside free text (a body excerpt): scheme, ``//``, then up to a quote, space or bracket.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>\\]+")


def _redacted_match(match: re.Match[str]) -> str:
    try:
        return redact_url(match.group(0))
    except ValueError:  # a bad port: nothing of it is worth showing
        return f"{match.group(0).split(':', 1)[0]}://{REDACTED}"


def redact_url(url: str) -> str:
    """Keep scheme, host, port and path; replace every query value and drop userinfo."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    query = ""
    if parts.query:
        query = "&".join(f"{k}={REDACTED}" for k, _ in parse_qsl(parts.query, True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


#: The earlier name (it scrubbed only the API key); kept so in-flight callers scrub everything.
scrub_key = scrub
