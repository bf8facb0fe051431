"""The tool hooks are defined beside the tool layer (``composio._tool_hookspecs``) and stay
importable from ``composio.hookspecs``, the module the plugin manager registers and plugins
read (issue 17): a plugin manager built from it knows every hook, HTTP and tool alike."""

from __future__ import annotations

import pluggy

from composio import _tool_hookspecs, hookspecs

TOOL_HOOKS = ("composio_before_execute", "composio_after_execute", "composio_tool_schema")


def test_issue17_tool_hookspecs_are_reexported_and_registered_with_the_http_ones() -> None:
    for name in TOOL_HOOKS:
        assert getattr(hookspecs, name) is getattr(_tool_hookspecs, name)
        assert name in hookspecs.__all__
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    registered = {n for n in vars(pm.hook) if n.startswith("composio_")}
    assert set(TOOL_HOOKS) <= registered
    assert {"composio_middlewares", "composio_retry_decision"} <= registered
    for name in TOOL_HOOKS:
        spec = getattr(pm.hook, name).spec
        assert spec is not None and spec.namespace is hookspecs
