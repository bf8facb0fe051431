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
from composio.testing import LocalServer

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
    out("composio demo: starting the embedded Composio API server on loopback ...")
    with LocalServer() as server:
        out(f"  server: {server.url}")
        provider, exporter = _tracer_provider()
        with _telemetry_to(server.url + "/v1/metrics/invocations"):
            composio = Composio(
                api_key=server.api_key, base_url=server.url, tracer_provider=provider
            )
        with composio:
            _sessions(server, composio, out)
            _retry_and_trace(server, composio, provider, exporter, out)
            out("")
            out("6. The composed middleware chain, outermost first")
            out("  " + " -> ".join(m.name for m in composio.chain) + " -> transport")
        # close() flushed the telemetry queue (bounded, 1 s) to the local server
        events = server.telemetry_events
        out("")
        shown = events[-4:]
        out(
            f"7. Telemetry: {len(events)} events arrived at /v1/metrics/invocations; "
            f"the last {len(shown)}:"
        )
        for event in shown:
            out(f"  {event}")
        if provider is not None:
            provider.shutdown()
        _async_sessions(server, out)
        _agent_loop(server, out)
    out("")
    out("done.")


def _sessions(server: LocalServer, composio: Composio, out: Out) -> None:
    out("")
    out("1. A session with request-tracking headers")
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

    out("")
    out("2. Two sessions for user A and B, in parallel threads")
    user_a = composio.create_session(headers={"x-user-id": "user-a", "x-tenant-id": "tenant-1"})
    user_b = composio.create_session(headers={"x-user-id": "user-b", "x-tenant-id": "tenant-2"})
    results: dict[str, Any] = {}
    start = threading.Barrier(2)

    def run(name: str, fn: Callable[[], Any]) -> None:
        start.wait()
        results[name] = fn()

    threads = [
        threading.Thread(target=run, args=("a", lambda: user_a.tools.get("a"))),
        threading.Thread(target=run, args=("b", lambda: user_b.tools.list("b"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out(f"  user A tools.get('a'): {len(results['a'])} tools, wrapped for {composio.provider.name}")
    out(
        f"  user B tools.list('b'): {len(results['b'].items)} tools (an empty list: the sample "
        "catalog has no toolkit 'b'; only the headers matter here)"
    )
    for rec in server.requests[-2:]:
        query = "&".join(f"{k}={v[0]}" for k, v in rec.query.items())
        out(f"  {rec.method} {rec.path}{'?' + query if query else ''} -> {_shown(rec.headers)}")

    out("")
    out("3. User A connects a GitHub account, then runs tools on it")
    _connect_and_execute(server, user_a, out)


def _connect_and_execute(server: LocalServer, user_a: Composio, out: Out) -> None:
    """The connect flow as an app runs it: a link for the user, the user's browser opens it,
    the app waits for ACTIVE, then executes a tool with that account."""
    import requests

    request = user_a.toolkits.authorize("user-a", "github")
    out(f"  toolkits.authorize('user-a', 'github') -> {request.id} {request.status}")
    out(f"  the user opens: {request.redirect_url}")
    browser = requests.get(request.redirect_url or "", timeout=10)  # no API key, as a browser
    out(f"  (browser: {browser.status_code})")
    account = request.wait_for_connection(timeout=10)
    polls = server.requests_to(f"/api/v3.1/connected_accounts/{account.id}")
    out(f"  wait_for_connection() -> {account.id} {account.status} after {len(polls)} poll(s)")
    result = user_a.tools.execute(
        "GITHUB_STAR_REPO",
        {"repo": "octo/hello"},
        user_id="user-a",
        connected_account_id=account.id,
    )
    ran = server.executions[-1]
    out(
        f"  tools.execute('GITHUB_STAR_REPO', connected_account_id={account.id}) -> "
        f"successful={result.successful}, ran with account {ran.connected_account_id} "
        f"at version {ran.version}"
    )
    proxied = user_a.tools.proxy("/user", "GET", connected_account_id=account.id)
    out(
        f"  tools.proxy('/user') -> {proxied.status} {proxied.data['method']} {proxied.data['url']}"
    )
    result = user_a.tools.execute("TEXT_UPPERCASE", {"text": "hello"}, user_id="user-a")
    out(f"  TEXT_UPPERCASE('hello') -> {dict(result.data or {})} (successful={result.successful})")


def _retry_and_trace(
    server: LocalServer, composio: Composio, provider: Any, exporter: Any, out: Out
) -> None:
    out("")
    out("4. A retry after a 503 (the server is told to fail the next call once)")
    server.fail_next("/api/v3/tools", [503])
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

    out("")
    out("5. Spans of this run: one CLIENT span per attempt (the retried call's two attempts")
    out("   are children of the application's demo.handle_request span)")
    if exporter is None:
        out(f"  (install the OpenTelemetry SDK to see them: {install_hint('otel')})")
        return
    for span in sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0):
        attrs = dict(span.attributes or {})
        ctx = span.get_span_context()
        out(
            f"  {span.name:<20} span={ctx.span_id:016x} "
            f"status={attrs.get('http.response.status_code', '-')} "
            f"resend={attrs.get('http.request.resend_count', 0)} "
            f"op={attrs.get('composio.operation', '-')}"
        )


def _async_sessions(server: LocalServer, out: Out) -> None:
    """The seed's ``Promise.all`` of two sessions, as ``asyncio.gather`` on ``AsyncComposio``."""
    out("")
    out("8. The same two sessions on AsyncComposio, awaited together")
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
            return await asyncio.gather(user_a.tools.get("a"), user_b.tools.list("b"))

    tools_a, page_b = asyncio.run(both())
    out(
        f"  await gather(user_a.tools.get('a'), user_b.tools.list('b')): {len(tools_a)} and "
        f"{len(page_b.items)} tools"
    )
    for rec in server.requests[-2:]:
        query = "&".join(f"{k}={v[0]}" for k, v in rec.query.items())
        out(
            f"  async {rec.method} {rec.path}{'?' + query if query else ''} -> "
            f"{_shown(rec.headers)}"
        )


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


def _agent_loop(server: LocalServer, out: Out) -> None:
    """SPEC §15: the tool calls of an LLM answer executed and handed back, per provider."""
    from composio.providers import AnthropicProvider

    out("")
    out("9. The agent loop: an LLM's tool calls -> tools.handle_tool_calls -> its messages")
    settings: dict[str, Any] = {
        "api_key": server.api_key,
        "base_url": server.url,
        "allow_tracking": False,
    }
    with Composio(**settings) as composio:
        tools = composio.tools.get("user-a", toolkits=["math"])
        out(f"  tools.get('user-a', toolkits=['math']): {len(tools)} OpenAI function tools")
        out("  Chat Completions answer with 2 tool calls -> tool messages:")
        for message in composio.tools.handle_tool_calls("user-a", _CHAT_COMPLETION):
            out(f"    {message}")
    with Composio(**settings, provider=AnthropicProvider()) as composio:
        out("  Anthropic message with 2 tool_use blocks -> one user message of tool_result:")
        for message in composio.tools.handle_tool_calls("user-a", _ANTHROPIC_MESSAGE):
            out(f"    {message}")
