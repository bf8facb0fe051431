"""``composio triggers listen`` as a real subprocess on a loopback port: signed deliveries
are printed and answered 204, tampered ones get one ``rejected`` line and 400, SIGINT stops
it, and the secret never reaches its output -- not even when a delivery carries it."""

from __future__ import annotations

import base64
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from composio.webhooks import sign_webhook

KEY = b"LISTEN-SENTINEL-KEY-" + bytes(range(12))
SECRET = "whsec_" + base64.b64encode(KEY).decode()
FORBIDDEN = (SECRET, SECRET[6:], KEY.decode("latin-1"), KEY.hex())
BODY = json.dumps(
    {
        "type": "composio.trigger.message",
        "metadata": {
            "trigger_slug": "GITHUB_STAR_ADDED_EVENT",
            "trigger_id": "ti_1",
            "user_id": "user-1",
            "connected_account_id": "ca_1",
        },
        "data": {"stars": 1},
    }
).encode()
WAIT = 15.0  # generous bound that proves "did not hang"; never a synchronisation sleep


@dataclass
class Listener:
    child: subprocess.Popen[str]
    url: str = ""
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def next_line(self) -> str:
        line = self.lines.get(timeout=WAIT)
        self.seen.append(line)
        return line

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        self.child.send_signal(sig)
        code = self.child.wait(timeout=WAIT)
        rest = []
        while True:
            try:
                rest.append(self.lines.get(timeout=WAIT))
            except queue.Empty:
                break
            if rest[-1] == "\0eof":
                rest.pop()
                break
        assert self.child.stderr is not None
        return code, "\n".join(self.seen + rest), self.child.stderr.read()


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell does for a background job


def start(*args: str, secret: str | None = SECRET, sigint_ignored: bool = False) -> Listener:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSIO_")}
    env["COMPOSIO_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if secret is not None:
        env["COMPOSIO_WEBHOOK_SECRET"] = secret
    child = subprocess.Popen(
        [sys.executable, "-m", "composio.cli", "triggers", "listen", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=_ignore_sigint if sigint_ignored else None,
    )  # fmt: skip
    listener = Listener(child)

    def pump() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            listener.lines.put(line.rstrip("\n"))
        listener.lines.put("\0eof")

    threading.Thread(target=pump, daemon=True).start()
    first = listener.next_line()
    assert first.startswith("Listening for webhook deliveries on http://127.0.0.1:"), first
    listener.url = first.split(" on ", 1)[1].split()[0]
    assert listener.next_line() == "Ctrl-C stops."
    return listener


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    running = start()
    try:
        yield running
        code, out, err = running.stop()
        assert code == 0 and out.endswith("stopped"), (code, out, err)
        for text in (out, err):
            assert not any(value in text for value in FORBIDDEN), "secret leaked"
    finally:
        running.child.kill()
        running.child.wait(timeout=WAIT)


def post(listener: Listener, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(listener.url + "hooks/composio", data=body, headers=headers, timeout=WAIT)


def test_a_signed_delivery_is_printed_and_answered_204(listener: Listener) -> None:
    headers = sign_webhook(BODY, SECRET, webhook_id="msg_ok_1")
    answer = post(listener, BODY, headers)
    assert answer.status_code == 204
    assert listener.next_line() == "event msg_ok_1 GITHUB_STAR_ADDED_EVENT user=user-1 account=ca_1"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("tampered-body", "no_valid_signature"),
        ("wrong-secret", "no_valid_signature"),
        ("stale", "timestamp_too_old"),
        ("no-id", "missing_header"),
        ("not-json", "not_json"),
    ],
)
def test_a_rejected_delivery_is_one_line_and_400(
    listener: Listener, case: str, reason: str
) -> None:
    body, headers = BODY, sign_webhook(BODY, SECRET)
    if case == "tampered-body":
        body = BODY.replace(b"user-1", b"user-2")
    elif case == "wrong-secret":
        headers = sign_webhook(BODY, "whsec_" + base64.b64encode(b"another key").decode())
    elif case == "stale":
        headers = sign_webhook(BODY, SECRET, timestamp=1_700_000_000)
    elif case == "no-id":
        del headers["webhook-id"]
    elif case == "not-json":
        body = b"<xml/>"
        headers = sign_webhook(body, SECRET)
    answer = post(listener, body, headers)
    assert (answer.status_code, answer.text.strip()) == (400, reason)
    line = listener.next_line()
    assert line.startswith(f"rejected: {reason}: Webhook verification failed: "), line


def test_deliveries_carrying_the_secret_never_make_it_print_it(listener: Listener) -> None:
    """A rejected delivery's id, body and headers are never echoed."""
    echo = json.dumps({"secret": SECRET, "key": KEY.hex()}).encode()
    for body, headers in [
        (echo, {**sign_webhook(BODY, SECRET), "webhook-id": SECRET}),
        (echo, {**sign_webhook(echo, SECRET), "webhook-timestamp": SECRET}),
        (b"[" + echo, sign_webhook(b"[" + echo, SECRET)),
    ]:
        assert post(listener, body, headers).status_code == 400
        line = listener.next_line()
        assert line.startswith("rejected: ") and not any(v in line for v in FORBIDDEN)


def test_event_values_are_printed_on_one_line(listener: Listener) -> None:
    body = json.dumps(
        {"type": "composio.trigger.message", "metadata": {"user_id": "a\nevent forged"}}
    ).encode()
    assert post(listener, body, sign_webhook(body, SECRET, webhook_id="msg_nl")).status_code == 204
    assert listener.next_line() == "event msg_nl - user=a\\nevent forged account=-"


def test_other_methods_and_bad_framing(listener: Listener) -> None:
    answer = requests.get(listener.url, timeout=WAIT)
    assert (answer.status_code, answer.headers["allow"]) == (405, "POST")
    host, port = listener.url.removeprefix("http://").rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=WAIT) as sock:
        # A huge declared body is refused before a byte of it is read.
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
        reply = sock.makefile("rb").readline()
    assert reply.startswith(b"HTTP/1.1 413")
    assert listener.next_line().startswith("rejected: too_large: 99999999999 bytes")
    with socket.create_connection((host, int(port)), timeout=WAIT) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        reply = sock.makefile("rb").readline()
    assert reply.startswith(b"HTTP/1.1 411")
    assert listener.next_line().startswith("rejected: length_required")


