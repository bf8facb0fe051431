"""``composio demo``: the seed document's examples, run against the embedded local server.

Everything stays on loopback: the API calls go to a :class:`~composio.testing.LocalServer`, and
so does the telemetry (``COMPOSIO_TELEMETRY_URL`` is pointed at the same server while the demo
builds its clients), so the demo runs offline and shows what each part of the chain does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from composio._install import install_hint
from composio._terminal import out as _out
from composio.client import Composio
from composio.testing import Fault, LocalServer

__all__ = ["run_demo"]

Out = Callable[[str], None]


def _shown(headers: Mapping[str, str]) -> str:
    keep = {
        k: v
        for k, v in headers.items()
        if k.startswith("x-") and k not in ("x-api-key", "x-sdk-version", "x-runtime")
    }
    return ", ".join(f"{k}={v}" for k, v in sorted(keep.items()))


@contextmanager
def _telemetry_to(url: str) -> Iterator[None]:
    """Point the default telemetry transport at ``url`` while clients are built."""
    old = os.environ.get("COMPOSIO_TELEMETRY_URL")
    os.environ["COMPOSIO_TELEMETRY_URL"] = url
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("COMPOSIO_TELEMETRY_URL", None)
        else:
            os.environ["COMPOSIO_TELEMETRY_URL"] = old


def _tracer_provider() -> tuple[Any, Any]:
    """An OpenTelemetry SDK provider with an in-memory exporter, if the SDK is installed."""
    try:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
            InMemorySpanExporter,
        )
    except ImportError:
        return None, None
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def run_demo(out: Out = _out) -> None:
    """What the SDK is for comes first -- connect an account, find and run tools, the agent
    loop, a trigger -- then another framework, then the plumbing that carries every call
    (sessions, async, retries, spans, the chain, telemetry)."""
    out("composio demo: starting the embedded Composio API server on loopback ...")
    with LocalServer() as server:
        out(f"  server: {server.url}")
        provider, exporter = _tracer_provider()
        with _telemetry_to(server.url + "/v1/metrics/invocations"):
            composio = Composio(
                api_key=server.api_key, base_url=server.url, tracer_provider=provider
            )
        with composio:
            account_id = _connect(server, composio, out)
            _tools(server, composio, account_id, out)
            _agent_loop(composio, out)
            _trigger(server, composio, out)
            _other_framework(server, out)
            _sessions(server, composio, out)
            _async_sessions(server, out)
            _retry_and_trace(server, composio, provider, exporter, out)
            _section(out, 11, "The composed middleware chain, outermost first")
            out("  " + " -> ".join(m.name for m in composio.chain) + " -> transport")
        # close() flushed the telemetry queue (bounded, 1 s) to the local server
        events = server.telemetry_events
        _section(
            out,
            12,
            f"Telemetry: {len(events)} events arrived at /v1/metrics/invocations "
            "(one per operation; attempts = the HTTP requests it sent, retries included)",
        )
        for event in events:
            out(
                f"  {event.get('functionName', '?'):<40} {event.get('status', '?')}, "
                f"attempts={event.get('attempts', '?')}, {event.get('durationMs', '?')} ms"
            )
        if provider is not None:
            provider.shutdown()
    out("")
    out("done.")


def _section(out: Out, number: int, title: str) -> None:
    out("")
    out(f"{number}. {title}")


def _connect(server: LocalServer, composio: Composio, out: Out) -> str:
    """The connect flow as an app runs it: a link for the user, the user's browser opens it,
    the app waits for ACTIVE."""
    import requests

    _section(out, 1, "Connect: user A links a GitHub account")
    request = composio.toolkits.authorize("user-a", "github")
    out(f"  toolkits.authorize('user-a', 'github') -> {request.id} {request.status}")
    out(f"  the user opens: {request.redirect_url}")
    browser = requests.get(request.redirect_url or "", timeout=10)  # no API key, as a browser
    out(f"  (the user's browser: {browser.status_code}, the consent screen)")
    account = request.wait_for_connection(timeout=10)
    polls = server.requests_to(f"/api/v3.1/connected_accounts/{account.id}")
    out(f"  wait_for_connection() -> {account.id} {account.status} after {len(polls)} poll(s)")
    return account.id


def _tools(server: LocalServer, composio: Composio, account_id: str, out: Out) -> None:
    _section(out, 2, "Tools: find them, then run them with user A's account")
    page = composio.tools.list("github")
    out(
        f"  tools.list('github'): {len(page.items)} tools: "
        + ", ".join(tool.slug for tool in page.items)
    )
    result = composio.tools.execute(
        "GITHUB_STAR_REPO",
        {"repo": "octo/hello"},
        user_id="user-a",
        connected_account_id=account_id,
    )
    ran = server.executions[-1]
    out(
        f"  tools.execute('GITHUB_STAR_REPO', connected_account_id={account_id}) -> "
        f"successful={result.successful}, ran with account {ran.connected_account_id} "
        f"at version {ran.version}"
    )
    proxied = composio.tools.proxy("/user", "GET", connected_account_id=account_id)
    out(
        f"  tools.proxy('/user') -> {proxied.status} {proxied.data['method']} {proxied.data['url']}"
    )
    result = composio.tools.execute("TEXT_UPPERCASE", {"text": "hello"}, user_id="user-a")
    out(f"  TEXT_UPPERCASE('hello') -> {dict(result.data or {})} (successful={result.successful})")


def _trigger(server: LocalServer, composio: Composio, out: Out) -> None:
    """A trigger end to end, as an app receives it: Composio POSTs a signed event to the app's
    webhook, which verifies the raw body with the secret before trusting it."""
    import base64

    import requests

    _section(out, 4, "A trigger: a new star on user A's repository reaches your webhook")
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    received: list[Any] = []
    with _webhook_receiver(secret, received) as hook_url:
        server.webhook_url, server.webhook_secret = hook_url, secret
        trigger = composio.triggers.create(
            "GITHUB_STAR_ADDED_EVENT",
            user_id="user-a",
            trigger_config={"owner": "octo", "repo": "hello"},
        )
        out(
            f"  triggers.create('GITHUB_STAR_ADDED_EVENT', user_id='user-a') -> {trigger.id} "
            f"on {trigger.connected_account_id}"
        )
        out(f"  your webhook: {hook_url} (told to Composio with its signing secret)")
        fired = requests.post(  # what `composio dev-server` users do to fire one
            f"{server.url}/_local/triggers/{trigger.id}/fire",
            json={"data": {"starred_by": "octocat", "repo": "octo/hello"}},
            headers={"x-api-key": server.api_key},
            timeout=10,
        )
        out(
            f"  octocat stars octo/hello -> the event is delivered; your webhook answered "
            f"{fired.json()['receiver_status']}"
        )
        for event in received:
            out(
                f"  verify_webhook(raw body, headers, secret) -> {event.trigger_slug} "
                f"for {event.user_id}: {dict(event.data or {})}"
            )
        server.webhook_url = server.webhook_secret = None


#: The largest webhook body the demo's receiver reads (a trigger event is a few KiB).
_WEBHOOK_LIMIT = 1 << 20


@contextmanager
def _webhook_receiver(secret: str, received: list[Any]) -> Iterator[str]:
    """The receiver an app runs: verify the raw body, then handle the event (here: keep it)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from composio.errors import WebhookVerificationError
    from composio.webhooks import verify_webhook

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = self.headers.get("Content-Length") or "0"
            if not length.isdigit() or int(length) > _WEBHOOK_LIMIT:
                self.send_response(400)  # another local process, not Composio: no traceback
                self.end_headers()
                return
            raw = self.rfile.read(int(length))
            try:
                received.append(verify_webhook(raw, self.headers, secret))
                self.send_response(204)
            except WebhookVerificationError:
                self.send_response(401)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Quiet: the demo prints what matters."""

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{receiver.server_address[1]}/webhooks/composio"
    finally:
        receiver.shutdown()
        receiver.server_close()
        thread.join()


def _sessions(server: LocalServer, composio: Composio, out: Out) -> None:
    _section(out, 6, "A session with request-tracking headers")
    session = composio.create_session(
        headers={
            "x-request-id": "1234567890",
            "x-correlation-id": "session-abc-123",
            "x-custom-header": "custom-value",
        }
    )
    page = session.tools.list()
    out(f"  tools.list(): {len(page.items)} tools on page 1 of {page.total_pages}")
    out(f"  server saw: {_shown(server.requests[-1].headers)}")

    _section(out, 7, "Two sessions for user A and B, in parallel threads")
    user_a = composio.create_session(headers={"x-user-id": "user-a", "x-tenant-id": "tenant-1"})
    user_b = composio.create_session(headers={"x-user-id": "user-b", "x-tenant-id": "tenant-2"})
    results: dict[str, Any] = {}
    start = threading.Barrier(2)

    def run(name: str, fn: Callable[[], Any]) -> None:
        start.wait()
        results[name] = fn()

    threads = [
        threading.Thread(target=run, args=("a", lambda: user_a.tools.get("a"))),
        threading.Thread(target=run, args=("b", lambda: user_b.tools.list("math"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out(f"  user A tools.get('a'): {len(results['a'])} tools, wrapped for {composio.provider.name}")
    out(f"  user B tools.list('math'): {len(results['b'].items)} tools")
    _print_requests(server.requests[-2:], "", out)


def _print_requests(records: list[Any], prefix: str, out: Out) -> None:
    """Each request's method, path and query, and the headers that tell sessions apart."""
    for rec in sorted(records, key=lambda r: r.header("x-user-id") or ""):
        query = "&".join(f"{k}={v[0]}" for k, v in rec.query.items())
        out(
            f"  {prefix}{rec.method} {rec.path}{'?' + query if query else ''} -> "
            f"{_shown(rec.headers)}"
        )


