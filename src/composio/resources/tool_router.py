"""``client.tool_router``: sessions, running tools in them, links, the session's toolkits.

Thin facades over ``composio._ops.tool_router``; ``tests/unit/test_parity.py`` keeps the
two identical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from composio._ops import tool_router as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.resources._base import SyncResource

if TYPE_CHECKING:
    from composio.client import Composio  # noqa: F401 (the base's type argument)
    from composio.models import (
        ToolRouterExecution,
        ToolRouterLink,
        ToolRouterSession,
        ToolRouterToolkit,
    )
    from composio.pagination import Page

__all__ = ["AsyncToolRouter", "ToolRouter"]


class ToolRouter(SyncResource["Composio"]):
    __slots__ = ()

    def create_session(
        self,
        user_id: str,
        *,
        toolkits: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
        tools: Mapping[str, Any] | None = None,
        tags: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
        auth_configs: Mapping[str, str] | None = None,
        connected_accounts: Mapping[str, str] | None = None,
        manage_connections: bool | Mapping[str, Any] | None = None,
        workbench: Mapping[str, Any] | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ToolRouterSession:
        """A session for ``user_id``. ``toolkits=[...]`` enables just those (sent as
        ``{"enable": [...]}``); a mapping such as ``{"disable": [...]}`` is sent as given.
        ``tools``/``tags`` filter tools per toolkit or by annotation, ``auth_configs`` /
        ``connected_accounts`` pin one per toolkit (``{toolkit: id}``), ``manage_connections``
        (``True``/``False`` or the spec's object) and ``workbench`` configure those features."""
        return self._run(
            ops.create_session(
                user_id,
                toolkits=toolkits,
                tools=tools,
                tags=tags,
                auth_configs=auth_configs,
                connected_accounts=connected_accounts,
                manage_connections=manage_connections,
                workbench=workbench,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def retrieve_session(
        self,
        session_id: str,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ToolRouterSession:
        return self._run(
            ops.retrieve_session(
                session_id,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def execute(
        self,
        session_id: str,
        tool_slug: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ToolRouterExecution:
        """Run a tool as the session's user; a tool's own failure is ``.error`` (``.successful``
        is ``False``), not an exception. A tool execution like ``tools.execute``: plugins'
        tool hooks apply (a hook that refuses raises ``ComposioError`` naming it)."""
        return self._run_flow(
            ops.execute(
                self._env,
                session_id,
                tool_slug,
                arguments,
                meta=False,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def execute_meta(
        self,
        session_id: str,
        slug: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ToolRouterExecution:
        """Run one of the session's meta tools (``COMPOSIO_SEARCH_TOOLS``...)."""
        return self._run_flow(
            ops.execute(
                self._env,
                session_id,
                slug,
                arguments,
                meta=True,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def link(
        self,
        session_id: str,
        toolkit: str,
        *,
        callback_url: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ToolRouterLink:
        """A connection link for the session's user to connect ``toolkit``."""
        return self._run(
            ops.link(
                session_id,
                toolkit,
                callback_url=callback_url,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def session_toolkits(
        self,
        session_id: str,
        *,
        toolkits: str | Sequence[str] | None = None,
        is_connected: bool | None = None,
        search: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[ToolRouterToolkit]:
        return self._run_page(
            ops.session_toolkits(
                session_id,
                toolkits=toolkits,
                is_connected=is_connected,
                search=search,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )


# The async twin, written by scripts/unasync.py; imported from here as before.
from composio.resources._async.tool_router import AsyncToolRouter  # noqa: E402
