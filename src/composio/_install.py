"""The one wording of "install the extra that provides this" (issue 23): composio-pipeline is
not on PyPI yet, so installing ``composio-pipeline[x]`` by name fails; the hint says how to install
from a clone instead (README, "Install")."""

from __future__ import annotations


def install_hint(extra: str) -> str:
    return f"pip install -e '.[{extra}]' in a clone of composio-pipeline (README, Install)"
