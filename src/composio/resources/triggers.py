"""``client.triggers``: trigger types, trigger instances, and webhook verification.

Both facades are thin over ``composio._ops.triggers``. ``verify_webhook`` is the pure
function :func:`composio.webhooks.verify_webhook` itself, inherited by both from one base: it
does no I/O, so it is a plain method on the async client too (``tests/unit/test_parity.py``
checks that it is the very same function).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from composio._ops import triggers as ops
from composio._realtime import Filters
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.resources._base import SyncResource
from composio.webhooks import verify_webhook

if TYPE_CHECKING:
    from composio.client import Composio  # noqa: F401 (the base's type argument)
    from composio.models import TriggerInstance, TriggerType
    from composio.pagination import Page
    from composio.realtime import Subscription

__all__ = ["AsyncTriggers", "Triggers"]


class _WebhookVerifier:
    """Mixed into both facades, so both hold the very same function."""

    __slots__ = ()

    #: :func:`composio.webhooks.verify_webhook` (pure: no I/O, the same on both clients).
    verify_webhook = staticmethod(verify_webhook)


class Triggers(_WebhookVerifier, SyncResource["Composio"]):
    __slots__ = ()

    def list_types(
        self,
        *,
        toolkit_slugs: str | Sequence[str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[TriggerType]:
        return self._run_page(
            ops.list_trigger_types(
                toolkit_slugs=toolkit_slugs,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def retrieve_type(
        self, slug: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> TriggerType:
        return self._run(
            ops.retrieve_trigger_type(slug, extra_headers=extra_headers, timeout=timeout)
        )

    def type_enum(
        self, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> tuple[str, ...]:
        """Every trigger type's slug."""
        return self._run(ops.trigger_type_enum(extra_headers=extra_headers, timeout=timeout))

    def create(
        self,
        slug: str,
        *,
        user_id: str | None = None,
        connected_account_id: str | None = None,
        trigger_config: Mapping[str, Any] | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> TriggerInstance:
        """Create the trigger on an account, or update its config (an upsert).

        Without ``connected_account_id``, the ``user_id``'s ACTIVE account of the trigger
        type's toolkit is used; none or several is a ``ValidationError`` that names them.
        """
        return self._run_flow(
            ops.create_trigger(
                slug,
                user_id=user_id,
                connected_account_id=connected_account_id,
                trigger_config=trigger_config,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def list_active(
        self,
        *,
        trigger_ids: str | Sequence[str] | None = None,
        connected_account_ids: str | Sequence[str] | None = None,
        auth_config_ids: str | Sequence[str] | None = None,
        trigger_names: str | Sequence[str] | None = None,
        show_disabled: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[TriggerInstance]:
        return self._run_page(
            ops.list_active_triggers(
                trigger_ids=trigger_ids,
                connected_account_ids=connected_account_ids,
                auth_config_ids=auth_config_ids,
                trigger_names=trigger_names,
                show_disabled=show_disabled,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def enable(
        self, trigger_id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._run(
            ops.set_trigger_status(
                trigger_id, enable=True, extra_headers=extra_headers, timeout=timeout
            )
        )

    def disable(
        self, trigger_id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._run(
            ops.set_trigger_status(
                trigger_id, enable=False, extra_headers=extra_headers, timeout=timeout
            )
        )

    def delete(
        self, trigger_id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._run(ops.delete_trigger(trigger_id, extra_headers=extra_headers, timeout=timeout))

    def subscribe(
        self,
        *,
        trigger_slug: str | None = None,
        trigger_id: str | None = None,
        toolkit: str | None = None,
        user_id: str | None = None,
        connected_account_id: str | None = None,
        auth_config_id: str | None = None,
    ) -> Subscription:
        """Receive trigger events as they happen, without a public endpoint (SPEC §18).

        Returns once subscribed (the client's total timeout bounds it); iterate the result for
        :class:`~composio.webhooks.TriggerEvent` s, and close it (``with``, or ``close()`` from
        any thread or from the loop body). Each given filter must equal the event's value
        (case-insensitively); an event that does not carry a filtered value is dropped.
        """
        return self._run_subscribe(
            Filters(
                trigger_slug=trigger_slug,
                trigger_id=trigger_id,
                toolkit=toolkit,
                user_id=user_id,
                connected_account_id=connected_account_id,
                auth_config_id=auth_config_id,
            )
        )


# The async twin, written by scripts/unasync.py; imported from here as before.
from composio.resources._async.triggers import AsyncTriggers  # noqa: E402
