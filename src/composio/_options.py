"""The client's options, one row each: how a keyword is checked and how a derived client keeps it.

``Composio(...)``, ``with_options(...)`` and :class:`~composio.config.ClientConfig` all read
this table, so an option's rule is written once: the constructor checks every row (after its
environment fallback), ``with_options`` keeps a row not given and otherwise checks it and
merges it over the old value, and ``ClientConfig``'s fields are the rows that are not
connection-pool settings. The keyword signatures stay hand-written (readable, typed,
introspected by the parity and docs tests); ``tests/unit/test_options_table.py`` holds them
to the table.

``composio.config`` imports this module for :data:`CONFIG_FIELDS`, so the few checks that
need ``config`` import it when they run (a client is being built: it is loaded by then).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from composio._sentinel import NOT_GIVEN
from composio._tool_env import check_custom_tools
from composio._toolkit_versions import resolve_toolkit_versions
from composio.errors import ComposioNoAPIKeyError, ValidationError
from composio.headers import build_layer, fold_layers

if TYPE_CHECKING:
    from composio.providers import Provider

__all__ = [
    "CONFIG_FIELDS",
    "OPTIONS",
    "Option",
    "derive_options",
    "resolve_options",
    "tracking_disabled_by_env",
]


class Option(NamedTuple):
    """One keyword of ``Composio``/``AsyncComposio``/``with_options``."""

    name: str
    #: ``(value, client class) -> resolved value``; raises ``ValidationError`` naming the option
    check: Callable[[Any, type], Any]
    #: ``with_options``: ``(this client's value, the checked new one) -> the copy's``
    #: (``None``: the new value replaces the old)
    merge: Callable[[Any, Any], Any] | None = None
    #: what the constructor's ``None`` means instead (the environment, then a default);
    #: ``with_options`` passes ``None`` to ``check`` as given
    unset: Callable[[], Any] | None = None
    #: ``False``: a setting of the connection pool, not a ``ClientConfig`` field
    in_config: bool = True


def tracking_disabled_by_env() -> bool:
    """``COMPOSIO_DISABLE_TELEMETRY`` (1/true/yes) or ``DO_NOT_TRACK`` (anything but ''/'0')."""
    from composio.config import env_flag

    dnt = os.environ.get("DO_NOT_TRACK", "").strip()
    return env_flag("COMPOSIO_DISABLE_TELEMETRY") or (dnt not in ("", "0"))


def _check_api_key(api_key: object, owner: type) -> str:
    if api_key is None:
        api_key = os.environ.get("COMPOSIO_API_KEY") or None
    if api_key is None or api_key == "":
        raise ComposioNoAPIKeyError()
    if not isinstance(api_key, str):
        raise ValidationError(f"api_key must be a str, not {type(api_key).__name__}.")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in api_key) or api_key != api_key.strip():
        raise ValidationError(
            "api_key contains whitespace or control characters (is it quoted or has a "
            "trailing newline?); the value is not shown."
        )
    if not api_key.isascii():
        # Sent as a header (SPEC §12.3: visible ASCII): refused here, not as a
        # UnicodeEncodeError at send time whose repr holds the whole key.
        raise ValidationError(
            "api_key contains a non-ASCII character (a smart quote or an accent pasted with "
            "it?); Composio API keys are ASCII. The value is not shown."
        )
    return api_key


def _base_url_from_env() -> str:
    from composio.config import DEFAULT_BASE_URL

    return os.environ.get("COMPOSIO_BASE_URL") or DEFAULT_BASE_URL


def _check_base_url(value: object, owner: type) -> str:
    from composio.config import validate_base_url

    return validate_base_url(value)


def _check_tracking(value: object, owner: type) -> bool:
    return bool(value) and not tracking_disabled_by_env()


def _check_flag(value: object, owner: type) -> bool:
    return bool(value)


def _as_given(value: object, owner: type) -> Any:
    """An option taken as it is (a live object the library only calls)."""
    return value


def _check_provider(provider: object, owner: type) -> Provider:
    if provider is None:
        from composio.providers import OpenAIProvider

        return OpenAIProvider()
    name = getattr(provider, "name", None)
    if not isinstance(name, str) or not callable(getattr(provider, "wrap_tools", None)):
        raise ValidationError(
            "provider must be a composio.Provider (a 'name' str and wrap_tool/wrap_tools)."
        )
    build_layer({"x-provider-name": name}, "provider.name", allow_none=False)
    return provider  # type: ignore[return-value]


def _check_headers(value: object, owner: type) -> Any:
    return build_layer(value, "default_headers")  # type: ignore[arg-type]


def _check_timeout(value: object, owner: type) -> Any:
    from composio.config import Timeout

    return Timeout.coerce(value)


def _check_max_retries(value: object, owner: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError("max_retries must be an int >= 0 (0 disables retries).")
    return value


def _check_verify(value: object, owner: type) -> bool | str:
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if not os.path.exists(path):
            raise ValidationError(f"verify={path!r}: no CA bundle at that path.")
        return str(path)
    raise ValidationError("verify must be True, False or the path of a CA bundle.")


def _items(value: object, what: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(
            f"{what} must be a list or tuple of objects, not {type(value).__name__}."
        )
    return tuple(value)


def _check_middlewares(value: object, owner: type) -> tuple[Any, ...]:
    return _items(value, "middlewares")


def _check_plugins(value: object, owner: type) -> tuple[Any, ...]:
    return _items(value, "plugins")


def _check_names(value: object, owner: type) -> frozenset[str]:
    names = _items(value, "blocked_plugins")
    if not all(isinstance(n, str) for n in names):
        raise ValidationError("blocked_plugins must be a list of plugin names (str).")
    return frozenset(names)


def _check_pool_maxsize(value: object, owner: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("pool_maxsize must be an int >= 1 (connections kept per host).")
    return value


def _check_pins(value: object, owner: type) -> Any:
    return resolve_toolkit_versions(value)


def _check_custom_tools(value: object, owner: type) -> Any:
    return check_custom_tools(value, owner.__name__, getattr(owner, "_asynchronous", False))


def _realtime_url_from_env() -> str | None:
    return os.environ.get("COMPOSIO_REALTIME_URL") or None


def _check_realtime_url(value: object, owner: type) -> str | None:
    from composio.config import validate_realtime_url

    return validate_realtime_url(value)


def _check_auto_files(value: object, owner: type) -> bool:
    from composio._ops.auto_files import check_auto_files

    return check_auto_files(value)


def _check_download_dir(value: object, owner: type) -> str | None:
    from composio._ops.auto_files import check_download_dir

    return check_download_dir(value)


def _check_upload_deny(value: object, owner: type) -> tuple[str, ...]:
    from composio._ops.auto_files import check_upload_deny

    return check_upload_deny(value)


def _check_download_max(value: object, owner: type) -> int:
    from composio._ops.auto_files import check_download_max

    return check_download_max(value)


def _check_realtime_buffer(value: object, owner: type) -> int:
    from composio._realtime import check_buffer_bytes

    return check_buffer_bytes(value)


#: In the order they are checked (an error names the first bad keyword in this order): the
#: constructor's keyword order, the pool's settings last.
OPTIONS: tuple[Option, ...] = (
    Option("api_key", _check_api_key),
    Option("base_url", _check_base_url, unset=_base_url_from_env),
    Option("allow_tracking", _check_tracking),
    Option("allow_tracing", _check_flag),
    Option("provider", _check_provider),
    Option("telemetry_transport", _as_given),
    Option("default_headers", _check_headers, merge=fold_layers),
    Option("timeout", _check_timeout),
    Option("max_retries", _check_max_retries),
    Option("verify", _check_verify),
    Option("tracer_provider", _as_given),
    Option("middlewares", _check_middlewares),
    Option("plugins", _check_plugins),
    Option("blocked_plugins", _check_names),
    Option("toolkit_versions", _check_pins),
    Option("custom_tools", _check_custom_tools),
    Option("realtime_url", _check_realtime_url, unset=_realtime_url_from_env),
    Option("auto_files", _check_auto_files),
    Option("file_download_dir", _check_download_dir),
    Option("file_upload_deny", _check_upload_deny),
    Option("file_download_max_bytes", _check_download_max),
    Option("realtime_max_buffer_bytes", _check_realtime_buffer),
    Option("pool_maxsize", _check_pool_maxsize, in_config=False),
)

#: ``ClientConfig``'s fields (its ``__slots__``)
CONFIG_FIELDS: tuple[str, ...] = tuple(o.name for o in OPTIONS if o.in_config)


def resolve_options(given: Mapping[str, Any], owner: type) -> dict[str, Any]:
    """The constructor: every option checked, in table order (``given`` may hold more)."""
    out: dict[str, Any] = {}
    for option in OPTIONS:
        value = given[option.name]
        if value is None and option.unset is not None:
            value = option.unset()
        out[option.name] = option.check(value, owner)
    return out


def derive_options(old: Mapping[str, Any], given: Mapping[str, Any], owner: type) -> dict[str, Any]:
    """``with_options``: an option not given (``NOT_GIVEN``) is kept (SPEC §12.10); a given
    one is checked, then merged over the old value by its rule."""
    out: dict[str, Any] = {}
    for option in OPTIONS:
        name = option.name
        value = given.get(name, NOT_GIVEN)
        if value is NOT_GIVEN:
            out[name] = old[name]
            continue
        new = option.check(value, owner)
        out[name] = new if option.merge is None else option.merge(old[name], new)
    return out
