"""``files.*`` operations: list, and upload (a flow: ask for an upload URL, PUT the bytes).

The PUT goes to a presigned storage URL on another origin, so it is an
:class:`~composio._operation.ExternalOperation`: the client's transport sends it with none of
the SDK's credentials or headers, under what is left of the call's deadline, by the rules of
:mod:`composio._external`. Hashing the file is the only I/O before the flow starts;
:func:`read_source` does it (in slices), and the async facade runs it in a worker thread so
the event loop never waits on a disk. The PUT then streams the file from disk.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from composio._external import FileBody, open_file_body
from composio._operation import (
    CallOptions,
    ExternalOperation,
    Flow,
    Operation,
    PageData,
    call_options,
)
from composio._ops._body import text
from composio._ops._encode import page_operation, params, parse, q_limit, q_str, shape_error
from composio._sentinel import HeadersArg
from composio._wire import server_url
from composio.errors import ValidationError
from composio.models import FileRef, ShapeError

if TYPE_CHECKING:
    from composio.pipeline import Response

__all__ = ["Source", "list_files", "plan_upload", "read_source", "upload_flow"]

_NAME = "files.upload"
_DEFAULT_TYPE = "application/octet-stream"
#: Where the upload URL is, by the answer's ``type`` (``existing``: already stored, no PUT).
_URL_FIELDS = {
    "new": ("new_presigned_url", "newPresignedUrl"),
    "update": ("update_presigned_url", "updatePresignedUrl"),
    "existing": ("existing_url", "existingUrl"),
}


def list_files(
    *,
    toolkit_slug: str | None,
    tool_slug: str | None,
    limit: int | None,
    cursor: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> Operation[PageData[FileRef]]:
    query = params(
        ("toolkit_slug", q_str(toolkit_slug, "files.list: toolkit_slug")),
        ("tool_slug", q_str(tool_slug, "files.list: tool_slug")),
        ("limit", q_limit(limit)),
    )
    first = q_str(cursor, "files.list: cursor")
    options = call_options(extra_headers, timeout)
    return page_operation("files.list", "/files/list", query, options, FileRef._from_items, first)


class Source(NamedTuple):
    """The body to upload (bytes, or a file streamed from disk), with the name, type and MD5
    the upload request announces. A context manager: leaving it closes the file."""

    body: bytes | FileBody
    filename: str
    mimetype: str
    md5: str

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        if isinstance(self.body, FileBody):
            self.body.close()


def read_source(path_or_bytes: object, mimetype: str | None) -> Source:
    """Open and hash a path (``str`` or ``os.PathLike``) in slices, or take ``bytes``; guess
    the type from the file name when ``mimetype`` is ``None``. The file is not read into
    memory: it is sent from disk (SPEC §18, :func:`composio._external.open_file_body`).
    Blocking: the async client calls it in a thread."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        kind = mimetype or _DEFAULT_TYPE
        extension = mimetypes.guess_extension(kind) or ".bin"
        return Source(data, f"upload-{md5[:12]}{extension}", kind, md5)
    if not isinstance(path_or_bytes, (str, os.PathLike)):
        raise ValidationError(
            f"{_NAME}: path_or_bytes must be a path (str or os.PathLike) or bytes, not "
            f"{type(path_or_bytes).__name__}."
        )
    path = Path(path_or_bytes)
    name = f"{str(path)!r:.200}"
    try:
        body = open_file_body(path, name)
    except OSError as exc:
        raise ValidationError(
            f"{_NAME}: cannot read {name}: {exc.strerror or type(exc).__name__}."
        ) from None
    kind = mimetype or mimetypes.guess_type(path.name)[0] or _DEFAULT_TYPE
    return Source(body, path.name, kind, body.md5)


def _check_mimetype(value: object) -> str | None:
    """It travels as the PUT's ``Content-Type``: a header value (visible ASCII, SPEC §12.3)."""
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or "/" not in value
        or not all(0x20 <= ord(c) < 0x7F for c in value)
    ):
        raise ValidationError(
            f"{_NAME}: mimetype must be a media type such as 'text/plain' (visible ASCII), "
            f"got {value!r:.40}."
        )
    return value


def plan_upload(
    *,
    toolkit_slug: str,
    tool_slug: str,
    mimetype: str | None,
    extra_headers: HeadersArg,
    timeout: Any,
) -> tuple[str | None, Callable[[Source], Flow[FileRef]]]:
    """Check every argument before the file is read; returns the checked ``mimetype`` (for
    :func:`read_source`) and what turns the read source into the upload's flow."""
    kit = text(toolkit_slug, f"{_NAME}: toolkit_slug")
    tool = text(tool_slug, f"{_NAME}: tool_slug")
    kind = _check_mimetype(mimetype)
    options = call_options(extra_headers, timeout)

    def start(source: Source) -> Flow[FileRef]:
        return upload_flow(source, kit, tool, options)

    return kind, start


class _Ticket(NamedTuple):
    kind: str
    key: str
    url: str | None  #: where to PUT; ``None`` when the bytes are already stored
    deadline: float  #: the call's deadline, as its first request started under it


def _ticket(response: Response) -> _Ticket:
    def read(data: Any) -> _Ticket:
        if not isinstance(data, Mapping):
            raise ShapeError("expected an object")
        kind, key = data.get("type"), data.get("key")
        if kind not in _URL_FIELDS or not isinstance(key, str) or not key:
            raise ShapeError("expected 'type' (new, update or existing) and a 'key'")
        url = next((data[f] for f in _URL_FIELDS[kind] if isinstance(data.get(f), str)), None)
        if kind == "existing":
            return _Ticket(kind, key, None, response.request.context.deadline)
        if url is None:
            raise ShapeError(f"a {kind!r} upload needs an http(s) presigned URL")
        try:
            url = server_url(url)
        except ValueError as bad:
            raise ShapeError(f"the {kind!r} upload's presigned URL {bad}") from None
        return _Ticket(kind, key, url, response.request.context.deadline)

    return parse(response, read)


def _stored(response: Response) -> None:
    """Storage answers 200 with an empty (or XML) body: the status is the answer. A 3xx is
    not followed (it would carry the bytes, perhaps the URL's signature, somewhere else) and
    is not success either: the bytes were not stored."""
    if not 200 <= response.status_code < 300:
        raise shape_error(response, f"is a {response.status_code}, which an upload does not follow")


def upload_flow(source: Source, kit: str, tool: str, options: CallOptions) -> Flow[FileRef]:
    """The upload of a read ``source`` for a tool: ask for the URL, PUT the bytes (also
    ``auto_files``' path, ``composio._ops.auto_files``)."""
    body = {
        "toolkit_slug": kit,
        "tool_slug": tool,
        "filename": source.filename,
        "mimetype": source.mimetype,
        "md5": source.md5,
    }
    ticket: _Ticket = yield Operation(
        _NAME, "POST", "/files/upload/request", _ticket, body=body, options=options
    )
    if ticket.url is not None:
        yield ExternalOperation(
            _NAME,
            "PUT",
            ticket.url,
            _stored,
            content=source.body,
            headers={"Content-Type": source.mimetype},
            options=options.until(ticket.deadline),
        )
    return FileRef(
        filename=source.filename,
        mimetype=source.mimetype,
        md5=source.md5,
        toolkit_slug=kit,
        tool_slug=tool,
        key=ticket.key,
    )
