"""``client.toolkits``: list, retrieve, categories, changelog, retrieve_many, authorize (thin
facades over ``composio._ops.toolkits``)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from composio._ops import toolkits as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.models import ConnectionRequest
from composio.resources._base import SyncResource
from composio.resources.connected_accounts import bind

if TYPE_CHECKING:
    from composio.client import Composio  # noqa: F401 (the base's type argument)
    from composio.models import Toolkit, ToolkitCategory, ToolkitChangelog
    from composio.pagination import Page

__all__ = ["AsyncToolkits", "Toolkits"]


class Toolkits(SyncResource["Composio"]):
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
        return self._run_page(
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
        return self._run(
            ops.retrieve_toolkit(
                slug, version=version, extra_headers=extra_headers, timeout=timeout
            )
        )

    def categories(
        self, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> builtins.list[ToolkitCategory]:
        """Every toolkit category; an ``id`` is what ``list(category=...)`` takes."""
        return self._run(ops.list_categories(extra_headers=extra_headers, timeout=timeout))

    def changelog(
        self, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> builtins.list[ToolkitChangelog]:
        """Each toolkit's versions and what changed in them."""
        return self._run(ops.toolkit_changelog(extra_headers=extra_headers, timeout=timeout))

    def retrieve_many(
        self,
        slugs: Sequence[str],
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> builtins.list[Toolkit]:
        """The named toolkits in one request (``POST /toolkits/multi``), all pages."""
        return self._run_flow(
            ops.retrieve_many(slugs, extra_headers=extra_headers, timeout=timeout)
        )

    def authorize(
        self,
        user_id: str,
        toolkit: str,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ConnectionRequest:
        """Connect ``user_id`` to ``toolkit`` through Composio-managed auth: finds the
        toolkit's managed auth config (or creates one), then links. Send the user to the
        returned request's ``redirect_url``, then ``wait_for_connection()``."""
        request = self._run_flow(
            ops.authorize_toolkit(user_id, toolkit, extra_headers=extra_headers, timeout=timeout)
        )
        return bind(request, ConnectionRequest, self._client)


# The async twin, written by scripts/unasync.py; imported from here as before.
from composio.resources._async.toolkits import AsyncToolkits  # noqa: E402
