"""The API server in a child process, so its CPU never counts against the measured thread.

The child runs ``LocalServer(record=False)`` (nothing is kept per request, so its memory stays
flat over tens of thousands of calls), prints one JSON line with its URL and key, and stops when
its stdin closes: if the benchmark dies, the server goes with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from types import TracebackType

_CHILD = """
import json, sys
from composio.testing import LocalServer
server = LocalServer(record=False).start()
print(json.dumps({"url": server.url, "api_key": server.api_key}), flush=True)
sys.stdin.read()
server.stop()
"""


class ServerProcess:
    """``with ServerProcess() as srv: srv.url, srv.api_key``."""

    def __init__(self) -> None:
        self.url = ""
        self.api_key = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._proc = proc
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            proc.wait(timeout=10)
            raise RuntimeError("the benchmark server process exited before printing its URL")
        info = json.loads(line)
        self.url, self.api_key = info["url"], info["api_key"]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc = self._proc
        if proc is None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        self._proc = None
