"""Resolved, validated client settings.

A :class:`ClientConfig` is what plugins see in ``composio_middlewares(config)`` and what a
derived client (session, ``with_options``) inherits. It is resolved once, from keywords and
environment, when a root client is built; nothing here is re-read per request.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from composio._options import CONFIG_FIELDS
from composio._value import Value
from composio.errors import ValidationError

if TYPE_CHECKING:
    from composio.custom_tools import CustomTool
    from composio.headers import Layer
    from composio.pipeline import Middleware
    from composio.providers import Provider
    from composio.telemetry import TelemetryTransport

__all__ = [
    "DEFAULT_BASE_URL",
    "ClientConfig",
    "Timeout",
    "env_flag",
    "is_loopback",
    "validate_base_url",
    "validate_realtime_url",
]

DEFAULT_BASE_URL = "https://backend.composio.dev"
_NO_CUSTOM_TOOLS: Mapping[str, Any] = MappingProxyType({})
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


class Timeout(Value):
    """Per-attempt ``connect``/``read`` limits and a ``total`` deadline for the whole call.

    ``total`` covers every attempt and every wait between them; each attempt's connect and
    read timeouts are clipped to what is left of it. ``None`` for connect/read means "only
    ``total`` bounds it"; ``total`` must be finite, so no call can wait forever.
    """

    __slots__ = ("connect", "read", "total")
    connect: float | None
    read: float | None
    total: float

    def __init__(
        self, connect: float | None = 10.0, read: float | None = 60.0, total: float = 60.0
    ) -> None:
        for name, value in (("connect", connect), ("read", read), ("total", total)):
            if value is None and name != "total":
                object.__setattr__(self, name, None)
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ValidationError(
                    f"Timeout({name}=...) must be a positive, finite number of seconds."
                )
            object.__setattr__(self, name, float(value))

    @classmethod
    def coerce(cls, value: object, where: str = "timeout") -> Timeout:
        if isinstance(value, Timeout):
            return value
        if value is None:
            raise ValidationError(
                f"{where}=None is not allowed (a call must not wait forever): pass seconds "
                "as a float, or composio.Timeout(connect=..., read=..., total=...)."
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(
                f"{where} must be seconds (float) or composio.Timeout, not {type(value).__name__}."
            )
        if not math.isfinite(value) or value <= 0:
            raise ValidationError(f"{where} must be a positive, finite number of seconds.")
        seconds = float(value)
        return cls(connect=min(seconds, 10.0), read=seconds, total=seconds)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def is_loopback(host: str) -> bool:
    """``localhost``, ``*.localhost``, 127.0.0.0/8 or ::1: plain http is allowed there, and
    the CLI sends no telemetry there unless asked (``_cli_client.cli_tracking``)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    import ipaddress  # deferred: only a non-default base URL needs it

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(url: object) -> str:
    """Check a base URL against SPEC §8 and return it without a trailing slash."""
    if not isinstance(url, str) or not url:
        raise ValidationError("base_url must be a non-empty string such as 'https://host'.")
    if _CONTROL.search(url):
        raise ValidationError(
            "base_url contains whitespace or control characters; the value is not shown."
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"base_url is not a valid URL ({exc}).") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            "base_url must not carry credentials (user:password@); pass api_key= instead."
        )
    host = parts.hostname or ""
    if not host:
        raise ValidationError("base_url has no host; expected 'https://host[:port][/prefix]'.")
    if parts.scheme == "http":
        if not is_loopback(host):
            raise ValidationError(
                "base_url must use https:// (plain http is allowed only for localhost, "
                "127.0.0.0/8 and [::1])."
            )
    elif parts.scheme != "https":
        raise ValidationError(
            f"base_url scheme {parts.scheme!r} is not supported; use https:// "
            "(or http:// for loopback)."
        )
    if parts.query or parts.fragment:
        raise ValidationError("base_url must not contain a query string or fragment.")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{netloc}{path}"


