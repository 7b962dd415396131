"""Code written for replicate 1.x runs unchanged: its keyword names, argument forms and attributes, end to end.

`tests/client/test_v1_surface.py` compares the signatures; these tests call the 1.x forms against the local
server and check that they mean what they mean in 1.x.
"""

from __future__ import annotations

import json
import time

import pytest

import replicate_ext
import replicate_ext as replicate
from replicate_ext.local import LocalReplicate

from ..receiver import Receiver
from .conftest import Api

pytestmark = pytest.mark.anyio


async def test_poll_interval_is_a_plain_attribute(client: replicate_ext.Client) -> None:
    from replicate_ext._http import Sleep
    from replicate_ext._predictions import wait_flow

    client.poll_interval = 5
    assert client.poll_interval == 5.0
    prediction = client.predictions.create(model="demo/sleep", input={"seconds": 0.3})
    # The wait's first pause is one poll interval after the state in hand was fetched: the interval set here.
    first = next(wait_flow(client, prediction, None))
    assert isinstance(first, Sleep) and 4 < first.seconds <= 5
    client.poll_interval = 0.05
    assert prediction.wait().status == "succeeded"
    with pytest.raises(replicate_ext.ConfigurationError):
        client.poll_interval = -1


async def test_deployments_by_owner_and_name_keywords(api: Api, client: replicate_ext.Client) -> None:
    version = client.models.get(owner="test", name="echo").latest_version
    assert version is not None
    name = f"v1-{api.mode}-{time.monotonic_ns()}"
    await api(
        client.deployments, "create", name=name, model="test/echo", version=version.id, hardware="cpu",
        min_instances=0, max_instances=1,
    )  # fmt: skip
    updated = await api(client.deployments, "update", deployment_owner="local", deployment_name=name, max_instances=3)
    assert updated.current_release.configuration.max_instances == 3 and updated.username == "local"
    release = updated.dict()["current_release"]  # the API's shape, as 1.x's pydantic objects give it
    assert release["created_by"]["username"] == "local" and "extra" not in release["created_by"]
    assert release["configuration"]["max_instances"] == 3
    again = await api(client.deployments, "update", "local", name, min_instances=1)
    assert again.current_release.number == 3
    assert (await api(client.deployments, "update", again, max_instances=2)).current_release.number == 4
    assert await api(client.deployments, "delete", deployment_owner="local", deployment_name=name) is True
    with pytest.raises(replicate_ext.NotFoundError):
        await api(client.deployments, "get", f"local/{name}")


async def test_files_by_file_id_keyword(api: Api, client: replicate_ext.Client) -> None:
    created = await api(client.files, "create", b"hello", filename="hello.txt")
    assert (await api(client.files, "get", file_id=created.id)).name == "hello.txt"
    assert await api(client.files, "delete", file_id=created.id) is True
    with pytest.raises(replicate_ext.NotFoundError):
        await api(client.files, "get", file_id=created.id)


async def test_models_by_owner_and_name(api: Api, client: replicate_ext.Client) -> None:
    by_keywords = await api(client.models, "get", owner="demo", name="fractal")
    by_position = await api(client.models, "get", "demo", "fractal")
    by_key = await api(client.models, "get", key="demo/fractal")
    assert by_keywords.id == by_position.id == by_key.id == "demo/fractal"
    assert by_keywords.username == "demo"
    with pytest.raises(replicate_ext.InvalidArgumentError):
        await api(client.models, "get", "demo/fractal", owner="demo")
    name = f"doomed-{api.mode}-{time.monotonic_ns()}"
    client.models.create("local", name, visibility="private", hardware="cpu")
    assert await api(client.models, "delete", owner="local", name=name) is True


