"""The exception hierarchy of SPEC §2.

Class names match the vendor's generated client so ``except`` clauses carry over. Every error
is picklable (workers ship them across processes) and its text is built only from redacted
material: :class:`RequestInfo` holds headers already filtered through the allow-list of
:mod:`composio._redact`, so no code path can put the API key into a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from composio._value import Value

if TYPE_CHECKING:
    from composio.models import ToolExecution
    from composio.pipeline import Response

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ComposioError",
    "ComposioNoAPIKeyError",
    "ConflictError",
    "ConnectionFailedError",
    "InternalServerError",
    "MultipleConnectedAccountsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestInfo",
    "ToolExecutionError",
    "UnprocessableEntityError",
    "ValidationError",
    "WebhookVerificationError",
    "status_error_class",
]


class RequestInfo(Value):
    """What an error may say about the request that caused it: already redacted."""

    __slots__ = ("headers", "method", "url")
    method: str
    url: str
    headers: Mapping[str, str]

    def __init__(self, method: str, url: str, headers: Mapping[str, str] | None = None) -> None:
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "headers", dict(headers or {}))

    def __hash__(self) -> int:
        return hash((self.method, self.url))

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


class ComposioError(Exception):
    """Base of every error the SDK raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle as cls(*args) by default, which breaks for keyword-rich
        # subclasses; restore the instance dict instead.
        return (_rebuild, (type(self), self.message, self.__dict__))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[ComposioError], message: str, state: dict[str, Any]) -> ComposioError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class ComposioNoAPIKeyError(ComposioError):
    """No API key given and none in ``COMPOSIO_API_KEY``."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "No Composio API key: pass Composio(api_key=...) or set the COMPOSIO_API_KEY "
            "environment variable (keys are on https://platform.composio.dev, Settings)."
        )


class ValidationError(ComposioError, ValueError):
    """Bad input to the SDK, caught before anything is sent."""


class ToolExecutionError(ComposioError):
    """The tool ran and reported failure (``successful: false``); ``.result`` has the details."""

    def __init__(self, message: str, *, result: ToolExecution, slug: str) -> None:
        super().__init__(message)
        self.result = result
        self.slug = slug


class APIError(ComposioError):
    """A request to the API failed; ``.request`` says which (redacted)."""

    def __init__(
        self, message: str, *, request: RequestInfo | None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.request = request
        self.request_id = request_id


class APIConnectionError(APIError):
    """No usable response: refused, reset, DNS, TLS, truncated body.

    ``sent`` is False only when the request provably never reached the server (connect
    refused or timed out, DNS failure), which makes it safe to retry for any method.
    ``kind`` names the failure: ``refused``, ``dns``, ``connect_timeout``, ``tls``, ``reset``,
    ``truncated``, ``read_timeout``, ``deadline``, ``protocol``, and on ``AsyncComposio``
    ``pool_timeout`` (no connection of the client's own pool came free within the connect
    timeout: the host was never contacted).
    """

    def __init__(
        self,
        message: str = "Connection error.",
        *,
        request: RequestInfo | None,
        sent: bool = True,
        kind: str = "connection",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request=request, request_id=request_id)
        self.sent = sent
        self.kind = kind


class APITimeoutError(APIConnectionError):
    """The connect, read or total timeout ran out."""


class APIStatusError(APIError):
    """The server answered with a 4xx/5xx status."""

    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        request: RequestInfo | None,
        status_code: int,
        body: object = None,
        code: int | str | None = None,
        suggested_fix: str | None = None,
        request_id: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(message, request=request, request_id=request_id)
        self.status_code = status_code
        self.body = body
        self.code = code
        self.suggested_fix = suggested_fix
        self.response = response

    def __reduce__(self) -> tuple[Any, ...]:
        # The live Response holds a socket-backed object; it does not cross a pickle.
        state = dict(self.__dict__)
        state["response"] = None
        return (_rebuild, (type(self), self.message, state))


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class ConflictError(APIStatusError):
    status_code = 409


class UnprocessableEntityError(APIStatusError):
    status_code = 422


class RateLimitError(APIStatusError):
    """429. ``retry_after`` is the server's hint in seconds, when it gave one."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """Any status >= 500."""

    status_code = 500


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The error class for an HTTP status; ``APIStatusError`` for unmapped 4xx."""
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIStatusError)


class WebhookVerificationError(ComposioError):
    """A webhook delivery failed verification; ``.reason`` names the check that failed.

    ``reason`` is one of :data:`composio.webhooks.FAILURE_REASONS` (``missing_header``,
    ``duplicate_header``, ``bad_timestamp``, ``timestamp_too_old``, ``timestamp_too_new``,
    ``no_valid_signature``, ``not_json``, ``not_object``) so a receiver can count or alert on
    it without parsing text; ``header`` names the header concerned, when there is one. The
    message is built from the names of checks and derived numbers only: never the secret, the
    expected signature, a header's value or the body, all of which may be attacker-chosen or
    secret.
    """

    def __init__(self, message: str, *, reason: str, header: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.header = header


class ClientClosedError(ComposioError):
    """A call on a client whose connection pool was closed (SPEC §12.9).

    Raised for the root client after ``close()`` (or the end of its ``with`` block) and for
    every session and ``with_options`` copy sharing its pool; the SDK never reopens sockets
    behind a ``close()``. ``base_url`` names the root client that was closed.
    """

    def __init__(self, message: str, *, base_url: str | None = None) -> None:
        super().__init__(message)
        self.base_url = base_url


class ConnectionFailedError(ComposioError):
    """Waiting for a connection ended in a terminal state (``FAILED``, ``EXPIRED``,
    ``INACTIVE``, ``REVOKED``): ``.status`` is that state, ``.account_id`` the account,
    ``.reason`` the API's ``status_reason`` (when it gave one) and ``.account`` the
    :class:`~composio.models.ConnectedAccount` as last polled."""

    def __init__(
        self,
        message: str,
        *,
        account_id: str,
        status: str,
        reason: str | None = None,
        account: Any = None,
    ) -> None:
        super().__init__(message)
        self.account_id = account_id
        self.status = status
        self.reason = reason
        self.account = account


class MultipleConnectedAccountsError(ComposioError):
    """``connected_accounts.initiate`` found an ``ACTIVE`` account of the same user for the
    same auth config (``.account_id``); pass ``allow_multiple=True`` to create another."""

    def __init__(self, message: str, *, account_id: str, user_id: str, auth_config_id: str) -> None:
        super().__init__(message)
        self.account_id = account_id
        self.user_id = user_id
        self.auth_config_id = auth_config_id
