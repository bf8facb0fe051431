"""What the tool layer needs from a client besides I/O: provider, hooks, custom tools, toolkits.

One :class:`ToolEnv` per client build (the provider, the plugins' tool hooks, the custom
tools and the toolkit pins are fixed then); the toolkit cache inside it belongs to the root
client and is shared by every session and ``with_options`` copy, like the connection pool.

Why a toolkit cache: modifiers filter on a tool's toolkit and hooks receive it (and version
pins are matched by it, SPEC §14), but a tool call names only the tool. The toolkit is in the
tool's schema, so every ``tools.list``/``get``/``retrieve`` teaches the cache the toolkits of
the tools it returned, and a slug not learnt yet costs one ``GET /tools/{slug}`` -- only when
something needs the toolkit (a plugin implementing a tool hook, a modifier, a pin). Tool
slugs are unique across the catalog and a tool does not move between toolkits, so entries
never go stale; the cache is bounded (``composio._toolkit_versions.ToolkitCache``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from composio.errors import ValidationError

if TYPE_CHECKING:
    from composio._ops.auto_files import FilePolicy
    from composio._toolkit_versions import Pins, ToolkitCache
    from composio.custom_tools import CustomTool
    from composio.modifiers import ToolHooks
    from composio.providers import Provider

__all__ = ["ToolEnv", "check_custom_tools"]


class ToolEnv:
    """The client-side pieces of every tool operation: read by the shared flows, no I/O."""

    __slots__ = ("custom", "files", "hooks", "pins", "plain_listing", "provider", "toolkits")

    def __init__(
        self,
        provider: Provider,
        hooks: ToolHooks,
        custom: Mapping[str, CustomTool],
        toolkits: ToolkitCache,
        pins: Pins,
        files: FilePolicy | None = None,
    ) -> None:
        self.provider = provider
        self.hooks = hooks
        #: upper-cased slug -> custom tool
        self.custom = custom
        #: the root client's tool slug -> toolkit slug cache (``_Runtime.toolkit_of``)
        self.toolkits = toolkits
        #: the client's pinned toolkit versions (``toolkit_versions=``)
        self.pins = pins
        #: the client's ``auto_files`` settings (SPEC §18; ``None``: off)
        self.files = files
        #: ``tools.list()`` without arguments -- the pages its operations are described by,
        #: made on its first call (``composio._ops.tools.list_tools``): the same every time
        self.plain_listing: Any = None

    def custom_tool(self, slug: object) -> CustomTool | None:
        return self.custom.get(slug.upper()) if isinstance(slug, str) and self.custom else None


def check_custom_tools(value: object, client: str, asynchronous: bool) -> Mapping[str, Any]:
    """``custom_tools=``: a list/tuple of :class:`CustomTool` with distinct slugs, keyed by
    upper-cased slug. An ``async def`` tool needs the async client (the sync one has no loop
    to await it on)."""
    from composio.custom_tools import CustomTool

    if value is None:
        return MappingProxyType({})
    if not isinstance(value, (list, tuple)):
        raise ValidationError(
            f"{client}(custom_tools=...) takes a list of custom tools (functions decorated "
            f"with @composio.custom_tool), got {type(value).__name__}."
        )
    out: dict[str, CustomTool] = {}
    items: Sequence[object] = value
    for i, tool in enumerate(items):
        if not isinstance(tool, CustomTool):
            raise ValidationError(
                f"{client}(custom_tools=...)[{i}] is a {type(tool).__name__}; decorate the "
                "function with @composio.custom_tool."
            )
        key = tool.slug.upper()
        if key in out:
            raise ValidationError(
                f"{client}(custom_tools=...): two custom tools share the slug {tool.slug!r}; "
                "pass slug=... to one of them."
            )
        if tool.is_async and not asynchronous:
            raise ValidationError(
                f"{client}(custom_tools=...): {tool.slug!r} is an async function; use it with "
                "AsyncComposio, or make it a plain function."
            )
        out[key] = tool
    return MappingProxyType(out)
