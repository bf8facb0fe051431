"""Requests to URLs that are not the API's (issue 16 items 4, 5, 14, 17), on both clients.

``files.upload``'s PUT to a presigned storage URL and a redirect hop to another origin go
through ``composio._external``: never traced by HTTP instrumentation, none of the SDK's
headers, environment proxies decided per URL (``NO_PROXY`` per host), the body streamed from
disk, and no plain-http storage URL when the API is reached over https. Everything is real:
the OpenTelemetry SDK and both HTTP instrumentors, a forwarding HTTP proxy, a storage server
that hashes what it receives without keeping it.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import http.server
import json
import ssl
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
import requests
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from composio import APIError, FileRef, ValidationError
from composio._egress import hosts
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.integration.test_tls import (
    certificate,  # noqa: F401 (a fixture used below)
    make_certificate,
)


def _uploads(server: LocalServer) -> list[Any]:
    return [r for r in server.requests if r.path.startswith("/_local/uploads/")]


# -- item 4: no HTTP-instrumentation span, no traceparent, no SDK header -------------------
@pytest.fixture
def otel() -> Iterator[InMemorySpanExporter]:
    """Both standard HTTP instrumentors on, exporting to one in-memory exporter."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    RequestsInstrumentor().instrument(tracer_provider=provider)
    AioHttpClientInstrumentor().instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        AioHttpClientInstrumentor().uninstrument()
        RequestsInstrumentor().uninstrument()
        provider.shutdown()


async def _aiohttp_get(url: str) -> None:
    async with aiohttp.ClientSession() as plain, plain.get(url) as resp:
        await resp.read()


def _instrumentation_is_live(server: LocalServer, exporter: InMemorySpanExporter) -> None:
    """A plain call on each library makes a span: the assertions below could fail."""
    import asyncio

    requests.get(server.url + "/echo", timeout=10)
    asyncio.run(_aiohttp_get(server.url + "/echo"))
    scopes = sorted(s.instrumentation_scope.name for s in exporter.get_finished_spans())  # type: ignore[union-attr]
    assert scopes == [
        "opentelemetry.instrumentation.aiohttp_client",
        "opentelemetry.instrumentation.requests",
    ]
    exporter.clear()


