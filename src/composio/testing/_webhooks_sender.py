"""Deliver fired triggers as Composio does: Standard Webhooks signatures, V3 payloads.

The signer here is deliberately independent of the SDK's verifier (``verify_webhook``): the
two meet only on the wire, so a mistake in one is not mirrored by the other. Tests check this
signer against the reference ``standardwebhooks`` package.

Standard Webhooks (https://www.standardwebhooks.com): headers ``webhook-id``,
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (space-separated ``v1,<b64>``),
signature = base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")); the key is the secret's
UTF-8 bytes, or its base64 decoding after a ``whsec_`` prefix. Retries keep the
``webhook-id`` (receivers de-duplicate on it) and are signed afresh with their own timestamp.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from composio.testing._state import now_iso

if TYPE_CHECKING:
    from composio.testing.server import LocalServer

__all__ = ["Delivery", "deliver_trigger_event", "sign"]

#: Attempts per event (the first one included) and the first wait between them; the wait
#: doubles each time. Short: this is a test server, and receivers are local.
MAX_ATTEMPTS = 4
FIRST_BACKOFF = 0.05
TIMEOUT = 10.0


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver one event."""

    webhook_id: str
    attempt: int  #: 1 for the first try
    status: int | None  #: the receiver's status, ``None`` when it did not answer
    url: str
    body: bytes
    headers: Mapping[str, str]


def signing_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            encoded = secret[len("whsec_") :]
            # unpadded base64 is accepted, as the reference implementation accepts it
            return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except ValueError:  # binascii.Error; the secret itself is not repeated
            raise ValueError(
                "webhook_secret starts with 'whsec_' but the rest is not base64; "
                "give the whsec_ secret as issued, or a plain secret without the prefix"
            ) from None
    return secret.encode("utf-8")


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one attempt."""
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def v3_payload(webhook_id: str, trigger: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """The V3 webhook payload: Composio's metadata apart from the trigger's own data."""
    return {
        "id": webhook_id,
        "timestamp": now_iso(),
        "type": "composio.trigger.message",
        "metadata": {
            "log_id": f"log_{uuid.uuid4().hex[:12]}",
            "trigger_slug": trigger.slug,
            "auth_config_id": trigger.auth_config_id,
            "connected_account_id": trigger.connected_account_id,
            "trigger_id": trigger.id,
            "user_id": trigger.user_id,
        },
        "data": dict(data),
    }


def deliver_trigger_event(
    server: LocalServer, trigger_id: str, data: Mapping[str, Any]
) -> Delivery | None:
    """Publish to the realtime subscribers, then deliver to the webhook if one is set;
    ``None`` when only realtime subscribers got it."""
    url, secret = server.webhook_url, server.webhook_secret
    webhook = bool(url) and secret is not None
    if not webhook and not server.realtime.subscribers():
        raise ValueError(
            "set server.webhook_url and server.webhook_secret (or pass them to LocalServer), "
            "or subscribe (triggers.subscribe), before fire_trigger"
        )
    store = server._store
    with store.lock:
        trigger = store.triggers.get(trigger_id)
        if trigger is None:
            raise ValueError(f"no trigger instance {trigger_id!r} on this server")
        if trigger.disabled_at is not None:
            raise ValueError(f"trigger {trigger_id} is disabled: enable it before firing it")
        webhook_id = f"msg_{uuid.uuid4()}"
        payload = v3_payload(webhook_id, trigger, data)
    server.realtime.publish(payload)
    if not webhook:
        return None
    assert url is not None and secret is not None
    body = json.dumps(payload, separators=(",", ":")).encode()
    wait = FIRST_BACKOFF
    last: Delivery | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "composio-local-webhooks/1",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, webhook_id, timestamp, body),
            "x-composio-webhook-version": "V3",
        }
        status = _post(url, body, headers)
        last = Delivery(webhook_id, attempt, status, url, body, headers)
        server._record_delivery(last)
        if status is not None and status < 500:
            return last
        if attempt < MAX_ATTEMPTS:
            time.sleep(wait)
            wait *= 2
    assert last is not None
    if last.status is None:
        raise ConnectionError(f"the webhook receiver at {url} did not answer {MAX_ATTEMPTS} tries")
    return last


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> int | None:
    """POST once; the status, or ``None`` when nothing came back. No proxies, no redirects:
    a receiver is reached directly."""
    parts = urlsplit(url)
    conn_cls = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = conn_cls(parts.hostname or "", parts.port, timeout=TIMEOUT)
    try:
        conn.request("POST", target, body=body, headers=dict(headers))
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()
