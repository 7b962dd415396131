"""AsyncioTransport over real sockets on 127.0.0.1: the local server for the usual paths, and small hand-written
asyncio servers for what it cannot do (odd framing, dropped connections, stalls, TLS)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

import replicate_ext
from replicate_ext import AsyncioTransport
from replicate_ext._client import _own_transport_suits
from replicate_ext.local import LocalReplicate

pytestmark = pytest.mark.anyio

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def local() -> Iterator[LocalReplicate]:
    with LocalReplicate(demo_models=True) as running:
        yield running


# -- a hand-written HTTP/1.1 server ---------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    connection: int  # which of the server's connections carried it (counting from 0)


@dataclass
class Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    index: int
    server: Server

    async def request(self) -> Received | None:
        """The next request on this connection, or None when the client closed it."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
                if size == 0:
                    break
            body = b"".join(parts)
        else:
            body = b""
        received = Received(method, target, headers, body, self.index)
        self.server.requests.append(received)
        return received

    async def respond(self, body: bytes = b"ok", status: str = "200 OK", headers: tuple[str, ...] = ()) -> None:
        head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await self.writer.drain()

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


Handler = Callable[[Conn], Awaitable[None]]


async def keep_alive(conn: Conn) -> None:
    """Answer every request with its body (or `ok`), keeping the connection open."""
    while (request := await conn.request()) is not None:
        await conn.respond(request.body or b"ok")


@dataclass
class Server:
    handler: Handler
    ssl_context: ssl.SSLContext | None = None
    connections: int = 0
    open: int = 0
    most_open: int = 0
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _server: asyncio.Server | None = None

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{'https' if self.ssl_context else 'http'}://{host}:{self.port}{path}"

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        index = self.connections
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            await self.handler(Conn(reader, writer, index, self))
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            self.open -= 1
            writer.close()
            self._tasks.discard(task)

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()


@pytest.fixture
async def transport() -> AsyncIterator[AsyncioTransport]:
    transport = AsyncioTransport()
    yield transport
    await transport.aclose()


def client_for(transport: httpx.AsyncBaseTransport, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, **kwargs)


# -- the usual paths, against the local server ----------------------------------------------------------------


async def test_requests_reuse_one_keep_alive_connection(local: LocalReplicate, transport: AsyncioTransport) -> None:
    headers = {"Authorization": f"Bearer {local.token}"}
    async with client_for(transport, base_url=local.url, headers=headers) as http:
        for _ in range(5):
            response = await http.get("/v1/models/demo/sleep")
            assert response.status_code == 200 and response.json()["name"] == "sleep"
            assert response.http_version == "HTTP/1.1" and response.reason_phrase == "OK"
        missing = await http.get("/v1/predictions/nope")
        assert missing.status_code == 404
        assert transport.connections_opened == 1 and transport.connections_open == 1


async def test_a_thousand_concurrent_requests_use_at_most_max_connections(transport: AsyncioTransport) -> None:
    async def slow(conn: Conn) -> None:
        while (request := await conn.request()) is not None:
            await asyncio.sleep(0.005)  # keeps each connection busy, so that requests queue for one
            await conn.respond(request.target.encode())

    async with Server(slow) as server, client_for(transport) as http:
        responses = await asyncio.gather(*(http.get(server.url(f"/{n}")) for n in range(1000)))
    assert [response.text for response in responses] == [f"/{n}" for n in range(1000)]
    assert transport.connections_opened <= 100 and server.connections <= 100 and server.most_open <= 100
    assert len(server.requests) == 1000


async def test_a_concurrent_burst_of_client_calls_shares_the_pool(local: LocalReplicate) -> None:
    async with replicate_ext.Client(api_token=local.token, base_url=local.url) as client:
        models = await asyncio.gather(*(client.models.async_get("demo/sleep") for _ in range(300)))
        transport = client._ahttp()._transport
        assert isinstance(transport, AsyncioTransport)
        assert {model.id for model in models} == {"demo/sleep"}
        assert 1 <= transport.connections_opened <= 100


