"""Fixtures of the conformance suite: the spec (loaded once per session, it is 2 MB) and a
client whose every physical response is captured for judging."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from composio import Composio, Stage
from composio.pipeline import CallNext, Request, Response
from composio.testing import LocalServer
from tests.conformance._judge import Judge
from tests.conftest import SENTINEL_KEY, openapi_spec_path


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    path = openapi_spec_path()
    if not path.is_file():
        pytest.skip(
            f"the Composio OpenAPI spec is not at {path}; set COMPOSIO_OPENAPI_SPEC to its path "
            "to run the conformance suite"
        )
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.fixture(scope="session")
def judge(spec: dict[str, Any]) -> Judge:
    return Judge(spec)


class ResponseRecorder:
    """Innermost middleware: sees every physical response the SDK receives (retries too)."""

    name = "conformance-recorder"
    stage = Stage.ATTEMPT
    order = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.responses: list[Response] = []

    def __call__(self, request: Request, call_next: CallNext) -> Response:
        response = call_next(request)
        with self._lock:
            self.responses.append(response)
        return response


@pytest.fixture
def recorder() -> ResponseRecorder:
    return ResponseRecorder()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        yield srv


@pytest.fixture
def client(server: LocalServer, recorder: ResponseRecorder) -> Iterator[Composio]:
    c = Composio(
        api_key=SENTINEL_KEY,
        base_url=server.url,
        allow_tracking=False,
        max_retries=0,
        middlewares=[recorder],
    )
    yield c
    c.close()
