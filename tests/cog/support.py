"""What the Cog runtime's tests share: the test models, and the skip where Cog's runtime does not exist."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import replicate_ext
from replicate_ext.local import LocalReplicate
from replicate_ext.local._cog._reference import platform_problem

from ..local.conftest import validate_response

MODELS = Path(__file__).parent / "models"
EXAMPLE = Path(__file__).parents[2] / "examples" / "cog-hello"
NO_COGLET = platform_problem()

# Skips only where coglet has no wheel; where it has one, a missing `cog` is an error (install the dev extra).
requires_cog = pytest.mark.skipif(NO_COGLET is not None, reason=f"coglet has no wheel for this platform: {NO_COGLET}")


class ValidatingTransport(httpx.BaseTransport):
    """httpx's transport, with every response of the API origin checked against openapi.yaml."""

    def __init__(self, api_base: str) -> None:
        self._inner = httpx.HTTPTransport()
        self._api = api_base + "/v1/"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if not str(request.url).startswith(self._api):
            return response
        content = response.read()
        checked = httpx.Response(response.status_code, headers=response.headers, content=content, request=request)
        validate_response(checked)
        return checked

    def close(self) -> None:
        self._inner.close()


class AsyncValidatingTransport(httpx.AsyncBaseTransport):
    """The async form of `ValidatingTransport`."""

    def __init__(self, api_base: str) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._api = api_base + "/v1/"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if not str(request.url).startswith(self._api):
            return response
        content = await response.aread()
        checked = httpx.Response(response.status_code, headers=response.headers, content=content, request=request)
        validate_response(checked)
        return checked

    async def aclose(self) -> None:
        await self._inner.aclose()


def validating_replicate_client(server: LocalReplicate) -> replicate_ext.Client:
    """A `replicate_ext.Client` of `server` whose API responses (sync and async) are checked against openapi.yaml."""
    return replicate_ext.Client(
        api_token=server.token,
        base_url=server.url,
        transport=ValidatingTransport(server.url),
        async_transport=AsyncValidatingTransport(server.url),
    )