def _retry_and_trace(
    server: LocalServer, composio: Composio, provider: Any, exporter: Any, out: Out
) -> None:
    _section(out, 9, "A retry: the server answers the next call 503 with Retry-After: 0, once")
    server.fail_next("/api/v3/tools", [Fault(503, headers={"retry-after": "0"})])
    session = composio.create_session(headers={"x-request-id": "demo-retry"})
    if provider is not None:
        with provider.get_tracer("composio.demo").start_as_current_span("demo.handle_request"):
            session.tools.list(limit=3)
    else:
        session.tools.list(limit=3)
    attempts = server.requests_to("/api/v3/tools")[-2:]
    for rec in attempts:
        out(
            f"  attempt x-retry-count={rec.header('x-retry-count')} "
            f"x-request-id={rec.header('x-request-id')} traceparent={rec.header('traceparent')}"
        )

    _section(out, 10, "Spans of the retried call: one CLIENT span per attempt, both children")
    out("   of the application's demo.handle_request span")
    if exporter is None:
        out(f"  (install the OpenTelemetry SDK to see them: {install_hint('otel')})")
        return
    spans = exporter.get_finished_spans()
    root = next(s for s in spans if s.name == "demo.handle_request")
    trace_id = root.get_span_context().trace_id
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        if span.get_span_context().trace_id != trace_id:
            continue
        attrs = dict(span.attributes or {})
        out(
            f"  {span.name:<20} span={span.get_span_context().span_id:016x} "
            f"status={attrs.get('http.response.status_code', '-')} "
            f"resend={attrs.get('http.request.resend_count', 0)} "
            f"op={attrs.get('composio.operation', '-')}"
        )


