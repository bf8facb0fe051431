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


def test_install_text_extras_are_normalized_names_so_pip_23_finds_them() -> None:
    """setuptools writes ``Provides-Extra`` PEP 685-normalized (``openai-agents``); pip before
    23.3 (what ``python3 -m venv`` brings on 3.11) does not normalize the request, so
    ``.[openai_agents]`` installed nothing but a warning: every extra is declared normalized."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert [e for e in declared if re.sub(r"[-_.]+", "-", e).lower() != e] == []


def test_install_text_runtime_hints_never_name_the_unpublished_pypi_install() -> None:
    from composio._install import install_hint

    sources = [p for p in (ROOT / "src").rglob("*.py")]
    wrong = re.compile(r"pip install\s+['\"]?composio-pipeline\b")
    assert [p.name for p in sources if wrong.search(p.read_text(encoding="utf-8"))] == []
    assert install_hint("async") == (
        "pip install -e '.[async]' in a clone of composio-pipeline (README, Install)"
    )