@pytest.mark.parametrize("allow_tracing", [False, True])
def test_item4_upload_put_is_never_traced_nor_given_sdk_headers(
    driver: Driver,
    server: LocalServer,
    otel: InMemorySpanExporter,
    tmp_path: Path,
    allow_tracing: bool,
) -> None:
    _instrumentation_is_live(server, otel)
    provider = TracerProvider()
    own = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(own))
    client = driver.client(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        allow_tracing=allow_tracing,
        tracer_provider=provider,
        default_headers={"x-team-token": "s3cr3t-default"},
    ).create_session(headers={"x-user-token": "s3cr3t-session"})
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    ref = client.files.upload(path, toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
    assert isinstance(ref, FileRef)
    # the application's instrumentation made no span of any SDK request, the PUT included
    assert otel.get_finished_spans() == ()
    # the SDK's own tracing: one span for the API call, none for the PUT to storage
    assert [s.attributes["http.request.method"] for s in own.get_finished_spans()] == (  # type: ignore[index]
        ["POST"] if allow_tracing else []
    )
    [put] = _uploads(server)
    sent = {k.lower() for k in server.uploaded_files[0].headers}
    assert put.method == "PUT"
    for name in ("traceparent", "tracestate", "x-api-key", "x-user-token", "x-team-token"):
        assert name not in sent
    assert not {n for n in sent if n.startswith("x-")}  # no SDK header of any kind
    request_post = server.requests_to("/api/v3.1/files/upload/request")[0]
    assert (request_post.header("traceparent") is not None) is allow_tracing
    provider.shutdown()


# -- item 5: environment proxies decided per URL (NO_PROXY per host) ------------------------
class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    """A forwarding HTTP proxy (absolute-form request lines, plain http only)."""

    protocol_version = "HTTP/1.1"
    seen: list[str]

    def _forward(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")  # type: ignore[attr-defined]
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request(self.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = _forward

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[Any]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
    srv.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def _proxy_env(monkeypatch: pytest.MonkeyPatch, proxy: Any, no_proxy: str) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.setenv("NO_PROXY", no_proxy)


@pytest.mark.parametrize("direct", ["127.0.0.1", "localhost"])
def test_item5_each_url_gets_its_own_proxy_decision(
    driver: Driver,
    server: LocalServer,
    proxy: Any,
    monkeypatch: pytest.MonkeyPatch,
    direct: str,
) -> None:
    """The API is on 127.0.0.1, the upload URL (and a redirect's target) on ``localhost``:
    ``NO_PROXY`` names one of them, and only the other one goes through the proxy."""
    _proxy_env(monkeypatch, proxy, direct)
    client = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    ref = client.files.upload(b"via?", toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
    assert server.uploaded_files[0].data == b"via?"
    # a redirect hop from the API's origin to the other name (the stored file: no key needed)
    stored = f"{server.alt_url}/_local/uploads/{ref.key}"
    assert client.request("GET", "/redirect", params={"to": stored}).content == b"via?"
    proxied = {line.split(" ", 2)[1].split("/")[2].split(":")[0] for line in proxy.seen}
    other = "localhost" if direct == "127.0.0.1" else "127.0.0.1"
    assert proxied == {other}, proxy.seen
    methods = sorted(line.split(" ", 1)[0] for line in proxy.seen)
    # 127.0.0.1 proxied: the upload request and the first GET; localhost: the PUT and the hop
    assert methods == (["GET", "PUT"] if other == "localhost" else ["GET", "POST"])
    client.close()


# -- item 14: uploads stream from disk --------------------------------------------------------
class _Storage(http.server.BaseHTTPRequestHandler):
    """An API answering upload requests with a URL on this same server (another origin
    name), and a storage PUT that hashes the body in slices and keeps only the digest."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        owner: Any = self.server
        if owner.on_post is not None:
            owner.on_post()
        self._json(200, {"type": "new", "key": "k1", "new_presigned_url": owner.put_url})

    def do_PUT(self) -> None:
        length = left = int(self.headers.get("Content-Length") or 0)
        digest = hashlib.md5(usedforsecurity=False)
        while left:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            digest.update(chunk)
            left -= len(chunk)
        owner: Any = self.server
        owner.puts.append((length, length - left, digest.hexdigest()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


class _StorageServer:
    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.httpd: Any = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Storage)
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = "https" if context is not None else "http"
        self.httpd.puts = []  #: (Content-Length, bytes received, MD5 of those)
        self.httpd.on_post = None
        self.httpd.put_url = f"http://localhost:{self.port}/store/k1"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}
        )

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> _StorageServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)


def test_item14_upload_memory_is_flat_in_the_file_size(driver: Driver, tmp_path: Path) -> None:
    """A 64 MiB (sparse) file: the upload's peak of traced Python memory stays a small
    fraction of it, on both clients (the storage server in this process keeps nothing)."""
    size = 64 << 20
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        f.truncate(size)
    with _StorageServer() as storage:
        client = driver.client(api_key="k", base_url=storage.url, allow_tracking=False)
        client.files.upload(b"warm-up", toolkit_slug="text", tool_slug="T")  # pools, imports
        tracemalloc.start()
        try:
            ref = client.files.upload(path, toolkit_slug="text", tool_slug="T")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        client.close()
        expected = hashlib.md5(bytes(1 << 20), usedforsecurity=False)
        whole = hashlib.md5(usedforsecurity=False)
        for _ in range(64):
            whole.update(bytes(1 << 20))
        assert ref.md5 == whole.hexdigest() != expected.hexdigest()
        assert storage.httpd.puts[-1] == (size, size, ref.md5)
    assert peak < size // 8, f"peak {peak / 2**20:.1f} MiB for a 64 MiB upload"


def test_item14_uploading_bytes_copies_nothing(driver: Driver) -> None:
    """64 MiB given as bytes: the upload itself allocates a small fraction of that (the
    async transport once copied it twice into asyncio's write buffer)."""
    data = bytes(64 << 20)
    with _StorageServer() as storage:
        client = driver.client(api_key="k", base_url=storage.url, allow_tracking=False)
        client.files.upload(b"warm-up", toolkit_slug="text", tool_slug="T")
        tracemalloc.start()
        try:
            ref = client.files.upload(data, toolkit_slug="text", tool_slug="T")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        client.close()
        assert storage.httpd.puts[-1] == (len(data), len(data), ref.md5)
    assert peak < len(data) // 8, f"peak {peak / 2**20:.1f} MiB for 64 MiB of bytes"


def test_item14_a_file_that_changes_while_uploading_is_an_error(
    driver: Driver, tmp_path: Path
) -> None:
    """Streaming reads the file twice (hash, then send): a file that is not the one hashed by
    the time it is sent fails the call with a clear error instead of storing other bytes."""
    path = tmp_path / "moving.txt"
    path.write_bytes(b"first version")
    with _StorageServer() as storage:
        client = driver.client(api_key="k", base_url=storage.url, allow_tracking=False)
        # the API answers after the file was rewritten: hashed one version, sends another
        storage.httpd.on_post = lambda: path.write_bytes(b"second version!")
        with pytest.raises(ValidationError, match="changed while") as info:
            client.files.upload(path, toolkit_slug="text", tool_slug="T")
        assert "moving.txt" in str(info.value)
        # storage never received a whole body
        assert all(got < length for length, got, _ in storage.httpd.puts), storage.httpd.puts
        storage.httpd.on_post = None
        assert client.files.upload(path, toolkit_slug="text", tool_slug="T").md5 == (
            hashlib.md5(b"second version!", usedforsecurity=False).hexdigest()
        )
        client.close()


# -- item 17: no plain-http storage URL when the API is https --------------------------------
@pytest.fixture
def https_storage(certificate: tuple[Path, Path]) -> Iterator[_StorageServer]:  # noqa: F811
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with _StorageServer(context) as srv:
        yield srv


def test_item17_an_http_upload_url_is_refused_when_the_api_is_https(
    driver: Driver,
    https_storage: _StorageServer,
    certificate: tuple[Path, Path],  # noqa: F811
) -> None:
    with _StorageServer() as plain:
        https_storage.httpd.put_url = f"{plain.url}/store/k1?X-Amz-Signature=s3cr3t-sig"
        client = driver.client(
            api_key="k",
            base_url=https_storage.url,
            verify=str(certificate[0]),
            allow_tracking=False,
        )
        with pytest.raises(APIError, match="https") as info:
            client.files.upload(b"clear text?", toolkit_slug="text", tool_slug="T")
        assert "s3cr3t-sig" not in str(info.value)
        assert plain.httpd.puts == []  # not one byte went out in clear text
        # the client stays usable: an https upload URL is accepted
        https_storage.httpd.put_url = f"{https_storage.url}/store/k1"
        client.files.upload(b"over tls", toolkit_slug="text", tool_slug="T")
        assert https_storage.httpd.puts == [
            (8, 8, hashlib.md5(b"over tls", usedforsecurity=False).hexdigest())
        ]
        client.close()


# -- SSRF by DNS: a name that resolves into the local network ----------------------------------
@contextlib.contextmanager
def _resolving(names: dict[str, str]) -> Iterator[None]:
    """Names resolved to these addresses in this context, through the SDK's own lookup seam
    (``composio._egress.hosts``, read by both clients' lookups where the address is checked):
    a hosts file for one test, no DNS, no ``/etc/hosts``, nothing of requests/aiohttp patched."""
    token = hosts.set(names)
    try:
        yield
    finally:
        hosts.reset(token)


@pytest.fixture(scope="module")
def named_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for the names ``api.test`` and ``storage.test``."""
    d = tmp_path_factory.mktemp("named-tls")
    return make_certificate(d, "api.test", "DNS:api.test,DNS:storage.test")


def test_ssrf_dns_a_name_resolving_to_cloud_metadata_is_refused_before_connecting(
    driver: Driver, server: LocalServer
) -> None:
    """A storage URL (and a redirect hop) whose *name* resolves to the link-local metadata
    address: refused at the lookup, before any connection, with the literal refusal's error;
    the same client then uploads to a name that resolves to loopback (the API is on
    loopback): the check is on the resolved address, and a real connection follows it."""
    with (
        _StorageServer() as storage,
        _resolving({"metadata.test": "169.254.169.254", "storage.test": "127.0.0.1"}),
    ):
        client = driver.client(api_key="k", base_url=storage.url, allow_tracking=False)
        storage.httpd.put_url = (
            f"http://metadata.test:{storage.port}/latest/meta-data?X-Amz-Signature=s3cr3t-sig"
        )
        with pytest.raises(APIError, match="link-local address") as info:
            client.files.upload(b"metadata?", toolkit_slug="text", tool_slug="T")
        text = str(info.value)
        assert "resolved to 169.254.169.254" in text and "Nothing was sent" in text, text
        assert "s3cr3t-sig" not in text and "metadata.test" in text
        assert storage.httpd.puts == []
        storage.httpd.put_url = f"http://storage.test:{storage.port}/store/k1"
        client.files.upload(b"to loopback", toolkit_slug="text", tool_slug="T")
        assert storage.httpd.puts == [
            (11, 11, hashlib.md5(b"to loopback", usedforsecurity=False).hexdigest())
        ]
        client.close()
        # a redirect hop from the API to such a name: the same refusal
        api = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
        with pytest.raises(APIError, match="link-local address") as hop:
            api.request("GET", "/redirect", params={"to": "http://metadata.test/latest/"})
        assert "resolved to 169.254.169.254" in str(hop.value)
        assert api.request("GET", "/echo").status_code == 200  # still usable
        api.close()


def test_ssrf_dns_a_public_apis_storage_name_resolving_to_loopback_is_refused(
    driver: Driver, named_certificate: tuple[Path, Path]
) -> None:
    """The API on a name (``api.test``), so not on an internal address as far as its URL
    says; its upload URL on another name that resolves to 127.0.0.1: refused at connect
    time, the storage server (listening right there) receives nothing."""
    cert, key = named_certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with (
        _StorageServer(context) as storage,
        _resolving({"api.test": "127.0.0.1", "storage.test": "127.0.0.1"}),
    ):
        client = driver.client(
            api_key="k",
            base_url=f"https://api.test:{storage.port}",
            verify=str(cert),
            allow_tracking=False,
        )
        storage.httpd.put_url = f"https://storage.test:{storage.port}/store/k1?sig=s3cr3t-sig"
        with pytest.raises(APIError, match="loopback address") as info:
            client.files.upload(b"inward?", toolkit_slug="text", tool_slug="T")
        assert "resolved to 127.0.0.1" in str(info.value)
        assert "s3cr3t-sig" not in str(info.value)
        assert storage.httpd.puts == []  # not one byte, though a server listens there
        # the API's own origin is not checked: an upload URL on it goes through
        storage.httpd.put_url = f"https://api.test:{storage.port}/store/k1"
        client.files.upload(b"same origin", toolkit_slug="text", tool_slug="T")
        assert [p[0] for p in storage.httpd.puts] == [11]
        client.close()
