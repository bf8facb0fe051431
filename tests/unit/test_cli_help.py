"""Issue 23: every command's ``--help`` explains every option and argument (a newcomer found
``--search``, ``--limit``, ``--json``, ``--port`` bare), and runs through the real parser."""

from __future__ import annotations

import argparse
import contextlib
import io

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
