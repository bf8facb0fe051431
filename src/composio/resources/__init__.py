from composio.resources.auth_configs import AsyncAuthConfigs, AuthConfigs
from composio.resources.connected_accounts import AsyncConnectedAccounts, ConnectedAccounts
from composio.resources.files import AsyncFiles, Files
from composio.resources.mcp import AsyncMcp, Mcp
from composio.resources.tool_router import AsyncToolRouter, ToolRouter
from composio.resources.toolkits import AsyncToolkits, Toolkits
from composio.resources.tools import AsyncTools, Tools
from composio.resources.triggers import AsyncTriggers, Triggers

__all__ = [
    "AsyncAuthConfigs",
    "AsyncConnectedAccounts",
    "AsyncFiles",
    "AsyncMcp",
    "AsyncToolRouter",
    "AsyncToolkits",
    "AsyncTools",
    "AsyncTriggers",
    "AuthConfigs",
    "ConnectedAccounts",
    "Files",
    "Mcp",
    "ToolRouter",
    "Toolkits",
    "Tools",
    "Triggers",
]
