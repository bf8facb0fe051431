"""composio-pipeline: the Composio Platform API through a pluggy middleware pipeline.

Quick start::

    from composio import Composio
    composio = Composio(api_key="...")
    session = composio.create_session(headers={"x-request-id": "1234567890"})
    session.tools.list()
"""

from __future__ import annotations

from composio._version import __version__
from composio.client import Composio
from composio.config import ClientConfig, Timeout
from composio.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ComposioError,
    ComposioNoAPIKeyError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestInfo,
    ToolExecutionError,
    UnprocessableEntityError,
    ValidationError,
)
from composio.headers import FrozenHeaders, Headers
from composio.hookspecs import hookimpl, hookspec
from composio.models import Tool, ToolExecution, Toolkit, ToolkitRef
from composio.pagination import Page
from composio.pipeline import CallContext, CallNext, Middleware, Request, Response, Stage
from composio.plugins import PluginError
from composio.providers import OpenAIProvider, Provider
from composio.retry_decision import RetryDecision

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CallContext",
    "CallNext",
    "ClientConfig",
    "Composio",
    "ComposioError",
    "ComposioNoAPIKeyError",
    "ConflictError",
    "FrozenHeaders",
    "Headers",
    "InternalServerError",
    "Middleware",
    "NotFoundError",
    "OpenAIProvider",
    "Page",
    "PermissionDeniedError",
    "PluginError",
    "Provider",
    "RateLimitError",
    "Request",
    "RequestInfo",
    "Response",
    "RetryDecision",
    "Stage",
    "Timeout",
    "Tool",
    "ToolExecution",
    "ToolExecutionError",
    "Toolkit",
    "ToolkitRef",
    "UnprocessableEntityError",
    "ValidationError",
    "__version__",
    "hookimpl",
    "hookspec",
]
