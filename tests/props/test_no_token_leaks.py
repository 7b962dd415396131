"""The API token never leaks: not in logs at any level, not in any repr or message, not to any other host.

A broad scenario runs against the local server, sync and async: runs, a failed model, 404s, a wrong token,
streams (with dropped connections), uploads and downloads, the webhook secret and a webhook delivery, and
retries through injected errors, resets, stalls and rate limits. Every log record (the root logger, httpx,
httpcore and replicate_ext at DEBUG), everything printed, the repr and str of every object returned and every
exception raised (with the request and response it holds and what caused it), and every webhook delivery are
then searched for the token; and the delivery origin (file outputs, streams) counted no request that carried
`Authorization`.
"""

from __future__ import annotations

import logging
import pathlib
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

import replicate_ext
from replicate_ext import (
    NO_RETRIES,
    APIConnectionError,
    AuthenticationError,
    FileOutput,
    ModelError,
    NotFoundError,
    RateLimitError,
    ReplicateException,
    RetryPolicy,
    Webhooks,
)
from replicate_ext.local import LocalReplicate

from ..e2e.models import MODELS
from ..receiver import Receiver

MARK = "LEAKCHECK"  # in both tokens: any piece of either that shows up contains it
TOKEN = f"r8_{MARK}_7c1f9a3e5b2d4068be11"
WRONG = f"r8_{MARK}_WRONG_0a8c3e5f7092d4b6"
PATIENT = RetryPolicy(max_retries=10, backoff_initial=0.01, backoff_max=0.05)
LOGGERS = ("", "httpx", "httpcore", "replicate_ext", "replicate_ext.local", "uvicorn", "asyncio")


@pytest.fixture(scope="module")
def server() -> Iterator[LocalReplicate]:
    with LocalReplicate(
        models=MODELS, token=TOKEN, min_cancel_after=0.1, webhook_throttle=0.05, webhook_backoff=0.05
    ) as running:
        yield running


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


