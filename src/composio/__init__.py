"""composio-pipeline: the Composio Platform API through a pluggy middleware pipeline.

Quick start::

    from composio import Composio
    composio = Composio(api_key="...")
    session = composio.create_session(headers={"x-request-id": "1234567890"})
    session.tools.list()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    ClientClosedError,
    ComposioError,
    ComposioNoAPIKeyError,
    ConflictError,
    ConnectionFailedError,
    InternalServerError,
    MultipleConnectedAccountsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestInfo,
    ToolExecutionError,
    UnprocessableEntityError,
    ValidationError,
    WebhookVerificationError,
)
from composio.headers import FrozenHeaders, Headers
from composio.pipeline import CallContext, CallNext, Middleware, Request, Response, Stage
from composio.retry_decision import RetryDecision
from composio_pipeline import warn_if_shared as _warn_if_shared

#: Marks this package as composio-pipeline's; the ``composio`` launcher (composio_pipeline)
#: reads this line, without running the file, to tell it from the vendor's ``composio``.
_DISTRIBUTION = "composio-pipeline"

_warn_if_shared()  # the vendor's SDK installed beside this one (docs/design-decisions.md)

if TYPE_CHECKING:
    from composio.async_client import AsyncComposio
    from composio.custom_tools import CustomTool, ToolProxy, custom_tool
    from composio.hookspecs import hookimpl, hookspec
    from composio.models import (
        AsyncConnectionRequest,
        AuthConfig,
        ConnectedAccount,
        ConnectionRequest,
        ProxyResponse,
        Tool,
        ToolExecution,
        ToolInput,
        Toolkit,
        ToolkitCategory,
        ToolkitChangelog,
        ToolkitRef,
    )
    from composio.modifiers import ExecuteRequest, after_execute, before_execute, schema_modifier
    from composio.pagination import AsyncPage, Page
    from composio.plugins import PluginError
    from composio.providers import (
        AnthropicProvider,
        OpenAIProvider,
        OpenAIResponsesProvider,
        Provider,
        ToolCall,
    )
    from composio.webhooks import TriggerEvent

#: Public names whose modules load on first use: pluggy (behind the hook markers and
#: PluginError) and the models are not needed to construct a client, and ``import composio``
#: should cost little more than ``import requests`` (SPEC §9).
_LAZY = {
    "hookimpl": "composio.hookspecs",
    "hookspec": "composio.hookspecs",
    "PluginError": "composio.plugins",
    "Tool": "composio.models",
    "ToolExecution": "composio.models",
    "Toolkit": "composio.models",
    "ToolkitRef": "composio.models",
    "Page": "composio.pagination",
    "AsyncComposio": "composio.async_client",
    "AsyncPage": "composio.pagination",
    "OpenAIProvider": "composio.providers",
    "Provider": "composio.providers",
    "ToolCall": "composio.providers",
    "OpenAIResponsesProvider": "composio.providers",
    "AnthropicProvider": "composio.providers",
    "before_execute": "composio.modifiers",
    "after_execute": "composio.modifiers",
    "schema_modifier": "composio.modifiers",
    "ExecuteRequest": "composio.modifiers",
    "custom_tool": "composio.custom_tools",
    "CustomTool": "composio.custom_tools",
    "ToolProxy": "composio.custom_tools",
    "TriggerEvent": "composio.webhooks",
    "AsyncConnectionRequest": "composio.models",
    "AuthConfig": "composio.models",
    "ConnectedAccount": "composio.models",
    "ConnectionRequest": "composio.models",
    "ProxyResponse": "composio.models",
    "ToolInput": "composio.models",
    "ToolkitCategory": "composio.models",
    "ToolkitChangelog": "composio.models",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'composio' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AnthropicProvider",
    "AsyncComposio",
    "AsyncConnectionRequest",
    "AsyncPage",
    "AuthConfig",
    "AuthenticationError",
    "BadRequestError",
    "CallContext",
    "CallNext",
    "ClientClosedError",
    "ClientConfig",
    "Composio",
    "ComposioError",
    "ComposioNoAPIKeyError",
    "ConflictError",
    "ConnectedAccount",
    "ConnectionFailedError",
    "ConnectionRequest",
    "CustomTool",
    "ExecuteRequest",
    "FrozenHeaders",
    "Headers",
    "InternalServerError",
    "Middleware",
    "MultipleConnectedAccountsError",
    "NotFoundError",
    "OpenAIProvider",
    "OpenAIResponsesProvider",
    "Page",
    "PermissionDeniedError",
    "PluginError",
    "Provider",
    "ProxyResponse",
    "RateLimitError",
    "Request",
    "RequestInfo",
    "Response",
    "RetryDecision",
    "Stage",
    "Timeout",
    "Tool",
    "ToolCall",
    "ToolExecution",
    "ToolExecutionError",
    "ToolInput",
    "ToolProxy",
    "Toolkit",
    "ToolkitCategory",
    "ToolkitChangelog",
    "ToolkitRef",
    "TriggerEvent",
    "UnprocessableEntityError",
    "ValidationError",
    "WebhookVerificationError",
    "__version__",
    "after_execute",
    "before_execute",
    "custom_tool",
    "hookimpl",
    "hookspec",
    "schema_modifier",
]

# -- triggers, tool router, MCP, files (SPEC §14): appended as one block ------------------------
_EVENT_MODELS = (
    "FileRef",
    "McpInstance",
    "McpServer",
    "McpUrls",
    "ToolRouterExecution",
    "ToolRouterLink",
    "ToolRouterSession",
    "ToolRouterToolkit",
    "TriggerInstance",
    "TriggerType",
)
_LAZY.update(dict.fromkeys(_EVENT_MODELS, "composio.models"))
__all__ += _EVENT_MODELS

if TYPE_CHECKING:
    from composio.models import (  # noqa: F401 (exported lazily, above)
        FileRef,
        McpInstance,
        McpServer,
        McpUrls,
        ToolRouterExecution,
        ToolRouterLink,
        ToolRouterSession,
        ToolRouterToolkit,
        TriggerInstance,
        TriggerType,
    )
