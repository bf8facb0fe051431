"""A local Composio API server: real HTTP on loopback, threaded, with recording and faults.

It is the project's "embedded default": the demo runs on it, the tests talk to it, and users
can test their own code against it::

    from composio.testing import LocalServer
    with LocalServer() as server:
        client = Composio(api_key=server.api_key, base_url=server.url)
        client.tools.list()
        server.requests                                  # what arrived
        server.fail_next("/api/v3/tools", [503, 503])    # the next two answers on that path

Beyond the catalog it serves the rest of the API statefully (SPEC §14): the routes live in
``_routes_*.py`` (one module per resource, one table for both ``/api/v3.1`` and ``/api/v3``),
the state in ``_state.py`` behind one lock, webhook delivery in ``_webhooks_sender.py``. This
module is the HTTP plumbing (recording, faults, the API key check) and the public surface.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import sys
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from composio._redact import REDACTED
from composio._terminal import err
from composio.testing import _routes_accounts as accounts
from composio.testing._connection_state import CONNECT_PREFIX
from composio.testing._framing import CHUNKED, Refused, declared_length, read_chunked
from composio.testing._realtime_hub import RealtimeHub
from composio.testing._routes import ROUTES
from composio.testing._routes_files import UPLOAD_PREFIX, file_executors
from composio.testing._routing import (
    DEFAULT_PAGE_SIZE,
    ApiError,
    Ctx,
    Reply,
    api_version_of,
    canonical_path,
)
from composio.testing._state import Store
from composio.testing._webhooks_sender import Delivery, deliver_trigger_event
from composio.testing.catalog import run_tool

__all__ = ["Delivery", "Execution", "Fault", "LocalServer", "RecordedRequest", "UploadedFile"]

#: Paths under this prefix are the server's own pages (connect links, upload URLs): no key.
LOCAL_PREFIX = "/_local/"
#: Telemetry posts carry no key (SPEC §7): the one keyless path outside ``LOCAL_PREFIX``.
TELEMETRY_PATH = "/v1/metrics/invocations"
#: The largest request body the server reads, by default (``LocalServer(max_body_size=)``,
#: also settable later as ``server.max_body_size``). A larger one is answered 413 unread and
#: the connection closed: bodies are kept in memory, so a declared 100 GB must not be tried.
#: 128 MiB leaves room for the 100 MB upload tests (SPEC §18).
MAX_BODY_SIZE = 128 * 1024 * 1024


#: Paths whose rest is a capability (a secret in the URL itself): hidden in log lines.
CAPABILITY_PREFIXES = (CONNECT_PREFIX, UPLOAD_PREFIX)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  #: lower-cased names
    body: bytes
    connection_id: int
    #: ``"v3.1"``, ``"v3"`` or ``None`` (not an API path); ``path`` is kept as sent.
    api_version: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def log_line(self) -> str:
        """``METHOD path``, safe to print (``composio dev-server --log``): what follows a
        capability route's prefix (a connect link's token, an upload URL's key: whoever has
        one uses it without the API key) becomes the SDK's ``***``; control and non-ASCII
        characters are %-escaped (an escape sequence would rewrite the terminal); query,
        headers and body, which may carry keys, are left out."""
        path = self.path
        for prefix in CAPABILITY_PREFIXES:
            if path.startswith(prefix):
                path = prefix + REDACTED
                break
        shown = "".join(c if " " < c < "\x7f" else f"%{ord(c):02X}" for c in path)
        return f"{self.method} {shown}"


@dataclass(frozen=True)
class Fault:
    """One scripted answer, used instead of (or after) the real one.

    ``action``:
      * ``None`` -- answer ``status`` with ``headers`` and ``body``;
      * ``"reset"`` -- close the connection with a TCP RST before any response byte;
      * ``"reset_mid_body"`` -- send the status line, headers and half the body, then RST;
      * ``"truncate"`` -- declare a Content-Length longer than the body sent, then close;
      * ``"trickle"`` -- send the body one byte every ``interval`` seconds.
    ``delay`` sleeps before the status line (slow headers). ``passthrough=True`` runs the real
    handler first (so an execution really happens and is counted) and then answers with the
    fault -- the "server did the work but the answer was lost" case.
    """

    status: int = 500
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | str | Mapping[str, Any] | None = None
    delay: float = 0.0
    action: str | None = None
    interval: float = 0.05
    passthrough: bool = False


def error_body(
    status: int,
    message: str,
    request_id: str,
    fix: str | None = None,
    *,
    code: int | None = None,
    slug: str | None = None,
) -> dict[str, Any]:
    err: dict[str, Any] = {
        "message": message,
        "code": status * 10 + 1 if code is None else code,
        "status": status,
        "request_id": request_id,
    }
    if slug:
        err["slug"] = slug
    if fix:
        err["suggested_fix"] = fix
    return {"error": err}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    owner: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or rejects the certificate is normal here: no traceback.
        Anything else is one line through the CLI's printer (``composio dev-server`` runs
        in a terminal, and an exception's text may quote the request)."""
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        err(f"composio-local: error answering a request: {type(exc).__name__}: {exc}")

    def process_request(self, request: Any, client_address: Any) -> None:
        self.owner._count_connection()
        super().process_request(request, client_address)


