"""The files API: multipart upload streamed to disk, metadata, checksums, listing, signed downloads."""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest

from replicate_ext.local import LocalReplicate

from .conftest import validating_client


def upload(api: httpx.Client, name: str, data: bytes, content_type: str, **fields: str) -> httpx.Response:
    return api.post("/files", files={"content": (name, data, content_type)}, data=fields)


def test_a_file_round_trips_with_metadata_checksums_and_a_signed_download(
    server: LocalReplicate, api: httpx.Client
) -> None:
    data = b"hello, files\n"
    response = upload(api, "hello.txt", data, "text/plain", metadata=json.dumps({"purpose": "test", "n": 1}))
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "hello.txt" and created["content_type"] == "text/plain"
    assert created["size"] == len(data)
    assert created["checksums"] == {"sha256": hashlib.sha256(data).hexdigest(), "md5": hashlib.md5(data).hexdigest()}
    assert created["etag"] == hashlib.md5(data).hexdigest()
    assert created["metadata"] == {"purpose": "test", "n": 1}
    assert created["urls"]["get"] == f"{server.url}/v1/files/{created['id']}"
    assert api.get(f"/files/{created['id']}").json()["id"] == created["id"]
    download = created["urls"]["download"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(download).query)
    assert set(query) == {"owner", "expiry", "signature"}
    with validating_client(server, token=None) as anonymous:  # a signed URL needs no token
        fetched = anonymous.get(download)
    assert fetched.status_code == 200 and fetched.content == data
    assert fetched.headers["content-type"] == "application/octet-stream"


def test_large_binary_uploads_round_trip_byte_for_byte(api: httpx.Client) -> None:
    data = os.urandom(6 * 1024 * 1024 + 123) + bytes(range(256)) + b"\r\n--boundary-looking\r\n"
    created = upload(api, "blob.bin", data, "application/octet-stream").json()
    assert created["size"] == len(data)
    assert created["checksums"]["sha256"] == hashlib.sha256(data).hexdigest()
    fetched = api.get(created["urls"]["download"])
    assert fetched.content == data


def test_filename_and_type_fields_override_the_part(api: httpx.Client) -> None:
    created = upload(api, "x.bin", b"{}", "application/octet-stream", filename="data.json", type="application/json")
    body = created.json()
    assert body["name"] == "data.json" and body["content_type"] == "application/json" and body["metadata"] == {}


def test_files_are_listed_newest_first_and_can_be_deleted(api: httpx.Client) -> None:
    ids = [upload(api, f"f{i}.txt", b"x", "text/plain").json()["id"] for i in range(3)]
    listed = api.get("/files").json()
    assert [f["id"] for f in listed["results"]] == list(reversed(ids))
    assert api.delete(f"/files/{ids[1]}").status_code == 204
    assert [f["id"] for f in api.get("/files").json()["results"]] == [ids[2], ids[0]]
    assert api.get(f"/files/{ids[1]}").status_code == 404
    assert api.delete(f"/files/{ids[1]}").status_code == 404


def test_downloads_check_owner_expiry_and_signature(api: httpx.Client) -> None:
    created = upload(api, "secret.txt", b"s3cr3t", "text/plain").json()
    base = created["urls"]["download"]
    parts = urllib.parse.urlsplit(base)
    query = dict(urllib.parse.parse_qsl(parts.query))

    def fetch(**changes: str) -> httpx.Response:
        return api.get(f"/files/{created['id']}/download", params={**query, **changes})

    assert fetch().status_code == 200
    assert fetch(signature="A" + query["signature"][1:]).status_code == 403
    assert fetch(owner="someone-else").status_code == 403
    assert fetch(expiry=str(int(query["expiry"]) + 1)).status_code == 403
    assert fetch(expiry=str(int(time.time()) - 10)).status_code == 403
    assert api.get(f"/files/{created['id']}/download").status_code == 403


@pytest.mark.replicate_local(max_upload_bytes=1000)
def test_uploads_over_the_limit_are_413_problems(api: httpx.Client) -> None:
    response = upload(api, "big.bin", b"x" * 5000, "application/octet-stream")
    assert response.status_code == 413
    assert upload(api, "ok.bin", b"x" * 1000, "application/octet-stream").status_code == 201

    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="content"; filename="s.bin"\r\n\r\n'
        yield b"y" * 3000
        yield b"\r\n--b--\r\n"

    streamed = api.post("/files", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"})
    assert streamed.status_code == 413  # no content-length: caught while streaming
    assert api.get("/files").json()["results"][0]["name"] == "ok.bin"


def test_bad_uploads_are_4xx_problems(api: httpx.Client) -> None:
    assert api.post("/files", data={"filename": "x"}, files={"other": ("a", b"a")}).status_code == 422
    assert api.post("/files", content=b"raw", headers={"content-type": "text/plain"}).status_code == 415
    bad_metadata = upload(api, "a.txt", b"a", "text/plain", metadata="{not json")
    assert bad_metadata.status_code == 422 and "metadata" in bad_metadata.json()["detail"]
    assert upload(api, "a.txt", b"a", "text/plain", metadata="[1]").status_code == 422
    assert upload(api, "a.txt", b"a", "text/plain", filename="n" * 300).status_code == 422
