"""One session of calls a user's test suite would mock, run sync or async, and the answers a mock gives it.

The session touches the three hosts a replicate_ext call can reach: the API (`api.replicate.com`: creates, gets,
cancels, a file upload), the stream host (`stream.replicate.com`: a prediction's server-sent events) and the file
host (`replicate.delivery`: a file output read and saved). The base URL is the real API's, and no test sets a
token that works: a request that slipped past the tool would fail (this machine has no route to them) or, in a
user's CI with a real token, be sent for real.
"""

from __future__ import annotations

import functools
import json
import pathlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

import replicate_ext

API = "https://api.replicate.com/v1"
STREAM_URL = "https://stream.replicate.com/v1/streams/qa7vnfzsqxrmc0cmbq5rjjrz9c"
FILE_URL = "https://replicate.delivery/xezq/Jq6Vh4aVDvQ0/out-0.png"
UPLOAD_URL = f"{API}/files/ZmlsZS0xMjM"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
BIG_INPUT = b"\x00" * (300 * 1024)  # above the 256 KiB inline limit: uploaded through the files API first
SSE_BODY = (
    b"event: output\nid: 1\ndata: Hello\n\nevent: output\nid: 2\ndata:  world\n\nevent: done\nid: 3\ndata: {}\n\n"
)
SSE_HEADERS = {"content-type": "text/event-stream"}


def prediction(id: str = "p1", status: str = "starting", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": id,
        "model": "acme/painter",
        "version": "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
        "input": {"prompt": "a fox"},
        "status": status,
        "output": None,
        "error": None,
        "logs": "",
        "metrics": {},
        "created_at": "2026-12-03T10:00:00.000Z",
        "urls": {
            "get": f"{API}/predictions/{id}",
            "cancel": f"{API}/predictions/{id}/cancel",
            "web": f"https://replicate.com/p/{id}",
        },
    }
    body.update(fields)
    return body


CREATED = prediction()
SUCCEEDED = prediction(status="succeeded", output=FILE_URL, metrics={"predict_time": 1.5})
CANCELED = prediction(status="canceled")
STREAMING = prediction(id="p2", urls={**prediction("p2")["urls"], "stream": STREAM_URL})
FILE_OBJECT = {
    "id": "ZmlsZS0xMjM",
    "name": "input.bin",
    "content_type": "application/octet-stream",
    "size": len(BIG_INPUT),
    "etag": "0f343b0931126a20f133d67c2b018a3b",
    "checksums": {"sha256": "a" * 64},
    "metadata": {},
    "created_at": "2026-12-03T10:00:00.000Z",
    "expires_at": "2026-12-04T10:00:00.000Z",
    "urls": {"get": UPLOAD_URL},
}


@dataclass
class Outcome:
    """What the session got back, for the tests to compare with what the mock answered."""

    created: str = ""
    got: tuple[str, Any] = ("", None)
    canceled: str = ""
    run_output: str = ""
    read: bytes = b""
    saved: bytes = b""
    streamed: str = ""


def caller(mode: str) -> Callable[..., Awaitable[Any]]:
    """`call(owner, "get", "async_get", *args)`: the sync method in a worker thread, or the async one."""

    async def call(owner: Any, sync_name: str, async_name: str, /, *args: Any, **kwargs: Any) -> Any:
        if mode == "async":
            return await getattr(owner, async_name)(*args, **kwargs)
        return await anyio.to_thread.run_sync(functools.partial(getattr(owner, sync_name), *args, **kwargs))

    return call


async def streamed_text(client: replicate_ext.Client, mode: str, ref: str, input: dict[str, Any]) -> str:
    """The text of `stream(ref, input)`'s events, read with the sync iterator (in a thread) or the async one."""
    if mode == "async":
        return "".join([str(event) async for event in client.async_stream(ref, input=input)])
    return await anyio.to_thread.run_sync(lambda: "".join(str(event) for event in client.stream(ref, input=input)))


async def session(client: replicate_ext.Client, mode: str, folder: pathlib.Path) -> Outcome:
    """Run the calls sync (in a worker thread) or async, as `mode` says."""
    call = caller(mode)
    outcome = Outcome()
    created = await call(client.predictions, "create", "async_create", model="acme/painter", input={"prompt": "a fox"})
    outcome.created = created.id
    got = await call(client.predictions, "get", "async_get", created.id)
    outcome.got = (got.status, got.output)
    outcome.canceled = (await call(client.predictions, "cancel", "async_cancel", created.id)).status

    output = await call(client, "run", "async_run", "acme/painter", input={"prompt": "a fox", "data": BIG_INPUT})
    outcome.run_output = str(output)
    outcome.read = await call(output, "read", "aread")
    saved = await call(output, "save", "asave", folder)
    outcome.saved = pathlib.Path(saved).read_bytes()

    outcome.streamed = await streamed_text(client, mode, "acme/painter", {})
    return outcome


def check(outcome: Outcome) -> None:
    """The session got exactly what the mock answered."""
    assert outcome.created == "p1"
    assert outcome.got == ("succeeded", FILE_URL)
    assert outcome.canceled == "canceled"
    assert outcome.run_output == FILE_URL
    assert outcome.read == PNG
    assert outcome.saved == PNG
    assert outcome.streamed == "Hello world"


# The requests the session sends, in order, as (method, URL) pairs; each tool's test registers an answer for each.
EXPECTED_REQUESTS = [
    ("POST", f"{API}/models/acme/painter/predictions"),
    ("GET", f"{API}/predictions/p1"),
    ("POST", f"{API}/predictions/p1/cancel"),
    ("POST", f"{API}/files"),
    ("POST", f"{API}/models/acme/painter/predictions"),
    ("GET", FILE_URL),
    ("GET", FILE_URL),
    ("POST", f"{API}/models/acme/painter/predictions"),
    ("GET", STREAM_URL),
]


def check_requests(sent: list[tuple[str, str, bytes]]) -> None:
    """The tool saw every request of the session, in order, and the run's create carried the uploaded file."""
    assert [(method, url.split("?", 1)[0]) for method, url, _ in sent] == EXPECTED_REQUESTS
    run_create = json.loads(sent[4][2])
    assert run_create["input"] == {"prompt": "a fox", "data": UPLOAD_URL}


def answer(method: str, url: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """The mock's answer to one request of the session (status, headers, body), by method and URL."""
    url = url.split("?", 1)[0]
    json_headers = {"content-type": "application/json"}
    if method == "POST" and url == f"{API}/models/acme/painter/predictions":
        sent = json.loads(body)
        if sent.get("stream"):
            return 201, json_headers, json.dumps(STREAMING).encode()
        if "data" in sent["input"]:
            return 201, json_headers, json.dumps({**SUCCEEDED, "input": sent["input"]}).encode()
        return 201, json_headers, json.dumps(CREATED).encode()
    if method == "GET" and url == f"{API}/predictions/p1":
        return 200, json_headers, json.dumps(SUCCEEDED).encode()
    if method == "POST" and url == f"{API}/predictions/p1/cancel":
        return 200, json_headers, json.dumps(CANCELED).encode()
    if method == "POST" and url == f"{API}/files":
        return 201, json_headers, json.dumps(FILE_OBJECT).encode()
    if method == "GET" and url == FILE_URL:
        return 200, {"content-type": "image/png"}, PNG
    if method == "GET" and url == STREAM_URL:
        return 200, SSE_HEADERS, SSE_BODY
    return 404, json_headers, json.dumps({"title": "Not Found", "status": 404, "detail": url}).encode()
