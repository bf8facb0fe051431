"""Socket reads that stop at the call's total deadline (SPEC §12.6).

A socket timeout bounds one ``recv``, not a response: a server that sends one byte every
0.2 s never trips a 1 s read timeout, and ``http.client``/urllib3 loop over many ``recv`` calls
where the transport cannot look at the clock -- reading the status line and headers, a
chunk-size line, and ``read1(decode_content=True)``, which keeps reading until the gzip decoder
yields a byte. The only place that sees every one of those reads is the file object
``http.client.HTTPResponse`` reads from, so that is where the deadline goes: each ``recv`` waits
at most ``min(read timeout, time left)`` and none starts once the deadline has passed (a
``TimeoutError``, which urllib3 turns into its ``ReadTimeoutError``).

The limits travel in a context variable the transport sets around one call, so a pooled
connection used by many threads and calls reads each response with its own call's limits; a
response read outside any call (no limits set) is an ordinary socket file.
"""

from __future__ import annotations

import http.client
import io
import time
from contextvars import ContextVar
from typing import Any

import requests.adapters
import urllib3
import urllib3.connection
import urllib3.connectionpool

__all__ = ["POOL_CLASSES", "DeadlineAdapter", "read_limits"]

#: (deadline on ``time.monotonic()``, per-read timeout or None) for the call in progress.
read_limits: ContextVar[tuple[float, float | None] | None] = ContextVar(
    "composio_read_limits", default=None
)


#: How far past the deadline one ``recv`` may wait before the timeout is shrunk for it.
_SLACK = 0.02


class _DeadlineReader(io.RawIOBase):
    """The response's raw socket file, clipping every ``recv`` to the call's deadline."""

    def __init__(self, raw: Any, sock: Any, deadline: float, per_read: float | None) -> None:
        super().__init__()
        self._raw = raw  # the SocketIO http.client made: it holds the socket's io reference
        self._sock = sock
        self._deadline = deadline
        self._per_read = per_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the call's total timeout ran out while reading the response")
        per_read = self._per_read
        wait = left if per_read is None or left < per_read else per_read
        sock = self._sock
        current = sock.gettimeout()
        # Only shrink it, and only when it matters: ``settimeout`` is a syscall, and early in a
        # call the timeout urllib3 set (already clipped when the exchange began) is within
        # _SLACK of what is left.
        if current is None or current - wait > _SLACK:
            sock.settimeout(wait)
        result: int | None = self._raw.readinto(buffer)
        return result

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        limits = read_limits.get()
        if limits is not None:
            # Nothing has been read yet: swap the buffered file for one over a clipped raw
            # reader. ``detach`` keeps the SocketIO (and its hold on the socket) open.
            raw = self.fp.detach()
            self.fp = io.BufferedReader(_DeadlineReader(raw, sock, *limits))


class _HTTPConnection(urllib3.connection.HTTPConnection):
    response_class = _DeadlineResponse


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    response_class = _DeadlineResponse


class _HTTPConnectionPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


#: For ``PoolManager.pool_classes_by_scheme`` (direct and HTTP(S)-proxy managers).
POOL_CLASSES: dict[str, type[urllib3.connectionpool.HTTPConnectionPool]] = {
    "http": _HTTPConnectionPool,
    "https": _HTTPSConnectionPool,
}


def _close_pool(pool: Any) -> None:
    pool.close()


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """``HTTPAdapter`` whose reads honour :data:`read_limits` and whose ``close()`` really
    closes the pooled sockets.

    urllib3 2.x's ``PoolManager.clear()`` only forgets its pools (its container has no
    dispose function, unlike 1.26): their idle sockets stay open for as long as anything
    -- a ``Response`` the caller still holds, say -- keeps a pool alive. Giving the
    containers ``pool.close()`` as dispose function closes them on ``clear()`` (and on LRU
    eviction); connections still checked out are closed when they come back.
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pools.dispose_func = _close_pool
        self.poolmanager.pool_classes_by_scheme = POOL_CLASSES  # deadline-bounded reads

    def proxy_manager_for(self, proxy: Any, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pools.dispose_func = _close_pool
        if type(manager) is urllib3.ProxyManager:  # SOCKS managers keep their own classes
            manager.pool_classes_by_scheme = POOL_CLASSES
        return manager
