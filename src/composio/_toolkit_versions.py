"""Toolkit versions (SPEC §14; vendor issues ComposioHQ/composio #3290, #2471).

A client pins toolkit versions with ``toolkit_versions=`` (a mapping ``{slug: version}`` or
the string ``"latest"``) and ``COMPOSIO_TOOLKIT_VERSION_<SLUG>`` environment variables, which
fill the slugs the keyword does not give. The result is one read-only mapping of pins,
lowercase slug -> version; an empty mapping means nothing is pinned (everything ``latest``).

Slugs are matched case-insensitively on both sides (the keyword's keys, the env names and a
tool's toolkit are all lowercased), the mistake the vendor fixed in #3762 where a pin under
``GitHub`` silently fell back to ``latest``.
"""

from __future__ import annotations

import os
from collections.abc import Container, Mapping
from types import MappingProxyType

from composio.errors import ValidationError

__all__ = [
    "ENV_PREFIX",
    "LATEST",
    "NO_PINS",
    "Pins",
    "ToolkitCache",
    "query_value",
    "resolve_toolkit_versions",
]

ENV_PREFIX = "COMPOSIO_TOOLKIT_VERSION_"
LATEST = "latest"
Pins = Mapping[str, str]
NO_PINS: Pins = MappingProxyType({})


def _from_env(environ: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in environ.items():
        if name.upper().startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
            version = value.strip()
            if version:
                out[name[len(ENV_PREFIX) :].lower()] = version
    return out


def resolve_toolkit_versions(value: object, environ: Mapping[str, str] | None = None) -> Pins:
    """The pins a client uses, validated; ``environ`` defaults to ``os.environ``.

    ``"latest"`` is an explicit choice and wins over the environment (nothing pinned); ``None``
    takes the environment's pins; a mapping takes its own and the environment fills the rest.
    """
    env = os.environ if environ is None else environ
    if isinstance(value, str):
        if value.strip().lower() != LATEST:
            raise ValidationError(
                "toolkit_versions must be a mapping {toolkit_slug: version} or the string "
                f"'latest', got {value!r:.40}."
            )
        return NO_PINS
    if value is None:
        pins = _from_env(env)
    elif isinstance(value, Mapping):
        pins = _from_env(env)
        given: dict[str, str] = {}
        for slug, version in value.items():
            if not isinstance(slug, str) or not slug.strip():
                raise ValidationError("toolkit_versions: keys must be non-empty toolkit slugs.")
            if not isinstance(version, str) or not version.strip():
                raise ValidationError(
                    f"toolkit_versions[{slug!r}] must be a version string such as "
                    "'20250905_00' or 'latest'."
                )
            given[slug.strip().lower()] = version.strip()
        pins.update(given)
    else:
        raise ValidationError(
            "toolkit_versions must be a mapping {toolkit_slug: version} or the string "
            f"'latest', not {type(value).__name__}."
        )
    return MappingProxyType(pins) if pins else NO_PINS


def query_value(pins: Pins) -> list[tuple[str, str]]:
    """``tools.list/get``'s ``toolkit_versions`` query parameter as the spec defines it: the
    plain string ``latest`` when nothing is pinned, else the mapping in bracket (deepObject)
    notation, ``toolkit_versions[github]=20250905_00``, one pair per pin."""
    if not pins:
        return [("toolkit_versions", LATEST)]
    return [(f"toolkit_versions[{slug}]", version) for slug, version in sorted(pins.items())]


class ToolkitCache:
    """Tool slug -> toolkit slug, per root client. Bounded: past ``limit`` entries it starts
    over (a tool's toolkit never changes, so forgetting costs one lookup, never a wrong pin).
    Reads and writes are single dict operations, atomic under the GIL: no lock to fork."""

    __slots__ = ("_map", "_without", "limit")

    def __init__(self, limit: int = 10_000) -> None:
        self._map: dict[str, str] = {}
        #: tools whose details showed no toolkit (``execution._toolkit`` learns ""): kept
        #: apart, so that ``known`` -- what a listing skips -- never holds them and a later
        #: listing that shows a toolkit is learnt (break7)
        self._without: set[str] = set()
        self.limit = limit

    def get(self, tool_slug: str) -> str | None:
        key = tool_slug.upper()
        found = self._map.get(key)
        if found is None and key in self._without:
            return ""
        return found

    def learn(self, tool_slug: str, toolkit_slug: str) -> None:
        if len(self) >= self.limit:
            self._map, self._without = {}, set()
        key = tool_slug.upper()
        if toolkit_slug:
            self._map[key] = toolkit_slug.lower()
            self._without.discard(key)
        elif key not in self._map:
            self._without.add(key)

    def known(self) -> Container[str]:
        """The tool slugs learned with a toolkit, as sent (the API's upper case): what
        ``learn_page`` skips, for a caller that finds a page's new tools in a pass of its
        own (``composio._ops.tools``)."""
        return self._map

    def learn_page(self, items: list[dict[str, object]]) -> None:
        """Learn every tool of a listed page whose JSON object has a string ``slug`` and a
        toolkit object with a string ``slug`` -- what makes ``tool.toolkit`` a ``ToolkitRef``
        -- in one loop. Read from the JSON, not the ``Tool``: that would fill every lazy
        field (models.py). Why not later, on the next ``get``: keeping the pages' objects
        until then kept every listed page alive, and the garbage collector's full passes
        over them cost far more than this loop (measured). A tool already known (its slug
        as sent, the API's upper case) is skipped after one lookup: listing the same tools
        again costs a quarter of learning them."""
        if len(items) > self.limit:  # a page past the bound: its last tools, as learn would
            items = items[len(items) - self.limit :]
        if len(self) + len(items) > self.limit:
            self._map, self._without = {}, set()
        known, without = self._map, self._without
        for item in items:  # JSON objects from json.loads: exact types
            slug = item.get("slug")
            if type(slug) is not str or slug in known:
                continue  # known already (issue 21): a tool's toolkit never changes
            toolkit = item.get("toolkit")
            if type(toolkit) is dict:
                toolkit_slug = toolkit.get("slug")
                if type(toolkit_slug) is str and toolkit_slug:
                    key = slug.upper()
                    known[key] = toolkit_slug.lower()
                    if without:
                        without.discard(key)

    def __len__(self) -> int:
        return len(self._map) + len(self._without)
