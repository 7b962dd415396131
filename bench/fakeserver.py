"""A fast fake of the parts of Replicate's HTTP API the benchmark needs (stdlib only).

It is written on `asyncio.Protocol` with hand-written HTTP/1.1 keep-alive, so that its cost per request stays far
below the clients' (a few tens of microseconds), and it runs in a process of its own.

Predictions take their behaviour from their input, so that every client runs the same workload:

- `delay_ms` (default 0): the prediction succeeds this long after it was created (`starting` for the first
  `STARTING_MS`, then `processing`);
- `output` (default `"hello world"`): its output;
- `output_file_bytes`: the output is instead the URL of a file of this many bytes, served by this server.

Routes:

    POST /v1/predictions, POST /v1/models/{o}/{n}/predictions, POST /v1/deployments/{o}/{n}/predictions
        Create. `Prefer: wait[=N]` holds the answer until the prediction is done or N s (default and cap 60) pass,
        then answers with its current state.
    GET  /v1/predictions/{id}                   The prediction's current state (a ~1 KB body, as the real API's).
    POST /v1/predictions/{id}/cancel            Cancel it.
    GET  /v1/predictions/{id}/stream            Its server-sent events (`urls.stream`): `logs`, `output`, `done`.
    GET  /v1/models/{o}/{n}                     A model.
    GET  /v1/models/{o}/{n}/versions/{id}       A version, with an OpenAPI schema whose output is a string.
    GET  /files/{N}.bin                         N bytes, written with flow control.
    GET  /_stats                                Requests per route, TCP connections opened, file requests that carried
                                                an `Authorization` header, ...
    POST /_reset                                Zero the statistics; forget predictions finished over 60 s ago.

Run it with `python bench/fakeserver.py --port 0`; it prints `listening on http://127.0.0.1:PORT` when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import json
import os
import re
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

VERSION_ID = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
STARTING_MS = 5.0
MAX_HOLD_S = 60.0
FILE_CHUNK = 256 * 1024
_FILE_BLOCK = memoryview(bytes(range(256)) * (FILE_CHUNK // 256))

# Twelve lines of a tqdm bar, so that a prediction's JSON is about 1 KB, like the recorded ones.
_LOGS = "Using seed: 42069\nPrompt: a studio photo of a rainbow colored corgi\n" + "".join(
    f"{p:3d}%|{'#' * (p // 10):10s}| {p // 2}/50 [00:0{p // 40}<00:02, 17.1{p % 10}it/s]\n" for p in range(0, 101, 9)
)

_STATUS_LINES = {
    200: b"HTTP/1.1 200 OK\r\n",
    201: b"HTTP/1.1 201 Created\r\n",
    404: b"HTTP/1.1 404 Not Found\r\n",
    405: b"HTTP/1.1 405 Method Not Allowed\r\n",
    400: b"HTTP/1.1 400 Bad Request\r\n",
}

_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait(?:=(\d+(?:\.\d+)?))?(?:$|[,;\s])")


def _iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(eq=False)
class Prediction:
    id: str
    model: str
    version: str
    input: dict[str, Any]
    delay_s: float
    base_url: str
    created: float = field(default_factory=time.monotonic)
    created_epoch: float = field(default_factory=time.time)
    canceled: bool = False
    finished: bool = False
    waiters: list[Callable[[], None]] = field(default_factory=list)

    @property
    def done_at(self) -> float:
        return self.created + self.delay_s

    def status(self, now: float) -> str:
        if self.canceled:
            return "canceled"
        if self.finished or now >= self.done_at:
            return "succeeded"
        if now - self.created >= STARTING_MS / 1000:
            return "processing"
        return "starting"

    def output(self) -> Any:
        size = self.input.get("output_file_bytes")
        if isinstance(size, int):
            return f"{self.base_url}/files/{size}.bin"
        return self.input.get("output", "hello world")

    def to_json(self, now: float) -> bytes:
        status = self.status(now)
        done = status in ("succeeded", "canceled")
        started = status != "starting"
        url = f"{self.base_url}/v1/predictions/{self.id}"
        urls = {
            "cancel": f"{url}/cancel",
            "get": url,
            "stream": f"{url}/stream",
            "web": f"https://replicate.com/p/{self.id}",
        }
        if self.input.get("no_stream"):  # a model that does not stream: no `urls.stream`
            del urls["stream"]
        body: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "input": self.input,
            "logs": _LOGS if started else "",
            "output": self.output() if status == "succeeded" else None,
            "data_removed": False,
            "error": None,
            "source": "api",
            "status": status,
            "created_at": _iso(self.created_epoch),
            "started_at": _iso(self.created_epoch + STARTING_MS / 1000) if started else None,
            "completed_at": _iso(self.created_epoch + min(now - self.created, self.delay_s)) if done else None,
            "metrics": {"predict_time": self.delay_s, "total_time": self.delay_s + 0.005} if done else {},
            "urls": urls,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            waiter()


@dataclass
class Stats:
    requests: Counter[str] = field(default_factory=Counter)
    connections_opened: int = 0
    connections_open: int = 0
    max_connections_open: int = 0
    file_requests: int = 0
    file_requests_with_authorization: int = 0
    file_bytes_sent: int = 0
    predictions_created: int = 0
    held_requests: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "requests_total": sum(self.requests.values()),
            "connections_opened": self.connections_opened,
            "connections_open": self.connections_open,
            "max_connections_open": self.max_connections_open,
            "file_requests": self.file_requests,
            "file_requests_with_authorization": self.file_requests_with_authorization,
            "file_bytes_sent": self.file_bytes_sent,
            "predictions_created": self.predictions_created,
            "held_requests": self.held_requests,
        }


class App:
    """The routes, and every prediction the server knows."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.predictions: dict[str, Prediction] = {}
        self.stats = Stats()
        self._ids = itertools.count(1)
        self._loop = asyncio.get_running_loop()

    def new_id(self) -> str:
        return f"fake{next(self._ids):012d}{os.getpid() % 10000:04d}ab"

    def handle(self, conn: Connection, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        parts = path.split("?", 1)[0].strip("/").split("/")
        if parts[0] == "v1":
            self._api(conn, method, parts[1:], headers, body)
        elif parts[0] == "files" and len(parts) == 2 and method == "GET":
            self._file(conn, parts[1], headers)
        elif parts == ["_stats"]:
            conn.respond(200, json.dumps(self.stats.to_json()).encode())
        elif parts == ["_reset"] and method == "POST":
            self.stats = Stats(connections_open=self.stats.connections_open)
            # Keep what a client may still ask for; forget predictions finished a while ago (memory stays flat).
            horizon = time.monotonic() - 60
            self.predictions = {k: p for k, p in self.predictions.items() if p.done_at > horizon}
            conn.respond(200, b"{}")
        else:
            self._not_found(conn, method, path)

    def _count(self, route: str) -> None:
        self.stats.requests[route] += 1

    def _not_found(self, conn: Connection, method: str, path: str) -> None:
        self._count("not found")
        problem = {"title": "Not found", "status": 404, "detail": f"No route for {method} {path}"}
        conn.respond(404, json.dumps(problem).encode(), content_type=b"application/problem+json")

    def _api(self, conn: Connection, method: str, parts: list[str], headers: dict[str, str], body: bytes) -> None:
        n = len(parts)
        if parts[0] == "predictions":
            if n == 1 and method == "POST":
                self._count("POST /v1/predictions")
                return self._create(conn, headers, body, None)
            if n == 2 and method == "GET":
                self._count("GET /v1/predictions/{id}")
                return self._get(conn, parts[1])
            if n == 3 and parts[2] == "cancel" and method == "POST":
                self._count("POST /v1/predictions/{id}/cancel")
                return self._cancel(conn, parts[1])
            if n == 3 and parts[2] == "stream" and method == "GET":
                self._count("GET /v1/predictions/{id}/stream")
                return self._stream(conn, parts[1], headers)
        elif parts[0] in ("models", "deployments") and n == 4 and parts[3] == "predictions" and method == "POST":
            self._count(f"POST /v1/{parts[0]}/{{o}}/{{n}}/predictions")
            return self._create(conn, headers, body, f"{parts[1]}/{parts[2]}")
        elif parts[0] == "models" and n == 3 and method == "GET":
            self._count("GET /v1/models/{o}/{n}")
            return conn.respond(200, self._model_json(parts[1], parts[2]))
        elif parts[0] == "models" and n == 5 and parts[3] == "versions" and method == "GET":
            self._count("GET /v1/models/{o}/{n}/versions/{id}")
            return conn.respond(200, self._version_json(parts[4]))
        self._not_found(conn, method, "/v1/" + "/".join(parts))

    def _create(self, conn: Connection, headers: dict[str, str], body: bytes, model: str | None) -> None:
        try:
            request = json.loads(body or b"{}")
            inputs = request.get("input") or {}
            delay_ms = float(inputs.get("delay_ms", 0))
        except (ValueError, AttributeError, TypeError):
            problem = {"title": "Invalid request", "status": 400, "detail": "The body must be a JSON object."}
            return conn.respond(400, json.dumps(problem).encode(), content_type=b"application/problem+json")
        version = str(request.get("version") or VERSION_ID)
        if ":" in version:
            model, version = version.split(":", 1)
        elif "/" in version:
            model, version = version, VERSION_ID
        prediction = Prediction(
            id=self.new_id(),
            model=model or "fake/model",
            version=version,
            input=inputs,
            delay_s=max(0.0, delay_ms) / 1000,
            base_url=self.base_url,
        )
        self.predictions[prediction.id] = prediction
        self.stats.predictions_created += 1
        self._loop.call_at(prediction.done_at, prediction.finish)
        hold = _prefer_wait(headers.get("prefer", ""))
        if hold is None or prediction.delay_s == 0:
            if prediction.delay_s == 0:
                prediction.finish()
            return conn.respond(201, prediction.to_json(time.monotonic()))
        self.stats.held_requests += 1

        def answer() -> None:
            timer.cancel()
            if answer in prediction.waiters:
                prediction.waiters.remove(answer)
            conn.respond(201, prediction.to_json(time.monotonic()))

        timer = self._loop.call_later(hold, answer)
        prediction.waiters.append(answer)

    def _find(self, conn: Connection, id: str) -> Prediction | None:
        prediction = self.predictions.get(id)
        if prediction is None:
            problem = {"title": "Not found", "status": 404, "detail": f"No prediction {id}"}
            conn.respond(404, json.dumps(problem).encode(), content_type=b"application/problem+json")
        return prediction

    def _get(self, conn: Connection, id: str) -> None:
        prediction = self._find(conn, id)
        if prediction is not None:
            conn.respond(200, prediction.to_json(time.monotonic()))

    def _cancel(self, conn: Connection, id: str) -> None:
        prediction = self._find(conn, id)
        if prediction is None:
            return
        if not prediction.finished and time.monotonic() < prediction.done_at:
            prediction.canceled = True
            prediction.finish()
        conn.respond(200, prediction.to_json(time.monotonic()))

    def _stream(self, conn: Connection, id: str, headers: dict[str, str]) -> None:
        prediction = self._find(conn, id)
        if prediction is None:
            return
        try:
            last = int(headers.get("last-event-id", "0") or 0)
        except ValueError:
            last = 0
        conn.start_chunked(b"text/event-stream", b"Cache-Control: no-store\r\n")

        def event(number: int, name: str, data: str) -> None:
            if number > last:
                lines = "".join(f"data: {line}\n" for line in data.split("\n"))
                conn.write_chunk(f"id: {number}\nevent: {name}\n{lines}\n".encode())

        event(1, "logs", "starting prediction")

        def end() -> None:
            if prediction.canceled:
                event(3, "done", '{"reason":"canceled"}')
            else:
                event(2, "output", str(prediction.output()))
                event(3, "done", "{}")
            conn.end_chunked()

        if prediction.finished or prediction.canceled:
            end()
        else:
            prediction.waiters.append(end)

    def _file(self, conn: Connection, name: str, headers: dict[str, str]) -> None:
        self._count("GET /files/{n}.bin")
        self.stats.file_requests += 1
        if "authorization" in headers:
            self.stats.file_requests_with_authorization += 1
        try:
            size = int(name.removesuffix(".bin"))
        except ValueError:
            return self._not_found(conn, "GET", f"/files/{name}")
        conn.send_file(size)

    def _model_json(self, owner: str, name: str) -> bytes:
        model = {
            "url": f"https://replicate.com/{owner}/{name}",
            "owner": owner,
            "name": name,
            "description": "A fake model for benchmarks.",
            "visibility": "public",
            "github_url": None,
            "paper_url": None,
            "license_url": None,
            "run_count": 1,
            "cover_image_url": None,
            "default_example": None,
            "latest_version": json.loads(self._version_json(VERSION_ID)),
        }
        return json.dumps(model).encode()

    def _version_json(self, id: str) -> bytes:
        schema = {
            "openapi": "3.0.2",
            "components": {
                "schemas": {
                    "Input": {"type": "object", "properties": {"delay_ms": {"type": "integer"}}},
                    "Output": {"type": "string"},
                }
            },
        }
        version = {"id": id, "created_at": _iso(time.time()), "cog_version": "0.9.0", "openapi_schema": schema}
        return json.dumps(version).encode()


def _prefer_wait(value: str) -> float | None:
    """Seconds to hold a create for `Prefer: wait` / `wait=N` (capped at 60), or None without it."""
    match = _PREFER_WAIT.search(value)
    if match is None:
        return None
    return min(float(match.group(1)), MAX_HOLD_S) if match.group(1) else MAX_HOLD_S


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: one request at a time, as clients that do not pipeline send them."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.busy = False
        self.close_after = False
        self.paused = False
        self._pending_file: tuple[int, int] | None = None  # (bytes sent, size)

    # -- asyncio.Protocol -----------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=4 * FILE_CHUNK)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stats = self.app.stats
        stats.connections_opened += 1
        stats.connections_open += 1
        stats.max_connections_open = max(stats.max_connections_open, stats.connections_open)

    def connection_lost(self, exc: Exception | None) -> None:
        self.app.stats.connections_open -= 1
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self._next_request()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self._pending_file is not None:
            self._pump_file()

    # -- requests -------------------------------------------------------------------------------------------------

    def _next_request(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        try:
            method, target, _ = lines[0].split(" ", 2)
        except ValueError:
            self._bad_request()
            return
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if "chunked" in headers.get("transfer-encoding", ""):
            self._bad_request()  # no client in the benchmark sends chunked bodies
            return
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        self.busy = True
        self.close_after = headers.get("connection", "").lower() == "close"
        self.app.handle(self, method, target, headers, body)

    def _bad_request(self) -> None:
        self.close_after = True
        self.respond(400, b'{"title":"Bad request","status":400}')

    def _finished(self) -> None:
        self.busy = False
        if self.close_after and self.transport is not None:
            self.transport.close()
        elif self.buffer:
            asyncio.get_running_loop().call_soon(self._next_request)

    # -- answers --------------------------------------------------------------------------------------------------

    def respond(self, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(
            b"".join(
                (
                    _STATUS_LINES[status],
                    b"Content-Type: ",
                    content_type,
                    b"\r\nContent-Length: ",
                    str(len(body)).encode(),
                    b"\r\n\r\n",
                    body,
                )
            )
        )
        self._finished()

    def start_chunked(self, content_type: bytes, extra_headers: bytes = b"") -> None:
        if self.transport is not None:
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: "
                + content_type
                + b"\r\n"
                + extra_headers
                + b"Transfer-Encoding: chunked\r\n\r\n"
            )

    def write_chunk(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"%x\r\n%b\r\n" % (len(data), data))

    def end_chunked(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"0\r\n\r\n")
            self._finished()

    def send_file(self, size: int) -> None:
        if self.transport is None:
            return
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % size
        )
        self._pending_file = (0, size)
        self._pump_file()

    def _pump_file(self) -> None:
        assert self._pending_file is not None
        sent, size = self._pending_file
        transport = self.transport
        while sent < size and not self.paused and transport is not None and not transport.is_closing():
            n = min(FILE_CHUNK, size - sent)
            transport.write(_FILE_BLOCK[:n])
            sent += n
        self.app.stats.file_bytes_sent += sent - self._pending_file[0]
        if sent >= size or transport is None or transport.is_closing():
            self._pending_file = None
            self._finished()
        else:
            self._pending_file = (sent, size)


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    holder: dict[str, App] = {}
    server = await loop.create_server(lambda: Connection(holder["app"]), host, port, backlog=2048, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    holder["app"] = App(f"http://{host}:{bound}")
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening on http://{host}:{bound}", flush=True)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
