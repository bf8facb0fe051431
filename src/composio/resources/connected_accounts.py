"""``client.connected_accounts``: connect a user's account to a toolkit, and manage it.

Thin facades over ``composio._ops.connected_accounts`` (validation, encoding, the waiting
logic); the async twin differs only in awaiting. A ``ConnectionRequest`` comes back bound to
the client that made it, so ``request.wait_for_connection()`` polls through the same chain
(session headers, retries, telemetry).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from composio._ops import connected_accounts as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.models import ConnectionRequest
from composio.resources._base import SyncResource

if TYPE_CHECKING:
    from composio.client import Composio  # noqa: F401 (the base's type argument)
    from composio.models import ConnectedAccount
    from composio.pagination import Page

__all__ = ["AsyncConnectedAccounts", "ConnectedAccounts", "bind"]

Strs = str | Sequence[str] | None


_R = TypeVar("_R", bound="ConnectionRequest")


def bind(request: ConnectionRequest, cls: type[_R], client: Any) -> _R:
    """The request as ``cls`` (sync or async), bound to the client that made it."""
    return cls(request.id, request.status, request.redirect_url, request.extra, client)


class ConnectedAccounts(SyncResource["Composio"]):
    __slots__ = ()

    def initiate(
        self,
        user_id: str,
        auth_config_id: str,
        *,
        callback_url: str | None = None,
        allow_multiple: bool = False,
        config: Mapping[str, Any] | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ConnectionRequest:
        """Create a connected account (custom auth configs, non-OAuth schemes).

        Unless ``allow_multiple``, first checks that the user has no ``ACTIVE`` account for
        this auth config (``MultipleConnectedAccountsError`` names it). Composio-managed OAuth
        is refused by the API: use :meth:`link` (the error says so).
        """
        request = self._run_flow(
            ops.initiate_account(
                user_id,
                auth_config_id,
                callback_url=callback_url,
                allow_multiple=allow_multiple,
                config=config,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )
        return bind(request, ConnectionRequest, self._client)

    def link(
        self,
        user_id: str,
        auth_config_id: str,
        *,
        callback_url: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ConnectionRequest:
        """A hosted link for the user to connect (status ``INITIATED``); send them to its
        ``redirect_url`` and ``wait_for_connection()``."""
        request = self._run(
            ops.link_account(
                user_id,
                auth_config_id,
                callback_url=callback_url,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )
        return bind(request, ConnectionRequest, self._client)

    def list(
        self,
        *,
        user_ids: Strs = None,
        toolkit_slugs: Strs = None,
        auth_config_ids: Strs = None,
        statuses: Strs = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[ConnectedAccount]:
        return self._run_page(
            ops.list_accounts(
                user_ids=user_ids,
                toolkit_slugs=toolkit_slugs,
                auth_config_ids=auth_config_ids,
                statuses=statuses,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def retrieve(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> ConnectedAccount:
        return self._run(ops.retrieve_account(id, extra_headers=extra_headers, timeout=timeout))

    def delete(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._run(ops.delete_account(id, extra_headers=extra_headers, timeout=timeout))

    def enable(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._run(ops.set_account_enabled(id, True, extra_headers=extra_headers, timeout=timeout))

    def disable(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._run(ops.set_account_enabled(id, False, extra_headers=extra_headers, timeout=timeout))

    def update(
        self,
        id: str,
        *,
        alias: str,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ConnectedAccount:
        """Set the account's ``alias`` (unique among the user's accounts of that toolkit;
        ``""`` clears it) and return the account as it now is."""
        return self._run_flow(
            ops.update_account(id, alias=alias, extra_headers=extra_headers, timeout=timeout)
        )

    def refresh(
        self, id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> ConnectionRequest:
        """Start the account's authentication again (OAuth: a fresh ``redirect_url``)."""
        request = self._run(ops.refresh_account(id, extra_headers=extra_headers, timeout=timeout))
        return bind(request, ConnectionRequest, self._client)

    def wait_for_connection(
        self, id: str, *, timeout: float = 60.0, extra_headers: HeadersArg = None
    ) -> ConnectedAccount:
        """Poll the account until it is ``ACTIVE`` and return it.

        Polls at once, then backs off (0.5 s doubling to 5 s, jittered); each poll is an
        ordinary call through the chain. A terminal state (``FAILED``, ``EXPIRED``,
        ``INACTIVE``, ``REVOKED``) raises :class:`ConnectionFailedError`; ``timeout`` seconds
        without ``ACTIVE`` raise :class:`APITimeoutError`, on time even if a poll is in
        flight. Failed polls that may recover (connection errors, 5xx, 429) are polled again.
        """
        return self._run_flow(
            ops.wait_for_account(id, timeout=timeout, extra_headers=extra_headers)
        )


# The async twin, written by scripts/unasync.py; imported from here as before.
from composio.resources._async.connected_accounts import AsyncConnectedAccounts  # noqa: E402
