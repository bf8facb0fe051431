"""``auto_files=True`` (SPEC §18, issue 20) on both clients, over loopback.

A ``file_uploadable`` argument given as a local path is uploaded through ``files.upload``'s
own flow and replaced by the file reference; a ``file_downloadable`` result is streamed into
``file_download_dir`` and replaced by the local path. LocalServer's catalog has one tool of
each kind (``TEXT_FILE_DIGEST`` reads the uploaded bytes back; ``TEXT_MAKE_FILE`` stores a
file and answers its storage URL on the other origin, ``server.alt_url``). What LocalServer
cannot do -- an https API handing out plain-http URLs, 64 MiB bodies it does not keep in
memory -- a small raw ``http.server`` below does.
"""

from __future__ import annotations

import hashlib
import json
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from composio import APIError, ComposioError, ValidationError, hookimpl
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.integration.test_execution_path import completion as chat_completion
from tests.integration.test_execution_path import contents
from tests.integration.test_execution_path import make as make_client
from tests.integration.test_external_urls import (  # noqa: F401 (https_storage, otel: fixtures)
    _instrumentation_is_live,
    _Storage,
    _StorageServer,
    https_storage,
    otel,
)
from tests.integration.test_tls import certificate  # noqa: F401 (a fixture used below)

SECRETS = ("s3cr3t-session", "s3cr3t-default")
UPLOAD_REQUEST = "/api/v3.1/files/upload/request"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home directory with the secrets a prompt injection would ask for."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text("[default]\naws_secret_access_key=x\n")
    (home / ".config" / "gcloud").mkdir(parents=True)
    (home / ".config" / "gcloud" / "credentials.db").write_bytes(b"db")
    monkeypatch.setenv("HOME", str(home))
    return home


def make(driver: Driver, server: LocalServer, **kw: Any) -> Any:
    """A client with a default header and a session header: neither may reach storage."""
    root = make_client(driver, server, default_headers={"x-team-token": "s3cr3t-default"}, **kw)
    return root.create_session(headers={"x-user-token": "s3cr3t-session"})


def executed_arguments(server: LocalServer, slug: str) -> list[dict[str, Any]]:
    return [dict(e.arguments) for e in server.executions if e.slug == slug]


def storage_requests(server: LocalServer) -> list[Any]:
    return [r for r in server.requests if r.path.startswith("/_local/uploads/")]


def assert_no_sdk_header(headers: Any) -> None:
    names = {k.lower() for k in headers}
    assert "x-api-key" not in names and "authorization" not in names
    assert not {n for n in names if n.startswith("x-")}, names
    assert "traceparent" not in names
    for value in headers.values():
        assert not any(secret in value for secret in SECRETS)


