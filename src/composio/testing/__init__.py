"""Test support: a local Composio API server and pytest fixtures (``pip install
composio-pipeline[testing]``)."""

from composio.testing.server import (
    Delivery,
    Execution,
    Fault,
    LocalServer,
    RecordedRequest,
    UploadedFile,
)

__all__ = ["Delivery", "Execution", "Fault", "LocalServer", "RecordedRequest", "UploadedFile"]
