"""The bases of every resource facade: the driver's verbs, bound at construction.

A facade method builds an operation (``composio._ops``) or a flow from its arguments and the
client's :class:`~composio._tool_env.ToolEnv`, and hands it to a verb. The verbs are the
client's driver methods, bound once here (as openai-python's ``_resource.py`` binds
``_get``/``_post``), so a facade never reaches into the client's private state:

=================  =============================  ==========================================
sync verb          async verb                     runs
=================  =============================  ==========================================
``_run``           ``_arun``                      one operation
``_run_page``      ``_arun_page``                 one page of a list operation
``_run_flow``      ``_arun_flow``                 a flow (several requests, waits)
``_run_flows``     ``_arun_flows``                several flows, in order or in parallel
``_run_blocking``  ``_arun_blocking``             a blocking function (a worker thread async)
``_run_subscribe`` ``_arun_subscribe``            a realtime subscription (``composio.realtime``)
=================  =============================  ==========================================

The sync facades (``resources/<name>.py``) are the source; ``scripts/unasync.py`` writes the
async ones (``resources/_async/<name>.py``) by turning each sync verb into its awaited async
twin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from composio._tool_env import ToolEnv
    from composio.async_client import AsyncComposio
    from composio.client import Composio

__all__ = ["AsyncResource", "Resource", "SyncResource"]

C = TypeVar("C")


class Resource(Generic[C]):
    """What both kinds of facade hold: the client (only to bind returned objects to it,
    e.g. a ``ConnectionRequest``) and its tool environment (pins, toolkit cache, hooks)."""

    __slots__ = ("_client", "_env")

    def __init__(self, client: Any) -> None:
        # ``Any``: the client's resource properties (a mixin) pass themselves.
        self._client: C = client
        self._env: ToolEnv = client._tool_env


class SyncResource(Resource[C]):
    """A facade of ``Composio``: blocking verbs."""

    __slots__ = ("_run", "_run_blocking", "_run_flow", "_run_flows", "_run_page", "_run_subscribe")

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        driver: Composio = client  # the verbs keep the driver's (generic) signatures for mypy
        self._run = driver._run
        self._run_page = driver._run_page
        self._run_flow = driver._run_flow
        self._run_flows = driver._run_flows
        self._run_blocking = driver._run_blocking
        self._run_subscribe = driver._run_subscribe


class AsyncResource(Resource[C]):
    """A facade of ``AsyncComposio``: awaitable verbs."""

    __slots__ = (
        "_arun",
        "_arun_blocking",
        "_arun_flow",
        "_arun_flows",
        "_arun_page",
        "_arun_subscribe",
    )

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        driver: AsyncComposio = client
        self._arun = driver._arun
        self._arun_page = driver._arun_page
        self._arun_flow = driver._arun_flow
        self._arun_flows = driver._arun_flows
        self._arun_blocking = driver._arun_blocking
        self._arun_subscribe = driver._arun_subscribe