async def test_ten_megabytes_up_and_down_through_the_client(local: LocalReplicate, tmp_path: Path) -> None:
    payload = os.urandom(10 * MiB)
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    async with replicate_ext.Client(api_token=local.token, base_url=local.url) as client:
        with open(source, "rb") as handle:  # a file object: a multipart upload read in chunks
            created = await client.files.async_create(handle, filename="big.bin")
        assert created.size == len(payload)
        assert created.checksums["sha256"] == hashlib.sha256(payload).hexdigest()
        assert await client.files.download(created).aread() == payload
        assert isinstance(client._download_ahttp()._transport, AsyncioTransport)


# -- framing ----------------------------------------------------------------------------------------------------


async def test_chunked_responses_are_read_and_the_connection_reused(transport: AsyncioTransport) -> None:
    async def chunked(conn: Conn) -> None:
        while await conn.request() is not None:
            await conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for part in (b"hello ", b"chunked ", b"world"):
                await conn.send(b"%x\r\n%s\r\n" % (len(part), part))
            await conn.send(b"0\r\n\r\n")

    async with Server(chunked) as server, client_for(transport) as http:
        for _ in range(3):
            assert (await http.get(server.url())).content == b"hello chunked world"
    assert transport.connections_opened == 1


async def test_connection_close_is_honoured(transport: AsyncioTransport) -> None:
    async def closing(conn: Conn) -> None:
        if await conn.request() is not None:
            await conn.respond(b"bye", headers=("Connection: close",))

    async with Server(closing) as server, client_for(transport) as http:
        for _ in range(3):
            assert (await http.get(server.url())).content == b"bye"
    assert transport.connections_opened == 3 == server.connections


