"""A local Composio API server: real HTTP on loopback, threaded, with recording and faults.

It is the project's "embedded default": the demo runs on it, the tests talk to it, and users
can test their own code against it::

    from composio.testing import LocalServer
    with LocalServer() as server:
        client = Composio(api_key=server.api_key, base_url=server.url)
        client.tools.list()
        server.requests                                  # what arrived
        server.fail_next("/api/v3/tools", [503, 503])    # the next two answers on that path
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import ssl
import struct
import sys
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from composio.testing.catalog import EXECUTORS, TOOLKITS, TOOLS, ToolFailure, toolkit_detail

__all__ = ["Fault", "LocalServer", "RecordedRequest"]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  #: lower-cased names
    body: bytes
    connection_id: int

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


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
    status: int, message: str, request_id: str, fix: str | None = None
) -> dict[str, Any]:
    err: dict[str, Any] = {
        "message": message,
        "code": status * 10 + 1,
        "status": status,
        "request_id": request_id,
    }
    if fix:
        err["suggested_fix"] = fix
    return {"error": err}


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, num = raw.partition(":")
        value = int(num)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if kind == "offset" and value >= 0 else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    owner: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or rejects the certificate is normal here: no traceback."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

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
    ) -> None:
        """``ssl_context`` (a server-side context with a certificate loaded) serves HTTPS, for
        testing TLS verification; ``url`` then starts with ``https://``."""
        self.api_key = api_key or f"test_{uuid.uuid4().hex}"
        self._ssl_context = ssl_context
        self._host = host
        self._port = port
        self.page_size = page_size
        self.record = record
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._telemetry: list[dict[str, Any]] = []
        self._executions: list[tuple[str, dict[str, Any]]] = []
        self._idempotent: dict[str, tuple[int, dict[str, Any]]] = {}
        self._connections = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

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

    # -- inspection ----------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request received so far (telemetry posts are in ``telemetry_events``)."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

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
            return sum(1 for s, _ in self._executions if slug is None or s == slug)

    def reset(self) -> None:
        """Forget recorded requests, faults, telemetry and executions."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self._telemetry.clear()
            self._executions.clear()
            self._idempotent.clear()

    # -- faults --------------------------------------------------------------------------
    def fail_next(self, path: str, answers: Iterable[int | Fault]) -> None:
        """Queue scripted answers for the next requests to ``path`` (query ignored).

        An ``int`` is a status with the spec's error body; a :class:`Fault` says more.
        """
        with self._lock:
            queue = self._faults[path]
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

    def _record_telemetry(self, events: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            self._telemetry.extend(events)

    def _execute(
        self, slug: str, body: Mapping[str, Any], idem_key: str | None
    ) -> tuple[int, dict[str, Any]]:
        if idem_key:
            with self._lock:
                done = self._idempotent.get(idem_key)
            if done is not None:
                return done
        args = body.get("arguments") or {}
        executor = EXECUTORS.get(slug)
        if executor is None:
            result: dict[str, Any] = {
                "data": {"message": f"{slug} is a catalog-only tool: nothing ran"},
                "error": None,
                "successful": True,
                "log_id": f"log_{uuid.uuid4().hex[:12]}",
            }
        else:
            try:
                data = executor(args)
                result = {"data": data, "error": None, "successful": True}
            except ToolFailure as exc:
                result = {"data": {}, "error": str(exc), "successful": False}
            result["log_id"] = f"log_{uuid.uuid4().hex[:12]}"
        with self._lock:
            self._executions.append((slug, dict(args)))
            if idem_key:
                self._idempotent[idem_key] = (200, result)
        return 200, result


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
    def _read_body(self) -> bytes:
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(
        self,
        status: int,
        payload: Any,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
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
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        self._request_id = headers.get("x-request-id") or uuid.uuid4().hex
        if path == "/v1/metrics/invocations" and self.command == "POST":
            try:
                events = json.loads(body or b"[]")
            except ValueError:
                self._error(400, "telemetry body is not JSON")
                return
            if isinstance(events, dict):
                events = events.get("events", [events])
            owner._record_telemetry([e for e in events if isinstance(e, dict)])
            self._send(202, {"accepted": len(events)})
            return
        owner._record(
            RecordedRequest(self.command, path, query, headers, body, id(self.connection))
        )
        fault = owner._next_fault(path)
        if fault is not None and not fault.passthrough:
            self._play_fault(fault)
            return
        if headers.get("x-api-key") != owner.api_key:
            self._error(
                401,
                "Invalid or missing API key",
                "Pass the server's api_key as Composio(api_key=...).",
            )
            return
        if fault is not None:  # passthrough: do the work, then answer with the fault
            self._route(path, query, body, headers, silent=True)
            self._play_fault(fault)
            return
        self._route(path, query, body, headers)

    def _route(
        self,
        path: str,
        query: Mapping[str, list[str]],
        body: bytes,
        headers: Mapping[str, str],
        silent: bool = False,
    ) -> None:
        send = (lambda *a, **k: None) if silent else self._send
        error = (lambda *a, **k: None) if silent else self._error
        method = self.command
        if path == "/echo":
            send(
                200,
                {
                    "method": method,
                    "path": path,
                    "query": query,
                    "headers": headers,
                    "body": body.decode("utf-8", "replace"),
                },
            )
            return
        if path.startswith("/redirect"):
            target = query.get("to", [""])[0]
            status = int(query.get("status", ["302"])[0])
            send(status, {"redirect": target}, {"Location": target})
            return
        if method == "GET" and path == "/api/v3/tools":
            important = query.get("important", ["true"])
            if len(important) != 1 or important[0] not in ("true", "false"):
                error(400, "important must be 'true' or 'false'")
                return
            self._list(TOOLS, query, _tool_filter(query), send, error)
            return
        if method == "GET" and path == "/api/v3/toolkits":
            self._list(TOOLKITS, query, _toolkit_filter(query), send, error)
            return
        prefix_exec = "/api/v3/tools/execute/"
        if method == "POST" and path.startswith(prefix_exec):
            slug = unquote(path[len(prefix_exec) :])
            if not any(t["slug"] == slug for t in TOOLS):
                error(404, f"Tool {slug} not found", "Check the slug with tools.list().")
                return
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                error(400, "Request body is not valid JSON")
                return
            problem = _execute_body_problem(payload)
            if problem:
                error(400, problem, "See POST /api/v3/tools/execute/{tool_slug} in the spec.")
                return
            status, result = self.server.owner._execute(
                slug, payload, headers.get("idempotency-key")
            )
            send(status, result)
            return
        for prefix, items in (("/api/v3/tools/", TOOLS), ("/api/v3/toolkits/", TOOLKITS)):
            if method == "GET" and path.startswith(prefix) and path.count("/") == 4:
                slug = unquote(path[len(prefix) :])
                found = next((i for i in items if i["slug"] == slug), None)
                if found is None:
                    what = "Tool" if items is TOOLS else "Toolkit"
                    error(404, f"{what} {slug} not found")
                else:
                    send(200, found if items is TOOLS else toolkit_detail(found))
                return
        error(404, f"No route for {method} {path}")

    def _list(
        self,
        items: list[dict[str, Any]],
        query: Mapping[str, list[str]],
        keep: Any,
        send: Any,
        error: Any,
    ) -> None:
        owner = self.server.owner
        limit = owner.page_size
        if "limit" in query:
            try:
                limit = int(float(query["limit"][0]))
            except ValueError:
                error(400, "limit must be a number")
                return
            if not 1 <= limit <= MAX_PAGE_SIZE:
                error(400, f"limit must be between 1 and {MAX_PAGE_SIZE}")
                return
        offset = 0
        if "cursor" in query:
            decoded = _decode_cursor(query["cursor"][0])
            if decoded is None:
                error(400, "Invalid cursor", "Pass next_cursor from the previous page.")
                return
            offset = decoded
        matching = [i for i in items if keep(i)]
        page = matching[offset : offset + limit]
        nxt = offset + limit
        total_pages = max(1, -(-len(matching) // limit))
        send(
            200,
            {
                "items": page,
                "next_cursor": _encode_cursor(nxt) if nxt < len(matching) else None,
                "total_pages": total_pages,
                "current_page": offset // limit + 1,
                "total_items": len(matching),
            },
        )


_EXECUTE_STRINGS = ("user_id", "connected_account_id", "version", "entity_id", "text")


def _execute_body_problem(payload: object) -> str | None:
    """Why an execute body breaks the spec's request schema, or ``None``."""
    if not isinstance(payload, dict):
        return "Body must be a JSON object"
    if not isinstance(payload.get("arguments", {}), dict):
        return "'arguments' must be an object"
    if "arguments" in payload and "text" in payload:
        return "'arguments' and 'text' are mutually exclusive"
    for name in _EXECUTE_STRINGS:
        if name in payload and not isinstance(payload[name], str):
            return f"'{name}' must be a string"
    return None


