"""Every route of the local server, in one table (order matters: fixed paths such as
``/tools/enum`` come before ``/tools/{slug}`` within each module)."""

from __future__ import annotations

from composio.testing import (
    _routes_accounts,
    _routes_files,
    _routes_mcp,
    _routes_router,
    _routes_tools,
    _routes_triggers,
)
from composio.testing._routing import Router

__all__ = ["ROUTES"]

ROUTES = Router()
for _module in (
    _routes_tools,
    _routes_accounts,
    _routes_triggers,
    _routes_router,
    _routes_mcp,
    _routes_files,
):
    ROUTES.include(_module.router)
