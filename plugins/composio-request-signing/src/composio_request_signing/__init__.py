"""HMAC-SHA256 request signing for composio-pipeline, and the verifier for the other side.

An enterprise gateway in front of the Composio API (or the API itself, behind one) can then
refuse any request that did not come from a holder of the shared key, was altered on the way
(method, path, query, body), is older than a few minutes, or is a replay.

Installed, the entry point signs every request of every client whose process has the key in
``COMPOSIO_SIGNING_KEY`` (read when a client is built; ``base64:...`` for binary keys;
``COMPOSIO_SIGNING_KEY_ID`` optional). Without a key it adds nothing and logs one WARNING, unless
``COMPOSIO_SIGNING_REQUIRED=1``, which makes a client build fail instead. In code, without the
entry point: ``Composio(middlewares=[RequestSigner(key)])``.

The receiving side::

    verifier = Verifier(key, max_skew=300)
    verifier.verify(method, path, query, body, headers)   # raises SignatureError
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from composio import ClientConfig, Middleware, ValidationError, hookimpl
from composio_request_signing._canonical import (
    CONTENT_HEADER,
    KEY_ID_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    SIGNED_HEADERS_HEADER,
    TIMESTAMP_HEADER,
)
from composio_request_signing._key import MIN_KEY_BYTES
from composio_request_signing._signer import RequestSigner
from composio_request_signing._verify import NonceCache, SignatureError, Verifier, verify

__all__ = [
    "CONTENT_HEADER",
    "KEY_ENV",
    "KEY_ID_ENV",
    "KEY_ID_HEADER",
    "MIN_KEY_BYTES",
    "NONCE_HEADER",
    "REQUIRED_ENV",
    "SIGNATURE_HEADER",
    "SIGNED_HEADERS_HEADER",
    "TIMESTAMP_HEADER",
    "NonceCache",
    "RequestSigner",
    "SignatureError",
    "Verifier",
    "composio_middlewares",
    "signer_from_env",
    "verify",
]

#: The name this plugin is registered and blocked under (``COMPOSIO_BLOCKED_PLUGINS``).
composio_plugin_name = "composio-request-signing"
KEY_ENV = "COMPOSIO_SIGNING_KEY"
KEY_ID_ENV = "COMPOSIO_SIGNING_KEY_ID"
REQUIRED_ENV = "COMPOSIO_SIGNING_REQUIRED"

logger = logging.getLogger("composio.request_signing")
_warned = [False]  # once per process; a list, not a lock (nothing to hold across fork)


def signer_from_env() -> RequestSigner | None:
    """A signer from ``COMPOSIO_SIGNING_KEY`` (+ ``_KEY_ID``), or ``None`` when it is unset and
    not required. A key that is set but bad raises ``ValidationError`` (never showing it)."""
    key = os.environ.get(KEY_ENV, "")
    if not key:
        if os.environ.get(REQUIRED_ENV, "").strip().lower() in {"1", "true", "yes", "on"}:
            raise ValidationError(
                f"{REQUIRED_ENV} is set but {KEY_ENV} is not: refusing to build a client that "
                "would send unsigned requests. Set the key, or unset the requirement."
            )
        if not _warned[0]:
            _warned[0] = True
            logger.warning(
                "composio-request-signing is installed but %s is not set: requests are NOT "
                "signed (set %s=1 to make this an error).",
                KEY_ENV,
                REQUIRED_ENV,
            )
        return None
    key_id = os.environ.get(KEY_ID_ENV) or None
    return RequestSigner(key, key_id=key_id)


@hookimpl
def composio_middlewares(config: ClientConfig) -> Sequence[Middleware]:
    # Read when a client is built, not at import, and never per request.
    signer = signer_from_env()
    return [] if signer is None else [signer]
