"""The pure rules of ``auto_files`` (SPEC §18): server-given file names, internal addresses
(a download or a redirect hop into the network the SDK runs in), the sensitive-path rule on
names it cannot see through a symlink (``..`` collapsed before resolving)."""

from __future__ import annotations

from pathlib import Path

import pytest

from composio._ops.auto_files import FilePolicy, refusal, safe_name
from composio._wire import RedirectRefused, internal_address, redirect_target

POLICY = FilePolicy(True, None, (), 1 << 30)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        (".bashrc", "bashrc"),
        ("..", "download"),
        ("", "download"),
        (None, "download"),
        ("a\x00b\u202ec.txt", "abc.txt"),
        ('con:"x"?.txt', "conx.txt"),
    ],
)
def test_a_server_file_name_becomes_a_bare_visible_name(given: object, expected: str) -> None:
    assert safe_name(given) == expected


def test_a_long_name_fits_a_file_system_name_with_its_extension() -> None:
    name = safe_name("é" * 300 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= 120
    assert len(safe_name("a" * 1000).encode()) == 120


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://127.0.0.1:9/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://0x7f.0.0.1/", "loopback"),
        ("http://0.0.0.0/", "loopback"),
        ("http://localhost:8/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.1/", "private"),
        ("https://bucket.s3.amazonaws.com/k", None),
        ("https://8.8.8.8/", None),
    ],
)
def test_internal_addresses_are_recognised_in_every_spelling(url: str, kind: str | None) -> None:
    assert internal_address(url) == kind


def test_a_redirect_from_a_public_host_into_the_local_network_is_refused() -> None:
    for target in ("http://127.0.0.1/x", "http://169.254.169.254/", "http://10.0.0.5/"):
        with pytest.raises(RedirectRefused, match="public host"):
            redirect_target("http://files.example.com/a", target, 0)
    # a loopback server redirecting within loopback (a local deployment, the tests) is fine
    assert redirect_target("http://127.0.0.1:5/a", "http://localhost:6/b", 0)
    with pytest.raises(RedirectRefused, match="link-local"):
        redirect_target("http://127.0.0.1:5/a", "http://169.254.169.254/", 0)


def test_dot_dot_is_collapsed_before_symlinks_are_followed(tmp_path: Path) -> None:
    """``a/link/../x``: the kernel would walk into the link's target; the rule reads the
    same path the upload opens (``..`` collapsed first, then resolved), so what is checked
    is what is read."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("k")
    (tmp_path / "link").symlink_to(home / ".ssh")
    assert refusal(str(tmp_path / "link" / "id_rsa"), POLICY) is not None
    assert refusal(str(tmp_path / "link" / ".." / "free.txt"), POLICY) is None


def test_the_opened_file_is_judged_by_the_path_the_kernel_opened(tmp_path: Path) -> None:
    """The second look after the open: a file reached through a directory that became a
    symlink into ``.ssh`` reports the ``.ssh`` path, which the rule refuses."""
    import os

    from composio._ops.auto_files import _path_of

    secret = tmp_path / "home" / ".ssh"
    secret.mkdir(parents=True)
    (secret / "id_rsa").write_text("k")
    (tmp_path / "innocent").symlink_to(secret)
    fd = os.open(tmp_path / "innocent" / "id_rsa", os.O_RDONLY)
    try:
        opened = _path_of(fd)
    finally:
        os.close(fd)
    if opened is None:
        pytest.skip("this platform cannot tell an open file's path")
    assert opened == str(secret / "id_rsa")
    assert refusal(opened, POLICY) is not None


def test_a_cancelled_disk_step_releases_what_its_thread_made() -> None:
    """An async call cancelled while a flow's ``Blocking`` step runs in its worker thread:
    the thread finishes (it cannot be stopped) and the step's ``undo`` gets its value -- the
    open upload or the created download is not left behind."""
    import asyncio
    import threading

    from composio._operation import Blocking
    from composio.async_client import _blocking_step

    started, release = threading.Event(), threading.Event()
    undone: list[str] = []

    def make() -> str:
        started.set()
        release.wait(10)
        return "made"

    async def main() -> None:
        undone_now = asyncio.Event()

        def undo(value: str) -> None:
            undone.append(value)
            undone_now.set()

        task = asyncio.ensure_future(_blocking_step(Blocking(make, undo=undo)))
        await asyncio.to_thread(started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert undone == []  # the thread is still running
        release.set()
        await asyncio.wait_for(undone_now.wait(), 10)  # once the thread has returned
        assert undone == ["made"]

    asyncio.run(main())
