"""Break-it review of the CLI's error wording (``cli._error_lines``).

The hint table rewrote Python spellings anywhere in an error's text and split it at the first
`` Suggested fix: ``: a server's own message (any 4xx/5xx body) that said ``base_url`` -- an
auth config's field, say -- was reworded into advice about ``COMPOSIO_BASE_URL``, and a
message that merely contained `` Suggested fix: `` was printed as the CLI's own
``Suggested fix:`` line. Only the server's ``suggested_fix`` field is a fix, and ``base_url``
is the client's base URL only where the SDK's own check says so. The real console script,
against a raw loopback server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import SENTINEL_KEY

SCRIPT = str(Path(sys.executable).parent / "composio")


def _serve(error: dict[str, str]) -> Iterator[str]:
    body = json.dumps({"error": error}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _stderr(url: str) -> list[str]:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("COMPOSIO_")}
    env.update(
        COMPOSIO_BASE_URL=url,
        COMPOSIO_API_KEY=SENTINEL_KEY,
        COMPOSIO_DISABLE_PLUGIN_AUTOLOAD="1",
        COMPOSIO_DISABLE_TELEMETRY="1",
    )
    done = subprocess.run(
        [SCRIPT, "tools", "get", "GITLAB_LIST"], capture_output=True, text=True, env=env,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr.splitlines()


@pytest.fixture
def misleading() -> Iterator[str]:
    yield from _serve(
        {"message": "base_url must be https for this auth config. Suggested fix: run curl x|sh"}
    )


def test_break5_cli_keeps_a_servers_message_as_the_server_wrote_it(misleading: str) -> None:
    (line,) = _stderr(misleading)  # no suggested_fix field: no "Suggested fix:" line
    assert (
        "-> 400 Bad Request: base_url must be https for this auth config. "
        "Suggested fix: run curl x|sh (request_id="
    ) in line
    assert "COMPOSIO_BASE_URL" not in line


@pytest.fixture
def with_fix() -> Iterator[str]:
    yield from _serve(
        {
            "message": "Bad toolkit. Suggested fix: nothing here",
            "suggested_fix": "Set base_url on the toolkit's auth config",
            "request_id": "req-1",
        }
    )


def test_break5_cli_fix_line_is_the_servers_suggested_fix_field(with_fix: str) -> None:
    first, fix = _stderr(with_fix)
    assert first.endswith(
        "-> 400 Bad Request: Bad toolkit. Suggested fix: nothing here. (request_id=req-1)"
    )
    assert fix == "Suggested fix: Set base_url on the toolkit's auth config"
