"""Files: uploads (`POST /v1/files`), signed downloads, file outputs on the delivery origin, file inputs.

Uploads are parsed as they arrive with python-multipart and written straight to disk, hashing on the way
(the writes happen on the event loop, a chunk at a time as the client sends them: page-cache writes of that
size are short, and a local server does not need a thread per upload).
Download URLs are signed: `signature` is the unpadded base64url HMAC-SHA256, under the server's signing key,
of `"{owner} {file id} {expiry}"`. A valid, unexpired signature is both required and sufficient to download
(no `Authorization` needed, as with a pre-signed URL); a missing, wrong or expired one gets 403.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import mimetypes
import os
import re
import shutil
import time
import urllib.parse
from pathlib import Path
from typing import Any

from ._errors import InputValidationError, ProblemError
from ._state import StoredFile, format_time, new_id

__all__ = ["FileStore", "UploadParser", "parse_data_uri"]

_DAY = 24 * 3600.0
_FIELD_LIMIT = 64 * 1024  # the non-file parts (filename, type, metadata) are small


def parse_data_uri(uri: str) -> tuple[str, bytes]:
    """Decode an RFC 2397 `data:` URI into (media type, bytes); `;base64` or percent-encoded data."""
    header, sep, payload = uri.partition(",")
    if not sep or not header.startswith("data:"):
        raise ValueError("A data URI looks like 'data:<type>;base64,<data>'.")
    params = header[5:].split(";")
    media_type = params[0] or "text/plain"
    if "base64" in params[1:]:
        try:
            data = base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("The data URI's base64 payload is not valid.") from exc
    else:
        data = urllib.parse.unquote_to_bytes(payload)
    return media_type, data


def _safe_name(name: str, fallback: str = "file") -> str:
    name = os.path.basename(name.replace("\\", "/")).strip()
    name = re.sub(r"[\x00-\x1f/]", "_", name)
    return name if name not in ("", ".", "..") else fallback


class UploadParser:
    """Receives one multipart body chunk by chunk; the `content` part goes to `target`, hashed as it goes."""

    def __init__(self, boundary: bytes, target: Path, max_bytes: int) -> None:
        from python_multipart.multipart import MultipartParser

        self.target = target
        self.max_bytes = max_bytes
        self.fields: dict[str, bytes] = {}
        self.content_filename: str | None = None
        self.content_type: str | None = None
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.saw_content = False
        self._file: Any = None
        self._headers: dict[bytes, bytes] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._part: str | None = None
        self._buffer = bytearray()
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )

    def write(self, chunk: bytes) -> None:
        """Feed a chunk of the request body."""
        self._parser.write(chunk)

    def finish(self) -> None:
        """The body has ended."""
        self._parser.finalize()
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._part = None
        self._buffer = bytearray()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        self._part = name
        if name == "content":
            if self.saw_content:
                raise ProblemError(422, "Invalid file upload", "The form has more than one `content` part.")
            self.saw_content = True
            filename = options.get(b"filename")
            self.content_filename = filename.decode("utf-8", "replace") if filename else None
            content_type = self._headers.get(b"content-type")
            self.content_type = content_type.decode("latin-1").strip() if content_type else None
            self._file = self.target.open("wb")

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._part == "content":
            self.size += len(chunk)
            if self.size > self.max_bytes:
                raise ProblemError(
                    413, "Request Entity Too Large", f"The file is larger than the limit of {self.max_bytes} bytes."
                )
            self.sha256.update(chunk)
            self.md5.update(chunk)
            self._file.write(chunk)
        else:
            self._buffer += chunk
            if len(self._buffer) > _FIELD_LIMIT:
                raise ProblemError(413, "Request Entity Too Large", f"The form field {self._part!r} is too large.")

    def _on_part_end(self) -> None:
        if self._part == "content":
            self.close()
        elif self._part:
            self.fields[self._part] = bytes(self._buffer)


class FileStore:
    """Uploaded files, published outputs, and input files, under one folder."""

    def __init__(self, root: Path, *, owner: str, max_upload_bytes: int, data_uri_outputs: int) -> None:
        self.root = root
        self.uploads = root / "uploads"
        self.delivery = root / "delivery"
        self.inputs = root / "inputs"
        for folder in (self.uploads, self.delivery, self.inputs):
            folder.mkdir(parents=True, exist_ok=True)
        self.owner = owner
        self.max_upload_bytes = max_upload_bytes
        self.data_uri_outputs = data_uri_outputs
        self.signing_key = os.urandom(32)
        self.api_base = ""
        self.delivery_base = ""
        self.internal_delivery_base = ""
        self._internal_hosts: set[str] = set()

    def set_bases(self, api_base: str, delivery_base: str) -> None:
        """Record the two origins once the ports are known.

        `internal_delivery_base` is the delivery origin as processes on this machine reach it: a wildcard
        address (`0.0.0.0`, `::`) is listened on, not connected to, so it becomes the loopback address.
        """
        self.api_base = api_base
        self.delivery_base = delivery_base
        parsed_delivery = urllib.parse.urlsplit(delivery_base)
        loopback = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(parsed_delivery.hostname or "")
        self.internal_delivery_base = (
            f"{parsed_delivery.scheme}://{loopback}:{parsed_delivery.port}" if loopback else delivery_base
        )
        for base in (api_base, delivery_base):
            parsed = urllib.parse.urlsplit(base)
            self._internal_hosts.add(parsed.netloc)
            if parsed.hostname in ("127.0.0.1", "localhost", "::1"):
                for alias in ("127.0.0.1", "localhost", "[::1]"):
                    self._internal_hosts.add(f"{alias}:{parsed.port}")

    # -- signing -------------------------------------------------------------------------------------------

    def signature(self, file_id: str, expiry: int) -> str:
        message = f"{self.owner} {file_id} {expiry}".encode()
        digest = hmac.new(self.signing_key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def check_signature(self, file_id: str, owner: str, expiry: str, signature: str) -> None:
        """Raise a 403 problem unless the signature is valid for this owner and file and not expired."""
        if not (owner and expiry and signature):
            raise ProblemError(403, "Forbidden", "A download needs the owner, expiry and signature parameters.")
        try:
            expiry_value = int(expiry)
        except ValueError:
            raise ProblemError(403, "Forbidden", "The expiry parameter must be a Unix timestamp.") from None
        expected = self.signature(file_id, expiry_value)
        if owner != self.owner or not hmac.compare_digest(expected, signature):
            raise ProblemError(403, "Forbidden", "The download signature is not valid.")
        if expiry_value < time.time():
            raise ProblemError(403, "Forbidden", "The download link has expired.")

    def download_url(self, file_id: str, lifetime: float = 3600.0) -> str:
        expiry = int(time.time() + lifetime)
        query = urllib.parse.urlencode(
            {"owner": self.owner, "expiry": expiry, "signature": self.signature(file_id, expiry)}
        )
        return f"{self.api_base}/v1/files/{file_id}/download?{query}"

    def as_dict(self, stored: StoredFile) -> dict[str, Any]:
        """The File object; `urls.download` (an extra member) is a ready-signed download URL."""
        return {
            "id": stored.id,
            "name": stored.name,
            "content_type": stored.content_type,
            "size": stored.size,
            "etag": stored.md5,
            "checksums": {"sha256": stored.sha256, "md5": stored.md5},
            "metadata": stored.metadata,
            "created_at": format_time(stored.created_at),
            "expires_at": format_time(stored.expires_at),
            "urls": {"get": f"{self.api_base}/v1/files/{stored.id}", "download": self.download_url(stored.id)},
        }

    # -- uploads -------------------------------------------------------------------------------------------

    def new_upload(self, content_type_header: str) -> tuple[str, UploadParser]:
        """Start receiving a multipart upload; raise a problem for a body that is not multipart."""
        from python_multipart.multipart import parse_options_header

        media_type, options = parse_options_header(content_type_header)
        boundary = options.get(b"boundary")
        if media_type != b"multipart/form-data" or not boundary:
            raise ProblemError(
                415, "Unsupported Media Type", "Upload files as multipart/form-data with a `content` part."
            )
        file_id = new_id()
        return file_id, UploadParser(boundary, self.uploads / file_id, self.max_upload_bytes)

    def finish_upload(self, file_id: str, parser: UploadParser, now: float) -> StoredFile:
        """Check the parsed form and describe the stored file."""
        if not parser.saw_content:
            (self.uploads / file_id).unlink(missing_ok=True)
            raise ProblemError(422, "Invalid file upload", "The form needs a `content` part with the file.")
        fields = {name: value.decode("utf-8", "replace") for name, value in parser.fields.items()}
        metadata: Any = {}
        if fields.get("metadata", "").strip():
            try:
                metadata = json.loads(fields["metadata"])
            except json.JSONDecodeError:
                raise ProblemError(422, "Invalid file upload", "metadata: must be JSON text.") from None
            if not isinstance(metadata, dict):
                raise ProblemError(422, "Invalid file upload", "metadata: must be a JSON object.")
        name = fields.get("filename") or parser.content_filename or "file"
        if len(name.encode()) > 255:
            raise ProblemError(422, "Invalid file upload", "filename: must be at most 255 bytes.")
        content_type = (
            fields.get("type") or parser.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        return StoredFile(
            id=file_id,
            name=name,
            content_type=content_type,
            size=parser.size,
            sha256=parser.sha256.hexdigest(),
            md5=parser.md5.hexdigest(),
            metadata=metadata,
            created_at=now,
            expires_at=now + _DAY,
            path=self.uploads / file_id,
        )

    # -- outputs -------------------------------------------------------------------------------------------

    def publish(self, path: Path, *, move: bool = False) -> str:
        """Make a predictor's output file available; return its URL (or a `data:` URI for small files).

        The file is copied, or moved when `move` is true. Blocking: call it from a worker thread.
        """
        if not path.is_file():
            raise FileNotFoundError(f"The predictor returned the path {str(path)!r}, which is not a file.")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if self.data_uri_outputs and path.stat().st_size <= self.data_uri_outputs:
            encoded = base64.b64encode(path.read_bytes()).decode()
            if move:
                path.unlink()
            return f"data:{content_type};base64,{encoded}"
        token = new_id(32)
        name = _safe_name(path.name, "output")
        folder = self.delivery / token
        folder.mkdir()
        if move:
            os.replace(path, folder / name)
        else:
            shutil.copyfile(path, folder / name)
        return f"{self.delivery_base}/pbxt/{token}/{urllib.parse.quote(name)}"

    def share(self, source: Path, name: str) -> str:
        """A delivery URL of a stored file for a process on this machine (a link, not a copy). Blocking."""
        token = new_id(32)
        folder = self.delivery / token
        folder.mkdir()
        target = folder / _safe_name(name, "file")
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        return f"{self.internal_delivery_base}/pbxt/{token}/{urllib.parse.quote(target.name)}"

    def staging_file(self, name: str) -> Path:
        """A fresh path, in its own folder, for a file being received (an output coglet uploads)."""
        return self.input_file(name)

    def delivery_path(self, token: str, name: str) -> Path | None:
        """The file behind a delivery URL, or None."""
        if not re.fullmatch(r"[a-z2-7]{32}", token) or _safe_name(name) != name:
            return None
        path = self.delivery / token / name
        return path if path.is_file() else None

    # -- inputs --------------------------------------------------------------------------------------------

    def internal_path(self, uri: str, uploads: dict[str, StoredFile]) -> tuple[Path, str] | None:
        """For this server's own file URLs, the local file and its name (no HTTP); None for other URLs."""
        parsed = urllib.parse.urlsplit(uri)
        if parsed.netloc not in self._internal_hosts:
            return None
        parts = [urllib.parse.unquote(p) for p in parsed.path.split("/") if p]
        if len(parts) >= 3 and parts[:2] == ["v1", "files"]:
            stored = uploads.get(parts[2])
            if stored is None:
                raise InputValidationError(f"The file {uri} does not exist on this server.")
            return stored.path, stored.name
        if len(parts) == 3 and parts[0] == "pbxt":
            path = self.delivery_path(parts[1], parts[2])
            if path is None:
                raise InputValidationError(f"The file {uri} does not exist on this server.")
            return path, parts[2]
        raise InputValidationError(f"{uri} is not a file URL of this server.")

    def input_file(self, name: str) -> Path:
        """A fresh path, in its own folder, for an input file called `name`."""
        folder = self.inputs / new_id(16)
        folder.mkdir()
        return folder / _safe_name(name, "input")

    def place_input(self, source: Path, name: str) -> Path:
        """Give a predictor its own link to (or copy of) a stored file. Blocking."""
        target = self.input_file(name)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        return target

    def write_data_uri(self, uri: str) -> Path:
        """Decode a `data:` URI into an input file. Blocking."""
        try:
            media_type, data = parse_data_uri(uri)
        except ValueError as exc:
            raise InputValidationError(str(exc)) from exc
        extension = mimetypes.guess_extension(media_type.split(";")[0].strip()) or ""
        target = self.input_file(f"input{extension}")
        target.write_bytes(data)
        return target
