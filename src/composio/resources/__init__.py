from composio.resources.auth_configs import AsyncAuthConfigs, AuthConfigs
from composio.resources.connected_accounts import AsyncConnectedAccounts, ConnectedAccounts
from composio.resources.toolkits import AsyncToolkits, Toolkits
from composio.resources.tools import AsyncTools, Tools

__all__ = [
    "AsyncAuthConfigs",
    "AsyncConnectedAccounts",
    "AsyncToolkits",
    "AsyncTools",
    "AuthConfigs",
    "ConnectedAccounts",
    "Toolkits",
    "Tools",
]
