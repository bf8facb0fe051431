"""Break round 3 (issue 23): ``composio doctor`` reads every installed distribution's RECORD.

One unrelated distribution with a malformed RECORD (a row of four columns, a path with a NUL)
made ``importlib.metadata`` raise inside the scan: ``composio doctor`` failed with
``error: TypeError: ... make_file() takes from 1 to 3 positional arguments``, and the console
script's explanation when ``composio`` is not ours -- the one path that must not fail --
died with a traceback. A file list that cannot be read is reported, not fatal.
"""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_cli_doctor import SCRIPT, _fake_vendor, _run


def _broken_dists(root: Path) -> Path:
    for name, record in (
        ("brokenrec", "brokenrec/__init__.py,sha256=x,1,extra\n"),  # 4 columns
        ("nulpath", "composio/a\x00b.py,,\n"),  # a path no OS accepts
    ):
        info = root / f"{name}-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
        )
        (info / "RECORD").write_text(record, encoding="utf-8")
    return root


def test_break3_doctor_survives_malformed_records(tmp_path: Path) -> None:
    done = _run(SCRIPT, "doctor", pythonpath=_broken_dists(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "error:" not in done.stderr
    assert "owned by: composio-pipeline " in done.stdout
    assert "file list could not be read: brokenrec 1.0, nulpath 1.0" in done.stdout


def test_break3_not_ours_explanation_survives_malformed_records(tmp_path: Path) -> None:
    root = _broken_dists(_fake_vendor(tmp_path, with_package=True))
    done = _run(SCRIPT, "tools", "list", pythonpath=root)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "the 'composio' package here is not composio-pipeline's" in done.stderr
    assert "owned by: composio 9.9.9" in done.stderr
