"""Issue 23, done-when 1: every docs page's examples run as a user runs them -- each block as its
own ``python example.py`` -- in a venv made exactly as README's quick-start line 1 says (plus
the extras and the third-party packages the page itself tells its reader to ``pip install``),
not in the dev venv, where pytest and every optional package would hide a missing install line.

Building a venv takes a while, so each distinct install (keyed on ``pyproject.toml``, the
requirements and the Python version) is built once and kept under ``$TOX_ENV_DIR`` (or
pytest's temp root), and this module runs only where ``COMPOSIO_DOCS_LINE1=1`` (``tox -e docs``
sets it; the dev suite's in-process run, ``test_docs_examples.py``, covers the rest).
A block whose ``# requires:`` modules the page's install does not provide (the frameworks,
the plugins under ``plugins/``) is skipped here, saying so: ``tox -e frameworks`` and
``tox -e plugins`` run those.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.docs._pages import DOCS, ROOT, Install, blocks, install_of, readme_line1

pytestmark = pytest.mark.skipif(
    os.environ.get("COMPOSIO_DOCS_LINE1") != "1",
    reason="builds fresh venvs: tox -e docs runs it (COMPOSIO_DOCS_LINE1=1)",
)

LINE1 = readme_line1()
PAGES = {b.page: install_of((DOCS / b.page).read_text()) for b in blocks()}
RUNNABLE = [b for b in blocks() if not b.reason]


def test_item1_readme_line1_is_what_this_module_installs() -> None:
    """The parse is of the real line: an editable install with the otel and async extras."""
    assert Install(frozenset({"otel", "async"}), frozenset()) == LINE1


def _venv_root(factory: pytest.TempPathFactory) -> Path:
    tox_env = os.environ.get("TOX_ENV_DIR")
    base = Path(tox_env) if tox_env else factory.getbasetemp().parent
    root = base / "docs-line1-venvs"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _build(root: Path, install: Install) -> Path:
    """The venv for ``install``: README line 1's commands with the page's additions, built once
    per key (a file lock keeps two sessions from building the same one)."""
    extras = ",".join(sorted(install.extras))
    packages = sorted(install.packages)
    key = hashlib.sha256(
        b"\0".join(
            [(ROOT / "pyproject.toml").read_bytes(), extras.encode(), sys.version.encode()]
            + [p.encode() for p in packages]
        )
    ).hexdigest()[:16]
    venv = root / key
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", "-e", f"{ROOT}[{extras}]", *packages],
                check=True,
                env=_user_env(venv),
            )
            (venv / ".complete").write_text(f"{extras} {' '.join(packages)}\n")
    return venv


def _user_env(venv: Path) -> dict[str, str]:
    """The environment after ``. .venv/bin/activate``: nothing of the dev venv on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture(scope="session")
def line1_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Path]]:
    root = _venv_root(tmp_path_factory)
    built: dict[Install, Path] = {}

    def venv_for(page: str) -> Path:
        install = LINE1 | PAGES[page]
        if install not in built:
            built[install] = _build(root, install)
        return built[install]

    yield venv_for


@pytest.mark.timeout(900)  # the session's first block of a page builds its venv
@pytest.mark.parametrize(
    ("code", "page", "requires"),
    [pytest.param(b.code, b.page, b.requires(), id=b.name) for b in RUNNABLE],
)
def test_item1_docs_example_runs_in_readme_line1_venv(
    code: str,
    page: str,
    requires: list[str],
    line1_venv: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    venv = line1_venv(page)
    python = str(venv / "bin" / "python")
    env = _user_env(venv)
    for module in requires:
        found = subprocess.run(
            [
                python,
                "-c",
                f"import importlib.util as u; raise SystemExit(u.find_spec({module!r}) is None)",
            ],
            env=env,
            capture_output=True,
        )
        if found.returncode:
            pytest.skip(
                f"needs {module}, which {page} does not install (tox -e frameworks/plugins)"
            )
    example = tmp_path / "example.py"
    example.write_text(code)
    ran = subprocess.run(
        [python, str(example)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, (
        f"{page}: the example failed in a venv made as README line 1 says "
        f"(+ {sorted(PAGES[page].extras)} {sorted(PAGES[page].packages)}):\n"
        f"{ran.stdout[-2000:]}\n{ran.stderr[-4000:]}"
    )
