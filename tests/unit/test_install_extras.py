"""Issue 23: the extras are listed in ONE table (README, "Install"); it must name exactly the
extras ``pyproject.toml`` declares, and no page may tell a newcomer to install the
unpublished ``composio-pipeline`` from PyPI."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def _table_extras() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z0-9_-]+)` \|", section, re.M)


def test_readme_extras_table_matches_pyproject_extras() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    listed = _table_extras()
    assert len(listed) == len(set(listed)), listed
    assert sorted(listed) == sorted(declared)


def test_no_page_says_pip_install_composio_pipeline_from_pypi() -> None:
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    wrong = re.compile(r"pip install\s+['\"]?composio-pipeline\b")
    found = [p.name for p in pages if wrong.search(p.read_text(encoding="utf-8"))]
    assert found == []
