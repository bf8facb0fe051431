"""Plugin discovery and the build of a client's chain (SPEC §3).

Entry points of group ``composio`` are scanned once per process, on the first client build
(not at import: ``import composio`` stays cheap). Each client build gets its own
``PluginManager`` so that ``plugins=`` and blocked names of one client never leak into another.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy

from composio import hookspecs
from composio.config import ClientConfig
from composio.errors import ComposioError, ValidationError
from composio.headers import Layer, build_layer, fold_layers
from composio.pipeline import Middleware, Stage, is_policy, sort_chain

__all__ = [
    "BUILTINS_NAME",
    "Build",
    "PluginError",
    "build_chain",
    "entry_point_plugins",
    "reset_entry_point_cache",
]

ENTRY_POINT_GROUP = "composio"
BUILTINS_NAME = "composio.builtins"
_AUTOLOAD_OFF = "COMPOSIO_DISABLE_PLUGIN_AUTOLOAD"
_BLOCKED_ENV = "COMPOSIO_BLOCKED_PLUGINS"

_lock = threading.Lock()
_loaded: tuple[tuple[str, object], ...] | None = None


class PluginError(ComposioError):
    """A plugin failed while a client was being built; the message names it."""


def entry_point_plugins() -> tuple[tuple[str, object], ...]:
    """``(name, plugin)`` for every installed entry point of group ``composio`` (cached)."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                from importlib.metadata import entry_points

                found: list[tuple[str, object]] = []
                for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
                    try:
                        found.append((ep.name, ep.load()))
                    except Exception as exc:
                        raise PluginError(
                            f"Plugin {ep.name!r} (entry point {ep.value!r}) failed to import: "
                            f"{type(exc).__name__}: {exc}. Uninstall it, block it with "
                            f"{_BLOCKED_ENV}={ep.name}, or set {_AUTOLOAD_OFF}=1."
                        ) from exc
                _loaded = tuple(found)
    return _loaded


def reset_entry_point_cache() -> None:
    """Forget the entry-point scan (tests that install a plugin at run time need this)."""
    global _loaded
    with _lock:
        _loaded = None


def autoload_enabled() -> bool:
    return os.environ.get(_AUTOLOAD_OFF, "").strip().lower() not in {"1", "true", "yes", "on"}


def blocked_from_env() -> frozenset[str]:
    raw = os.environ.get(_BLOCKED_ENV, "")
    return frozenset(n.strip() for n in raw.split(",") if n.strip())


@dataclass(frozen=True, slots=True)
class Build:
    """What a client build produces: the sorted chain, the metadata layer, the hooks."""

    chain: tuple[Middleware, ...]
    metadata: Layer
    plugin_names: tuple[str, ...]
    hook: Any  #: ``pluggy.HookRelay`` of this build's plugin manager
    #: this build's ``pluggy.PluginManager`` (the tool hooks call each plugin through
    #: ``pm.subset_hook_caller``)
    pm: Any = None


def _plugin_name(plugin: object) -> str:
    name = getattr(plugin, "composio_plugin_name", None) or getattr(plugin, "__name__", None)
    return str(name or f"{type(plugin).__module__}.{type(plugin).__qualname__}")


