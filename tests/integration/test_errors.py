"""Status codes map to the SPEC §2 classes; errors carry the server's body, pickle, and never
contain the API key."""

from __future__ import annotations

import base64
import logging
import pickle
from urllib.parse import quote

import pytest

from composio import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from composio.testing import Fault, LocalServer
from tests._drivers import Driver
from tests.conftest import SENTINEL_KEY

MAPPING = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (502, InternalServerError),
    (503, InternalServerError),
    (418, APIStatusError),
]


def _leaks(text: str) -> bool:
    forms = {
        SENTINEL_KEY,
        quote(SENTINEL_KEY),
        base64.b64encode(SENTINEL_KEY.encode()).decode(),
        SENTINEL_KEY[:8],
    }
    return any(f in text for f in forms)


@pytest.mark.parametrize(("status", "cls"), MAPPING)
def test_status_maps_to_class_with_server_details(
    driver: Driver, status: int, cls: type[APIStatusError], sentinel_server: LocalServer
) -> None:
    client = driver.client(
        api_key=SENTINEL_KEY, base_url=sentinel_server.url, allow_tracking=False, max_retries=0
    )
    session = client.create_session(headers={"x-correlation-id": "corr-7", "x-user-id": "u-1"})
    body = {
        "error": {
            "message": f"the server says {status}",
            "code": 1234,
            "status": status,
            "request_id": "req-abc",
            "suggested_fix": "do the thing",
        }
    }
    sentinel_server.fail_next(
        "/api/v3.1/tools", [Fault(status=status, body=body, headers={"Retry-After": "1"})]
    )
    with pytest.raises(cls) as info:
        session.tools.list()
    err = info.value
    assert type(err) is cls
    assert err.status_code == status
    assert err.code == 1234 and err.request_id == "req-abc" and err.suggested_fix == "do the thing"
    text = str(err)
    for part in (
        "tools.list",
        "GET",
        "/api/v3.1/tools",
        str(status),
        f"the server says {status}",
        "req-abc",
    ):
        assert part in text
    # the session's request is carried, redacted by allow-list
    assert err.request is not None
    assert err.request.headers["x-correlation-id"] == "corr-7"
    assert err.request.headers["x-user-id"] == "***"
    assert err.request.headers["x-api-key"] == "***"
    if cls is RateLimitError:
        assert isinstance(err, RateLimitError) and err.retry_after == 1.0
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cls and str(again) == text and again.status_code == status
    assert again.request == err.request and again.response is None
    for blob in (
        text,
        repr(err),
        repr(err.request),
        repr(err.body),
        pickle.dumps(err).decode("latin-1"),
    ):
        assert not _leaks(blob)
    client.close()


def test_wrong_key_is_authentication_error_without_the_key(
    driver: Driver, sentinel_server: LocalServer
) -> None:
    wrong = SENTINEL_KEY[::-1]
    client = driver.client(api_key=wrong, base_url=sentinel_server.url, allow_tracking=False)
    with pytest.raises(AuthenticationError) as info:
        client.tools.list()
    assert wrong not in str(info.value) and wrong not in repr(info.value.request)
    assert "Invalid or missing API key" in str(info.value)
    client.close()


def test_server_echoing_the_key_is_scrubbed(driver: Driver, sentinel_server: LocalServer) -> None:
    client = driver.client(api_key=SENTINEL_KEY, base_url=sentinel_server.url, allow_tracking=False)
    sentinel_server.fail_next(
        "/api/v3.1/tools",
        [
            Fault(
                status=400,
                body={"error": {"message": f"bad key {SENTINEL_KEY}", "code": 1, "status": 400}},
            )
        ],
    )
    with pytest.raises(BadRequestError) as info:
        client.tools.list()
    assert SENTINEL_KEY not in str(info.value)
    client.close()


def test_connection_error_is_wrapped_and_picklable(
    driver: Driver,
) -> None:
    client = driver.client(
        api_key=SENTINEL_KEY, base_url="http://127.0.0.1:9", allow_tracking=False, max_retries=0
    )
    with pytest.raises(APIConnectionError) as info:
        client.tools.list()
    err = info.value
    assert err.kind == "refused" and err.sent is False
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is APIConnectionError and again.kind == "refused"
    assert not _leaks(str(err)) and not _leaks(repr(err.request))
    client.close()


def test_client_stays_usable_after_errors(driver: Driver, composio_server: LocalServer) -> None:
    client = driver.client(
        api_key=composio_server.api_key,
        base_url=composio_server.url,
        allow_tracking=False,
        max_retries=0,
    )
    composio_server.fail_next("/api/v3.1/tools", [500])
    with pytest.raises(InternalServerError):
        client.tools.list()
    assert len(client.tools.list().items) == 20
    client.close()


def test_request_escape_hatch_goes_through_the_chain(
    driver: Driver, composio_server: LocalServer
) -> None:
    client = driver.client(
        api_key=composio_server.api_key, base_url=composio_server.url + "/", allow_tracking=False
    )
    session = client.create_session(headers={"x-user-id": "a"})
    response = session.request(
        "GET", "/echo", params={"q": ["1", "2"], "flag": True}, extra_headers={"x-call": "c"}
    )
    assert response.status_code == 200 and response.status == 200
    seen = response.json()
    assert seen["query"] == {"q": ["1", "2"], "flag": ["true"]}
    assert seen["headers"]["x-user-id"] == "a" and seen["headers"]["x-call"] == "c"
    assert seen["headers"]["x-api-key"] == composio_server.api_key
    assert response.request_id == seen["headers"]["x-request-id"]
    posted = session.request("POST", "/echo", json={"a": [1, "ü"]}).json()
    assert posted["body"] == '{"a":[1,"ü"]}'
    with pytest.raises(NotFoundError):
        session.request("GET", "/api/v3/nothing-here")
    client.close()


@pytest.mark.parametrize(
    ("method", "path"),
    [("BREW", "/x"), ("GET", "api/v3/tools"), ("GET", "http://evil/x"), ("GET", "/a b")],
)
def test_request_rejects_bad_method_or_path(driver: Driver, method: str, path: str) -> None:
    client = driver.client(api_key="k", base_url="http://127.0.0.1:9")
    with pytest.raises(Exception) as info:
        client.request(method, path)
    assert type(info.value).__name__ == "ValidationError"


def test_gateway_prefix_is_kept(driver: Driver, composio_server: LocalServer) -> None:
    client = driver.client(
        api_key=composio_server.api_key, base_url=composio_server.url + "/gw/", allow_tracking=False
    )
    with pytest.raises(NotFoundError):
        client.tools.list()
    assert composio_server.requests[-1].path == "/gw/api/v3.1/tools"
    client.close()


def test_no_key_in_debug_logs(
    driver: Driver, sentinel_server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = driver.client(api_key=SENTINEL_KEY, base_url=sentinel_server.url, allow_tracking=False)
    client.tools.list()
    sentinel_server.fail_next("/api/v3.1/tools", [503, 503, 503])
    with pytest.raises(InternalServerError):
        client.tools.list(timeout=5)
    assert not _leaks(caplog.text)
    client.close()
