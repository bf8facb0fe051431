"""``composio demo`` runs offline on the embedded server and shows every part of the chain."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_shows_sessions_retry_spans_and_telemetry() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK",)}
    env.pop("COMPOSIO_DISABLE_TELEMETRY", None)
    done = subprocess.run(
        [sys.executable, "-m", "composio.cli", "demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    out = done.stdout
    assert "x-request-id=1234567890" in out and "x-correlation-id=session-abc-123" in out
    a_line = next(line for line in out.splitlines() if "x-user-id=user-a" in line)
    b_line = next(line for line in out.splitlines() if "x-user-id=user-b" in line)
    assert "tenant-1" in a_line and "tenant-2" not in a_line
    assert "tenant-2" in b_line and "toolkit_slug=b" in b_line
    # the connect flow: a link, the browser, ACTIVE, then a tool run with that account
    link = next(line for line in out.splitlines() if "the user opens:" in line)
    assert "/_local/connect/" in link
    waited = next(line for line in out.splitlines() if "wait_for_connection() ->" in line)
    account_id = waited.split("-> ")[1].split()[0]
    assert account_id.startswith("ca_") and " ACTIVE " in waited
    ran = next(line for line in out.splitlines() if "tools.execute('GITHUB_STAR_REPO'" in line)
    assert "successful=True" in ran and f"ran with account {account_id}" in ran
    assert "at version latest" in ran
    assert "tools.proxy('/user') -> 200 GET" in out
    assert "x-retry-count=0" in out and "x-retry-count=1" in out
    assert "status=503 resend=0" in out and "status=200 resend=1" in out
    assert "retry -> tracing -> transport" in out
    assert "'functionName': 'tools.list'" in out and "'attempts': 2" in out
    # the async part: the two sessions awaited together, each with only its own headers
    async_lines = [line for line in out.splitlines() if line.lstrip().startswith("async GET")]
    assert len(async_lines) == 2
    a_async = next(line for line in async_lines if "x-user-id=user-a" in line)
    b_async = next(line for line in async_lines if "x-user-id=user-b" in line)
    assert "x-tenant-id=t-1" in a_async and "t-2" not in a_async
    assert "x-tenant-id=t-2" in b_async and "toolkit_slug=b" in b_async
    assert done.stderr == ""


def test_demo_runs_the_agent_loop_for_both_shapes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "composio.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("9. The agent loop"))
    loop = "\n".join(lines[start:])
    assert "{'role': 'tool', 'tool_call_id': 'call_1', 'content': '{\"result\": 5}'}" in loop
    assert "'tool_call_id': 'call_2', 'content': '{\"result\": \"HI\"}'" in loop
    anthropic = next(line for line in lines[start:] if "'tool_use_id': 'toolu_1'" in line)
    assert anthropic.lstrip().startswith("{'role': 'user', 'content': [")
    assert "'content': '{\"result\": 42}'" in anthropic
    assert "'tool_use_id': 'toolu_2'" in anthropic and "'is_error': True" in anthropic
    assert "division by zero" in anthropic


def test_demo_shows_no_internal_labels_and_counts_what_it_lists() -> None:
    """Issue 23: a newcomer reads the demo top to bottom: no ``(seed: ...)`` labels, no line
    that reads like a failure, and a count that matches what is listed."""
    env = {k: v for k, v in os.environ.items() if k not in ("DO_NOT_TRACK",)}
    env.pop("COMPOSIO_DISABLE_TELEMETRY", None)
    done = subprocess.run(
        [sys.executable, "-m", "composio.cli", "demo"],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert not [line for line in lines if "(seed:" in line]
    start = next(i for i, line in enumerate(lines) if line.startswith("7. Telemetry:"))
    shown = int(lines[start].rsplit("the last ", 1)[1].rstrip(":"))
    listed = [line for line in lines[start + 1 :] if line.startswith("  {")]
    assert 0 < shown == len(listed[:shown]) and not lines[start + 1 + shown].startswith("  {")
    assert "an empty list: the sample catalog has no toolkit 'b'" in done.stdout
