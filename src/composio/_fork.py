"""Fork safety (SPEC §7): a forked child must not use its parent's sockets or threads.

``os.register_at_fork`` is called once per process, on the first client; the live runtimes are
tracked weakly (a client that is dropped is forgotten). In the child each runtime gets a fresh
connection pool and fresh telemetry queues/threads, before any user code runs.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Any

__all__ = ["live_runtimes", "track"]

logger = logging.getLogger("composio")
_runtimes: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = threading.Lock()
_registered = False


def track(runtime: Any) -> None:
    """Remember ``runtime`` (anything with ``after_fork_in_child()``) until it is collected."""
    global _registered
    with _lock:
        if not _registered and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork_in_child)
            _registered = True
        _runtimes.add(runtime)


def live_runtimes() -> list[Any]:
    return list(_runtimes)


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # the parent may have held it while forking
    for runtime in list(_runtimes):
        try:
            runtime.after_fork_in_child()
        except Exception as exc:  # one broken runtime must not break the others
            logger.debug("composio: after-fork reset failed (%s)", type(exc).__name__)