class Seen:
    """Everything the scenario got back or had raised, and the secrets it must not find anywhere."""

    def __init__(self) -> None:
        self.objects: list[object] = []
        self.secrets = [MARK]

    def keep(self, value: Any) -> Any:
        self.objects.append(value)
        return value

    def call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call and keep the result or the ReplicateException (faults may make any call fail)."""
        try:
            return self.keep(func(*args, **kwargs))
        except ReplicateException as exc:
            self.objects.append(exc)
            return None

    def expect(self, kind: type[BaseException], func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with pytest.raises(kind) as raised:
            func(*args, **kwargs)
        return self.keep(raised.value)

    async def acall(self, coro: Any) -> Any:
        try:
            return self.keep(await coro)
        except ReplicateException as exc:
            self.objects.append(exc)
            return None

    async def aexpect(self, kind: type[BaseException], coro: Any) -> Any:
        with pytest.raises(kind) as raised:
            await coro
        return self.keep(raised.value)


def texts_of(value: object, depth: int = 0) -> Iterator[str]:
    """The repr and str of a value, and for an exception everything it carries and what caused it."""
    yield repr(value)
    yield str(value)
    if isinstance(value, list | tuple):
        for item in value:
            yield from texts_of(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield repr(key)
            yield from texts_of(item, depth + 1)
    if isinstance(value, BaseException) and depth < 5:
        yield "".join(traceback.format_exception(value))
        yield repr(value.args)
        for name in ("request", "response", "prediction", "payload", "body", "detail"):
            held = getattr(value, name, None)
            if held is not None:
                yield from texts_of(held, depth + 1)
        for cause in (value.__cause__, value.__context__):
            if cause is not None:
                yield from texts_of(cause, depth + 1)
    if isinstance(value, httpx.Request):
        yield repr(value.headers)
        yield repr(value.url)
    if isinstance(value, httpx.Response):
        yield repr(value.headers)
        if value._request is not None:
            yield from texts_of(value.request, depth + 1)


def record_texts(records: list[logging.LogRecord]) -> Iterator[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in records:
        yield formatter.format(record)
        yield str(record.msg)
        yield repr(record.args)


def assert_no_secrets(seen: Seen, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    assert len(caplog.records) > 50, "the logs were not captured at DEBUG"
    # httpcore logs every request at DEBUG (sync calls; async ones go through AsyncioTransport), httpx at INFO.
    assert any(r.name.startswith(("httpcore", "httpx")) for r in caplog.records)
    printed = capfd.readouterr()
    places: list[tuple[str, str]] = [("stdout", printed.out), ("stderr", printed.err)]
    places += [("log", text) for text in record_texts(caplog.records)]
    for value in seen.objects:
        places += [(type(value).__name__, text) for text in texts_of(value)]
    for where, text in places:
        for secret in seen.secrets:
            assert secret not in text, f"{secret!r} leaked into {where}: {text[:300]!r}"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def counted_authorization(server: LocalReplicate) -> tuple[int, int]:
    stats = server.stats()
    return stats["delivery_requests"], stats["delivery_requests_with_authorization"]


def client_for(server: LocalReplicate, token: str = TOKEN, **options: Any) -> replicate_ext.Client:
    options.setdefault("retry", PATIENT)
    return replicate_ext.Client(api_token=token, base_url=server.url, **options)


def test_a_sync_session_leaks_the_token_nowhere(
    server: LocalReplicate,
    receiver: Receiver,
    tmp_path: pathlib.Path,
    debug_logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    seen = Seen()
    before = counted_authorization(server)
    faults_before = server.stats()["faults"]
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 1200)  # 300 KiB: uploaded, not inlined
    with client_for(server) as client:
        seen.keep(client)
        # Runs, predictions, outputs and downloads.
        seen.keep(client.run("test/echo", input={"text": "hello", "number": 1}))
        image = seen.keep(client.run("demo/fractal", input={"width": 16, "height": 16}))
        assert isinstance(image, FileOutput)
        seen.keep(image.read())
        seen.keep(image.save(tmp_path))
        prediction = seen.keep(client.predictions.create(model="test/echo", input={"text": "x"}))
        seen.keep(prediction.wait())
        seen.keep(prediction.reload())
        seen.keep(client.predictions.get(prediction.id))
        seen.keep(client.predictions.list())
        seen.keep(client.models.get("demo/fractal"))
        seen.keep(client.models.get("demo/fractal").versions.list())
        seen.keep(list(replicate_ext.paginate(client.models.list)))
        seen.keep(client.hardware.list())
        seen.keep(client.accounts.current())
        seen.keep(client.collections.list())
        # Files: inline, uploaded, the files API, a signed download.
        seen.keep(client.run("test/file-info", input={"file": b"small"}))
        seen.keep(client.run("test/file-info", input={"file": big}))
        stored = seen.keep(client.files.create(big, metadata={"why": "leak check"}))
        seen.keep(client.files.get(stored.id))
        seen.keep(client.files.list())
        seen.keep(client.files.download(stored).read())
        client.files.delete(stored.id)
        # Streams, also through dropped connections (reconnected with Last-Event-ID).
        stream_input = {"prompt": "a b c", "max_tokens": 8, "delay": 0.0}
        seen.keep(list(client.stream("demo/stream-text", input=stream_input)))
        server.set_faults(stream_drop_rate=0.3, seed=11)
        streaming = seen.keep(client.predictions.create(model="demo/stream-text", input=stream_input, stream=True))
        seen.keep(list(streaming.stream()))
        server.set_faults()
        # Failures: a failed model, 404s, bad arguments, a wrong token.
        seen.expect(ModelError, client.run, "demo/fail")
        seen.expect(NotFoundError, client.models.get, "nobody/nothing")
        seen.expect(NotFoundError, client.predictions.get, "no-such-prediction")
        seen.expect(ValueError, client.run, "not a reference")
        with client_for(server, WRONG) as wrong:
            seen.keep(wrong)
            seen.expect(AuthenticationError, wrong.predictions.list)
            seen.expect(AuthenticationError, wrong.run, "test/echo", input={"text": "x"})
        # The webhook secret, and a delivery signed with it: neither carries the API token.
        secret = seen.keep(client.webhooks.default.secret())
        seen.secrets.append(secret.key.removeprefix("whsec_"))
        hooked = client.predictions.create(
            model="test/echo",
            input={"text": "hook"},
            webhook=f"{receiver.url}/hook",
            webhook_events_filter=["completed"],
        )
        delivered = receiver.wait_for(lambda got: any(hooked.id.encode() in r.body for r in got))
        for delivery in delivered:
            assert MARK not in repr(delivery.headers) and MARK.encode() not in delivery.body
            assert "authorization" not in delivery.headers
        delivery = next(r for r in delivered if hooked.id.encode() in r.body)
        assert Webhooks.validate(headers=delivery.headers, body=delivery.body, secret=secret)
        # Retries through injected faults: errors, resets (a create whose answer was lost), and rate limits.
        server.set_faults(error_rate=0.3, reset_rate=0.15, seed=5)
        for number in range(12):
            seen.call(client.run, "test/echo", input={"number": number})
            seen.call(client.predictions.list)
        server.set_faults(rate_limit={"read": 20})
        for _ in range(30):
            seen.call(client.predictions.get, prediction.id)
        with client_for(server, retry=NO_RETRIES) as impatient:
            errors = [seen.call(impatient.predictions.get, prediction.id) for _ in range(40)]
            assert any(isinstance(obj, RateLimitError) for obj in seen.objects), errors
        server.set_faults(stall_rate=1.0, fault_routes=["read"])
        with client_for(server, retry=NO_RETRIES, timeout=0.3) as hasty:
            seen.expect(APIConnectionError, hasty.predictions.get, prediction.id)
        server.set_faults(reset_rate=1.0, fault_routes=["create"])
        seen.expect(APIConnectionError, client.predictions.create, model="test/echo", input={"text": "lost"})
        server.set_faults()
    delivery_requests, with_authorization = counted_authorization(server)
    assert delivery_requests > before[0], "the scenario never reached the delivery origin"
    assert with_authorization == before[1] == 0
    faults = server.stats()["faults"]
    assert all(faults[kind] > faults_before[kind] for kind in faults), (faults_before, faults)  # each kind happened
    assert any(record.getMessage().startswith("retrying ") for record in debug_logs.records)
    assert_no_secrets(seen, debug_logs, capfd)


@pytest.mark.anyio
async def test_an_async_session_leaks_the_token_nowhere(
    server: LocalReplicate,
    tmp_path: pathlib.Path,
    debug_logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    seen = Seen()
    before = counted_authorization(server)
    async with client_for(server) as client:
        seen.keep(client)
        seen.keep(await client.async_run("test/echo", input={"text": "async"}))
        image = seen.keep(await client.async_run("demo/fractal", input={"width": 16, "height": 16}))
        seen.keep(await image.aread())
        seen.keep(await image.asave(tmp_path))
        prediction = seen.keep(await client.predictions.async_create(model="test/echo", input={"text": "y"}))
        seen.keep(await prediction.async_wait())
        seen.keep(await client.predictions.async_list())
        seen.keep(await client.files.async_create(b"bytes to upload", filename="a.txt"))
        stream_input = {"prompt": "x y", "max_tokens": 6, "delay": 0.0}
        seen.keep([event async for event in client.async_stream("demo/stream-text", input=stream_input)])
        seen.keep(await client.webhooks.default.async_secret())
        await seen.aexpect(ModelError, client.async_run("demo/fail"))
        await seen.aexpect(NotFoundError, client.models.async_get("nobody/nothing"))
        async with client_for(server, WRONG) as wrong:
            await seen.aexpect(AuthenticationError, wrong.predictions.async_list())
            await seen.aexpect(AuthenticationError, wrong.async_run("test/echo", input={}))
        server.set_faults(error_rate=0.3, reset_rate=0.15, seed=9)
        async with anyio.create_task_group() as group:
            for number in range(12):
                group.start_soon(seen.acall, client.async_run("test/echo", input={"number": number}))
        server.set_faults(stall_rate=1.0, fault_routes=["read"])
        async with client_for(server, retry=NO_RETRIES, timeout=0.3) as hasty:
            await seen.aexpect(APIConnectionError, hasty.predictions.async_get(prediction.id))
        server.set_faults()
    delivery_requests, with_authorization = counted_authorization(server)
    assert delivery_requests > before[0] and with_authorization == before[1] == 0
    assert_no_secrets(seen, debug_logs, capfd)


# -- redirects and other hosts, through httpx.MockTransport ------------------------------------------------------


class Hosts:
    """A MockTransport that plays the API, a file host that redirects, another file host, and a stream host."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        host, path = request.url.host, request.url.path
        if host == "files.example" and path == "/redirect":
            return httpx.Response(302, headers={"location": "https://cdn.example/output.png"})
        if host == "files.example" and path == "/same-host-redirect":
            return httpx.Response(307, headers={"location": "/output.png"})
        if host in ("cdn.example", "files.example") or path == "/v1/files/f1/download":
            return httpx.Response(200, content=b"\x89PNG data")
        if host == "stream.example":
            body = b"event: output\nid: 1\ndata: hi\n\nevent: done\nid: 2\ndata: {}\n\n"
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
        if host == "api.example" and path == "/v1/predictions/moved":
            return httpx.Response(307, headers={"location": "https://evil.example/v1/predictions/moved"})
        if host == "api.example" and path == "/v1/predictions/p1":
            return httpx.Response(200, json=prediction_json())
        return httpx.Response(404, json={"detail": "not here"})

    def with_authorization(self) -> list[str]:
        return [str(r.url) for r in self.requests if "authorization" in r.headers]


