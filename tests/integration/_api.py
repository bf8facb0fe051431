"""A thin ``requests`` caller for the local server's API (the SDK's methods for most routes
are written later, against this server): raises on an unexpected status with the body."""

from __future__ import annotations

from typing import Any

import requests

from composio.testing import LocalServer


class Api:
    def __init__(self, server: LocalServer, prefix: str = "/api/v3.1") -> None:
        self.server = server
        self.prefix = prefix
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only: no proxy from the environment
        self.http.headers["x-api-key"] = server.api_key

    def __call__(
        self, method: str, path: str, expect: int = 200, *, json: Any = None, params: Any = None
    ) -> Any:
        resp = self.http.request(
            method, self.server.url + self.prefix + path, json=json, params=params, timeout=10
        )
        assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        return resp.json() if resp.content else None

    def browser(self, url: str, **params: str) -> requests.Response:
        """What a browser does with a redirect URL: no API key, redirects not followed."""
        return requests.get(url, params=params or None, allow_redirects=False, timeout=10)

    # -- shortcuts for the set-up most tests need ------------------------------------------
    def managed_auth_config(self, toolkit: str = "github") -> str:
        made = self("POST", "/auth_configs", 201, json={"toolkit": {"slug": toolkit}})
        return str(made["auth_config"]["id"])

    def link(self, auth_config_id: str, user_id: str, callback_url: str | None = None) -> Any:
        body: dict[str, Any] = {"auth_config_id": auth_config_id, "user_id": user_id}
        if callback_url is not None:
            body["callback_url"] = callback_url
        return self("POST", "/connected_accounts/link", 201, json=body)

    def active_account(self, user_id: str, toolkit: str = "github") -> str:
        linked = self.link(self.managed_auth_config(toolkit), user_id)
        assert self.browser(linked["redirect_url"]).status_code == 200
        return str(linked["connected_account_id"])

    def close(self) -> None:
        self.http.close()
