"""Plugin discovery and the build of a client's chain (SPEC §3, §12.2).

Entry points of group ``composio`` are listed once per process, on the first client build
(not at import: ``import composio`` stays cheap), and each one is imported the first time a
build does not block it -- so a blocked entry point is never imported, the order pluggy's own
``load_setuptools_entrypoints`` checks ``is_blocked(ep.name)`` before ``ep.load()``. The
outcome of each import, failure included, is remembered: a broken entry point fails every
build with the same ``PluginError`` until it is blocked (or the process restarts).

Each client build gets its own ``PluginManager`` so that ``plugins=`` and blocked names of one
client never leak into another. Hooks are called through pluggy's hook callers, so a
hookimpl receives only the arguments it declares; each plugin is called through its own
``subset_hook_caller`` so that a failure names the plugin it came from. ``wrapper=True`` and
``hookwrapper=True`` impls are refused: every composio hook result is checked per plugin, and
a wrapper around the per-request hooks would run on every request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from typing import Any

import pluggy

from composio import _fork, hookspecs
from composio.config import ClientConfig
from composio.errors import ComposioError
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

_lock = _fork.module_lock("composio.plugins")
#: The entry points of group ``composio`` (first distribution wins a name), listed once.
_entry_points: tuple[EntryPoint, ...] | None = None
#: ``ep.name`` -> the loaded plugin, or the message and cause of its failed import.
_loaded: dict[str, object] = {}


class PluginError(ComposioError):
    """A plugin failed while a client was being built; the message names it."""


class _ImportFailure:
    """A remembered failed import: every build raises a fresh ``PluginError`` from it."""

    __slots__ = ("cause", "message")

    def __init__(self, message: str, cause: BaseException) -> None:
        self.message = message
        self.cause = cause

    def raise_(self) -> None:
        raise PluginError(self.message) from self.cause


def _list_entry_points() -> tuple[EntryPoint, ...]:
    global _entry_points
    listed = _entry_points
    if listed is None:
        from importlib.metadata import entry_points

        seen: dict[str, EntryPoint] = {}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            seen.setdefault(ep.name, ep)
        listed = tuple(sorted(seen.values(), key=lambda e: e.name))
        with _lock:
            if _entry_points is None:
                _entry_points = listed
            listed = _entry_points
    return listed


def _load(ep: EntryPoint) -> object:
    """Import ``ep`` once per process; a failure is remembered and re-raised every time.

    The import runs outside ``_lock``: a plugin module that builds a client while it is
    imported (or an import that blocks on another thread's import) cannot deadlock on it.
    """
    found = _loaded.get(ep.name, _loaded)
    if found is _loaded:
        try:
            found = ep.load()
        except Exception as exc:
            found = _ImportFailure(
                f"Plugin {ep.name!r} (entry point {ep.value!r}) failed to import: "
                f"{type(exc).__name__}: {exc}. Uninstall it, block it with "
                f"{_BLOCKED_ENV}={ep.name} or blocked_plugins=[{ep.name!r}], "
                f"or set {_AUTOLOAD_OFF}=1.",
                exc,
            )
        with _lock:
            found = _loaded.setdefault(ep.name, found)
    if isinstance(found, _ImportFailure):
        found.raise_()
    return found


def entry_point_plugins(
    blocked: frozenset[str] = frozenset(),
) -> tuple[tuple[str, object], ...]:
    """``(name, plugin)`` for every installed entry point of group ``composio`` not in
    ``blocked``; a blocked one is never imported. Raises ``PluginError`` for a broken one."""
    return tuple((ep.name, _load(ep)) for ep in _list_entry_points() if ep.name not in blocked)


def reset_entry_point_cache() -> None:
    """Forget the entry-point scan and imports (tests that install a plugin at run time)."""
    global _entry_points
    with _lock:
        _entry_points = None
        _loaded.clear()


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


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    """``pm.register`` with every refusal turned into a ``PluginError`` naming the plugin."""
    try:
        hash(plugin)
    except TypeError:
        raise PluginError(
            f"Plugin {name!r} is unhashable ({type(plugin).__name__} defines __eq__ without "
            "__hash__, e.g. a @dataclass); pluggy calls plugins by identity: use "
            "@dataclass(eq=False) or define __hash__."
        ) from None
    try:
        pm.register(plugin, name=name)
    except (ValueError, pluggy.PluginValidationError) as exc:
        raise PluginError(f"Plugin {name!r} could not be registered: {exc}") from None
    for caller in pm.get_hookcallers(plugin) or ():  # every composio hook it implements
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper):
                kind = "wrapper=True" if impl.wrapper else "hookwrapper=True"
                raise PluginError(
                    f"Plugin {name!r}: {caller.name} is a {kind} hookimpl; composio hooks take "
                    "plain hookimpls only (results are checked per plugin, and a wrapper of a "
                    "per-request hook would run on every request). Drop the wrapper option."
                )


def _unique_name(pm: pluggy.PluginManager, base: str) -> str:
    """``base``, or ``base#2``, ``base#3``... when another object already holds the name: two
    instances of one plugin class are two plugins (pluggy itself names them by ``id``)."""
    name, n = base, 1
    while pm.has_plugin(name):
        n += 1
        name = f"{base}#{n}"
    return name


def _call_each(
    pm: pluggy.PluginManager, hook_name: str, **kwargs: object
) -> Iterator[tuple[str, object]]:
    """``(plugin name, result)`` per implementing plugin, in pluggy's call order, each call
    made by pluggy (``subset_hook_caller``: only the declared arguments are passed); a raise
    becomes a ``PluginError`` naming the plugin."""
    impls = getattr(pm.hook, hook_name).get_hookimpls()
    plugins = [impl.plugin for impl in impls]
    for impl in reversed(impls):
        caller = pm.subset_hook_caller(hook_name, [p for p in plugins if p is not impl.plugin])
        try:
            results: list[object] = caller(**kwargs)
        except Exception as exc:
            raise PluginError(
                f"Plugin {impl.plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}"
            ) from exc
        for result in results:
            yield impl.plugin_name, result


def per_plugin_callers(pm: pluggy.PluginManager, hook_name: str) -> tuple[tuple[str, Any], ...]:
    """``(plugin name, hook caller)`` per plugin implementing ``hook_name``, in pluggy's call
    order: a per-request hook called plugin by plugin, so one that raises cannot silence the
    others, while pluggy still selects each impl's arguments."""
    impls = getattr(pm.hook, hook_name).get_hookimpls()
    plugins = [impl.plugin for impl in impls]
    return tuple(
        (
            impl.plugin_name,
            pm.subset_hook_caller(hook_name, [p for p in plugins if p is not impl.plugin]),
        )
        for impl in reversed(impls)
    )


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
    builtins_factory: Callable[[Layer, pluggy.PluginManager], object],
    extra_plugins: Iterable[object],
    extra_middlewares: Sequence[Middleware],
    *,
    asynchronous: bool = False,
) -> Build:
    """Register every plugin, fold the metadata, then collect and sort the middlewares.

    ``builtins_factory(metadata, pm)`` makes the built-in plugin once the metadata layer is
    known (the ``default-headers`` middleware applies it) and with this build's plugin manager
    (the retry and telemetry middlewares call their hooks through its hook callers).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    blocked = config.blocked_plugins | blocked_from_env()
    for name in blocked:
        pm.set_blocked(name)
    if autoload_enabled():
        for name, plugin in entry_point_plugins(blocked):
            if not pm.has_plugin(name) and not pm.is_registered(plugin):
                _register(pm, plugin, name)
    for plugin in extra_plugins:
        base = _plugin_name(plugin)
        if base in blocked or pm.is_registered(plugin):
            continue
        _register(pm, plugin, _unique_name(pm, base))

    metadata: Layer = {}
    for name, produced_md in _call_each(pm, "composio_request_metadata", config=config):
        if not isinstance(produced_md, Mapping):
            raise PluginError(
                f"Plugin {name!r}: composio_request_metadata must return a mapping of header "
                f"name to str, not {type(produced_md).__name__}."
            )
        layer = build_layer(produced_md, f"metadata of plugin {name!r}", allow_none=False)
        metadata = fold_layers(metadata, layer)

    pm.register(builtins_factory(metadata, pm), name=BUILTINS_NAME)

    middlewares: list[Middleware] = []
    for name, produced in _call_each(pm, "composio_middlewares", config=config):
        if not isinstance(produced, Iterable) or isinstance(produced, (str, bytes, Mapping)):
            raise PluginError(
                f"Plugin {name!r}: composio_middlewares must return a list of middlewares, "
                f"not {type(produced).__name__}."
            )
        for mw in produced:
            middlewares.append(_check_middleware(mw, name, asynchronous))
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
