"""Files in tool arguments and results (``auto_files=True``, SPEC §18): the rules, once.

Only the one execution path (:func:`composio._ops.execution.run_tool`) calls this module, so
every API execution -- ``tools.execute``, each call of ``handle_tool_calls``,
``tool_router.execute``, the framework providers and MCP server that run through it -- gets
the same treatment, and nothing else reads a local file because a server or a model named it.
(Custom tools run here already; the router's meta tools carry other tools' arguments.)

* **Uploads.** An argument the tool's ``input_parameters`` mark ``file_uploadable`` whose
  value is a string is a local path. The plugins' ``composio_before_file_upload`` may refuse
  or rewrite it; then the path (after the hooks: a plugin cannot rewrite into a forbidden
  place) must not resolve, symlinks followed and ``..`` collapsed, into a sensitive place
  (:data:`SENSITIVE_DIRS`, a directory named as in :data:`SENSITIVE_SEGMENTS` anywhere,
  ``.env`` files, ``file_upload_deny``, the same files under other names) and must be a
  regular file. The resolved path is what is opened (``O_NOFOLLOW``, and judged again by the
  path the kernel opened), hashed and streamed by ``files.upload``'s own flow
  (:mod:`composio._ops.files`): same request, same stripped-header PUT through
  :mod:`composio._external`. The value becomes the file
  reference (``{"name", "mimetype", "s3key"}``). A refusal is a
  :class:`~composio.errors.ValidationError` naming the argument, raised before any byte is
  read or any request sent.
* **Downloads.** A field of a successful result the tool's ``output_parameters`` mark
  ``file_downloadable`` (``{"name", "mimetype", "s3url"}``) is fetched by a GET through
  :mod:`composio._external` (none of the SDK's headers, redirects by §8, no http under an
  https API), its body streamed into a new file of ``file_download_dir`` (a
  :class:`~composio._external.FileSink`, at most ``file_download_max_bytes``), and the
  field becomes the local path. The server's file name is reduced to a bare name (no
  directory part, no leading dot, no control character) and the file is created with
  ``O_EXCL | O_NOFOLLOW``: nothing is written outside the directory or over an existing file.

At most :data:`MAX_FILES` each way per execution. Schemas are walked through
``properties``, ``items``, ``anyOf``/``oneOf``/``allOf`` and local ``$ref`` (``#/...``, a JSON
pointer into the tool's schema: a file parameter defined once in ``$defs`` is still one);
a ``$ref`` cycle is cut where it consumes no part of the value, the value's depth is at most
:data:`_MAX_DEPTH`, and one walk visits at most :data:`_MAX_VISITS` schema nodes (an
``anyOf`` of references to more of them cannot blow up). Remote references are not fetched.
"""

from __future__ import annotations

import contextlib
import fnmatch
import mimetypes
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from composio._external import FileSink, open_file_body
from composio._operation import Blocking, CallOptions, ExternalOperation, Flow
from composio._ops._encode import shape_error
from composio._ops.files import Source, upload_flow
from composio._value import Value
from composio._wire import server_url
from composio.errors import APIError, ValidationError
from composio.modifiers import apply_before_upload

if TYPE_CHECKING:
    from composio.models import Tool, ToolExecution
    from composio.modifiers import ToolHooks
    from composio.pipeline import Response

__all__ = [
    "MAX_FILES",
    "SENSITIVE_DIRS",
    "SENSITIVE_SEGMENTS",
    "FilePolicy",
    "check_auto_files",
    "check_download_dir",
    "check_download_max",
    "check_upload_deny",
    "download_results",
    "has_downloads",
    "refusal",
    "safe_name",
    "upload_arguments",
]

