"""Trigger payloads in the vendor SDKs' V3, V2 and V1 shapes (``WebhookPayloadV1/V2/V3`` in
ComposioHQ/composio, python ``core/models/triggers.py`` and ts ``types/triggers.types.ts``)."""

from __future__ import annotations

from typing import Any

V3: dict[str, Any] = {
    "id": "msg_2x9",
    "timestamp": "2026-11-28T19:00:00.000Z",
    "type": "composio.trigger.message",
    "metadata": {
        "log_id": "log_abc",
        "trigger_slug": "GITHUB_STAR_ADDED_EVENT",
        "trigger_id": "ti_123",
        "connected_account_id": "ca_456",
        "auth_config_id": "ac_789",
        "user_id": "user-1",
    },
    "data": {"repository": "composio", "starred_by": "octocat"},
}
V2: dict[str, Any] = {
    "type": "slack_receive_message",
    "timestamp": "2025-06-01T10:00:00.000Z",
    "log_id": "log_v2",
    "data": {
        "connection_id": "5f3c-uuid",
        "connection_nano_id": "ca_v2",
        "trigger_nano_id": "ti_v2",
        "trigger_id": "9a1b-uuid",
        "user_id": "user-2",
        "text": "hello",
        "channel": "C1",
    },
}
V1: dict[str, Any] = {
    "trigger_name": "GMAIL_NEW_GMAIL_MESSAGE",
    "connection_id": "ca_v1",
    "trigger_id": "ti_v1",
    "payload": {"subject": "hi"},
    "log_id": "log_v1",
}
