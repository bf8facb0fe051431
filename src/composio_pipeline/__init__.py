"""Who owns the ``composio`` import name here, and the ``composio`` command's launcher.

Why a second top-level package: the distribution is ``composio-pipeline`` but its import name
is ``composio`` -- the same as the vendor's SDK (``pip install composio``, and the older
``composio-core``). pip does not know two distributions claim one directory, so installing the
vendor's SDK into the same environment silently writes its files over ours (``pip check`` sees
nothing) and ``import composio`` then loads the vendor's code; ours never runs and can say
nothing. This module's name is ours alone, so the console script starts here: when
``composio`` is not ours it explains, with the owning distribution from package metadata,
instead of failing with ``No module named 'composio.cli'``. ``composio doctor`` shows the same
report when all is well, and ``import composio`` warns (:func:`warn_if_shared`) in the one
case it can still run: ours installed over (or beside) another distribution's files. Both
name the distributions from one scan, :func:`diagnose`; the import runs it only after a cheap
check (:func:`_suspect`) finds a sign of a clash, because the scan reads every installed
distribution's file list (90-140 ms).

Nothing here imports (runs) ``composio`` before knowing it is ours; output goes through
``composio._terminal`` when it is, else through :func:`_plain` (the same escaping idea, ASCII).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

__all__ = ["DISTRIBUTION", "Diagnosis", "diagnose", "main", "warn_if_shared"]

DISTRIBUTION = "composio-pipeline"
#: Distributions known to install a top-level ``composio`` package too (the vendor's SDKs).
KNOWN_CLASHES = ("composio", "composio-core")


@dataclass
class Diagnosis:
    """What ``import composio`` loads, who installed it, and who else claims the name."""

    origin: str | None  # the __init__.py import would load (nothing is executed to find it)
    owner: str | None  # "name version" of the distribution whose files include it
    ours: bool
    others: list[str] = field(default_factory=list)  # other distributions with a composio/
    #: distributions whose file list (RECORD) could not be read: they may claim composio/ too
    unreadable: list[str] = field(default_factory=list)
    #: top-level names in the loaded composio/ folder that composio-pipeline did not install
    foreign: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.ours and not self.others and not self.foreign

    def warning(self) -> str:
        """The one-paragraph form ``import composio`` warns with (when not :attr:`ok`)."""
        if self.others:
            what = (
                f"{', '.join(self.others)} is installed in this environment and also uses the "
                "import name 'composio': its files and composio-pipeline's overwrite each other."
            )
        else:
            what = (
                f"the composio package folder holds files composio-pipeline did not install "
                f"({', '.join(self.foreign)}), and no installed distribution lists them."
            )
        return what + " Run 'composio doctor' for what to do."

    def lines(self) -> list[str]:
        mine = _version_of(DISTRIBUTION)
        rows = [
            f"{DISTRIBUTION}: " + (f"{mine} installed" if mine else "not installed"),
            f"import composio loads: {self.origin or '(nothing: no composio package found)'}",
            f"  owned by: {self.owner or 'no installed distribution (a directory on sys.path)'}",
            "other distributions installing a 'composio' package: "
            + (", ".join(self.others) or "none"),
        ]
        if self.foreign:
            rows.append(
                "files in that composio folder not installed by composio-pipeline: "
                + ", ".join(self.foreign)
            )
        if self.unreadable:
            rows.append(
                "distributions whose file list could not be read: "
                + ", ".join(sorted(self.unreadable))
            )
        if self.ok:
            return [*rows, "ok: the composio import name is this SDK's"]
        return [*rows, *_advice(self)]


def _advice(found: Diagnosis) -> list[str]:
    foreign = [*found.others, *([found.owner] if found.owner and not found.ours else [])]
    names = " ".join(sorted({label.split()[0] for label in foreign})) or "composio"
    problem = (
        "problem: import composio loads another distribution's code, not composio-pipeline's"
        if not found.ours
        else "problem: another distribution shares the composio directory; files of both mix "
        "and uninstalling either deletes files of the other"
    )
    return [
        problem,
        "why: both distributions use the import name 'composio'; pip cannot install both into "
        "one environment and does not warn (pip check sees nothing)",
        f"fix: pip uninstall -y {names} {DISTRIBUTION}, then reinstall composio-pipeline as you "
        "did (pip install -e . from the clone, or pip install the built wheel)",
        "or: keep the vendor's SDK in its own virtual environment",
    ]


#: What reading any installed distribution's metadata may raise besides "not installed":
#: a METADATA that is not UTF-8 (``UnicodeDecodeError``, a ``ValueError``), an unreadable
#: file or folder. It is someone else's file, read by ``import composio``: never fatal.
_UNREADABLE = (ValueError, OSError, TypeError)


def _version_of(name: str) -> str | None:
    """``name``'s installed version; ``"?"`` when it is installed but unreadable."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
    except _UNREADABLE:
        return "?"


def _claims(dist: metadata.Distribution) -> list[Path] | None:
    """The files of ``dist`` under a top-level ``composio/``, resolved (RECORD is relative);
    ``None`` when its RECORD cannot be read. Why not raise: it is any installed
    distribution's metadata, and ``importlib.metadata`` raises on a malformed row (four
    columns: ``TypeError``; a NUL in a path: ``ValueError``) -- one broken package elsewhere
    must not take the doctor, or the launcher's explanation, down with it."""
    try:
        files = dist.files or ()
        return [Path(str(f.locate())).resolve() for f in files if f.parts[:1] == ("composio",)]
    except (TypeError, ValueError, OSError, UnicodeError):
        return None


