"""Issue 16's review (break1): LocalServer answers a JSON body nested past Python's recursion
limit with a 400, as for any other body that is not JSON, instead of dropping the connection
unanswered (``RecursionError`` in the handler), and keeps serving."""

from __future__ import annotations

import json

from composio.testing import LocalServer
from tests.integration.test_item16_local_server_framing import request, send, still_serving


def test_break1_a_body_nested_too_deep_is_a_400_and_the_server_keeps_serving(
    sentinel_server: LocalServer,
) -> None:
    server = sentinel_server
    body = b'{"arguments": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = send(
        server,
        request(
            path="/api/v3/tools/execute/MATH_ADD",
            headers=(f"Content-Length: {len(body)}", "Content-Type: application/json"),
            body=body,
        ),
    )
    assert answer.status == 400
    assert "not valid JSON" in json.loads(answer.body)["error"]["message"]
    still_serving(server)
