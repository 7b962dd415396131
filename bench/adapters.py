"""One adapter per client: the same operations, spelled in each client's own API.

Each adapter imports its client only when first used, because this module is loaded in every benchmark
environment (the venvs of replicate_ext, `replicate` 1.0.7, `replicate` 2.0.0b4 and raw httpx), and
each of those has only its own client installed. An operation a client does not have raises `Unsupported`, and
the report says so instead of leaving a blank.

The floors are adapters too: raw httpx (hand-written requests plus `response.json()`), the stdlib's
`http.client`, and a minimal HTTP/1.1 keep-alive client on asyncio streams.
"""

from __future__ import annotations

import importlib
import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

__all__ = ["ADAPTERS", "Adapter", "Unsupported"]

TOKEN = "r8_fake_token_for_benchmarks"
VERSION_ID = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
MODEL = "fake/model"


class Unsupported(Exception):
    """The client has no way to do this operation; the message says what is missing."""


class Adapter:
    """The operations the cases use. `c` is whatever `client()` / `aclient()` returned."""

    name = "?"

    def client(self, url: str) -> Any:
        raise Unsupported("no sync client")

    def close(self, c: Any) -> None:
        pass

    def get(self, c: Any, id: str) -> Any:
        raise Unsupported("no sync predictions.get")

    def run(self, c: Any, input: dict[str, Any]) -> Any:
        raise Unsupported("no sync run")

    def create(self, c: Any, input: dict[str, Any]) -> Any:
        """Create a prediction without holding the request (no `Prefer: wait`)."""
        raise Unsupported("no predictions.create")

    def wait(self, c: Any, prediction: Any) -> None:
        raise Unsupported("no prediction wait")

    def wait_stream(self, c: Any, prediction: Any) -> None:
        """Read the prediction's server-sent events until its `done` event."""
        raise Unsupported("no SSE support")

    def read_file(self, c: Any, url: str) -> bytes:
        raise Unsupported("no file output read()")

    def save_file(self, c: Any, url: str, path: str) -> str:
        """Write the file to `path`; returns how (`save()` or the client's closest equivalent)."""
        raise Unsupported("no file output save()")

    async def aclient(self, url: str) -> Any:
        raise Unsupported("no async client")

    async def aclose(self, c: Any) -> None:
        pass

    async def aget(self, c: Any, id: str) -> Any:
        raise Unsupported("no async predictions.get")

    async def arun(self, c: Any, input: dict[str, Any]) -> Any:
        raise Unsupported("no async run")


def _iterate_to_file(chunks: Any, path: str) -> None:
    with open(path, "wb") as out:
        for chunk in chunks:
            out.write(chunk)


# -- the clients with replicate 1.x's API: replicate_ext (a drop-in for it) and replicate 1.0.7 ------------------


class Classic(Adapter):
    """The operations as replicate 1.x spells them; subclasses say which client and which `FileOutput`."""

    def _file_output(self, c: Any, url: str) -> Any:
        raise NotImplementedError

    def get(self, c: Any, id: str) -> Any:
        return c.predictions.get(id)

    def run(self, c: Any, input: dict[str, Any]) -> Any:
        return c.run(MODEL, input=input)

    def create(self, c: Any, input: dict[str, Any]) -> Any:
        return c.predictions.create(version=VERSION_ID, input=input)

    def wait(self, c: Any, prediction: Any) -> None:
        prediction.wait()

    def wait_stream(self, c: Any, prediction: Any) -> None:
        for _event in prediction.stream():
            pass

    def read_file(self, c: Any, url: str) -> bytes:
        data: bytes = self._file_output(c, url).read()
        return data

    async def aget(self, c: Any, id: str) -> Any:
        return await c.predictions.async_get(id)

    async def arun(self, c: Any, input: dict[str, Any]) -> Any:
        return await c.async_run(MODEL, input=input)


class Ours(Classic):
    """replicate_ext, as its users call it."""

    name = "ours"

    def _client_class(self) -> Any:
        from replicate_ext import Client

        return Client

    def client(self, url: str) -> Any:
        return self._client_class()(api_token=TOKEN, base_url=url)

    def close(self, c: Any) -> None:
        c.close()

    def _file_output(self, c: Any, url: str) -> Any:
        from replicate_ext import FileOutput

        return FileOutput(url, c)

    def save_file(self, c: Any, url: str, path: str) -> str:
        self._file_output(c, url).save(path)
        return "save()"

    async def aclient(self, url: str) -> Any:
        return self._client_class()(api_token=TOKEN, base_url=url)

    async def aclose(self, c: Any) -> None:
        await c.aclose()


