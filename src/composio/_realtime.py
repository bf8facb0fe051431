"""Realtime triggers, the parts without I/O: the Pusher Channels protocol 7 frames, the
credentials and auth operations, chunk reassembly, event parsing and the filters (SPEC §18).

The I/O (the websocket, reconnects, the two subscriptions) is :mod:`composio.realtime`; this
module is what both of its drivers share, so the protocol is written once.

Wire format, as Pusher documents it (https://pusher.com/docs/channels/library_auth_reference/
pusher-websockets-protocol, protocol 7) and the vendor SDKs use it (``pysher`` in the Python
SDK, ``pusher-js`` in the TypeScript one, ComposioHQ/composio at January 2026):

* connect to ``{origin}/app/{key}?protocol=7&client=...&version=...``; the server's first
  frame is ``{"event": "pusher:connection_established", "data": "{\\"socket_id\\": ...,
  \\"activity_timeout\\": 120}"}`` (``data`` is a JSON *string* in server frames);
* subscribe to the private channel ``private-{project_id}_triggers`` with
  ``{"event": "pusher:subscribe", "data": {"channel": ..., "auth": "key:hexdigest"}}``, the
  auth obtained from the API for this socket id (HMAC-SHA256 of ``socket_id:channel`` under the
  app secret, https://pusher.com/docs/channels/library_auth_reference/auth-signatures);
* the server confirms with ``pusher_internal:subscription_succeeded``;
* events arrive as ``trigger_to_client`` (``data``: the event JSON) or, when large, as several
  ``chunked-trigger_to_client`` frames (``data``: ``{"id", "index", "chunk", "final"}``) joined
  by index once the final one and every earlier index are in;
* ``pusher:ping`` is answered with ``pusher:pong``; after ``activity_timeout`` of silence the
  client pings and a missing pong means a dead socket;
* ``pusher:error`` codes 4000-4099 mean "do not reconnect", 4100-4199 "reconnect after a
  backoff", 4200-4299 "reconnect at once".
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from composio._operation import Operation, call_options
from composio._ops._encode import parse
from composio._sentinel import NOT_GIVEN
from composio._version import __version__
from composio.config import validate_realtime_url
from composio.errors import ComposioError, ValidationError
from composio.models import ShapeError
from composio.webhooks import TriggerEvent

__all__ = [
    "Budget",
    "BudgetExceeded",
    "ChunkAssembler",
    "Credentials",
    "Filters",
    "ProtocolError",
    "app_url",
    "auth_operation",
    "backoff",
    "channel_name",
    "credentials_operation",
    "event_from_data",
    "validate_realtime_url",
]

PROTOCOL: Final = 7
CLIENT: Final = "composio-pipeline-python"
EVENT: Final = "trigger_to_client"
CHUNKED_EVENT: Final = "chunked-" + EVENT
#: Bounds on what a server may make the client hold (untrusted input, DEVELOPERS "every byte
#: from a server"): one frame, how many events may be half-sent and in how many chunks. The
#: bytes held are bounded by the subscription's :class:`Budget`.
MAX_FRAME: Final = 1 << 20
MAX_PENDING: Final = 16
MAX_CHUNKS: Final = 100_000
#: What a held chunk costs the budget beyond its characters (its dict entry and index: an
#: empty chunk is not free), and the longest event id kept (ids are UUIDs; a longer one is
#: malformed, and is not remembered among the dropped ones either).
CHUNK_OVERHEAD: Final = 64
MAX_ID: Final = 256
#: ``realtime_max_buffer_bytes``: the default, and the least (one whole frame must fit).
DEFAULT_BUFFER_BYTES: Final = 64 << 20
MIN_BUFFER_BYTES: Final = MAX_FRAME
#: Seconds of silence before the client pings (the server's value is clipped to this range),
#: and how long a pong may take before the socket counts as dead.
ACTIVITY_RANGE: Final = (1.0, 120.0)
PONG_TIMEOUT: Final = 30.0
#: Reconnect backoff: the first wait, the factor, the cap (seconds); full jitter.
BACKOFF_FIRST, BACKOFF_CAP = 0.1, 10.0


log = logging.getLogger("composio.realtime")


def check_buffer_bytes(value: object) -> int:
    """The ``realtime_max_buffer_bytes`` option: an int of at least one frame."""
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_BUFFER_BYTES:
        raise ValidationError(
            f"realtime_max_buffer_bytes must be an int >= {MIN_BUFFER_BYTES} (bytes: one "
            f"realtime frame must fit); the default is {DEFAULT_BUFFER_BYTES}."
        )
    return value


class ProtocolError(Exception):
    """The server broke the protocol or refused us; ``code`` is Pusher's error code."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code

    @property
    def fatal(self) -> bool:
        """4000-4099: the protocol says not to reconnect unchanged."""
        return self.code is not None and 4000 <= self.code <= 4099

    @property
    def immediate(self) -> bool:
        return self.code is not None and 4200 <= self.code <= 4299