def prediction_json() -> dict[str, Any]:
    return {
        "id": "p1", "model": "a/b", "version": "v", "status": "succeeded", "input": {}, "output": "hi",
        "created_at": "2024-01-01T00:00:00Z", "urls": {
            "get": "https://api.example/v1/predictions/p1", "cancel": "https://api.example/v1/predictions/p1/cancel",
            "stream": "https://stream.example/v1/streams/p1",
        },
    }  # fmt: skip


@pytest.fixture
def hosts() -> Hosts:
    return Hosts()


def mock_client(hosts: Hosts) -> replicate_ext.Client:
    return replicate_ext.Client(
        api_token=TOKEN, base_url="https://api.example/v1", transport=httpx.MockTransport(hosts.handler)
    )


def test_a_file_output_redirected_to_another_host_carries_no_authorization(hosts: Hosts) -> None:
    with mock_client(hosts) as client:
        assert FileOutput("https://files.example/redirect", client).read() == b"\x89PNG data"
        assert FileOutput("https://files.example/same-host-redirect", client).read() == b"\x89PNG data"
        assert FileOutput("https://api.example/v1/files/f1/download?signature=s", client).read()
    assert [r.url.host for r in hosts.requests] == [
        "files.example", "cdn.example", "files.example", "files.example", "api.example",
    ]  # fmt: skip
    assert hosts.with_authorization() == []


