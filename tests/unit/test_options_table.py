"""The options table (``composio._options``) is what ``Composio.__init__``, ``with_options``
and ``ClientConfig`` are built from (issue 17): their hand-written signatures must name exactly
its rows, in its order, so an option added to one place and not the table (or the reverse)
fails here rather than being silently dropped by ``resolve_options``/``derive_options``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from composio import AsyncComposio, ClientConfig, Composio
from composio._options import CONFIG_FIELDS, OPTIONS


def _names(func: Callable[..., Any]) -> list[str]:
    return [n for n in inspect.signature(func).parameters if n != "self"]


def test_issue17_every_keyword_is_a_row_of_the_options_table() -> None:
    rows = {o.name for o in OPTIONS}
    assert len(rows) == len(OPTIONS)
    for client in (Composio, AsyncComposio):
        assert set(_names(client.__init__)) == rows
        assert set(_names(client.with_options)) == rows
    # the table checks in the constructor's keyword order, the pool's settings last
    in_config = [n for n in _names(Composio.__init__) if n in CONFIG_FIELDS]
    assert tuple(in_config) == CONFIG_FIELDS


def test_issue17_client_config_fields_are_the_tables_config_rows() -> None:
    assert tuple(ClientConfig.__slots__) == CONFIG_FIELDS
    assert _names(ClientConfig.__init__) == list(CONFIG_FIELDS)
    assert set(ClientConfig.__annotations__) == set(CONFIG_FIELDS)
    pool = {o.name for o in OPTIONS if not o.in_config}
    assert pool == {"pool_maxsize"}
