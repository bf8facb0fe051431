"""Check the vendor's ``composio`` SDK (from PyPI) against our ``composio dev-server``.

Why a script and not a test: the vendor's SDK imports as ``composio``, the same name as
ours, so the two cannot be installed in one environment. This script builds a throw-away
venv, installs the pinned vendor release into it, starts our dev-server from the project's
own environment, and runs a small driver program with the vendor venv's Python that walks
the flows a new user meets first. One line per flow (``PASS name`` / ``FAIL name: reason``);
the exit status is non-zero when any flow fails. It downloads from PyPI, so it is not part
of CI (docs/testing.md, "Checking the vendor's SDK against LocalServer").

Usage: ``python scripts/vendor_sdk_check.py [--vendor-version 0.30.0] [--keep]``
(run it with the project's venv Python: that is where the dev-server comes from).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import venv
from pathlib import Path

#: The vendor release these flows were last checked against.
VENDOR_VERSION = "0.30.0"

#: Runs inside the vendor venv: the only ``composio`` importable there is the vendor's.
DRIVER = r"""
import os
import sys
import traceback
import urllib.request

from composio import Composio, exceptions

USER = "vendor-check-user"
failed = False


def flow(name):
    def run(fn):
        global failed
        try:
            fn()
        except Exception as exc:  # one broken flow must not hide the others
            failed = True
            reason = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:400]
            print(f"FAIL {name}: {reason}", flush=True)
            if os.environ.get("VENDOR_CHECK_TRACEBACK"):
                traceback.print_exc()
        else:
            print(f"PASS {name}", flush=True)
        return fn

    return run


def check(condition, what):
    if not condition:
        raise AssertionError(what)


composio = Composio(allow_tracking=False)  # COMPOSIO_BASE_URL / COMPOSIO_API_KEY from env


@flow("toolkits.get lists the catalog")
def _():
    slugs = {kit.slug for kit in composio.toolkits.get()}
    check({"text", "math", "github"} <= slugs, f"toolkits missing from {sorted(slugs)}")


@flow("tools.get_raw_composio_tools lists a toolkit's tools")
def _():
    slugs = {tool.slug for tool in composio.tools.get_raw_composio_tools(toolkits=["text"])}
    check("TEXT_UPPERCASE" in slugs, f"TEXT_UPPERCASE missing from {sorted(slugs)}")


@flow("tools.execute runs a no-auth tool")
def _():
    result = composio.tools.execute(
        "TEXT_UPPERCASE", {"text": "hello"}, user_id=USER, dangerously_skip_version_check=True
    )
    check(result["successful"], f"not successful: {result}")
    check(result["data"].get("result") == "HELLO", f"unexpected data: {result['data']}")


@flow("tools.execute: user not connected")
def _():
    try:
        result = composio.tools.execute(
            "GITHUB_GET_REPO",
            {"owner": "octocat", "repo": "hello-world"},
            user_id=USER,
            dangerously_skip_version_check=True,
        )
    except Exception as exc:
        message = str(exc)
    else:
        check(not result["successful"], f"ran without a connected account: {result}")
        message = str(result.get("error"))
    check("no connected account" in message.lower(), f"not a 'not connected' error: {message}")


@flow("toolkits.authorize: managed-OAuth refusal recognised")
def _():
    try:
        composio.toolkits.authorize(user_id=USER, toolkit="github")
    except exceptions.ComposioLegacyConnectedAccountsEndpointRetiredError as exc:
        check("/api/v3/connected_accounts/link" in str(exc), f"no link path in: {exc}")
    else:
        raise AssertionError("authorize() succeeded; the managed-OAuth refusal was expected")


@flow("connected_accounts.link connects the user")
def _():
    configs = composio.auth_configs.list(toolkit_slug="github").items
    check(configs, "no github auth config (authorize() creates one)")
    request = composio.connected_accounts.link(USER, configs[0].id)
    check(request.redirect_url, f"no redirect_url: {request}")
    with urllib.request.urlopen(request.redirect_url, timeout=10) as answer:  # the user's click
        check(answer.status == 200, f"connect page answered {answer.status}")
    account = composio.connected_accounts.wait_for_connection(request.id, timeout=10)
    check(account.status == "ACTIVE", f"account is {account.status}")