def validate_realtime_url(url: object, what: str = "realtime_url") -> str | None:
    """``ws://host:port`` (loopback only) or ``wss://host[:port]``, without the Pusher path.

    The same rule as ``base_url`` (SPEC §8): plain text only on loopback, no credentials,
    no query; the value is never echoed (it may be a private host)."""
    if url is None:
        return None
    if not isinstance(url, str) or not url:
        raise ValidationError(f"{what} must be a non-empty string such as 'wss://host'.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise ValidationError(f"{what} contains whitespace or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError(f"{what} is not a valid URL.") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(f"{what} must not carry credentials (user:password@).")
    host = parts.hostname or ""
    if not host:
        raise ValidationError(f"{what} has no host; expected 'wss://host[:port]'.")
    if parts.scheme == "ws":
        if not is_loopback(host):
            raise ValidationError(
                f"{what} must use wss:// (plain ws:// is allowed only for localhost, "
                "127.0.0.0/8 and [::1])."
            )
    elif parts.scheme != "wss":
        raise ValidationError(f"{what} must start with wss:// (or ws:// for loopback).")
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise ValidationError(
            f"{what} is an origin only ('wss://host[:port]'): the SDK adds Pusher's "
            "'/app/{key}?protocol=7...' itself."
        )
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


_NO_PINS: Mapping[str, str] = MappingProxyType({})


class ClientConfig(Value):
    """Everything a root client was built with, resolved. Shared read-only by derived clients."""

    #: one field per row of the options table that is not a pool setting (``composio._options``)
    __slots__ = CONFIG_FIELDS
    api_key: str
    base_url: str
    allow_tracking: bool
    allow_tracing: bool
    provider: Provider
    telemetry_transport: TelemetryTransport | None
    default_headers: Layer
    timeout: Timeout
    max_retries: int
    verify: bool | str
    tracer_provider: Any
    middlewares: Sequence[Middleware]
    plugins: Sequence[object]
    blocked_plugins: frozenset[str]
    #: pinned toolkit versions, lowercase slug -> version (empty: everything ``latest``)
    toolkit_versions: Mapping[str, str]
    #: upper-cased slug -> ``CustomTool`` (``custom_tools=``), read-only
    custom_tools: Mapping[str, CustomTool]
    #: the websocket origin of realtime triggers (``None``: Pusher's cluster host)
    realtime_url: str | None
    #: SPEC §18: files in tool arguments and results (``composio._ops.auto_files``)
    auto_files: bool
    #: absolute; ``None``: ``~/.composio/files``
    file_download_dir: str | None
    #: extra paths and file-name patterns never uploaded
    file_upload_deny: tuple[str, ...]
    file_download_max_bytes: int
    #: realtime triggers: unread events + half-sent chunks per subscription (``_realtime``)
    realtime_max_buffer_bytes: int

    def __init__(
        self,
        api_key: str,
        base_url: str,
        allow_tracking: bool,
        allow_tracing: bool,
        provider: Provider,
        telemetry_transport: TelemetryTransport | None,
        default_headers: Layer,
        timeout: Timeout,
        max_retries: int,
        verify: bool | str,
        tracer_provider: Any,
        middlewares: Sequence[Middleware],
        plugins: Sequence[object],
        blocked_plugins: frozenset[str],
        toolkit_versions: Mapping[str, str] = _NO_PINS,
        custom_tools: Mapping[str, CustomTool] = _NO_CUSTOM_TOOLS,
        realtime_url: str | None = None,
        auto_files: bool = False,
        file_download_dir: str | None = None,
        file_upload_deny: tuple[str, ...] = (),
        file_download_max_bytes: int = 1 << 30,
        realtime_max_buffer_bytes: int = 64 << 20,
    ) -> None:
        values = locals()
        for name in self.__slots__:
            object.__setattr__(self, name, values[name])

    def __hash__(self) -> int:
        return id(self)

    def __reduce__(self) -> Any:
        raise TypeError("ClientConfig holds the API key and live objects; it is not picklable.")

    def __repr__(self) -> str:
        return (
            f"ClientConfig(api_key='***', base_url={self.base_url!r}, "
            f"allow_tracking={self.allow_tracking}, allow_tracing={self.allow_tracing}, "
            f"provider={self.provider!r}, max_retries={self.max_retries}, "
            f"timeout={self.timeout!r})"
        )