@pytest.mark.anyio
async def test_an_async_redirected_download_carries_no_authorization(hosts: Hosts) -> None:
    async def read() -> bytes:
        async with mock_client(hosts) as client:
            return await FileOutput("https://files.example/redirect", client).aread()

    assert await read() == b"\x89PNG data"
    assert [r.url.host for r in hosts.requests] == ["files.example", "cdn.example"]
    assert hosts.with_authorization() == []


def test_a_stream_on_another_host_carries_no_authorization(hosts: Hosts) -> None:
    with mock_client(hosts) as client:
        prediction = client.predictions.get("p1")
        events = list(prediction.stream())
    assert [e.event for e in events] == ["output", "done"]
    assert [str(r.url) for r in hosts.requests] == [
        "https://api.example/v1/predictions/p1", "https://stream.example/v1/streams/p1",
    ]  # fmt: skip
    assert hosts.with_authorization() == ["https://api.example/v1/predictions/p1"]


def test_an_api_redirect_to_another_host_is_not_followed(hosts: Hosts) -> None:
    with mock_client(hosts) as client, pytest.raises(ReplicateException) as raised:
        client.predictions.get("moved")
    assert [r.url.host for r in hosts.requests] == ["api.example"]
    assert MARK not in "".join(texts_of(raised.value))
