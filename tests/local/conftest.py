"""Fixtures for the local server's tests: a running server, HTTP clients that validate every API response
against openapi.yaml (openapi-core), and a local webhook receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_schema_validator import OAS31Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from replicate_ext.local import LocalReplicate

from ..recorded import SPEC, routes

# Defaults that keep the tests quick: short Cancel-After, fast webhook retries.
TEST_DEFAULTS: dict[str, Any] = {
    "min_cancel_after": 0.2,
    "webhook_throttle": 0.05,
    "webhook_backoff": 0.05,
}


@cache
def spec_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    document = deepcopy(document)
    document.pop("x-query-operations", None)
    # Any loopback port: the server under test listens on a free one.
    document["servers"] = [{"url": "http://127.0.0.1:{port}/v1", "variables": {"port": {"default": "80"}}}]
    return document


@cache
def openapi() -> OpenAPI:
    # openapi-core reads `application/json` by itself; RFC 7807 bodies are JSON too.
    # A binary download (`type: string, format: binary`) is checked as a string of its bytes.
    config = Config(
        extra_media_type_deserializers={
            "application/problem+json": json.loads,
            "application/octet-stream": lambda data: data.decode("latin-1"),
        }
    )
    return OpenAPI.from_dict(spec_document(), config=config)


@cache
def problem_validator() -> OAS31Validator:
    schemas = spec_document()["components"]["schemas"]
    return OAS31Validator({**schemas["Problem"], "components": {"schemas": schemas}})


class _Request:
    """An httpx request seen through openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        method = request.method.lower()
        # QUERY /v1/models (search) is outside OpenAPI; its response is the same as GET /v1/models.
        self.method = "get" if method == "query" else method
        self.host_url = f"{request.url.scheme}://{request.url.netloc.decode()}"
        self.path = request.url.path
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
        )
        self.content_type = request.headers.get("content-type", "")
        self.body = b""


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(list(response.headers.items()))
        self.data = response.content


@dataclass
class Validation:
    """The responses checked against openapi.yaml: how many, and of which operations."""

    responses: int = 0
    operations: set[str] = field(default_factory=set)

    def record(self, request: httpx.Request) -> None:
        self.responses += 1
        path = request.url.path.removeprefix("/v1")
        for method, pattern, operation_id in routes():
            if method == request.method and pattern.match(path):
                self.operations.add(operation_id)


VALIDATION = Validation()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many responses were validated against openapi.yaml, and which operations none covered."""
    if not VALIDATION.responses:
        return
    every = {operation_id for _, _, operation_id in routes()}
    missing = sorted(every - VALIDATION.operations)
    terminalreporter.write_line(
        f"openapi.yaml: {VALIDATION.responses} responses validated, covering "
        f"{len(VALIDATION.operations & every)} of {len(every)} operations"
        + (f" (not covered: {', '.join(missing)})" if 0 < len(missing) <= 5 else "")
    )


def validate_response(response: httpx.Response) -> None:
    """Fail unless `response` (from the API origin) matches openapi.yaml; problems must be RFC 7807 bodies."""
    response.read()
    request = response.request
    try:
        openapi().validate_response(_Request(request), _Response(response))
    except (PathNotFound, OperationNotFound):
        # A route or method the API does not have: the answer must still be a problem+json body.
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
        problem_validator().validate(response.json())
    if response.status_code >= 400:
        body = response.json()
        assert {"title", "status", "detail"} <= set(body), body
        assert body["status"] == response.status_code
    VALIDATION.record(request)


def api_hook(server: LocalReplicate | str) -> Any:
    """An httpx response hook that validates the responses of the server's API origin (a server or its URL)."""
    base = (server if isinstance(server, str) else server.url) + "/v1/"

    def hook(response: httpx.Response) -> None:
        if str(response.request.url).startswith(base):
            validate_response(response)

    return hook


def validating_client(server: LocalReplicate | str, token: str | None = "t", **kwargs: Any) -> httpx.Client:
    """An httpx client for the API of `server` (base URL ending in /v1) that validates every response."""
    url = server if isinstance(server, str) else server.url
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(
        base_url=url + "/v1", headers=headers, event_hooks={"response": [api_hook(url)]}, **{"timeout": 60, **kwargs}
    )


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[LocalReplicate]:
    """A running server with the test defaults; `@pytest.mark.replicate_local(...)` adds options."""
    options = dict(TEST_DEFAULTS)
    for marker in reversed(list(request.node.iter_markers("replicate_local"))):
        options.update(marker.kwargs)
    with LocalReplicate(**options) as running:
        yield running


@pytest.fixture
def api(server: LocalReplicate) -> Iterator[httpx.Client]:
    """An httpx client for the API (base URL ends in /v1) whose every response is validated."""
    with httpx.Client(
        base_url=server.url + "/v1",
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=30,
        event_hooks={"response": [api_hook(server)]},
    ) as client:
        yield client


@pytest.fixture
def delivery() -> Iterator[httpx.Client]:
    """A plain client for the delivery origin (no token, as a client must do)."""
    with httpx.Client(timeout=30) as client:
        yield client