async def test_an_http_1_0_body_is_read_until_the_server_closes(transport: AsyncioTransport) -> None:
    async def http10(conn: Conn) -> None:
        if await conn.request() is not None:
            await conn.send(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            await conn.send(b"no length, ")
            await conn.send(b"read to the end")
            conn.writer.close()

    async with Server(http10) as server, client_for(transport) as http:
        first = await http.get(server.url())
        second = await http.get(server.url())
    assert first.content == second.content == b"no length, read to the end"
    assert first.http_version == "HTTP/1.0"
    assert transport.connections_opened == 2


async def test_a_request_body_from_an_async_generator_is_sent_chunked(transport: AsyncioTransport) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for n in range(100):
            yield b"part %d;" % n

    async with Server(keep_alive) as server, client_for(transport) as http:
        response = await http.post(server.url(), content=parts())
    assert server.requests[0].headers["transfer-encoding"] == "chunked"
    assert response.content == b"".join(b"part %d;" % n for n in range(100))


async def test_a_ten_megabyte_file_upload_arrives_whole(transport: AsyncioTransport, tmp_path: Path) -> None:
    payload = os.urandom(10 * MiB)
    (tmp_path / "upload.bin").write_bytes(payload)

    async def digest(conn: Conn) -> None:
        while (request := await conn.request()) is not None:
            await conn.respond(hashlib.sha256(request.body).hexdigest().encode())

    async with Server(digest) as server, client_for(transport) as http:
        with open(tmp_path / "upload.bin", "rb") as handle:
            request = http.build_request("POST", server.url(), files={"file": ("upload.bin", handle)})
            expected = b"".join(request.stream)  # type: ignore[arg-type]  # the multipart body (it seeks back)
            response = await http.send(request)
    assert payload in expected and int(server.requests[0].headers["content-length"]) == len(expected)
    assert response.text == hashlib.sha256(expected).hexdigest()


async def test_a_ten_megabyte_download_streams(transport: AsyncioTransport) -> None:
    payload = os.urandom(10 * MiB)

    async def big(conn: Conn) -> None:
        while await conn.request() is not None:
            await conn.respond(payload)

    async with Server(big) as server, client_for(transport) as http:
        async with http.stream("GET", server.url()) as response:
            chunks = [chunk async for chunk in response.aiter_raw()]
        again = await http.get(server.url())
    assert len(chunks) > 1 and max(map(len, chunks)) < len(payload)
    assert b"".join(chunks) == payload and again.content == payload
    assert transport.connections_opened == 1  # read to its end, the connection went back to the pool


async def test_server_sent_events_arrive_one_at_a_time(transport: AsyncioTransport) -> None:
    acknowledged = asyncio.Event()

    async def events(conn: Conn) -> None:
        await conn.request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        for n in range(3):
            frame = b"event: output\ndata: %d\n\n" % n
            await conn.send(b"%x\r\n%s\r\n" % (len(frame), frame))
            await acknowledged.wait()  # the next event is sent only once the client has read this one
            acknowledged.clear()
        await conn.send(b"0\r\n\r\n")

    seen = []
    async with Server(events) as server, client_for(transport) as http:
        async with http.stream("GET", server.url()) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    seen.append(line)
                    acknowledged.set()
    assert seen == ["data: 0", "data: 1", "data: 2"]


async def test_closing_a_response_early_closes_its_connection(transport: AsyncioTransport) -> None:
    async def endless(conn: Conn) -> None:
        while (request := await conn.request()) is not None:
            if request.target == "/endless":
                await conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                while True:
                    await conn.send(b"4\r\nmore\r\n")
                    await asyncio.sleep(0.001)
            await conn.respond()

    async with Server(endless) as server, client_for(transport) as http:
        async with http.stream("GET", server.url("/endless")) as response:
            async for _chunk in response.aiter_raw():
                break
        assert transport.connections_open == 0
        assert (await http.get(server.url("/short"))).content == b"ok"
    assert transport.connections_opened == 2


# -- stale and dropped connections ------------------------------------------------------------------------------


async def test_a_connection_the_server_closed_while_idle_is_replaced(transport: AsyncioTransport) -> None:
    closed = asyncio.Event()

    async def one_then_close(conn: Conn) -> None:
        if await conn.request() is not None:
            await conn.respond()
            conn.writer.close()  # the server's keep-alive timeout, say
            closed.set()

    async with Server(one_then_close) as server, client_for(transport) as http:
        assert (await http.get(server.url())).content == b"ok"
        await closed.wait()
        assert (await http.get(server.url())).content == b"ok"
    assert transport.connections_opened == 2 and len(server.requests) == 2


async def test_bytes_on_an_idle_connection_make_it_unusable(transport: AsyncioTransport) -> None:
    sent = asyncio.Event()

    async def farewell(conn: Conn) -> None:
        if conn.index == 0 and await conn.request() is not None:
            await conn.respond(b"first")
            await conn.send(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")  # and stays open
            sent.set()
            await conn.request()
        while (request := await conn.request()) is not None:
            await conn.respond(request.target.encode())

    async with Server(farewell) as server, client_for(transport) as http:
        assert (await http.get(server.url("/1"))).content == b"first"
        await sent.wait()
        second = await http.get(server.url("/2"))
    assert second.status_code == 200 and second.content == b"/2"  # not the 408 meant for nobody
    assert transport.connections_opened == 2


def _dies_on_second_request(answered: list[int]) -> Handler:
    async def handler(conn: Conn) -> None:
        if conn.index == 0:
            await conn.request()
            await conn.respond()
            await conn.request()  # read the second request, then drop the connection without an answer
            answered.append(0)
            return
        await keep_alive(conn)

    return handler


async def test_a_reused_connection_that_dies_is_retried_once_for_a_get(transport: AsyncioTransport) -> None:
    dropped: list[int] = []
    async with Server(_dies_on_second_request(dropped)) as server, client_for(transport) as http:
        assert (await http.get(server.url())).content == b"ok"
        assert (await http.get(server.url("/again"))).content == b"ok"
    assert dropped == [0] and transport.connections_opened == 2
    assert [request.target for request in server.requests] == ["/", "/again", "/again"]


async def test_a_post_on_a_reused_connection_that_dies_is_not_sent_twice(transport: AsyncioTransport) -> None:
    dropped: list[int] = []
    async with Server(_dies_on_second_request(dropped)) as server, client_for(transport) as http:
        assert (await http.get(server.url())).content == b"ok"
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post(server.url("/create"), json={"n": 1})
    assert [request.target for request in server.requests] == ["/", "/create"]


async def test_a_connection_that_dies_while_the_trace_waits_is_replaced_before_writing(
    transport: AsyncioTransport,
) -> None:
    holding, closed = asyncio.Event(), asyncio.Event()

    async def one_then_close(conn: Conn) -> None:
        if await conn.request() is not None:
            await conn.respond()
            await holding.wait()  # the client took the connection for its next request
            conn.writer.close()
            closed.set()

    async def trace(event: str, info: dict[str, Any]) -> None:
        holding.set()
        await closed.wait()  # a rate-limit pause, say, while holding the connection
        await asyncio.sleep(0.01)

    async with Server(one_then_close) as server, client_for(transport) as http:
        assert (await http.get(server.url())).content == b"ok"
        request = http.build_request("POST", server.url("/create"), json={"n": 1})
        request.extensions["trace"] = trace
        assert (await http.send(request)).content == b"ok"  # a POST, but nothing had been written
    assert [request.target for request in server.requests] == ["/", "/create"]
    assert transport.connections_opened == 2


async def test_a_task_cancelled_while_reading_a_body_closes_the_connection(transport: AsyncioTransport) -> None:
    async def endless(conn: Conn) -> None:
        while (request := await conn.request()) is not None:
            if request.target == "/endless":
                await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nstart")
                await asyncio.Event().wait()
            await conn.respond()

    async with Server(endless) as server, client_for(transport) as http:
        reading = asyncio.create_task(http.get(server.url("/endless")))
        while not server.requests:
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.01)
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
        assert transport.connections_open == 0
        assert (await http.get(server.url("/after"))).content == b"ok"


async def test_a_server_that_closes_without_answering_is_a_remote_protocol_error(
    transport: AsyncioTransport,
) -> None:
    async def mute(conn: Conn) -> None:
        await conn.request()

    async with Server(mute) as server, client_for(transport) as http:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            await http.get(server.url())
    assert len(server.requests) == 1 and transport.connections_opened == 1  # a new connection: no retry


async def test_a_malformed_response_is_a_remote_protocol_error(transport: AsyncioTransport) -> None:
    async def garbage(conn: Conn) -> None:
        await conn.request()
        await conn.send(b"this is not HTTP\r\n\r\n")

    async with Server(garbage) as server, client_for(transport) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(server.url())


async def test_a_body_cut_short_is_a_remote_protocol_error(transport: AsyncioTransport) -> None:
    async def short(conn: Conn) -> None:
        await conn.request()
        await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")

    async with Server(short) as server, client_for(transport) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(server.url())
    assert transport.connections_open == 0


async def test_an_invalid_header_is_a_local_protocol_error(transport: AsyncioTransport) -> None:
    async with Server(keep_alive) as server, client_for(transport) as http:
        request = http.build_request("GET", server.url())
        request.headers["X-Bad"] = "line\nbreak"
        with pytest.raises(httpx.LocalProtocolError):
            await http.send(request)
        assert (await http.get(server.url())).content == b"ok"


# -- timeouts and connection errors -----------------------------------------------------------------------------


async def test_a_slow_response_is_a_read_timeout(transport: AsyncioTransport) -> None:
    release = asyncio.Event()

    async def stalled(conn: Conn) -> None:
        await conn.request()
        await release.wait()

    async with Server(stalled) as server, client_for(transport, timeout=httpx.Timeout(5.0, read=0.05)) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(server.url())
        release.set()
    assert transport.connections_open == 0


async def test_a_server_that_does_not_read_is_a_write_timeout(transport: AsyncioTransport) -> None:
    async def deaf(conn: Conn) -> None:
        await asyncio.Event().wait()

    async def forever() -> AsyncIterator[bytes]:
        block = b"x" * MiB
        while True:
            yield block

    async with Server(deaf) as server, client_for(transport, timeout=httpx.Timeout(5.0, write=0.1)) as http:
        with pytest.raises(httpx.WriteTimeout):
            await http.post(server.url(), content=forever())


async def test_waiting_too_long_for_a_connection_is_a_pool_timeout() -> None:
    transport = AsyncioTransport(limits=httpx.Limits(max_connections=1))
    async with Server(keep_alive) as server, client_for(transport, timeout=httpx.Timeout(5.0, pool=0.05)) as http:
        async with http.stream("GET", server.url()) as held:  # holds the only connection
            with pytest.raises(httpx.PoolTimeout):
                await http.get(server.url())
            await held.aread()
        assert (await http.get(server.url())).content == b"ok"  # the connection came back
    assert transport.connections_opened == 1


async def test_a_request_cancelled_while_queued_gives_up_its_place() -> None:
    transport = AsyncioTransport(limits=httpx.Limits(max_connections=1))
    async with Server(keep_alive) as server, client_for(transport) as http:
        async with http.stream("GET", server.url()):
            queued = asyncio.create_task(http.get(server.url("/queued")))
            await asyncio.sleep(0.01)
            queued.cancel()
            with pytest.raises(asyncio.CancelledError):
                await queued
        assert (await http.get(server.url("/next"))).content == b"ok"
    assert [request.target for request in server.requests] == ["/", "/next"]


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs to a full accept queue")
async def test_a_listener_that_never_accepts_is_a_connect_timeout(transport: AsyncioTransport) -> None:
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(4):  # fill the accept queue: further connection attempts go unanswered
            filler = socket.socket()
            fillers.append(filler)
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
        async with client_for(transport, timeout=httpx.Timeout(5.0, connect=0.1)) as http:
            with pytest.raises(httpx.ConnectTimeout):
                await http.get(f"http://127.0.0.1:{port}/")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    assert transport.connections_opened == 0


async def test_a_refused_connection_is_a_connect_error(transport: AsyncioTransport) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens on it once closed
    async with client_for(transport) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/")


async def test_other_schemes_are_unsupported(transport: AsyncioTransport) -> None:
    with pytest.raises(httpx.UnsupportedProtocol):
        await transport.handle_async_request(httpx.Request("GET", "ftp://127.0.0.1/file"))


# -- pool behaviour ---------------------------------------------------------------------------------------------


async def test_idle_connections_are_reused_most_recent_first(transport: AsyncioTransport) -> None:
    both_arrived = asyncio.Event()
    first_answered = asyncio.Event()

    async def ordered(conn: Conn) -> None:
        # /a and /b arrive on two connections; /a is answered first, so /b's connection is released last.
        while (request := await conn.request()) is not None:
            if request.target in ("/a", "/b"):
                if len(server.requests) == 2:
                    both_arrived.set()
                await both_arrived.wait()
                if request.target == "/b":
                    await first_answered.wait()
                    await asyncio.sleep(0.01)  # let the client put /a's connection back first
            await conn.respond(str(conn.index).encode())
            if request.target == "/a":
                first_answered.set()

    server = Server(ordered)
    async with server, client_for(transport) as http:
        a, b = await asyncio.gather(http.get(server.url("/a")), http.get(server.url("/b")))
        later = [(await http.get(server.url("/later"))).text for _ in range(3)]
    assert a.text != b.text and later == [b.text] * 3  # the connection released last serves next
    assert transport.connections_opened == 2


async def test_keepalive_expiry_zero_keeps_no_connection() -> None:
    transport = AsyncioTransport(limits=httpx.Limits(keepalive_expiry=0))
    async with Server(keep_alive) as server, client_for(transport) as http:
        for _ in range(3):
            assert (await http.get(server.url())).content == b"ok"
    assert transport.connections_opened == 3
    await transport.aclose()


async def test_max_keepalive_connections_bounds_the_idle_ones() -> None:
    transport = AsyncioTransport(limits=httpx.Limits(max_connections=10, max_keepalive_connections=2))

    async def slow(conn: Conn) -> None:
        while await conn.request() is not None:
            await asyncio.sleep(0.01)
            await conn.respond()

    async with Server(slow) as server, client_for(transport) as http:
        await asyncio.gather(*(http.get(server.url()) for _ in range(10)))
        assert transport.connections_open <= 2
    await transport.aclose()


async def test_aclose_closes_every_connection(transport: AsyncioTransport) -> None:
    async with Server(keep_alive) as server, client_for(transport) as http:
        await asyncio.gather(*(http.get(server.url()) for _ in range(5)))
        assert transport.connections_open >= 1
        await transport.aclose()
        assert transport.connections_open == 0
        for _ in range(100):
            if server.open == 0:
                break
            await asyncio.sleep(0.01)
        assert server.open == 0
        assert (await http.get(server.url())).content == b"ok"  # usable again


async def test_the_trace_hook_runs_once_a_connection_is_ready(transport: AsyncioTransport) -> None:
    events: list[tuple[str, int]] = []

    async def trace(event: str, info: dict[str, Any]) -> None:
        assert isinstance(info["request"], httpx.Request)
        events.append((event, len(server.requests)))

    server = Server(keep_alive)
    async with server, client_for(transport) as http:
        for _ in range(3):
            request = http.build_request("GET", server.url())
            request.extensions["trace"] = trace
            await http.send(request)
    # Once per request, before the server got it.
    assert events == [("http11.send_request_headers.started", n) for n in range(3)]


# -- TLS --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    context.set_alpn_protocols(["http/1.1"])
    return context


def _client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_https_with_a_trusted_certificate(ca: trustme.CA) -> None:
    transport = AsyncioTransport(verify=_client_context(ca))
    async with Server(keep_alive, _server_context(ca, "localhost", "127.0.0.1")) as server:
        async with client_for(transport) as http:
            for _ in range(3):
                assert (await http.get(server.url())).content == b"ok"
        await transport.aclose()
    assert transport.connections_opened == 1


async def test_https_to_the_wrong_host_name_is_a_connect_error(ca: trustme.CA) -> None:
    transport = AsyncioTransport(verify=_client_context(ca))
    async with Server(keep_alive, _server_context(ca, "example.test")) as server:
        async with client_for(transport) as http:
            with pytest.raises(httpx.ConnectError, match="certificate"):
                await http.get(server.url())
    await transport.aclose()
    assert transport.connections_opened == 0


async def test_verify_false_accepts_any_certificate(ca: trustme.CA) -> None:
    transport = AsyncioTransport(verify=False)
    async with Server(keep_alive, _server_context(ca, "example.test")) as server:
        async with client_for(transport) as http:
            assert (await http.get(server.url())).content == b"ok"
        await transport.aclose()


async def test_the_default_context_does_not_trust_a_private_ca(ca: trustme.CA) -> None:
    transport = AsyncioTransport()
    async with Server(keep_alive, _server_context(ca, "127.0.0.1")) as server:
        async with client_for(transport) as http:
            with pytest.raises(httpx.ConnectError):
                await http.get(server.url())
    await transport.aclose()


# -- the client's choice of transports --------------------------------------------------------------------------


def _transports(client: replicate_ext.Client) -> tuple[object, object]:
    return client._http()._transport, client._ahttp()._transport


async def test_the_client_uses_asyncio_transport_by_default_under_asyncio(local: LocalReplicate) -> None:
    async with replicate_ext.Client(api_token=local.token, base_url=local.url) as client:
        sync_transport, async_transport = _transports(client)
        assert isinstance(async_transport, AsyncioTransport)
        assert isinstance(sync_transport, httpx.HTTPTransport)
        assert isinstance(client._download_ahttp()._transport, AsyncioTransport)
        assert (await client.models.async_get("demo/sleep")).id == "demo/sleep"
        assert async_transport.connections_opened == 1


async def test_async_transport_is_for_async_calls_only() -> None:
    calls: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, json={"type": "organization", "username": "mock", "name": "Mock"})

    mock = httpx.MockTransport(handler)
    async with replicate_ext.Client(api_token="r8_x", base_url="http://api.test", async_transport=mock) as client:
        sync_transport, async_transport = _transports(client)
        assert async_transport is mock and isinstance(sync_transport, httpx.HTTPTransport)
        assert (await client.accounts.async_current()).username == "mock"
    assert calls == ["/v1/account"]


