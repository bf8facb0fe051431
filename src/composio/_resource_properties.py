"""The client's resource properties (``client.tools``...): the sync source of both sets.

``scripts/unasync.py`` writes ``AsyncResourceProperties`` (``_async_resource_properties.py``)
from this class. Each access makes a new facade: a facade is a few bound verbs, and the
client it belongs to is immutable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composio._raw_views import WithRawResponse
    from composio.resources.auth_configs import AuthConfigs
    from composio.resources.connected_accounts import ConnectedAccounts
    from composio.resources.files import Files
    from composio.resources.mcp import Mcp
    from composio.resources.tool_router import ToolRouter
    from composio.resources.toolkits import Toolkits
    from composio.resources.tools import Tools
    from composio.resources.triggers import Triggers

__all__ = ["ResourceProperties"]


class ResourceProperties:
    __slots__ = ()

    @property
    def tool_router(self) -> ToolRouter:
        from composio.resources.tool_router import ToolRouter

        return ToolRouter(self)

    @property
    def mcp(self) -> Mcp:
        from composio.resources.mcp import Mcp

        return Mcp(self)

    @property
    def files(self) -> Files:
        from composio.resources.files import Files

        return Files(self)

    @property
    def triggers(self) -> Triggers:
        from composio.resources.triggers import Triggers

        return Triggers(self)

    @property
    def tools(self) -> Tools:
        from composio.resources.tools import Tools

        return Tools(self)

    @property
    def toolkits(self) -> Toolkits:
        from composio.resources.toolkits import Toolkits

        return Toolkits(self)

    @property
    def connected_accounts(self) -> ConnectedAccounts:
        from composio.resources.connected_accounts import ConnectedAccounts

        return ConnectedAccounts(self)

    @property
    def auth_configs(self) -> AuthConfigs:
        from composio.resources.auth_configs import AuthConfigs

        return AuthConfigs(self)

    @property
    def with_raw_response(self) -> WithRawResponse:
        """The same resources, each method returning a ``RawResponse`` (status, headers,
        request id, elapsed, ``parse()``): ``client.with_raw_response.tools.list()``."""
        from composio._raw_views import WithRawResponse

        return WithRawResponse(self)
