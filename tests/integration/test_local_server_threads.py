"""16 client threads drive the local server's stateful routes at once: every thread sees
exactly its own resources, nothing is lost or duplicated, and concurrent trigger firings
each arrive once, correctly signed."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import standardwebhooks

from composio.testing import LocalServer
from tests.integration._api import Api
from tests.integration._webhook_receiver import running_receiver

THREADS = 16
ROUNDS = 6
SECRET = "per-test secret"


def _in_threads(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in 16 threads released together; re-raise the first failure."""
    start = threading.Barrier(THREADS)

    def run(i: int) -> Any:
        start.wait(timeout=10)
        return work(i)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_sixteen_threads_each_see_exactly_their_own_state() -> None:
    with LocalServer(record=False) as server:

        def work(i: int) -> dict[str, Any]:
            api = Api(server, "/api/v3.1" if i % 2 else "/api/v3")
            user = f"user-{i}"
            made: dict[str, Any] = {"accounts": [], "triggers": [], "mcp": []}
            try:
                for r in range(ROUNDS):
                    ac = api.managed_auth_config("github")
                    linked = api.link(ac, user)
                    assert api.browser(linked["redirect_url"]).status_code == 200
                    account = linked["connected_account_id"]
                    made["accounts"].append(account)
                    trigger = api(
                        "POST",
                        "/trigger_instances/GITHUB_STAR_ADDED_EVENT/upsert",
                        json={
                            "connected_account_id": account,
                            "trigger_config": {"owner": user, "repo": str(r)},
                        },
                    )["trigger_id"]
                    made["triggers"].append(trigger)
                    made["mcp"].append(
                        api(
                            "POST",
                            "/mcp/servers",
                            201,
                            json={"name": f"srv {i} {r}", "auth_config_ids": [ac]},
                        )["id"]
                    )
                    data = f"{user}/{r}".encode()
                    ticket = api(
                        "POST",
                        "/files/upload/request",
                        json={
                            "toolkit_slug": "gmail",
                            "tool_slug": "GMAIL_SEND_EMAIL",
                            "filename": f"{user}-{r}.txt",
                            "mimetype": "text/plain",
                            "md5": hashlib.md5(data).hexdigest(),
                        },
                    )
                    assert api.http.put(ticket["new_presigned_url"], data=data).status_code == 200
                    # what this user sees is exactly what this thread made
                    mine = api(
                        "GET", "/connected_accounts", params={"user_ids": user, "limit": 100}
                    )
                    assert sorted(a["id"] for a in mine["items"]) == sorted(made["accounts"])
                    assert all(a["status"] == "ACTIVE" for a in mine["items"])
                    active = api(
                        "GET",
                        "/trigger_instances/active",
                        params={"connected_account_ids": made["accounts"], "limit": 100},
                    )
                    assert sorted(t["id"] for t in active["items"]) == sorted(made["triggers"])
                return made
            finally:
                api.close()

        results = _in_threads(work)
        accounts = [a for r in results for a in r["accounts"]]
        triggers = [t for r in results for t in r["triggers"]]
        servers = [s for r in results for s in r["mcp"]]
        total = THREADS * ROUNDS
        assert len(set(accounts)) == len(set(triggers)) == len(set(servers)) == total
        api = Api(server)
        everything = api("GET", "/connected_accounts", params={"limit": 1000})
        assert everything["total_items"] == total
        assert api("GET", "/auth_configs", params={"limit": 1000})["total_items"] == total
        assert len(server.uploaded_files) == total
        api.close()


def test_concurrent_fire_trigger_delivers_each_event_once_and_signed() -> None:
    with (
        running_receiver() as receiver,
        LocalServer(webhook_url=receiver.url, webhook_secret=SECRET) as server,
    ):
        api = Api(server)
        account = api.active_account("alice")
        trigger = api(
            "POST",
            "/trigger_instances/GITHUB_STAR_ADDED_EVENT/upsert",
            json={"connected_account_id": account, "trigger_config": {"owner": "o", "repo": "r"}},
        )["trigger_id"]
        api.close()
        statuses = _in_threads(lambda i: server.fire_trigger(trigger, {"n": i}))
        assert statuses == [200] * THREADS
        seen = []
        verifier = standardwebhooks.Webhook(SECRET.encode())
        for headers, body in receiver.received:
            seen.append(verifier.verify(body, headers)["data"]["n"])
        assert sorted(seen) == list(range(THREADS))
        assert len({h["webhook-id"] for h, _ in receiver.received}) == THREADS
