"""The local server's webhook signer against the reference ``standardwebhooks`` package:
same signature for the same id, timestamp and body, for both kinds of secret."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timezone

import pytest
import standardwebhooks

from composio.testing._webhooks_sender import sign

RAW_KEY = bytes(range(32))


@pytest.mark.parametrize(
    ("secret", "reference_key"),
    [
        ("whsec_" + base64.b64encode(RAW_KEY).decode(), RAW_KEY),  # base64 after the prefix
        ("plain sécret", "plain sécret".encode()),  # anything else: its UTF-8 bytes
        ("whsec_" + base64.b64encode(b"abcd1").decode().rstrip("="), b"abcd1"),  # unpadded
    ],
)
def test_signature_matches_the_reference_implementation(secret: str, reference_key: bytes) -> None:
    body = '{"data":{"ü":1}}'
    now = int(time.time())
    ours = sign(secret, "msg_1", now, body.encode())
    reference = standardwebhooks.Webhook(reference_key)
    assert ours == reference.sign("msg_1", datetime.fromtimestamp(now, tz=timezone.utc), body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": ours}
    assert reference.verify(body, headers) == {"data": {"ü": 1}}


def test_each_input_changes_the_signature() -> None:
    base = sign("s", "msg_1", 1700000000, b"{}")
    assert base.startswith("v1,")
    assert {
        sign("t", "msg_1", 1700000000, b"{}"),
        sign("s", "msg_2", 1700000000, b"{}"),
        sign("s", "msg_1", 1700000001, b"{}"),
        sign("s", "msg_1", 1700000000, b"{ }"),
    }.isdisjoint({base})


def test_a_whsec_secret_that_is_not_base64_is_a_clear_error_without_the_secret() -> None:
    with pytest.raises(ValueError, match="not base64") as info:
        sign("whsec_not*base64!", "msg_1", 1700000000, b"{}")
    assert "not*base64!" not in str(info.value)
