"""Trainings of a Cog model (`train:` in cog.yaml) and file outputs as data URIs, on a server of their own."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

import replicate_ext
from replicate_ext import FileOutput
from replicate_ext.local import LocalReplicate

from ..local.conftest import TEST_DEFAULTS
from .support import MODELS, requires_cog

pytestmark = requires_cog


@pytest.fixture(scope="module")
def server() -> Iterator[LocalReplicate]:
    models = {"local/text": str(MODELS / "text"), "local/files": str(MODELS / "files")}
    with LocalReplicate(models, demo_models=False, data_uri_outputs=1024, **TEST_DEFAULTS) as running:
        yield running


def test_a_training_adds_a_version_whose_setup_gets_the_weights(
    client: replicate_ext.Client, api: httpx.Client
) -> None:
    api.post("/models", json={"owner": "local", "name": "taught", "visibility": "private", "hardware": "cpu"})
    trainer = client.models.get("local/text").latest_version
    assert trainer is not None
    training = client.trainings.create(
        model="local/text", version=trainer.id, input={"prefix": ">> "}, destination="local/taught"
    )
    training.wait()
    assert training.status == "succeeded", training.error
    assert training.logs == "training with prefix '>> '"
    assert training.output is not None
    weights = training.output["weights"]
    assert weights == "data:text/plain;base64," + base64.b64encode(b">> ").decode()  # small: a data URI
    destination, _, version_id = training.output["version"].partition(":")
    assert destination == "local/taught"
    versions = api.get("/models/local/taught/versions").json()["results"]
    assert [v["id"] for v in versions] == [version_id]
    assert (
        versions[0]["openapi_schema"] == api.get(f"/models/local/text/versions/{trainer.id}").json()["openapi_schema"]
    )
    assert client.run(training.output["version"], input={"text": "hi", "times": 2}) == ">> hi hi"
    assert client.run("local/text", input={"text": "hi"}) == "hi"  # the trainer itself is unchanged


@pytest.mark.anyio
async def test_a_training_async_and_its_input_checks(aclient: replicate_ext.Client, api: httpx.Client) -> None:
    api.post("/models", json={"owner": "local", "name": "taught-async", "visibility": "private", "hardware": "cpu"})
    trainer = (await aclient.models.async_get("local/text")).latest_version
    assert trainer is not None
    refused = api.post(
        f"/models/local/text/versions/{trainer.id}/trainings", json={"destination": "local/taught-async", "input": {}}
    )
    assert refused.status_code == 422 and refused.json()["detail"] == "input.prefix: Field required"
    training = await aclient.trainings.async_create(
        f"local/text:{trainer.id}", input={"prefix": "~ "}, destination="local/taught-async"
    )
    await training.async_wait()
    assert training.status == "succeeded" and training.output is not None
    assert await aclient.async_run(training.output["version"], input={"text": "yo"}) == "~ yo"


def test_file_outputs_up_to_data_uri_outputs_are_data_uris(client: replicate_ext.Client) -> None:
    data_uri = "data:text/plain;base64," + base64.b64encode(b"small").decode()
    output = client.run("local/files", input={"document": data_uri})
    assert isinstance(output, FileOutput)
    assert output.url == "data:text/plain;base64," + base64.b64encode(b"SMALL!").decode()
    assert output.read() == b"SMALL!"
    large = "data:text/plain;base64," + base64.b64encode(b"x" * 4000).decode()
    big = client.run("local/files", input={"document": large})
    assert big.url.startswith("http://") and big.read() == b"X" * 4000 + b"!"
