"""Files: outputs (`FileOutput`), local files in inputs, and the files API (`Files`, `File`)."""

from __future__ import annotations

import contextlib
import io
import json
import math
import mimetypes
import os
import pathlib
import re
import secrets
import time
import unicodedata
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, TypeAlias, TypedDict

import httpx

from ._config import deadline_after, within
from ._datauri import DataURIError, encode_data_uri, parse_data_uri
from ._exceptions import APIConnectionError, APITimeoutError, InvalidArgumentError, InvalidResponseError
from ._http import Call, Flow
from ._pagination import Page, collect_pages_flow, page_call
from ._resource import ApiObject
from ._retry import NO_RETRIES

if TYPE_CHECKING:
    from replicate_api.models import File as ApiFile

    from ._client import Client

__all__ = [
    "DATA_URI_MAX_BYTES",
    "File",
    "FileOutput",
    "Files",
    "encode_input_flow",
    "transform_output",
]

# Files up to this size go inline as data URIs under the "auto" strategy; larger ones are uploaded. Replicate
# advises data URIs for files up to 256 kB and an upload above that.
DATA_URI_MAX_BYTES = 256 * 1024
_CHUNK = 64 * 1024
_URL_PREFIXES = ("https://", "http://", "data:")

ProgressCallback: TypeAlias = Callable[[int, "int | None"], object]
"""A download's progress callback: called with the bytes received so far and the size, when known."""


# -- outputs ------------------------------------------------------------------------------------------------------


