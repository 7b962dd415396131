"""Answers no API should give, over real sockets: each gets a typed error, never a crash deep in the stack."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

import replicate_ext
from replicate_ext import NO_RETRIES, APIConnectionError, InvalidResponseError


class RawServer:
    """Answers every request on a loopback port with the same raw bytes, then closes the connection."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # so that the accept loop notices close() promptly
        self.stopped = threading.Event()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(self.answer)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()


def head(status: str = "200 OK", content_type: str = "application/json", length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


ANSWERS = {
    "truncated body": (head(length=500) + b'{"id": "p1", "status": "succ', APIConnectionError),
    "malformed JSON": (head(length=11) + b'{"id": "p1"', InvalidResponseError),
    "invalid UTF-8": (head(length=4) + b"\xff\xfe\xfd\xfc", InvalidResponseError),
    "wrong content type": (head(content_type="text/html", length=13) + b"<html></html>", InvalidResponseError),
    "not an object": (head(length=9) + b"[1, 2, 3]", InvalidResponseError),
    "wrong field types": (head(length=39) + b'{"id": 7, "status": "x", "urls": "no"}\n', InvalidResponseError),
    "garbage status line": (b"HTTX/9 what\r\n\r\n", APIConnectionError),
    "nothing at all": (b"", APIConnectionError),
}


@pytest.fixture(params=sorted(ANSWERS))
def bad_server(request: pytest.FixtureRequest) -> Iterator[tuple[RawServer, type[Exception]]]:
    answer, expected = ANSWERS[request.param]
    server = RawServer(answer)
    yield server, expected
    server.close()


def test_a_bad_answer_is_a_typed_error(bad_server: tuple[RawServer, type[Exception]]) -> None:
    server, expected = bad_server
    with replicate_ext.Client(api_token="r8_x", base_url=server.url, retry=NO_RETRIES) as client:
        with pytest.raises(expected) as caught:
            client.predictions.get("p1")
    assert isinstance(caught.value, replicate_ext.ReplicateException)
    assert "predictions.get" in str(caught.value)


@pytest.mark.anyio
async def test_a_bad_answer_is_a_typed_error_in_async_code_too(bad_server: tuple[RawServer, type[Exception]]) -> None:
    server, expected = bad_server
    async with replicate_ext.Client(api_token="r8_x", base_url=server.url, retry=NO_RETRIES) as client:
        with pytest.raises(expected):
            await client.predictions.async_get("p1")
