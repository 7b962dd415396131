"""respx intercepts every replicate_ext request, sync and async, with either of its mockers.

respx's default mocker patches httpcore's connection pools and `using="httpx"` patches httpx's clients; the async
calls, which go through `AsyncioTransport` by default, must be seen by both exactly as plain httpx calls are.
"""

from __future__ import annotations

import pathlib

import httpx
import pytest
import respx

import replicate_ext
from replicate_ext import AsyncioTransport

from . import scenario

pytestmark = pytest.mark.anyio


def _respond(request: httpx.Request) -> httpx.Response:
    status, headers, body = scenario.answer(request.method, str(request.url), request.read())
    return httpx.Response(status, headers=headers, content=body)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("using", ["httpcore", "httpx"])
async def test_every_call_goes_to_respx(mode: str, using: str, tmp_path: pathlib.Path) -> None:
    with respx.mock(using=using, assert_all_mocked=True) as router:
        route = router.route().mock(side_effect=_respond)
        async with replicate_ext.Client(api_token="r8_not-a-real-token") as client:
            outcome = await scenario.session(client, mode, tmp_path)
    scenario.check(outcome)
    scenario.check_requests([(c.request.method, str(c.request.url), c.request.read()) for c in route.calls])


async def test_the_fast_pool_is_what_async_calls_use_without_a_mock() -> None:
    # The interception above is not the default path gone missing: outside a mock, async calls under asyncio
    # still go through AsyncioTransport (here refused by a closed port, not answered by anyone).
    async with replicate_ext.Client(api_token="r8_x", base_url="http://127.0.0.1:9") as client:
        with pytest.raises(replicate_ext.exceptions.APIConnectionError):
            await client.with_options(retry=replicate_ext.NO_RETRIES).predictions.async_get("p1")
        transport = client._ahttp()._transport
    assert isinstance(transport, AsyncioTransport)


async def test_a_request_no_route_matches_is_refused_not_sent() -> None:
    # respx's assert_all_mocked: an unmatched request fails in the test, it never reaches the network.
    with respx.mock(assert_all_called=False) as router:
        router.get(f"{scenario.API}/predictions/p1").respond(json=scenario.SUCCEEDED)
        async with replicate_ext.Client(api_token="r8_x") as client:
            assert (await client.predictions.async_get("p1")).status == "succeeded"
            with pytest.raises(Exception, match="not mocked"):
                await client.with_options(retry=replicate_ext.NO_RETRIES).predictions.async_get("p9")


async def test_a_transport_the_user_passed_is_kept_under_respx() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json=scenario.SUCCEEDED)

    with respx.mock(using="httpcore", assert_all_called=False):
        async with replicate_ext.Client(api_token="r8_x", async_transport=httpx.MockTransport(handler)) as client:
            assert (await client.predictions.async_get("p1")).status == "succeeded"
    assert seen == ["/v1/predictions/p1"]