class FileOutput(str):
    """A file a model produced. It is its URL (a `str`), and it can also fetch the file.

    `read()` returns the bytes, iterating yields them in chunks (`for chunk in output`), `save(path)` streams
    them to disk; the async forms are `aread()`, `async for`, `asave()`. `data:` URIs are decoded locally.
    Downloads never carry the API token: they use a connection pool of their own.
    """

    _client: Client | None

    def __new__(cls, url: str, client: Client | None = None) -> FileOutput:
        output = super().__new__(cls, url)
        output._client = client
        return output

    def __reduce__(self) -> tuple[Any, ...]:
        return (FileOutput, (str(self),))

    def __repr__(self) -> str:
        return f"FileOutput({str(self)!r})"

    @property
    def url(self) -> str:
        """The file's URL (or data URI)."""
        return str(self)

    @property
    def filename(self) -> str:
        """A safe file name for the output, taken from its URL (never a path: no `/`, `..` or control codes)."""
        if self.startswith("data:"):
            try:
                mime = parse_data_uri(self).mime_type
            except DataURIError:
                mime = ""
            return "output" + (mimetypes.guess_extension(mime) or "")
        try:
            raw_path = httpx.URL(str(self)).raw_path.split(b"?", 1)[0]
        except httpx.InvalidURL:  # raw control characters and the like: the text after the last "/" will do
            raw_path = str(self).split("?", 1)[0].split("#", 1)[0].encode("utf-8", "surrogatepass")
        return safe_filename(urllib.parse.unquote(raw_path.rsplit(b"/", 1)[-1].decode("ascii", "replace")))

    # -- sync -----------------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[bytes]:  # type: ignore[override]  # chunks of the file, not characters
        return self.iter_bytes()

    def iter_bytes(self, chunk_size: int | None = None, *, timeout: float | None = None) -> Iterator[bytes]:
        """Yield the file's bytes in chunks as they arrive; `timeout` bounds the whole download, in seconds."""
        return self._iter_bytes(chunk_size, timeout, None)

    def _iter_bytes(
        self, chunk_size: int | None, timeout: float | None, progress: ProgressCallback | None
    ) -> Iterator[bytes]:
        if self.startswith("data:"):
            data = self._decoded()
            yield from _chunks(data, chunk_size or _CHUNK)
            if progress is not None:
                progress(len(data), len(data))
            return
        deadline = deadline_after(timeout)
        http = self._client._download_http() if self._client is not None else httpx.Client(follow_redirects=True)
        try:
            with http.stream("GET", str(self), timeout=self._timeout(deadline)) as response:
                _check_download(response)
                total, received = _content_length(response), 0
                for chunk in response.iter_bytes(chunk_size):
                    _check_deadline(self, deadline)
                    yield chunk
                    if progress is not None:
                        received += len(chunk)
                        progress(received, total)
        except httpx.HTTPError as exc:
            raise _download_error(self, exc) from exc
        except (httpx.InvalidURL, UnicodeError) as exc:  # UnicodeError: a host that is not valid IDNA
            raise _invalid_url(self.url, exc) from exc
        finally:
            if self._client is None:
                http.close()

    def read(self, *, timeout: float | None = None) -> bytes:
        """The whole file's bytes (held once in memory: prefer `save` or iteration for large files)."""
        if self.startswith("data:"):
            return self._decoded()
        buffer = io.BytesIO()
        for chunk in self.iter_bytes(timeout=timeout):
            buffer.write(chunk)
        # BytesIO.getvalue() hands over its buffer without copying it when nothing else references it.
        return buffer.getvalue()

    def save(
        self, path: str | os.PathLike[str], *, timeout: float | None = None, progress: ProgressCallback | None = None
    ) -> pathlib.Path:
        """Stream the file to `path` (a file, or an existing folder to put it in under `filename`).

        The file is written under a temporary name and renamed when complete. Returns the path written.
        `timeout` bounds the whole download, in seconds. `progress`, if given, is called after each chunk with
        the bytes received so far and the file's size (None when the server does not send `Content-Length`),
        for a progress bar: `output.save("out.png", progress=lambda done, total: print(done, total))`.
        """
        target = _target_path(path, self.filename)
        with _atomic_writer(target) as out:
            for chunk in self._iter_bytes(None, timeout, progress):
                out.write(chunk)
        return target

    def _timeout(self, deadline: float | None) -> httpx.Timeout:

        base = self._client.timeout if self._client is not None else httpx.Timeout(30.0, connect=5.0)
        return httpx.Timeout(**within(base, deadline))

    # -- async ----------------------------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.aiter_bytes()

    def aiter_bytes(self, chunk_size: int | None = None, *, timeout: float | None = None) -> AsyncIterator[bytes]:
        """Like `iter_bytes`, for async code."""
        return self._aiter_bytes(chunk_size, timeout, None)

    async def _aiter_bytes(
        self, chunk_size: int | None, timeout: float | None, progress: ProgressCallback | None
    ) -> AsyncIterator[bytes]:
        if self.startswith("data:"):
            data = self._decoded()
            for chunk in _chunks(data, chunk_size or _CHUNK):
                yield chunk
            if progress is not None:
                progress(len(data), len(data))
            return
        deadline = deadline_after(timeout)
        http = self._client._download_ahttp() if self._client is not None else httpx.AsyncClient(follow_redirects=True)
        try:
            async with http.stream("GET", str(self), timeout=self._timeout(deadline)) as response:
                if not response.is_success:
                    await response.aread()  # the error's body, read as async streams are (`_check_download` reads sync)
                _check_download(response)
                total, received = _content_length(response), 0
                async for chunk in response.aiter_bytes(chunk_size):
                    _check_deadline(self, deadline)
                    yield chunk
                    if progress is not None:
                        received += len(chunk)
                        progress(received, total)
        except httpx.HTTPError as exc:
            raise _download_error(self, exc) from exc
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise _invalid_url(self.url, exc) from exc
        finally:
            if self._client is None:
                await http.aclose()

    async def aread(self, *, timeout: float | None = None) -> bytes:
        """Like `read`, for async code."""
        if self.startswith("data:"):
            return self._decoded()
        buffer = io.BytesIO()
        async for chunk in self.aiter_bytes(timeout=timeout):
            buffer.write(chunk)
        return buffer.getvalue()

    async def asave(
        self, path: str | os.PathLike[str], *, timeout: float | None = None, progress: ProgressCallback | None = None
    ) -> pathlib.Path:
        """Like `save`, for async code."""
        target = _target_path(path, self.filename)
        with _atomic_writer(target) as out:
            async for chunk in self._aiter_bytes(None, timeout, progress):
                out.write(chunk)
        return target

    def close(self) -> None:
        """Nothing to close: every read opens and closes its own download (as 1.x's `close()`, a no-op)."""

    async def aclose(self) -> None:
        """Like `close`: nothing to close."""

    def _decoded(self) -> bytes:
        try:
            return parse_data_uri(self).data
        except DataURIError as exc:
            raise InvalidResponseError(f"The model returned a malformed data URI: {exc}.") from exc


