"""``scripts/unasync.py`` writes the async facades from the sync ones (issue 17).

The committed twins must be what the script writes now, and ``--check`` (run by ``.ci/run``)
must fail when a twin is edited by hand or its sync source changed without regenerating.
Each check runs the real script in a subprocess on a copy of the tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "unasync.py"
TWIN = Path("src/composio/resources/_async/tools.py")


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package, where the script may be run and files edited freely."""
    shutil.copytree(
        ROOT / "src" / "composio",
        tmp_path / "src" / "composio",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path


def test_the_committed_twins_are_current() -> None:
    result = _check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_fails_on_a_twin_edited_by_hand(tree: Path) -> None:
    assert _check(tree).returncode == 0  # the copy starts current
    twin = tree / TWIN
    twin.write_text(twin.read_text().replace("await self._arun(", "self._arun(", 1))
    result = _check(tree)
    assert result.returncode == 1
    assert f"{TWIN}: not what scripts/unasync.py writes" in result.stdout


def test_check_fails_when_a_sync_source_changed_without_regenerating(tree: Path) -> None:
    source = tree / "src/composio/resources/tools.py"
    source.write_text(source.read_text().replace('"""Every tool slug', '"""All tool slugs', 1))
    result = _check(tree)
    assert result.returncode == 1 and str(TWIN) in result.stdout
    # ... and running the script brings the twin up to date, with the change in it.
    subprocess.run([sys.executable, str(SCRIPT), "--root", str(tree)], check=True, timeout=60)
    assert _check(tree).returncode == 0
    assert '"""All tool slugs' in (tree / TWIN).read_text()


def test_check_fails_on_a_missing_twin(tree: Path) -> None:
    (tree / TWIN).unlink()
    assert _check(tree).returncode == 1
