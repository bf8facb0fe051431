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
from typing import Any, TypeVar

_CHILD = """
import json, sys
from composio.testing import LocalServer
server = LocalServer(record=False).start()
print(json.dumps({"url": server.url, "api_key": server.api_key}), flush=True)
sys.stdin.read()
server.stop()
"""


_S = TypeVar("_S", bound="ChildServer")


class ChildServer:
    """A server in a child process: it prints one JSON line (``info``) once it listens and
    stops when its stdin closes. Subclasses give the child's code and read the line."""

    code = _CHILD

    def __init__(self, *args: str, cwd: str | None = None) -> None:
        self._argv = [sys.executable, "-c", self.code, *args]
        self._cwd = cwd
        self.info: dict[str, Any] = {}
        self.pid = 0
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self: _S) -> _S:
        proc = subprocess.Popen(
            self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=self._cwd
        )
        self._proc = proc
        self.pid = proc.pid
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            proc.wait(timeout=10)
            raise RuntimeError("the benchmark server process exited before printing its URL")
        self.info = json.loads(line)
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

    @property
    def url(self) -> str:
        url: str = self.info["url"]
        return url


class ServerProcess(ChildServer):
    """``with ServerProcess() as srv: srv.url, srv.api_key``."""

    @property
    def api_key(self) -> str:
        key: str = self.info["api_key"]
        return key
