"""SPEC §18: ``_request_id`` on models and pages is no part of their data.

It lives in a slot of the model base (``composio.models._Model``), not in a dataclass field:
equality, hashing, ``repr``, ``fields()`` and parsing ignore it; pickling and copying carry it.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle

from composio.models import ConnectionRequest, Tool, set_request_id
from composio.pagination import Page


def _tool(request_id: str | None) -> Tool:
    tool = Tool.from_dict({"slug": "GITHUB_STAR", "name": "Star", "unknown": 1})
    if request_id is not None:
        set_request_id(tool, request_id)
    return tool


def test_request_id_is_ignored_by_equality_hash_repr_and_fields() -> None:
    a, b = _tool("req-a"), _tool("req-b")
    assert (a._request_id, b._request_id) == ("req-a", "req-b")
    assert a == b and hash(a) == hash(b)
    assert repr(a) == repr(b) and "req-a" not in repr(a)
    assert "_request_id" not in {f.name for f in dataclasses.fields(a)}
    assert Tool.from_dict({"slug": "X", "_composio_request_id": "z"}).extra == {
        "_composio_request_id": "z"
    }  # a key of that name in a body is data, never the slot


def test_a_model_built_by_hand_has_no_request_id() -> None:
    assert Tool("X")._request_id is None and _tool(None)._request_id is None


def test_pickle_and_copy_keep_the_request_id() -> None:
    tool = _tool("req-7")
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(tool, protocol))
        assert back == tool and back._request_id == "req-7"
    assert copy.copy(tool)._request_id == copy.deepcopy(tool)._request_id == "req-7"
    request = ConnectionRequest("ca_1", "INITIATED")
    set_request_id(request, "req-8")
    assert pickle.loads(pickle.dumps(request))._request_id == "req-8"


def test_a_page_keeps_its_request_id_out_of_equality_and_through_pickle() -> None:
    page: Page[int] = Page((1, 2), "c", _request_id="req-p")
    assert page == Page((1, 2), "c") and "req-p" not in repr(page)
    back = pickle.loads(pickle.dumps(page))
    assert back._request_id == "req-p" and back.items == (1, 2)
