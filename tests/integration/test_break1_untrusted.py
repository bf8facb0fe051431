"""Issue 16's review (break1): untrusted values the one entry/exit check let through.

Valid JSON an LLM can send (``"\\ud800"``), an int longer than Python's ``str()`` digit limit
and a user's mapping whose ``items()`` raises each escaped ``handle_tool_calls`` as a bare
``UnicodeEncodeError``/``ValueError``/``RuntimeError``, ending the turn. Each must be that
call's error result (or a ``ValidationError`` naming the place on ``tools.execute``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from composio import ValidationError, custom_tool
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.integration.test_execution_path import completion, contents, executed, make


@custom_tool
def echo(value: str) -> dict[str, Any]:
    """Echo the value."""
    return {"value": value}


@custom_tool
def surrogate(x: int) -> dict[str, Any]:
    """Returns a string UTF-8 cannot encode."""
    return {"s": "a\ud800b", "\udc00k": x}


@custom_tool
def big_int(x: int) -> dict[str, Any]:
    """Returns an int json cannot write (more than 4300 digits)."""
    return {"v": 10**5000}


class Unreadable(Mapping[str, Any]):
    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("boom")


@custom_tool
def unreadable(x: int) -> dict[str, Any]:
    """Returns a mapping whose reading raises."""
    return {"inner": Unreadable()}


def test_break1_lone_surrogates_and_huge_ints_are_that_calls_error_result(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, custom_tools=[echo, surrogate, big_int, unreadable])
    out = contents(
        client.tools.handle_tool_calls(
            "u",
            completion(
                ("c1", "MATH_ADD", '{"a": "\\ud800", "b": 1}'),
                ("c2", "ECHO", '{"value": "x\\udfff"}'),
                ("c3", "SURROGATE", '{"x": 1}'),
                ("c4", "BIG_INT", '{"x": 1}'),
                ("c5", "UNREADABLE", '{"x": 1}'),
                ("c6", "MATH_ADD", '{"a": 1, "b": 2}'),
            ),
        )
    )
    assert "arguments['a'] holds a lone surrogate" in out["c1"]["error"]
    assert "arguments['value'] holds a lone surrogate" in out["c2"]["error"]
    assert out["c3"] == {"s": "a\ufffdb", "\ufffdk": 1}  # text for the model: replaced
    assert "data['v'] is an integer with more than 4300 digits" in out["c4"]["error"]
    assert "data['inner'] could not be read" in out["c5"]["error"]
    assert out["c6"] == {"result": 3}
    assert executed(server) == ["MATH_ADD"]


def test_break1_tools_execute_names_unencodable_arguments(
    driver: Driver, server: LocalServer
) -> None:
    client = make(driver, server, custom_tools=[echo])
    for slug in ("MATH_ADD", "ECHO"):
        with pytest.raises(ValidationError, match=r"arguments\['a'\] holds a lone surrogate"):
            client.tools.execute(slug, {"a": "\ud800"})
        with pytest.raises(ValidationError, match=r"arguments\['a'\] is an integer with more"):
            client.tools.execute(slug, {"a": 10**5000})
    assert executed(server) == []
    big = 10**4000  # under the limit: sent as is
    result = client.tools.execute("MATH_ADD", {"a": big, "b": 1})
    assert result.data == {"result": big + 1}
    assert json.dumps(result.data)
