"""The one reader of the docs pages' examples and install instructions, shared by the in-process
run (``test_docs_examples.py``) and the run in a README-line-1 venv (``test_docs_line1_venv.py``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BLOCK = re.compile(
    r"^(?:<!-- not-runnable: (?P<reason>[^\n]+?) -->\n)?```python\n(?P<code>.*?)^```", re.S | re.M
)
#: A block whose first line is ``# requires: fastapi, httpx`` runs only where those import
#: (``tox -e docs`` installs them); elsewhere it is skipped, saying what is missing -- except
#: in ``tox -e frameworks`` (``COMPOSIO_REQUIRE_FRAMEWORKS=1``), where a missing one fails.
REQUIRES = re.compile(r"# requires: (.+)")
#: A ``pip install ...`` a page tells its reader to run (in a code span or a shell block).
PIP_INSTALL = re.compile(r"pip install ([^`\n#]+)")
EXTRAS = re.compile(r"^\.\[(?P<extras>[\w,-]+)\]$")


@dataclass(frozen=True)
class Block:
    name: str  # page#n, n counted from 1
    page: str
    code: str
    reason: str | None  # set for a block after ``<!-- not-runnable: REASON -->``

    def requires(self) -> list[str]:
        """The modules the block's ``# requires:`` line names (none without one)."""
        needs = REQUIRES.fullmatch(self.code.partition("\n")[0])
        return [m.strip() for m in needs.group(1).split(",")] if needs else []


def blocks() -> list[Block]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        rel = str(page.relative_to(DOCS))
        for i, match in enumerate(BLOCK.finditer(page.read_text())):
            found.append(Block(f"{rel}#{i + 1}", rel, match.group("code"), match.group("reason")))
    return found


@dataclass(frozen=True)
class Install:
    """What a text tells its reader to ``pip install``: extras of this project (``.[x]``) and
    packages by name. Local paths (``./plugins/...``) are not third-party: ``tox -e plugins``
    installs and runs those pages' blocks."""

    extras: frozenset[str]
    packages: frozenset[str]

    def __or__(self, other: Install) -> Install:
        return Install(self.extras | other.extras, self.packages | other.packages)


def install_of(text: str) -> Install:
    extras: set[str] = set()
    packages: set[str] = set()
    for command in PIP_INSTALL.findall(text):
        for token in shlex.split(command.replace("&&", " && ").split(" && ")[0]):
            found = EXTRAS.match(token)
            if found:
                extras.update(found["extras"].split(","))
            elif not token.startswith(("-", ".", "/")):
                packages.add(token)
    return Install(frozenset(extras), frozenset(packages))


def readme_line1() -> Install:
    """What README's quick-start line 1 installs (its first shell block)."""
    readme = (ROOT / "README.md").read_text()
    line = re.search(r"```bash\n(.+?)\n", readme)
    assert line and "pip install" in line[1], "README's first shell block is not the install line"
    return install_of(line[1])
