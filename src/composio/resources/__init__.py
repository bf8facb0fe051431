from composio.resources.toolkits import Toolkits
from composio.resources.tools import Tools

__all__ = ["Toolkits", "Tools"]
