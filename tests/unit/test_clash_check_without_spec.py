"""The import-name clash check must never fail the import it guards: ``find_spec`` raises
``ValueError`` for a ``composio`` already in ``sys.modules`` with ``__spec__`` None."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys, types
stand_in = types.ModuleType("composio")
stand_in.__spec__ = None
sys.modules["composio"] = stand_in
import composio_pipeline
print(composio_pipeline._suspect(), composio_pipeline._ours(), composio_pipeline.diagnose().origin)
"""


def test_clash_check_survives_a_composio_module_without_a_spec() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "False", "None"]
