"""SPEC §12.8: no module-level lock held by another thread at ``fork()`` can block the child.

Every module-level lock comes from ``composio._fork.module_lock`` (checked in the source
below), and for each one a thread of the parent holds it while the parent forks; the child then
does the operation that takes that lock and must exit 0 within a bound (a hung child is killed
and the test fails).
"""

from __future__ import annotations

import ast
import os
import select
import signal
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

import composio
from composio import Composio, _fork

SRC = Path(composio.__file__).resolve().parent
LOCK_FACTORIES = {"Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore"}
CHILD_BOUND = 20.0


# -- the source check: one place creates module-level locks ------------------------------------
def _creates_lock(node: ast.AST) -> bool:
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            f = call.func
            if (
                isinstance(f, ast.Attribute)
                and f.attr in LOCK_FACTORIES
                and isinstance(f.value, ast.Name)
                and f.value.id == "threading"
            ) or (isinstance(f, ast.Name) and f.id in LOCK_FACTORIES):
                return True
    return False


def lock_violations(source: str, module: str) -> list[str]:
    """Module-level lock creations, and classes that make locks but have no fork reset."""
    found: list[str] = []
    for stmt in ast.parse(source).body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue  # made when called, not at import
        if isinstance(stmt, ast.ClassDef):
            methods = {n.name for n in stmt.body if isinstance(n, ast.FunctionDef)}
            if _creates_lock(stmt) and "after_fork_in_child" not in methods:
                found.append(
                    f"{module}: class {stmt.name} makes a lock but has no after_fork_in_child"
                )
            continue
        if _creates_lock(stmt):
            found.append(f"{module}:{stmt.lineno}: module-level lock; use _fork.module_lock()")
    return found


def test_the_checker_catches_a_bare_module_lock() -> None:
    assert lock_violations("import threading\n_lock = threading.Lock()\n", "m")
    assert lock_violations("from threading import RLock\nif True:\n    _l = RLock()\n", "m")
    assert lock_violations(
        "import threading\nclass C:\n    def __init__(self):\n        self.l = threading.Lock()\n",
        "m",
    )
    assert not lock_violations(
        "from composio._fork import module_lock\n_l = module_lock('x')\n", "m"
    )


def test_no_module_creates_a_lock_outside_the_factory() -> None:
    exempt = {"_fork.py"}  # the factory itself
    problems: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in exempt or rel.startswith("testing/"):  # the test server runs in the parent
            continue
        problems += lock_violations(path.read_text(), rel)
    assert problems == []


# -- each registered lock, held across fork ----------------------------------------------------
def _build_client() -> None:
    Composio(api_key="k", base_url="http://127.0.0.1:9", allow_tracking=False).close()


def _plugin_scan() -> None:
    from composio.plugins import reset_entry_point_cache

    reset_entry_point_cache()  # takes the lock, then the build lists entry points under it
    _build_client()


def _log_once() -> None:
    # a host not logged before: _log_base_url takes the lock to record it
    Composio(api_key="k", base_url=f"http://127.0.0.{os.getpid() % 200 + 2}:9").close()


def _instrument() -> None:
    from composio.tracing import instrument_http, uninstrument_http

    instrument_http()
    uninstrument_http()


def _first_read_of_a_page() -> None:
    from composio.models import Tool, defer_items
    from composio.pagination import Page

    # a fresh page's first read of ``items`` stores its tuple under the lock
    assert Page(defer_items(Tool, [{"slug": "A_B"}], None)).items[0].slug == "A_B"


def _first_read_of_a_model() -> None:
    from composio.models import Tool

    # a lazy model's first read of a field not required fills it under the lock
    assert Tool.from_dict({"slug": "A_B", "name": "n"}).name == "n"


#: The operation that takes each module lock. A new module lock fails the test below until
#: its operation is added here.
OPERATIONS: dict[str, Callable[[], None]] = {
    "composio._fork": _build_client,
    "composio.plugins": _plugin_scan,
    "composio.client._logged_lock": _log_once,
    "composio.tracing": _instrument,
    "composio._deferred_items": _first_read_of_a_page,
    "composio.models": _first_read_of_a_model,
}


def _ensure_imported() -> None:
    import composio.models
    import composio.pagination
    import composio.plugins
    import composio.tracing  # noqa: F401


def test_every_module_lock_has_a_fork_test() -> None:
    _ensure_imported()
    _build_client()  # client.py's lock exists once composio.client is imported
    assert {lock.name for lock in _fork.module_locks()} == set(OPERATIONS)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_child_is_not_blocked_by_a_lock_held_at_fork(name: str) -> None:
    _ensure_imported()
    _build_client()
    (lock,) = [lk for lk in _fork.module_locks() if lk.name == name]
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with lock:
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    assert held.wait(10)
    read_fd, write_fd = os.pipe()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                os.close(read_fd)
                OPERATIONS[name]()
                os.write(write_fd, b"ok")
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        assert lock.locked()  # the parent's lock is still held by its thread
        ready, _, _ = select.select([read_fd], [], [], CHILD_BOUND)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the child hung on {name!r} (held by a parent thread at fork)")
        report = os.read(read_fd, 16)
        _, status = os.waitpid(pid, 0)
        assert report == b"ok"
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        os.close(read_fd)
        release.set()
        thread.join(10)
    assert not lock.locked()
