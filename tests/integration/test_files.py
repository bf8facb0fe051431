"""``client.files`` on both clients over loopback: the upload's PUT goes to another origin
(``server.alt_url``) and must carry none of the SDK's credentials or headers -- the local
server keeps that PUT's headers, so the test reads what really arrived."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from composio import APIError, APITimeoutError, ClientClosedError, FileRef, Timeout, ValidationError
from composio.testing import Fault, LocalServer
from tests._drivers import Driver
from tests.integration._api import Api

SECRET_VALUES = ("s3cr3t-session", "s3cr3t-default", "s3cr3t-extra")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def client(driver: Driver, server: LocalServer) -> Any:
    root = driver.client(
        api_key=server.api_key,
        base_url=server.url,
        allow_tracking=False,
        default_headers={"x-team-token": "s3cr3t-default"},
    )
    return root.create_session(headers={"x-user-token": "s3cr3t-session"})


def _uploads(server: LocalServer) -> list[Any]:
    return [r for r in server.requests if r.path.startswith("/_local/uploads/")]


def test_upload_puts_the_bytes_to_the_other_origin_without_any_sdk_header(
    client: Any, server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    ref = client.files.upload(
        path,
        toolkit_slug="text",
        tool_slug="TEXT_UPPERCASE",
        extra_headers={"x-call-token": "s3cr3t-extra"},
    )
    md5 = hashlib.md5(b"a,b\n1,2\n").hexdigest()
    assert isinstance(ref, FileRef) and ref.key
    assert (ref.filename, ref.mimetype, ref.md5) == ("report.csv", "text/csv", md5)
    assert ref.as_tool_argument() == {
        "name": "report.csv",
        "mimetype": "text/csv",
        "s3key": ref.key,
    }
    request, put = server.requests_to("/api/v3.1/files/upload/request")[0], _uploads(server)[0]
    assert json.loads(request.body) == {
        "toolkit_slug": "text",
        "tool_slug": "TEXT_UPPERCASE",
        "filename": "report.csv",
        "mimetype": "text/csv",
        "md5": md5,
    }
    # the API call carried the credentials and every header layer...
    assert request.header("x-api-key") == server.api_key
    assert request.header("x-user-token") == "s3cr3t-session"
    # ...the PUT, to another origin, none of them
    [stored] = server.uploaded_files
    assert stored.data == b"a,b\n1,2\n" and stored.key == ref.key
    sent = {k.lower(): v for k, v in stored.headers.items()}
    assert sent["host"].startswith("localhost:")  # the other origin name, same server
    assert sent["content-type"] == "text/csv"
    for name in ("x-api-key", "x-user-token", "x-team-token", "x-call-token", "x-framework"):
        assert name not in sent
    for name in ("traceparent", "authorization", "cookie", "x-request-id"):
        assert name not in sent
    assert not any(secret in v for v in sent.values() for secret in SECRET_VALUES)
    assert server.api_key not in json.dumps(sent)
    assert put.method == "PUT"
    assert [f.filename for f in client.files.list(toolkit_slug="text")] == ["report.csv"]


def test_bytes_and_mimetype_rules(client: Any, server: LocalServer, tmp_path: Path) -> None:
    ref = client.files.upload(b"\x89PNG...", toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
    assert ref.mimetype == "application/octet-stream" and ref.filename.endswith(".bin")
    typed = client.files.upload(
        b"<p>hi</p>", toolkit_slug="text", tool_slug="TEXT_UPPERCASE", mimetype="text/html"
    )
    assert typed.mimetype == "text/html" and typed.filename.endswith(".html")
    assert server.uploaded_files[-1].headers["content-type"] == "text/html"
    unknown = tmp_path / "blob.zzunknown"
    unknown.write_bytes(b"?")
    assert (
        client.files.upload(unknown, toolkit_slug="text", tool_slug="TEXT_UPPERCASE").mimetype
        == "application/octet-stream"
    )


def test_the_same_bytes_again_are_not_uploaded_twice(client: Any, server: LocalServer) -> None:
    first = client.files.upload(b"same", toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
    again = client.files.upload(b"same", toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
    assert again.key == first.key
    assert len(_uploads(server)) == 1  # the API said "existing": no PUT


def _pending_key(server: LocalServer, data: bytes) -> str:
    """Ask for an upload URL first, so the SDK's request for the same bytes gets that key."""
    api = Api(server)
    try:
        made = api(
            "POST",
            "/files/upload/request",
            json={
                "toolkit_slug": "text",
                "tool_slug": "TEXT_UPPERCASE",
                "filename": "x.bin",
                "mimetype": "application/octet-stream",
                "md5": hashlib.md5(data).hexdigest(),
            },
        )
    finally:
        api.close()
    return str(made["key"])


