"""Fork safety (SPEC §7, §12.8): a forked child must not use its parent's sockets, threads or
locks.

Two kinds of state are reset in the child, before any user code runs there:

* every module-level lock. They are all made by :func:`module_lock` -- the one place a module
  of ``composio`` may create a lock at import time (a test checks the source for any other) --
  so none can be forgotten. ``fork()`` copies a lock held by another thread as held, and that
  thread does not exist in the child: the child would block on it forever. The child gets a
  fresh, unlocked lock in each;
* the live runtimes, tracked weakly (a client that is dropped is forgotten): each gets a fresh
  connection pool, telemetry queue/thread and retry budget (their own instance locks included).

``os.register_at_fork`` is called once, when this module is first imported.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from types import TracebackType
from typing import Any

__all__ = ["ModuleLock", "live_runtimes", "module_lock", "module_locks", "track"]

logger = logging.getLogger("composio")


class ModuleLock:
    """A ``threading.Lock`` that a forked child replaces with a fresh one.

    Why a holder and not the lock itself: modules keep ``_lock = module_lock(...)`` in a global,
    so the object they hold must stay the same while the lock inside it is swapped in the
    child. Only short, I/O-free critical sections take these locks (a cache write, a set
    insert); never hold one while importing or calling user code.
    """

    __slots__ = ("_lock", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.release()

    def _reset_in_child(self) -> None:
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ModuleLock {self.name!r} locked={self.locked()}>"


#: Every module-level lock of the SDK, in creation order (the list only grows: modules live
#: for the process). ``list.append`` is atomic, so creating a lock needs no lock.
_module_locks: list[ModuleLock] = []


def module_lock(name: str) -> ModuleLock:
    """The only way a ``composio`` module creates a lock at module level (see module doc)."""
    lock = ModuleLock(name)
    _module_locks.append(lock)
    return lock


def module_locks() -> tuple[ModuleLock, ...]:
    """Every lock made by :func:`module_lock` so far (tests hold each across a fork)."""
    return tuple(_module_locks)


_runtimes: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = module_lock("composio._fork")


def track(runtime: Any) -> None:
    """Remember ``runtime`` (anything with ``after_fork_in_child()``) until it is collected."""
    with _lock:
        _runtimes.add(runtime)


def live_runtimes() -> list[Any]:
    with _lock:
        return list(_runtimes)


def _after_fork_in_child() -> None:
    # Locks first: the runtimes' resets and any code the child runs next may take them.
    for lock in tuple(_module_locks):
        lock._reset_in_child()
    for runtime in list(_runtimes):
        try:
            runtime.after_fork_in_child()
        except Exception as exc:  # one broken runtime must not break the others
            logger.debug("composio: after-fork reset failed (%s)", type(exc).__name__)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