@pytest.mark.parametrize(
    "form",
    ["model+owner/name:id", "version=owner/name:id", "positional shorthand", "model, version positionally"],
)
async def test_every_1x_form_of_naming_the_trainer(form: str, api: Api, client: replicate_ext.Client) -> None:
    trainer = client.models.get("test/slow-trainer").latest_version
    assert trainer is not None
    destination = f"local/trained-{time.monotonic_ns()}"
    client.models.create(*destination.split("/"), visibility="private", hardware="cpu")
    ref = f"test/slow-trainer:{trainer.id}"
    train_input = {"seconds": 0}
    if form == "model+owner/name:id":
        training = await api(
            client.trainings, "create", model="test/slow-trainer", version=ref, input=train_input,
            destination=destination,
        )  # fmt: skip
    elif form == "version=owner/name:id":
        training = await api(client.trainings, "create", version=ref, input=train_input, destination=destination)
    elif form == "positional shorthand":
        training = await api(client.trainings, "create", ref, train_input, destination)
    else:
        training = await api(
            client.trainings, "create", "test/slow-trainer", trainer.id, train_input, destination=destination
        )
    assert training.destination == destination
    await api(training, "wait")
    assert training.status == "succeeded" and training.destination == destination
    assert training.output is not None and training.output["version"].startswith(destination + ":")


async def test_a_trainer_version_of_another_model_is_refused_before_anything_is_sent(
    client: replicate_ext.Client, server: LocalReplicate
) -> None:
    before = server.stats()["trainings_created"]
    with pytest.raises(replicate_ext.InvalidArgumentError, match="another model"):
        client.trainings.create(model="demo/fractal", version="test/slow-trainer:abc", input={}, destination="local/x")
    with pytest.raises(replicate_ext.InvalidArgumentError, match="names a model"):
        client.trainings.create(version="test/slow-trainer", input={}, destination="local/x")
    assert server.stats()["trainings_created"] == before


async def test_model_reload_username_and_the_removed_predict(api: Api, client: replicate_ext.Client) -> None:
    name = f"reloaded-{api.mode}-{time.monotonic_ns()}"
    model = client.models.create("local", name, visibility="private", hardware="cpu", description="before")
    client.models.update(model, description="after")
    assert model.description == "before"
    assert await api(model, "reload") is model
    assert model.description == "after" and model.username == "local" and model.owner == "local"
    with pytest.raises(replicate_ext.ReplicateException, match=r"replicate_ext\.run\('local/"):
        model.predict(prompt="hi")


async def test_objects_give_their_data_as_pydantic_did(client: replicate_ext.Client) -> None:
    prediction = client.predictions.create(model="test/echo", input={"text": "x"}, wait=True)
    data = prediction.dict()
    assert data["id"] == prediction.id and data["output"] == {"text": "x", "number": 0}
    assert set(prediction.dict(include={"id", "status"})) == {"id", "status"}
    assert "logs" not in prediction.dict(exclude={"logs"})
    assert "stream" not in prediction.dict(exclude={"urls": {"stream"}})["urls"]
    assert all(value is not None for value in prediction.dict(exclude_none=True).values())
    assert json.loads(prediction.json(include={"id", "input"})) == {"id": prediction.id, "input": {"text": "x"}}
    assert json.loads(client.models.get("demo/fractal").json())["owner"] == "demo"
    assert json.loads(client.accounts.current().json()) == client.accounts.current().dict()
    assert isinstance(prediction.progress, replicate.Prediction.Progress | None)
    assert replicate.Prediction.Progress is replicate_ext.Progress


async def test_webhooks_validate_takes_1x_positional_forms(client: replicate_ext.Client, receiver: Receiver) -> None:
    secret = client.webhooks.default.secret()
    prediction = client.predictions.create(
        model="test/echo", input={"text": "hook"}, webhook=f"{receiver.url}/hook", webhook_events_filter=["completed"]
    )
    received = receiver.wait_for(lambda got: any(json.loads(r.body)["id"] == prediction.id for r in got))
    delivery = next(r for r in received if json.loads(r.body)["id"] == prediction.id)
    assert client.webhooks.validate(delivery.headers, delivery.body, secret)  # (headers, body, secret)
    assert client.webhooks.validate(delivery.headers, delivery.body, secret, None)  # tolerance off, as in 1.x
    import httpx

    request = httpx.Request("POST", "http://app/hook", headers=delivery.headers, content=delivery.body)
    assert client.webhooks.validate(request, secret)  # (request, secret)
    with pytest.raises(replicate_ext.InvalidSignatureError):
        client.webhooks.validate(delivery.headers, delivery.body + b" ", secret)
