"""``composio demo`` runs offline on the embedded server and shows what the SDK is for first
(connect, tools, the agent loop, a trigger), then another framework, then the plumbing.

The demo runs once per module, as a user runs it (the real console script's module, in a
subprocess, telemetry on); each test reads a claim of its real output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def demo() -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK",)}
    env.pop("COMPOSIO_DISABLE_TELEMETRY", None)
    done = subprocess.run(
        [sys.executable, "-m", "composio.cli", "demo"],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    assert done.stderr == ""
    return done.stdout.splitlines()


def _section(lines: list[str], number: int) -> list[str]:
    """The lines of section ``number``, its title first."""
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{number}. "))
    end = next(
        (i for i, line in enumerate(lines) if line.startswith(f"{number + 1}. ")), len(lines)
    )
    return [line for line in lines[start:end] if line]


def _line(lines: list[str], text: str) -> str:
    return next(line for line in lines if text in line)


def test_item_demo_leads_with_connect_tools_agent_loop_trigger(demo: list[str]) -> None:
    titles = [line for line in demo if re.match(r"\d+\. ", line)]
    assert [int(t.split(".")[0]) for t in titles] == list(range(1, 13))
    expected = [
        "Connect: user A links a GitHub account",
        "Tools: find them, then run them",
        "The agent loop:",
        "A trigger:",
        "Another framework:",
        "A session with request-tracking headers",
        "Two sessions for user A and B",
        "AsyncComposio",
        "A retry:",
        "Spans of the retried call",
        "middleware chain",
        "Telemetry:",
    ]
    assert len(titles) == len(expected)
    for title, want in zip(titles, expected, strict=True):
        assert want in title, (title, want)


def test_item_demo_connects_then_runs_tools_with_that_account(demo: list[str]) -> None:
    connect = _section(demo, 1)
    assert "/_local/connect/" in _line(connect, "the user opens:")
    waited = _line(connect, "wait_for_connection() ->")
    account_id = waited.split("-> ")[1].split()[0]
    assert account_id.startswith("ca_") and " ACTIVE " in waited
    tools = _section(demo, 2)
    listed = _line(tools, "tools.list('github'):")
    count = int(listed.split(": ")[1].split()[0])
    slugs = listed.split("tools: ", 1)[1].split(", ")
    assert count == len(slugs) > 0 and all(s.startswith("GITHUB_") for s in slugs)
    ran = _line(tools, "tools.execute('GITHUB_STAR_REPO'")
    assert "successful=True" in ran and f"ran with account {account_id}" in ran
    assert "at version latest" in ran
    assert "tools.proxy('/user') -> 200 GET" in "\n".join(tools)


def test_item_demo_runs_the_agent_loop_for_both_shapes(demo: list[str]) -> None:
    loop = "\n".join(_section(demo, 3))
    assert "{'role': 'tool', 'tool_call_id': 'call_1', 'content': '{\"result\": 5}'}" in loop
    assert "'tool_call_id': 'call_2', 'content': '{\"result\": \"HI\"}'" in loop
    other = _section(demo, 5)
    assert "provider=AnthropicProvider()" in other[0]
    anthropic = _line(other, "'tool_use_id': 'toolu_1'")
    assert anthropic.lstrip().startswith("{'role': 'user', 'content': [")
    assert "'content': '{\"result\": 42}'" in anthropic
    assert "'tool_use_id': 'toolu_2'" in anthropic and "'is_error': True" in anthropic
    assert "division by zero" in anthropic
    assert "as is_error, not as an exception" in "\n".join(other)  # the error is explained


def test_item_demo_trigger_reaches_a_verifying_webhook(demo: list[str]) -> None:
    account_id = _line(demo, "wait_for_connection() ->").split("-> ")[1].split()[0]
    trigger = _section(demo, 4)
    created = _line(trigger, "triggers.create('GITHUB_STAR_ADDED_EVENT', user_id='user-a')")
    assert created.split("-> ")[1].startswith("ti_") and created.endswith(f"on {account_id}")
    assert _line(trigger, "your webhook: http://127.0.0.1:")
    assert _line(trigger, "octocat stars octo/hello").endswith("your webhook answered 204")
    verified = _line(trigger, "verify_webhook(raw body, headers, secret) ->")
    assert "GITHUB_STAR_ADDED_EVENT for user-a" in verified
    assert "'starred_by': 'octocat'" in verified
    assert "whsec_" not in "\n".join(demo)  # the signing secret is never shown


def test_item_demo_sessions_keep_their_own_headers(demo: list[str]) -> None:
    first = "\n".join(_section(demo, 6))
    assert "x-request-id=1234567890" in first and "x-correlation-id=session-abc-123" in first
    assert "tools.list(): 20 tools on page 1 of 2" in first
    threads = _section(demo, 7)
    a_line = _line(threads, "x-user-id=user-a")
    b_line = _line(threads, "x-user-id=user-b")
    assert "tenant-1" in a_line and "tenant-2" not in a_line
    assert "tenant-2" in b_line and "toolkit_slug=math" in b_line
    assert "user B tools.list('math'): 4 tools" in "\n".join(threads)
    # the async part: the two sessions awaited together, each with only its own headers
    async_lines = [line for line in _section(demo, 8) if line.lstrip().startswith("async GET")]
    assert len(async_lines) == 2
    a_async = _line(async_lines, "x-user-id=user-a")
    b_async = _line(async_lines, "x-user-id=user-b")
    assert "x-tenant-id=t-1" in a_async and "t-2" not in a_async
    assert "x-tenant-id=t-2" in b_async and "toolkit_slug=math" in b_async


def test_item_demo_retry_spans_chain_and_telemetry(demo: list[str]) -> None:
    retry = "\n".join(_section(demo, 9))
    assert "x-retry-count=0" in retry and "x-retry-count=1" in retry
    spans = _section(demo, 10)[2:]
    assert [s.split()[0] for s in spans] == ["demo.handle_request", "GET", "GET"]
    assert "status=503 resend=0" in spans[1] and "status=200 resend=1" in spans[2]
    assert "retry -> tracing -> transport" in "\n".join(_section(demo, 11))
    telemetry = _section(demo, 12)
    count = int(telemetry[0].split("Telemetry: ")[1].split()[0])
    listed = [line for line in telemetry[1:] if line.startswith("  ")]
    assert count == len(listed) > 0  # the count is what is listed
    assert any(line.split()[0] == "tools.list" and "attempts=2" in line for line in listed)


def test_item_demo_reads_as_a_user_guide(demo: list[str]) -> None:
    """Issue 23: no internal labels, no line that reads like a failure."""
    text = "\n".join(demo)
    assert "(seed:" not in text and "Promise.all" not in text
    assert not re.search(r"\b0 tools\b", text)
    assert "Traceback" not in text and "error:" not in text
    assert demo[-1] == "done."
