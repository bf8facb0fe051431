"""Every plugin's ``test`` extra names what its tests import (issue 16, circuit-breaker bullet).

``pip install plugins/<plugin>[test] && pytest plugins/<plugin>`` must work in a clean venv:
the circuit breaker's tests imported ``opentelemetry.sdk`` without declaring it, which only the
repository's dev venv happened to provide. This reads each plugin's tests (every import,
function-level ones too), maps each imported module to the distribution that provides it, and
checks that distribution is among the plugin's ``dependencies`` or its ``test`` extra. A test
that uses ``AsyncComposio`` needs aiohttp: ``composio-pipeline[async]``.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ImportError:  # Python 3.10: pytest's own dependency
    import tomli as tomllib

PLUGINS = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p for p in PLUGINS.iterdir() if (p / "pyproject.toml").is_file())
#: ``composio`` is this repository's own distribution (an editable install in the dev venv
#: lists no files, so it cannot be looked up like the others).
CORE = "composio-pipeline"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imports(source: str) -> tuple[dict[str, set[str]], bool]:
    """The absolute modules ``source`` imports (each with the names taken from it by
    ``from ... import``), and whether it uses ``AsyncComposio``."""
    tree = ast.parse(source)
    modules: dict[str, set[str]] = {}
    uses_async = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules.setdefault(alias.name, set())
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.setdefault(node.module, set()).update(a.name for a in node.names)
            uses_async |= any(a.name == "AsyncComposio" for a in node.names)
        elif isinstance(node, ast.Attribute) and node.attr == "AsyncComposio":
            uses_async = True
        elif isinstance(node, ast.Constant) and node.value == "AsyncComposio":
            uses_async = True  # getattr(composio, "AsyncComposio", None)
    return modules, uses_async


@cache
def _distribution_of(module: str) -> str | None:
    """The distribution that provides ``module``; for a namespace shared by several
    (``opentelemetry``), the one whose files hold that very module."""
    top = module.split(".")[0]
    if top == "composio":
        return CORE
    candidates = packages_distributions().get(top, [])
    if len(set(candidates)) <= 1:
        return candidates[0] if candidates else None
    path = module.replace(".", "/")
    owners = [
        name
        for name in dict.fromkeys(candidates)
        if any(
            str(f).startswith(path + "/") or str(f) == path + ".py"
            for f in distribution(name).files or []
        )
    ]
    return owners[0] if len(owners) == 1 else None  # several: the namespace itself


def _distributions_of(module: str, names: set[str]) -> set[str] | None:
    """The distributions behind one import: ``from opentelemetry import metrics`` names the
    shared namespace, so the submodules taken from it decide."""
    dist = _distribution_of(module)
    if dist is not None:
        return {dist}
    found = {_distribution_of(f"{module}.{name}") for name in names}
    return None if not found or None in found else {d for d in found if d is not None}


def _declared(pyproject: dict[str, object]) -> dict[str, set[str]]:
    """Distribution (normalised) -> the extras asked for, over dependencies and ``test``."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    requirements = [
        *project.get("dependencies", []),
        *project.get("optional-dependencies", {}).get("test", []),
    ]
    declared: dict[str, set[str]] = {}
    for text in requirements:
        req = Requirement(text)
        declared.setdefault(_norm(req.name), set()).update(req.extras)
    return declared


def _missing(package: Path) -> list[str]:
    pyproject = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    declared = _declared(pyproject)
    own = {p.name for p in (package / "src").iterdir() if p.is_dir()}
    own |= {p.stem for p in (package / "tests").glob("*.py")}  # ``from conftest import ...``
    needed: dict[str, set[str]] = {}
    unknown: list[str] = []
    for test in sorted((package / "tests").rglob("*.py")):
        modules, uses_async = _imports(test.read_text(encoding="utf-8"))
        if uses_async:
            needed.setdefault(CORE, set()).add("async")
        for module, names in modules.items():
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or top in own or top == "__future__":
                continue
            dists = _distributions_of(module, names)
            if dists is None:
                unknown.append(f"{module} (imported by {test.name}: no installed distribution)")
                continue
            for dist in dists:
                needed.setdefault(_norm(dist), set())
    problems = list(unknown)
    for dist, extras in sorted(needed.items()):
        if dist not in declared:
            problems.append(f"{dist} is imported by the tests but not declared")
        elif extras - declared[dist]:
            problems.append(f"{dist}[{','.join(sorted(extras))}] is needed by the tests")
    return problems


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_every_plugins_test_extra_names_what_its_tests_import(package: Path) -> None:
    problems = _missing(package)
    assert not problems, (
        f"{package.name}: add to [project.optional-dependencies] test in its pyproject.toml: "
        + "; ".join(problems)
    )


def test_the_check_sees_a_missing_declaration() -> None:
    """The checker itself: an undeclared OpenTelemetry SDK import and an AsyncComposio use
    without the async extra are both found (what the circuit breaker's tests did)."""
    source = (
        "import composio\n"
        "def test():\n"
        "    from opentelemetry.sdk.trace import TracerProvider\n"
        "    getattr(composio, 'AsyncComposio', None)\n"
    )
    modules, uses_async = _imports(source)
    assert set(modules) == {"composio", "opentelemetry.sdk.trace"} and uses_async
    assert _distribution_of("opentelemetry.sdk.trace") == "opentelemetry-sdk"
    assert _distribution_of("opentelemetry.trace") == "opentelemetry-api"
    declared = _declared({"project": {"dependencies": ["composio-pipeline>=0.1,<1"]}})
    assert declared == {CORE: set()}


def test_a_namespace_import_is_resolved_by_the_names_taken_from_it() -> None:
    """``from opentelemetry import metrics`` names a namespace several distributions share;
    the submodule taken from it (``opentelemetry.metrics``: the API) decides, never the
    first distribution that happens to live under the namespace."""
    assert _distribution_of("opentelemetry") is None
    assert _distributions_of("opentelemetry", {"metrics"}) == {"opentelemetry-api"}
    assert _distributions_of("opentelemetry", {"no_such_module"}) is None