def _content_length(response: httpx.Response) -> int | None:
    """The size of a download's content, when the server announced it (not for a compressed transfer, whose
    length is that of the compressed bytes)."""
    length = response.headers.get("content-length", "")
    if not length.isdigit() or response.headers.get("content-encoding", "identity").lower() != "identity":
        return None
    return int(length)


def _check_deadline(output: FileOutput, deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise APITimeoutError(f"Downloading {output.url} did not finish within its timeout.")


def _download_error(output: FileOutput, exc: httpx.HTTPError) -> APIConnectionError:
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Downloading {output.url} timed out ({what}).")
    return APIConnectionError(f"Downloading {output.url} failed: {what}.")


def _invalid_url(url: str, exc: Exception) -> InvalidResponseError:
    return InvalidResponseError(f"The file output {url!r} is not a URL that can be downloaded: {exc}.")


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])


def _check_download(response: httpx.Response) -> None:
    if response.is_success:
        return
    from ._http import error_from_response

    response.read()
    raise error_from_response(response, {}, "download")


_UNSAFE_NAME_CHARS = re.compile(r"[^\w.\- ()+@=,]")


def safe_filename(name: str, default: str = "output") -> str:
    """A file name that cannot leave a folder: one path segment, no `..`, no control or odd characters."""
    name = unicodedata.normalize("NFKC", name)
    name = name.replace("/", "_").replace("\\", "_").replace("\x00", "")
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip(" .")
    if not name or set(name) <= {"_", "."}:
        return default
    encoded = name.encode("utf-8")[:200]
    return encoded.decode("utf-8", errors="ignore") or default


def _target_path(path: str | os.PathLike[str], filename: str) -> pathlib.Path:
    target = pathlib.Path(path)
    if target.is_dir():
        folder = target.resolve()
        candidate = (folder / safe_filename(filename)).resolve()
        if candidate.parent != folder:  # belt and braces: safe_filename already prevents this
            raise InvalidArgumentError(f"The output's name {filename!r} would leave {folder}; pass a file path.")
        return candidate
    return target


@contextlib.contextmanager
def _atomic_writer(target: pathlib.Path) -> Iterator[IO[bytes]]:
    """Write to a temporary file next to `target`; rename it over `target` only when writing completed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Created like open() would (0o666 less the umask), unlike mkstemp's 0o600.
    for _ in range(100):
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.part"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"Could not create a temporary file next to {target}.")
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
    except BaseException:
        os.unlink(tmp)
        raise
    os.replace(tmp, target)


def transform_output(value: Any, client: Client | None) -> Any:
    """Turn URL and data URI strings anywhere in an output into `FileOutput`s."""
    if isinstance(value, str):
        if value.startswith(_URL_PREFIXES) and not isinstance(value, FileOutput):
            return FileOutput(value, client)
        return value
    if isinstance(value, list):
        return [transform_output(item, client) for item in value]
    if isinstance(value, dict):
        return {key: transform_output(item, client) for key, item in value.items()}
    return value


# -- inputs -------------------------------------------------------------------------------------------------------


class _LocalFile:
    """A file found in an input: where its bytes come from, and what to call it."""

    def __init__(self, opener: Any, name: str, size: int | None, content_type: str, seekable: bool) -> None:
        self.opener = opener  # a callable returning an open binary file positioned at the start
        self.name = name
        self.size = size
        self.content_type = content_type
        self.seekable = seekable


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def is_local_file(value: Any) -> bool:
    """Whether an input value is a local file the client sends (inline or uploaded): a path, bytes, or a file
    object opened in binary mode (anything with `read()` that is not a text file)."""
    if isinstance(value, pathlib.PurePath | bytes | bytearray | memoryview):
        return True
    if isinstance(value, str | io.TextIOBase):
        return False
    return isinstance(value, io.IOBase) or callable(getattr(value, "read", None))


def _local_file(value: Any, where: str) -> _LocalFile | None:
    """Recognise a local file in an input: a path, an open binary file, or bytes."""
    if isinstance(value, pathlib.PurePath):
        path = pathlib.Path(value)
        if not path.is_file():
            raise InvalidArgumentError(f"{where} is the path {str(path)!r}, which is not a readable file.")
        return _LocalFile(lambda: path.open("rb"), path.name, path.stat().st_size, _guess_type(path.name), True)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return _LocalFile(lambda: io.BytesIO(data), "file", len(data), "application/octet-stream", True)
    if isinstance(value, io.TextIOBase):
        raise InvalidArgumentError(f"{where} is a file opened in text mode; open it in binary mode ('rb').")
    if is_local_file(value):
        name = os.path.basename(str(getattr(value, "name", "") or "")) or "file"
        size: int | None = None
        seekable = bool(getattr(value, "seekable", lambda: False)())
        start = 0
        if seekable:
            start = value.tell()
            size = value.seek(0, os.SEEK_END) - start
            value.seek(start)

        def reopen() -> Any:
            if seekable:
                value.seek(start)
            return _NonClosing(value)

        return _LocalFile(reopen, name, size, _guess_type(name), seekable)
    return None


class _NonClosing(io.RawIOBase):
    """A view of a caller's file that does not close it (the caller owns it)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        if isinstance(data, str):
            raise InvalidArgumentError("An input file returned text; open it in binary mode ('rb').")
        return bytes(data)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Marker:
    """Stands for a local file in a checked input until it has a URL."""


