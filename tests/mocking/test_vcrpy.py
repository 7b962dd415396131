"""vcrpy records every replicate_ext request, sync and async, and plays a cassette back without the network.

vcrpy patches httpx's own transports; the async calls, which go through `AsyncioTransport` by default, must be
recorded and played back exactly as plain httpx calls are. The cassettes are recorded from the local server (the
API, its stream host and its file host are separate origins, as on Replicate), and the playback is checked
against the server's own request count: nothing reaches it.
"""

from __future__ import annotations

import functools
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
import vcr
import vcr.errors
import yaml

import replicate_ext
from replicate_ext.local import LocalReplicate

from ..e2e.models import upscale
from . import scenario

pytestmark = pytest.mark.anyio

IMAGE = scenario.PNG * 200  # about 450 KB: uploaded through the files API, not inlined


@pytest.fixture(scope="module")
def server() -> Iterator[LocalReplicate]:
    with LocalReplicate(models={"test/upscale": upscale}) as running:
        yield running


@functools.cache
def _recorder() -> vcr.VCR:
    # The token is kept out of the cassettes, as a user's configuration would.
    return vcr.VCR(filter_headers=["authorization"], decode_compressed_response=True)


def _requests(server: LocalReplicate) -> int:
    stats = server.stats()
    return int(stats["requests_total"]) + int(stats["delivery_requests"])


async def _session(client: replicate_ext.Client, mode: str, folder: pathlib.Path) -> dict[str, Any]:
    call = scenario.caller(mode)
    created = await call(client.predictions, "create", "async_create", model="demo/sleep", input={"seconds": 30})
    got = await call(client.predictions, "get", "async_get", created.id)
    canceled = await call(client.predictions, "cancel", "async_cancel", created.id)
    output = await call(client, "run", "async_run", "test/upscale", input={"image": IMAGE, "scale": 3})
    read = await call(output, "read", "aread")
    saved = pathlib.Path(await call(output, "save", "asave", folder)).read_bytes()
    streamed = await scenario.streamed_text(
        client, mode, "demo/stream-text", {"prompt": "Hi", "max_tokens": 4, "delay": 0}
    )
    return {
        "created": created.id,
        "got": got.id,
        "canceled": canceled.status,
        "output": str(output),
        "read": read,
        "saved": saved,
        "streamed": streamed,
    }


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_record_then_play_back_without_the_network(
    mode: str, server: LocalReplicate, tmp_path: pathlib.Path
) -> None:
    cassette = tmp_path / "session.yaml"
    async with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
        with _recorder().use_cassette(str(cassette), record_mode="once") as recording:
            recorded = await _session(client, mode, tmp_path / "recorded")
        assert recording.play_count == 0 and len(recording) >= 8

    data = yaml.safe_load(cassette.read_text())
    uris = [entry["request"]["uri"] for entry in data["interactions"]]
    assert any(uri.startswith(server.url) and uri.endswith("/v1/files") for uri in uris)  # the upload
    assert any(uri.startswith(server.delivery_url) for uri in uris)  # the file host and the stream host
    assert all(
        "authorization" not in {k.lower() for k in entry["request"]["headers"]} for entry in data["interactions"]
    )
    assert recorded["canceled"] == "canceled"
    assert recorded["read"] == recorded["saved"] == IMAGE
    assert recorded["streamed"].startswith("Hi")

    before = _requests(server)
    async with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
        with _recorder().use_cassette(str(cassette), record_mode="none") as playback:
            played = await _session(client, mode, tmp_path / "played")
        assert playback.all_played
    assert _requests(server) == before  # the server saw nothing: every answer came from the cassette
    assert played == recorded


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_request_missing_from_the_cassette_is_refused_not_sent(
    mode: str, server: LocalReplicate, tmp_path: pathlib.Path
) -> None:
    cassette = tmp_path / "empty.yaml"
    cassette.write_text("interactions: []\nversion: 1\n")
    before = _requests(server)
    async with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
        client = client.with_options(retry=replicate_ext.NO_RETRIES)
        with _recorder().use_cassette(str(cassette), record_mode="none"):
            with pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException):
                if mode == "async":
                    await client.predictions.async_get("p1")
                else:
                    client.predictions.get("p1")
    assert _requests(server) == before