#: Directories no automatic upload may read from (``~`` is the user's home), whatever the
#: path given: checked on the path as given and as resolved, against each directory as
#: written and as resolved (``/etc`` is a symlink on some systems).
SENSITIVE_DIRS = ("~/.ssh", "~/.aws", "~/.config/gcloud", "/etc", "/proc", "/sys")
#: The same places wherever they are (another user's home, a ``HOME`` that is not the
#: user's, a backup copy): a path with these directory names in a row is refused too.
SENSITIVE_SEGMENTS = ((".ssh",), (".aws",), (".config", "gcloud"), (".gnupg",))
#: The most files one execution uploads, or downloads, automatically (each can be large).
MAX_FILES = 64
#: The default ``file_download_max_bytes``: 1 GiB.
DEFAULT_MAX_DOWNLOAD = 1 << 30
#: Where downloads go when ``file_download_dir`` is not given (created 0700 on first use).
DEFAULT_DOWNLOAD_DIR = "~/.composio/files"
_MAX_NAME = 120
_MAX_DEPTH = 32
#: ``$ref`` hops in a row without descending into the value, and schema nodes per walk
_MAX_REFS = 32
_MAX_VISITS = 10_000
_UPLOADABLE = "file_uploadable"
_DOWNLOADABLE = "file_downloadable"


class FilePolicy(Value):
    """The client's ``auto_files`` settings, validated (one per client build)."""

    __slots__ = ("deny", "download_dir", "enabled", "max_download")

    enabled: bool
    download_dir: str | None
    deny: tuple[str, ...]
    max_download: int

    def __init__(
        self, enabled: bool, download_dir: str | None, deny: tuple[str, ...], max_download: int
    ) -> None:
        object.__setattr__(self, "enabled", enabled)
        object.__setattr__(self, "download_dir", download_dir)
        object.__setattr__(self, "deny", deny)
        object.__setattr__(self, "max_download", max_download)


# -- the keywords (rows of ``composio._options``) --------------------------------------------
def check_auto_files(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("auto_files must be True or False.")
    return value


def check_download_dir(value: object) -> str | None:
    """``None`` (the default directory) or a path, made absolute now (a later ``chdir``
    does not move the downloads)."""
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)) and os.fspath(value):
        return os.path.abspath(os.path.expanduser(os.fspath(value)))
    raise ValidationError("file_download_dir must be a directory path (str) or None.")


def check_upload_deny(value: object) -> tuple[str, ...]:
    if isinstance(value, (str, bytes, os.PathLike)) or not isinstance(value, Sequence):
        raise ValidationError(
            "file_upload_deny must be a list of paths ('~/secrets', '/srv/keys') or file "
            "name patterns ('*.pem', 'id_*')."
        )
    out = []
    for entry in value:
        if not isinstance(entry, (str, os.PathLike)) or not os.fspath(entry).strip():
            raise ValidationError(
                f"file_upload_deny: {entry!r:.60} is not a path or a file name pattern (str)."
            )
        out.append(os.fspath(entry))
    return tuple(out)