class OursAiohttp(Ours):
    """replicate_ext with httpx-aiohttp's transport under its async client (`Client(async_transport=...)`)."""

    name = "ours-aiohttp"

    async def aclient(self, url: str) -> Any:
        import httpx

        transport = importlib.import_module("httpx_aiohttp").AiohttpTransport(
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=100)
        )
        return self._client_class()(api_token=TOKEN, base_url=url, async_transport=transport)


class V1(Classic):
    name = "v1"

    def client(self, url: str) -> Any:
        return importlib.import_module("replicate").Client(api_token=TOKEN, base_url=url)

    def _file_output(self, c: Any, url: str) -> Any:
        return importlib.import_module("replicate.helpers").FileOutput(url, c)

    def save_file(self, c: Any, url: str, path: str) -> str:
        _iterate_to_file(self._file_output(c, url), path)
        return "no save(): iteration into a file"

    async def aclient(self, url: str) -> Any:
        return self.client(url)


# -- replicate 2.0.0b4 ---------------------------------------------------------------------------------------------


class V2(Adapter):
    name = "v2"

    def client(self, url: str) -> Any:
        return importlib.import_module("replicate").Replicate(bearer_token=TOKEN, base_url=f"{url}/v1")

    def close(self, c: Any) -> None:
        c.close()

    def get(self, c: Any, id: str) -> Any:
        return c.predictions.get(prediction_id=id)

    def run(self, c: Any, input: dict[str, Any]) -> Any:
        return c.run(MODEL, input=input)

    def create(self, c: Any, input: dict[str, Any]) -> Any:
        return c.predictions.create(version=VERSION_ID, input=input)

    def wait(self, c: Any, prediction: Any) -> None:
        c.predictions.wait(prediction.id)

    def wait_stream(self, c: Any, prediction: Any) -> None:
        raise Unsupported("replicate 2.0.0b4 has no SSE streaming of a prediction")

    def _file_output(self, c: Any, url: str) -> Any:
        return importlib.import_module("replicate.lib._files").FileOutput(url, c)

    def read_file(self, c: Any, url: str) -> bytes:
        data: bytes = self._file_output(c, url).read()
        return data

    def save_file(self, c: Any, url: str, path: str) -> str:
        _iterate_to_file(self._file_output(c, url), path)
        return "no save(): iteration into a file"

    async def aclient(self, url: str) -> Any:
        return importlib.import_module("replicate").AsyncReplicate(bearer_token=TOKEN, base_url=f"{url}/v1")

    async def aclose(self, c: Any) -> None:
        await c.close()

    async def aget(self, c: Any, id: str) -> Any:
        return await c.predictions.get(prediction_id=id)

    async def arun(self, c: Any, input: dict[str, Any]) -> Any:
        return await c.run(MODEL, input=input)


# -- the floors ----------------------------------------------------------------------------------------------------

_HEADERS = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "bench-floor/1"}


class RawHttpx(Adapter):
    """httpx 0.28.1 with hand-written requests and `response.json()`: what a client built on httpx costs at least."""

    name = "httpx"
    _download: Any = None

    def client(self, url: str) -> Any:
        import httpx

        return httpx.Client(base_url=url, headers=_HEADERS)

    def close(self, c: Any) -> None:
        c.close()

    def get(self, c: Any, id: str) -> Any:
        response = c.get(f"/v1/predictions/{id}")
        response.raise_for_status()
        return response.json()

    def run(self, c: Any, input: dict[str, Any]) -> Any:
        response = c.post(f"/v1/models/{MODEL}/predictions", json={"input": input}, headers={"Prefer": "wait"})
        response.raise_for_status()
        return response.json()["output"]

    def create(self, c: Any, input: dict[str, Any]) -> Any:
        response = c.post("/v1/predictions", json={"version": VERSION_ID, "input": input})
        response.raise_for_status()
        return response.json()

    def wait_stream(self, c: Any, prediction: Any) -> None:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        with c.stream("GET", prediction["urls"]["stream"], headers=headers) as response:
            for line in response.iter_lines():
                if line == "event: done":
                    break

    def _downloads(self) -> Any:
        # A client of its own for file URLs, so that they never see the API token (as the clients should).
        import httpx

        if self._download is None:
            self._download = httpx.Client()
        return self._download

    def read_file(self, c: Any, url: str) -> bytes:
        data: bytes = self._downloads().get(url).content
        return data

    def save_file(self, c: Any, url: str, path: str) -> str:
        with self._downloads().stream("GET", url) as response:
            _iterate_to_file(response.iter_bytes(), path)
        return "stream() + iter_bytes() into a file"

    async def aclient(self, url: str) -> Any:
        import httpx

        return httpx.AsyncClient(base_url=url, headers=_HEADERS)

    async def aclose(self, c: Any) -> None:
        await c.aclose()

    async def aget(self, c: Any, id: str) -> Any:
        response = await c.get(f"/v1/predictions/{id}")
        response.raise_for_status()
        return response.json()

    async def arun(self, c: Any, input: dict[str, Any]) -> Any:
        response = await c.post(f"/v1/models/{MODEL}/predictions", json={"input": input}, headers={"Prefer": "wait"})
        response.raise_for_status()
        return response.json()["output"]


