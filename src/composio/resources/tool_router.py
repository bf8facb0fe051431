"""``client.tool_router``: sessions, running tools in them, links, the session's toolkits.

Thin facades over ``composio._ops.tool_router``; ``tests/unit/test_parity.py`` keeps the
two identical. A session comes back bound to the client (SPEC §18, live sessions): its
methods call the ``_live_*`` methods here, so the async twin written by
``scripts/unasync.py`` holds the async side of the live logic too, and
``AsyncToolRouterSession`` only awaits (``docs/design-decisions.md``).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from composio._agentic import bind_execute
from composio._ops import router_session as live
from composio._ops import tool_calls as calls
from composio._ops import tool_router as ops
from composio._ops.execution import as_router_execution
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.models import ConnectionRequest, ToolRouterSession
from composio.modifiers import check_modifiers
from composio.resources._base import SyncResource
from composio.resources.connected_accounts import bind

if TYPE_CHECKING:
    from composio.client import Composio  # noqa: F401 (the base's type argument)
    from composio.models import (
        ToolExecution,
        ToolRouterExecution,
        ToolRouterLink,
        ToolRouterSearch,
        ToolRouterToolkit,
    )
    from composio.modifiers import Modifier
    from composio.pagination import Page

__all__ = ["AsyncToolRouter", "ToolRouter", "bind_session"]

_S = TypeVar("_S", bound=ToolRouterSession)


def bind_session(session: ToolRouterSession, cls: type[_S], client: Any) -> _S:
    """The session as ``cls`` (sync or async), bound to the client that made it."""
    data = {f.name: getattr(session, f.name) for f in fields(session) if f.name != "_client"}
    return cls(**data, _client=client)


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
        (``True``/``False`` or the spec's object) and ``workbench`` configure those features.
        The session is live: see ``ToolRouterSession``."""
        made = self._run(
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
        return bind_session(made, ToolRouterSession, self._client)

    def retrieve_session(
        self,
        session_id: str,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ToolRouterSession:
        """The session, live (``use`` is the same method)."""
        found = self._run(
            ops.retrieve_session(
                session_id,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )
        return bind_session(found, ToolRouterSession, self._client)

    #: ``use(session_id)``: reattach to an existing session (made earlier, elsewhere) -- the
    #: live session, as ``retrieve_session`` returns it.
    use = retrieve_session

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

    # -- a live session's methods (``ToolRouterSession`` calls them) -----------------------
    def _live_tools(
        self, session: ToolRouterSession, modifiers: Sequence[Modifier[Any]] | None
    ) -> builtins.list[object]:
        found = self._run_flow(live.tools(self._env, session, modifiers))
        # An agentic provider (SPEC §17) gets an execute that runs each call in the session.
        return calls.wrap(
            self._env,
            found,
            lambda: bind_execute(self._client, session.user_id or "", modifiers, session),
        )

    def _live_answer(
        self,
        session: ToolRouterSession,
        slug: str,
        arguments: Mapping[str, Any],
        modifiers: Sequence[Modifier[Any]],
    ) -> ToolExecution:
        """One model call in the session, answered (an agentic provider's execute)."""
        return self._run_flow(
            live.execute(
                self._env,
                session,
                slug,
                arguments,
                answer=True,
                modifiers=check_modifiers(modifiers),
            )
        )

    def _live_search(self, session: ToolRouterSession, query: str) -> ToolRouterSearch:
        return self._run(
            ops.search(session.session_id, query, extra_headers=None, timeout=NOT_GIVEN)
        )

    def _live_execute(
        self, session: ToolRouterSession, slug: str, arguments: Mapping[str, Any] | None
    ) -> ToolRouterExecution:
        return as_router_execution(
            self._run_flow(live.execute(self._env, session, slug, arguments, answer=False))
        )

    def _live_handle(
        self,
        session: ToolRouterSession,
        response: object,
        modifiers: Sequence[Modifier[Any]] | None,
        parallel: bool,
    ) -> builtins.list[object]:
        batch = live.handle(self._env, session, response, modifiers, parallel)
        return batch.format(self._run_flows(batch.flows, batch.parallel, batch.name))

    def _live_authorize(
        self, session: ToolRouterSession, toolkit: str, callback_url: str | None
    ) -> ConnectionRequest:
        request = self._run(
            ops.authorize(
                session.session_id,
                toolkit,
                callback_url=callback_url,
                extra_headers=None,
                timeout=NOT_GIVEN,
            )
        )
        return bind(request, ConnectionRequest, self._client)


# The async twin, written by scripts/unasync.py; imported from here as before.
from composio.resources._async.tool_router import AsyncToolRouter  # noqa: E402