async def test_transport_is_for_sync_calls_and_for_async_ones_when_it_can() -> None:
    sync_only = httpx.HTTPTransport()
    async with replicate_ext.Client(api_token="r8_x", transport=sync_only) as client:
        sync_transport, async_transport = _transports(client)
        assert sync_transport is sync_only and isinstance(async_transport, AsyncioTransport)
    sync_only.close()

    mock = httpx.MockTransport(lambda request: httpx.Response(204))
    async with replicate_ext.Client(api_token="r8_x", transport=mock) as client:
        assert _transports(client) == (mock, mock)

    async_only = httpx.AsyncHTTPTransport()
    async with replicate_ext.Client(api_token="r8_x", transport=async_only) as client:
        sync_transport, async_transport = _transports(client)
        assert async_transport is async_only and isinstance(sync_transport, httpx.HTTPTransport)

    both = AsyncioTransport()
    async with replicate_ext.Client(api_token="r8_x", transport=mock, async_transport=both) as client:
        assert _transports(client) == (mock, both)


async def test_options_only_httpx_honours_keep_httpx_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    for options in ({"proxy": "http://127.0.0.1:9"}, {"mounts": {"http://other.test": httpx.AsyncHTTPTransport()}}):
        async with replicate_ext.Client(api_token="r8_x", **options) as client:
            assert isinstance(client._ahttp()._transport, httpx.AsyncHTTPTransport), options
    for unsuitable in ({"http2": True}, {"http1": False}, {"cert": "client.pem"}, {"verify": "ca.pem"}):
        assert not _own_transport_suits({**unsuitable, "trust_env": False}), unsuitable
    assert _own_transport_suits({"verify": False, "limits": httpx.Limits(), "http2": False, "trust_env": False})
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    async with replicate_ext.Client(api_token="r8_x") as client:
        assert isinstance(client._ahttp()._transport, httpx.AsyncHTTPTransport)
    async with replicate_ext.Client(api_token="r8_x", trust_env=False) as client:
        assert isinstance(client._ahttp()._transport, AsyncioTransport)


