"""The generated client (`replicate_api`): complete, importable piece by piece, and correct on the wire."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import importlib
import inspect
import json
import subprocess
import sys
from io import BytesIO

import httpx
import pytest
import replicate_api.models
from replicate_api import Client
from replicate_api.api.files import files_create
from replicate_api.models import File as FileObject
from replicate_api.models import FileCreateRequest, FileCreateRequestMetadata
from replicate_api.types import File

from tools.spectool.document import iter_operations, load_document

from .test_spec import SPEC

OPERATION_IDS = sorted(op["operationId"] for _, _, op in iter_operations(load_document(SPEC)[0]))
GENERATED = [oid for oid in OPERATION_IDS if oid != "models.search"]  # QUERY cannot be generated


def test_there_are_36_generated_operations_and_one_query() -> None:
    assert len(OPERATION_IDS) == 37
    assert len(GENERATED) == 36


@pytest.mark.parametrize("operation_id", GENERATED)
def test_every_operation_has_sync_and_async_functions(operation_id: str) -> None:
    tag = operation_id.split(".")[0]
    module = importlib.import_module(f"replicate_api.api.{tag}.{operation_id.replace('.', '_')}")
    for name in ("sync", "sync_detailed"):
        func = getattr(module, name)
        assert callable(func) and not inspect.iscoroutinefunction(func)
    for name in ("asyncio", "asyncio_detailed"):
        assert inspect.iscoroutinefunction(getattr(module, name))
    assert "client" in inspect.signature(module.sync).parameters


def test_importing_one_endpoint_does_not_import_every_model() -> None:
    code = (
        "import sys; import replicate_api.api.predictions.predictions_get; "
        "print(sorted(m for m in sys.modules if m.startswith('replicate_api.models.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = eval(out)  # a printed list of module names
    assert "replicate_api.models.prediction" in loaded
    assert "replicate_api.models.model" not in loaded
    assert len(loaded) < 6, loaded


def test_every_model_in_the_lazy_namespace_resolves() -> None:
    for name in replicate_api.models.__all__:
        value = getattr(replicate_api.models, name)
        if inspect.isclass(value):  # the others are Literal aliases of request enums
            assert value.__name__ == name
    assert set(dir(replicate_api.models)) == set(replicate_api.models.__all__)
    with pytest.raises(AttributeError):
        replicate_api.models.NoSuchModel  # noqa: B018


def _parse_multipart(request: httpx.Request) -> dict[str, tuple[dict[str, str], bytes]]:
    """Split a multipart/form-data body with the standard library's MIME parser."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts[str(name)] = (dict(part.items()), payload)
    return parts


def test_an_upload_containing_the_generators_old_boundary_arrives_whole() -> None:
    # The generator hard-codes `boundary=+++`; a body holding "\r\n--+++" would be cut into several parts.
    payload = b'head\r\n--+++\r\nContent-Disposition: form-data; name="evil"\r\n\r\nx\r\n--+++--\r\ntail' + bytes(
        range(256)
    )
    received = {}

    def server(request: httpx.Request) -> httpx.Response:
        parts = _parse_multipart(request)
        received.update(parts)
        content = parts["content"][1]
        return httpx.Response(
            201,
            json={
                "id": "f1", "name": "x", "content_type": "application/octet-stream", "size": len(content),
                "etag": "e", "checksums": {"sha256": hashlib.sha256(content).hexdigest()}, "metadata": {},
                "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-01-02T00:00:00Z",
                "urls": {"get": "https://api.example/v1/files/f1"},
            },
        )  # fmt: skip

    client = Client(base_url="https://api.example/v1", httpx_args={"transport": httpx.MockTransport(server)})
    body = FileCreateRequest(
        content=File(payload=BytesIO(payload), file_name="data.bin", mime_type="application/octet-stream"),
        filename="data.bin",
        metadata=FileCreateRequestMetadata.from_dict({"purpose": "test", "n": 1}),
    )
    result = files_create.sync(client=client, body=body)
    assert isinstance(result, FileObject)
    assert result.size == len(payload)
    assert result.checksums.sha256 == hashlib.sha256(payload).hexdigest()
    assert set(received) == {"content", "filename", "metadata", "type"}
    assert json.loads(received["metadata"][1]) == {"purpose": "test", "n": 1}
    assert received["metadata"][0]["Content-Type"] == "application/json"