def test_the_put_is_bounded_by_the_calls_deadline(client: Any, server: LocalServer) -> None:
    key = _pending_key(server, b"slow")
    server.fail_next(f"/_local/uploads/{key}", [Fault(status=200, delay=5.0)])
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.files.upload(
            b"slow", toolkit_slug="text", tool_slug="TEXT_UPPERCASE", timeout=Timeout(total=1.0)
        )
    assert time.monotonic() - started < 1.5  # SPEC §12.6: T + 0.5 s
    assert server.uploaded_files == []


def test_a_redirect_from_storage_is_not_followed_nor_success(
    client: Any, server: LocalServer
) -> None:
    key = _pending_key(server, b"moved")
    elsewhere = f"{server.url}/api/v3.1/tools"  # back to the API's origin: would it bring keys?
    server.fail_next(f"/_local/uploads/{key}", [Fault(status=307, headers={"Location": elsewhere})])
    with pytest.raises(APIError, match="307") as info:
        client.files.upload(b"moved", toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
    assert server.api_key not in str(info.value)
    assert not [r for r in server.requests if r.path == "/api/v3.1/tools"]
    assert server.uploaded_files == []


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda f: f.upload(b"x", toolkit_slug="", tool_slug="T"), "toolkit_slug"),
        (lambda f: f.upload(b"x", toolkit_slug="text", tool_slug=None), "tool_slug"),
        (lambda f: f.upload(b"x", toolkit_slug="t", tool_slug="T", mimetype="text"), "mimetype"),
        (lambda f: f.upload(b"x", toolkit_slug="t", tool_slug="T", mimetype="a/\xe9"), "mimetype"),
        (lambda f: f.upload(123, toolkit_slug="t", tool_slug="T"), "path_or_bytes"),
        (lambda f: f.upload("/no/such/file.txt", toolkit_slug="t", tool_slug="T"), "cannot read"),
        (lambda f: f.list(limit=0), "limit"),
    ],
)
def test_bad_arguments_are_named_and_send_nothing(
    client: Any, server: LocalServer, call: Any, named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        call(client.files)
    assert server.requests == []


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs a named pipe")
def test_the_async_client_reads_the_file_off_the_event_loop(
    server: LocalServer, tmp_path: Path
) -> None:
    """The file is a named pipe whose writer waits until the loop has run other tasks: read
    on the loop's thread, the read would block the loop and those tasks could never run."""
    import asyncio
    import os
    import threading

    from composio import AsyncComposio

    pipe = tmp_path / "incoming.txt"
    os.mkfifo(pipe)
    loop_ran = threading.Event()
    in_time: list[bool] = []

    def writer() -> None:
        in_time.append(loop_ran.wait(10))
        with open(pipe, "wb") as f:  # unblocks the reader either way
            f.write(b"streamed")

    async def main() -> FileRef:
        async with AsyncComposio(
            api_key=server.api_key, base_url=server.url, allow_tracking=False
        ) as client:
            upload = asyncio.ensure_future(
                client.files.upload(pipe, toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
            )
            for _ in range(20):
                await asyncio.sleep(0)  # the upload task starts and reaches its read
            loop_ran.set()
            return await upload

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        ref = asyncio.run(main())
    finally:
        loop_ran.set()
        thread.join(15)
    assert in_time == [True]
    assert ref.mimetype == "text/plain" and server.uploaded_files[0].data == b"streamed"


def test_an_upload_on_a_closed_client_opens_nothing(driver: Driver, server: LocalServer) -> None:
    client = driver.client(api_key=server.api_key, base_url=server.url, allow_tracking=False)
    client.close()
    with pytest.raises(ClientClosedError):
        client.files.upload(b"late", toolkit_slug="text", tool_slug="TEXT_UPPERCASE")
    assert server.requests == [] and server.uploaded_files == []
