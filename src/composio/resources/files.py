"""``client.files``: list stored files, upload one (thin facades over ``composio._ops.files``).

``upload`` hashes the file before its flow starts: directly on the sync client, in a worker
thread on the async one (SPEC §13: nothing blocks the event loop); the PUT streams it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from composio._ops import files as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.resources._base import Resource

if TYPE_CHECKING:
    from composio.async_client import AsyncComposio  # noqa: F401 (the base's type argument)
    from composio.client import Composio  # noqa: F401
    from composio.models import FileRef
    from composio.pagination import AsyncPage, Page

__all__ = ["AsyncFiles", "Files"]

PathOrBytes = str | os.PathLike[str] | bytes


class Files(Resource["Composio"]):
    __slots__ = ()

    def list(
        self,
        *,
        toolkit_slug: str | None = None,
        tool_slug: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[FileRef]:
        return self._client._run_page(
            ops.list_files(
                toolkit_slug=toolkit_slug,
                tool_slug=tool_slug,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def upload(
        self,
        path_or_bytes: PathOrBytes,
        *,
        toolkit_slug: str,
        tool_slug: str,
        mimetype: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> FileRef:
        """Upload a file for a tool: ask the API for an upload URL, then PUT the bytes there
        (another origin: none of this client's credentials or headers are sent). ``mimetype``
        is guessed from the file name when ``None``. ``timeout`` bounds both requests."""
        kind, start = ops.plan_upload(
            toolkit_slug=toolkit_slug,
            tool_slug=tool_slug,
            mimetype=mimetype,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        with ops.read_source(path_or_bytes, kind) as source:  # closes the file
            return self._client._run_flow(start(source))


class AsyncFiles(Resource["AsyncComposio"]):
    __slots__ = ()

    async def list(
        self,
        *,
        toolkit_slug: str | None = None,
        tool_slug: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> AsyncPage[FileRef]:
        return await self._client._arun_page(
            ops.list_files(
                toolkit_slug=toolkit_slug,
                tool_slug=tool_slug,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    async def upload(
        self,
        path_or_bytes: PathOrBytes,
        *,
        toolkit_slug: str,
        tool_slug: str,
        mimetype: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> FileRef:
        """See :meth:`Files.upload`; the file is read (and hashed) in a worker thread."""
        import asyncio

        kind, start = ops.plan_upload(
            toolkit_slug=toolkit_slug,
            tool_slug=tool_slug,
            mimetype=mimetype,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        source = await asyncio.to_thread(ops.read_source, path_or_bytes, kind)
        with source:  # closes the file
            return await self._client._arun_flow(start(source))
