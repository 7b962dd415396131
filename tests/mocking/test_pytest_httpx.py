"""pytest-httpx's `httpx_mock` intercepts every replicate_ext request, sync and async.

pytest-httpx patches httpx's own transports (`HTTPTransport`, `AsyncHTTPTransport`); the async calls, which go
through `AsyncioTransport` by default, must reach it exactly as plain httpx calls do.
"""

from __future__ import annotations

import pathlib

import httpx
import pytest
from pytest_httpx import HTTPXMock

import replicate_ext

from . import scenario

pytestmark = pytest.mark.anyio


def _respond(request: httpx.Request) -> httpx.Response:
    status, headers, body = scenario.answer(request.method, str(request.url), request.read())
    return httpx.Response(status, headers=headers, content=body)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_every_call_goes_to_httpx_mock(mode: str, httpx_mock: HTTPXMock, tmp_path: pathlib.Path) -> None:
    httpx_mock.add_callback(_respond, is_reusable=True)
    async with replicate_ext.Client(api_token="r8_not-a-real-token") as client:
        outcome = await scenario.session(client, mode, tmp_path)
    scenario.check(outcome)
    scenario.check_requests([(r.method, str(r.url), r.read()) for r in httpx_mock.get_requests()])


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_registered_responses_answer_module_level_calls(
    mode: str, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The way most applications call Replicate: the module-level API with the token in the environment.
    from replicate_ext import _default

    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_not-a-real-token")
    monkeypatch.setattr(_default, "_client", None)
    httpx_mock.add_response(method="GET", url=f"{scenario.API}/predictions/p1", json=scenario.SUCCEEDED)
    try:
        if mode == "async":
            got = await replicate_ext.predictions.async_get("p1")
        else:
            got = replicate_ext.predictions.get("p1")
    finally:
        if _default._client is not None:
            await _default._client.aclose()
    assert (got.status, got.output) == ("succeeded", scenario.FILE_URL)
    assert [str(r.url) for r in httpx_mock.get_requests()] == [f"{scenario.API}/predictions/p1"]


@pytest.mark.httpx_mock(assert_all_requests_were_expected=False)
async def test_an_unexpected_async_request_is_refused_not_sent(httpx_mock: HTTPXMock) -> None:
    async with replicate_ext.Client(api_token="r8_x") as client:
        with pytest.raises(replicate_ext.exceptions.APITimeoutError, match="No response can be found"):
            await client.with_options(retry=replicate_ext.NO_RETRIES).predictions.async_get("p1")
    assert len(httpx_mock.get_requests()) == 1