async def test_limits_and_verify_are_passed_to_the_default_transport(ca: trustme.CA) -> None:
    limits = httpx.Limits(max_connections=3, max_keepalive_connections=1, keepalive_expiry=2.0)
    async with replicate_ext.Client(api_token="r8_x", limits=limits, verify=_client_context(ca)) as client:
        transport = client._ahttp()._transport
        assert isinstance(transport, AsyncioTransport)
        assert (transport._max_connections, transport._max_idle, transport._expiry) == (3, 1, 2.0)
        async with Server(keep_alive, _server_context(ca, "127.0.0.1")) as server:
            assert (await client._ahttp().get(server.url())).content == b"ok"


def test_outside_a_running_loop_the_async_pool_is_httpx_own() -> None:
    # Under trio (or any loop that is not asyncio) there is no running asyncio loop: httpx's transport, as before.
    client = replicate_ext.Client(api_token="r8_x")
    assert isinstance(client._ahttp()._transport, httpx.AsyncHTTPTransport)


def test_a_transport_that_is_not_one_is_refused() -> None:
    with pytest.raises(replicate_ext.ConfigurationError, match="async_transport"):
        replicate_ext.Client(api_token="r8_x", async_transport=httpx.HTTPTransport())  # type: ignore[arg-type]
    with pytest.raises(replicate_ext.ConfigurationError, match="transport"):
        replicate_ext.Client(api_token="r8_x", transport=object())


