"""Files, deployments, trainings, collections, hardware, account, search and webhooks end to end."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

import replicate_ext
from replicate_ext import Deployment, File, NotFoundError, Training, Webhooks
from replicate_ext.local import LocalReplicate

from ..receiver import Receiver
from .conftest import Api

pytestmark = pytest.mark.anyio


async def test_files_round_trip(api: Api, client: replicate_ext.Client, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 4096 + b"\r\n--+++\r\n"  # 1 MiB of every byte, and the generator's old boundary
    source = tmp_path / "blob.dat"
    source.write_bytes(payload)
    created = await api(client.files, "create", source, metadata={"purpose": "test", "n": 1})
    assert isinstance(created, File)
    assert created.name == "blob.dat" and created.size == len(payload)
    assert created.checksums["sha256"] == hashlib.sha256(payload).hexdigest()
    assert created.metadata == {"purpose": "test", "n": 1}
    fetched = await api(client.files, "get", created.id)
    assert fetched.id == created.id and fetched.size == created.size
    assert created.id in [f.id for f in await api(client.files, "list")]
    download = client.files.download(created)
    data = await api(download, "read") if api.mode == "sync" else await download.aread()
    assert data == payload
    saved = download.save(tmp_path / "copy.dat")
    assert saved.read_bytes() == payload
    with open(source, "rb") as handle:
        second = await api(client.files, "create", handle, filename="renamed.bin", content_type="application/x-test")
    assert second.name == "renamed.bin" and second.content_type == "application/x-test"
    await api(client.files, "delete", created.id)
    await api(client.files, "delete", second.id)
    with pytest.raises(NotFoundError):
        await api(client.files, "get", created.id)


async def test_file_outputs_are_fetched_without_the_token(client: replicate_ext.Client, server: LocalReplicate) -> None:
    server.reset_stats()
    output = client.run("demo/fractal", input={"width": 16, "height": 16})
    assert output.read().startswith(b"\x89PNG")
    assert await output.aread() == output.read()
    stats = server.stats()
    assert stats["delivery_requests"] >= 3
    assert stats["delivery_requests_with_authorization"] == 0


async def test_a_file_output_that_is_not_there_is_a_typed_error(
    client: replicate_ext.Client, receiver: Receiver, tmp_path: Path
) -> None:
    missing = replicate_ext.FileOutput(f"{receiver.url}/gone.png", client)
    with pytest.raises(NotFoundError):
        missing.read()
    with pytest.raises(NotFoundError):
        await missing.aread()
    with pytest.raises(NotFoundError):
        await missing.asave(tmp_path / "gone.png")
    assert not list(tmp_path.iterdir())  # nothing half-written left behind


async def test_deployments(api: Api, client: replicate_ext.Client) -> None:
    version = client.models.get("test/echo").latest_version
    assert version is not None
    name = f"echo-{api.mode}-{time.monotonic_ns()}"
    deployment = await api(
        client.deployments, "create", name=name, model="test/echo", version=version.id, hardware="cpu",
        min_instances=0, max_instances=1,
    )  # fmt: skip
    assert isinstance(deployment, Deployment) and deployment.id == f"local/{name}"
    assert deployment.current_release is not None and deployment.current_release.number == 1
    assert deployment.current_release.configuration.hardware == "cpu"
    fetched = await api(client.deployments, "get", deployment.id)
    assert fetched.current_release == deployment.current_release
    assert deployment.id in [d.id for d in await api(client.deployments, "list")]
    updated = await api(client.deployments, "update", deployment.id, max_instances=2)
    assert updated.current_release.number == 2 and updated.current_release.configuration.max_instances == 2
    prediction = await api(deployment.predictions, "create", {"text": "via deployment"}, wait=True)
    assert prediction.output == {"text": "via deployment", "number": 0}
    prediction = await api(client.deployments.predictions, "create", deployment.id, {"number": 7})
    await api(prediction, "wait")
    assert prediction.output == {"text": "", "number": 7}
    await api(client.deployments, "delete", deployment.id)
    with pytest.raises(NotFoundError):
        await api(client.deployments, "get", deployment.id)


async def test_trainings(api: Api, client: replicate_ext.Client) -> None:
    destination = f"local/palette-{api.mode}-{time.monotonic_ns()}"
    client.models.create(*destination.split("/"), visibility="private", hardware="cpu")
    version = client.models.get("demo/fractal").latest_version
    assert version is not None
    training = await api(
        client.trainings, "create", model="demo/fractal", version=version.id,
        input={"colors": "#000000,#ffffff", "steps": 2}, destination=destination,
    )  # fmt: skip
    assert isinstance(training, Training)
    await api(training, "wait")
    assert training.status == "succeeded"
    assert training.output is not None and training.output["version"].startswith(destination + ":")
    new_version = training.output["version"].split(":", 1)[1]
    assert new_version in [v.id for v in client.models.get(destination).versions.list()]
    assert training.id in [t.id for t in await api(client.trainings, "list")]
    trainer = client.models.get("test/slow-trainer").latest_version
    assert trainer is not None
    shorthand = await api(client.trainings, "create", f"test/slow-trainer:{trainer.id}", {"seconds": 20}, destination)
    await api(shorthand, "cancel")
    await api(shorthand, "wait")
    assert shorthand.status == "canceled"
    assert (await api(client.trainings, "get", shorthand.id)).status == "canceled"


async def test_catalog_endpoints(api: Api, client: replicate_ext.Client) -> None:
    collections = await api(client.collections, "list")
    assert "demo" in [c.slug for c in collections]
    demo = await api(client.collections, "get", "demo")
    assert "demo/fractal" in [m.id for m in demo]
    hardware = await api(client.hardware, "list")
    assert "cpu" in [h.sku for h in hardware]
    account = await api(client.accounts, "current")
    assert account.username == "local" and account.type == "user"
    results = await api(client, "search", "fractal", limit=5)
    assert "demo/fractal" in [m.model.id for m in results.models] and results.query == "fractal"
    examples = await api(client.models.examples, "list", "demo/fractal")
    assert all(p.model == "demo/fractal" for p in examples)


async def test_webhook_deliveries_validate_with_the_default_secret(
    api: Api, client: replicate_ext.Client, receiver: Receiver
) -> None:
    secret = await api(client.webhooks.default, "secret")
    assert secret.key.startswith("whsec_") and secret.key not in repr(secret)
    prediction = await api(
        client.predictions, "create", model="test/echo", input={"text": "hook"},
        webhook=f"{receiver.url}/hook", webhook_events_filter=["completed"],
    )  # fmt: skip
    received = receiver.wait_for(lambda got: any(json.loads(r.body)["id"] == prediction.id for r in got))
    delivery = next(r for r in received if json.loads(r.body)["id"] == prediction.id)
    assert Webhooks.validate(headers=delivery.headers, body=delivery.body, secret=secret)
    assert json.loads(delivery.body)["status"] == "succeeded"
    with pytest.raises(replicate_ext.InvalidSignatureError):
        Webhooks.validate(headers=delivery.headers, body=delivery.body.replace(b"hook", b"hack"), secret=secret)
