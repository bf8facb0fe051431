"""``client.auth_configs``: create, list, inspect, update, delete, enable and disable how a
toolkit's users authenticate (thin facades over ``composio._ops.auth_configs``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from composio._ops import auth_configs as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.resources._base import SyncResource

if TYPE_CHECKING:
    from composio.client import Composio  # noqa: F401 (the base's type argument)
    from composio.models import AuthConfig
    from composio.pagination import Page

__all__ = ["AsyncAuthConfigs", "AuthConfigs"]


class AuthConfigs(SyncResource["Composio"]):
    __slots__ = ()

    def create(
        self,
        toolkit: str,
        *,
        options: Mapping[str, Any] | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> AuthConfig:
        """``options`` is the API's ``auth_config`` object; ``None``: Composio-managed auth."""
        return self._run(
            ops.create_auth_config(
                toolkit, options=options, extra_headers=extra_headers, timeout=timeout
            )
        )

    def list(
        self,
        *,
        toolkit_slug: str | None = None,
        is_composio_managed: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[AuthConfig]:
        return self._run_page(
            ops.list_auth_configs(
                toolkit_slug=toolkit_slug,
                is_composio_managed=is_composio_managed,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def retrieve(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> AuthConfig:
        return self._run(ops.retrieve_auth_config(id, extra_headers=extra_headers, timeout=timeout))

    def update(
        self,
        id: str,
        *,
        options: Mapping[str, Any],
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> AuthConfig:
        """Send ``options`` as the PATCH body; returns the config as updated."""
        return self._run_flow(
            ops.update_auth_config(
                id, options=options, extra_headers=extra_headers, timeout=timeout
            )
        )

    def delete(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._run(ops.delete_auth_config(id, extra_headers=extra_headers, timeout=timeout))

    def enable(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._run(
            ops.set_auth_config_status(id, True, extra_headers=extra_headers, timeout=timeout)
        )

    def disable(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._run(
            ops.set_auth_config_status(id, False, extra_headers=extra_headers, timeout=timeout)
        )


# The async twin, written by scripts/unasync.py; imported from here as before.
from composio.resources._async.auth_configs import AsyncAuthConfigs  # noqa: E402
