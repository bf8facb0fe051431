"""The local server's auth configs and connected accounts over real loopback HTTP: the
redirect flow a browser drives, the "use link" refusal, filters and paging, both prefixes."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from composio.testing import LocalServer
from tests.integration._api import Api


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture(params=["/api/v3.1", "/api/v3"])
def api(server: LocalServer, request: pytest.FixtureRequest) -> Iterator[Api]:
    caller = Api(server, request.param)
    yield caller
    caller.close()


def test_link_then_browser_visit_activates_and_redirects_to_the_callback(
    server: LocalServer, api: Api
) -> None:
    ac = api.managed_auth_config()
    linked = api.link(ac, "alice", callback_url="https://app.example.com/done?from=test")
    account_id = linked["connected_account_id"]
    assert urlsplit(linked["redirect_url"]).netloc == urlsplit(server.url).netloc
    assert api("GET", f"/connected_accounts/{account_id}")["status"] == "INITIATED"

    visit = api.browser(linked["redirect_url"])
    assert visit.status_code == 302
    target = urlsplit(visit.headers["Location"])
    assert (target.netloc, target.path) == ("app.example.com", "/done")
    assert parse_qs(target.query) == {
        "from": ["test"],
        "status": ["success"],
        "connected_account_id": [account_id],
    }
    account = api("GET", f"/connected_accounts/{account_id}")
    assert account["status"] == "ACTIVE"
    assert account["state"]["val"]["status"] == "ACTIVE"
    assert account["state"]["val"]["access_token"]
    # the browser's visit carried no key and still worked: the link is the capability
    assert server.requests[-2].header("x-api-key") is None


def test_error_in_the_redirect_marks_the_account_failed(server: LocalServer, api: Api) -> None:
    linked = api.link(api.managed_auth_config(), "bob", callback_url="https://app.example.com/cb")
    visit = api.browser(linked["redirect_url"], error="access_denied")
    assert visit.status_code == 302
    query = parse_qs(urlsplit(visit.headers["Location"]).query)
    assert query["status"] == ["failed"] and query["error"] == ["access_denied"]
    account = api("GET", f"/connected_accounts/{linked['connected_account_id']}")
    assert (account["status"], account["status_reason"]) == ("FAILED", "access_denied")


def test_a_second_visit_changes_nothing_and_an_unknown_link_is_404(api: Api) -> None:
    linked = api.link(api.managed_auth_config(), "carol")
    first = api.browser(linked["redirect_url"])
    assert first.status_code == 200 and "ACTIVE" in first.text
    again = api.browser(linked["redirect_url"], error="too_late")
    assert again.status_code == 200
    assert api("GET", f"/connected_accounts/{linked['connected_account_id']}")["status"] == "ACTIVE"
    bogus = api.browser(linked["redirect_url"] + "x")
    assert bogus.status_code == 404


def test_initiate_refuses_managed_oauth_and_says_use_link(api: Api) -> None:
    ac = api.managed_auth_config()
    body = api(
        "POST",
        "/connected_accounts",
        400,
        json={"auth_config": {"id": ac}, "connection": {"user_id": "u"}},
    )
    assert "connected_accounts/link" in body["error"]["message"]
    assert "link" in body["error"]["suggested_fix"]
    assert body["error"]["status"] == 400
    assert api("GET", "/connected_accounts")["items"] == []  # nothing was created


def test_initiate_on_custom_oauth_starts_initiated_with_a_local_redirect(
    server: LocalServer, api: Api
) -> None:
    made = api(
        "POST",
        "/auth_configs",
        201,
        json={
            "toolkit": {"slug": "slack"},
            "auth_config": {"type": "use_custom_auth", "authScheme": "OAUTH2", "credentials": {}},
        },
    )
    ac = made["auth_config"]["id"]
    assert made["auth_config"]["is_composio_managed"] is False
    started = api(
        "POST",
        "/connected_accounts",
        201,
        json={"auth_config": {"id": ac}, "connection": {"user_id": "dave"}},
    )
    assert started["status"] == "INITIATED"
    assert started["redirect_url"].startswith(server.url + "/_local/connect/")
    assert server.complete_connection(started["id"]) == "ACTIVE"
    assert api("GET", f"/connected_accounts/{started['id']}")["status"] == "ACTIVE"


def test_api_key_credentials_given_make_the_account_active_at_once(api: Api) -> None:
    made = api(
        "POST",
        "/auth_configs",
        201,
        json={
            "toolkit": {"slug": "gmail"},
            "auth_config": {"type": "use_custom_auth", "authScheme": "API_KEY"},
        },
    )
    config_id = made["auth_config"]["id"]

    def initiate(connection: dict[str, object]) -> dict[str, object]:
        body = {"auth_config": {"id": config_id}, "connection": connection}
        return dict(api("POST", "/connected_accounts", 201, json=body))

    state = {"authScheme": "API_KEY", "val": {"status": "ACTIVE", "api_key": "k-1"}}
    started = initiate({"user_id": "erin", "state": state})
    assert (started["status"], started["redirect_url"]) == ("ACTIVE", None)
    legacy = initiate({"user_id": "erin", "data": {"api_key": "k-2"}})
    assert legacy["status"] == "ACTIVE"  # the deprecated ``data`` still carries credentials
    waiting = initiate({"user_id": "e"})
    assert waiting["status"] == "INITIATED" and waiting["redirect_url"]  # no key yet: a form


def test_complete_connection_helper(server: LocalServer, api: Api) -> None:
    linked = api.link(api.managed_auth_config(), "frank")
    account_id = linked["connected_account_id"]
    assert server.complete_connection(account_id, error="consent_revoked") == "FAILED"
    assert server.complete_connection(account_id) == "FAILED"  # past INITIATED: unchanged
    with pytest.raises(KeyError, match="ca_missing"):
        server.complete_connection("ca_missing")


def test_list_filters_and_cursor_paging(server: LocalServer, api: Api) -> None:
    gh, gm = api.managed_auth_config("github"), api.managed_auth_config("gmail")
    ids = {}
    for user in ("u1", "u2", "u3"):
        for ac in (gh, gm):
            ids[(user, ac)] = api.link(ac, user)["connected_account_id"]
    server.complete_connection(ids[("u1", gh)])
    server.complete_connection(ids[("u2", gm)], error="nope")

    def listed(**params: object) -> list[str]:
        return [a["id"] for a in api("GET", "/connected_accounts", params=params)["items"]]

    assert set(listed(user_ids="u1")) == {ids[("u1", gh)], ids[("u1", gm)]}
    assert set(listed(user_ids=["u1", "u2"], toolkit_slugs="gmail")) == {
        ids[("u1", gm)],
        ids[("u2", gm)],
    }
    assert listed(statuses="ACTIVE") == [ids[("u1", gh)]]
    assert listed(statuses=["FAILED"], auth_config_ids=gm) == [ids[("u2", gm)]]
    assert listed(connected_account_ids=ids[("u3", gh)]) == [ids[("u3", gh)]]
    # newest first by default, oldest first on request
    everything = listed(limit=100)
    assert everything == listed(order_direction="asc", limit=100)[::-1]
    # the cursor walks every account exactly once
    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = api("GET", "/connected_accounts", params=params)
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == everything and len(seen) == 6


def test_v3_1_statuses_are_tolerated(server: LocalServer, api: Api) -> None:
    account_id = api.active_account("gina")
    server.set_connection_status(account_id, "REVOKED")
    assert api("GET", "/connected_accounts", params={"statuses": "REVOKED"})["items"][0]["id"] == (
        account_id
    )
    assert api("GET", f"/connected_accounts/{account_id}")["status"] == "REVOKED"
    with pytest.raises(ValueError, match="BOGUS"):
        server.set_connection_status(account_id, "BOGUS")


def test_enable_disable_refresh_delete(server: LocalServer, api: Api) -> None:
    account_id = api.active_account("hank")
    api("PATCH", f"/connected_accounts/{account_id}/status", json={"enabled": False})
    assert api("GET", f"/connected_accounts/{account_id}")["is_disabled"] is True
    api("PATCH", f"/connected_accounts/{account_id}/status", json={"enabled": True})
    assert api("GET", f"/connected_accounts/{account_id}")["is_disabled"] is False
    refreshed = api("POST", f"/connected_accounts/{account_id}/refresh")
    assert refreshed["status"] == "INITIATED" and refreshed["redirect_url"]
    assert api.browser(refreshed["redirect_url"]).status_code == 200
    assert api("GET", f"/connected_accounts/{account_id}")["status"] == "ACTIVE"
    assert api("DELETE", f"/connected_accounts/{account_id}") == {"success": True}
    api("GET", f"/connected_accounts/{account_id}", 404)


def test_auth_config_lifecycle_and_filters(api: Api) -> None:
    gh = api.managed_auth_config("github")
    custom = api(
        "POST",
        "/auth_configs",
        201,
        json={
            "toolkit": {"slug": "gmail"},
            "auth_config": {"type": "use_custom_auth", "authScheme": "BASIC", "name": "Mine"},
        },
    )["auth_config"]["id"]

    def listed(**params: object) -> list[str]:
        return [c["id"] for c in api("GET", "/auth_configs", params=params)["items"]]

    assert listed() == [gh, custom]
    assert listed(toolkit_slug="gmail") == [custom]
    assert listed(is_composio_managed="true") == [gh]
    assert listed(is_composio_managed="false") == [custom]
    first = api("GET", "/auth_configs", params={"limit": 1})
    second = api("GET", "/auth_configs", params={"limit": 1, "cursor": first["next_cursor"]})
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [gh, custom]
    assert second["next_cursor"] is None

    api("PATCH", f"/auth_configs/{custom}/DISABLED")
    assert listed() == [gh]  # show_disabled defaults to false, as the spec says
    assert listed(show_disabled="true") == [gh, custom]
    assert api("GET", f"/auth_configs/{custom}")["status"] == "DISABLED"
    api("POST", "/connected_accounts/link", 400, json={"auth_config_id": custom, "user_id": "u"})
    api("PATCH", f"/auth_configs/{custom}/ENABLED")

    updated = api(
        "PATCH",
        f"/auth_configs/{custom}",
        json={
            "type": "custom",
            "credentials": {"username": "x"},
            "restrict_to_following_tools": ["GMAIL_SEND_EMAIL"],
        },
    )
    assert updated["restrict_to_following_tools"] == ["GMAIL_SEND_EMAIL"]
    api("PATCH", f"/auth_configs/{custom}", 400, json={"type": "default"})  # wrong kind

    account = api.link(gh, "ivy")["connected_account_id"]
    assert api("GET", f"/auth_configs/{gh}")["no_of_connections"] == 1
    api("DELETE", f"/auth_configs/{gh}")
    api("GET", f"/auth_configs/{gh}", 404)
    api("GET", f"/connected_accounts/{account}", 404)  # its accounts went with it