class Stdlib(Adapter):
    """`http.client` keep-alive plus `json`: the server's floor for sync requests."""

    name = "stdlib"

    def client(self, url: str) -> Any:
        import http.client
        import urllib.parse

        parts = urllib.parse.urlsplit(url)
        return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80)

    def close(self, c: Any) -> None:
        c.close()

    def _request(self, c: Any, method: str, path: str, body: bytes | None = None, **headers: str) -> Any:
        all_headers = dict(_HEADERS, **headers)
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        c.request(method, path, body=body, headers=all_headers)
        response = c.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")
        return json.loads(data)

    def get(self, c: Any, id: str) -> Any:
        return self._request(c, "GET", f"/v1/predictions/{id}")

    def run(self, c: Any, input: dict[str, Any]) -> Any:
        body = json.dumps({"input": input}).encode()
        return self._request(c, "POST", f"/v1/models/{MODEL}/predictions", body, Prefer="wait")["output"]


class _RawConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        self.writer.write(head + body)
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = 0
        for line in header.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)


class _RawPool:
    """At most `size` keep-alive connections, reused last-in first-out."""

    def __init__(self, host: str, port: int, size: int) -> None:
        import asyncio

        self.host, self.port = host, port
        self.idle: list[_RawConnection] = []
        self.slots = asyncio.Semaphore(size)

    async def request(self, method: str, path: str, body: bytes = b"", extra: str = "") -> Any:
        import asyncio

        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: {_HEADERS['Authorization']}"
            f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
        ).encode()
        async with self.slots:
            if self.idle:
                conn = self.idle.pop()
            else:
                conn = _RawConnection(*await asyncio.open_connection(self.host, self.port))
            status, data = await conn.request(head, body)
            self.idle.append(conn)
        if status >= 400:
            raise RuntimeError(f"HTTP {status}: {data[:200]!r}")
        return json.loads(data)

    async def close(self) -> None:
        for conn in self.idle:
            conn.writer.close()
        self.idle = []


class AsyncioRaw(Adapter):
    """A minimal HTTP/1.1 keep-alive client on asyncio streams, capped at 100 connections: the async floor."""

    name = "asyncio-raw"

    async def aclient(self, url: str) -> Any:
        import urllib.parse

        parts = urllib.parse.urlsplit(url)
        return _RawPool(parts.hostname or "127.0.0.1", parts.port or 80, 100)

    async def aclose(self, c: Any) -> None:
        await c.close()

    async def aget(self, c: Any, id: str) -> Any:
        return await c.request("GET", f"/v1/predictions/{id}")

    async def arun(self, c: Any, input: dict[str, Any]) -> Any:
        body = json.dumps({"input": input}).encode()
        prediction = await c.request("POST", f"/v1/models/{MODEL}/predictions", body, "Prefer: wait\r\n")
        return prediction["output"]


ADAPTERS: dict[str, type[Adapter]] = {
    adapter.name: adapter for adapter in (Ours, OursAiohttp, V1, V2, RawHttpx, Stdlib, AsyncioRaw)
}

# So that no client in the benchmark picks up a real token or base URL from the environment.
for _name in ("REPLICATE_API_TOKEN", "REPLICATE_BASE_URL", "REPLICATE_POLL_INTERVAL"):
    os.environ.pop(_name, None)
