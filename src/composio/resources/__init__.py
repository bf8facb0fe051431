from composio.resources.toolkits import AsyncToolkits, Toolkits
from composio.resources.tools import AsyncTools, Tools

__all__ = ["AsyncToolkits", "AsyncTools", "Toolkits", "Tools"]
