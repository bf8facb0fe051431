"""Issue 16, item 13: ONE printer for untrusted text (``composio._terminal``).

The rules themselves, and the guard that keeps the printer the only way out: every module of
the package is parsed and any other route to the terminal (``print``, ``sys.stdout``,
``sys.stderr``, ``os.write``, ``traceback.print_*``, ``pprint``) fails this test, so a new
command cannot forget the printer.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
from pathlib import Path

import pytest

import composio
from composio import _terminal
from composio._terminal import escape, one_line

PACKAGE = Path(composio.__file__).resolve().parent
PRINTER = PACKAGE / "_terminal.py"

#: Every character class the printer must neutralise, each as it would arrive from an API.
HOSTILE = [
    "\x1b]0;pwned\x07",  # OSC: retitle the terminal
    "\x1b[2J\x1b[H",  # CSI: clear the screen
    "a\nFORGED ROW",  # a new line: a forged table row
    "a\rover",  # carriage return: overwrite the line
    "tab\there",
    "\x00nul\x08bs\x7fdel",
    "\x9b31m\x85nel\x90dcs",  # C1: CSI, NEL, DCS as single code points
    "\u202egnp.exe",  # right-to-left override
    "\u2066isolate\u2069\u200f\u061c",
    "line\u2028sep\u2029para",
    "bad\udcffbyte",  # a surrogate-escaped undecodable byte
]


def _unsafe(text: str) -> list[str]:
    return [
        c
        for c in text
        if ord(c) < 0x20
        or 0x7F <= ord(c) <= 0x9F
        or c in "\u061c\u200e\u200f\u2028\u2029"
        or 0x202A <= ord(c) <= 0x202E
        or 0x2066 <= ord(c) <= 0x2069
        or 0xD800 <= ord(c) <= 0xDFFF
    ]


@pytest.mark.parametrize("value", HOSTILE)
def test_item13_escape_leaves_no_control_and_is_idempotent(value: str) -> None:
    shown = escape(value)
    assert _unsafe(shown) == []
    assert escape(shown) == shown  # callers may escape cells first: no double escaping
    assert shown != value  # something was escaped, visibly


def test_item13_escape_spells_each_class_visibly() -> None:
    assert escape("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert escape("a\nb\r\tc") == "a\\nb\\r\\tc"
    assert escape("\x9b\x85") == "\\x9b\\x85"
    assert escape("\u202eabc\u2066") == "\\u202eabc\\u2066"
    assert escape("x\udcff") == "x\\udcff"


def test_item13_ordinary_unicode_is_kept() -> None:
    # Accents, CJK, emoji with a zero-width joiner, a flag, a no-break space: all text.
    text = "José 東京 👨\u200d👩\u200d👧 🇫🇷 a\u00a0b ok"
    assert escape(text) == text


def test_item13_one_line_collapses_whitespace_bounds_and_escapes() -> None:
    assert one_line("a\n\n  b\x1b[2J") == "a b\\x1b[2J"
    assert len(one_line("x" * 10_000)) == 500


def test_item13_out_writes_one_line_and_survives_an_ascii_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", write_through=True)
    monkeypatch.setattr("sys.stdout", stream)
    _terminal.out("José\x1b[2J\nrow")
    assert raw.getvalue() == b"Jos\\xe9\\x1b[2J\\nrow\n"


def test_item13_json_output_stays_json() -> None:
    value = {"name": "a\x1b[2J\n\u202e", "n": [1, 2]}
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        _terminal.out_json(value)
    text = buffer.getvalue()
    assert _unsafe(text.replace("\n", "")) == []
    assert json.loads(text) == value


# -- the guard: no other way to the terminal ----------------------------------------------
_FORBIDDEN_NAMES = {"print", "pprint"}
_FORBIDDEN_ATTRS = {
    "stdout",
    "stderr",
    "__stdout__",
    "__stderr__",
    "print_exc",
    "print_exception",
    "print_stack",
    "print_tb",
    "print_last",
    "pprint",
}


def _bypasses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in _FORBIDDEN_NAMES:
            found.append(f"{node.id} (line {node.lineno})")
        elif isinstance(node, ast.Attribute) and node.attr in _FORBIDDEN_ATTRS:
            found.append(f".{node.attr} (line {node.lineno})")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "write"
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            found.append(f"os.write (line {node.lineno})")
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != PRINTER)


def test_item13_the_guard_sees_the_cli_modules(tmp_path: Path) -> None:
    names = {p.name for p in _modules()}
    assert {"cli.py", "_demo.py", "_cli_accounts.py", "_cli_triggers.py"} <= names
    # ... and would catch each way around the printer
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys, os, traceback\nprint(1)\nsys.stdout.write('x')\n"
        "sys.stderr.flush()\nos.write(1, b'x')\ntraceback.print_exc()\nf = print\n"
    )
    assert len(_bypasses(probe)) == 6


def test_item13_nothing_in_the_package_writes_to_the_terminal_but_the_printer() -> None:
    offenders = {str(p.relative_to(PACKAGE)): found for p in _modules() if (found := _bypasses(p))}
    assert offenders == {}, (
        "write through composio._terminal (out/err/out_json) instead of printing directly: "
        f"{offenders}"
    )
