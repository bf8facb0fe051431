"""Every request of the triggers / tool-router / MCP / files methods is judged by the OpenAPI
spec (v3.1 paths mapped onto the document's v3 ones), on both clients: each method is one
shared operation description, and both drivers must put it on the wire the same way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from composio.testing import LocalServer
from tests._drivers import Driver
from tests.conformance._judge import Judge, spec_path
from tests.conftest import SENTINEL_KEY
from tests.integration._api import Api

#: The spec operations these resources wrap, by operationId (the report's table).
WRAPPED_EVENTS = frozenset(
    {
        # triggers
        "getTriggersTypes",
        "getTriggersTypesBySlug",
        "getTriggersTypesListEnum",
        "postTriggerInstancesBySlugUpsert",
        "getTriggerInstancesActive",
        "patchTriggerInstancesManageByTriggerId",
        "deleteTriggerInstancesManageByTriggerId",
        # tool router
        "postToolRouterSession",
        "getToolRouterSessionBySessionId",
        "postToolRouterSessionBySessionIdExecute",
        "postToolRouterSessionBySessionIdExecuteMeta",
        "postToolRouterSessionBySessionIdLink",
        "getToolRouterSessionBySessionIdToolkits",
        # MCP
        "getMcpServers",
        "postMcpServers",
        "postMcpServersCustom",
        "postMcpServersGenerate",
        "getMcpById",
        "patchMcpById",
        "deleteMcpById",
        "getMcpAppByAppKey",
        "getMcpServersByServerIdInstances",
        "postMcpServersByServerIdInstances",
        "deleteMcpServersByServerIdInstancesByInstanceId",
        # files
        "getFilesList",
        "postFilesUploadRequest",
        # used by triggers.create to find the user's account
        "getConnectedAccounts",
    }
)
STAR = "GITHUB_STAR_ADDED_EVENT"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=SENTINEL_KEY) as srv:
        yield srv


def exercise_events(client: Any, server: LocalServer) -> None:
    """One call of every method with every parameter it takes."""
    api = Api(server)
    try:
        github = api.managed_auth_config("github")
        api.active_account("alice")
        other = api.active_account("bob")
    finally:
        api.close()
    server.reset()

    t = client.triggers
    assert list(t.list_types(toolkit_slugs=["github", "slack"], limit=1))
    t.list_types(toolkit_slugs="github", cursor=None)
    t.retrieve_type(STAR)
    assert STAR in t.type_enum()
    made = t.create(STAR, user_id="alice", trigger_config={"owner": "o", "repo": "r"})
    t.create(STAR, connected_account_id=other, trigger_config={"owner": "o", "repo": "r"})
    assert len(list(t.list_active(limit=1))) == 2
    t.list_active(
        trigger_ids=[made.id],
        connected_account_ids=[other, "ca_x"],
        auth_config_ids=[github],
        trigger_names=[STAR],
        show_disabled=True,
        limit=10,
    )
    t.disable(made.id)
    t.enable(made.id)
    t.delete(made.id)

    r = client.tool_router
    session = r.create_session(
        "alice",
        toolkits=["text", "github"],
        tools={"github": {"enable": ["GITHUB_GET_REPO"]}},
        tags={"enable": ["readOnlyHint"]},
        auth_configs={"github": github},
        connected_accounts={"github": other},
        manage_connections=True,
        workbench={"enable_proxy_execution": True},
    )
    r.create_session("bob", toolkits={"disable": ["gmail"]}, tags=["readOnlyHint"])
    r.retrieve_session(session.session_id)
    r.execute(session.session_id, "TEXT_UPPERCASE", {"text": "x"})
    r.execute(session.session_id, "TEXT_UPPERCASE")
    r.execute_meta(session.session_id, "COMPOSIO_SEARCH_TOOLS", {"queries": []})
    r.link(session.session_id, "github", callback_url="https://app.example/cb")
    r.link(session.session_id, "github")
    list(r.session_toolkits(session.session_id, limit=1))
    r.session_toolkits(
        session.session_id, toolkits=["text", "github"], is_connected=True, search="t"
    )

    m = client.mcp
    server_a = m.create(
        "server alpha",
        auth_config_ids=[github],
        no_auth_apps=["text"],
        allowed_tools=["GITHUB_GET_REPO", "TEXT_UPPERCASE"],
        managed_auth_via_composio=True,
    )
    m.create("server beta", auth_config_ids=[])
    custom = m.create_custom(
        "server gamma",
        toolkits=["text"],
        auth_config_ids=[github],
        allowed_tools=["TEXT_UPPERCASE"],
        custom_tools=["MY_TOOL"],
        managed_auth_via_composio=False,
    )
    m.generate(
        server_a.id,
        user_ids=["alice"],
        connected_account_ids=[other],
        managed_auth_by_composio=True,
    )
    m.generate(server_a.id)
    assert len(list(m.list(limit=1))) == 3
    m.list(
        name="server",
        toolkits=["text", "github"],
        auth_config_ids=[github],
        order_by="created_at",
        order_direction="asc",
        limit=5,
        page_no=1,
    )
    list(m.retrieve_app("text", limit=1, order_by="updated_at", order_direction="desc"))
    m.retrieve(server_a.id)
    m.update(
        server_a.id,
        name="server alpha two",
        toolkits=["github"],
        allowed_tools=["GITHUB_GET_REPO"],
        auth_config_ids=[github],
        managed_auth_via_composio=False,
    )
    m.create_instance(server_a.id, "alice")
    m.create_instance(server_a.id, "bob")
    list(m.list_instances(server_a.id, limit=1))
    m.list_instances(server_a.id, search="al", order_by="created_at", order_direction="asc")
    m.delete_instance(server_a.id, "alice")
    m.delete(custom.id)

    f = client.files
    f.upload(b"conformance", toolkit_slug="text", tool_slug="TEXT_UPPERCASE", mimetype="text/plain")
    f.upload(b"conformance", toolkit_slug="text", tool_slug="TEXT_UPPERCASE")  # "existing"
    list(f.list(limit=1))
    f.list(toolkit_slug="text", tool_slug="TEXT_UPPERCASE", limit=5)


def test_every_request_conforms_and_every_operation_is_covered(
    judge: Judge, server: LocalServer, driver: Driver
) -> None:
    client = driver.client(
        api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False, max_retries=0
    )
    exercise_events(client, server)
    api_requests = [r for r in server.requests if not r.path.startswith("/_local/")]
    problems: list[str] = []
    for rec in api_requests:
        assert rec.path.startswith("/api/v3.1/"), rec.path  # SPEC §14: every call on v3.1
        problems += judge.request_problems(rec.method, rec.path, rec.query, rec.headers, rec.body)
    assert problems == []
    covered = {judge.operation(r.method, spec_path(r.path)).operation_id for r in api_requests}
    assert covered == WRAPPED_EVENTS
    # the only requests outside the API: the upload's PUT, to the other origin, once
    outside = [r for r in server.requests if r.path.startswith("/_local/")]
    assert [r.method for r in outside] == ["PUT"]
    assert outside[0].header("x-api-key") is None


def test_operations_without_a_body_in_the_spec_send_none(
    judge: Judge, server: LocalServer, driver: Driver
) -> None:
    client = driver.client(api_key=SENTINEL_KEY, base_url=server.url, allow_tracking=False)
    exercise_events(client, server)
    for rec in server.requests:
        if rec.path.startswith("/_local/"):
            continue
        op = judge.operation(rec.method, spec_path(rec.path))
        if "requestBody" not in op.spec:
            assert rec.body == b"", f"{op.operation_id} sent a body"
            assert rec.header("content-type") is None, op.operation_id
