"""``client.files``: list stored files, upload one (thin facades over ``composio._ops.files``).

``upload`` hashes the file before its flow starts: directly on the sync client, in a worker
thread on the async one (SPEC §13: nothing blocks the event loop); the PUT streams it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from composio._ops import files as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.resources._base import SyncResource

if TYPE_CHECKING:
    from composio.client import Composio  # noqa: F401 (the base's type argument)
    from composio.models import FileRef
    from composio.pagination import Page

__all__ = ["AsyncFiles", "Files"]

PathOrBytes = str | os.PathLike[str] | bytes


class Files(SyncResource["Composio"]):
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
        return self._run_page(
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
        is guessed from the file name when ``None``. ``timeout`` bounds both requests. The file
        is read (and hashed) before the first request: in a worker thread on the async client
        (SPEC §13: nothing blocks the event loop)."""
        kind, start = ops.plan_upload(
            toolkit_slug=toolkit_slug,
            tool_slug=tool_slug,
            mimetype=mimetype,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        with self._run_blocking(ops.read_source, path_or_bytes, kind) as source:  # closes the file
            return self._run_flow(start(source))


# The async twin, written by scripts/unasync.py; imported from here as before.
from composio.resources._async.files import AsyncFiles  # noqa: E402
