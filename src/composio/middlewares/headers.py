"""The header middlewares of the built-in chain (SPEC §3 items 2-6, §4).

Each one applies a layer that was validated and folded when the client was built, so the
per-request work is a handful of dict writes. They are sans-I/O policies (``on_request``):
the sync and the async chain run the same objects, and the runner fuses the five into one
link (SPEC §13).
"""

from __future__ import annotations

import os
import sys

from composio._version import __version__
from composio.headers import Layer
from composio.pipeline import Request, RequestPolicy, Stage

__all__ = [
    "AuthMiddleware",
    "CallHeadersMiddleware",
    "DefaultHeadersMiddleware",
    "IdentityMiddleware",
    "SessionHeadersMiddleware",
    "new_request_id",
]

_REQUEST_ID = "x-request-id"
_RUNTIME = "python/{}.{}.{}".format(*sys.version_info[:3])


def new_request_id() -> str:
    """A uuid4 in hex, from 16 random bytes without building a ``uuid.UUID`` object (or an
    int: two byte writes are half the cost of the bit arithmetic on a 128-bit integer)."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    return b.hex()


class AuthMiddleware(RequestPolicy):
    """Adds ``x-api-key``. The key lives only here and in the config, never in a log."""

    name = "auth"
    stage = Stage.CALL
    order = 100
    __slots__ = ("_layer",)

    def __init__(self, api_key: str) -> None:
        self._layer: Layer = {"x-api-key": ("x-api-key", api_key)}

    def on_request(self, request: Request) -> None:
        request.headers.extend(self._layer)

    def __repr__(self) -> str:
        return "AuthMiddleware(api_key='***')"


class IdentityMiddleware(RequestPolicy):
    """SDK identity headers, plus a fresh ``x-request-id`` that any layer above may replace."""

    name = "identity"
    stage = Stage.CALL
    order = 200
    __slots__ = ("_generate", "_layer")

    def __init__(self, framework: str, defaults_set_request_id: bool = False) -> None:
        #: False when the default headers (or plugin metadata) always set x-request-id: then
        #: a generated one would only be overwritten
        self._generate = not defaults_set_request_id
        self._layer: Layer = {
            k.lower(): (k, v)
            for k, v in (
                ("User-Agent", f"composio-python/{__version__}"),
                ("Accept", "application/json"),
                ("Accept-Encoding", "gzip, deflate"),
                ("x-source", "PYTHON_SDK"),
                ("x-sdk-version", __version__),
                ("x-runtime", _RUNTIME),
                ("x-framework", framework),
            )
        }

    def on_request(self, request: Request) -> None:
        headers = request.headers
        headers.extend(self._layer)  # built above: no removal marker
        ctx = request.context
        if (
            self._generate
            and _REQUEST_ID not in ctx.session_layer
            and _REQUEST_ID not in ctx.call_layer
        ):
            headers["x-request-id"] = new_request_id()


class DefaultHeadersMiddleware(RequestPolicy):
    """Plugin metadata under the client's ``default_headers``, folded once at build time."""

    name = "default-headers"
    stage = Stage.CALL
    order = 300
    __slots__ = ("_layer", "_plain")

    def __init__(self, layer: Layer) -> None:
        self._layer = layer
        #: no ``None`` (removal) in the layer: written with one ``dict.update``
        self._plain = all(value is not None for _, value in layer.values())

    def on_request(self, request: Request) -> None:
        layer = self._layer
        if not layer:
            return
        if self._plain:
            request.headers.extend(layer)
        else:
            request.headers.apply(layer)


class SessionHeadersMiddleware(RequestPolicy):
    """The calling client's session layers (oldest first, pre-folded into one).

    The layers travel in ``request.context.session_layer`` rather than on ``self``: one
    instance serves every session of a client, so ``create_session`` never rebuilds the chain.
    """

    name = "session-headers"
    stage = Stage.CALL
    order = 400
    __slots__ = ()

    def on_request(self, request: Request) -> None:
        layer = request.context.session_layer
        if layer:
            request.headers.apply(layer)


class CallHeadersMiddleware(RequestPolicy):
    """The call's ``extra_headers``: the highest layer."""

    name = "call-headers"
    stage = Stage.CALL
    order = 500
    __slots__ = ()

    def on_request(self, request: Request) -> None:
        layer = request.context.call_layer
        if layer:
            request.headers.apply(layer)
