"""Test support: a local Composio API server and pytest fixtures (the ``testing`` extra:
``pip install -e '.[testing]'`` in a clone)."""

from composio.testing.server import (
    Delivery,
    Execution,
    Fault,
    LocalServer,
    RecordedRequest,
    UploadedFile,
)

__all__ = ["Delivery", "Execution", "Fault", "LocalServer", "RecordedRequest", "UploadedFile"]
