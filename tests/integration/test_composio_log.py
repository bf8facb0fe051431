"""SPEC §18/§8: ``COMPOSIO_LOG`` configures the ``composio`` logger, and what it logs is redacted.

The sentinel test runs a real interpreter with ``COMPOSIO_LOG=debug`` against a real
``LocalServer``: both clients make calls carrying the sentinel API key, a secret session
header, a secret per-call header and a secret query value, one call is retried (a 503) and
one fails (404). The handler's own output (stderr) must show the request lines, statuses,
request ids and the retry, and none of the secrets in any spelling (SPEC §8).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

from composio._logging import HANDLER_NAME, configure_from_env
from composio.testing import LocalServer
from tests.conftest import SENTINEL_KEY
from tests.integration._raw_servers import assert_no_secret

SESSION_SECRET = "tnt-SENTINEL-5e1d3a09c7"
CALL_SECRET = "call-SENTINEL-0b77e4d2f1"
QUERY_SECRET = "qry-SENTINEL-a3c9e81f40"

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from composio import AsyncComposio, Composio, NotFoundError
    key, url, session_secret, call_secret, query_secret = sys.argv[1:6]
    kw = dict(api_key=key, base_url=url, allow_tracking=False)

    def sync():
        client = Composio(**kw).create_session(headers={"x-tenant-secret": session_secret})
        client.tools.list(search=query_secret, extra_headers={"x-call-secret": call_secret})
        client.with_raw_response.toolkits.retrieve("github")
        try:
            client.tools.retrieve("NOPE_TOOL")
        except NotFoundError:
            pass

    async def async_():
        async with AsyncComposio(**kw) as root:
            client = root.create_session(headers={"x-tenant-secret": session_secret})
            await client.tools.list(search=query_secret,
                                    extra_headers={"x-call-secret": call_secret})
            await client.with_raw_response.toolkits.retrieve("github")

    sync()
    asyncio.run(async_())
    print("done")
    """
)


def _run(env_value: str | None, *args: str, code: str = SCRIPT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COMPOSIO_LOG"}
    if env_value is not None:
        env["COMPOSIO_LOG"] = env_value
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_composio_log_debug_shows_each_call_and_retry_and_no_secret() -> None:
    with LocalServer(api_key=SENTINEL_KEY) as server:
        server.fail_next("/api/v3.1/toolkits/github", [503])
        done = _run("debug", SENTINEL_KEY, server.url, SESSION_SECRET, CALL_SECRET, QUERY_SECRET)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "done"
    log = done.stderr
    # what a developer needs: the request line (query values redacted), status, timing, id
    assert log.count("composio DEBUG composio: GET ") >= 5
    assert "/api/v3.1/tools?search=***&" in log and "-> 200 in " in log
    assert "-> 404 in " in log and "(tools.retrieve)" in log
    assert "request_id=" in log and "retrying toolkits.retrieve" in log
    for secret in (SENTINEL_KEY, SESSION_SECRET, CALL_SECRET, QUERY_SECRET):
        assert_no_secret(secret, log)


def test_composio_log_unset_adds_no_handler_at_import() -> None:
    code = (
        "import logging, composio\n"
        "log = logging.getLogger('composio')\n"
        "print(len(log.handlers), log.level)"
    )
    done = _run(None, code=code)
    assert done.returncode == 0 and done.stdout.split() == ["0", "0"], done.stderr


@pytest.fixture
def clean_logger() -> object:
    logger = logging.getLogger("composio")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_composio_log_is_idempotent(clean_logger: logging.Logger) -> None:
    first = configure_from_env({"COMPOSIO_LOG": "info"})
    again = configure_from_env({"COMPOSIO_LOG": " WARNING "})
    assert first is again and first is not None
    assert [h.get_name() for h in clean_logger.handlers].count(HANDLER_NAME) == 1
    assert clean_logger.level == logging.WARNING


def test_composio_log_invalid_value_warns_without_echoing_it(
    clean_logger: logging.Logger,
) -> None:
    before = list(clean_logger.handlers), clean_logger.level
    with pytest.warns(UserWarning, match="COMPOSIO_LOG must be one of debug, info, warning") as w:
        assert configure_from_env({"COMPOSIO_LOG": SENTINEL_KEY}) is None
    assert_no_secret(SENTINEL_KEY, str(w[0].message))
    assert (list(clean_logger.handlers), clean_logger.level) == before
