"""Issue 23: every command's ``--help`` explains every option and argument (a newcomer found
``--search``, ``--limit``, ``--json``, ``--port`` bare), and runs through the real parser."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from pathlib import Path

import pytest

from composio.cli import _parser, main


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _commands(child, (*path, name))
    return found


COMMANDS = _commands(_parser())


@pytest.mark.parametrize(
    "path,parser", COMMANDS, ids=[" ".join(p) or "composio" for p, _ in COMMANDS]
)
def test_every_option_and_argument_has_help_text(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    bare = [
        "/".join(a.option_strings) or a.dest
        for a in parser._actions
        if not isinstance(a, argparse._SubParsersAction) and not (a.help or "").strip()
    ]
    assert bare == [], f"composio {' '.join(path)}: no help for {bare}"
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), pytest.raises(SystemExit) as exited:
        main([*path, "--help"])
    assert exited.value.code == 0
    assert shown.getvalue().startswith("usage: composio")


def test_top_level_help_names_the_environment() -> None:
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(shown.getvalue().split())
    assert "COMPOSIO_API_KEY" in text and "COMPOSIO_BASE_URL" in text
    assert "--version" in text and "doctor" in text


#: Issue 23, done-when 2: the literal ``--help`` of every command and subcommand, one file each.
#: Regenerate after an intended change with ``COMPOSIO_UPDATE_SNAPSHOTS=1 pytest
#: tests/unit/test_cli_help.py`` and review the diff. argparse's layout changes between Python
#: minor versions, so the snapshots name the one they were taken on; on another, they are skipped.
SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots" / "cli-help"
_PYTHON = "{}.{}".format(*sys.version_info[:2])


def _help(path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps at the terminal's width
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), pytest.raises(SystemExit):
        main([*path, "--help"])
    return shown.getvalue()


@pytest.mark.parametrize(
    "path", [p for p, _ in COMMANDS], ids=[" ".join(p) or "composio" for p, _ in COMMANDS]
)
def test_cli_help_snapshot(path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = SNAPSHOTS / f"{'-'.join(('composio', *path))}.txt"
    text = _help(path, monkeypatch)
    if os.environ.get("COMPOSIO_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        (SNAPSHOTS / "PYTHON").write_text(_PYTHON + "\n")
        snapshot.write_text(text)
    taken_on = (SNAPSHOTS / "PYTHON").read_text().strip()
    if taken_on != _PYTHON:
        pytest.skip(
            f"snapshots were taken on Python {taken_on}; argparse lays help out differently"
        )
    assert snapshot.exists(), f"no snapshot for composio {' '.join(path)}: regenerate (see above)"
    assert text == snapshot.read_text(), (
        f"composio {' '.join(path)} --help changed; if intended, regenerate with "
        "COMPOSIO_UPDATE_SNAPSHOTS=1 and review the diff"
    )


def test_cli_help_snapshot_every_file_is_a_command() -> None:
    """A snapshot of a removed command would otherwise linger, asserting nothing."""
    names = {f"{'-'.join(('composio', *p))}.txt" for p, _ in COMMANDS}
    stale = sorted(p.name for p in SNAPSHOTS.glob("*.txt") if p.name not in names)
    assert stale == []
