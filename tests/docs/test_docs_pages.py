"""The reference pages cannot drift from the code they describe.

``docs/configuration.md`` must list every constructor keyword (with its default, in signature
order) and every environment variable the SDK reads; ``docs/telemetry.md`` must list exactly
the fields a real telemetry event carries; every page must be reachable from the site's nav.
"""

from __future__ import annotations

import ast
import inspect
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from composio import Composio
from composio.testing import LocalServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "composio"
ROW = re.compile(r"^\| `(?P<name>[^`]+)` \|(?: `(?P<default>[^`]*)` \|)?", re.M)
ENV = re.compile(r"(?:COMPOSIO_[A-Z0-9_]+|DO_NOT_TRACK)$")


def _section(page: str, heading: str) -> str:
    """The text of one ``## heading`` section of a docs page (up to the next ``## ``)."""
    text = (DOCS / page).read_text()
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _keyword_rows() -> list[tuple[str, str]]:
    table = _section("configuration.md", "Constructor keywords")
    return [(m["name"], m["default"]) for m in ROW.finditer(table)]


def test_configuration_lists_every_constructor_keyword_with_its_default_in_order() -> None:
    params = [p for p in inspect.signature(Composio.__init__).parameters.values()][1:]
    expected = [(p.name, repr(p.default)) for p in params]
    assert _keyword_rows() == expected, (
        "docs/configuration.md's keyword table is out of date with Composio.__init__; "
        f"it should list, in order: {expected}"
    )


def test_configuration_covers_every_with_options_keyword() -> None:
    listed = {name for name, _ in _keyword_rows()}
    names = set(inspect.signature(Composio.with_options).parameters) - {"self"}
    assert names <= listed, f"with_options keywords missing from the page: {names - listed}"


_ENV_READERS = {"get", "getenv", "env_flag", "pop", "setdefault"}  # os.environ.get, env_flag(...)


def _env_names_read_in_src() -> set[str]:
    """Names the SDK reads from the environment, found in the AST rather than by grepping for
    ``COMPOSIO_`` (tool slugs such as ``COMPOSIO_SEARCH_TOOLS`` are not variables).

    A read is ``os.environ.get(X)``, ``os.environ[X]``, ``os.getenv(X)``, ``env_flag(X)`` or
    ``key.startswith(X)`` (a prefix family such as ``COMPOSIO_TOOLKIT_VERSION_<SLUG>``), where
    ``X`` is a string literal, a module constant (resolved across modules), or an f-string
    whose literal head is kept as the family's prefix."""
    trees = [ast.parse(path.read_text()) for path in SRC.rglob("*.py")]
    constants: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                constants[node.targets[0].id] = node.value.value

    def value(arg: ast.expr) -> str | None:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
        if isinstance(arg, ast.Name):
            return constants.get(arg.id)
        if isinstance(arg, ast.JoinedStr) and arg.values:
            return value(arg.values[0])
        return None

    def is_environ(node: ast.expr) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
            isinstance(node, ast.Name) and node.id == "environ"
        )

    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            arg: ast.expr | None = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if (
                    name in _ENV_READERS
                    and (
                        name in ("getenv", "env_flag")
                        or (isinstance(func, ast.Attribute) and is_environ(func.value))
                    )
                ) or name == "startswith":
                    arg = node.args[0]
            elif isinstance(node, ast.Subscript) and is_environ(node.value):
                arg = node.slice
            found = value(arg) if arg is not None else None
            if found and ENV.match(found):
                names.add(found)
    return names


def test_configuration_lists_every_environment_variable_read_in_src() -> None:
    read = _env_names_read_in_src()
    known = {
        "COMPOSIO_API_KEY",  # a literal
        "COMPOSIO_DISABLE_TELEMETRY",  # through env_flag()
        "COMPOSIO_TELEMETRY_URL",  # an imported constant
        "DO_NOT_TRACK",
    }
    assert known <= read, f"the scan missed {known - read}: it would pass vacuously"
    table = _section("configuration.md", "Environment variables")
    missing = sorted(name for name in read if f"`{name}" not in table)
    assert not missing, f"docs/configuration.md's variable table misses {missing}"


class _Capture:
    """A telemetry transport that keeps what it is sent (on the telemetry thread)."""

    def __init__(self) -> None:
        self.events: list[Mapping[str, Any]] = []
        self.arrived = threading.Event()

    def send(self, events: list[Mapping[str, Any]]) -> None:
        self.events.extend(events)
        self.arrived.set()

    def close(self) -> None:
        pass


def test_telemetry_page_lists_exactly_the_fields_an_event_carries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COMPOSIO_DISABLE_TELEMETRY", raising=False)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    capture = _Capture()
    with (
        LocalServer() as server,
        Composio(
            api_key=server.api_key, base_url=server.url, telemetry_transport=capture
        ) as client,
    ):
        client.tools.list()
        assert capture.arrived.wait(5), "no telemetry event arrived"
    sent = set(capture.events[0])
    listed = [m["name"] for m in ROW.finditer(_section("telemetry.md", "What an event contains"))]
    assert len(listed) == len(set(listed)), f"a field is listed twice: {listed}"
    assert set(listed) == sent, (
        f"docs/telemetry.md lists {sorted(listed)}, an event carries {sorted(sent)}"
    )


def test_every_docs_page_is_in_the_nav() -> None:
    text = (ROOT / "mkdocs.yml").read_text()
    in_nav = set(re.findall(r":\s*([\w/.-]+\.md)\s*$", text, re.M))
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert pages <= in_nav, f"pages missing from mkdocs.yml nav: {sorted(pages - in_nav)}"


def test_security_page_lists_every_header_the_sdk_sends() -> None:
    """What arrives at the server with no custom headers (a GET and a POST, tracing on) is
    exactly the page's table, save ``tracestate`` (sent only when the caller's context has
    one)."""
    from opentelemetry.sdk.trace import TracerProvider

    with (
        LocalServer() as server,
        Composio(
            api_key=server.api_key,
            base_url=server.url,
            allow_tracking=False,
            tracer_provider=TracerProvider(),
        ) as client,
    ):
        client.tools.list()
        client.tools.execute("TEXT_UPPERCASE", {"text": "hi"}, user_id="u1")
    sent = {name for request in server.requests for name in request.headers}
    listed = {m["name"] for m in ROW.finditer(_section("security.md", "What is sent"))}
    assert sent - listed == set(), f"sent but not on docs/security.md: {sent - listed}"
    assert listed - sent == {"tracestate"}, f"listed but never sent: {listed - sent}"