class LocalServer:
    """A threaded loopback HTTP server speaking the Composio API from a built-in catalog."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = DEFAULT_PAGE_SIZE,
        record: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        max_body_size: int = MAX_BODY_SIZE,
        on_request: Callable[[RecordedRequest], None] | None = None,
    ) -> None:
        """``ssl_context`` (a server-side context with a certificate loaded) serves HTTPS, for
        testing TLS verification; ``url`` then starts with ``https://``.

        ``webhook_url``/``webhook_secret``: where :meth:`fire_trigger` delivers events and the
        secret it signs them with (Standard Webhooks); both can be set later as attributes.

        ``max_body_size``: bytes of one request body the server reads at most (see
        :data:`MAX_BODY_SIZE`). Framing is checked before any body byte is read: a malformed,
        negative or repeated ``Content-Length`` or one next to ``Transfer-Encoding`` is a 400,
        a transfer coding other than ``chunked`` a 501, too large a body a 413, and an API
        request with a wrong key a 401 -- each unread, on a closed connection, and the server
        keeps serving.

        ``on_request``: called with each request the server receives, on its handler thread,
        after it is recorded (also with ``record=False``); ``composio dev-server --log``
        prints :meth:`RecordedRequest.log_line` from it. An exception it raises is reported
        on stderr and the request is answered as usual.
        """
        self.max_body_size = max_body_size
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.api_key = api_key or f"test_{uuid.uuid4().hex}"
        self._ssl_context = ssl_context
        self._host = host
        self._port = port
        self.page_size = page_size
        self.record = record
        self.on_request = on_request
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._telemetry: list[dict[str, Any]] = []
        self._executions: list[Execution] = []
        self._deliveries: list[Delivery] = []
        self._store = Store()
        self._idempotent: dict[str, tuple[int, dict[str, Any]]] = {}
        self._connections = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        #: the Pusher-protocol websocket of realtime triggers (its port opens on first use of
        #: :attr:`realtime_url`): key, secret, project id, subscribers, drops, pings
        self.realtime = RealtimeHub(host)

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> LocalServer:
        if self._server is not None:
            return self
        server = _Server((self._host, self._port), _Handler)
        if self._ssl_context is not None:
            # The handshake happens on the handler thread's first read, so a client that
            # rejects the certificate never stalls the accept loop.
            server.socket = self._ssl_context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"composio-local-server:{server.server_address[1]}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.realtime.stop()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl_context is not None else "http"
        return f"{scheme}://{self._host}:{self.port}"

    @property
    def alt_url(self) -> str:
        """This same server under another origin name (``localhost`` for ``127.0.0.1`` and
        the other way round): upload URLs use it, so a client that strips its credentials
        on a cross-origin request is really tested. The server listens on ``127.0.0.1``;
        a client that tries ``::1`` first for ``localhost`` falls back to it."""
        other = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(self._host, self._host)
        return self.url.replace(f"//{self._host}:", f"//{other}:", 1)

    @property
    def realtime_url(self) -> str:
        """The origin of this server's Pusher-protocol websocket (``ws://127.0.0.1:PORT``),
        for ``realtime_url=`` / ``COMPOSIO_REALTIME_URL``; started on first use."""
        self.realtime.start()
        return self.realtime.url

    # -- inspection ----------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request received so far (telemetry posts are in ``telemetry_events``)."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The requests to ``path``; ``/api/v3/x`` and ``/api/v3.1/x`` name the same route,
        so either spelling finds requests sent with either prefix."""
        want = canonical_path(path)
        return [r for r in self.requests if canonical_path(r.path) == want]

    @property
    def accepted_connections(self) -> int:
        """TCP connections accepted since start (a new socket from the client counts once)."""
        with self._lock:
            return self._connections

    @property
    def telemetry_events(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._telemetry)

    def execution_count(self, slug: str | None = None) -> int:
        """How many times a tool really ran (idempotent replays not counted)."""
        with self._lock:
            return sum(1 for e in self._executions if slug is None or e.slug == slug)

    @property
    def executions(self) -> list[Execution]:
        """Every tool run, with the version it ran at (what a call without ``version`` means
        depends on the prefix: ``latest`` on v3.1, ``00000000_00`` on v3)."""
        with self._lock:
            return list(self._executions)

    def reset(self) -> None:
        """Forget recorded requests, faults, telemetry, executions and webhook deliveries
        (the API's state -- auth configs, accounts, triggers... -- stays: see
        :meth:`clear_state`)."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self._telemetry.clear()
            self._executions.clear()
            self._deliveries.clear()
            self._idempotent.clear()

    def clear_state(self) -> None:
        """Forget every auth config, connected account, trigger, tool-router session, MCP
        server and file."""
        self._store.clear()

    # -- the API's state, for tests ------------------------------------------------------
    def complete_connection(self, account_id: str, error: str | None = None) -> str:
        """Do what the user's browser does at an account's ``redirect_url``: ``INITIATED``
        becomes ``ACTIVE``, or ``FAILED`` when ``error`` is given. Returns the status (an
        account already past ``INITIATED`` is left as it is). ``KeyError`` if unknown."""
        return accounts.complete_connection(self._store, account_id, error)

    def connect_user(self, user_id: str, toolkit: str) -> str:
        """Give ``user_id`` an ``ACTIVE`` connected account on ``toolkit`` at once (what
        ``toolkits.authorize`` plus the user's consent plus ``complete_connection`` do), for
        tests whose subject is not the connect flow: a tool of a toolkit that needs auth
        refuses to run for a user without one, as the real API does. Returns its id."""
        return accounts.connect_user(self._store, user_id, toolkit)

    def set_connection_status(self, account_id: str, status: str) -> None:
        """Force an account's status, e.g. ``EXPIRED`` or v3.1's ``REVOKED`` (which the v3
        document does not list: answers then carry a status newer than the spec)."""
        accounts.set_connection_status(self._store, account_id, status)

    @property
    def uploaded_files(self) -> list[UploadedFile]:
        """Files whose bytes arrived by PUT at an upload URL, with that PUT's headers."""
        with self._store.lock:
            return [
                UploadedFile(f.key, f.filename, f.mimetype, f.md5, f.data, dict(f.put_headers))
                for f in self._store.files.values()
                if f.data is not None
            ]

    # -- triggers ------------------------------------------------------------------------
    def fire_trigger(self, trigger_id: str, data: Mapping[str, Any]) -> int:
        """Deliver ONE event of an active trigger instance, in the V3 payload shape, to the
        realtime subscribers (``triggers.subscribe``; chunked when large) and to
        :attr:`webhook_url`, signed with :attr:`webhook_secret` as Standard Webhooks define.
        A 5xx from the receiver (or no answer) is retried a few times with a short backoff
        under the same ``webhook-id``; returns the receiver's final status, or 200 when no
        webhook is set and the event reached a realtime subscriber.

        ``ValueError`` when there is nowhere to deliver (no webhook URL/secret and no
        subscriber) or the trigger is unknown or disabled; ``ConnectionError`` when the
        receiver never answered."""
        delivery = deliver_trigger_event(self, trigger_id, data)
        if delivery is None:
            return 200
        assert delivery.status is not None  # no answer at all raised ConnectionError
        return delivery.status

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every :meth:`fire_trigger` attempt, in order (retries included)."""
        with self._lock:
            return list(self._deliveries)

    def _record_delivery(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)

    # -- faults --------------------------------------------------------------------------
    def fail_next(self, path: str, answers: Iterable[int | Fault]) -> None:
        """Queue scripted answers for the next requests to ``path`` (query ignored; either
        API prefix, ``/api/v3/`` or ``/api/v3.1/``, names the same route).

        An ``int`` is a status with the spec's error body; a :class:`Fault` says more.
        """
        with self._lock:
            queue = self._faults[canonical_path(path)]
            for answer in answers:
                queue.append(answer if isinstance(answer, Fault) else Fault(status=answer))

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(path)
            return queue.popleft() if queue else None

    # -- internal ------------------------------------------------------------------------
    def _count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def _record(self, rec: RecordedRequest) -> None:
        if self.record:
            with self._lock:
                self._requests.append(rec)
        if self.on_request is not None:
            try:
                self.on_request(rec)
            except Exception as exc:  # a hook's bug must not turn into the client's 500
                err(f"LocalServer on_request hook failed: {type(exc).__name__}: {exc}")

    def _record_telemetry(self, events: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            self._telemetry.extend(events)

    def _execute(
        self,
        slug: str,
        body: Mapping[str, Any],
        idem_key: str | None,
        version: str = "latest",
        api_version: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        if idem_key:
            with self._lock:
                done = self._idempotent.get(idem_key)
            if done is not None:
                return done
        args = body.get("arguments") or {}
        result = run_tool(slug, args, file_executors(self))
        self._record_execution(
            slug,
            args,
            version=version,
            api_version=api_version,
            user_id=body.get("user_id"),
            connected_account_id=body.get("connected_account_id"),
            log_id=result["log_id"],
        )
        if idem_key:
            with self._lock:
                self._idempotent[idem_key] = (200, result)
        return 200, result

    def _record_execution(
        self,
        slug: str,
        arguments: Mapping[str, Any],
        *,
        version: str,
        api_version: str | None,
        user_id: str | None,
        connected_account_id: str | None,
        log_id: str,
    ) -> None:
        record = Execution(
            slug, dict(arguments), version, api_version, user_id, connected_account_id, log_id
        )
        with self._lock:
            self._executions.append(record)


@dataclass(frozen=True)
class Execution:
    """One tool run as the server performed it."""

    slug: str
    arguments: Mapping[str, Any]
    version: str  #: the version it ran at (the default depends on the prefix, SPEC §14)
    api_version: str | None  #: ``"v3.1"`` or ``"v3"``: the prefix of the call
    user_id: str | None
    connected_account_id: str | None
    log_id: str


@dataclass(frozen=True)
class UploadedFile:
    """A file PUT to an upload URL; ``headers`` are that PUT's (lower-case names)."""

    key: str
    filename: str
    mimetype: str
    md5: str
    data: bytes | None
    headers: Mapping[str, str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms per keep-alive request on Linux loopback).
    disable_nagle_algorithm = True
    server: _Server
    server_version = "composio-local/1"

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr
        pass

    # One method for every verb: routing is by path.
    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- plumbing ------------------------------------------------------------------------
    _expect_continue = False

    def handle_expect_100(self) -> bool:
        """Say ``100 Continue`` only once the request is accepted (:meth:`_read_body`): a
        client that waits for it never sends a body that would be refused."""
        self._expect_continue = True
        return True

    def _read_body(self, length: int) -> bytes | None:
        """The body whose framing :func:`declared_length` accepted; ``None`` when the client
        hung up before sending all of it. :class:`Refused` for a bad chunk."""
        if self._expect_continue:
            self._expect_continue = False
            self.send_response_only(100)
            self.end_headers()
        if length == CHUNKED:
            return read_chunked(self.rfile, self.server.owner.max_body_size)
        body = self.rfile.read(length) if length > 0 else b""
        return body if len(body) == length else None

    def _refuse(self, status: int, message: str, fix: str | None = None) -> None:
        """Answer without reading the body, and close: its bytes, unread, would be parsed
        as the next request."""
        self.close_connection = True
        self._send(status, error_body(status, message, self._request_id, fix), close=True)

    def _send(
        self,
        status: int,
        payload: Any,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
        close: bool = False,
    ) -> None:
        body = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        sent = {k.lower() for k in (headers or {})}
        if "content-type" not in sent:
            self.send_header("Content-Type", "application/json")
        if "x-request-id" not in sent:
            self.send_header("x-request-id", self._request_id)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str, fix: str | None = None) -> None:
        self._send(status, error_body(status, message, self._request_id, fix))

    def _rst(self) -> None:
        sock = self.connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            sock.close()

    def _play_fault(self, fault: Fault) -> None:
        owner = self.server.owner
        if fault.delay and owner._stopping.wait(fault.delay):
            return
        if fault.action == "reset":
            self._rst()
            return
        body = fault.body
        if body is None:
            raw = json.dumps(
                error_body(fault.status, f"injected fault {fault.status}", self._request_id)
            ).encode()
        elif isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = json.dumps(body).encode()
        headers = dict(fault.headers)
        if fault.action in ("truncate", "reset_mid_body", "trickle"):
            self.send_response(fault.status)
            has_ct = any(k.lower() == "content-type" for k in headers)
            if not has_ct:
                self.send_header("Content-Type", "application/json")
            for k, v in headers.items():
                self.send_header(k, v)
            declared = len(raw) + (100 if fault.action == "truncate" else 0)
            self.send_header("Content-Length", str(declared))
            self.end_headers()
            if fault.action == "trickle":
                self.close_connection = True
                for i in range(len(raw)):
                    try:
                        self.wfile.write(raw[i : i + 1])
                        self.wfile.flush()
                    except OSError:  # the client gave up (its deadline): the point of the fault
                        return
                    if owner._stopping.wait(fault.interval):
                        break
                return
            half = raw[: len(raw) // 2] if fault.action == "reset_mid_body" else raw
            self.wfile.write(half)
            self.wfile.flush()
            if fault.action == "reset_mid_body":
                self._rst()
            else:
                self.close_connection = True
            return
        self._send(fault.status, None, headers, raw)

    # -- routing -------------------------------------------------------------------------
    def _handle(self) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self._request_id = headers.get("x-request-id") or uuid.uuid4().hex
        # Framing and the key are checked before any body byte is read (issue 16, item 16).
        try:
            length = declared_length(self.headers, owner.max_body_size)
        except Refused as refused:
            self._refuse(refused.status, refused.message)
            return
        telemetry = path == TELEMETRY_PATH and self.command == "POST"
        # The browser's visit to a redirect URL and the PUT to an upload URL carry no key,
        # as on the real service (those URLs are capabilities in themselves).
        keyless = telemetry or path.startswith(LOCAL_PREFIX)
        if not keyless and headers.get("x-api-key") != owner.api_key:
            # Recorded (a test proves what a stripped hop sent), its body never read.
            self._record(path, query, headers, b"")
            message, fix = (
                "Invalid or missing API key",
                "Pass the server's api_key as Composio(api_key=...).",
            )
            if length:
                self._refuse(401, message, fix)
            else:
                self._error(401, message, fix)
            return
        try:
            body = self._read_body(length)
        except Refused as refused:
            self._refuse(refused.status, refused.message)
            return
        if body is None:  # the client hung up mid-body: nobody to answer
            self.close_connection = True
            return
        if telemetry:
            try:
                events = json.loads(body or b"[]")
            except (ValueError, RecursionError):
                self._error(400, "telemetry body is not JSON")
                return
            if isinstance(events, dict):
                events = events.get("events", [events])
            if not isinstance(events, list):
                self._error(400, "telemetry body must be a JSON array or object")
                return
            owner._record_telemetry([e for e in events if isinstance(e, dict)])
            self._send(202, {"accepted": len(events)})
            return
        self._record(path, query, headers, body)
        canonical = canonical_path(path)
        fault = owner._next_fault(canonical)
        if fault is not None and not fault.passthrough:
            self._play_fault(fault)
            return
        ctx = Ctx(owner, self.command, path, canonical, {}, query, headers, body, self._request_id)
        reply = self._dispatch(ctx)
        if fault is not None:  # passthrough: the work is done, the answer is the fault's
            self._play_fault(fault)
            return
        if reply.raw is not None:
            self._send(reply.status, None, reply.headers, reply.raw)
        else:
            self._send(reply.status, reply.body, reply.headers)

    def _record(
        self, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str], body: bytes
    ) -> None:
        self.server.owner._record(
            RecordedRequest(
                self.command, path, query, headers, body, id(self.connection), api_version_of(path)
            )
        )

    def _dispatch(self, ctx: Ctx) -> Reply:
        if ctx.raw_path == "/echo":
            return Reply(
                200,
                {
                    "method": ctx.method,
                    "path": ctx.raw_path,
                    "query": ctx.query,
                    "headers": ctx.headers,
                    "body": ctx.body.decode("utf-8", "replace"),
                },
            )
        if ctx.raw_path.startswith("/redirect"):
            target = ctx.one("to") or ""
            status = int(ctx.one("status") or "302")
            return Reply(status, {"redirect": target}, {"Location": target})
        found = ROUTES.match(ctx.method, ctx.path)
        if found is None:
            return self._error_reply(ApiError(404, f"No route for {ctx.method} {ctx.raw_path}"))
        handler, ctx.params = found
        try:
            return handler(ctx)
        except ApiError as exc:
            return self._error_reply(exc)

    def _error_reply(self, exc: ApiError) -> Reply:
        return Reply(
            exc.status,
            error_body(
                exc.status, exc.message, self._request_id, exc.fix, code=exc.code, slug=exc.slug
            ),
        )
