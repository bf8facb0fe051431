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


def _installed_copy_of_ours(site: Path) -> Path:
    """composio-pipeline installed as a wheel installs it: its packages in ``site`` and a
    dist-info whose RECORD lists every file (not the editable install the suite runs from)."""
    import shutil

    import composio
    import composio_pipeline

    rows = []
    for package in (composio, composio_pipeline):
        source = Path(package.__file__).parent
        shutil.copytree(source, site / source.name, ignore=shutil.ignore_patterns("__pycache__"))
        rows += [f"{p.relative_to(site).as_posix()},," for p in (site / source.name).rglob("*")]
    info = site / "composio_pipeline-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: composio-pipeline\nVersion: 0.1.0\n", encoding="utf-8"
    )
    rows += [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return site


def _mixed_in(site: Path, name: str, files: list[str]) -> None:
    """Another distribution whose files were written into our composio/ folder."""
    info = site / f"{name.replace('-', '_')}-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 2.0\n", encoding="utf-8"
    )
    record = [f"{f},," for f in files] + [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n", encoding="utf-8")
    for rel in files:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text("# not ours\n", encoding="utf-8")


def test_item_clash_warning_names_whoever_owns_the_mixed_in_files(tmp_path: Path) -> None:
    """Issue 23: not only 'composio'/'composio-core': any distribution whose files sit in our
    composio/ folder is named, at import and by the doctor, from the same scan."""
    site = _installed_copy_of_ours(tmp_path)
    _mixed_in(site, "acme-composio-fork", ["composio/sdk.py", "composio/core/__init__.py"])
    imported = _run(
        sys.executable, "-c", "import composio; print(composio.__file__)", pythonpath=site
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == str(site / "composio" / "__init__.py")
    assert (
        "RuntimeWarning: acme-composio-fork 2.0 is installed in this environment and also "
        "uses the import name 'composio'"
    ) in imported.stderr
    doctor = _run(sys.executable, "-m", "composio.cli", "doctor", pythonpath=site)
    assert doctor.returncode == 1, doctor.stderr
    assert "owned by: composio-pipeline 0.1.0" in doctor.stdout
    assert (
        "other distributions installing a 'composio' package: acme-composio-fork 2.0"
        in doctor.stdout
    )
    assert "not installed by composio-pipeline: core, sdk.py" in doctor.stdout


def test_item_clash_files_nobody_lists_are_named_and_a_clean_install_is_quiet(
    tmp_path: Path,
) -> None:
    site = _installed_copy_of_ours(tmp_path)
    clean = _run(sys.executable, "-W", "error", "-c", "import composio", pythonpath=site)
    assert clean.returncode == 0 and clean.stderr == ""  # our own files only: no warning
    (site / "composio" / "stray.py").write_text("# copied in by hand\n", encoding="utf-8")
    imported = _run(sys.executable, "-c", "import composio", pythonpath=site)
    assert "holds files composio-pipeline did not install (stray.py)" in imported.stderr
    assert "Run 'composio doctor'" in imported.stderr
