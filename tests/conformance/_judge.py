"""The OpenAPI spec as the judge of what goes over the wire.

openapi-core validates each request/response against its operation (path, method, parameters,
body, security). It is strict about types and schemas but lenient where a wire contract needs
to be strict, so :meth:`Judge.request_problems` adds checks of its own:

* every query parameter sent is declared by the operation (openapi-core ignores extras);
* a non-array parameter is sent once (openapi-core reads the first value and drops the rest);
* the ``x-api-key`` security scheme specifically (the spec also accepts a cookie);
* path parameters are percent-encoded single segments that decode back to the slug;
* GET carries no body, a body is ``application/json``.

The spec fails OpenAPI 3.0 validation (``toolkit_versions`` uses ``{"type": "null"}``, a 3.1
construct), so openapi-core is built with ``spec_validator_cls=None``: the spec is the judge,
not the defendant.

The spec names id formats it never defines (``authConfigId``, ``connectedAccountId``, ...).
openapi-core refuses to unmarshal a parameter of an unknown format ("Formatter not found"),
so each is registered as what the spec can vouch for: a non-empty string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.testing import MockRequest, MockResponse

#: The spec's only server; recorded paths are judged as if sent there.
SERVER = "https://backend.composio.dev"

#: The spec describes ``/api/v3``; the API's canonical prefix is ``/api/v3.1`` with the same
#: contracts (SPEC §14), so v3.1 paths are judged as their v3 twins.
V31, V3 = "/api/v3.1/", "/api/v3/"


def spec_path(raw_path: str) -> str:
    """``/api/v3.1/x`` -> ``/api/v3/x`` (what the spec's paths are written against)."""
    return V3 + raw_path[len(V31) :] if raw_path.startswith(V31) else raw_path


#: Characters allowed raw in a path segment (RFC 3986 pchar minus the sub-delims we never
#: leave unencoded): anything else must arrive percent-encoded.
_SEGMENT = re.compile(r"^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+$")
#: A deepObject query name: ``toolkit_versions[github]``.
_BRACKET = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\[([^\[\]]*)\]$")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: Mapping[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.spec.get("operationId", f"{self.method} {self.template}"))


class Judge:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        formats = _undefined_id_formats(spec)
        config = Config(
            spec_validator_cls=None,
            extra_format_validators={f: _non_empty_string for f in formats},
            extra_format_unmarshallers={f: str for f in formats},
        )
        self.openapi = OpenAPI.from_dict(dict(spec), config=config)
        self._finder = APICallPathFinder(self.openapi.spec)

    # -- lookup ---------------------------------------------------------------------------
    def operation(self, method: str, raw_path: str) -> Operation:
        found = self._finder.find(method.lower(), SERVER + spec_path(raw_path))
        template = found.path_result.pattern
        return Operation(method.upper(), template, self.spec["paths"][template][method.lower()])

    def parameters(self, op: Operation) -> dict[tuple[str, str], Mapping[str, Any]]:
        out: dict[tuple[str, str], Mapping[str, Any]] = {}
        path_item = self.spec["paths"][op.template]
        for param in [*path_item.get("parameters", []), *op.spec.get("parameters", [])]:
            param = self.resolve(param)
            out[(param["in"], param["name"])] = param
        return out

    def resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    # -- requests -------------------------------------------------------------------------
    def request_problems(
        self,
        method: str,
        raw_path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> list[str]:
        """Everything wrong with one request, as readable lines (empty: it conforms)."""
        where = f"{method} {raw_path}"
        raw_path = spec_path(raw_path)
        try:
            op = self.operation(method, raw_path)
        except Exception as exc:  # PathNotFound / OperationNotFound
            return [f"{where}: no such operation in the spec ({type(exc).__name__})"]
        problems: list[str] = []
        declared = self.parameters(op)
        query, deep_problems = self._deep_objects(op, where, declared, query)
        problems += deep_problems
        for name, values in query.items():
            param = declared.get(("query", name))
            if param is None:
                problems.append(f"{where}: query parameter {name!r} is not in {op.operation_id}")
                continue
            if param.get("deprecated"):
                problems.append(f"{where}: query parameter {name!r} is deprecated in the spec")
            schema = self.resolve(param.get("schema", {}))
            if schema.get("type") != "array" and len(values) != 1:
                problems.append(
                    f"{where}: {name!r} is not an array in the spec but was sent "
                    f"{len(values)} times"
                )
        lower = {k.lower(): v for k, v in headers.items()}
        if not lower.get("x-api-key"):
            problems.append(f"{where}: the x-api-key security scheme is not satisfied")
        template_parts = op.template.strip("/").split("/")
        raw_parts = raw_path.strip("/").split("/")
        if len(template_parts) != len(raw_parts):
            problems.append(f"{where}: path has {len(raw_parts)} segments, template not")
        for tpl, raw in zip(template_parts, raw_parts, strict=False):
            if tpl.startswith("{") and not _SEGMENT.match(raw):
                problems.append(f"{where}: path parameter {tpl} segment {raw!r} is not encoded")
        problems += self._deprecated_body_fields(op, where, body)
        if method.upper() in ("GET", "HEAD") and body:
            problems.append(f"{where}: a {method} request carries a body")
        content_type = lower.get("content-type", "")
        if body and content_type.split(";")[0].strip() != "application/json":
            problems.append(f"{where}: body sent as {content_type!r}, not application/json")
        request = MockRequest(
            SERVER,
            method.lower(),
            raw_path,
            args={k: list(v) for k, v in query.items()},  # bracket pairs already judged
            headers=dict(headers),
            data=body or None,
            content_type=content_type.split(";")[0].strip() or "application/json",
        )
        result = self.openapi.unmarshal_request(request)
        for error in result.errors:
            problems.append(f"{where}: {_describe(error)}")
        return problems

    def _deep_objects(
        self,
        op: Operation,
        where: str,
        declared: Mapping[tuple[str, str], Mapping[str, Any]],
        query: Mapping[str, list[str]],
    ) -> tuple[dict[str, list[str]], list[str]]:
        """Bracket (deepObject) pairs, ``name[key]=value``, judged against ``name``'s schema
        and taken out of what openapi-core sees (it reads query parameters in form style only).

        The spec describes ``toolkit_versions`` as ``oneOf: [null, string, object of strings]``
        ("object representation of parsed bracket notation") without a ``style``: a pair is
        accepted only where the declared schema has such an object branch, its values match
        ``additionalProperties`` (strings), and each key is sent once.
        """
        rest: dict[str, list[str]] = {}
        problems: list[str] = []
        for name, values in query.items():
            match = _BRACKET.match(name)
            if match is None:
                rest[name] = list(values)
                continue
            base, key = match.groups()
            param = declared.get(("query", base))
            if param is None:
                problems.append(f"{where}: query parameter {base!r} is not in {op.operation_id}")
                continue
            objects = [
                self.resolve(b)
                for b in self.resolve(param.get("schema", {})).get("oneOf", [])
                if self.resolve(b).get("type") == "object"
            ]
            if not objects:
                problems.append(f"{where}: {base!r} takes no object, yet {name!r} was sent")
                continue
            item = self.resolve(objects[0].get("additionalProperties", {}))
            if len(values) != 1:
                problems.append(f"{where}: {name!r} was sent {len(values)} times")
            if not key or (item.get("type") == "string" and not all(values)):
                problems.append(f"{where}: {name!r} has an empty key or value")
        return rest, problems

    def _deprecated_body_fields(self, op: Operation, where: str, body: bytes) -> list[str]:
        content = self.resolve(op.spec.get("requestBody", {})).get("content", {})
        schema = self.resolve(content.get("application/json", {}).get("schema", {}))
        try:
            sent = json.loads(body) if body else None
        except ValueError:
            return []  # openapi-core reports the invalid body
        if not isinstance(sent, dict):
            return []
        props = schema.get("properties", {})
        return [
            f"{where}: body field {name!r} is deprecated in the spec"
            for name in sent
            if self.resolve(props.get(name, {})).get("deprecated")
        ]

    # -- responses ------------------------------------------------------------------------
    def response_problems(
        self,
        method: str,
        raw_path: str,
        status: int,
        content_type: str,
        body: bytes,
    ) -> list[str]:
        where = f"{method} {raw_path} -> {status}"
        request = MockRequest(SERVER, method.lower(), spec_path(raw_path))
        response = MockResponse(
            body, status_code=status, content_type=content_type.split(";")[0].strip()
        )
        result = self.openapi.unmarshal_response(request, response)
        return [f"{where}: {_describe(e)}" for e in result.errors]

    def response_schema(self, method: str, template: str, status: int) -> Mapping[str, Any]:
        responses = self.spec["paths"][template][method.lower()]["responses"]
        media = self.resolve(responses[str(status)])["content"]["application/json"]
        return media


def _undefined_id_formats(spec: Mapping[str, Any]) -> set[str]:
    """Formats like ``authConfigId``: used in the spec, defined nowhere (every one ends in
    ``Id``; the standard ``uuid``, ``uri``, ``date-time`` are left to openapi-core)."""
    return set(re.findall(r'"format": "([A-Za-z]+Id)"', json.dumps(spec)))


def _non_empty_string(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _describe(error: BaseException) -> str:
    """openapi-core hides the useful part in ``__cause__``/``schema_errors``."""
    parts = [type(error).__name__]
    cause = error.__cause__ or error.__context__
    for item in (error, cause):
        for attr in ("name", "value"):
            if item is not None and hasattr(item, attr):
                parts.append(f"{attr}={getattr(item, attr)!r:.120}")
        errs = getattr(item, "schema_errors", None)
        if errs:
            parts.append("; ".join(str(getattr(e, "message", e))[:200] for e in errs))
    return " ".join(parts)


def raw_path_of(url: str) -> str:
    return urlsplit(url).path


def decoded_segment(raw_path: str, index: int) -> str:
    return unquote(raw_path.strip("/").split("/")[index])


def as_json(body: bytes) -> Any:
    return json.loads(body) if body else None
