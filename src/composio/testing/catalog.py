"""The local server's built-in catalog: a few toolkits, enough tools for two pages, and some
tools that really run (text and arithmetic) so that ``tools.execute`` can be tested end to end.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "CHANGELOG",
    "EXECUTORS",
    "TOOLKITS",
    "TOOLS",
    "TRIGGER_TYPES",
    "ToolFailure",
    "run_tool",
    "toolkit_detail",
]

_TS = "2025-01-15T09:30:00.000Z"


def _toolkit(slug: str, name: str, description: str, category: str, tools: int) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": name,
        "enabled": True,
        "no_auth": slug in ("text", "math"),
        "auth_schemes": [] if slug in ("text", "math") else ["oauth2"],
        "composio_managed_auth_schemes": [] if slug in ("text", "math") else ["oauth2"],
        "is_local_toolkit": False,
        "type": "native",  # v3.1: "native" (Composio's) or "custom" (a project's MCP toolkit)
        "deprecated": {"toolkitId": f"00000000-0000-4000-8000-{zlib.crc32(slug.encode()):012d}"},
        "meta": {
            "created_at": _TS,
            "updated_at": _TS,
            "description": description,
            "logo": f"https://logos.composio.dev/{slug}.png",
            "app_url": f"https://{slug}.example.com",
            "categories": [{"id": category, "name": category.replace("-", " ").title()}],
            "triggers_count": 0,
            "tools_count": tools,
            "version": "20250905_00",
            "available_versions": ["20250905_00"],
        },
    }


def _tool(
    toolkit: str, slug: str, name: str, description: str, params: Mapping[str, Any], tags: list[str]
) -> dict[str, Any]:
    required = [k for k, v in params.items() if v.pop("_required", False)]
    return {
        "slug": slug,
        "name": name,
        "description": description,
        "toolkit": {
            "slug": toolkit,
            "name": toolkit.title(),
            "logo": f"https://logos.composio.dev/{toolkit}.png",
        },
        "input_parameters": {
            "type": "object",
            "properties": dict(params),
            "required": required,
        },
        "output_parameters": {"type": "object", "properties": {"result": {}}},
        "no_auth": toolkit in ("text", "math"),
        "available_versions": ["20250905_00"],
        "version": "20250905_00",
        "scopes": [],
        "tags": tags,
        "is_deprecated": False,
        "deprecated": {
            "displayName": name,
            "version": "20250905_00",
            "available_versions": ["20250905_00"],
            "is_deprecated": False,
            "toolkit": {"logo": f"https://logos.composio.dev/{toolkit}.png"},
        },
    }


def _s(desc: str, required: bool = True) -> dict[str, Any]:
    return {"type": "string", "description": desc, "_required": required}


def _n(desc: str) -> dict[str, Any]:
    return {"type": "number", "description": desc, "_required": True}


TOOLKITS: list[dict[str, Any]] = [
    _toolkit("github", "GitHub", "Repositories, issues and pull requests.", "developer-tools", 6),
    _toolkit("gmail", "Gmail", "Send and read email.", "productivity", 5),
    _toolkit("slack", "Slack", "Post and read messages.", "communication", 5),
    _toolkit("text", "Text", "Deterministic text utilities (runnable locally).", "utilities", 4),
    _toolkit("math", "Math", "Deterministic arithmetic (runnable locally).", "utilities", 4),
]


def toolkit_detail(kit: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /toolkits/{slug}`` answers with a richer shape than the list: categories carry a
    ``slug`` (not an ``id``), ``deprecated`` has ``rawProxyInfoByAuthSchemes`` and the
    per-scheme ``auth_config_details`` appear (the spec's two schemas differ)."""
    meta = dict(kit["meta"])
    meta["categories"] = [{"name": c["name"], "slug": c["id"]} for c in meta["categories"]]
    detail = {k: v for k, v in kit.items() if k not in ("auth_schemes", "no_auth")}
    detail["meta"] = meta
    detail["deprecated"] = {**kit["deprecated"], "rawProxyInfoByAuthSchemes": []}
    detail["base_url"] = f"https://api.{kit['slug']}.example.com"
    # v3.1: per managed scheme, the OAuth scopes Composio's own app can grant.
    detail["composio_managed_auth"] = [
        {"mode": scheme.upper(), "scopes": {"available": []}}
        for scheme in kit["composio_managed_auth_schemes"]
    ]
    detail["auth_config_details"] = [
        {
            "mode": scheme,
            "name": scheme.upper(),
            "fields": {
                "auth_config_creation": {"required": [], "optional": []},
                "connected_account_initiation": {"required": [], "optional": []},
            },
        }
        for scheme in kit["auth_schemes"]
    ]
    return detail


