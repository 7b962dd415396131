"""Async clients against the server (anyio's pytest plugin): concurrency, and streams read asynchronously."""

from __future__ import annotations

import anyio
import httpx
import pytest

from replicate_ext.local import LocalReplicate

from .conftest import api_hook


def async_client(server: LocalReplicate) -> httpx.AsyncClient:
    async def validate(response: httpx.Response) -> None:
        await response.aread()
        api_hook(server)(response)

    return httpx.AsyncClient(
        base_url=server.url + "/v1",
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=60,
        event_hooks={"response": [validate]},
    )


@pytest.mark.anyio
@pytest.mark.replicate_local(workers=50)
async def test_concurrent_waits_all_finish(server: LocalReplicate) -> None:
    results: list[dict[str, object]] = []
    async with async_client(server) as client:

        async def run(i: int) -> None:
            response = await client.post(
                "/models/demo/sleep/predictions",
                json={"input": {"seconds": 0.2}},
                headers={"Prefer": "wait=30"},
            )
            assert response.status_code == 201
            results.append(response.json())

        async with anyio.create_task_group() as group:
            for i in range(50):
                group.start_soon(run, i)
    assert [r["status"] for r in results] == ["succeeded"] * 50
    assert server.stats()["predictions_created"] == 50


@pytest.mark.anyio
async def test_a_stream_read_asynchronously_matches_the_output(server: LocalReplicate) -> None:
    async with async_client(server) as client:
        created = (
            await client.post("/models/demo/stream-text/predictions", json={"input": {"max_tokens": 12, "delay": 0}})
        ).json()
        chunks: list[str] = []
        event = ""
        async with httpx.AsyncClient(timeout=30) as plain:
            async with plain.stream("GET", created["urls"]["stream"], headers={"Accept": "text/event-stream"}) as r:
                async for line in r.aiter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "output":
                        chunks.append(line[6:])
        done = (await client.get(f"/predictions/{created['id']}")).json()
    assert done["status"] == "succeeded" and "".join(chunks) == "".join(done["output"])
