"""The local server's in-memory store: every stateful resource, behind ONE lock.

One re-entrant lock for everything is deliberate: handlers that touch two resources (an
account and its auth config, a trigger and its account) never take locks in different
orders, so 16 client threads cannot deadlock the server; the work under the lock is a few
dict operations, so one lock does not serialise anything that matters.
"""

from __future__ import annotations

import itertools
import secrets
import string
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "Account",
    "AuthConfig",
    "McpInstance",
    "McpServer",
    "RouterSession",
    "Store",
    "StoredFile",
    "TriggerInstance",
    "now_iso",
    "touch",
]

_ALPHABET = string.ascii_letters + string.digits


def nano(prefix: str, length: int = 12) -> str:
    """An id in the API's style: ``ac_`` + 12 base62 characters."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


#: Change order across the store: timestamps tie within a millisecond, this never does.
_CHANGES = itertools.count(1)


def touch(record: Any) -> None:
    """Mark a record changed: a new ``updated_at`` and a later ``changed`` than any before
    (what "order by updated_at" sorts on)."""
    record.updated_at = now_iso()
    record.changed = next(_CHANGES)


@dataclass
class AuthConfig:
    id: str
    toolkit: str
    name: str
    auth_scheme: str
    is_composio_managed: bool
    seq: int
    credentials: dict[str, Any] = field(default_factory=dict)
    restrict_to_following_tools: list[str] = field(default_factory=list)
    tools_for_connected_account_creation: list[str] = field(default_factory=list)
    tools_available_for_execution: list[str] = field(default_factory=list)
    proxy_config: dict[str, Any] | None = None
    status: str = "ENABLED"
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    changed: int = field(default_factory=lambda: next(_CHANGES))


@dataclass
class Account:
    id: str
    user_id: str
    auth_config_id: str
    toolkit: str
    auth_scheme: str
    is_composio_managed: bool
    seq: int
    status: str = "INITIATED"
    status_reason: str | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    callback_url: str | None = None
    credentials: dict[str, Any] = field(default_factory=dict)
    is_disabled: bool = False
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    changed: int = field(default_factory=lambda: next(_CHANGES))
    alias: str | None = None  #: v3.1 (PATCH /connected_accounts/{id}); unique per user+toolkit


@dataclass
class TriggerInstance:
    id: str
    slug: str
    connected_account_id: str
    user_id: str
    auth_config_id: str
    seq: int
    config: dict[str, Any] = field(default_factory=dict)
    disabled_at: str | None = None
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    changed: int = field(default_factory=lambda: next(_CHANGES))


@dataclass
class RouterSession:
    id: str
    user_id: str
    enabled: list[str] | None  #: toolkits allowed (None: all but ``disabled``)
    disabled: list[str]
    config: dict[str, Any] = field(default_factory=dict)  #: the request body as given


@dataclass
class McpInstance:
    id: str
    user_id: str
    server_id: str
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    changed: int = field(default_factory=lambda: next(_CHANGES))


@dataclass
class McpServer:
    id: str
    name: str
    seq: int
    auth_config_ids: list[str]
    toolkits: list[str]
    allowed_tools: list[str]
    managed_auth_via_composio: bool
    custom_tools: list[str] = field(default_factory=list)
    instances: dict[str, McpInstance] = field(default_factory=dict)  #: by user id
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    changed: int = field(default_factory=lambda: next(_CHANGES))


@dataclass
class StoredFile:
    key: str
    toolkit_slug: str
    tool_slug: str
    filename: str
    mimetype: str
    md5: str
    data: bytes | None = None  #: None until the PUT arrives
    put_headers: dict[str, str] = field(default_factory=dict)  #: lower-case names


class Store:
    """Everything the stateful routes keep. Hold :attr:`lock` while reading or writing."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._seq = itertools.count(1)
        self.auth_configs: dict[str, AuthConfig] = {}
        self.accounts: dict[str, Account] = {}
        self.triggers: dict[str, TriggerInstance] = {}
        self.router_sessions: dict[str, RouterSession] = {}
        self.mcp_servers: dict[str, McpServer] = {}
        self.files: dict[str, StoredFile] = {}

    def next_seq(self) -> int:
        """Creation order (ids are random; lists are ordered by this)."""
        return next(self._seq)

    def clear(self) -> None:
        with self.lock:
            self.auth_configs.clear()
            self.accounts.clear()
            self.triggers.clear()
            self.router_sessions.clear()
            self.mcp_servers.clear()
            self.files.clear()

    def account_by_token(self, token: str) -> Account | None:
        with self.lock:
            return next((a for a in self.accounts.values() if a.token == token), None)
