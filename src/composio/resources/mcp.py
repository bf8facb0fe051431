"""``client.mcp``: MCP servers and their per-user instances.

Thin facades over ``composio._ops.mcp``; the lists walk the API's ``page_no`` pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from composio._ops import mcp as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.resources._base import SyncResource

if TYPE_CHECKING:
    from composio.client import Composio  # noqa: F401 (the base's type argument)
    from composio.models import McpInstance, McpServer, McpUrls
    from composio.pagination import Page

__all__ = ["AsyncMcp", "Mcp"]


class Mcp(SyncResource["Composio"]):
    __slots__ = ()

    def list(
        self,
        *,
        name: str | None = None,
        toolkits: str | Sequence[str] | None = None,
        auth_config_ids: str | Sequence[str] | None = None,
        order_by: str | None = None,
        order_direction: str | None = None,
        limit: int | None = None,
        page_no: int | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[McpServer]:
        """MCP servers (latest change first by default); iterating walks every ``page_no``."""
        return self._run_page(
            ops.list_servers(
                name=name,
                toolkits=toolkits,
                auth_config_ids=auth_config_ids,
                order_by=order_by,
                order_direction=order_direction,
                limit=limit,
                page_no=page_no,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def create(
        self,
        name: str,
        *,
        auth_config_ids: Sequence[str],
        no_auth_apps: Sequence[str] | None = None,
        allowed_tools: Sequence[str] | None = None,
        managed_auth_via_composio: bool | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> McpServer:
        return self._run(
            ops.create_server(
                name,
                auth_config_ids=auth_config_ids,
                no_auth_apps=no_auth_apps,
                allowed_tools=allowed_tools,
                managed_auth_via_composio=managed_auth_via_composio,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def create_custom(
        self,
        name: str,
        *,
        toolkits: Sequence[str] | None = None,
        auth_config_ids: Sequence[str] | None = None,
        allowed_tools: Sequence[str] | None = None,
        custom_tools: Sequence[str] | None = None,
        managed_auth_via_composio: bool | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> McpServer:
        return self._run(
            ops.create_custom_server(
                name,
                toolkits=toolkits,
                auth_config_ids=auth_config_ids,
                allowed_tools=allowed_tools,
                custom_tools=custom_tools,
                managed_auth_via_composio=managed_auth_via_composio,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def generate(
        self,
        server_id: str,
        *,
        user_ids: Sequence[str] | None = None,
        connected_account_ids: Sequence[str] | None = None,
        managed_auth_by_composio: bool | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> McpUrls:
        """The server's URL, and one per user id and connected account asked for."""
        return self._run(
            ops.generate_urls(
                server_id,
                user_ids=user_ids,
                connected_account_ids=connected_account_ids,
                managed_auth_by_composio=managed_auth_by_composio,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def retrieve(
        self,
        server_id: str,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> McpServer:
        return self._run(
            ops.retrieve_server(
                server_id,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def update(
        self,
        server_id: str,
        *,
        name: str | None = None,
        toolkits: Sequence[str] | None = None,
        allowed_tools: Sequence[str] | None = None,
        auth_config_ids: Sequence[str] | None = None,
        managed_auth_via_composio: bool | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> McpServer:
        """Change what is given (a PATCH); at least one field."""
        return self._run(
            ops.update_server(
                server_id,
                name=name,
                toolkits=toolkits,
                allowed_tools=allowed_tools,
                auth_config_ids=auth_config_ids,
                managed_auth_via_composio=managed_auth_via_composio,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def delete(
        self,
        server_id: str,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> None:
        self._run(
            ops.delete_server(
                server_id,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def retrieve_app(
        self,
        app_key: str,
        *,
        name: str | None = None,
        toolkits: str | Sequence[str] | None = None,
        auth_config_ids: str | Sequence[str] | None = None,
        order_by: str | None = None,
        order_direction: str | None = None,
        limit: int | None = None,
        page_no: int | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[McpServer]:
        """The MCP servers that include toolkit ``app_key``."""
        return self._run_page(
            ops.list_servers(
                name=name,
                toolkits=toolkits,
                auth_config_ids=auth_config_ids,
                order_by=order_by,
                order_direction=order_direction,
                limit=limit,
                page_no=page_no,
                app_key=app_key,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def list_instances(
        self,
        server_id: str,
        *,
        search: str | None = None,
        order_by: str | None = None,
        order_direction: str | None = None,
        limit: int | None = None,
        page_no: int | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[McpInstance]:
        return self._run_page(
            ops.list_instances(
                server_id,
                search=search,
                order_by=order_by,
                order_direction=order_direction,
                limit=limit,
                page_no=page_no,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def create_instance(
        self,
        server_id: str,
        user_id: str,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> McpInstance:
        """An instance of the server for ``user_id``."""
        return self._run(
            ops.create_instance(
                server_id,
                user_id,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def delete_instance(
        self,
        server_id: str,
        instance_id: str,
        *,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> None:
        """``instance_id`` is the instance's user id (its ``instance_id``)."""
        self._run(
            ops.delete_instance(
                server_id,
                instance_id,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )


# The async twin, written by scripts/unasync.py; imported from here as before.
from composio.resources._async.mcp import AsyncMcp  # noqa: E402
