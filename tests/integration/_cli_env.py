"""The environment a ``composio`` subprocess runs with in the CLI tests: the developer's
``COMPOSIO_*``/``OTEL_*``/``DO_NOT_TRACK`` settings dropped, the LocalServer's URL and key
set, plugin autoload off (``extra`` adds or overrides); ``dev_server`` runs
``composio dev-server`` for the duration of a ``with`` block."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from composio.testing import LocalServer
from tests.conftest import SENTINEL_KEY


def cli_env(server: LocalServer, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMPOSIO_", "DO_NOT_TRACK", "OTEL_"))
    }
    env.update(
        COMPOSIO_BASE_URL=server.url,
        COMPOSIO_API_KEY=SENTINEL_KEY,
        COMPOSIO_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    env.update(extra)
    return env


@dataclass
class DevServer:
    """A running ``composio dev-server``: its URL and first lines; after the ``with`` block
    (stopped by SIGINT) its exit code and the rest of its output."""

    url: str
    lines: list[str]  # the banner, through its last line ("Telemetry: ...")
    stdout: IO[str]  # the rest while it runs (``--log`` lines)
    returncode: int | None = None
    out: str = ""
    err: str = ""


@contextmanager
def dev_server(*args: str) -> Iterator[DevServer]:
    child = subprocess.Popen(
        [sys.executable, "-m", "composio.cli", "dev-server", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        lines = [child.stdout.readline()]
        while lines[-1] and not lines[-1].startswith("Telemetry:"):
            lines.append(child.stdout.readline())
        url = next(line.split("=", 1)[1].strip() for line in lines if "BASE_URL=" in line)
        running = DevServer(url, lines, child.stdout)
        yield running
        child.send_signal(signal.SIGINT)
        running.out, running.err = child.communicate(timeout=30)
        running.returncode = child.returncode
    finally:
        child.kill()