def _check_middleware(mw: object, plugin: str, asynchronous: bool = False) -> Middleware:
    name = getattr(mw, "name", None)
    stage = getattr(mw, "stage", None)
    policy = is_policy(mw)
    if not isinstance(name, str) or not name or not (policy or callable(mw) or _has_acall(mw)):
        raise PluginError(
            f"Plugin {plugin!r} returned {type(mw).__name__!r}, which is not a middleware: "
            "it needs a str 'name', a composio.Stage 'stage' and __call__(request, call_next) "
            "(or on_request(request)/on_response(response), or async acall(request, call_next))."
        )
    if not isinstance(stage, Stage):
        try:
            Stage(stage)  # type: ignore[arg-type]
        except (ValueError, TypeError):
            raise PluginError(
                f"Middleware {name!r} from plugin {plugin!r} has stage {stage!r}; "
                "use composio.Stage.CALL, RETRY or ATTEMPT."
            ) from None
    order = getattr(mw, "order", 0)
    if not isinstance(order, int):
        raise PluginError(f"Middleware {name!r} from plugin {plugin!r}: 'order' must be an int.")
    if not policy:
        if asynchronous and not _has_acall(mw):
            raise PluginError(
                f"Middleware {name!r} from plugin {plugin!r} cannot run in AsyncComposio: it "
                "has neither on_request/on_response (sans-I/O, both clients) nor "
                "'async def acall(request, call_next)'. Add one of them, or block the plugin."
            )
        if not asynchronous and not callable(mw):
            raise PluginError(
                f"Middleware {name!r} from plugin {plugin!r} cannot run in Composio: it has "
                "only acall (async); add __call__(request, call_next) or on_request/on_response."
            )
    return mw  # type: ignore[return-value]


def _has_acall(mw: object) -> bool:
    import inspect

    return inspect.iscoroutinefunction(getattr(mw, "acall", None))


def build_chain(
    config: ClientConfig,
    builtins_factory: Callable[[Layer, Any], object],
    extra_plugins: Iterable[object],
    extra_middlewares: Sequence[Middleware],
    *,
    asynchronous: bool = False,
) -> Build:
    """Register every plugin, fold the metadata, then collect and sort the middlewares.

    ``builtins_factory(metadata, hook)`` makes the built-in plugin once the metadata layer is
    known (the ``default-headers`` middleware applies it) and with the hook relay (the retry
    and telemetry middlewares call their hooks through it).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    blocked = config.blocked_plugins | blocked_from_env()
    for name in blocked:
        pm.set_blocked(name)
    if autoload_enabled():
        for name, plugin in entry_point_plugins():
            if name not in blocked and pm.get_plugin(name) is None and not pm.is_registered(plugin):
                pm.register(plugin, name=name)
    for plugin in extra_plugins:
        name = _plugin_name(plugin)
        if name in blocked or pm.is_registered(plugin):
            continue
        try:
            pm.register(plugin, name=name)
        except ValueError as exc:
            raise ValidationError(f"Plugin {name!r} could not be registered: {exc}") from None

    metadata: Layer = {}
    for impl in reversed(pm.hook.composio_request_metadata.get_hookimpls()):
        try:
            produced_md = impl.function(config=config)
        except Exception as exc:
            raise PluginError(
                f"Plugin {impl.plugin_name!r} failed in composio_request_metadata: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if produced_md:
            if not isinstance(produced_md, Mapping):
                raise PluginError(
                    f"Plugin {impl.plugin_name!r}: composio_request_metadata must return a "
                    "mapping of header name to str."
                )
            layer = build_layer(
                produced_md, f"metadata of plugin {impl.plugin_name!r}", allow_none=False
            )
            metadata = fold_layers(metadata, layer)

    pm.register(builtins_factory(metadata, pm.hook), name=BUILTINS_NAME)

    middlewares: list[Middleware] = []
    for impl in reversed(pm.hook.composio_middlewares.get_hookimpls()):
        try:
            produced: Any = impl.function(config=config)
        except Exception as exc:
            raise PluginError(
                f"Plugin {impl.plugin_name!r} failed in composio_middlewares: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        for mw in produced or ():
            middlewares.append(_check_middleware(mw, impl.plugin_name, asynchronous))
    client = "AsyncComposio" if asynchronous else "Composio"
    for mw in extra_middlewares:
        middlewares.append(_check_middleware(mw, f"{client}(middlewares=...)", asynchronous))
    names = [m.name for m in middlewares]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PluginError(
            f"Two middlewares share the name(s) {dupes}; names must be unique in a chain."
        )

    plugin_names = tuple(
        n
        for n, plugin in pm.list_name_plugin()
        if plugin is not None and n is not None and n != BUILTINS_NAME
    )
    return Build(sort_chain(middlewares), metadata, plugin_names, pm.hook, pm)