@flow("triggers.create(slug, user_id=...) upserts by user")
def _():
    created = composio.triggers.create(
        "GITHUB_STAR_ADDED_EVENT",
        user_id=USER,
        trigger_config={"owner": "octocat", "repo": "hello-world"},
    )
    check(created.trigger_id, f"no trigger_id: {created}")
    active = composio.triggers.list_active(trigger_ids=[created.trigger_id])
    check(
        [item.id for item in active.items] == [created.trigger_id],
        f"list_active does not show {created.trigger_id}: {active.items}",
    )


@flow("composio.create(user_id=...) tool-router session")
def _():
    session = composio.create(user_id=USER)
    check(session.session_id, f"no session_id: {session}")
    again = composio.use(session.session_id)
    check(again.session_id == session.session_id, "use() reattached another session")


@flow("session.search / session.execute in a tool-router session")
def _():
    session = composio.create(user_id=USER)
    found = session.search(query="uppercase text")
    slugs = {slug for result in found.results for slug in result.primary_tool_slugs or ()}
    check("TEXT_UPPERCASE" in slugs, f"search did not find TEXT_UPPERCASE: {slugs}")
    result = session.execute("TEXT_UPPERCASE", arguments={"text": "hi"})
    check(result.data.get("result") == "HI", f"unexpected execute answer: {result}")


sys.exit(1 if failed else 0)
"""

_BANNER = re.compile(r"^\s*(COMPOSIO_BASE_URL|COMPOSIO_API_KEY)=(\S+)")


def _python(venv_dir: Path) -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    return venv_dir / scripts / ("python.exe" if os.name == "nt" else "python")


def _make_vendor_venv(venv_dir: Path, version: str) -> Path:
    """A venv holding only the vendor's release (and what it requires)."""
    venv.EnvBuilder(with_pip=True).create(venv_dir)
    python = _python(venv_dir)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"composio=={version}"],
        check=True,
    )
    return python


def _start_dev_server() -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Our ``composio dev-server`` on a free port; its banner says where and with which key."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "composio.cli", "dev-server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    found: dict[str, str] = {}
    for line in proc.stdout:  # the banner ends with the telemetry line
        match = _BANNER.match(line)
        if match:
            found[match.group(1)] = match.group(2)
        if line.startswith("Telemetry:"):
            break
    if len(found) != 2:
        proc.kill()
        raise SystemExit(f"dev-server banner lacked COMPOSIO_BASE_URL/COMPOSIO_API_KEY: {found}")
    # Keep draining stdout so the server never blocks on a full pipe.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendor-version", default=VENDOR_VERSION)
    parser.add_argument("--keep", action="store_true", help="keep the temporary venv")
    args = parser.parse_args()
    try:  # the vendor's composio has no ``testing`` package; a bare Python has no composio
        ours = importlib.util.find_spec("composio.testing") is not None
    except ModuleNotFoundError:
        ours = False
    if not ours:
        raise SystemExit(
            f"{sys.executable} has no composio-pipeline installed: run this script with the "
            "project's venv Python (pip install -e '.[dev]'), which serves the dev-server"
        )

    tmp = Path(tempfile.mkdtemp(prefix="vendor-sdk-check-"))
    server = None
    try:
        print(f"installing composio=={args.vendor_version} into {tmp / 'venv'}", flush=True)
        python = _make_vendor_venv(tmp / "venv", args.vendor_version)
        server, env = _start_dev_server()
        print(f"dev-server on {env['COMPOSIO_BASE_URL']}", flush=True)
        driver_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("COMPOSIO_", "PYTHON"))
        }
        driver_env.update(env, COMPOSIO_DISABLE_TELEMETRY="1")
        driver_env["VENDOR_CHECK_TRACEBACK"] = os.environ.get("VENDOR_CHECK_TRACEBACK", "")
        # cwd is the temp dir so that no checkout's ``composio`` shadows the vendor's.
        done = subprocess.run([str(python), "-c", DRIVER], env=driver_env, cwd=tmp)
        return done.returncode
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
