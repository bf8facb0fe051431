"""How a broken connection is named (``APIConnectionError.kind``), on both clients alike, from
raw-socket servers (SPEC §5, §13): the retry rules read ``kind`` and ``sent``, so the async
transport must give exactly the sync transport's answer for the same fault on the wire.

* a TCP RST before the status line: ``reset``;
* a TCP RST after part of the body: ``reset`` (the connection broke);
* a clean FIN after part of a body with a larger Content-Length: ``truncated``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from composio import APIConnectionError, AsyncComposio, Composio
from tests.integration._raw_servers import partial_body, raw_server, reset_before_status

KEY = "sk-test-transport-errors"


def _sync_kind(url: str) -> tuple[str, bool]:
    client = Composio(api_key=KEY, base_url=url, allow_tracking=False, max_retries=0)
    try:
        with pytest.raises(APIConnectionError) as info:
            client.request("GET", "/api/v3/tools")
    finally:
        client.close()
    return info.value.kind, info.value.sent


def _async_kind(url: str) -> tuple[str, bool]:
    async def run() -> tuple[str, bool]:
        async with AsyncComposio(
            api_key=KEY, base_url=url, allow_tracking=False, max_retries=0
        ) as client:
            with pytest.raises(APIConnectionError) as info:
                await client.request("GET", "/api/v3/tools")
            # the client stays usable and gave its connection back
            assert client._runtime.transport.checked_out() == 0
        assert KEY not in str(info.value) and KEY not in repr(info.value)
        return info.value.kind, info.value.sent

    return asyncio.run(run())


@pytest.mark.parametrize("kind_of", [_sync_kind, _async_kind], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        (reset_before_status, "reset"),
        (partial_body("rst"), "reset"),
        (partial_body("fin"), "truncated"),
    ],
    ids=["rst-before-status", "rst-after-partial-body", "fin-after-partial-body"],
)
def test_broken_connection_kind_is_the_same_on_both_clients(
    kind_of: Callable[[str], tuple[str, bool]], behaviour: Any, expected: str
) -> None:
    with raw_server(behaviour) as raw:
        assert kind_of(raw.url) == (expected, True)
        assert len(raw.requests) == 1  # max_retries=0: exactly one attempt went out
