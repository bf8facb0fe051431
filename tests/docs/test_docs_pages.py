"""The reference pages cannot drift from the code they describe.

``docs/configuration.md`` must list every constructor keyword (with its default, in signature
order) and every environment variable the SDK reads; ``docs/telemetry.md`` must list exactly
the fields a real telemetry event carries; every page must be reachable from the site's nav.
"""

from __future__ import annotations

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
ENV = re.compile(r"\b(?:COMPOSIO_[A-Z0-9_]*[A-Z0-9]|DO_NOT_TRACK)\b")


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


def test_configuration_lists_every_environment_variable_read_in_src() -> None:
    read = {name for path in SRC.rglob("*.py") for name in ENV.findall(path.read_text())}
    assert {"COMPOSIO_API_KEY", "COMPOSIO_BASE_URL", "DO_NOT_TRACK"} <= read  # the scan works
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
