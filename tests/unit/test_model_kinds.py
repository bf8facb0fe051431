"""Each model declares its fields once, as dataclass fields (issue 17): what ``parse_model``
checks -- each field's JSON kind and which fields are required -- is derived from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

import pytest

from composio import models
from composio.models import STRS, ShapeError, Tool, ToolkitRef


def _parsed_models() -> list[type]:
    return [
        cls
        for cls in vars(models).values()
        if isinstance(cls, type) and issubclass(cls, models._Parsed) and cls is not models._Parsed
    ]


@pytest.mark.parametrize("cls", _parsed_models(), ids=lambda c: c.__name__)
def test_issue17_every_model_derives_its_kinds_and_required_fields(cls: type) -> None:
    plan = models._Plan(cls)
    no_default = tuple(
        f.name
        for f in fields(cls)
        if f.name != "extra" and f.default is MISSING and f.default_factory is MISSING
    )
    assert plan.required == no_default
    assert {name for name, *_ in plan.fields} == {f.name for f in fields(cls)} - {"extra"}


def test_issue17_kinds_follow_the_annotations() -> None:
    kinds = {name: kind for name, kind, _, _ in models._Plan(Tool).fields}
    assert kinds["slug"] is str and kinds["toolkit"] is ToolkitRef and kinds["tags"] is STRS
    assert kinds["input_parameters"] is dict and kinds["no_auth"] is bool
    with pytest.raises(ShapeError, match="Tool is missing required field 'slug'"):
        Tool.from_dict({"name": "x"})
    tool = Tool.from_dict({"slug": "S", "tags": "not-a-list", "toolkit": {"slug": "gh"}})
    assert tool.tags is None and tool.extra == {"tags": "not-a-list"}
    assert tool.toolkit == ToolkitRef(slug="gh")


@dataclass(frozen=True, slots=True)
class _Odd(models._Parsed):
    when: complex | None = None
    extra: Mapping[str, Any] = models._extra()


def test_issue17_an_annotation_without_a_json_kind_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"_Odd\.when: no JSON kind for the annotation 'complex'"):
        models._Plan(_Odd)
