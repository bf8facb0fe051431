"""Files: upload requests and the upload URLs they hand out.

An upload URL points at this same server under ANOTHER origin name (``server.alt_url``:
``localhost`` when the API is ``127.0.0.1``), like a presigned storage URL on another host.
A client that sends its API key or session headers there leaks them; the PUT's headers are
kept (``server.uploaded_files``) so a test can prove nothing leaked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from composio.testing._routes_tools import find_tool, find_toolkit
from composio.testing._routing import Ctx, Reply, Router, paginate, required_text
from composio.testing._state import StoredFile, nano
from composio.testing.catalog import ToolFailure

__all__ = ["UPLOAD_PREFIX", "file_executors", "router"]

router = Router()

_FIELDS = ("toolkit_slug", "tool_slug", "filename", "mimetype", "md5")


#: Where upload URLs point; the rest of the path is the upload's key, a capability (no API key
#: is needed to write or read the file), so ``RecordedRequest.log_line`` hides it.
UPLOAD_PREFIX = "/_local/uploads/"


def _upload_url(ctx: Ctx, key: str) -> str:
    return f"{ctx.owner.alt_url}{UPLOAD_PREFIX}{key}"


def _render(f: StoredFile) -> dict[str, Any]:
    return {
        "toolkit_slug": f.toolkit_slug,
        "tool_slug": f.tool_slug,
        "filename": f.filename,
        "mimetype": f.mimetype,
        "md5": f.md5,
    }


@router.route("GET", "/api/v3/files/list")
def list_files(ctx: Ctx) -> Reply:
    kit, tool = ctx.one("toolkit_slug"), ctx.one("tool_slug")
    store = ctx.owner._store
    with store.lock:
        items = [
            f
            for f in store.files.values()
            if f.data is not None
            and (not kit or f.toolkit_slug == kit.lower())
            and (not tool or f.tool_slug == tool.upper())
        ]
        return Reply(200, paginate(ctx, items, _render))


@router.route("POST", "/api/v3/files/upload/request")
def upload_request(ctx: Ctx) -> Reply:
    """Deduplicates by MD5 as the spec describes: the same bytes already uploaded for that
    tool are ``existing`` (no upload needed); a pending request for them gets a ``new`` URL
    for the same key (v3.1 dropped the ``update`` answer)."""
    body = ctx.json()
    for name in _FIELDS:
        required_text(body, name)
    kit = find_toolkit(body["toolkit_slug"].lower())["slug"]
    tool = find_tool(body["tool_slug"].upper())["slug"]
    md5 = body["md5"].lower()
    store = ctx.owner._store
    with store.lock:
        same = next(
            (
                f
                for f in store.files.values()
                if f.md5 == md5 and f.toolkit_slug == kit and f.tool_slug == tool
            ),
            None,
        )
        if same is not None and same.data is not None:
            kind, key = "existing", same.key
        elif same is not None:  # v3.1 no longer says "update": a new URL for the same key
            kind, key = "new", same.key
        else:
            kind = "new"
            key = nano("upl_", 20)
            store.files[key] = StoredFile(key, kit, tool, body["filename"], body["mimetype"], md5)
    url = _upload_url(ctx, key)
    field = "existing_url" if kind == "existing" else "new_presigned_url"
    camel = "".join(w.title() if i else w for i, w in enumerate(field.split("_")))
    return Reply(
        200,
        {
            "id": key,
            "key": key,
            field: url,
            camel: url,
            "type": kind,
            "metadata": {"storage_backend": "s3"},
        },
    )


@router.route("PUT", "/_local/uploads/{key}")
def put_upload(ctx: Ctx) -> Reply:
    """The storage side: keep the bytes when they match the MD5 that was announced."""
    key = ctx.params["key"]
    store = ctx.owner._store
    with store.lock:
        stored = store.files.get(key)
        if stored is None:
            return _plain(404, "NoSuchUpload")
        if hashlib.md5(ctx.body, usedforsecurity=False).hexdigest() != stored.md5:
            return _plain(400, "BadDigest: the body's MD5 is not the one requested")
        stored.data = bytes(ctx.body)
        stored.put_headers = dict(ctx.headers)
    return _plain(200, "")


@router.route("GET", "/_local/uploads/{key}")
def get_upload(ctx: Ctx) -> Reply:
    key = ctx.params["key"]
    store = ctx.owner._store
    with store.lock:
        stored = store.files.get(key)
        if stored is None or stored.data is None:
            return _plain(404, "NoSuchKey")
        return Reply(200, raw=stored.data, headers={"Content-Type": stored.mimetype})


def _plain(status: int, text: str) -> Reply:
    return Reply(status, raw=text.encode(), headers={"Content-Type": "text/plain"})


# -- the catalog's file tools (SPEC §18), run against this server's storage -----------------
def file_executors(owner: Any) -> Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]]:
    """``TEXT_FILE_DIGEST`` reads a stored file by its ``s3key``; ``TEXT_MAKE_FILE`` stores a
    new one and answers where to download it (an upload URL's twin on ``alt_url``)."""

    def digest(args: Mapping[str, Any]) -> dict[str, Any]:
        ref = args.get("file")
        key = ref.get("s3key") if isinstance(ref, Mapping) else None
        store = owner._store
        with store.lock:
            stored = store.files.get(key) if isinstance(key, str) else None
            if stored is None or stored.data is None:
                raise ToolFailure(
                    f"argument 'file' must be an uploaded file's reference, got {ref!r:.80}"
                )
            data, name = stored.data, stored.filename
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        return {"name": name, "size": len(data), "md5": md5}

    def make(args: Mapping[str, Any]) -> dict[str, Any]:
        text, repeat = args.get("text"), args.get("repeat", 1)
        name = args.get("filename", "made.txt")
        if not isinstance(text, str) or not isinstance(name, str):
            raise ToolFailure("arguments 'text' and 'filename' must be strings")
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= 1 << 20:
            raise ToolFailure("argument 'repeat' must be an integer from 0 to 1048576")
        data = text.encode() * repeat
        key = nano("dl_", 20)
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        store = owner._store
        with store.lock:
            store.files[key] = StoredFile(
                key, "text", "TEXT_MAKE_FILE", name, "text/plain", md5, data
            )
        url = f"{owner.alt_url}/_local/uploads/{key}"
        return {"file": {"name": name, "mimetype": "text/plain", "s3url": url}}

    return {"TEXT_FILE_DIGEST": digest, "TEXT_MAKE_FILE": make}
