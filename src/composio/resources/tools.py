"""``client.tools``: list, retrieve, get (provider-wrapped) and execute.

Both facades are thin: each method hands its arguments to the shared builder in
``composio._ops.tools`` (which validates and describes the call) and runs the result on its
client. ``tests/unit/test_parity.py`` keeps their signatures identical.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from composio._agentic import bind_execute
from composio._ops import tool_calls as calls
from composio._ops import tools as ops
from composio._sentinel import NOT_GIVEN, HeadersArg
from composio.resources._base import SyncResource

if TYPE_CHECKING:
    from composio.client import Composio  # noqa: F401 (the base's type argument)
    from composio.models import ProxyResponse, Tool, ToolExecution, ToolInput
    from composio.modifiers import Modifier
    from composio.pagination import Page

__all__ = ["AsyncTools", "Tools"]


class Tools(SyncResource["Composio"]):
    __slots__ = ()

    def list(
        self,
        toolkit_slug: str | None = None,
        *,
        tool_slugs: str | Sequence[str] | None = None,
        search: str | None = None,
        tags: str | Sequence[str] | None = None,
        important: bool | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> Page[Tool]:
        """One page of tools; iterating the page (``async for`` on the async client) walks all
        of them."""
        return self._run_page(
            ops.list_tools(
                toolkit_slug,
                tool_slugs=tool_slugs,
                search=search,
                tags=tags,
                important=important,
                limit=limit,
                cursor=cursor,
                extra_headers=extra_headers,
                timeout=timeout,
                env=self._env,
            )
        )

    def retrieve(
        self, slug: str, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> Tool:
        return self._run(
            ops.retrieve_tool(
                slug,
                extra_headers=extra_headers,
                timeout=timeout,
                learn=self._env.toolkits,
            )
        )

    def get(
        self,
        user_id: str,
        *,
        slug: str | None = None,
        tools: str | Sequence[str] | None = None,
        toolkits: str | Sequence[str] | None = None,
        search: str | None = None,
        limit: int | None = None,
        modifiers: Sequence[Modifier[Any]] | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> builtins.list[object]:
        """Tools for ``user_id``, wrapped by the client's provider (``client.provider``).

        * ``slug``: that one tool (``NotFoundError`` if it does not exist);
        * ``tools``: exactly those tools, however many pages they take;
        * ``toolkits`` / ``search`` / ``limit``: the first page matching them;
        * nothing: the first page of all tools (the seed's ``session.tools.get('a')``).
        """
        found = self._run_flow(
            calls.get(
                self._env,
                user_id,
                slug=slug,
                tools=tools,
                toolkits=toolkits,
                search=search,
                limit=limit,
                modifiers=modifiers,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )
        # An agentic provider (SPEC §17) also gets the client's execute, bound here.
        return calls.wrap(self._env, found, lambda: bind_execute(self._client, user_id, modifiers))

    def execute(
        self,
        slug: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        user_id: str | None = None,
        connected_account_id: str | None = None,
        version: str | None = None,
        raise_on_error: bool = True,
        modifiers: Sequence[Modifier[Any]] | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ToolExecution:
        """Run a tool; ``successful: false`` raises :class:`ToolExecutionError` (with
        ``.result``) unless ``raise_on_error=False``. Not retried once it may have reached the
        server, unless the call carries an ``Idempotency-Key`` header."""
        return self._run_flow(
            calls.execute(
                self._env,
                slug,
                arguments,
                user_id=user_id,
                connected_account_id=connected_account_id,
                version=version,
                raise_on_error=raise_on_error,
                modifiers=modifiers,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def handle_tool_calls(
        self,
        user_id: str,
        response: object,
        *,
        modifiers: Sequence[Modifier[Any]] | None = None,
        parallel: bool = False,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> builtins.list[object]:
        """Execute the tool calls in an LLM ``response`` for ``user_id``; return what the
        framework takes back (the client's provider parses and formats, SPEC §15).

        Every call is answered, in call order: a call the model got wrong (unknown tool,
        arguments not a JSON object), a tool that failed and a modifier that raised become
        error results the model reads. ``parallel=True`` runs up to 8 calls at once.
        """
        batch = calls.handle_tool_calls(
            self._env,
            user_id,
            response,
            modifiers=modifiers,
            parallel=parallel,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return batch.format(self._run_flows(batch.flows, batch.parallel, batch.name))

    def proxy(
        self,
        endpoint: str,
        method: str,
        *,
        connected_account_id: str,
        body: object = None,
        parameters: Sequence[Mapping[str, str]] | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ProxyResponse:
        """Call the toolkit's own API (``endpoint``: a path on its base URL, or a URL) with
        the connected account's credentials; ``parameters`` adds headers/query parameters
        (``[{"name": ..., "value": ..., "type": "header"|"query"}]``)."""
        return self._run(
            ops.proxy_request(
                endpoint,
                method,
                connected_account_id=connected_account_id,
                body=body,
                parameters=parameters,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def input(
        self,
        slug: str,
        text: str,
        *,
        custom_description: str | None = None,
        system_prompt: str | None = None,
        extra_headers: HeadersArg = None,
        timeout: Any = NOT_GIVEN,
    ) -> ToolInput:
        """Arguments for tool ``slug`` generated by the API from a sentence."""
        return self._run(
            ops.tool_input(
                slug,
                text,
                custom_description=custom_description,
                system_prompt=system_prompt,
                extra_headers=extra_headers,
                timeout=timeout,
            )
        )

    def enum(
        self, *, extra_headers: HeadersArg = None, timeout: Any = NOT_GIVEN
    ) -> builtins.list[str]:
        """Every tool slug the API knows."""
        return self._run(ops.tool_enum(extra_headers=extra_headers, timeout=timeout))


# The async twin, written by scripts/unasync.py; imported from here as before.
from composio.resources._async.tools import AsyncTools  # noqa: E402
