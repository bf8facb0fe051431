"""composio-guardrails over loopback with LocalServer, on both clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

import composio_guardrails
import pytest
from composio_guardrails import Guardrails, redact

from composio import AsyncComposio, Composio, ComposioError, ExecuteRequest, custom_tool
from composio.testing import LocalServer


@custom_tool
def lookup_customer(name: str) -> dict[str, Any]:
    """Find a customer's contact details."""
    return {
        "name": name,
        "email": "jane.doe@example.com",
        "phone": "+1 (415) 555-0123",
        "card": "4111 1111 1111 1111",
        "order": 4111111111111112,  # a number failing Luhn: left alone
        "ref": "order 1234567890123",  # 13 digits failing Luhn: not a card
        "notes": ["call 020 7946 0958 after 5", "ok"],
    }


@custom_tool
def customer_export(name: str) -> dict[str, Any]:
    """Export a customer record as another system stores it."""
    return {
        "card_number": 4111111111111111,  # JSON numbers, not strings
        "phone": 14155550123,
        "contacts": {"josé@example.com": "primary", "jane@example.com": "billing"},
        "owner": "Zoë <zoë.müller@beispiel.de>",
        "created_ms": 1733400000000,
        "count": 3,
        "active": True,
    }


@custom_tool(slug="REPO_DELETE_FOREVER")
def delete_repo(repo: str) -> str:
    """Delete a repository (dangerous)."""
    return f"deleted {repo}"


def completion(*calls: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": i,
                            "type": "function",
                            "function": {"name": n, "arguments": json.dumps(a)},
                        }
                        for i, n, a in calls
                    ],
                }
            }
        ]
    }


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    monkeypatch.setenv("COMPOSIO_DISABLE_PLUGIN_AUTOLOAD", "1")  # only the instance under test
    with LocalServer() as srv:
        yield srv


def handle(server: LocalServer, kind: str, guard: Guardrails, response: Any) -> list[Any]:
    """``handle_tool_calls`` on the sync or the async client, with ``guard`` registered."""
    settings: dict[str, Any] = {
        "api_key": server.api_key,
        "base_url": server.url,
        "allow_tracking": False,
        "plugins": [guard],
        "custom_tools": [lookup_customer, customer_export, delete_repo],
    }
    if kind == "sync":
        with Composio(**settings) as client:
            return client.tools.handle_tool_calls("u", response)

    async def run() -> list[Any]:
        async with AsyncComposio(**settings) as client:
            return await client.tools.handle_tool_calls("u", response)

    return asyncio.run(run())


def answers(messages: list[Any]) -> dict[str, Any]:
    return {m["tool_call_id"]: json.loads(m["content"]) for m in messages}


BOTH = pytest.mark.parametrize("kind", ["sync", "async"])


@BOTH
def test_blocked_tools_are_answered_with_an_error_and_never_executed(
    server: LocalServer, kind: str
) -> None:
    guard = Guardrails(block=["*_DELETE_*", "*_create_issue"], env={})
    out = answers(
        handle(
            server,
            kind,
            guard,
            completion(
                ("c1", "GITHUB_CREATE_ISSUE", {"owner": "a", "repo": "b", "title": "t"}),
                ("c2", "REPO_DELETE_FOREVER", {"repo": "x"}),
                ("c3", "MATH_ADD", {"a": 1, "b": 2}),
            ),
        )
    )
    assert out["c1"]["successful"] is False
    assert "blocked by policy (pattern '*_CREATE_ISSUE')" in out["c1"]["error"]
    assert "composio_guardrails.Guardrails" in out["c1"]["error"]  # names the plugin
    assert "(pattern '*_DELETE_*')" in out["c2"]["error"]  # custom tools too
    assert out["c3"] == {"result": 3}
    executed = [r.path for r in server.requests if "/tools/execute/" in r.path]
    assert executed == ["/api/v3.1/tools/execute/MATH_ADD"]


@BOTH
def test_approval_asks_the_apps_callback(server: LocalServer, kind: str) -> None:
    asked: list[tuple[str, str, dict[str, Any]]] = []

    def approve(tool: str, toolkit: str, params: ExecuteRequest) -> bool:
        asked.append((tool, toolkit, dict(params.arguments)))
        return params.arguments.get("a") == 1

    guard = Guardrails(require_approval=["math_*"], approve=approve, env={})
    out = answers(
        handle(
            server,
            kind,
            guard,
            completion(("c1", "MATH_ADD", {"a": 1, "b": 2}), ("c2", "MATH_ADD", {"a": 5, "b": 2})),
        )
    )
    assert out["c1"] == {"result": 3}
    assert "was not approved" in out["c2"]["error"]
    assert asked == [("MATH_ADD", "math", {"a": 1, "b": 2}), ("MATH_ADD", "math", {"a": 5, "b": 2})]
    # No approver at all: refused (fail closed).
    closed = Guardrails(require_approval=["MATH_*"], env={})
    out = answers(handle(server, kind, closed, completion(("c1", "MATH_ADD", {"a": 1, "b": 2}))))
    assert "no approver is configured" in out["c1"]["error"]


@BOTH
def test_pii_is_redacted_before_the_model_reads_it(server: LocalServer, kind: str) -> None:
    guard = Guardrails(env={})
    out = answers(
        handle(server, kind, guard, completion(("c1", "LOOKUP_CUSTOMER", {"name": "Jane"})))
    )
    data = out["c1"]
    assert data["email"] == "[REDACTED EMAIL]"
    assert data["phone"] == "[REDACTED PHONE]"
    assert data["card"] == "[REDACTED CARD]"
    assert data["order"] == 4111111111111112 and data["ref"] == "order 1234567890123"
    assert data["notes"] == ["call [REDACTED PHONE] after 5", "ok"]
    assert data["name"] == "Jane"


