"""composio-request-signing: the signer over loopback, and the verifier against what the
server actually received."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import pickle
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points

import composio_request_signing as rs
import pytest
from composio_request_signing import (
    NonceCache,
    RequestSigner,
    SignatureError,
    Verifier,
    verify,
)

import composio
from composio import AuthenticationError, Composio, PluginError, ValidationError
from composio.testing import Fault, LocalServer, RecordedRequest

KEY = "signing-key-SENTINEL-5d1c7e9a3b2f4c6e8a0b2d4f6a8c0e2f"
OTHER_KEY = "another-key-0123456789abcdef0123456789abcdef"
TOOLS = "/api/v3/tools"
EXECUTE = "/api/v3/tools/execute/TEXT_UPPERCASE"


class TickingClock:
    """Unix seconds that advance by ``step`` on every reading: each attempt gets its own."""

    def __init__(self, start: float = 1_800_000_000.0, step: float = 1.0) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")
    for name in (rs.KEY_ENV, rs.KEY_ID_ENV, rs.REQUIRED_ENV):
        monkeypatch.delenv(name, raising=False)


def _client(server: LocalServer, signer: RequestSigner, **kw: object) -> Composio:
    return Composio(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        middlewares=[signer],
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(composio_server: LocalServer) -> Iterator[Composio]:
    c = _client(composio_server, RequestSigner(KEY))
    yield c
    c.close()


def check(rec: RecordedRequest, verifier: Verifier) -> None:
    verifier.verify(rec.method, rec.path, rec.query, rec.body, rec.headers)


def test_what_the_server_received_verifies(client: Composio, composio_server: LocalServer) -> None:
    client.tools.list(toolkit_slug="github", limit=5, search="a b+c/é&x=y")
    client.tools.execute("TEXT_UPPERCASE", {"text": "grüße 🎉", "n": [1, 2.5, None]})
    client.request("GET", "/api/v3/toolkits", params={"zeta": "1", "alpha": "", "limit": 3})
    verifier = Verifier(KEY)
    recs = composio_server.requests
    assert len(recs) == 3
    for rec in recs:
        check(rec, verifier)
        assert rec.header(rs.SIGNATURE_HEADER).startswith("v1=")  # type: ignore[union-attr]
    post = recs[1]
    assert post.header(rs.CONTENT_HEADER) == __import__("hashlib").sha256(post.body).hexdigest()


def test_every_attempt_of_a_retried_call_is_signed_afresh(composio_server: LocalServer) -> None:
    signer = RequestSigner(KEY, signed_headers=["x-retry-count"], clock=TickingClock())
    composio_server.fail_next(TOOLS, [Fault(status=503, headers={"retry-after-ms": "0"})] * 2)
    with _client(composio_server, signer) as c:
        c.tools.list()
    first, second, third = composio_server.requests_to(TOOLS)
    assert [r.header("x-retry-count") for r in (first, second, third)] == ["0", "1", "2"]
    names = (rs.SIGNATURE_HEADER, rs.NONCE_HEADER, rs.TIMESTAMP_HEADER)
    for name in names:
        assert len({r.header(name) for r in (first, second, third)}) == 3, name
    verifier = Verifier(KEY, clock=lambda: 1_800_000_002.0)
    for rec in (first, second, third):
        check(rec, verifier)  # each attempt valid on its own, and none is a replay of another
    # x-retry-count is covered: the second attempt's signature does not fit the first's count.
    forged = dict(second.headers, **{"x-retry-count": "0"})
    with pytest.raises(SignatureError) as info:
        Verifier(KEY, clock=lambda: 1_800_000_002.0).verify(
            second.method, second.path, second.query, second.body, forged
        )
    assert info.value.reason == "mismatch"


def test_it_is_the_last_middleware_before_the_transport(client: Composio) -> None:
    assert client.chain[-1].name == "request-signing"
    names = [m.name for m in client.chain]
    assert names.index("retry") < names.index("tracing") < names.index("request-signing")


# -- tampering -----------------------------------------------------------------------------


def _tamper_header(name: str, value: str) -> Callable[[RecordedRequest], RecordedRequest]:
    def change(rec: RecordedRequest) -> RecordedRequest:
        return replace(rec, headers={**rec.headers, name: value})

    return change


def _flip(text: str) -> str:
    return text[:-1] + ("0" if text[-1] != "0" else "1")


TAMPERINGS: dict[str, Callable[[RecordedRequest], RecordedRequest]] = {
    "method": lambda r: replace(r, method="PUT"),
    "path": lambda r: replace(r, path=r.path.replace("UPPERCASE", "LOWERCASE")),
    "query value": lambda r: replace(r, query={**r.query, "version": ["2"]}),
    "query added": lambda r: replace(r, query={**r.query, "debug": ["1"]}),
    "query removed": lambda r: replace(r, query={}),
    "body": lambda r: replace(r, body=r.body.replace(b"hello", b"HELLO")),
    "body and its digest header": lambda r: replace(
        r,
        body=r.body.replace(b"hello", b"HELLO"),
        headers={
            **r.headers,
            rs.CONTENT_HEADER: __import__("hashlib")
            .sha256(r.body.replace(b"hello", b"HELLO"))
            .hexdigest(),
        },
    ),
    "timestamp": lambda r: replace(
        r, headers={**r.headers, rs.TIMESTAMP_HEADER: str(int(r.headers[rs.TIMESTAMP_HEADER]) - 1)}
    ),
    "nonce": lambda r: replace(
        r, headers={**r.headers, rs.NONCE_HEADER: _flip(r.headers[rs.NONCE_HEADER])}
    ),
    "signature": lambda r: replace(
        r, headers={**r.headers, rs.SIGNATURE_HEADER: _flip(r.headers[rs.SIGNATURE_HEADER])}
    ),
    "key id": _tamper_header(rs.KEY_ID_HEADER, "k2"),
    "signed header": _tamper_header("x-request-id", "someone-else"),
    "signed-headers list": _tamper_header(rs.SIGNED_HEADERS_HEADER, "x-retry-count"),
}


@pytest.fixture
def signed_post(composio_server: LocalServer) -> RecordedRequest:
    signer = RequestSigner(KEY, key_id="k1", signed_headers=["x-request-id"])
    with _client(composio_server, signer) as c:
        c.request("POST", EXECUTE, params={"version": "1"}, json={"arguments": {"text": "hello"}})
    (rec,) = composio_server.requests
    return rec


def _verifier() -> Verifier:
    return Verifier({"k1": KEY, "k2": OTHER_KEY})


def test_the_untampered_request_verifies(signed_post: RecordedRequest) -> None:
    check(signed_post, _verifier())
    # A proxy that re-orders or re-encodes the query changes nothing that is signed.
    check(replace(signed_post, query=[("version", "1")]), _verifier())  # type: ignore[arg-type]


@pytest.mark.parametrize("part", sorted(TAMPERINGS))
def test_tampering_with_any_signed_part_is_rejected(
    signed_post: RecordedRequest, part: str
) -> None:
    tampered = TAMPERINGS[part](signed_post)
    with pytest.raises(SignatureError) as info:
        check(tampered, _verifier())
    assert info.value.reason in {"mismatch", "body_digest"}
    assert KEY not in str(info.value) and signed_post.headers[rs.SIGNATURE_HEADER] not in str(
        info.value
    )


def test_missing_malformed_unknown_key_and_wrong_key(signed_post: RecordedRequest) -> None:
    cases = {
        "missing": replace(
            signed_post,
            headers={k: v for k, v in signed_post.headers.items() if k != rs.NONCE_HEADER},
        ),
        "malformed": replace(
            signed_post, headers={**signed_post.headers, rs.TIMESTAMP_HEADER: "soon"}
        ),
        "unknown_key": replace(
            signed_post, headers={**signed_post.headers, rs.KEY_ID_HEADER: "k9"}
        ),
    }
    for reason, rec in cases.items():
        with pytest.raises(SignatureError) as info:
            check(rec, _verifier())
        assert info.value.reason == reason
    with pytest.raises(SignatureError) as wrong:
        check(signed_post, Verifier({"k1": OTHER_KEY}))
    assert wrong.value.reason == "mismatch"


def test_a_replay_is_rejected(signed_post: RecordedRequest) -> None:
    verifier = _verifier()
    check(signed_post, verifier)
    with pytest.raises(SignatureError) as info:
        check(signed_post, verifier)
    assert info.value.reason == "replay"
    # The function form needs the cache passed in, and remembers across calls through it.
    cache = NonceCache()
    args = (signed_post.method, signed_post.path, signed_post.query, signed_post.body)
    verify(*args, signed_post.headers, key={"k1": KEY}, nonces=cache)
    with pytest.raises(SignatureError, match="replay"):
        verify(*args, signed_post.headers, key={"k1": KEY}, nonces=cache)


@pytest.mark.parametrize("offset", [301, -301])
def test_clock_skew_beyond_the_window_is_rejected(
    signed_post: RecordedRequest, offset: int
) -> None:
    sent = int(signed_post.headers[rs.TIMESTAMP_HEADER])
    with pytest.raises(SignatureError) as info:
        check(signed_post, Verifier({"k1": KEY}, max_skew=300, clock=lambda: sent + offset))
    assert info.value.reason == "skew"
    assert ("old" if offset > 0 else "in the future") in str(info.value)
    check(signed_post, Verifier({"k1": KEY}, max_skew=300, clock=lambda: sent + offset * 0.99))


def test_the_replay_cache_is_bounded_and_forgets_expired_nonces(
    composio_server: LocalServer,
) -> None:
    clock = TickingClock(step=0.0)
    with _client(composio_server, RequestSigner(KEY, clock=clock)) as c:
        for _ in range(3):
            c.tools.list()
    recs = composio_server.requests
    now = [clock.now]
    verifier = Verifier(KEY, max_skew=60, nonce_capacity=2, clock=lambda: now[0])
    check(recs[0], verifier)
    check(recs[1], verifier)
    with pytest.raises(SignatureError) as info:
        check(recs[2], verifier)  # full of live nonces: refuse rather than forget one
    assert info.value.reason == "capacity" and len(verifier.nonces) == 2
    # Later, still inside the skew window but the cache purges only expired entries: the two
    # stored nonces expire at sent + 60, so at sent + 60.5 they are gone and the skew check
    # refuses every old request anyway.
    now[0] = clock.now + 60.5
    with pytest.raises(SignatureError, match="skew"):
        check(recs[0], verifier)
    with _client(composio_server, RequestSigner(KEY, clock=lambda: now[0])) as c:
        c.tools.list()
    check(composio_server.requests[-1], verifier)  # a fresh request fits again
    assert len(verifier.nonces) == 1


# -- the key -------------------------------------------------------------------------------


def test_the_key_is_never_logged_shown_or_sent(
    composio_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signer = RequestSigner(KEY, key_id="k1")
    composio_server.fail_next(TOOLS, [Fault(status=503, headers={"retry-after-ms": "0"})])
    with _client(composio_server, signer) as c:
        c.tools.list()
        shown = [repr(signer), str(signer), repr(c.chain), repr(c), repr(Verifier(KEY))]
    assert "retrying" in caplog.text  # the retry was logged at DEBUG ...
    for text in [caplog.text, *shown]:
        assert KEY not in text and KEY[:12] not in text  # ... without the key
    for rec in composio_server.requests:
        assert all(KEY not in v for v in rec.headers.values())
    with pytest.raises(TypeError):
        pickle.dumps(signer)


def test_bad_keys_are_clear_errors_that_do_not_echo_them() -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes") as info:
        RequestSigner("short-secret-value")
    assert "short-secret-value" not in str(info.value)
    with pytest.raises(ValidationError, match="not valid base64") as info:
        RequestSigner("base64:%%%not-base64-secret%%%")
    assert "not-base64-secret" not in str(info.value)
    with pytest.raises(ValidationError, match="written by the signer"):
        RequestSigner(KEY, signed_headers=["X-Composio-Nonce"])
    raw = bytes(range(32))
    signer = RequestSigner("base64:" + base64.b64encode(raw).decode())
    assert repr(signer) == "RequestSigner(key='***', key_id=None, signed_headers=[])"


# -- packaging -----------------------------------------------------------------------------


def test_the_package_registers_its_entry_point(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    eps = {ep.name: ep.value for ep in entry_points(group="composio")}
    assert eps.get("composio-request-signing") == "composio_request_signing"
    monkeypatch.setenv(rs.KEY_ENV, KEY)
    monkeypatch.setenv(rs.KEY_ID_ENV, "k1")
    kw = dict(api_key=composio_server.api_key, base_url=composio_server.url)
    with Composio(**kw) as off:  # type: ignore[arg-type]
        off.tools.list()  # autoload is off in these tests: not signed
    monkeypatch.delenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD")
    with Composio(**kw) as on:  # type: ignore[arg-type]
        assert "composio-request-signing" in on.plugin_names
        on.tools.list()
    unsigned, signed = composio_server.requests
    assert unsigned.header(rs.SIGNATURE_HEADER) is None
    check(signed, Verifier({"k1": KEY}))


def test_without_a_key_it_warns_and_signs_nothing_unless_required(
    composio_server: LocalServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD")
    monkeypatch.setattr(rs, "_warned", [False])
    kw = dict(api_key=composio_server.api_key, base_url=composio_server.url)
    with caplog.at_level(logging.WARNING), Composio(**kw) as c:  # type: ignore[arg-type]
        assert "request-signing" not in [m.name for m in c.chain]
    assert "COMPOSIO_SIGNING_KEY is not set" in caplog.text
    monkeypatch.setenv(rs.REQUIRED_ENV, "1")
    with pytest.raises(PluginError, match=r"composio-request-signing.*COMPOSIO_SIGNING_KEY"):
        Composio(**kw)  # type: ignore[arg-type]
    monkeypatch.setenv(rs.KEY_ENV, "too-short")
    with pytest.raises(PluginError, match="at least 32 bytes") as info:
        Composio(**kw)  # type: ignore[arg-type]
    assert "too-short" not in str(info.value)


def test_async_client_signs_every_attempt(composio_server: LocalServer) -> None:
    AsyncComposio = getattr(composio, "AsyncComposio", None)
    if AsyncComposio is None:
        pytest.skip("AsyncComposio not on this branch yet")

    async def scenario() -> None:
        composio_server.fail_next(TOOLS, [Fault(status=503, headers={"retry-after-ms": "0"})])
        async with AsyncComposio(
            api_key=composio_server.api_key,
            base_url=composio_server.url,
            allow_tracking=False,
            middlewares=[RequestSigner(KEY, signed_headers=["x-retry-count"])],
        ) as c:
            await c.tools.list(search="é x")
            await c.tools.execute("TEXT_UPPERCASE", {"text": "grüße"})

    asyncio.run(scenario())
    verifier = Verifier(KEY)
    recs = composio_server.requests
    assert len(recs) == 3
    for rec in recs:
        check(rec, verifier)


def test_the_wire_format_is_pinned_by_a_vector_computed_without_the_plugin() -> None:
    """For receivers in other languages: the string to sign and the HMAC, from first
    principles (hashlib/hmac here, not the plugin's helpers)."""
    import hashlib
    import hmac

    from composio_request_signing._canonical import canonical_query, string_to_sign

    assert canonical_query([("b", "x y"), ("a", "é"), ("a", "1"), ("c", "")]) == (
        "a=%C3%A9&a=1&b=x%20y&c="  # sorted after encoding, by byte
    )
    body = b'{"text":"hi"}'
    message = string_to_sign(
        "post",
        "/api/v3/tools/execute/TEXT_UPPERCASE",
        "version=1",
        hashlib.sha256(body).hexdigest(),
        "1800000000",
        "0123456789abcdef0123456789abcdef",
        "k1",
        [("x-request-id", " r-1 ")],
    )
    expected = (
        "COMPOSIO-HMAC-SHA256/v1\nPOST\n/api/v3/tools/execute/TEXT_UPPERCASE\nversion=1\n"
        f"{hashlib.sha256(body).hexdigest()}\n1800000000\n0123456789abcdef0123456789abcdef\n"
        "k1\nx-request-id\nx-request-id:r-1"
    ).encode()
    assert message == expected
    headers = {
        "X-Composio-Signature": "v1="
        + hmac.new(KEY.encode(), expected, hashlib.sha256).hexdigest(),
        "X-Composio-Timestamp": "1800000000",
        "X-Composio-Nonce": "0123456789abcdef0123456789abcdef",
        "X-Composio-Key-Id": "k1",
        "X-Composio-Signed-Headers": "x-request-id",
        "X-Request-Id": "r-1",
    }
    verify(
        "POST",
        "/api/v3/tools/execute/TEXT_UPPERCASE",
        "version=1",
        body,
        headers,
        key={"k1": KEY},
        nonces=NonceCache(),
        now=1_800_000_100,
    )


# -- issue 16 item 9: headers the HTTP library adds after the chain ---------------------------


class VerifyingServer:
    """A loopback HTTP server that verifies every request it receives (as a gateway would)
    and answers 401 with the reason when it does not verify."""

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier
        #: (method, path, query, body, headers, verdict) of every request, as received
        self.received: list[tuple[str, str, str, bytes, dict[str, str], str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                headers = dict(self.headers.items())
                try:
                    owner.verifier.verify(self.command, path, query, body, headers)
                except SignatureError as exc:
                    verdict, status = exc.reason, 401
                else:
                    verdict, status = "ok", 200
                owner.received.append((self.command, path, query, body, headers, verdict))
                payload = json.dumps({"verdict": verdict}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(10)


@pytest.fixture
def verifying_server() -> Iterator[VerifyingServer]:
    server = VerifyingServer(Verifier(KEY, required_headers=["host", "content-type"]))
    yield server
    server.close()


def _send_all(server: VerifyingServer, kind: str, signer: RequestSigner) -> None:
    """A GET with a query, a POST with a JSON body and a DELETE, on the sync or async client."""
    kw: dict[str, object] = {
        "api_key": "verifying-server-key",
        "base_url": server.url,
        "allow_tracking": False,
        "max_retries": 0,
        "middlewares": [signer],
    }
    calls: list[tuple[str, dict[str, object]]] = [
        ("GET", {"params": {"q": "é x", "limit": 2}}),
        ("POST", {"json": {"arguments": {"text": "grüße"}}}),
        ("DELETE", {}),
    ]
    if kind == "sync":
        with Composio(**kw) as c:  # type: ignore[arg-type]
            for method, extra in calls:
                c.request(method, "/api/v3.1/signed", **extra)  # type: ignore[arg-type]
        return

    async def scenario() -> None:
        async with composio.AsyncComposio(**kw) as c:  # type: ignore[arg-type]
            for method, extra in calls:
                await c.request(method, "/api/v3.1/signed", **extra)  # type: ignore[arg-type]

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_item9_signed_host_and_content_type_verify_at_a_real_server(
    verifying_server: VerifyingServer, kind: str
) -> None:
    """Issue 16 item 9: ``host`` and ``content-type`` were accepted in ``signed_headers`` but
    signed empty, since the HTTP library adds them after the chain: no such request verified.
    Now they are written when signed, with the values the library would send."""
    _send_all(verifying_server, kind, RequestSigner(KEY, signed_headers=["host", "content-type"]))
    assert [(r[0], r[-1]) for r in verifying_server.received] == [
        ("GET", "ok"),
        ("POST", "ok"),
        ("DELETE", "ok"),
    ]
    port = verifying_server.url.rsplit(":", 1)[1]
    for *_, headers, _ in verifying_server.received:
        received = {k.lower(): v for k, v in headers.items()}
        assert received["host"] == f"127.0.0.1:{port}"
        assert received[rs.SIGNED_HEADERS_HEADER] == "host;content-type"
    post = {k.lower(): v for k, v in verifying_server.received[1][4].items()}
    assert post["content-type"] == "application/json"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_item9_a_request_replayed_to_another_host_is_refused(
    verifying_server: VerifyingServer, kind: str
) -> None:
    _send_all(verifying_server, kind, RequestSigner(KEY, signed_headers=["content-type", "host"]))
    method, path, query, body, headers, verdict = verifying_server.received[1]  # the POST
    assert verdict == "ok"
    Verifier(KEY).verify(method, path, query, body, headers)  # as received: valid
    elsewhere = {k: v for k, v in headers.items() if k.lower() != "host"}
    for host in ("api.other-tenant.example", "127.0.0.1:1"):
        with pytest.raises(SignatureError) as info:
            Verifier(KEY).verify(method, path, query, body, {**elsewhere, "Host": host})
        assert info.value.reason == "mismatch"
    # Unsigned, the host is not bound, and the receiver that requires it says so.
    server = VerifyingServer(Verifier(KEY, required_headers=["host"]))
    try:
        with pytest.raises(AuthenticationError):
            _send_all(server, kind, RequestSigner(KEY))
        assert server.received[0][-1] == "unsigned_header"
    finally:
        server.close()


@pytest.mark.parametrize(
    "name", ["content-length", "Content-Length", "transfer-encoding", "connection", "te"]
)
def test_item9_headers_set_after_signing_are_refused_at_construction(name: str) -> None:
    with pytest.raises(ValidationError, match="set by the transport or a proxy") as info:
        RequestSigner(KEY, signed_headers=[name])
    assert repr(name) in str(info.value) and KEY not in str(info.value)


def test_item9_the_host_is_written_as_the_http_libraries_write_it() -> None:
    from composio_request_signing._signer import _host

    assert _host("https://Backend.EXAMPLE.com/api/v3.1/tools") == "backend.example.com"
    assert _host("https://backend.example.com:443/x") == "backend.example.com"
    assert _host("http://backend.example.com:80/x") == "backend.example.com"
    assert _host("https://backend.example.com:8443/x") == "backend.example.com:8443"
    assert _host("http://[::1]:8080/x") == "[::1]:8080"
    assert _host("https://bücher.example/x") == "xn--bcher-kva.example"


def test_a_path_with_its_own_query_and_params_verifies(
    client: Composio, composio_server: LocalServer
) -> None:
    """The transport joins ``params`` to a path's own query with ``&``
    (``composio._wire.full_url``); the signer mirrored it with a second ``?``, so the
    server's query (``x=1&a=b``) was not the one signed (``x=1?a=b``)."""
    client.request("GET", "/api/v3/toolkits?x=1", params={"a": "b c"})
    (rec,) = composio_server.requests_to("/api/v3/toolkits")
    assert rec.query == {"x": ["1"], "a": ["b c"]}
    check(rec, Verifier(KEY))


def _deep(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def test_a_body_nested_too_deep_to_sign_is_a_validation_error(
    client: Composio, composio_server: LocalServer
) -> None:
    """The signer encodes the body itself, deeper in the stack than the SDK's own check:
    a body nested just within the check's reach raised a bare ``RecursionError`` from the
    signer. Every depth around the limit is sent (and verifies) or refused clearly."""
    import sys

    limit = sys.getrecursionlimit()
    outcomes: dict[str, int] = {}
    for depth in range(limit - 200, limit + 20, 3):
        try:
            client.request("POST", "/echo", json={"a": _deep(depth)})
            outcomes["sent"] = outcomes.get("sent", 0) + 1
        except ValidationError as exc:
            assert "nested deeper than JSON encoding can go" in str(exc)
            outcomes["refused"] = outcomes.get("refused", 0) + 1
    assert outcomes.get("sent") and outcomes.get("refused"), outcomes
    for rec in composio_server.requests_to("/echo"):
        check(rec, Verifier(KEY))
    assert client.request("POST", "/echo", json={"a": 1}).status_code == 200
