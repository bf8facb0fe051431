"""Every ```python block under docs/ runs against the local server (docs are product).

A block right after a ``<!-- not-runnable: REASON -->`` line is collected but skipped with
that reason (e.g. an API that is wired in a later step), so it shows up in the test report
until someone makes it run.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from unittest import mock

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(
    r"^(?:<!-- not-runnable: (?P<reason>[^\n]+?) -->\n)?```python\n(?P<code>.*?)^```", re.S | re.M
)
#: A block whose first line is ``# requires: fastapi, httpx`` runs only where those import
#: (``tox -e docs`` installs them); elsewhere it is skipped, saying what is missing -- except
#: in ``tox -e frameworks`` (``COMPOSIO_REQUIRE_FRAMEWORKS=1``), where a missing one fails.
REQUIRES = re.compile(r"# requires: (.+)")


def _blocks() -> list[tuple[str, str, str | None]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for i, match in enumerate(BLOCK.finditer(page.read_text())):
            name = f"{page.relative_to(DOCS)}#{i + 1}"
            found.append((name, match.group("code"), match.group("reason")))
    return found


BLOCKS = _blocks()


def test_docs_have_examples() -> None:
    assert BLOCKS, "docs/ should contain runnable python examples"


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(code, id=name, marks=[pytest.mark.skip(reason=reason)] if reason else [])
        for name, code, reason in BLOCKS
    ],
)
def test_docs_example_runs(code: str) -> None:
    needs = REQUIRES.fullmatch(code.partition("\n")[0])
    for module in needs.group(1).split(",") if needs else ():
        name = module.strip()
        if os.environ.get("COMPOSIO_REQUIRE_FRAMEWORKS") == "1":
            importlib.import_module(name)
        else:
            pytest.importorskip(name, reason=f"the example needs {name}, not installed here")
    with mock.patch.dict(os.environ):  # what an example sets in os.environ is undone after
        exec(compile(code, "<docs>", "exec"), {"__name__": "__docs__"})


@pytest.mark.parametrize("code", [c for _, c, r in BLOCKS if r], ids=[n for n, _, r in BLOCKS if r])
def test_not_runnable_docs_example_still_compiles(code: str) -> None:
    compile(code, "<docs>", "exec")
