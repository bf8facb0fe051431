"""Break-it review of the import-time clash check (``composio_pipeline._suspect``/``diagnose``).

With a sign of a clash present (the vendor's ``composio`` distribution installed beside this
SDK), ``import composio`` scans every installed distribution. One unrelated distribution whose
METADATA is not UTF-8 -- or the vendor's own -- made ``importlib.metadata`` raise
``UnicodeDecodeError`` out of the scan: ``import composio`` itself failed, and so did
``composio doctor``. A distribution that cannot be read is reported, never fatal.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.integration.test_cli_doctor import SCRIPT, _fake_vendor, _run


def _undecodable(root: Path, name: str = "latin") -> Path:
    info = root / f"{name}-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_bytes(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nSummary: caf\xe9\n".encode("latin-1")
    )
    (info / "RECORD").write_text(f"{name}/__init__.py,,\n", encoding="utf-8")
    return root


def test_break5_import_survives_a_distribution_whose_metadata_is_not_utf8(
    tmp_path: Path,
) -> None:
    root = _undecodable(_fake_vendor(tmp_path, with_package=False))
    code = "import warnings; warnings.simplefilter('always'); import composio; print('imported')"
    done = _run(sys.executable, "-c", code, pythonpath=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"
    assert "composio 9.9.9 is installed in this environment" in done.stderr
    doctor = _run(SCRIPT, "doctor", pythonpath=root)
    assert doctor.returncode == 1, doctor.stderr  # the clash it found, not a crash
    assert "Traceback" not in doctor.stderr and "error:" not in doctor.stderr
    assert "other distributions installing a 'composio' package: composio 9.9.9" in doctor.stdout
    assert "could not be read: latin-1.0.dist-info" in doctor.stdout


def test_break5_import_survives_the_vendors_own_undecodable_metadata(tmp_path: Path) -> None:
    root = _undecodable(tmp_path, "composio")  # the vendor's name: the cheap check reads it
    done = _run(sys.executable, "-c", "import composio; print('imported')", pythonpath=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"
