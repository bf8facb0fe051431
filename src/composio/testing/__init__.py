"""Test support: a local Composio API server and pytest fixtures (``pip install
composio-pipeline[testing]``)."""

from composio.testing.server import Fault, LocalServer, RecordedRequest

__all__ = ["Fault", "LocalServer", "RecordedRequest"]