@BOTH
def test_item11_pii_in_integers_mapping_keys_and_non_ascii_addresses_is_redacted(
    server: LocalServer, kind: str
) -> None:
    """Issue 16 item 11: a card or phone number stored as a JSON integer, an address used as
    a mapping key and a non-ASCII address reached the model unredacted."""
    guard = Guardrails(env={})
    out = answers(
        handle(server, kind, guard, completion(("c1", "CUSTOMER_EXPORT", {"name": "Jane"})))
    )
    data = out["c1"]
    assert data["card_number"] == "[REDACTED CARD]"
    assert data["phone"] == "[REDACTED PHONE]"
    # Both keys redacted, neither value lost.
    assert data["contacts"] == {"[REDACTED EMAIL]": "primary", "[REDACTED EMAIL] (2)": "billing"}
    assert data["owner"] == "Zoë <[REDACTED EMAIL]>"
    assert (data["created_ms"], data["count"], data["active"]) == (1733400000000, 3, True)
    assert "@" not in json.dumps(data, ensure_ascii=False)


def test_item11_redact_covers_non_ascii_addresses_and_bare_phone_numbers() -> None:
    assert redact("josé@example.com") == "[REDACTED EMAIL]"
    assert redact("write to 用户@例子.广告 now") == "write to [REDACTED EMAIL] now"
    assert redact("mail δοκιμή@παράδειγμα.δοκιμή") == "mail [REDACTED EMAIL]"
    assert redact("a@b.xn--p1ai") == "[REDACTED EMAIL]"
    assert redact("call 14155550123.") == "call [REDACTED PHONE]."
    assert redact("4111111111111111") == "[REDACTED CARD]"
    # Still not phones: timestamps (s, ms), amounts, numbers without a valid area code.
    for kept in ("1733400000", "1733400000000", "10155550123", "amount 1234.56"):
        assert redact(kept) == kept


@BOTH
def test_oversized_arguments_are_refused_before_sending(server: LocalServer, kind: str) -> None:
    guard = Guardrails(max_argument_bytes=64, env={})
    out = answers(
        handle(
            server,
            kind,
            guard,
            completion(
                ("c1", "TEXT_UPPERCASE", {"text": "x" * 100}), ("c2", "MATH_ADD", {"a": 1, "b": 1})
            ),
        )
    )
    assert "over the limit of 64" in out["c1"]["error"]
    assert out["c2"] == {"result": 2}
    assert not [r for r in server.requests if r.method == "POST" and "TEXT_UPPERCASE" in r.path]


def test_tools_execute_raises_naming_the_plugin(server: LocalServer) -> None:
    with Composio(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        plugins=[Guardrails(block=["MATH_*"], env={})],
    ) as client:
        with pytest.raises(ComposioError, match="blocked by policy"):
            client.tools.execute("MATH_ADD", {"a": 1, "b": 1})
        assert client.tools.execute("TEXT_UPPERCASE", {"text": "a"}).data == {"result": "A"}
    assert [r.method for r in server.requests if "/tools/execute/" in r.path] == ["POST"]


def test_configuration_from_the_environment() -> None:
    guard = Guardrails(
        env={
            "COMPOSIO_GUARDRAILS_BLOCK": "*_DELETE_*, gmail_send_email",
            "COMPOSIO_GUARDRAILS_APPROVE": "GITHUB_*",
            "COMPOSIO_GUARDRAILS_REDACT": "email",
            "COMPOSIO_GUARDRAILS_MAX_ARGUMENT_BYTES": "10",
        }
    )
    assert guard.block == ("*_DELETE_*", "GMAIL_SEND_EMAIL")
    assert guard.require_approval == ("GITHUB_*",)
    assert guard.redact == ("email",) and guard.max_argument_bytes == 10
    # Keywords win over the environment.
    assert Guardrails(block=[], env={"COMPOSIO_GUARDRAILS_BLOCK": "X"}).block == ()
    assert Guardrails(env={"COMPOSIO_GUARDRAILS_REDACT": "none"}).redact == ()
    defaults = Guardrails(env={})
    assert defaults.redact == ("email", "phone", "card") and defaults.max_argument_bytes == 65536


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"redact": ["ssn"]}, "cannot redact 'ssn'"),
        ({"max_argument_bytes": -1}, "max_argument_bytes must be"),
        ({"env": {"COMPOSIO_GUARDRAILS_MAX_ARGUMENT_BYTES": "big"}}, "must be an int"),
        ({"approve": "yes"}, "approve must be a callable"),
        ({"block": [1]}, "glob strings"),
    ],
)
def test_bad_configuration_is_refused_clearly(kwargs: dict[str, Any], message: str) -> None:
    kwargs.setdefault("env", {})
    with pytest.raises(ValueError, match=message):
        Guardrails(**kwargs)


def test_redact_keeps_what_is_not_pii() -> None:
    assert redact("id 20231128153000, amount 1234.56") == "id 20231128153000, amount 1234.56"
    assert redact("card 5500-0000-0000-0004 ok") == "card [REDACTED CARD] ok"
    assert redact("mail a.b+c@mail.example.org now") == "mail [REDACTED EMAIL] now"
    assert redact("+4915112345678") == "[REDACTED PHONE]"


def test_the_entry_point_registers_the_env_configured_instance() -> None:
    found = [ep for ep in entry_points(group="composio") if ep.name == "composio-guardrails"]
    assert len(found) == 1
    assert found[0].load() is composio_guardrails.plugin
