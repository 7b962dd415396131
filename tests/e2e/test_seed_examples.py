"""The example programs of the seed API, run as written (with local models) against the local server.

They use the module-level API configured from REPLICATE_API_TOKEN and REPLICATE_BASE_URL (`default_client`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..receiver import Receiver

pytestmark = pytest.mark.usefixtures("default_client")


def test_simple_model_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    import replicate_ext as replicate

    output = replicate.run("demo/fractal", input={"prompt": "An astronaut riding a rainbow unicorn"})
    if hasattr(output, "read"):
        with open("output.png", "wb") as f:
            f.write(output.read())
    assert (tmp_path / "output.png").read_bytes().startswith(b"\x89PNG")


def test_background_prediction_with_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    import replicate_ext as replicate

    model = replicate.models.get("demo/fractal")
    version = model.versions.get(model.latest_version.id)  # type: ignore[union-attr]
    prediction = replicate.predictions.create(
        version=version, input={"prompt": "Watercolor painting of an underwater submarine"}
    )
    print(f"Status: {prediction.status}")
    print(f"Logs: {prediction.logs}")
    prediction.wait()
    print(f"Final status: {prediction.status}")
    if prediction.output:
        with open("output.png", "wb") as f:
            f.write(prediction.output.read())
    assert prediction.status == "succeeded"
    assert (tmp_path / "output.png").read_bytes().startswith(b"\x89PNG")


def test_prediction_with_webhook(receiver: Receiver) -> None:
    import replicate_ext as replicate

    prediction = replicate.predictions.create(
        model="demo/fractal",
        input={"prompt": "Watercolor painting of an underwater submarine"},
        webhook=f"{receiver.url}/your-webhook",
        webhook_events_filter=["completed"],
    )
    received = receiver.wait_for(lambda got: any(json.loads(r.body)["id"] == prediction.id for r in got))
    delivered = [json.loads(r.body) for r in received if json.loads(r.body)["id"] == prediction.id]
    assert [d["status"] for d in delivered] == ["succeeded"]
    assert received[0].path == "/your-webhook"


def test_chaining_models() -> None:
    import replicate_ext as replicate

    laionide = replicate.models.get("demo/fractal")
    swinir = replicate.models.get("test/upscale")
    image = laionide.latest_version.predict(prompt="avocado armchair")  # type: ignore[union-attr]
    upscaled_image = swinir.latest_version.predict(image=image)  # type: ignore[union-attr]
    assert upscaled_image.read() == image.read()
    assert upscaled_image.filename == "upscaled-x2.png"


def test_list_and_paginate_and_search(capsys: pytest.CaptureFixture[str]) -> None:
    import replicate_ext as replicate

    for n in range(3):
        replicate.predictions.create(model="test/echo", input={"number": n})
    predictions = replicate.predictions.list()
    for prediction in predictions.results:
        print(f"ID: {prediction.id}, Status: {prediction.status}")
    if predictions.next:
        next_page = replicate.predictions.list(predictions.next)
        assert next_page.results
    results = replicate.models.search("image")
    for model in results.results:
        print(f"{model.owner}/{model.name}: {model.description}")
    printed = capsys.readouterr().out
    assert printed.count("ID: ") == len(predictions.results) >= 3
    assert "demo/fractal:" in printed


def test_create_and_cancel() -> None:
    import replicate_ext as replicate

    prediction = replicate.predictions.create(model="demo/sleep", input={"seconds": 30})
    if prediction.status in ["starting", "processing"]:
        prediction.cancel()
        print("Prediction canceled")
    prediction.wait()
    assert prediction.status == "canceled"
