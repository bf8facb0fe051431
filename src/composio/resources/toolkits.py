"""``client.toolkits``: list and retrieve (thin facades over ``composio._ops.toolkits``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from composio._ops import toolkits as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.resources._base import Resource

if TYPE_CHECKING:
    from composio.async_client import AsyncComposio  # noqa: F401 (the base's type argument)
    from composio.client import Composio  # noqa: F401
    from composio.models import Toolkit
    from composio.pagination import AsyncPage, Page

__all__ = ["AsyncToolkits", "Toolkits"]


class Toolkits(Resource["Composio"]):
    __slots__ = ()

    def list(
        self,
        *,
        category: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[Toolkit]:
        return self._client._run_page(
            ops.list_toolkits(
                category=category,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def retrieve(
        self,
        slug: str,
        *,
        version: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Toolkit:
        return self._client._run(
            ops.retrieve_toolkit(
                slug, version=version, extra_headers=extra_headers, timeout=timeout
            )
        )


class AsyncToolkits(Resource["AsyncComposio"]):
    __slots__ = ()

    async def list(
        self,
        *,
        category: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> AsyncPage[Toolkit]:
        return await self._client._arun_page(
            ops.list_toolkits(
                category=category,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    async def retrieve(
        self,
        slug: str,
        *,
        version: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Toolkit:
        return await self._client._arun(
            ops.retrieve_toolkit(
                slug, version=version, extra_headers=extra_headers, timeout=timeout
            )
        )