def test_secret_from_the_command_line_is_not_printed_either() -> None:
    running = start("--secret", SECRET, "--tolerance", "none", secret=None)
    try:
        assert "(secret from --secret)" in running.seen[0]
        headers = sign_webhook(BODY, SECRET, webhook_id="msg_cli", timestamp=1_000)
        assert post(running, BODY, headers).status_code == 204  # tolerance none: old is fine
        assert running.next_line().startswith("event msg_cli ")
        code, out, err = running.stop(signal.SIGTERM)
    finally:
        running.child.kill()
    assert code == 0 and out.endswith("stopped")
    assert not any(value in out + err for value in FORBIDDEN)


def test_sigint_stops_it_even_when_inherited_as_ignored() -> None:
    running = start(sigint_ignored=True)
    try:
        code, out, _ = running.stop(signal.SIGINT)
    finally:
        running.child.kill()
    assert code == 0 and out.endswith("stopped")


@pytest.mark.parametrize(
    ("secret", "message"),
    [(None, "No webhook secret: set COMPOSIO_WEBHOOK_SECRET"), ("whsec_" + "!" * 30, "base64")],
)
def test_a_missing_or_unusable_secret_is_one_line_and_exit_1(
    secret: str | None, message: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSIO_")}
    if secret is not None:
        env["COMPOSIO_WEBHOOK_SECRET"] = secret
    proc = subprocess.run(
        [sys.executable, "-m", "composio.cli", "triggers", "listen", "--port", "0"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and message in proc.stderr
    if secret is not None:
        assert secret not in proc.stderr and secret[6:] not in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--tolerance", "-3"], "seconds >= 0 or 'none'"), (["--port", "70000"], "0-65535")],
)
def test_bad_options_are_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from composio.cli import main

    with pytest.raises(SystemExit) as info:
        main(["triggers", "listen", *args])
    assert info.value.code == 2 and message in capsys.readouterr().err