def check_download_max(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("file_download_max_bytes must be an int >= 1 (bytes).")
    return value


# -- the sensitive-path rule ------------------------------------------------------------------
def _is_pattern(entry: str) -> bool:
    """A deny entry without a directory part is a file-name pattern, else a path."""
    return "/" not in entry and os.sep not in entry and not entry.startswith("~")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def refusal(path: str, policy: FilePolicy) -> str | None:
    """Why ``path`` must not be uploaded, or ``None``. Blocking (resolves symlinks)."""
    given = os.path.abspath(os.path.expanduser(path))
    real = os.path.realpath(given)
    roots = [(d, False) for d in SENSITIVE_DIRS] + [
        (e, True) for e in policy.deny if not _is_pattern(e)
    ]
    patterns = [e for e in policy.deny if _is_pattern(e)]
    for candidate in dict.fromkeys((given, real)):
        how = "is" if candidate == given else f"resolves (symlinks followed) to {real!r}, which is"
        for root, configured in roots:
            expanded = os.path.abspath(os.path.expanduser(root))
            for form in dict.fromkeys((expanded, os.path.realpath(expanded))):
                if _inside(candidate, form):
                    where = "file_upload_deny entry" if configured else "sensitive location"
                    return f"it {how} inside {root!r} (a {where})"
        parts = candidate.split(os.sep)
        for segment in SENSITIVE_SEGMENTS:
            n = len(segment)
            if any(tuple(parts[i : i + n]) == segment for i in range(len(parts) - n)):
                return f"it {how} inside a {'/'.join(segment)!r} directory (credentials)"
        base = os.path.basename(candidate).lower()  # .ENV on a case-insensitive disk
        if base == ".env" or base.startswith(".env."):
            return f"it {how} a .env file (environment secrets)"
        for pattern in patterns:
            if any(fnmatch.fnmatch(part, pattern) for part in parts if part):
                return f"it {how} matched by the file_upload_deny pattern {pattern!r}"
    return _same_file_as(real, roots)


def _same_file_as(real: str, roots: list[tuple[str, bool]]) -> str | None:
    """The names above compare text; this compares files: the file or one of its
    directories *is* a sensitive place under another name (a case-insensitive disk's
    ``~/.SSH``, a bind mount, a hard link to a denied file)."""
    ids: dict[tuple[int, int], tuple[str, bool]] = {}
    for root, configured in roots:
        try:
            found = os.stat(os.path.expanduser(root))
        except (OSError, ValueError):
            continue
        ids[(found.st_dev, found.st_ino)] = (root, configured)
    here = real
    while True:
        try:
            at = os.stat(here)
            hit = ids.get((at.st_dev, at.st_ino))
        except (OSError, ValueError):
            hit = None
        if hit is not None:
            where = "file_upload_deny entry" if hit[1] else "sensitive location"
            return f"it is, under another name, {hit[0]!r} or inside it (a {where})"
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


# -- schemas ---------------------------------------------------------------------------------
def _marks(schema: object, flag: str, depth: int = 0) -> bool:
    """Whether ``schema`` marks anything ``flag`` (a cheap test before walking a value)."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(schema, Mapping):
        if schema.get(flag) is True:
            return True
        return any(_marks(v, flag, depth + 1) for v in schema.values())
    if isinstance(schema, list):
        return any(_marks(v, flag, depth + 1) for v in schema)
    return False


def _pointer(root: object, ref: str) -> object:
    """The part of ``root`` a local ``$ref`` names (``#``, ``#/$defs/File``, RFC 6901
    escapes); ``None`` for a remote or dangling one."""
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    node = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


class _Walk:
    """One walk of a schema against a value: the root ``$ref`` resolves in, and the budget
    of schema nodes left."""

    __slots__ = ("flag", "left", "root")

    def __init__(self, root: object, flag: str) -> None:
        self.root = root
        self.flag = flag
        self.left = _MAX_VISITS

    def found(
        self, schema: object, value: Any, path: tuple[str | int, ...], refs: tuple[str, ...]
    ) -> Iterator[tuple[tuple[str | int, ...], Any]]:
        """``(path, value)`` of every part of ``value`` that ``schema`` marks; ``refs``: the
        references followed since the walk last descended into the value."""
        if not isinstance(schema, Mapping) or len(path) > _MAX_DEPTH or self.left <= 0:
            return
        self.left -= 1
        if schema.get(self.flag) is True:
            yield path, value
            return
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref not in refs and len(refs) < _MAX_REFS:
            yield from self.found(_pointer(self.root, ref), value, path, (*refs, ref))
        for key in ("anyOf", "oneOf", "allOf"):
            variants = schema.get(key)
            if isinstance(variants, list):
                for variant in variants:
                    yield from self.found(variant, value, path, refs)
        properties = schema.get("properties")
        if isinstance(value, Mapping) and isinstance(properties, Mapping):
            for name, item in value.items():
                yield from self.found(properties.get(name), item, (*path, name), ())
        items = schema.get("items")
        if isinstance(value, list) and isinstance(items, Mapping):
            for i, item in enumerate(value):
                yield from self.found(items, item, (*path, i), ())


def _marked(
    schema: object, value: Any, flag: str, root: object = None
) -> dict[tuple[str | int, ...], Any]:
    """What :meth:`_Walk.found` finds; ``root``: where ``$ref`` resolves (the whole schema
    ``schema`` is part of; itself by default). A path two variants mark: once."""
    walk = _Walk(schema if root is None else root, flag)
    return dict(walk.found(schema, value, (), ()))


def _label(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _put(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    """``value`` with the part at ``path`` replaced (copies along the path only)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = list(value) if isinstance(value, list) else dict(value)
    copy[head] = _put(value[head], rest, new)
    return copy


def _data_schema(output: Mapping[str, Any] | None) -> object:
    """The schema of a result's ``data``: the API's ``output_parameters`` describe the whole
    answer (``data``, ``successful``, ``error``); a schema without ``data`` describes it."""
    if not isinstance(output, Mapping):
        return None
    properties = output.get("properties")
    if isinstance(properties, Mapping) and isinstance(properties.get("data"), Mapping):
        return properties["data"]
    return output


def has_downloads(tool: Tool) -> bool:
    return _marks(tool.output_parameters, _DOWNLOADABLE)


# -- uploads ---------------------------------------------------------------------------------
def upload_arguments(
    hooks: ToolHooks,
    policy: FilePolicy,
    tool: Tool,
    toolkit: str,
    arguments: Mapping[str, Any],
    options: CallOptions,
    where: str,
) -> Flow[dict[str, Any]]:
    """``arguments`` with each local path in a ``file_uploadable`` argument uploaded and
    replaced by its file reference. ``where`` prefixes errors (``tools.execute('X')``)."""
    out = dict(arguments)
    # a file reference already (or null) is sent as it is
    paths = {
        path: value
        for path, value in _marked(tool.input_parameters, arguments, _UPLOADABLE).items()
        if isinstance(value, str) and path
    }
    if len(paths) > MAX_FILES:
        raise ValidationError(
            f"{where}: {len(paths)} files to upload in one call; at most {MAX_FILES} are "
            "uploaded automatically. Nothing was read or sent."
        )
    for path, value in paths.items():
        argument = _label(path)
        chosen = apply_before_upload(hooks, tool.slug, toolkit, argument, value)
        source: Source = yield Blocking(
            _open_upload, chosen, policy, f"{where}: argument {argument!r}", undo=_close_source
        )
        with source:  # closes the file, also when the flow is closed half-way
            ref = yield from upload_flow(source, toolkit, tool.slug, options)
        out = _put(out, path, ref.as_tool_argument())
    return out


def _open_upload(path: str, policy: FilePolicy, where: str) -> Source:
    """Check, open and hash the file to upload (blocking: a worker thread on the async
    client). The file opened is the resolved path, and it must still be the file that was
    checked once open (a symlink swapped in between is caught)."""
    shown = f"{path!r:.200}"
    if not path.strip() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        raise ValidationError(
            f"{where}: refused to upload {shown}: a path is a non-empty text without control "
            "characters."
        )
    why = refusal(path, policy)
    if why is not None:
        raise ValidationError(
            f"{where}: refused to upload {shown}: {why}. Nothing was read or sent; give "
            "the path of a file meant to be shared."
        )
    real = os.path.realpath(os.path.abspath(os.path.expanduser(path)))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        # non-blocking: a FIFO swapped in cannot hang the open; no-follow: nor a symlink
        fd = os.open(real, flags | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ValidationError(
            f"{where}: cannot upload {shown}: {exc.strerror or type(exc).__name__}."
        ) from None
    file = os.fdopen(fd, "rb")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValidationError(
                f"{where}: refused to upload {shown}: it is not a regular file (a directory, "
                "device or pipe)."
            )
        # the file the kernel really opened, judged again: a directory swapped for a symlink
        # between the check and the open is caught here (where the platform says)
        opened = _path_of(fd)
        if opened is not None and refusal(opened, policy) is not None:
            raise ValidationError(
                f"{where}: refused to upload {shown}: it changed between the check and the "
                "read (a symlink swapped in?). Nothing was read or sent."
            )
        body = open_file_body(real, shown, opened=file)
    except BaseException:
        file.close()
        raise
    kind = mimetypes.guess_type(real)[0] or "application/octet-stream"
    source = Source(body, os.path.basename(real), kind, body.md5)
    return source


def _path_of(fd: int) -> str | None:
    """The path of an open file as the kernel knows it (Linux ``/proc/self/fd``, macOS
    ``F_GETPATH``), or ``None`` where there is no way to ask."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass
    try:
        import fcntl

        got = fcntl.fcntl(fd, fcntl.F_GETPATH, bytes(1024))  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError):
        return None
    return os.fsdecode(bytes(got).split(b"\0", 1)[0])


# -- downloads -------------------------------------------------------------------------------
def safe_name(name: object) -> str:
    """A server-given file name as a bare, visible name: no directory part (``/`` or
    ``\\``), no leading dot (no ``..``, no hidden file), no control or reserved character,
    at most 120 UTF-8 bytes (the extension kept; file systems allow 255, and ``name (n)``
    must fit); ``download`` when nothing is left."""
    text = name if isinstance(name, str) else ""
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if c.isprintable() and c not in '<>:"|?*')
    text = text.strip().lstrip(".").strip()
    if len(text.encode()) > _MAX_NAME:
        stem, ext = os.path.splitext(text)
        ext = ext if len(ext.encode()) <= 20 else ""
        while stem and len((stem + ext).encode()) > _MAX_NAME:
            stem = stem[:-1]
        text = stem.rstrip() + ext
    return text or "download"


def _create_download(policy: FilePolicy, name: object) -> tuple[FileSink, str]:
    """A new file for a download in the download directory (created 0700 if missing):
    exclusive, never following a symlink, never replacing a file (``name (1).ext`` ...)."""
    directory = policy.download_dir or os.path.expanduser(DEFAULT_DOWNLOAD_DIR)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise ValidationError(
            f"file_download_dir {directory!r} cannot be created: "
            f"{exc.strerror or type(exc).__name__}."
        ) from None
    base = safe_name(name)
    stem, ext = os.path.splitext(base)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0)
    for n in range(1000):
        candidate = base if n == 0 else f"{stem} ({n}){ext}"
        full = os.path.join(directory, candidate)
        assert os.path.dirname(full) == directory.rstrip(os.sep) or directory == os.sep
        try:
            fd = os.open(full, flags, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ValidationError(
                f"cannot create {full!r} for a download: {exc.strerror or type(exc).__name__}."
            ) from None
        return FileSink(os.fdopen(fd, "wb"), policy.max_download, repr(candidate)), full
    raise ValidationError(f"{directory!r} already holds 1000 files named like {base!r}.")


def _saved(response: Response) -> None:
    """Storage answers the bytes (already in the sink) with a 2xx; a 3xx left unfollowed
    (§8) is not the file."""
    if not 200 <= response.status_code < 300:
        raise shape_error(response, f"is a {response.status_code}, not the file")


def download_results(
    policy: FilePolicy, tool: Tool, result: ToolExecution, options: CallOptions, name: str
) -> Flow[ToolExecution]:
    """``result`` with each ``file_downloadable`` field of its data saved to disk and
    replaced by the local path; a failed download removes its partial file and raises."""
    data = result.data
    saved: list[str] = []  # all or nothing: a failure removes the files saved before it
    found = {
        path: ref
        for path, ref in _marked(
            _data_schema(tool.output_parameters), data, _DOWNLOADABLE, tool.output_parameters
        ).items()
        if path and isinstance(ref, Mapping) and isinstance(ref.get("s3url"), str)
    }
    if len(found) > MAX_FILES:
        raise APIError(
            f"{name}: tool {tool.slug!r} answered {len(found)} files to download; at most "
            f"{MAX_FILES} are downloaded automatically. Nothing was downloaded.",
            request=None,
        )
    try:
        for path, ref in found.items():
            try:
                url = server_url(ref["s3url"])
            except ValueError as bad:
                raise APIError(
                    f"{name}: tool {tool.slug!r} answered a file to download at "
                    f"{_label(path)!r} whose URL {bad}; nothing was downloaded.",
                    request=None,
                ) from None
            sink, local = yield Blocking(
                _create_download, policy, ref.get("name"), undo=_discard_download
            )
            saved.append(local)
            try:
                yield ExternalOperation(
                    name, "GET", url, _saved, content=None, headers={}, options=options, sink=sink
                )
            finally:
                sink.close()
            data = _put(data, path, local)
    except BaseException:
        for local in saved:  # closes and unlinks: nothing to wait on, also when cancelled
            _remove(local)
        raise
    return replace(result, data=data) if data is not result.data else result


def _close_source(source: Source) -> None:
    source.__exit__()


def _discard_download(made: tuple[FileSink, str]) -> None:
    made[0].close()
    _remove(made[1])


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