def completion(*calls: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    return chat_completion(*((i, n, json.dumps(a)) for i, n, a in calls))


# -- uploads -----------------------------------------------------------------------------------
def test_a_local_path_in_a_file_argument_is_uploaded_and_replaced_by_its_reference(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    client = make(driver, server, auto_files=True, file_download_dir=tmp_path / "dl")
    result = client.tools.execute("TEXT_FILE_DIGEST", {"file": str(path)})
    md5 = hashlib.md5(b"a,b\n1,2\n").hexdigest()
    # the tool read the bytes that arrived in storage
    assert result.data == {"name": "report.csv", "size": 8, "md5": md5}
    [sent] = executed_arguments(server, "TEXT_FILE_DIGEST")
    [stored] = server.uploaded_files
    assert sent == {"file": {"name": "report.csv", "mimetype": "text/csv", "s3key": stored.key}}
    assert stored.data == b"a,b\n1,2\n"
    assert_no_sdk_header(stored.headers)  # the PUT went to another origin with none of them
    [asked] = server.requests_to(UPLOAD_REQUEST)
    assert (
        asked.json()["toolkit_slug"] == "text" and asked.json()["tool_slug"] == "TEXT_FILE_DIGEST"
    )
    # a reference given as such is sent as it is (nothing to upload)
    client.tools.execute("TEXT_FILE_DIGEST", {"file": sent["file"]})
    assert len(server.requests_to(UPLOAD_REQUEST)) == 1


def test_off_by_default_a_path_string_is_sent_untouched(
    driver: Driver, server: LocalServer, tmp_path: Path, home: Path
) -> None:
    secret = str(home / ".ssh" / "id_rsa")
    client = make(driver, server)
    result = client.tools.execute("TEXT_FILE_DIGEST", {"file": secret}, raise_on_error=False)
    assert result.successful is False  # the server got a string, not a file reference
    assert executed_arguments(server, "TEXT_FILE_DIGEST") == [{"file": secret}]
    assert server.requests_to(UPLOAD_REQUEST) == []
    assert server.requests_to("/api/v3.1/tools/TEXT_FILE_DIGEST") == []  # no schema lookup
    made = client.tools.execute("TEXT_MAKE_FILE", {"text": "x"})
    assert set(made.data["file"]) == {"name", "mimetype", "s3url"}  # not downloaded
    assert storage_requests(server) == []


def _sensitive_paths(home: Path, tmp_path: Path) -> dict[str, str]:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text("OPENAI_API_KEY=sk-x\n")
    (project / ".env.local").write_text("X=1\n")
    (project / "innocent.txt").symlink_to(home / ".ssh" / "id_rsa")
    (project / "keys").symlink_to(home / ".aws")
    (project / "env-link").symlink_to(project / ".env")
    bob = tmp_path / "bob" / ".ssh"
    bob.mkdir(parents=True)
    (bob / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (tmp_path / "bob" / ".gnupg").mkdir()
    (tmp_path / "bob" / ".gnupg" / "secring.gpg").write_bytes(b"k")
    return {
        "another user's key": str(bob / "id_ed25519"),
        "gnupg": str(tmp_path / "bob" / ".gnupg" / "secring.gpg"),
        "control character": str(project / "a\x00b"),
        "ssh key": str(home / ".ssh" / "id_rsa"),
        "tilde": "~/.ssh/id_rsa",
        "aws": str(home / ".aws" / "credentials"),
        "gcloud": str(home / ".config" / "gcloud" / "credentials.db"),
        "dotenv": str(project / ".env"),
        "dotenv variant": str(project / ".env.local"),
        "symlink to a key": str(project / "innocent.txt"),
        "symlinked directory": str(project / "keys" / "credentials"),
        "symlink to .env": str(project / "env-link"),
        "dot-dot": str(project) + "/../home/.ssh/id_rsa",
        "etc": "/etc/hostname",
        "proc": "/proc/self/environ",
        "sys": "/sys/kernel/hostname",
    }


def test_sensitive_paths_are_refused_by_argument_name_with_no_request_sent(
    driver: Driver, server: LocalServer, tmp_path: Path, home: Path
) -> None:
    client = make(driver, server, auto_files=True, file_download_dir=tmp_path / "dl")
    for label, path in _sensitive_paths(home, tmp_path).items():
        with pytest.raises(ValidationError) as info:
            client.tools.execute("TEXT_FILE_DIGEST", {"file": path})
        text = str(info.value)
        assert "argument 'file'" in text and "refused to upload" in text, (label, text)
        assert "OPENSSH" not in text and "sk-x" not in text  # nothing of the file is quoted
    assert server.requests_to(UPLOAD_REQUEST) == []
    assert storage_requests(server) == []
    assert executed_arguments(server, "TEXT_FILE_DIGEST") == []
    # the client stays usable: an ordinary file goes through
    ok = tmp_path / "ok.txt"
    ok.write_text("fine")
    assert client.tools.execute("TEXT_FILE_DIGEST", {"file": str(ok)}).data["size"] == 4


def test_the_deny_list_keyword_adds_paths_and_name_patterns(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "notes.txt").write_text("secret notes")
    (tmp_path / "token.txt").write_text("t0ken")
    os.link(tmp_path / "token.txt", tmp_path / "harmless.txt")  # the same file, another name
    (tmp_path / "server.pem").write_text("cert")
    (tmp_path / "free.txt").write_text("free")
    client = make(
        driver,
        server,
        auto_files=True,
        file_download_dir=tmp_path / "dl",
        file_upload_deny=[vault, "*.pem", tmp_path / "token.txt"],
    )
    for path, why in (
        (tmp_path / "harmless.txt", "under another name"),
        (vault / "notes.txt", "file_upload_deny entry"),
        (tmp_path / "server.pem", "'*.pem'"),
    ):
        with pytest.raises(ValidationError, match=why):
            client.tools.execute("TEXT_FILE_DIGEST", {"file": str(path)})
    assert server.requests_to(UPLOAD_REQUEST) == []
    assert client.tools.execute("TEXT_FILE_DIGEST", {"file": str(tmp_path / "free.txt")}).successful
    # with_options keeps the list (SPEC §12.10) and can replace it
    kept = client.with_options(timeout=30)
    with pytest.raises(ValidationError, match="file_upload_deny"):
        kept.tools.execute("TEXT_FILE_DIGEST", {"file": str(vault / "notes.txt")})
    cleared = client.with_options(file_upload_deny=[])
    assert cleared.tools.execute("TEXT_FILE_DIGEST", {"file": str(vault / "notes.txt")}).successful
    off = client.with_options(auto_files=False)
    off.tools.execute("TEXT_FILE_DIGEST", {"file": str(vault / "notes.txt")}, raise_on_error=False)
    assert executed_arguments(server, "TEXT_FILE_DIGEST")[-1] == {"file": str(vault / "notes.txt")}


def test_a_refusal_is_that_calls_error_result_and_the_turn_goes_on(
    driver: Driver, server: LocalServer, tmp_path: Path, home: Path
) -> None:
    ok = tmp_path / "ok.txt"
    ok.write_text("12345")
    client = make(driver, server, auto_files=True, file_download_dir=tmp_path / "dl")
    out = contents(
        client.tools.handle_tool_calls(
            "u",
            completion(
                ("c1", "TEXT_FILE_DIGEST", {"file": "~/.ssh/id_rsa"}),
                ("c2", "TEXT_FILE_DIGEST", {"file": str(ok)}),
                ("c3", "TEXT_FILE_DIGEST", {"file": str(tmp_path / "missing.txt")}),
                ("c4", "MATH_ADD", {"a": 1, "b": 2}),
            ),
        )
    )
    assert out["c1"]["successful"] is False
    assert "argument 'file'" in out["c1"]["error"] and ".ssh" in out["c1"]["error"]
    assert out["c2"]["size"] == 5
    assert out["c3"]["successful"] is False and "missing.txt" in out["c3"]["error"]
    assert out["c4"] == {"result": 3}
    assert len(server.requests_to(UPLOAD_REQUEST)) == 1  # c2's only


class UploadGate:
    """A ``composio_before_file_upload`` plugin: refuses ``*.secret``, sends ``*.draft`` as
    the file next to it named ``*.final`` and, to prove the check runs after it, rewrites
    ``*.sneaky`` into the user's SSH key."""

    composio_plugin_name = "upload-gate"

    def __init__(self, home: Path) -> None:
        self.home = home
        self.seen: list[tuple[str, str, str]] = []

    @hookimpl
    def composio_before_file_upload(self, tool: str, argument: str, path: str) -> Any:
        self.seen.append((tool, argument, os.path.basename(path)))
        if path.endswith(".secret"):
            return False
        if path.endswith(".draft"):
            return path[: -len(".draft")] + ".final"
        if path.endswith(".sneaky"):
            return str(self.home / ".ssh" / "id_rsa")
        return None


def test_the_before_file_upload_hook_refuses_or_rewrites(
    driver: Driver, server: LocalServer, tmp_path: Path, home: Path
) -> None:
    for name, text in (
        ("a.secret", "s"),
        ("b.draft", "draft"),
        ("b.final", "final!"),
        ("c.sneaky", ""),
    ):
        (tmp_path / name).write_text(text)
    gate = UploadGate(home)
    client = make(
        driver, server, auto_files=True, file_download_dir=tmp_path / "dl", plugins=[gate]
    )
    with pytest.raises(ValidationError, match=r"upload-gate.*refused.*argument 'file'"):
        client.tools.execute("TEXT_FILE_DIGEST", {"file": str(tmp_path / "a.secret")})
    assert client.tools.execute("TEXT_FILE_DIGEST", {"file": str(tmp_path / "b.draft")}).data[
        "size"
    ] == len("final!")
    with pytest.raises(ValidationError, match=r"refused to upload.*\.ssh"):
        client.tools.execute("TEXT_FILE_DIGEST", {"file": str(tmp_path / "c.sneaky")})
    assert [f.data for f in server.uploaded_files] == [b"final!"]
    assert gate.seen == [
        ("TEXT_FILE_DIGEST", "file", "a.secret"),
        ("TEXT_FILE_DIGEST", "file", "b.draft"),
        ("TEXT_FILE_DIGEST", "file", "c.sneaky"),
    ]
    # in a model's turn, the plugin's refusal is that call's error result
    [reply] = client.tools.handle_tool_calls(
        "u", completion(("c1", "TEXT_FILE_DIGEST", {"file": str(tmp_path / "a.secret")}))
    )
    assert "upload-gate" in json.loads(reply["content"])["error"]


class BrokenGate:
    composio_plugin_name = "broken-gate"

    @hookimpl
    def composio_before_file_upload(self, path: str) -> Any:
        raise RuntimeError("gate down")


def test_a_before_file_upload_hook_that_raises_fails_that_execution_naming_it(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("a")
    client = make(
        driver, server, auto_files=True, file_download_dir=tmp_path / "dl", plugins=[BrokenGate()]
    )
    with pytest.raises(ComposioError, match=r"broken-gate.*gate down"):
        client.tools.execute("TEXT_FILE_DIGEST", {"file": str(tmp_path / "a.txt")})
    assert server.requests_to(UPLOAD_REQUEST) == []


# -- downloads ---------------------------------------------------------------------------------
def test_a_downloadable_result_is_saved_under_file_download_dir(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    dl = tmp_path / "dl"
    client = make(driver, server, auto_files=True, file_download_dir=dl)
    first = client.tools.execute("TEXT_MAKE_FILE", {"text": "ab", "repeat": 3, "filename": "o.txt"})
    assert first.data == {"file": str(dl / "o.txt")}
    assert (dl / "o.txt").read_bytes() == b"ababab"
    assert oct((dl / "o.txt").stat().st_mode & 0o777) == oct(0o600)
    # a second file of the same name never replaces the first
    second = client.tools.execute("TEXT_MAKE_FILE", {"text": "cd", "filename": "o.txt"})
    assert second.data == {"file": str(dl / "o (1).txt")}
    assert (dl / "o.txt").read_bytes() == b"ababab"
    assert (dl / "o (1).txt").read_bytes() == b"cd"
    gets = [r for r in storage_requests(server) if r.method == "GET"]
    assert len(gets) == 2
    for get in gets:  # the storage URL is another origin: none of the SDK's headers
        assert_no_sdk_header(get.headers)


@pytest.mark.parametrize(
    "name",
    [
        "../../escaped.txt",
        "/etc/cron.d/evil",
        "..\\..\\windows.txt",
        "sub/dir/../../../up.txt",
        ".bashrc",
        "..",
        "a\x00b\nc.txt",
        "",
    ],
)
def test_a_server_file_name_never_writes_outside_file_download_dir(
    driver: Driver, server: LocalServer, tmp_path: Path, name: str
) -> None:
    dl = tmp_path / "a" / "b" / "dl"
    client = make(driver, server, auto_files=True, file_download_dir=dl)
    result = client.tools.execute("TEXT_MAKE_FILE", {"text": "payload", "filename": name})
    saved = Path(result.data["file"])
    assert saved.parent == dl and not saved.name.startswith(".")
    assert saved.read_bytes() == b"payload"
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert written == [saved]


def test_a_planted_symlink_in_the_download_dir_is_not_followed(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    dl = tmp_path / "dl"
    dl.mkdir()
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    (dl / "o.txt").symlink_to(target)
    client = make(driver, server, auto_files=True, file_download_dir=dl)
    result = client.tools.execute("TEXT_MAKE_FILE", {"text": "new", "filename": "o.txt"})
    assert result.data == {"file": str(dl / "o (1).txt")}
    assert target.read_text() == "keep me"


def test_a_download_over_the_size_cap_is_stopped_and_nothing_is_kept(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    dl = tmp_path / "dl"
    client = make(
        driver, server, auto_files=True, file_download_dir=dl, file_download_max_bytes=1000
    )
    with pytest.raises(APIError, match="file_download_max_bytes"):
        client.tools.execute("TEXT_MAKE_FILE", {"text": "0123456789", "repeat": 5000})
    assert list(dl.iterdir()) == []
    # the client stays usable, and a file under the cap arrives
    small = client.tools.execute("TEXT_MAKE_FILE", {"text": "0123456789", "repeat": 100})
    assert Path(small.data["file"]).stat().st_size == 1000


def test_keywords_are_checked_by_name(driver: Driver, server: LocalServer) -> None:
    for kw, value in (
        ("auto_files", "yes"),
        ("file_download_dir", 3),
        ("file_upload_deny", "~/.secrets"),
        ("file_download_max_bytes", 0),
    ):
        with pytest.raises(ValidationError, match=kw):
            driver.client(api_key="k", base_url=server.url, allow_tracking=False, **{kw: value})


# -- a raw API for what LocalServer cannot do: https + http storage URLs, 64 MiB bodies ------
class _FileAPI(_Storage):
    """One file tool (an upload argument, a download result) on the storage server of
    ``test_external_urls`` (a PUT is hashed, not kept); its blobs are ``blob_size`` zero
    bytes, served slice by slice."""

    def do_GET(self) -> None:
        owner: Any = self.server
        if self.path.startswith("/api/v3.1/tools/"):
            self._json(200, owner.tool)
            return
        size = owner.blob_size
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        zeros = bytes(1 << 16)
        while size:
            n = min(size, len(zeros))
            self.wfile.write(zeros[:n])
            size -= n
        owner.gets += 1

    def do_POST(self) -> None:
        if self.path == UPLOAD_REQUEST:
            super().do_POST()
            return
        owner: Any = self.server
        owner.executed.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        file = {"name": "big.bin", "mimetype": "application/octet-stream", "s3url": owner.blob_url}
        data = {"file": file, "more": owner.more}
        self._json(200, {"successful": True, "error": None, "data": data})


def _file_ref(mark: str, field: str) -> dict[str, Any]:
    return {"type": "object", mark: True, "properties": {field: {"type": "string"}}}


def file_api(storage: _StorageServer) -> _StorageServer:
    """``test_external_urls``' storage server (TLS or not) answering as :class:`_FileAPI`."""
    httpd = storage.httpd
    httpd.RequestHandlerClass = _FileAPI
    httpd.tool = {
        "slug": "FILE_TOOL",
        "toolkit": {"slug": "files", "name": "Files"},
        "input_parameters": {
            "type": "object",
            "properties": {
                "file": _file_ref("file_uploadable", "s3key"),
                "many": {"type": "array", "items": _file_ref("file_uploadable", "s3key")},
            },
        },
        "output_parameters": {
            "type": "object",
            "properties": {
                "data": {
                    "type": "object",
                    "properties": {
                        "file": _file_ref("file_downloadable", "s3url"),
                        "more": {"type": "array", "items": _file_ref("file_downloadable", "s3url")},
                    },
                }
            },
        },
    }
    httpd.put_url = f"{storage.url}/store/k1"
    httpd.blob_url = f"{storage.url}/blob/big.bin"
    httpd.blob_size = 10
    httpd.executed, httpd.gets, httpd.more = [], 0, []
    return storage


def files_client(driver: Driver, url: str, dl: Path, **kw: Any) -> Any:
    return driver.client(
        api_key="k", base_url=url, allow_tracking=False, auto_files=True, file_download_dir=dl, **kw
    )


def test_memory_is_flat_in_the_file_size_both_ways(driver: Driver, tmp_path: Path) -> None:
    """A 64 MiB sparse file uploaded and a 64 MiB result downloaded by one execution: the
    peak of traced Python memory stays a small fraction of either (the server in this
    process keeps nothing)."""
    size = 64 << 20
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(size)
    small = tmp_path / "small.bin"
    small.write_bytes(b"warm")
    dl = tmp_path / "dl"
    with _StorageServer() as storage:
        api = file_api(storage)
        client = files_client(driver, api.url, dl)
        client.tools.execute("FILE_TOOL", {"file": str(small)})  # pools, imports
        api.httpd.blob_size = size
        tracemalloc.start()
        try:
            result = client.tools.execute("FILE_TOOL", {"file": str(big)})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        client.close()
    whole = hashlib.md5(usedforsecurity=False)
    for _ in range(64):
        whole.update(bytes(1 << 20))
    assert api.httpd.puts[-1] == (size, size, whole.hexdigest())  # every byte arrived
    assert api.httpd.executed[-1]["arguments"]["file"]["s3key"] == "k1"
    saved = Path(result.data["file"])
    assert saved.parent == dl and saved.stat().st_size == size
    assert peak < size // 8, f"peak {peak / 2**20:.1f} MiB for 64 MiB each way"


@pytest.fixture
def https_api(https_storage: _StorageServer) -> _StorageServer:  # noqa: F811
    return file_api(https_storage)


def test_plain_http_storage_is_refused_both_ways_when_the_api_is_https(
    driver: Driver,
    https_api: _StorageServer,
    certificate: tuple[Path, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    (tmp_path / "a.txt").write_text("a")
    dl = tmp_path / "dl"
    with _StorageServer() as plain_storage:
        plain = file_api(plain_storage)
        client = files_client(driver, https_api.url, dl, verify=str(certificate[0]))
        # the upload: an http presigned URL is refused before the PUT
        https_api.httpd.put_url = f"{plain.url}/store/k1?X-Amz-Signature=s3cr3t-sig"
        with pytest.raises(APIError, match="https") as info:
            client.tools.execute("FILE_TOOL", {"file": str(tmp_path / "a.txt")})
        assert "s3cr3t-sig" not in str(info.value)
        assert plain.httpd.puts == [] and https_api.httpd.executed == []
        # the download: an http file URL is refused before the GET, and nothing is kept
        https_api.httpd.put_url = f"{https_api.url}/store/k1"
        https_api.httpd.blob_url = f"{plain.url}/blob/x.bin?X-Amz-Signature=s3cr3t-sig"
        with pytest.raises(APIError, match="https") as info:
            client.tools.execute("FILE_TOOL", {"file": str(tmp_path / "a.txt")})
        assert "s3cr3t-sig" not in str(info.value)
        assert plain.httpd.gets == 0
        assert list(dl.iterdir()) == []
        # https storage both ways works
        https_api.httpd.blob_url = f"{https_api.url}/blob/x.bin"
        result = client.tools.execute("FILE_TOOL", {"file": str(tmp_path / "a.txt")})
        assert Path(result.data["file"]).read_bytes() == bytes(10)
        client.close()


def test_a_tool_router_execution_gets_the_same_file_rules(
    driver: Driver, server: LocalServer, tmp_path: Path, home: Path
) -> None:
    """``tool_router.execute`` runs through the same path: the path is uploaded, a file
    result downloaded, a sensitive path refused naming the argument (nothing sent)."""
    (tmp_path / "a.txt").write_text("abc")
    dl = tmp_path / "dl"
    client = make(driver, server, auto_files=True, file_download_dir=dl)
    session = client.tool_router.create_session("alice", toolkits=["text"])
    sid = session.session_id
    done = client.tool_router.execute(sid, "TEXT_FILE_DIGEST", {"file": str(tmp_path / "a.txt")})
    assert done.error is None and done.data["size"] == 3
    made = client.tool_router.execute(sid, "TEXT_MAKE_FILE", {"text": "r", "filename": "r.txt"})
    assert made.data == {"file": str(dl / "r.txt")} and (dl / "r.txt").read_text() == "r"
    with pytest.raises(ValidationError, match="argument 'file'"):
        client.tool_router.execute(sid, "TEXT_FILE_DIGEST", {"file": "~/.aws/credentials"})
    assert len(server.requests_to(UPLOAD_REQUEST)) == 1


def test_a_failed_download_keeps_none_of_the_calls_files(driver: Driver, tmp_path: Path) -> None:
    """Several files in one result: the first is saved, a later one fails (its URL carries
    credentials) -- the call raises and neither file is left behind; without it, both save."""
    (tmp_path / "a.txt").write_text("a")
    dl = tmp_path / "dl"
    with _StorageServer() as storage:
        api = file_api(storage)
        client = files_client(driver, api.url, dl)
        bad = f"{api.url.replace('//', '//user:pw@')}/blob/b.bin"
        api.httpd.more = [{"name": "b.bin", "mimetype": "x/y", "s3url": bad}]
        with pytest.raises(APIError, match=r"more\[0\].*user-info"):
            client.tools.execute("FILE_TOOL", {"file": str(tmp_path / "a.txt")})
        assert api.httpd.gets == 1 and list(dl.iterdir()) == []  # the first one was removed
        api.httpd.more = [{"name": "c.bin", "mimetype": "x/y", "s3url": api.httpd.blob_url}]
        result = client.tools.execute("FILE_TOOL", {"file": str(tmp_path / "a.txt")})
        assert result.data["file"] == str(dl / "big.bin")
        assert result.data["more"] == [str(dl / "c.bin")]
        client.close()


def test_a_file_url_into_cloud_metadata_is_refused_before_any_connection(
    driver: Driver, tmp_path: Path
) -> None:
    """A server answering a download (or an upload URL) at the link-local metadata address:
    refused without a connection attempt, nothing saved; the client stays usable."""
    (tmp_path / "a.txt").write_text("a")
    dl = tmp_path / "dl"
    metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/role"
    with _StorageServer() as storage:
        api = file_api(storage)
        client = files_client(driver, api.url, dl)
        api.httpd.blob_url = metadata
        with pytest.raises(APIError, match="link-local"):
            client.tools.execute("FILE_TOOL", {"file": str(tmp_path / "a.txt")})
        assert list(dl.iterdir()) == []
        api.httpd.put_url = metadata
        with pytest.raises(APIError, match="link-local"):
            client.tools.execute("FILE_TOOL", {"file": str(tmp_path / "a.txt")})
        api.httpd.put_url, api.httpd.blob_url = f"{api.url}/store/k1", f"{api.url}/blob/ok.bin"
        assert client.tools.execute("FILE_TOOL", {"file": str(tmp_path / "a.txt")}).successful
        client.close()


class Suffix:
    """Rewrites ``path`` to ``path + suffix``: two instances chain (pluggy's order, last
    registered first), each seeing the previous one's output."""

    def __init__(self, suffix: str, seen: list[str]) -> None:
        self.composio_plugin_name = f"suffix{suffix}"
        self.suffix, self.seen = suffix, seen

    @hookimpl
    def composio_before_file_upload(self, path: str) -> str:
        self.seen.append(os.path.basename(path))
        return path + self.suffix


def test_before_file_upload_plugins_chain_in_pluggys_order(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    (tmp_path / "f.2.1").write_text("chained")
    seen: list[str] = []
    plugins = [Suffix(".1", seen), Suffix(".2", seen)]
    client = make(
        driver, server, auto_files=True, file_download_dir=tmp_path / "dl", plugins=plugins
    )
    result = client.tools.execute("TEXT_FILE_DIGEST", {"file": str(tmp_path / "f")})
    assert seen == ["f", "f.2"]  # the last registered first, the next one sees its output
    assert result.data is not None and (result.data["name"], result.data["size"]) == ("f.2.1", 7)
    assert [f.data for f in server.uploaded_files] == [b"chained"]


def test_parallel_downloads_of_one_name_never_share_a_file(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    dl = tmp_path / "dl"
    client = make(driver, server, auto_files=True, file_download_dir=dl)
    calls = [
        (f"c{i}", "TEXT_MAKE_FILE", {"text": str(i), "filename": "same.txt"}) for i in range(6)
    ]
    out = contents(client.tools.handle_tool_calls("u", completion(*calls), parallel=True))
    paths = [out[f"c{i}"]["file"] for i in range(6)]
    assert len(set(paths)) == 6 and all(Path(p).parent == dl for p in paths)
    assert [Path(p).read_text() for p in paths] == [str(i) for i in range(6)]


def test_after_execute_hooks_see_the_saved_path_and_judge_the_result_as_ever(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    """The downloads run before the after-execute modifiers and plugins (step 5b): they see
    the local path the model will read; a failure they make is raised as any tool failure."""
    from composio import ToolExecution, ToolExecutionError, after_execute

    seen: list[Any] = []

    @after_execute(tools=["TEXT_MAKE_FILE"])
    def watch(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        seen.append(dict(result.data or {}))
        return result

    @after_execute(tools=["TEXT_MAKE_FILE"])
    def veto(tool: str, toolkit: str, result: ToolExecution) -> ToolExecution:
        return ToolExecution(successful=False, data=result.data, error="vetoed by policy")

    dl = tmp_path / "dl"
    client = make(driver, server, auto_files=True, file_download_dir=dl)
    client.tools.execute("TEXT_MAKE_FILE", {"text": "w", "filename": "w.txt"}, modifiers=[watch])
    assert seen == [{"file": str(dl / "w.txt")}]
    with pytest.raises(ToolExecutionError, match="vetoed by policy") as info:
        client.tools.execute("TEXT_MAKE_FILE", {"text": "v", "filename": "v.txt"}, modifiers=[veto])
    assert info.value.result.data == {"file": str(dl / "v.txt")}


def test_a_tool_without_a_schema_is_judged_by_its_execution_as_before(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    """The schema lookup never fails an execution on its own: an unknown tool is still the
    unknown-tool answer (model) or ``NotFoundError`` (caller), from the execution itself."""
    from composio import NotFoundError

    client = make(driver, server, auto_files=True, file_download_dir=tmp_path / "dl")
    [reply] = client.tools.handle_tool_calls("u", completion(("c1", "NO_SUCH_TOOL", {"x": 1})))
    assert "unknown tool" in json.loads(reply["content"])["error"]
    with pytest.raises(NotFoundError):
        client.tools.execute("NO_SUCH_TOOL", {"x": 1})
    assert client.tools.execute("MATH_ADD", {"a": 1, "b": 2}).data == {"result": 3}


def test_one_call_uploads_or_downloads_at_most_64_files(driver: Driver, tmp_path: Path) -> None:
    """A model listing many paths, a server answering many files: refused before any byte."""
    (tmp_path / "a.txt").write_text("a")
    dl = tmp_path / "dl"
    with _StorageServer() as storage:
        api = file_api(storage)
        client = files_client(driver, api.url, dl)
        many = [str(tmp_path / "a.txt")] * 64  # with "file": 65
        with pytest.raises(ValidationError, match="65 files to upload"):
            client.tools.execute("FILE_TOOL", {"file": str(tmp_path / "a.txt"), "many": many})
        assert api.httpd.puts == [] and api.httpd.executed == []
        ref = {"name": "x.bin", "mimetype": "x/y", "s3url": api.httpd.blob_url}
        api.httpd.more = [ref] * 64  # with "file": 65
        with pytest.raises(APIError, match="65 files to download"):
            client.tools.execute("FILE_TOOL", {"file": str(tmp_path / "a.txt")})
        assert api.httpd.gets == 0 and not dl.exists()  # not even the directory was made
        client.close()


def test_the_storage_requests_are_never_traced_by_http_instrumentation(
    driver: Driver,
    server: LocalServer,
    otel: InMemorySpanExporter,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    """With the application's ``requests`` and ``aiohttp`` instrumentation on, the PUT and
    the GET to storage make no span (whose ``url.full`` would keep a presigned signature)
    and carry no ``traceparent``."""
    _instrumentation_is_live(server, otel)
    (tmp_path / "a.txt").write_text("traced?")
    client = make(driver, server, auto_files=True, file_download_dir=tmp_path / "dl")
    client.tools.execute("TEXT_FILE_DIGEST", {"file": str(tmp_path / "a.txt")})
    client.tools.execute("TEXT_MAKE_FILE", {"text": "t"})
    assert otel.get_finished_spans() == ()
    methods = sorted(r.method for r in storage_requests(server))
    assert methods == ["GET", "PUT"]
    for request in storage_requests(server):
        assert_no_sdk_header(request.headers)


def test_auto_files_follows_local_refs_to_file_parameters_and_cuts_ref_cycles(
    driver: Driver, server: LocalServer, tmp_path: Path
) -> None:
    """A file parameter defined once in ``$defs`` and referenced (``$ref: #/$defs/...``) was
    not found, so the local path was sent to the tool as a plain string."""
    from composio.testing import Fault

    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    client = make(driver, server, auto_files=True, file_download_dir=tmp_path / "dl")
    tool = client.with_raw_response.tools.retrieve("TEXT_FILE_DIGEST").http_response.json()
    file_schema = tool["input_parameters"]["properties"]["file"]
    tool["input_parameters"] = {
        "type": "object",
        "properties": {"file": {"$ref": "#/$defs/Attachment"}, "loop": {"$ref": "#/$defs/A"}},
        "required": ["file"],
        "$defs": {
            "Attachment": {"allOf": [{"$ref": "#/$defs/File"}]},
            "File": file_schema,
            "A": {"anyOf": [{"$ref": "#/$defs/B"}, {"$ref": "#"}]},  # cycles, no descent
            "B": {"$ref": "#/$defs/A"},
        },
    }
    server.fail_next("/api/v3/tools/TEXT_FILE_DIGEST", [Fault(status=200, body=tool)])
    result = client.tools.execute("TEXT_FILE_DIGEST", {"file": str(path), "loop": "x"})
    [stored] = server.uploaded_files
    assert stored.data == b"hello"
    [sent] = executed_arguments(server, "TEXT_FILE_DIGEST")
    assert sent["file"]["s3key"] == stored.key and sent["loop"] == "x"
    assert result.data["size"] == 5