# -- the two API calls -----------------------------------------------------------------------
class Credentials:
    """What ``GET /internal/sdk/realtime/credentials`` answers."""

    __slots__ = ("cluster", "key", "project_id")

    def __init__(self, key: str, cluster: str, project_id: str) -> None:
        self.key, self.cluster, self.project_id = key, cluster, project_id

    @classmethod
    def from_dict(cls, data: Any) -> Credentials:
        # snake_case is what the API sends; the camelCase spelling is the TS SDK's view of it
        def field(*names: str) -> str:
            for name in names:
                value = data.get(name) if isinstance(data, Mapping) else None
                if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                    return str(value)
            raise ShapeError(f"expected a non-empty {names[0]!r}")

        return cls(
            field("pusher_key", "pusherKey"),
            field("pusher_cluster", "pusherCluster"),
            field("project_id", "projectId"),
        )


def credentials_operation() -> Operation[Credentials]:
    return Operation(
        "triggers.subscribe",
        "GET",
        "/internal/sdk/realtime/credentials",
        lambda r: parse(r, Credentials.from_dict),
    )


def _auth_string(data: Any) -> str:
    value = data.get("auth") if isinstance(data, Mapping) else None
    if not isinstance(value, str) or ":" not in value or len(value) > 512:
        raise ShapeError("expected an object with an 'auth' string 'key:signature'")
    return value


def auth_operation(socket_id: str, channel: str) -> Operation[str]:
    """The channel authorisation: a pure signature of ``socket_id:channel``, safe to repeat,
    so it carries an ``Idempotency-Key`` and a 5xx is retried as for any idempotent call."""
    return Operation(
        "triggers.subscribe",
        "POST",
        "/internal/sdk/realtime/auth",
        lambda r: parse(r, _auth_string),
        body={"socket_id": socket_id, "channel_name": channel},
        options=call_options({"Idempotency-Key": f"rt-{uuid.uuid4().hex}"}, NOT_GIVEN),
    )


def channel_name(project_id: str) -> str:
    return f"private-{project_id}_triggers"


# -- the websocket URL -----------------------------------------------------------------------
def app_url(origin: str | None, credentials: Credentials) -> str:
    """The websocket URL: the override's origin, or Pusher's cluster host."""
    if origin is None:
        cluster = credentials.cluster
        if not all(c.isalnum() or c == "-" for c in cluster):
            raise ShapeError("the realtime cluster name is not a host label")
        origin = f"wss://ws-{cluster}.pusher.com:443"
    key = quote(credentials.key, safe="")
    return f"{origin}/app/{key}?protocol={PROTOCOL}&client={CLIENT}&version={__version__}"


