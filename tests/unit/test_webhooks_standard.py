"""Cross-check against the reference implementation, ``standardwebhooks`` (PyPI): what it
signs we verify, what we sign it verifies, and both refuse the same tampered deliveries.

The reference decodes every ``str`` secret as base64 (stripping ``whsec_``) and takes
``bytes`` as the key; our raw (non-``whsec_``) secret is its UTF-8 bytes, so it is handed to
the reference as those bytes. The reference checks timestamps against its own clock with a
fixed 5-minute tolerance, so offsets here stay clear of the boundary."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composio import WebhookVerificationError
from composio.webhooks import sign_webhook, verify_webhook

standardwebhooks = pytest.importorskip("standardwebhooks")

json_objects = st.dictionaries(
    st.text(), st.none() | st.booleans() | st.integers() | st.text(), max_size=6
)
raw_secrets = st.text(min_size=1).filter(lambda s: not s.startswith("whsec_"))
whsec_secrets = st.binary(min_size=1, max_size=64).map(
    lambda b: "whsec_" + base64.b64encode(b).decode()
)
secrets_ = st.one_of(raw_secrets, whsec_secrets)
msg_ids = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)
# Seconds from now, well inside (or well outside) both sides' 300 s.
inside = st.integers(-280, 280)
outside = st.one_of(st.integers(-100_000, -320), st.integers(320, 100_000))
EXAMPLES = settings(deadline=None, max_examples=100)


def reference(secret: str) -> Any:
    return standardwebhooks.Webhook(secret if secret.startswith("whsec_") else secret.encode())


def reference_accepts(secret: str, body: str, headers: dict[str, str]) -> bool:
    try:
        reference(secret).verify(body, headers)
    except standardwebhooks.WebhookVerificationError:
        return False
    return True


def ours_accepts(secret: str, body: str, headers: dict[str, str]) -> bool:
    try:
        verify_webhook(body, headers, secret)
    except WebhookVerificationError:
        return False
    return True


@EXAMPLES
@given(obj=json_objects, secret=secrets_, msg_id=msg_ids, offset=inside)
def test_signatures_agree_both_ways(
    obj: dict[str, Any], secret: str, msg_id: str, offset: int
) -> None:
    body = json.dumps(obj, ensure_ascii=False)
    # What the reference signs, we verify...
    stamp = datetime.fromtimestamp(int(time.time()) + offset, tz=timezone.utc)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": reference(secret).sign(msg_id, stamp, body),
    }
    event = verify_webhook(body.encode(), headers, secret)
    assert event.raw == obj and event.id == msg_id
    # ...and what we sign, the reference verifies, to the same headers.
    ours = sign_webhook(body, secret, webhook_id=msg_id, timestamp=int(stamp.timestamp()))
    assert ours == headers
    assert reference(secret).verify(body, ours) == obj


@EXAMPLES
@given(
    obj=json_objects,
    secret=secrets_,
    other=secrets_,
    offset=st.one_of(inside, outside),
    tamper=st.sampled_from(["none", "body", "id", "secret", "signature-version"]),
)
def test_both_accept_and_refuse_the_same_deliveries(
    obj: dict[str, Any], secret: str, other: str, offset: int, tamper: str
) -> None:
    body = json.dumps(obj)
    headers = sign_webhook(body, secret, webhook_id="msg_1", timestamp=int(time.time()) + offset)
    verify_with = secret
    if tamper == "body":
        body += " "
    elif tamper == "id":
        headers["webhook-id"] = "msg_2"
    elif tamper == "secret":
        verify_with = other
    elif tamper == "signature-version":
        headers["webhook-signature"] = "v1a," + headers["webhook-signature"][3:]
    assert ours_accepts(verify_with, body, headers) == reference_accepts(verify_with, body, headers)
    same_key = reference(other)._whsecret == reference(secret)._whsecret
    should = abs(offset) < 300 and (tamper == "none" or (tamper == "secret" and same_key))
    assert ours_accepts(verify_with, body, headers) == should
