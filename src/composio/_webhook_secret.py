"""The webhook secret -> HMAC key rule (Standard Webhooks' ``whsec_`` + base64, or raw text).

Shared by the verifiers in ``composio.webhooks`` and ``composio triggers listen``, which checks
a secret before it listens so that a malformed one fails once rather than on every delivery.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from composio.errors import ValidationError

__all__ = ["SECRET_PREFIX", "webhook_key"]

SECRET_PREFIX: Final = "whsec_"


def webhook_key(secret: object) -> bytes:
    """The HMAC key. Errors never include the secret, nor chain an exception that might."""
    if not isinstance(secret, str):
        raise ValidationError(
            f"secret must be a str (the webhook secret of your Composio project), got "
            f"{type(secret).__name__}."
        )
    if not secret:
        raise ValidationError(
            "secret is empty: pass the webhook secret of your Composio project, e.g. "
            "os.environ['COMPOSIO_WEBHOOK_SECRET']."
        )
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode("utf-8", "surrogatepass")
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        # Padding is optional (Svix-style secrets are often unpadded); the alphabet is not.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise ValidationError(
            "secret starts with 'whsec_', so the rest must be standard base64 (the key), and "
            "it is not; copy the whole secret again from where it was issued."
        )
    return key
