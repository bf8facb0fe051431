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
    """A uuid4 in hex, from 16 random bytes without building a ``uuid.UUID`` object."""
    n = int.from_bytes(os.urandom(16), "big")
    n = (n & ~(0xF000 << 64)) | (4 << 76)  # version 4
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    return f"{n:032x}"


class AuthMiddleware(RequestPolicy):
    """Adds ``x-api-key``. The key lives only here and in the config, never in a log."""

    name = "auth"
    stage = Stage.CALL
    order = 100
    __slots__ = ("_key",)

    def __init__(self, api_key: str) -> None:
        self._key = api_key

    def on_request(self, request: Request) -> None:
        request.headers["x-api-key"] = self._key

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
        headers.apply(self._layer)
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
    __slots__ = ("_layer",)

    def __init__(self, layer: Layer) -> None:
        self._layer = layer

    def on_request(self, request: Request) -> None:
        if self._layer:
            request.headers.apply(self._layer)


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
