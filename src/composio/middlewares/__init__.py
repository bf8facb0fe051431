"""Built-in middlewares, registered through pluggy like any third-party plugin."""

from __future__ import annotations

from composio.middlewares.headers import (
    AuthMiddleware,
    CallHeadersMiddleware,
    DefaultHeadersMiddleware,
    IdentityMiddleware,
    SessionHeadersMiddleware,
)

__all__ = [
    "AuthMiddleware",
    "CallHeadersMiddleware",
    "DefaultHeadersMiddleware",
    "IdentityMiddleware",
    "SessionHeadersMiddleware",
]
