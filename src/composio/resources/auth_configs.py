"""``client.auth_configs``: create, list, inspect, update, delete, enable and disable how a
toolkit's users authenticate (thin facades over ``composio._ops.auth_configs``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from composio._ops import auth_configs as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.resources._base import Resource

if TYPE_CHECKING:
    from composio.async_client import AsyncComposio  # noqa: F401 (the base's type argument)
    from composio.client import Composio  # noqa: F401
    from composio.models import AuthConfig
    from composio.pagination import AsyncPage, Page

__all__ = ["AsyncAuthConfigs", "AuthConfigs"]


class AuthConfigs(Resource["Composio"]):
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
        return self._client._run(
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
        return self._client._run_page(
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
        return self._client._run(
            ops.retrieve_auth_config(id, extra_headers=extra_headers, timeout=timeout)
        )

    def update(
        self,
        id: str,
        *,
        options: Mapping[str, Any],
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> AuthConfig:
        """Send ``options`` as the PATCH body; returns the config as updated."""
        return self._client._run_flow(
            ops.update_auth_config(
                id, options=options, extra_headers=extra_headers, timeout=timeout
            )
        )

    def delete(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._client._run(ops.delete_auth_config(id, extra_headers=extra_headers, timeout=timeout))

    def enable(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._client._run(
            ops.set_auth_config_status(id, True, extra_headers=extra_headers, timeout=timeout)
        )

    def disable(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._client._run(
            ops.set_auth_config_status(id, False, extra_headers=extra_headers, timeout=timeout)
        )


class AsyncAuthConfigs(Resource["AsyncComposio"]):
    __slots__ = ()

    async def create(
        self,
        toolkit: str,
        *,
        options: Mapping[str, Any] | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> AuthConfig:
        """See :meth:`AuthConfigs.create`."""
        return await self._client._arun(
            ops.create_auth_config(
                toolkit, options=options, extra_headers=extra_headers, timeout=timeout
            )
        )

    async def list(
        self,
        *,
        toolkit_slug: str | None = None,
        is_composio_managed: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> AsyncPage[AuthConfig]:
        return await self._client._arun_page(
            ops.list_auth_configs(
                toolkit_slug=toolkit_slug,
                is_composio_managed=is_composio_managed,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    async def retrieve(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> AuthConfig:
        return await self._client._arun(
            ops.retrieve_auth_config(id, extra_headers=extra_headers, timeout=timeout)
        )

    async def update(
        self,
        id: str,
        *,
        options: Mapping[str, Any],
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> AuthConfig:
        """See :meth:`AuthConfigs.update`."""
        return await self._client._arun_flow(
            ops.update_auth_config(
                id, options=options, extra_headers=extra_headers, timeout=timeout
            )
        )

    async def delete(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        await self._client._arun(
            ops.delete_auth_config(id, extra_headers=extra_headers, timeout=timeout)
        )

    async def enable(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        await self._client._arun(
            ops.set_auth_config_status(id, True, extra_headers=extra_headers, timeout=timeout)
        )

    async def disable(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        await self._client._arun(
            ops.set_auth_config_status(id, False, extra_headers=extra_headers, timeout=timeout)
        )
