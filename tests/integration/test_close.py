"""Closed means closed (SPEC §12.9): after ``close()`` (or the end of a ``with`` block) every
call on the root client, its sessions and the ``with_options`` copies sharing its pool raises
``ClientClosedError``; no socket is reopened, and the pool's sockets are really closed (counted
at the server). A copy with its own pool (another ``verify``) is closed by closing that copy."""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterator

import pytest

from composio import ClientClosedError, Composio, ComposioError, Response
from composio.testing import LocalServer
from tests.conftest import SENTINEL_KEY
from tests.integration._raw_servers import (
    RawServer,
    answer,
    assert_no_secret,
    raw_server,
    record_sleeps,
)


@pytest.fixture
def server() -> Iterator[RawServer]:
    with raw_server(answer()) as s:
        yield s


def _client(url: str, **kw: object) -> Composio:
    return Composio(api_key=SENTINEL_KEY, base_url=url, allow_tracking=False, **kw)  # type: ignore[arg-type]


def _call(client: Composio) -> Response:
    return client.request("GET", "/v1/ping")


def test_every_client_sharing_the_pool_is_closed_with_the_root(server: RawServer) -> None:
    root = _client(server.url)
    session = root.create_session(headers={"x-user-id": "u1"})
    copy = root.with_options(timeout=5.0)
    rebased = root.with_options(base_url=server.url + "/gateway")  # another base, same pool
    derived = [root, session, copy, rebased, session.create_session(), copy.create_session()]
    kept = [_call(client) for client in derived]  # held responses keep urllib3's pools alive
    assert all(r.status_code == 200 for r in kept)
    assert server.open_connections >= 1  # kept alive in the pool

    root.close()
    assert server.wait_open_connections(0), "close() left pooled sockets open"
    accepted = server.connections
    for client in derived:
        with pytest.raises(ClientClosedError) as info:
            _call(client)
        err = info.value
        assert isinstance(err, ComposioError)
        assert server.url in str(err) and "close()" in str(err)
        assert err.base_url == server.url
        assert_no_secret(SENTINEL_KEY, str(err), repr(err))
    with pytest.raises(ClientClosedError):
        session.tools.list()  # resource methods too, not only request()
    assert server.connections == accepted  # nothing reopened a socket
    assert server.open_connections == 0
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is ClientClosedError and str(again) == str(err)
    assert again.base_url == err.base_url


def test_with_block_exit_is_named_in_the_error(server: RawServer) -> None:
    with _client(server.url) as client:
        session = client.create_session(headers={"x-user-id": "u1"})
        _call(session)
    assert server.wait_open_connections(0)
    with pytest.raises(ClientClosedError, match="'with' block") as info:
        _call(session)
    assert server.url in str(info.value)


def test_closing_twice_and_closing_sessions_is_fine(server: RawServer) -> None:
    root = _client(server.url)
    session = root.create_session(headers={"x-user-id": "u1"})
    copy = root.with_options(max_retries=0)
    session.close()  # a session shares the pool: closing it closes nothing
    copy.close()
    assert _call(root).status_code == 200
    root.close()
    root.close()
    session.close()
    with pytest.raises(ClientClosedError, match=r"close\(\)"):  # the first reason is kept
        _call(copy)


def test_a_copy_with_its_own_pool_is_closed_by_closing_that_copy(server: RawServer) -> None:
    root = _client(server.url)
    own = root.with_options(verify=False)  # TLS settings belong to a pool: its own
    own_session = own.create_session(headers={"x-user-id": "u1"})
    assert _call(own_session).status_code == 200
    own.close()
    for client in (own, own_session):
        with pytest.raises(ClientClosedError):
            _call(client)
    assert _call(root).status_code == 200  # the root's pool is another pool
    root.close()
    assert server.wait_open_connections(0)


@pytest.mark.parametrize("status", [200, 503])
def test_close_while_a_call_is_on_the_wire(status: int) -> None:
    """A thread mid-call when close() happens: the call may finish (200) or fail with
    ClientClosedError (its retry after the 503 must not reopen a socket); no hang, no leak."""
    arrived, gate = threading.Event(), threading.Event()
    with raw_server(answer(status, arrived=arrived, gate=gate)) as slow:
        client = _client(slow.url)
        record_sleeps(client)  # a retry would start at once, right after the 503
        outcome: list[object] = []

        def call() -> None:
            try:
                outcome.append(_call(client))
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=call)
        worker.start()
        assert arrived.wait(5), "the call never reached the server"
        client.close()
        with pytest.raises(ClientClosedError):  # a new call does not wait for the slow one
            _call(client)
        gate.set()
        worker.join(10)
        assert not worker.is_alive(), "the in-flight call hung after close()"
        (result,) = outcome
        if status == 200:
            assert isinstance(result, Response) and result.status_code == 200
        else:
            assert isinstance(result, ClientClosedError), result
        assert slow.wait_open_connections(0), "the in-flight connection was not closed"
        assert slow.connections == 1  # the retry did not reopen a socket
        assert len(slow.requests) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_closed_client_stays_closed_in_a_forked_child(server: RawServer) -> None:
    """The after-fork reset gives a child a fresh pool; it must not reopen a closed client."""
    client = _client(server.url)
    _call(client)
    client.close()
    assert server.wait_open_connections(0)
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 only for ClientClosedError
        code = 3
        try:
            _call(client)
            code = 1
        except ClientClosedError:
            code = 0
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert server.connections == 1  # the child opened nothing


def test_a_closed_client_cannot_derive_a_copy_with_a_new_pool(
    composio_server: LocalServer,
) -> None:
    """``with_options(verify=...)`` / ``pool_maxsize=`` would give the copy a fresh pool: from a
    closed client that is a silent reopen, so it raises; copies sharing the pool still derive."""
    root = Composio(
        api_key=composio_server.api_key, base_url=composio_server.url, allow_tracking=False
    )
    root.close()
    for change in ({"verify": False}, {"pool_maxsize": 4}):
        with pytest.raises(ClientClosedError, match="was closed"):
            root.with_options(**change)  # type: ignore[arg-type]
    shared = root.with_options(timeout=5.0)
    with pytest.raises(ClientClosedError):
        shared.tools.list()
    assert composio_server.requests == []