def _async_sessions(server: LocalServer, out: Out) -> None:
    """The two sessions of section 7 again, awaited together with ``asyncio.gather``."""
    _section(out, 8, "The same two sessions on AsyncComposio, awaited together")
    try:
        from composio.async_client import AsyncComposio
        from composio.async_transport import require_aiohttp

        require_aiohttp()
    except ImportError:
        out(f"  (install the async extra to see it: {install_hint('async')})")
        return
    import asyncio

    async def both() -> tuple[list[object], Any]:
        async with AsyncComposio(
            api_key=server.api_key, base_url=server.url, allow_tracking=False
        ) as composio:
            user_a = composio.create_session(headers={"x-user-id": "user-a", "x-tenant-id": "t-1"})
            user_b = composio.create_session(headers={"x-user-id": "user-b", "x-tenant-id": "t-2"})
            return await asyncio.gather(user_a.tools.get("a"), user_b.tools.list("math"))

    tools_a, page_b = asyncio.run(both())
    out(
        f"  await gather(user_a.tools.get('a'), user_b.tools.list('math')): {len(tools_a)} and "
        f"{len(page_b.items)} tools"
    )
    _print_requests(server.requests[-2:], "async ", out)


#: What an LLM might answer (canned: the demo runs offline), in each framework's shape.
_CHAT_COMPLETION = {
    "choices": [
        {
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "MATH_ADD", "arguments": '{"a": 2, "b": 3}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "TEXT_UPPERCASE", "arguments": '{"text": "hi"}'},
                    },
                ],
            }
        }
    ]
}
_ANTHROPIC_MESSAGE = {
    "role": "assistant",
    "content": [
        {"type": "text", "text": "Let me compute that."},
        {"type": "tool_use", "id": "toolu_1", "name": "MATH_MULTIPLY", "input": {"a": 6, "b": 7}},
        {"type": "tool_use", "id": "toolu_2", "name": "MATH_DIVIDE", "input": {"a": 1, "b": 0}},
    ],
}


def _agent_loop(composio: Composio, out: Out) -> None:
    """SPEC §15: the tool calls of an LLM answer executed and handed back (OpenAI's shape,
    the default provider)."""
    _section(out, 3, "The agent loop: an LLM's tool calls -> tools.handle_tool_calls -> messages")
    tools = composio.tools.get("user-a", toolkits=["math"])
    out(f"  tools.get('user-a', toolkits=['math']): {len(tools)} OpenAI function tools for the LLM")
    out("  the LLM answers (Chat Completions) with 2 tool calls -> the tool messages to send back:")
    for message in composio.tools.handle_tool_calls("user-a", _CHAT_COMPLETION):
        out(f"    {message}")


def _other_framework(server: LocalServer, out: Out) -> None:
    """The same loop for another framework: only the provider changes."""
    from composio.providers import AnthropicProvider

    _section(out, 5, "Another framework: the same loop with provider=AnthropicProvider()")
    with Composio(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        provider=AnthropicProvider(),
    ) as composio:
        out("  a message with 2 tool_use blocks -> one user message of tool_result blocks")
        out("  (a tool that fails goes back to the model as is_error, not as an exception):")
        for message in composio.tools.handle_tool_calls("user-a", _ANTHROPIC_MESSAGE):
            out(f"    {message}")
