"""Signing keys: parsed and checked once, never shown."""

from __future__ import annotations

import base64
import binascii

from composio import ValidationError

__all__ = ["MIN_KEY_BYTES", "parse_key"]

#: RFC 2104 asks for at least the hash's output length (32 bytes for SHA-256).
MIN_KEY_BYTES = 32


def parse_key(key: bytes | str, where: str) -> bytes:
    """``bytes`` as is; ``str`` as UTF-8, or decoded when it starts with ``base64:``.

    Errors say what is wrong with the key and never contain it.
    """
    if isinstance(key, str):
        if key.startswith("base64:"):
            try:
                raw = base64.b64decode(key[7:], validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError(
                    f"{where}: the key after 'base64:' is not valid base64; the value is not shown."
                ) from None
        else:
            raw = key.encode()
    elif isinstance(key, (bytes, bytearray)):
        raw = bytes(key)
    else:
        raise ValidationError(
            f"{where}: a signing key must be bytes or str, not {type(key).__name__}."
        )
    if len(raw) < MIN_KEY_BYTES:
        raise ValidationError(
            f"{where}: a signing key must be at least {MIN_KEY_BYTES} bytes (this one has "
            f'{len(raw)}); generate one with: python -c "import base64, secrets; '
            "print('base64:' + base64.b64encode(secrets.token_bytes(32)).decode())\""
        )
    return raw
