"""Sending requests: errors, retries and credentials, with answers the local server would not give."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from replicate_ext import (
    NO_RETRIES,
    AmbiguousCreateError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    ReplicateError,
    ServerError,
    UnprocessableEntityError,
)

from .mock import FAST_RETRIES, client_for, prediction


def test_problem_details_become_typed_errors() -> None:
    body = {"type": "https://errors/x", "title": "Invalid input", "status": 422, "detail": "prompt is required",
            "instance": "/v1/predictions", "invalid_fields": ["prompt"]}  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json=body, headers={"content-type": "application/problem+json"})

    with pytest.raises(UnprocessableEntityError) as caught:
        client_for(handler).predictions.get("p1")
    error = caught.value
    assert (error.type, error.title, error.status, error.detail, error.instance) == (
        "https://errors/x", "Invalid input", 422, "prompt is required", "/v1/predictions",
    )  # fmt: skip
    assert error.body["invalid_fields"] == ["prompt"]
    assert error.operation == "predictions.get"
    assert "prompt is required" in str(error) and "predictions.get" in str(error)
    assert isinstance(error, ReplicateError)


@pytest.mark.parametrize(("status", "cls"), [(401, AuthenticationError), (404, NotFoundError), (503, ServerError)])
def test_statuses_map_to_classes(status: int, cls: type[Exception]) -> None:
    client = client_for(lambda r: httpx.Response(status, json={"detail": "nope"}))
    with pytest.raises(cls):
        client.predictions.get("p1")


def test_an_error_without_a_json_body_keeps_its_text() -> None:
    client = client_for(lambda r: httpx.Response(502, text="<html>Bad gateway</html>"))
    with pytest.raises(ServerError, match="Bad gateway"):
        client.predictions.get("p1")


def test_a_401_says_how_to_fix_it() -> None:
    client = client_for(lambda r: httpx.Response(401, json={"title": "Unauthenticated", "status": 401}))
    with pytest.raises(AuthenticationError, match="REPLICATE_API_TOKEN"):
        client.predictions.get("p1")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"{not json", "application/json"), (b'{"id": 1}', "application/json"), (b"\xff\xfe", "application/json"),
     (b"<html></html>", "text/html"), (b'{"id": "p1", "status": "x"', "application/json"), (b"[]", "application/json")],
)  # fmt: skip
def test_unreadable_answers_raise_invalid_response_error(content: bytes, content_type: str) -> None:
    client = client_for(lambda r: httpx.Response(200, content=content, headers={"content-type": content_type}))
    with pytest.raises(InvalidResponseError, match=r"predictions\.get"):
        client.predictions.get("p1")


@pytest.mark.parametrize(
    "page",
    [{"results": {"id": "p1"}}, {"results": [], "next": 5}, {"results": [], "previous": ["x"]}, {"results": [[]]},
     {"results": [{"id": "p1"}]}],
)  # fmt: skip
def test_malformed_pages_raise_invalid_response_error(page: dict[str, object]) -> None:
    client = client_for(lambda r: httpx.Response(200, json=page))
    with pytest.raises(InvalidResponseError, match=r"predictions\.list"):
        client.predictions.list()
    with pytest.raises(InvalidResponseError, match=r"files\.list"):
        client.files.list()


def test_a_missing_token_is_a_clear_error_at_the_first_request() -> None:
    client = client_for(lambda r: httpx.Response(200, json=prediction()))
    client._api_token = None
    with pytest.raises(ConfigurationError, match="REPLICATE_API_TOKEN"):
        client.predictions.get("p1")


def test_the_token_goes_to_the_api_host_only() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.example":
            return httpx.Response(200, json={"results": [], "next": None, "previous": None})
        return httpx.Response(200, content=b"file bytes")

    client = client_for(handler)
    client.predictions.list()
    from replicate_ext import FileOutput

    assert FileOutput("https://files.example/out.png", client).read() == b"file bytes"
    api, files = seen
    assert api.headers["authorization"] == "Bearer r8_secret_token"
    assert "authorization" not in files.headers


def test_a_cursor_for_another_host_is_refused() -> None:
    client = client_for(lambda r: httpx.Response(200, json={"results": []}))
    with pytest.raises(ValueError, match="not a page of this client's API"):
        client.predictions.list("https://evil.example/v1/predictions?cursor=x")


def test_reads_are_retried_on_server_errors() -> None:
    answers = [
        httpx.Response(503, json={"detail": "busy"}),
        httpx.Response(500),
        httpx.Response(200, json=prediction()),
    ]
    client = client_for(lambda r: answers.pop(0), retry=FAST_RETRIES)
    assert client.predictions.get("p1").id == "p1"
    assert answers == []


def test_retries_are_logged_with_their_reason(caplog: pytest.LogCaptureFixture) -> None:
    answers = [httpx.Response(503, json={"detail": "busy"}), httpx.Response(200, json=prediction())]
    client = client_for(lambda r: answers.pop(0), retry=FAST_RETRIES)
    with caplog.at_level(logging.INFO, logger="replicate_ext"):
        client.predictions.get("p1")
    assert any("retrying predictions.get" in m and "HTTP 503" in m for m in caplog.messages)
    assert not any("r8_secret_token" in m for m in caplog.messages)


def test_a_create_is_not_repeated_after_a_server_error() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, json={"detail": "busy"})

    with pytest.raises(ServerError):
        client_for(handler, retry=FAST_RETRIES).predictions.create(model="acme/model", input={"a": 1})
    assert len(calls) == 1


def test_a_create_is_repeated_after_429_and_the_others_wait() -> None:
    answers = [
        httpx.Response(429, json={"detail": "slow down", "retry_after": 0}, headers={"retry-after": "0"}),
        httpx.Response(201, json=prediction()),
    ]
    client = client_for(lambda r: answers.pop(0), retry=FAST_RETRIES)
    assert client.predictions.create(model="acme/model", input={}).id == "p1"


def test_429_that_persists_raises_rate_limit_error_with_the_wait() -> None:
    client = client_for(lambda r: httpx.Response(429, json={"detail": "slow", "retry_after": 2}))
    with pytest.raises(RateLimitError) as caught:
        client.predictions.get("p1")
    assert caught.value.retry_after == 2.0


def test_an_answer_lost_after_a_create_was_sent_is_ambiguous_and_not_repeated() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    with pytest.raises(AmbiguousCreateError) as caught:
        client_for(handler, retry=FAST_RETRIES).predictions.create(model="acme/model", input={"a": 1})
    assert len(calls) == 1
    error = caught.value
    assert error.payload == {"input": {"a": 1}}
    assert error.sent_at and "may or may not" in str(error)
    assert "r8_secret_token" not in str(error)


def test_a_create_that_could_not_connect_is_retried() -> None:
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json=prediction())

    assert client_for(handler, retry=FAST_RETRIES).predictions.create(model="acme/model").id == "p1"
    assert len(attempts) == 2


def test_transport_errors_become_connection_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(APITimeoutError) as caught:
        client_for(handler).predictions.get("p1")
    assert isinstance(caught.value, APIConnectionError) and isinstance(caught.value, TimeoutError)


def test_a_wait_create_reads_longer_than_the_hold() -> None:
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.extensions["timeout"])
        seen["prefer"] = request.headers.get("prefer")
        return httpx.Response(201, json=prediction(status="succeeded", output="ok"))

    client_for(handler).predictions.create(model="acme/model", input={}, wait=30)
    assert seen["prefer"] == "wait=30" and seen["read"] == 35.0 and seen["connect"] == 5.0


@pytest.mark.anyio
async def test_the_async_path_shares_the_logic() -> None:
    answers = [httpx.Response(503), httpx.Response(200, json=prediction(status="processing"))]
    client = client_for(lambda r: answers.pop(0), retry=FAST_RETRIES)
    found = await client.predictions.async_get("p1")
    assert found.status == "processing"
    await client.aclose()


def test_request_bodies_are_what_the_api_documents() -> None:
    bodies = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append((request.url.path, json.loads(request.content), dict(request.headers)))
        return httpx.Response(201, json=prediction())

    client = client_for(handler)
    client.predictions.create(
        "acme/model:" + "a" * 64, {"prompt": "x"}, webhook="https://hooks.example/h",
        webhook_events_filter=["completed", "start"], cancel_after=90,
    )  # fmt: skip
    path, body, headers = bodies[0]
    assert path == "/v1/predictions"
    assert body == {"version": "a" * 64, "input": {"prompt": "x"}, "webhook": "https://hooks.example/h",
                    "webhook_events_filter": ["completed", "start"]}  # fmt: skip
    assert headers["cancel-after"] == "90s" and "prefer" not in headers
    assert headers["user-agent"].startswith("replicate-ext/")


def test_with_options_changes_retries_and_timeouts_for_some_calls() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503, json={"detail": "busy"})

    client = client_for(handler, retry=FAST_RETRIES)
    strict = client.with_options(retry=NO_RETRIES, timeout=7)
    with pytest.raises(ServerError):
        strict.predictions.get("p1")
    assert len(seen) == 1 and seen[0].extensions["timeout"]["read"] == 7.0
    with pytest.raises(ServerError):
        client.predictions.get("p1")
    assert len(seen) == 1 + 4  # the original still retries (3 times)
    assert strict._pools is client._pools and strict.predictions is not client.predictions
    assert strict.predictions._client is strict
    with pytest.raises(ConfigurationError):
        client.with_options(retry=3)  # type: ignore[arg-type]