TOOLS: list[dict[str, Any]] = [
    _tool(
        "github",
        "GITHUB_CREATE_ISSUE",
        "Create issue",
        "Open an issue in a repository.",
        {"repo": _s("owner/name"), "title": _s("Issue title")},
        ["issues", "important"],
    ),
    _tool(
        "github",
        "GITHUB_LIST_ISSUES",
        "List issues",
        "List a repository's issues.",
        {"repo": _s("owner/name")},
        ["issues"],
    ),
    _tool(
        "github",
        "GITHUB_GET_REPO",
        "Get repository",
        "Fetch a repository.",
        {"repo": _s("owner/name")},
        ["repos", "important"],
    ),
    _tool(
        "github",
        "GITHUB_STAR_REPO",
        "Star repository",
        "Star a repository.",
        {"repo": _s("owner/name")},
        ["repos"],
    ),
    _tool(
        "github",
        "GITHUB_CREATE_PR",
        "Create pull request",
        "Open a pull request.",
        {"repo": _s("owner/name"), "head": _s("branch"), "base": _s("branch")},
        ["pulls"],
    ),
    _tool(
        "github",
        "GITHUB_MERGE_PR",
        "Merge pull request",
        "Merge a pull request.",
        {"repo": _s("owner/name"), "number": _n("PR number")},
        ["pulls"],
    ),
    _tool(
        "gmail",
        "GMAIL_SEND_EMAIL",
        "Send email",
        "Send an email message.",
        {"to": _s("Recipient"), "subject": _s("Subject"), "body": _s("Body")},
        ["email", "important"],
    ),
    _tool(
        "gmail",
        "GMAIL_LIST_THREADS",
        "List threads",
        "List email threads.",
        {"query": _s("Search query", False)},
        ["email"],
    ),
    _tool(
        "gmail",
        "GMAIL_GET_MESSAGE",
        "Get message",
        "Fetch one message.",
        {"id": _s("Message id")},
        ["email"],
    ),
    _tool(
        "gmail",
        "GMAIL_CREATE_DRAFT",
        "Create draft",
        "Create a draft.",
        {"to": _s("Recipient"), "body": _s("Body")},
        ["email"],
    ),
    _tool(
        "gmail",
        "GMAIL_DELETE_MESSAGE",
        "Delete message",
        "Delete one message.",
        {"id": _s("Message id")},
        ["email"],
    ),
    _tool(
        "slack",
        "SLACK_POST_MESSAGE",
        "Post message",
        "Post a message to a channel.",
        {"channel": _s("Channel"), "text": _s("Text")},
        ["messages", "important"],
    ),
    _tool("slack", "SLACK_LIST_CHANNELS", "List channels", "List channels.", {}, ["channels"]),
    _tool(
        "slack",
        "SLACK_CREATE_CHANNEL",
        "Create channel",
        "Create a channel.",
        {"name": _s("Channel name")},
        ["channels"],
    ),
    _tool(
        "slack",
        "SLACK_ADD_REACTION",
        "Add reaction",
        "React to a message.",
        {"channel": _s("Channel"), "ts": _s("Message ts"), "emoji": _s("Emoji")},
        ["messages"],
    ),
    _tool(
        "slack", "SLACK_GET_USER", "Get user", "Fetch a user.", {"user": _s("User id")}, ["users"]
    ),
    _tool(
        "text",
        "TEXT_UPPERCASE",
        "Uppercase",
        "Upper-case a text.",
        {"text": _s("Text")},
        ["text", "important"],
    ),
    _tool("text", "TEXT_REVERSE", "Reverse", "Reverse a text.", {"text": _s("Text")}, ["text"]),
    _tool(
        "text",
        "TEXT_WORD_COUNT",
        "Word count",
        "Count the words of a text.",
        {"text": _s("Text")},
        ["text"],
    ),
    _tool(
        "text",
        "TEXT_CONCAT",
        "Concatenate",
        "Join two texts.",
        {"a": _s("First"), "b": _s("Second")},
        ["text"],
    ),
    _tool(
        "math",
        "MATH_ADD",
        "Add",
        "Add two numbers.",
        {"a": _n("First"), "b": _n("Second")},
        ["math", "important"],
    ),
    _tool(
        "math",
        "MATH_SUBTRACT",
        "Subtract",
        "a - b.",
        {"a": _n("First"), "b": _n("Second")},
        ["math"],
    ),
    _tool(
        "math",
        "MATH_MULTIPLY",
        "Multiply",
        "a * b.",
        {"a": _n("First"), "b": _n("Second")},
        ["math"],
    ),
    _tool(
        "math",
        "MATH_DIVIDE",
        "Divide",
        "a / b; fails when b is 0.",
        {"a": _n("First"), "b": _n("Second")},
        ["math"],
    ),
]