def _csv(query: Mapping[str, list[str]], name: str) -> set[str]:
    return {v.strip() for raw in query.get(name, []) for v in raw.split(",") if v.strip()}


def _tool_filter(query: Mapping[str, list[str]]) -> Any:
    kits = {k.lower() for k in _csv(query, "toolkit_slug")}
    slugs = {s.upper() for s in _csv(query, "tool_slugs")}
    tags = set(query.get("tags", []))
    search = (query.get("search") or [""])[0].lower()
    important = (query.get("important") or [""])[0] == "true"

    def keep(tool: Mapping[str, Any]) -> bool:
        if kits and tool["toolkit"]["slug"] not in kits:
            return False
        if slugs and tool["slug"] not in slugs:
            return False
        if tags and not tags & set(tool["tags"]):
            return False
        if important and "important" not in tool["tags"]:
            return False
        text = f"{tool['slug']} {tool['name']} {tool['description']}".lower()
        return not (search and search not in text)

    return keep


def _toolkit_filter(query: Mapping[str, list[str]]) -> Any:
    category = (query.get("category") or [""])[0]

    def keep(kit: Mapping[str, Any]) -> bool:
        if not category:
            return True
        return any(c["id"] == category or c["name"] == category for c in kit["meta"]["categories"])

    return keep