def test_clients_share_one_ssl_context_that_http_urls_never_load(local: LocalReplicate) -> None:
    import subprocess

    code = f"""
import asyncio, replicate_ext
from replicate_ext._tls import default_ssl_context
clients = [replicate_ext.Client(api_token={local.token!r}, base_url={local.url!r}) for _ in range(2)]
assert clients[0].models.get("demo/sleep").id == "demo/sleep"
async def main():
    async with clients[1] as client:
        assert (await client.models.async_get("demo/sleep")).id == "demo/sleep"
asyncio.run(main())
context = default_ssl_context()
pools = [client._http()._transport._pool for client in clients] + [clients[0]._download_http()._transport._pool]
assert all(pool._ssl_context is context for pool in pools)
assert context.cert_store_stats()["x509_ca"] == 0, "CA certificates loaded for http:// URLs"
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_no_proxy_env())
    assert result.stdout.strip() == "ok", result.stderr


def _no_proxy_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("REPLICATE_")}


def test_the_shared_context_loads_its_certificates_for_a_handshake() -> None:
    from replicate_ext._tls import default_ssl_context

    context = default_ssl_context(trust_env=False)
    assert context is default_ssl_context(trust_env=False)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="example.test")
    assert context.cert_store_stats()["x509_ca"] > 0


def test_a_patched_transport_class_is_noticed_and_its_restoration_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import functools
    from unittest import mock

    import httpcore

    from replicate_ext._transport import _intercepted

    assert not _intercepted()
    original = httpx.AsyncHTTPTransport.handle_async_request

    @functools.wraps(original)  # carries the original's name and module, as vcrpy's replacement does
    async def wrapped(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        return await original(self, request)

    with monkeypatch.context() as patch:
        patch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", wrapped)
        assert _intercepted()
    assert not _intercepted()
    with mock.patch.object(httpcore.AsyncConnectionPool, "handle_async_request", autospec=True):
        assert _intercepted()
    assert not _intercepted()
