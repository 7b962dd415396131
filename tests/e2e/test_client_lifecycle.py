"""Client configuration and connection lifecycle against the local server."""

from __future__ import annotations

import asyncio
import threading

import pytest

import replicate_ext
from replicate_ext import AuthenticationError, ConfigurationError
from replicate_ext.local import LocalReplicate


def test_one_client_serves_several_event_loops(server: LocalReplicate) -> None:
    client = replicate_ext.Client(api_token=server.token, base_url=server.url)

    async def get() -> str:
        try:
            model = await client.models.async_get("demo/sleep")
            return model.id
        finally:
            await client.aclose()  # closes this loop's connections (before asyncio.run closes the loop)

    # asyncio.run twice (a new loop each time), then loops in two threads at once.
    assert asyncio.run(get()) == "demo/sleep"
    assert asyncio.run(get()) == "demo/sleep"
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(asyncio.run(get()))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["demo/sleep", "demo/sleep"]
    client.close()


def test_base_url_with_or_without_v1_and_context_managers(server: LocalReplicate) -> None:
    for base in (server.url, server.url + "/v1", server.url + "/v1/"):
        with replicate_ext.Client(api_token=server.token, base_url=base) as client:
            assert client.models.get("demo/sleep").id == "demo/sleep"


@pytest.mark.anyio
async def test_async_context_manager(server: LocalReplicate) -> None:
    async with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
        assert (await client.accounts.async_current()).username == "local"


def test_a_wrong_token_is_an_authentication_error() -> None:
    with LocalReplicate(token="r8_the_right_one", demo_models=True) as server:
        client = replicate_ext.Client(api_token="r8_the_wrong_one", base_url=server.url)
        with pytest.raises(AuthenticationError) as caught:
            client.models.get("demo/sleep")
        assert "r8_the_wrong_one" not in str(caught.value) and "r8_the_right_one" not in str(caught.value)
        client.close()


def test_the_token_is_read_from_the_environment_at_the_first_request(
    server: LocalReplicate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    client = replicate_ext.Client(base_url=server.url)
    with pytest.raises(ConfigurationError, match="REPLICATE_API_TOKEN"):
        client.models.get("demo/sleep")
    monkeypatch.setenv("REPLICATE_API_TOKEN", server.token)
    assert client.models.get("demo/sleep").id == "demo/sleep"
    client.close()