def _editable_root(dist: metadata.Distribution) -> Path | None:
    """The project directory of an editable install (PEP 610 ``direct_url.json``)."""
    try:
        text = dist.read_text("direct_url.json")
        info = json.loads(text) if text else {}
    except _UNREADABLE:
        return None
    url = info.get("url") if isinstance(info, dict) else None
    dir_info = info.get("dir_info") if isinstance(info, dict) else None
    if not isinstance(dir_info, dict) or not dir_info.get("editable"):
        return None
    if not isinstance(url, str) or not url.startswith("file://"):
        return None
    return Path(url[len("file://") :]).resolve()


def diagnose() -> Diagnosis:
    """Read every installed distribution's file list (``importlib.metadata``): which one's
    files include the ``composio/__init__.py`` that import would load, and which others
    install a ``composio`` package too. Imports nothing of ``composio``."""
    spec = _composio_spec()
    origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
    owner: str | None = None
    ours = False
    others: list[str] = []
    unreadable: list[str] = []
    seen: set[str] = set()
    for dist in metadata.distributions():
        try:
            name = dist.metadata["Name"] or "?"
            label = f"{name} {dist.version}"
        except _UNREADABLE:  # its METADATA: reported, never fatal (see _version_of)
            unreadable.append(Path(str(getattr(dist, "_path", "?"))).name)
            continue
        key = name.lower().replace("_", "-")
        if key in seen:  # the same distribution on two sys.path entries
            continue
        seen.add(key)
        claims = _claims(dist)
        if claims is None:
            unreadable.append(label)
            claims = []
        root = _editable_root(dist) if key == DISTRIBUTION else None
        owns = origin is not None and (
            origin in claims or (root is not None and root in origin.parents)
        )
        if owns:
            owner, ours = label, key == DISTRIBUTION
        elif claims and key != DISTRIBUTION:
            others.append(label)
    foreign = _foreign_entries(origin.parent) if ours and origin is not None else []
    return Diagnosis(str(origin) if origin else None, owner, ours, others, unreadable, foreign)


def _foreign_entries(package: Path) -> list[str]:
    """The top-level names in ``package`` (the composio/ folder import loads) that
    composio-pipeline's own file list (RECORD) does not have: another distribution's files
    mixed into ours. Cheap -- one directory listing and one RECORD, no scan of the others.
    ``[]`` for an editable install: its RECORD lists no composio/ files, and the folder is
    the project's source tree, which no other installer writes to."""
    try:
        text = metadata.distribution(DISTRIBUTION).read_text("RECORD") or ""
        ours = {
            parts[1]
            for row in csv.reader(text.splitlines())
            if row and len(parts := row[0].split("/")) > 1 and parts[0] == "composio"
        }
        present = set(os.listdir(package)) if ours else set()
    except (metadata.PackageNotFoundError, csv.Error, OSError, ValueError):
        return []
    return sorted(present - ours - {"__pycache__"})


def _suspect() -> bool:
    """A sign of a clash, cheaply (~1-2 ms): a distribution known to install a ``composio``
    package is installed (a by-name lookup), or our composio/ folder holds files we did not
    install -- whoever installed them. Only then is the full scan worth its time."""
    if any(_version_of(name) is not None for name in KNOWN_CLASHES):
        return True
    spec = _composio_spec()
    origin = spec.origin if spec is not None else None
    return bool(origin and _foreign_entries(Path(origin).parent))


def warn_if_shared() -> None:
    """Called by ``import composio`` (ours): warn when another distribution shares our
    ``composio`` folder, naming it -- the doctor's scan (:func:`diagnose`), run only when the
    cheap check (:func:`_suspect`) sees a sign, so a clean environment pays ~1-2 ms."""
    if not _suspect():
        return
    found = diagnose()
    if not found.ok:
        import warnings

        warnings.warn(found.warning(), RuntimeWarning, stacklevel=3)


def _plain(text: str) -> str:
    """Without ``composio._terminal`` (the package is not ours): anything not printable ASCII
    as a backslash escape, so a hostile path or name cannot drive the terminal."""
    return "".join(c if " " <= c <= "~" else ascii(c)[1:-1] for c in text)


#: The line of composio/__init__.py that marks it as ours; read, never executed, to decide.
MARKER = f'_DISTRIBUTION = "{DISTRIBUTION}"'


def _composio_spec() -> ModuleSpec | None:
    """Where ``import composio`` would load from, or ``None`` when that cannot be told:
    ``find_spec`` raises ``ValueError`` for a module already in ``sys.modules`` whose
    ``__spec__`` is ``None`` (some loaders, a module set by hand) -- the checks then stay quiet
    rather than fail the import they guard."""
    try:
        return importlib.util.find_spec("composio")
    except (ValueError, ImportError):
        return None


def _ours() -> bool:
    """Is the ``composio`` that import would load ours? Decided from its ``__init__.py``'s
    text, so another distribution's code is never run to find out."""
    spec = _composio_spec()
    if spec is None or not spec.origin:
        return False
    try:
        return MARKER in Path(spec.origin).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    """The ``composio`` console script: this SDK's CLI when ``composio`` is ours, else the
    diagnosis on standard error and exit 1, whatever the command."""
    if _ours():
        from composio.cli import main as cli_main

        return cli_main(argv)
    sys.stderr.write("error: the 'composio' package here is not composio-pipeline's.\n")
    for line in diagnose().lines():
        sys.stderr.write(_plain(line) + "\n")
    return 1
