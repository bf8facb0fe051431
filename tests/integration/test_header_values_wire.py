"""SPEC §12.3 over loopback: a header value that is not visible ASCII never reaches the wire."""

from __future__ import annotations

import pytest

from composio import Composio, ValidationError
from composio.testing import LocalServer

TOOLS = "/api/v3/tools"


@pytest.mark.parametrize("value", ["caf\u00e9", "price \u20ac5", "\u00a0"])
def test_non_ascii_header_never_sent_and_client_stays_usable(
    composio_server: LocalServer, value: str
) -> None:
    client = Composio(
        api_key=composio_server.api_key, base_url=composio_server.url, allow_tracking=False
    )
    with pytest.raises(ValidationError, match="x-note"):
        client.tools.list(limit=1, extra_headers={"x-note": value})
    assert composio_server.requests_to(TOOLS) == []  # nothing, not even a partial request
    # same client, same pool: the next call works and carries a valid header
    page = client.tools.list(limit=1, extra_headers={"x-note": "cafe"})
    assert len(page.items) == 1
    (seen,) = composio_server.requests_to(TOOLS)
    assert seen.header("x-note") == "cafe"
    client.close()
