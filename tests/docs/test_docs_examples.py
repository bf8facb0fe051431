"""Every ```python block under docs/ runs against the local server (docs are product).

A block right after a ``<!-- not-runnable: REASON -->`` line is collected but skipped with
that reason (e.g. an API that is wired in a later step), so it shows up in the test report
until someone makes it run.
"""

from __future__ import annotations

import importlib
import os
from unittest import mock

import pytest

from tests.docs._pages import blocks

BLOCKS = blocks()


def test_docs_have_examples() -> None:
    assert BLOCKS, "docs/ should contain runnable python examples"


@pytest.mark.parametrize(
    ("code", "requires"),
    [
        pytest.param(
            b.code,
            b.requires(),
            id=b.name,
            marks=[pytest.mark.skip(reason=b.reason)] * bool(b.reason),
        )
        for b in BLOCKS
    ],
)
def test_docs_example_runs(code: str, requires: list[str]) -> None:
    for name in requires:
        if os.environ.get("COMPOSIO_REQUIRE_FRAMEWORKS") == "1":
            importlib.import_module(name)
        else:
            pytest.importorskip(name, reason=f"the example needs {name}, not installed here")
    with mock.patch.dict(os.environ):  # what an example sets in os.environ is undone after
        exec(compile(code, "<docs>", "exec"), {"__name__": "__docs__"})


@pytest.mark.parametrize(
    "code", [b.code for b in BLOCKS if b.reason], ids=[b.name for b in BLOCKS if b.reason]
)
def test_not_runnable_docs_example_still_compiles(code: str) -> None:
    compile(code, "<docs>", "exec")