def _scan(value: Any, where: str, found: list[tuple[_Marker, _LocalFile]]) -> Any:
    """Check that an input is JSON, noting the local files in it (replaced later by URLs or data URIs)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidArgumentError(f"{where} is {value!r}, which JSON cannot represent.")
        return value
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidArgumentError(f"{where} has the key {key!r}; input keys must be strings.")
            result[key] = _scan(item, f"{where}[{key!r}]", found)
        return result
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [_scan(item, f"{where}[{index}]", found) for index, item in enumerate(items)]
    local = _local_file(value, where)
    if local is not None:
        marker = _Marker()
        found.append((marker, local))
        return marker
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy arrays and scalars
        return _scan(value.tolist(), where, found)
    raise InvalidArgumentError(
        f"{where} is a {type(value).__name__}, which cannot be sent as JSON. Inputs may hold strings, numbers, "
        "booleans, None, lists, dicts, and files (pathlib.Path, open binary files, bytes)."
    )


def _replace(value: Any, urls: dict[_Marker, str]) -> Any:
    if isinstance(value, _Marker):
        return urls[value]
    if isinstance(value, list):
        return [_replace(item, urls) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, urls) for key, item in value.items()}
    return value


def encode_input_flow(client: Client, input: Mapping[str, Any] | None, strategy: str) -> Flow[dict[str, Any]]:
    """Check an input (None: no inputs) and replace its local files by data URIs or uploaded files' URLs.

    Under the "auto" strategy files up to `DATA_URI_MAX_BYTES` go inline and larger ones are uploaded (streamed
    from disk, keeping their name and type); "url" uploads every file and "base64" inlines every file.
    """
    if input is None:
        input = {}
    elif not isinstance(input, Mapping):
        raise InvalidArgumentError(f"input must be a mapping of input names to values, got {type(input).__name__}.")
    found: list[tuple[_Marker, _LocalFile]] = []
    scanned = _scan(input, "input", found)
    if not found:
        return scanned  # type: ignore[no-any-return]
    urls: dict[_Marker, str] = {}
    for marker, local in found:
        inline = strategy == "base64" or (
            strategy == "auto" and local.size is not None and local.size <= DATA_URI_MAX_BYTES
        )
        if inline:
            with local.opener() as handle:
                urls[marker] = encode_data_uri(handle.read(), local.content_type)
        else:
            uploaded = yield from upload_flow(client, local, None)
            urls[marker] = uploaded.urls["get"]
    return _replace(scanned, urls)  # type: ignore[no-any-return]


def upload_flow(client: Client, local: _LocalFile, metadata: Mapping[str, Any] | None) -> Flow[File]:
    """Upload a local file with files.create: a streamed multipart upload, closed when done."""
    from replicate_api.api.files import files_create
    from replicate_api.models import File as ApiFileModel
    from replicate_api.models import FileCreateRequest, FileCreateRequestMetadata
    from replicate_api.types import UNSET
    from replicate_api.types import File as UploadPart

    from ._client import json_parser

    if len(local.name.encode("utf-8")) > 255:
        raise InvalidArgumentError(f"The file name {local.name!r} is longer than the API's 255 bytes.")
    meta = FileCreateRequestMetadata.from_dict(dict(metadata)) if metadata is not None else UNSET
    state: dict[str, Any] = {}

    def kwargs() -> Mapping[str, Any]:
        # Called before every attempt: a retry must send the file from its start again.
        if "handle" in state:
            state["handle"].close()
        handle = state["handle"] = local.opener()
        part = UploadPart(payload=handle, file_name=local.name, mime_type=local.content_type)
        body = FileCreateRequest(content=part, filename=local.name, metadata=meta, type_=local.content_type)
        return files_create._get_kwargs(body=body)

    parse = json_parser(ApiFileModel.from_dict)
    call = Call(
        "files.create",
        kwargs,
        lambda r: File._from_api(parse(r), client),
        idempotent=False,
        retry=None if local.seekable else NO_RETRIES,  # an unseekable stream cannot be sent twice
    )
    try:
        return (yield from client._requester.call(call))
    finally:
        if "handle" in state:
            state["handle"].close()


# -- the files API ------------------------------------------------------------------------------------------------


class File(ApiObject):
    """A file stored with the files API."""

    id: str
    name: str | None
    content_type: str
    size: int
    etag: str | None
    checksums: dict[str, str]
    metadata: Any
    created_at: str | None
    expires_at: str | None
    urls: dict[str, str]

    def __init__(self, client: Client | None = None, **fields: Any) -> None:
        self._client = client
        self.id = fields.pop("id")
        self.name = fields.pop("name", None)
        self.content_type = fields.pop("content_type", "application/octet-stream")
        self.size = fields.pop("size", 0)
        self.etag = fields.pop("etag", None)
        self.checksums = dict(fields.pop("checksums", None) or {})
        self.metadata = fields.pop("metadata", None)
        self.created_at = fields.pop("created_at", None)
        self.expires_at = fields.pop("expires_at", None)
        self.urls = dict(fields.pop("urls", None) or {})
        self.extra: dict[str, Any] = fields

    @classmethod
    def _from_api(cls, data: ApiFile, client: Client | None) -> File:
        from ._predictions import _given, _iso

        urls = {"get": data.urls.get} if _given(data.urls.get) else {}
        urls.update({k: v for k, v in data.urls.additional_properties.items() if isinstance(v, str)})
        checksums = {"sha256": data.checksums.sha256} if _given(data.checksums.sha256) else {}
        checksums.update({k: v for k, v in data.checksums.additional_properties.items() if isinstance(v, str)})
        return cls(
            client,
            id=data.id,
            name=_given(data.name),
            content_type=data.content_type,
            size=data.size,
            etag=_given(data.etag),
            checksums=checksums,
            metadata=data.metadata,
            created_at=_iso(data.created_at),
            expires_at=_iso(data.expires_at),
            urls=urls,
            **data.additional_properties,
        )

    def __repr__(self) -> str:
        return f"File(id={self.id!r}, name={self.name!r}, size={self.size!r})"

    def to_dict(self) -> dict[str, Any]:
        fields = ("id", "name", "content_type", "size", "etag", "checksums", "metadata", "created_at", "expires_at")
        return {name: getattr(self, name) for name in fields} | {"urls": self.urls} | self.extra


class FileOptions(TypedDict, total=False):
    """The options of `files.create`."""

    filename: str | None
    content_type: str | None
    metadata: Mapping[str, Any] | None


class Files:
    """The files API: `create`, `get`, `list`, `delete`, `download` (and their `async_` forms)."""

    CreateFileParams = FileOptions  # 1.x's name of the TypedDict

    def __init__(self, client: Client) -> None:
        self._client = client

    def _file_call(self, operation: str, kwargs: Mapping[str, Any]) -> Call[File]:
        from replicate_api.models import File as ApiFileModel

        from ._client import json_parser

        parse = json_parser(ApiFileModel.from_dict)
        client = self._client
        return Call(operation, kwargs, lambda r: File._from_api(parse(r), client))

    def _create_flow(
        self,
        file: str | os.PathLike[str] | IO[bytes] | bytes,
        filename: str | None,
        content_type: str | None,
        metadata: Mapping[str, Any] | None,
    ) -> Flow[File]:
        source = pathlib.Path(file) if isinstance(file, str) else file
        local = _local_file(source, "file")
        if local is None:
            raise InvalidArgumentError("file must be a path, an open binary file, or bytes.")
        if filename is not None:
            local.name = filename
            local.content_type = _guess_type(filename)
        if content_type is not None:
            local.content_type = content_type
        if metadata is not None:
            try:
                json.dumps(dict(metadata))
            except (TypeError, ValueError) as exc:
                raise InvalidArgumentError(f"metadata must be a JSON object: {exc}.") from exc
        return upload_flow(self._client, local, metadata)

    def _list_call(self, cursor: str | None) -> Call[Page[File]]:
        from replicate_api.api.files import files_list
        from replicate_api.models import File as ApiFileModel

        client = self._client
        kwargs: Mapping[str, Any] = {"method": "get", "url": cursor} if cursor else files_list._get_kwargs()
        return page_call(
            "files.list", kwargs, lambda data: File._from_api(ApiFileModel.from_dict(data), client), client
        )

    def _get_call(self, id: str) -> Call[File]:
        from replicate_api.api.files import files_get

        return self._file_call("files.get", files_get._get_kwargs(_file_id(id)))

    def _delete_call(self, id: str) -> Call[None]:
        from replicate_api.api.files import files_delete

        return Call("files.delete", files_delete._get_kwargs(_file_id(id)), lambda r: None, expects="nothing")

    def create(
        self,
        file: str | os.PathLike[str] | IO[bytes] | bytes,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> File:
        """Upload a file (a path, an open binary file, or bytes), streamed; returns the stored `File`.

        Args:
            filename: The name to store it under (default: the path's or the file object's name).
            content_type: Its MIME type (default: guessed from the name).
            metadata: A JSON object stored with the file.
        """
        return self._client._drive(self._create_flow(file, filename, content_type, metadata))

    async def async_create(
        self,
        file: str | os.PathLike[str] | IO[bytes] | bytes,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> File:
        """Like `create`, for async code."""
        return await self._client._adrive(self._create_flow(file, filename, content_type, metadata))

    def get(self, file_id: str) -> File:
        """Get a file's details by id."""
        return self._client._request(self._get_call(file_id))

    async def async_get(self, file_id: str) -> File:
        """Like `get`, for async code."""
        return await self._client._arequest(self._get_call(file_id))

    def list(self, cursor: str | None = None) -> Page[File]:
        """Every file (all pages are fetched, so `next` is None); with `cursor`, only that page."""
        if cursor is not None:
            return self._client._request(self._list_call(cursor))
        return self._client._drive(collect_pages_flow(self._list_call(None), self._list_call, self._client))

    async def async_list(self, cursor: str | None = None) -> Page[File]:
        """Like `list`, for async code."""
        if cursor is not None:
            return await self._client._arequest(self._list_call(cursor))
        return await self._client._adrive(collect_pages_flow(self._list_call(None), self._list_call, self._client))

    def download(
        self, file: str | File, *, owner: str | None = None, expiry: int | None = None, signature: str | None = None
    ) -> FileOutput:
        """The file's content, as a `FileOutput` on its signed download URL (nothing is fetched until you read).

        Pass the signed `owner`, `expiry` (Unix time) and `signature` parameters; for a `File` whose `urls` already
        hold a signed `download` URL, they may be left out. Read it with `.read()`, `.save(path)` or iteration.
        """
        from replicate_api.api.files import files_download

        if isinstance(file, File) and owner is None and expiry is None and signature is None:
            signed = file.urls.get("download")
            if signed:
                return FileOutput(signed, self._client)
        if owner is None or expiry is None or signature is None:
            raise InvalidArgumentError("download needs the signed owner=, expiry= and signature= parameters.")
        if isinstance(expiry, bool) or not isinstance(expiry, int):
            raise InvalidArgumentError(f"expiry must be a Unix time in seconds, got {expiry!r}.")
        kwargs = files_download._get_kwargs(_file_id(file), owner=owner, expiry=expiry, signature=signature)
        url = self._client._requester.url_for(kwargs["url"]).copy_merge_params(kwargs["params"])
        return FileOutput(str(url), self._client)

    def delete(self, file_id: str) -> bool:
        """Delete a file; True when done."""
        self._client._request(self._delete_call(file_id))
        return True

    async def async_delete(self, file_id: str) -> bool:
        """Like `delete`, for async code."""
        await self._client._arequest(self._delete_call(file_id))
        return True


def _file_id(value: Any) -> str:
    if isinstance(value, File):
        return value.id
    if not isinstance(value, str) or not value or "/" in value:
        raise InvalidArgumentError(f"A file id is a non-empty string without '/', got {value!r}.")
    return value
