"""``COMPOSIO_LOG``: a switch for the ``composio`` logger, and the debug line of each call.

``COMPOSIO_LOG=debug|info|warning`` (as openai-python's ``OPENAI_LOG``) puts one handler on
stderr on the ``composio`` logger at that level. It is read when ``composio`` is imported and
does nothing at all when the variable is unset (the application's own logging config is never
touched); :func:`configure_from_env` is idempotent (one handler, however often it runs). A
value it does not know is a warning naming the values it takes -- not the value given, which
might be anything pasted into the wrong variable -- and changes nothing.

At DEBUG the SDK logs, per call, the line :func:`log_response` builds (method, URL, status,
elapsed, request id, operation) and, from the retry middleware, each retry and why. Every line
is redacted per SPEC §8: query values are ``***`` (the URL's and the parameters', by name
only), no header value or body is logged, and the whole line goes through the one scrubber
(``composio._redact.scrub``), so a server that echoes a secret into its ``x-request-id``
cannot get it into the log either; and it is escaped as the CLI escapes what it prints
(``composio._terminal.escape``: control characters shown as ``\\xNN``), so a server's
``x-request-id`` cannot drive the terminal the log is written to.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composio.pipeline import Response

__all__ = ["ENV_VAR", "configure_from_env", "log_response"]

ENV_VAR = "COMPOSIO_LOG"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
#: the name of the handler this module installs: how a second call finds it
HANDLER_NAME = "composio-log-env"

logger = logging.getLogger("composio")


def configure_from_env(environ: Mapping[str, str] | None = None) -> logging.Handler | None:
    """Apply ``COMPOSIO_LOG`` from ``environ`` (default ``os.environ``); the handler, if any."""
    value = (os.environ if environ is None else environ).get(ENV_VAR)
    if not value:
        return None
    level = LEVELS.get(value.strip().lower())
    if level is None:
        warnings.warn(
            f"{ENV_VAR} must be one of {', '.join(LEVELS)} (case-insensitive); the value "
            "set is not one of them, so the composio logger was left as it was.",
            UserWarning,
            stacklevel=2,
        )
        return None
    # No lock: it runs once, at import (serialised by the import system); a later call is
    # the caller's own (tests), not a concurrent one.
    handler = next((h for h in logger.handlers if h.get_name() == HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler()  # stderr
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)
    return handler


def log_response(response: Response) -> None:
    """The DEBUG line of one answered call (``BaseClient._finish``), redacted."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    from composio._redact import REDACTED, redact_url, scrub
    from composio._terminal import escape

    request = response.request
    url = redact_url(request.url)
    if request.params:
        query = "&".join(f"{name}={REDACTED}" for name, _ in request.params)
        url += ("&" if "?" in url else "?") + query
    line = (
        f"composio: {request.method} {url} -> {response.status_code} in "
        f"{response.elapsed:.3f}s request_id={response.request_id} "
        f"({request.context.operation})"
    )
    # The request id is the server's text and a log line is printed (stderr, a terminal):
    # escaped by the CLI's one printer's rule, so a control character cannot clear or retitle
    # the terminal or forge a line.
    logger.debug("%s", escape(scrub(line, request.headers)))