def backoff(attempt: int) -> float:
    """The wait before reconnect ``attempt`` (0 first): full jitter under a doubling cap."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** min(attempt, 20)))


# -- frames ----------------------------------------------------------------------------------
def read_frame(text: str) -> tuple[str, str | None, Any]:
    """``(event, channel, data)`` of a server frame; ``data`` decoded when it is JSON text."""
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("a frame that is not JSON") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("event"), str):
        raise ProtocolError("a frame without an 'event' name")
    channel = frame.get("channel")
    return frame["event"], channel if isinstance(channel, str) else None, frame.get("data")


def decode_data(data: Any) -> Any:
    """Server frames carry ``data`` as JSON text; tolerate an object too."""
    if isinstance(data, str):
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            return None
    return data


def frame(event: str, data: Any, channel: str | None = None) -> str:
    out: dict[str, Any] = {"event": event, "data": data}
    if channel is not None:
        out["channel"] = channel
    return json.dumps(out, separators=(",", ":"))


def connection_established(data: Any) -> tuple[str, float]:
    """``(socket_id, activity_timeout)`` from ``pusher:connection_established``."""
    info = decode_data(data)
    socket_id = info.get("socket_id") if isinstance(info, dict) else None
    if not isinstance(socket_id, str) or not socket_id or len(socket_id) > 100:
        raise ProtocolError("pusher:connection_established without a socket_id")
    timeout = info.get("activity_timeout", ACTIVITY_RANGE[1])
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout != timeout:
        timeout = ACTIVITY_RANGE[1]
    return socket_id, min(max(float(timeout), ACTIVITY_RANGE[0]), ACTIVITY_RANGE[1])


def error_of(data: Any) -> ProtocolError:
    info = decode_data(data)
    code = info.get("code") if isinstance(info, dict) else None
    # pusher:error carries "message"; pusher:subscription_error "error" (and an HTTP status)
    message = info.get("message") or info.get("error") if isinstance(info, dict) else None
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    text = (
        message[:200].encode("ascii", "backslashreplace").decode()
        if isinstance(message, str)
        else "no message"
    )
    return ProtocolError(f"the realtime server refused: {text!r} (code {code})", code)


# -- the byte budget and chunks -------------------------------------------------------------
class BudgetExceeded(Exception):
    """The consumer's unread events leave no room for what arrives: the subscription ends
    with :meth:`Budget.exceeded`."""


class Budget:
    """One subscription's memory bound (``realtime_max_buffer_bytes``): the characters of the
    events received but not yet read by the consumer plus those of half-assembled chunked
    messages stay within ``limit`` together (docs/design-decisions.md, "Realtime: one byte
    budget"). The socket's loop takes, the consumer releases: each counter has one writer,
    so no lock is needed across the sync subscription's two threads."""

    __slots__ = ("_released", "_taken", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._taken = 0
        self._released = 0

    @property
    def unread(self) -> int:
        return self._taken - self._released

    def take(self, size: int) -> None:
        self._taken += size

    def release(self, size: int) -> None:
        self._released += size

    def exceeded(self) -> ComposioError:
        """What ends a subscription whose unread events alone reach the limit."""
        return ComposioError(
            f"triggers.subscribe: the events received but not yet read reached "
            f"realtime_max_buffer_bytes ({self.limit} bytes); the subscription stopped after "
            f"the events already received. Read events faster (nothing slow in the loop body) "
            f"or raise the limit: Composio(realtime_max_buffer_bytes=...) or "
            f"client.with_options(realtime_max_buffer_bytes=...)."
        )


class ChunkAssembler:
    """``chunked-trigger_to_client`` frames back into one event's JSON text.

    Bounded: at most :data:`MAX_PENDING` half-sent events and :data:`MAX_CHUNKS` chunks each,
    and the characters held count against the subscription's :class:`Budget`: when they and
    the unread events pass its limit, other half-sent events are dropped, oldest first
    (counted in ``dropped``, logged); an event larger than the whole budget is dropped; when
    the unread events alone leave no room, :class:`BudgetExceeded` is raised
    (:meth:`make_room`). A malformed chunk is dropped with its event, never raised (one bad
    frame must not end a subscription); later chunks of a dropped event are ignored."""

    __slots__ = ("_budget", "_gone", "_pending", "dropped", "held")

    def __init__(self, budget: Budget | None = None) -> None:
        self._budget = Budget(DEFAULT_BUFFER_BYTES) if budget is None else budget
        self._pending: OrderedDict[str, tuple[dict[int, str], list[int]]] = OrderedDict()
        #: ids of recently dropped events (their later chunks cannot complete them)
        self._gone: OrderedDict[str, None] = OrderedDict()
        self.held = 0
        self.dropped = 0

    def add(self, data: Any) -> str | None:
        """The whole event's text once complete, else ``None``."""
        info = decode_data(data)
        if not isinstance(info, dict):
            return None
        key, index, chunk = info.get("id"), info.get("index"), info.get("chunk")
        if (
            not isinstance(key, str)
            or isinstance(index, bool)
            or not isinstance(index, int)
            or not 0 <= index < MAX_CHUNKS
            or not isinstance(chunk, str)
            or len(key) > MAX_ID
        ):
            if isinstance(key, str) and len(key) <= MAX_ID:
                self._drop(key)
            return None
        if key in self._gone:
            return None
        if key not in self._pending:
            if len(self._pending) >= MAX_PENDING:
                self._drop(next(iter(self._pending)))
            self._pending[key] = ({}, [0, -1])  # chunks; [size, final index]
        chunks, state = self._pending[key]
        old = chunks.get(index)
        grown = len(chunk) + CHUNK_OVERHEAD - (0 if old is None else len(old) + CHUNK_OVERHEAD)
        state[0] += grown
        self.held += grown
        chunks[index] = chunk
        if info.get("final") is True:
            state[1] = index
        if state[0] > self._budget.limit:  # can never fit
            self._discard(key)
            return None
        self.make_room(0, keep=key)
        last = state[1]
        if last < 0 or len(chunks) < last + 1 or any(i not in chunks for i in range(last + 1)):
            return None
        self._remove(key)
        return "".join(chunks[i] for i in range(last + 1))

    def make_room(self, size: int, keep: str | None = None) -> None:
        """Room for ``size`` more characters within the budget: half-sent events other than
        ``keep`` are dropped, oldest first, as far as needed; if that is not enough (the
        unread events leave no room) :class:`BudgetExceeded`."""
        budget = self._budget
        while self.held + budget.unread + size > budget.limit:
            victim = next((k for k in self._pending if k != keep), None)
            if victim is None:
                raise BudgetExceeded
            self._discard(victim)

    def _discard(self, key: str) -> None:
        """Drop a half-sent event for the budget's sake: counted and logged."""
        chars = self._pending[key][1][0]
        self._drop(key)
        self.dropped += 1
        log.warning(
            "realtime: dropped a partly received event (%d characters) to stay within "
            "realtime_max_buffer_bytes=%d; %d dropped so far",
            chars,
            self._budget.limit,
            self.dropped,
        )

    def _remove(self, key: str) -> None:
        found = self._pending.pop(key, None)
        if found is not None:
            self.held -= found[1][0]

    def _drop(self, key: str) -> None:
        self._remove(key)
        self._gone[key] = None
        while len(self._gone) > 4 * MAX_PENDING:
            self._gone.popitem(last=False)

    def clear(self) -> None:
        self._pending.clear()
        self._gone.clear()
        self.held = 0


# -- events and filters ----------------------------------------------------------------------
def event_from_data(data: Any) -> TriggerEvent | None:
    """A ``trigger_to_client`` payload as a :class:`TriggerEvent`, or ``None`` if it is not an
    event object (skipped: one bad frame must not end the subscription)."""
    raw = decode_data(data)
    if not isinstance(raw, dict):
        return None
    meta = raw.get("metadata")
    ident = raw.get("id")
    if not isinstance(ident, str) and isinstance(meta, dict):
        ident = meta.get("log_id") or meta.get("id")
    return TriggerEvent.from_dict(
        raw, id=ident if isinstance(ident, str) and ident else f"rt_{uuid.uuid4().hex}"
    )


def _facet(event: TriggerEvent, name: str) -> str | None:
    """An event's value for one filter, from the fields or, for the two the model does not
    carry, from the payload: the auth config (V3 ``metadata.auth_config_id``, the legacy
    realtime ``metadata.connection.authConfigNanoId``) and the toolkit (legacy ``appName``,
    else the trigger slug's first word, as the vendor SDK derives it)."""
    if name in ("trigger_slug", "trigger_id", "user_id", "connected_account_id"):
        value = getattr(event, name)
        return value if isinstance(value, str) else None
    raw = event.raw
    found = raw.get("metadata")
    meta: Mapping[str, Any] = found if isinstance(found, dict) else {}
    if name == "auth_config_id":
        value = meta.get("auth_config_id")
        connection = meta.get("connection")
        if value is None and isinstance(connection, dict):
            value = connection.get("authConfigNanoId")
        return value if isinstance(value, str) else None
    # toolkit
    app = raw.get("appName")
    if isinstance(app, str):
        return app
    slug = event.trigger_slug
    return slug.split("_", 1)[0] if slug and "_" in slug else None


class Filters:
    """The keyword filters of ``triggers.subscribe``, applied to each event client-side: an
    event passes when every given filter equals its value (case-insensitively); a filter on a
    value the event does not carry fails closed (the TS SDK once ignored ``authConfigId``)."""

    NAMES: Final = (
        "trigger_slug",
        "trigger_id",
        "toolkit",
        "user_id",
        "connected_account_id",
        "auth_config_id",
    )
    __slots__ = ("given",)

    def __init__(self, **given: str | None) -> None:
        checked: dict[str, str] = {}
        for name in self.NAMES:
            value = given.get(name)
            if value is None:
                continue
            if not isinstance(value, str) or not value or len(value) > 256:
                raise ValidationError(
                    f"triggers.subscribe: {name} must be a non-empty str of at most 256 "
                    f"characters, got {type(value).__name__}."
                )
            checked[name] = value.casefold()
        self.given = checked

    def match(self, event: TriggerEvent) -> bool:
        for name, want in self.given.items():
            have = _facet(event, name)
            if have is None or have.casefold() != want:
                return False
        return True
