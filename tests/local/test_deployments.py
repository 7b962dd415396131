"""Deployments: create, get, list, update (a new release), run predictions, delete."""

from __future__ import annotations

import httpx


def test_deployment_lifecycle_and_predictions(api: httpx.Client) -> None:
    sleep_version = api.get("/models/demo/sleep").json()["latest_version"]["id"]
    body = {
        "name": "sleeper",
        "model": "demo/sleep",
        "version": sleep_version,
        "hardware": "cpu",
        "min_instances": 0,
        "max_instances": 2,
    }
    created = api.post("/deployments", json=body)
    assert created.status_code == 200
    deployment = created.json()
    assert deployment["owner"] == "local" and deployment["name"] == "sleeper"
    assert deployment["current_release"]["number"] == 1
    assert deployment["current_release"]["configuration"] == {"hardware": "cpu", "min_instances": 0, "max_instances": 2}
    assert deployment["current_release"]["created_by"]["username"] == "local"
    assert api.post("/deployments", json=body).status_code == 409
    assert api.get("/deployments/local/sleeper").json() == deployment
    assert [d["name"] for d in api.get("/deployments").json()["results"]] == ["sleeper"]

    prediction = api.post(
        "/deployments/local/sleeper/predictions", json={"input": {"seconds": 0}}, headers={"Prefer": "wait"}
    ).json()
    assert prediction["status"] == "succeeded"
    assert prediction["deployment"] == "local/sleeper" and prediction["version"] == sleep_version

    updated = api.patch("/deployments/local/sleeper", json={"max_instances": 5, "hardware": "gpu-t4"}).json()
    assert updated["current_release"]["number"] == 2
    assert updated["current_release"]["configuration"] == {"hardware": "gpu-t4", "min_instances": 0, "max_instances": 5}
    assert api.patch("/deployments/local/sleeper", json={"version": "nope"}).status_code == 422
    assert api.patch("/deployments/local/sleeper", json={"min_instances": 9}).status_code == 422

    assert api.delete("/deployments/local/sleeper").status_code == 204
    assert api.get("/deployments/local/sleeper").status_code == 404
    assert api.post("/deployments/local/sleeper/predictions", json={"input": {}}).status_code == 404


def test_deployment_creation_is_validated(api: httpx.Client) -> None:
    version = api.get("/models/demo/sleep").json()["latest_version"]["id"]
    base = {"name": "d", "model": "demo/sleep", "version": version, "hardware": "cpu", "min_instances": 0}
    assert api.post("/deployments", json={**base}).status_code == 422  # max_instances missing
    assert api.post("/deployments", json={**base, "max_instances": 21}).status_code == 422
    assert api.post("/deployments", json={**base, "max_instances": 1, "model": "demo/nothing"}).status_code == 422
    assert api.post("/deployments", json={**base, "max_instances": 1, "version": "0" * 64}).status_code == 422
    assert api.post("/deployments", json={**base, "max_instances": 1, "name": "Bad Name"}).status_code == 422
