"""The environment a ``composio`` subprocess runs with in the CLI tests: the developer's
``COMPOSIO_*``/``OTEL_*``/``DO_NOT_TRACK`` settings dropped, the LocalServer's URL and key
set, plugin autoload off (``extra`` adds or overrides)."""

from __future__ import annotations

import os

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