class ToolFailure(Exception):
    """Raised by an executor: the tool ran and failed (``successful: false``)."""


def _text(args: Mapping[str, Any], key: str = "text") -> str:
    value = args.get(key)
    if not isinstance(value, str):
        raise ToolFailure(f"argument {key!r} must be a string")
    return value


def _num(args: Mapping[str, Any], key: str) -> float:
    value = args.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ToolFailure(f"argument {key!r} must be a number")
    return value


def _div(args: Mapping[str, Any]) -> dict[str, Any]:
    b = _num(args, "b")
    if b == 0:
        raise ToolFailure("division by zero")
    return {"result": _num(args, "a") / b}


EXECUTORS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "TEXT_UPPERCASE": lambda a: {"result": _text(a).upper()},
    "TEXT_REVERSE": lambda a: {"result": _text(a)[::-1]},
    "TEXT_WORD_COUNT": lambda a: {"result": len(_text(a).split())},
    "TEXT_CONCAT": lambda a: {"result": _text(a, "a") + _text(a, "b")},
    "MATH_ADD": lambda a: {"result": _num(a, "a") + _num(a, "b")},
    "MATH_SUBTRACT": lambda a: {"result": _num(a, "a") - _num(a, "b")},
    "MATH_MULTIPLY": lambda a: {"result": _num(a, "a") * _num(a, "b")},
    "MATH_DIVIDE": _div,
}


def run_tool(slug: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """Run a catalog tool: the spec's execute answer (``data``, ``error``, ``successful``,
    ``log_id``). A tool with no local executor reports success and that nothing ran."""
    executor = EXECUTORS.get(slug)
    if executor is None:
        result: dict[str, Any] = {
            "data": {"message": f"{slug} is a catalog-only tool: nothing ran"},
            "error": None,
            "successful": True,
        }
    else:
        try:
            result = {"data": executor(args), "error": None, "successful": True}
        except ToolFailure as exc:
            result = {"data": {}, "error": str(exc), "successful": False}
    result["log_id"] = f"log_{uuid.uuid4().hex[:12]}"
    return result


def _trigger(
    toolkit: str,
    slug: str,
    name: str,
    description: str,
    kind: str,
    config: Mapping[str, Any],
    payload: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": name,
        "description": description,
        "instructions": f"Fires on: {description[0].lower()}{description[1:]}",
        "type": kind,
        "toolkit": {
            "slug": toolkit,
            "name": toolkit.title(),
            "logo": f"https://logos.composio.dev/{toolkit}.png",
        },
        "config": {"type": "object", "properties": dict(config), "required": sorted(config)},
        "payload": {"type": "object", "properties": dict(payload)},
        "version": "20250905_00",
    }


_REPO = {"owner": {"type": "string"}, "repo": {"type": "string"}}

TRIGGER_TYPES: list[dict[str, Any]] = [
    _trigger(
        "github",
        "GITHUB_STAR_ADDED_EVENT",
        "Star added",
        "Someone starred a repository.",
        "webhook",
        _REPO,
        {"action": {"type": "string"}, "starred_at": {"type": "string"}, "user": {}},
    ),
    _trigger(
        "github",
        "GITHUB_COMMIT_EVENT",
        "Commit pushed",
        "A commit was pushed to a repository.",
        "webhook",
        _REPO,
        {"id": {"type": "string"}, "message": {"type": "string"}, "author": {}},
    ),
    _trigger(
        "github",
        "GITHUB_ISSUE_ADDED_EVENT",
        "Issue opened",
        "An issue was opened in a repository.",
        "webhook",
        _REPO,
        {"number": {"type": "number"}, "title": {"type": "string"}},
    ),
    _trigger(
        "gmail",
        "GMAIL_NEW_GMAIL_MESSAGE",
        "New message",
        "A new email arrived.",
        "poll",
        {"labelIds": {"type": "string"}},
        {"message_id": {"type": "string"}, "subject": {"type": "string"}},
    ),
    _trigger(
        "slack",
        "SLACK_RECEIVE_MESSAGE",
        "Message received",
        "A message was posted in a channel.",
        "webhook",
        {"channel": {"type": "string"}},
        {"channel": {"type": "string"}, "text": {"type": "string"}},
    ),
]

for _kit in TOOLKITS:
    _kit["meta"]["triggers_count"] = sum(
        1 for t in TRIGGER_TYPES if t["toolkit"]["slug"] == _kit["slug"]
    )

CHANGELOG: list[dict[str, Any]] = [
    {
        "slug": kit["slug"],
        "name": kit["name"],
        "display_name": kit["name"],
        "versions": [
            {"version": "20250905_00", "changelog": f"{kit['name']}: first versioned release."}
        ],
    }
    for kit in TOOLKITS
]
