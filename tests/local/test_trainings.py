"""Trainings: create on a trainable version, the new version in the destination, errors, cancel, list."""

from __future__ import annotations

import httpx

from replicate_ext.local import LocalReplicate

from .conftest import validating_client
from .helpers import wait_for_status


def fractal_version(api: httpx.Client) -> str:
    version: str = api.get("/models/demo/fractal").json()["latest_version"]["id"]
    return version


def test_training_demo_fractal_makes_a_new_version_of_the_destination(
    server: LocalReplicate, api: httpx.Client, delivery: httpx.Client
) -> None:
    api.post("/models", json={"owner": "local", "name": "my-fractal", "visibility": "private", "hardware": "cpu"})
    version = fractal_version(api)
    response = api.post(
        f"/models/demo/fractal/versions/{version}/trainings",
        json={"destination": "local/my-fractal", "input": {"colors": "#000000,#ff0000,#ffffff", "steps": 2}},
    )
    assert response.status_code == 201
    training = response.json()
    assert training["status"] in ("starting", "processing")
    assert training["urls"]["get"] == f"{server.url}/v1/trainings/{training['id']}"
    done = wait_for_status(api, f"/trainings/{training['id']}")
    assert done["status"] == "succeeded", done
    assert "Learning the palette: pass 2/2" in done["logs"]
    new_version = done["output"]["version"]
    assert new_version.startswith("local/my-fractal:")
    assert delivery.get(done["output"]["weights"]).json() == {"palette": ["#000000", "#ff0000", "#ffffff"]}
    versions = api.get("/models/local/my-fractal/versions").json()["results"]
    assert [v["id"] for v in versions] == [new_version.split(":")[1]]
    trained = api.post(
        "/models/local/my-fractal/predictions", json={"input": {"width": 16, "height": 16}}, headers={"Prefer": "wait"}
    ).json()
    assert trained["status"] == "succeeded"
    assert "Loaded a palette of 3 colors" in trained["logs"]
    assert server.stats()["trainings_created"] == 1
    listed = api.get("/trainings").json()["results"]
    assert [t["id"] for t in listed] == [training["id"]]


def test_training_errors_are_problems(api: httpx.Client) -> None:
    version = fractal_version(api)
    missing = api.post(
        f"/models/demo/fractal/versions/{version}/trainings", json={"destination": "local/nothing", "input": {}}
    )
    assert missing.status_code == 404
    assert missing.json()["detail"] == "The specified training destination does not exist"
    sleep_version = api.get("/models/demo/sleep").json()["latest_version"]["id"]
    untrainable = api.post(
        f"/models/demo/sleep/versions/{sleep_version}/trainings", json={"destination": "demo/sleep", "input": {}}
    )
    assert untrainable.status_code == 422
    bad_input = api.post(
        f"/models/demo/fractal/versions/{version}/trainings",
        json={"destination": "demo/fractal", "input": {"steps": 99}},
    )
    assert bad_input.status_code == 422 and "steps" in bad_input.json()["detail"]
    wrong_version = api.post(
        "/models/demo/fractal/versions/nope/trainings", json={"destination": "demo/fractal", "input": {}}
    )
    assert wrong_version.status_code == 404
    assert api.get("/trainings/nope").status_code == 404


def test_a_training_can_be_canceled(api: httpx.Client) -> None:
    version = fractal_version(api)
    api.post("/models", json={"owner": "local", "name": "t", "visibility": "private", "hardware": "cpu"})
    with (
        LocalReplicate(workers=1) as other,
        validating_client(other) as client,
    ):
        client.post("/models", json={"owner": "local", "name": "t", "visibility": "private", "hardware": "cpu"})
        blocker = client.post("/models/demo/sleep/predictions", json={"input": {"seconds": 60}}).json()
        training = client.post(
            f"/models/demo/fractal/versions/{version}/trainings", json={"destination": "local/t", "input": {}}
        ).json()
        canceled = client.post(f"/trainings/{training['id']}/cancel").json()
        assert canceled["status"] == "canceled" and canceled["output"] is None
        client.post(f"/predictions/{blocker['id']}/cancel")
