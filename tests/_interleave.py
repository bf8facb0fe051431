"""Two threads' first reads forced to interleave at one line (no sleeps, no luck).

``race(read, code, stop_at, waits_at)`` runs ``read()`` in this thread under a trace
function; when it reaches the line of ``code`` (a function's code object) whose source holds
``stop_at``, another thread runs ``read()`` there, until that read ends or reaches a line
holding ``waits_at`` (where it would wait for this thread, under a lock). Then this thread
goes on. Returns (this thread's result, the other's). A lock-free look-then-store lets the
other read finish first and store its own value; a correct one makes it wait.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import CodeType
from typing import Any

__all__ = ["race"]


def _lines(code: CodeType, text: str) -> set[int]:
    with open(code.co_filename, encoding="utf-8") as source:
        lines = source.read().splitlines()
    first = code.co_firstlineno
    span = range(first, min(first + 60, len(lines) + 1))
    return {n for n in span if text in lines[n - 1]}


def race(read: Callable[[], Any], code: CodeType, stop_at: str, waits_at: str) -> tuple[Any, Any]:
    stop = _lines(code, stop_at)
    assert len(stop) == 1, f"no single line holds {stop_at!r} in {code.co_name}"
    waits = _lines(code, waits_at)
    reached = threading.Event()
    other: list[Any] = []

    def stops_at_the_wait(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code is not code:
            return None

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line" and frame.f_lineno in waits:
                reached.set()  # it waits for this thread from here
            return local

        return local

    def read_there() -> None:
        sys.settrace(stops_at_the_wait)
        try:
            other.append(read())
        finally:
            sys.settrace(None)
            reached.set()

    thread = threading.Thread(target=read_there)

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code is not code:
            return None

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line" and frame.f_lineno in stop and not thread.is_alive():
                thread.start()
                reached.wait(10)
            return local

        return local

    before = sys.gettrace()
    sys.settrace(tracer)
    try:
        mine = read()
    finally:
        sys.settrace(before)
    thread.join(10)
    assert other, "the other thread's read did not run"
    return mine, other[0]
