"""The ONE printer for the ``composio`` command: every byte the CLI writes goes through here.

Why one place: what the CLI shows comes from the API, a server, a plugin or the user (an
account's user id, an auth config's name, a tool's description, an error message echoing a
server). A value holding ``ESC ] 0 ; ... BEL`` retitles the terminal, ``ESC [ 2 J`` clears
it, a newline forges a row of a table, U+202E reverses what follows. A rule applied at each
call site is forgotten at the next one; applied here it cannot be, and
``tests/unit/test_item13_one_printer.py`` fails when a module of the package prints any
other way.

The rule (docs/design-decisions.md, "The CLI's printer"): each call writes ONE line, and
every character of it that can move the cursor, change the terminal's state or the
direction of the text is replaced by a visible escape -- C0 controls (newline and tab
included) as ``\\n``, ``\\r``, ``\\t`` or ``\\xNN``, DEL and the C1 controls as ``\\xNN``,
bidi controls and line/paragraph separators as ``\\uNNNN``, lone surrogates (undecodable
bytes) as ``\\udcNN``. Everything else, accents, CJK, emoji with their joiners, is kept.
Escaping is idempotent (its output contains nothing it escapes), so a caller may escape
cells first to align columns and the line pass changes nothing more. A character the
stream's encoding cannot carry becomes a backslash escape instead of a
``UnicodeEncodeError`` (``LANG=C``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from typing import Any, BinaryIO, TextIO

__all__ = ["err", "escape", "one_line", "out", "out_json", "routed_logging", "stdout_to_stderr"]

#: C0, DEL, C1; Arabic letter mark, LRM/RLM; line/paragraph separators and the bidi
#: embeddings/overrides U+202A-U+202E; the bidi isolates U+2066-U+2069; lone surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(found: re.Match[str]) -> str:
    char = found.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(value: object) -> str:
    """``value`` as text safe to show on a terminal, on one line (see the module's rule)."""
    return _UNSAFE.sub(_escaped, str(value))


def one_line(value: object, limit: int = 500) -> str:
    """An error message on one line: runs of whitespace become one space, the rest escaped,
    at most ``limit`` characters (a server's whole HTML error page is not a message)."""
    flat = " ".join(str(value).split())
    if len(flat) > limit:
        flat = flat[: limit - 3] + "..."
    return escape(flat)


def _write(stream: TextIO, text: object, flush: bool) -> None:
    data = escape(text) + "\n"
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        data.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        data = data.encode(encoding, "backslashreplace").decode(encoding, "replace")
    stream.write(data)
    if flush:
        stream.flush()


def out(text: object = "", *, flush: bool = False) -> None:
    """Write one escaped line to standard output (looked up at each call, so a redirected
    ``sys.stdout`` is honoured)."""
    _write(sys.stdout, text, flush)


def err(text: object = "", *, flush: bool = True) -> None:
    """Write one escaped line to standard error."""
    _write(sys.stderr, text, flush)


def out_json(value: Any) -> None:
    """``value`` as indented JSON, one escaped line per line. ``ensure_ascii`` already writes
    every control and non-ASCII character as ``\\uXXXX``, so the escape pass is a no-op here:
    the output stays valid JSON for ``jq``."""
    for line in json.dumps(value, indent=2, ensure_ascii=True).split("\n"):
        out(line)


class _PrinterHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            for line in self.format(record).split("\n"):
                err(line)
        except Exception:  # pragma: no cover - logging's own contract: never raise
            self.handleError(record)


@contextmanager
def routed_logging() -> Iterator[None]:
    """While the CLI runs, log records and warnings that would reach stderr (logging's
    last-resort handler, ``warnings.showwarning``) go through :func:`err` instead: a
    plugin's warning may quote a server too. Handlers an application configured stay."""
    root = logging.getLogger()
    handler = _PrinterHandler(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(name)s: %(message)s"))
    added = not root.handlers
    if added:
        root.addHandler(handler)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        if added:
            root.removeHandler(handler)


@contextmanager
def stdout_wire() -> Iterator[BinaryIO]:
    """The process's real stdout as a private binary file, while everything else written
    to stdout -- ``print`` (buffered or not) and raw fd 1 writes -- lands on stderr. Why:
    over stdio (``composio mcp serve``) stdout is the MCP transport for the whole serve. The
    ``mcp`` package diverts fd 1 while it serves, but a plugin's ``print`` during a tool call
    sat in ``sys.stdout``'s buffer and was flushed onto the restored wire at exit (break3's
    test). Handing the transport its own descriptor and pointing ``sys.stdout`` itself at
    stderr leaves no path from Python code to the wire."""
    sys.stdout.flush()
    wire = os.dup(1)
    try:
        with stdout_to_stderr(), os.fdopen(wire, "wb", buffering=0, closefd=False) as raw:
            yield raw
    finally:
        os.close(wire)


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Everything written to stdout in the block -- ``print`` and raw fd 1 writes alike --
    lands on stderr. Why: over stdio (``composio mcp serve``) stdout is the MCP transport
    from the first byte, but the ``mcp`` package claims fd 1 only once it serves; building
    the client before that imports entry-point plugins, and one ``print`` there corrupted
    the stream."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 1)
        os.close(saved)
