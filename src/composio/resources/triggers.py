"""``client.triggers``: trigger types, trigger instances, and webhook verification.

Both facades are thin over ``composio._ops.triggers``. ``verify_webhook`` is the pure
function :func:`composio.webhooks.verify_webhook` itself, inherited by both from one base: it
does no I/O, so it is a plain method on the async client too (``tests/unit/test_parity.py``
checks that it is the very same function).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from composio._ops import triggers as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.resources._base import Resource
from composio.webhooks import verify_webhook

if TYPE_CHECKING:
    from composio.async_client import AsyncComposio  # noqa: F401 (the base's type argument)
    from composio.client import Composio  # noqa: F401
    from composio.models import TriggerInstance, TriggerType
    from composio.pagination import AsyncPage, Page

__all__ = ["AsyncTriggers", "Triggers"]

C = TypeVar("C")


class _WebhookVerifier(Resource[C]):
    __slots__ = ()

    #: :func:`composio.webhooks.verify_webhook` (pure: no I/O, the same on both clients).
    verify_webhook = staticmethod(verify_webhook)


class Triggers(_WebhookVerifier["Composio"]):
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
        return self._client._run_page(
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
        return self._client._run(
            ops.retrieve_trigger_type(slug, extra_headers=extra_headers, timeout=timeout)
        )

    def type_enum(
        self, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> tuple[str, ...]:
        """Every trigger type's slug."""
        return self._client._run(
            ops.trigger_type_enum(extra_headers=extra_headers, timeout=timeout)
        )

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
        return self._client._run_flow(
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
        return self._client._run_page(
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
        self._client._run(
            ops.set_trigger_status(
                trigger_id, enable=True, extra_headers=extra_headers, timeout=timeout
            )
        )

    def disable(
        self, trigger_id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._client._run(
            ops.set_trigger_status(
                trigger_id, enable=False, extra_headers=extra_headers, timeout=timeout
            )
        )

    def delete(
        self, trigger_id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        self._client._run(
            ops.delete_trigger(trigger_id, extra_headers=extra_headers, timeout=timeout)
        )


class AsyncTriggers(_WebhookVerifier["AsyncComposio"]):
    __slots__ = ()

    async def list_types(
        self,
        *,
        toolkit_slugs: str | Sequence[str] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> AsyncPage[TriggerType]:
        return await self._client._arun_page(
            ops.list_trigger_types(
                toolkit_slugs=toolkit_slugs,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    async def retrieve_type(
        self, slug: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> TriggerType:
        return await self._client._arun(
            ops.retrieve_trigger_type(slug, extra_headers=extra_headers, timeout=timeout)
        )

    async def type_enum(
        self, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> tuple[str, ...]:
        """Every trigger type's slug."""
        return await self._client._arun(
            ops.trigger_type_enum(extra_headers=extra_headers, timeout=timeout)
        )

    async def create(
        self,
        slug: str,
        *,
        user_id: str | None = None,
        connected_account_id: str | None = None,
        trigger_config: Mapping[str, Any] | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> TriggerInstance:
        """See :meth:`Triggers.create`."""
        return await self._client._arun_flow(
            ops.create_trigger(
                slug,
                user_id=user_id,
                connected_account_id=connected_account_id,
                trigger_config=trigger_config,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    async def list_active(
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
    ) -> AsyncPage[TriggerInstance]:
        return await self._client._arun_page(
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

    async def enable(
        self, trigger_id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        await self._client._arun(
            ops.set_trigger_status(
                trigger_id, enable=True, extra_headers=extra_headers, timeout=timeout
            )
        )

    async def disable(
        self, trigger_id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        await self._client._arun(
            ops.set_trigger_status(
                trigger_id, enable=False, extra_headers=extra_headers, timeout=timeout
            )
        )

    async def delete(
        self, trigger_id: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> None:
        await self._client._arun(
            ops.delete_trigger(trigger_id, extra_headers=extra_headers, timeout=timeout)
        )
