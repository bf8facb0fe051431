"""``toolkits.*`` operations: list, retrieve, categories, changelog, retrieve_many and
authorize (which creates or finds an auth config and links the user)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from composio._operation import Flow, Operation, PageData, call_options
from composio._ops import auth_configs, connected_accounts
from composio._ops._encode import (
    page_operation,
    params,
    parse,
    parse_page,
    q_limit,
    q_list,
    q_str,
    slug_path,
)
from composio._sentinel import HeadersArg
from composio.errors import ValidationError
from composio.models import (
    AuthConfig,
    ConnectionRequest,
    ShapeError,
    Toolkit,
    ToolkitCategory,
    ToolkitChangelog,
)

__all__ = [
    "authorize_toolkit",
    "list_categories",
    "list_toolkits",
    "retrieve_many",
    "retrieve_toolkit",
    "toolkit_changelog",
]

T = TypeVar("T")


def list_toolkits(
    *,
    category: str | None,
    limit: int | None,
    cursor: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[PageData[Toolkit]]:
    query = params(
        ("category", q_str(category, "toolkits.list: category")),
        ("limit", q_limit(limit)),
    )
    first_cursor = q_str(cursor, "toolkits.list: cursor")
    options = call_options(extra_headers, timeout)
    return page_operation(
        "toolkits.list", "/toolkits", query, options, Toolkit._from_items, first_cursor
    )


def retrieve_toolkit(
    slug: str, *, version: str | None, extra_headers: HeadersArg, timeout: Any
) -> Operation[Toolkit]:
    path = f"/toolkits/{slug_path(slug, 'toolkits.retrieve: slug')}"
    query = params(("version", q_str(version, "toolkits.retrieve: version")))
    options = call_options(extra_headers, timeout)
    return Operation(
        "toolkits.retrieve",
        "GET",
        path,
        lambda r: parse(r, Toolkit.from_dict),
        query=query,
        options=options,
    )


# -- SPEC §14: categories, changelog, many at once, authorize --------------------------------


def _items(factory: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    def read(data: Any) -> list[T]:
        if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
            raise ShapeError("expected an object with an 'items' list")
        return [factory(item) for item in data["items"]]

    return read


def list_categories(*, extra_headers: HeadersArg, timeout: Any) -> Operation[list[ToolkitCategory]]:
    """``GET /toolkits/categories`` (the spec gives it no cursor: one answer, all of them)."""
    read = _items(ToolkitCategory.from_dict)
    return Operation(
        "toolkits.categories",
        "GET",
        "/toolkits/categories",
        lambda r: parse(r, read),
        options=call_options(extra_headers, timeout),
    )


def toolkit_changelog(
    *, extra_headers: HeadersArg, timeout: Any
) -> Operation[list[ToolkitChangelog]]:
    read = _items(ToolkitChangelog.from_dict)
    return Operation(
        "toolkits.changelog",
        "GET",
        "/toolkits/changelog",
        lambda r: parse(r, read),
        options=call_options(extra_headers, timeout),
    )


def retrieve_many(
    slugs: Sequence[str], *, extra_headers: HeadersArg, timeout: Any
) -> Flow[list[Toolkit]]:
    """``POST /toolkits/multi``: the named toolkits, however many pages they take (the
    cursor travels in the body, as the spec puts it)."""
    wanted = q_list(slugs, "toolkits.retrieve_many: slugs")
    if not wanted:
        raise ValidationError("toolkits.retrieve_many: slugs must name at least one toolkit.")
    options = call_options(extra_headers, timeout)

    def page(cursor: str | None) -> Operation[PageData[Toolkit]]:
        # each page its own list: a middleware may edit ``request.json`` in place (SPEC §3)
        body: dict[str, Any] = {"toolkits": list(wanted)}
        if cursor:
            body["cursor"] = cursor
        return Operation(
            "toolkits.retrieve_many",
            "POST",
            "/toolkits/multi",
            lambda r: parse_page(r, Toolkit._from_items),
            body=body,
            options=options,
        )

    return _walk(page)


def _walk(
    page: Callable[[str | None], Operation[PageData[T]]],
    enough: Callable[[T], bool] | None = None,
) -> Flow[list[T]]:
    """The items of every page, in order; with ``enough``, the walk ends after the first page
    holding an item it accepts (no request for pages that cannot change the answer)."""
    from composio._cursors import refuse_repeated_cursor

    data: PageData[T] = yield page(None)
    found = list(data.items)
    seen: set[str] = set()
    while data.next_cursor and data.items:
        if enough is not None and any(enough(item) for item in data.items):
            break
        refuse_repeated_cursor(data.next_cursor, seen)
        data = yield page(data.next_cursor)
        found.extend(data.items)
    return found


def authorize_toolkit(
    user_id: str, toolkit: str, *, extra_headers: HeadersArg, timeout: Any
) -> Flow[ConnectionRequest]:
    """The toolkit's Composio-managed auth config (the first enabled one, or a new one),
    then a link for the user: ``link``, not ``initiate``, since the API refuses
    ``POST /connected_accounts`` for Composio-managed OAuth (2026-07, SPEC §14)."""
    name = "toolkits.authorize"
    user = q_str(user_id, f"{name}: user_id")
    slug = q_str(toolkit, f"{name}: toolkit")
    if user is None or slug is None:
        raise ValidationError(f"{name}: user_id and toolkit must be non-empty strings.")
    find = auth_configs.list_auth_configs(
        toolkit_slug=slug,
        is_composio_managed=True,
        limit=None,
        cursor=None,
        extra_headers=extra_headers,
        timeout=timeout,
        name=name,
    )
    create = auth_configs.create_auth_config(
        slug, options=None, extra_headers=extra_headers, timeout=timeout, name=name
    )

    def link(config_id: str) -> Operation[ConnectionRequest]:
        return connected_accounts.link_account(
            user,
            config_id,
            callback_url=None,
            extra_headers=extra_headers,
            timeout=timeout,
            name=name,
        )

    return _authorize(slug, find, create, link)


def _authorize(
    slug: str,
    find: Operation[PageData[AuthConfig]],
    create: Operation[AuthConfig],
    link: Callable[[str], Operation[ConnectionRequest]],
) -> Flow[ConnectionRequest]:
    def usable(c: AuthConfig) -> bool:
        # The API filters by toolkit and management; it is checked again here (a server that
        # ignored a filter must not hand the user another toolkit's config).
        return (
            c.is_composio_managed is True
            and c.status in (None, "ENABLED")
            and (c.toolkit is None or c.toolkit.slug.lower() == slug.lower())
        )

    def page(cursor: str | None) -> Operation[PageData[AuthConfig]]:
        if cursor is None:
            return find
        assert find.next_page is not None  # a list operation knows its following page
        return find.next_page(cursor)

    # Every page is looked at before a config is created: a usable one on page two must not
    # get a twin (issue 16 item 20).
    configs = yield from _walk(page, usable)
    config = next((c for c in configs if usable(c)), None)
    if config is None:
        config = yield create
    request: ConnectionRequest = yield link(config.id)
    return request
