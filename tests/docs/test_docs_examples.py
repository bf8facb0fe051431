"""Every ```python block under docs/ runs against the local server (docs are product)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from unittest import mock

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
#: A block whose first line is ``# requires: fastapi, httpx`` runs only where those import
#: (``tox -e docs`` installs them); elsewhere it is skipped, saying what is missing.
REQUIRES = re.compile(r"# requires: (.+)")


def _blocks() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for i, match in enumerate(BLOCK.finditer(page.read_text())):
            found.append((f"{page.relative_to(DOCS)}#{i + 1}", match.group(1)))
    return found


BLOCKS = _blocks()


def test_docs_have_examples() -> None:
    assert BLOCKS, "docs/ should contain runnable python examples"


@pytest.mark.parametrize("code", [c for _, c in BLOCKS], ids=[n for n, _ in BLOCKS])
def test_docs_example_runs(code: str) -> None:
    needs = REQUIRES.fullmatch(code.partition("\n")[0])
    for module in needs.group(1).split(",") if needs else ():
        name = module.strip()
        pytest.importorskip(name, reason=f"the example needs {name}, not installed here")
    with mock.patch.dict(os.environ):  # what an example sets in os.environ is undone after
        exec(compile(code, "<docs>", "exec"), {"__name__": "__docs__"})
