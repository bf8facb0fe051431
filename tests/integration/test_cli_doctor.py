"""Issue 23: the vendor's SDK (``pip install composio``) uses our import name ``composio``.

Each test builds a real second distribution -- a ``composio-9.9.9.dist-info`` whose RECORD
claims ``composio/__init__.py``, as pip writes it -- in a directory put on ``PYTHONPATH``, and
runs the real console script or interpreter in a subprocess: importlib.metadata reads it as
it would read the vendor's install. Nothing is patched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = str(Path(sys.executable).parent / "composio")
VENDOR_CODE_RAN = "VENDOR CODE RAN"


def _fake_vendor(root: Path, *, with_package: bool, version: str = "9.9.9") -> Path:
    """A distribution named ``composio`` installed into ``root`` (its package optional)."""
    info = root / "composio-9.9.9.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: composio\nVersion: {version}\n", encoding="utf-8"
    )
    (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
    record = ["composio/__init__.py,,", *(f"{info.name}/{n},," for n in ("METADATA", "RECORD"))]
    (info / "RECORD").write_text("\n".join(record) + "\n", encoding="utf-8")
    if with_package:
        (root / "composio").mkdir()
        (root / "composio" / "__init__.py").write_text(
            f"import sys\nsys.stderr.write({VENDOR_CODE_RAN!r})\n", encoding="utf-8"
        )
    return root


def _run(*argv: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    env["COMPOSIO_DISABLE_TELEMETRY"] = "1"
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


def test_doctor_reports_this_sdk_owns_the_import_name() -> None:
    done = _run(SCRIPT, "doctor")
    assert done.returncode == 0, done.stderr
    assert "owned by: composio-pipeline " in done.stdout
    assert "other distributions installing a 'composio' package: none" in done.stdout
    assert done.stdout.rstrip().endswith("ok: the composio import name is this SDK's")


def test_vendor_sdk_shadowing_composio_is_explained_by_the_cli_without_running_it(
    tmp_path: Path,
) -> None:
    # A hostile version string too: the report escapes what metadata says.
    vendor = _fake_vendor(tmp_path, with_package=True, version="9.9.9\x1b]0;pwned\x07")
    for argv in (("tools", "list"), ("doctor",), ("--version",)):
        done = _run(SCRIPT, *argv, pythonpath=vendor)
        assert done.returncode == 1, done
        assert "No module named" not in done.stderr
        assert VENDOR_CODE_RAN not in done.stderr  # decided from the file's text, not by running it
        assert "the 'composio' package here is not composio-pipeline's" in done.stderr
        assert f"import composio loads: {vendor / 'composio' / '__init__.py'}" in done.stderr
        assert "owned by: composio 9.9.9\\x1b]0;pwned\\x07" in done.stderr
        assert "\x1b" not in done.stderr and "\x07" not in done.stderr
        assert "fix: pip uninstall -y composio composio-pipeline" in done.stderr
        assert done.stdout == ""


def test_vendor_dist_beside_ours_warns_at_import_and_fails_doctor(tmp_path: Path) -> None:
    vendor = _fake_vendor(tmp_path, with_package=False)
    imported = _run(sys.executable, "-c", "import composio", pythonpath=vendor)
    assert imported.returncode == 0, imported.stderr
    assert "RuntimeWarning: composio 9.9.9 is installed in this environment" in imported.stderr
    assert "Run 'composio doctor'" in imported.stderr

    doctor = _run(SCRIPT, "doctor", pythonpath=vendor)
    assert doctor.returncode == 1
    assert "owned by: composio-pipeline " in doctor.stdout
    assert "other distributions installing a 'composio' package: composio 9.9.9" in doctor.stdout
    assert "problem: another distribution shares the composio directory" in doctor.stdout
    assert "fix: pip uninstall -y composio composio-pipeline" in doctor.stdout
