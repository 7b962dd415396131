"""The other routes end to end: auth, account, hardware, collections, models, versions, search, errors."""

from __future__ import annotations

import httpx
import pytest

from replicate_ext.local import LocalReplicate

from .conftest import api_hook, validating_client


def test_requests_without_a_valid_token_get_a_401_problem(server: LocalReplicate) -> None:
    with httpx.Client(base_url=server.url + "/v1", event_hooks={"response": [api_hook(server)]}) as client:
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}, {"Authorization": "r8_x"}):
            response = client.get("/account", headers=headers)
            assert response.status_code == 401
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["title"] == "Unauthenticated"
        assert client.get("/account", headers={"Authorization": "Bearer anything"}).status_code == 200
        assert client.get("/account", headers={"Authorization": "Token anything"}).status_code == 200


@pytest.mark.replicate_local(token="r8_secret")
def test_a_configured_token_is_the_only_one_accepted(server: LocalReplicate) -> None:
    assert server.token == "r8_secret"
    with httpx.Client(base_url=server.url + "/v1", event_hooks={"response": [api_hook(server)]}) as client:
        assert client.get("/account", headers={"Authorization": "Bearer r8_other"}).status_code == 401
        assert client.get("/account", headers={"Authorization": "Bearer r8_secret"}).status_code == 200


def test_account_and_hardware(api: httpx.Client) -> None:
    assert api.get("/account").json() == {
        "type": "user",
        "username": "local",
        "name": "Local User",
        "github_url": None,
        "avatar_url": None,
    }
    skus = [h["sku"] for h in api.get("/hardware").json()]
    assert "cpu" in skus


@pytest.mark.replicate_local(username="alice")
def test_the_username_is_configurable(api: httpx.Client) -> None:
    assert api.get("/account").json()["username"] == "alice"
    created = api.post("/models", json={"owner": "alice", "name": "m", "visibility": "public", "hardware": "cpu"})
    assert created.status_code == 201


def test_collections_list_and_get(api: httpx.Client) -> None:
    slugs = [c["slug"] for c in api.get("/collections").json()["results"]]
    assert "demo" in slugs and "text-to-image" in slugs
    demo = api.get("/collections/demo").json()
    assert {f"{m['owner']}/{m['name']}" for m in demo["models"]} == {
        "demo/fractal",
        "demo/stream-text",
        "demo/sleep",
        "demo/fail",
    }
    assert api.get("/collections/none").status_code == 404


def test_demo_models_have_versions_with_cog_schemas(api: httpx.Client) -> None:
    model = api.get("/models/demo/fractal").json()
    assert model["owner"] == "demo" and model["visibility"] == "public"
    version = model["latest_version"]
    assert len(version["id"]) == 64
    schema = version["openapi_schema"]
    inputs = schema["components"]["schemas"]["Input"]
    assert list(inputs["properties"]) == ["prompt", "width", "height", "seed"]
    assert inputs["properties"]["width"] == {
        "type": "integer",
        "title": "Width",
        "x-order": 1,
        "description": "Width of the image in pixels",
        "default": 128,
        "minimum": 16,
        "maximum": 1024,
    }
    assert schema["components"]["schemas"]["Output"] == {"type": "string", "format": "uri", "title": "Output"}
    assert "TrainingInput" in schema["components"]["schemas"]
    stream = api.get("/models/demo/stream-text").json()["latest_version"]["openapi_schema"]
    assert stream["components"]["schemas"]["Output"] == {
        "type": "array",
        "items": {"type": "string"},
        "title": "Output",
        "x-cog-array-type": "iterator",
        "x-cog-array-display": "concatenate",
    }
    assert api.get(f"/models/demo/fractal/versions/{version['id']}").json() == version
    assert [v["id"] for v in api.get("/models/demo/fractal/versions").json()["results"]] == [version["id"]]
    assert api.get("/models/demo/fractal/versions/nope").status_code == 404


def test_models_list_sorts(api: httpx.Client) -> None:
    api.post("/models", json={"owner": "local", "name": "newest", "visibility": "public", "hardware": "cpu"})
    by_created = api.get("/models", params={"sort_by": "model_created_at", "sort_direction": "desc"}).json()
    assert by_created["results"][0]["name"] == "newest"
    ascending = api.get("/models", params={"sort_by": "model_created_at", "sort_direction": "asc"}).json()
    assert ascending["results"][-1]["name"] == "newest"
    assert len(api.get("/models").json()["results"]) == 5
    assert api.get("/models", params={"sort_by": "stars"}).status_code == 400
    assert api.get("/models", params={"sort_direction": "up"}).status_code == 400


@pytest.mark.replicate_local(page_size=2)
def test_models_list_paginates(api: httpx.Client) -> None:
    api.post("/models", json={"owner": "local", "name": "fifth", "visibility": "public", "hardware": "cpu"})
    first = api.get("/models").json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    names = [m["name"] for page in (first, second, third) for m in page["results"]]
    assert sorted(names) == ["fail", "fifth", "fractal", "sleep", "stream-text"]
    assert third["next"] is None and first["previous"] is None
    assert api.get(third["previous"]).json() == second


def test_model_create_update_readme_and_delete(api: httpx.Client) -> None:
    body = {"owner": "local", "name": "my-model", "visibility": "private", "hardware": "cpu", "description": "Mine"}
    created = api.post("/models", json=body)
    assert created.status_code == 201
    assert created.json()["latest_version"] is None and created.json()["description"] == "Mine"
    assert api.post("/models", json=body).status_code == 409
    assert api.get("/models/local/my-model/readme").status_code == 404
    updated = api.patch("/models/local/my-model", json={"description": "Updated", "readme": "# My model"})
    assert updated.json()["description"] == "Updated"
    readme = api.get("/models/local/my-model/readme")
    assert readme.text == "# My model" and readme.headers["content-type"].startswith("text/plain")
    assert api.delete("/models/local/my-model").status_code == 204
    assert api.get("/models/local/my-model").status_code == 404


def test_model_changes_are_validated(api: httpx.Client) -> None:
    good = {"owner": "local", "name": "ok", "visibility": "public", "hardware": "cpu"}
    assert api.post("/models", json={**good, "owner": "someone"}).status_code == 403
    assert api.post("/models", json={**good, "name": "Bad Name!"}).status_code == 422
    assert api.post("/models", json={**good, "visibility": "secret"}).status_code == 422
    assert api.post("/models", json={**good, "hardware": "tpu"}).status_code == 422
    assert api.post("/models", json={"owner": "local"}).status_code == 422
    assert api.patch("/models/demo/sleep", json={"description": "x"}).status_code == 403
    assert api.patch("/models/demo/sleep", json={"stars": 5}).status_code == 422
    assert api.delete("/models/demo/sleep").status_code == 403
    assert api.get("/models/nobody/nothing").status_code == 404


def test_versions_of_own_models_can_be_deleted(api: httpx.Client) -> None:
    api.post("/models", json={"owner": "local", "name": "target", "visibility": "private", "hardware": "cpu"})
    version = api.get("/models/demo/fractal").json()["latest_version"]["id"]
    training = api.post(
        f"/models/demo/fractal/versions/{version}/trainings",
        json={"destination": "local/target", "input": {"steps": 1}},
        headers={"Prefer": "wait"},
    ).json()
    from .helpers import wait_for_status

    done = wait_for_status(api, f"/trainings/{training['id']}")
    new_id = done["output"]["version"].split(":")[1]
    assert api.delete("/models/local/target").status_code == 409  # it has a version
    assert api.delete(f"/models/local/target/versions/{new_id}").status_code == 202
    assert api.get("/models/local/target/versions").json()["results"] == []
    assert api.delete("/models/local/target").status_code == 204


def test_examples_and_readmes_of_demo_models(api: httpx.Client) -> None:
    assert api.get("/models/demo/sleep/examples").json()["results"] == []
    api.post("/models/demo/sleep/predictions", json={"input": {"seconds": 0}}, headers={"Prefer": "wait"})
    examples = api.get("/models/demo/sleep/examples").json()["results"]
    assert len(examples) == 1 and examples[0]["status"] == "succeeded"
    assert api.get("/models/demo/sleep").json()["default_example"]["id"] == examples[0]["id"]
    assert "Waits for the given number of seconds" in api.get("/models/demo/sleep/readme").text


def test_query_models_searches_with_a_text_body(api: httpx.Client) -> None:
    response = api.request("QUERY", "/models", content="fractal", headers={"content-type": "text/plain"})
    assert response.status_code == 200
    assert [m["name"] for m in response.json()["results"]] == ["fractal"]
    assert api.request("QUERY", "/models", content="", headers={"content-type": "text/plain"}).status_code == 400


def test_search_finds_models_and_collections(server: LocalReplicate) -> None:
    with httpx.Client(base_url=server.url + "/v1", event_hooks={"response": [api_hook(server)]}) as client:
        result = client.get("/search", params={"query": "stream"}).json()  # no token needed
        assert result["query"] == "stream"
        assert [r["model"]["name"] for r in result["models"]] == ["stream-text"]
        assert result["pages"] == [] and isinstance(result["collections"], list)
        assert client.get("/search", params={"query": "demo", "limit": 2}).json()["collections"][0]["slug"] == "demo"
        assert client.get("/search").status_code == 400
        assert client.get("/search", params={"query": "x", "limit": 51}).status_code == 400


def test_unknown_routes_and_methods_are_problems(api: httpx.Client) -> None:
    missing = api.get("/nothing-here")
    assert missing.status_code == 404 and missing.json()["status"] == 404
    wrong_method = api.put("/predictions")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("application/problem+json")


def test_stats_count_requests_by_route_and_status(server: LocalReplicate, api: httpx.Client) -> None:
    server.reset_stats()
    api.get("/account")
    api.get("/models/demo/sleep")
    api.get("/models/demo/fractal")
    api.get("/predictions/nope")
    with httpx.Client() as plain:
        stats = plain.get(server.url + "/_local/stats").json()  # no auth, never counted
    assert stats["requests"] == {
        "GET /v1/account": 1,
        "GET /v1/models/{model_owner}/{model_name}": 2,
        "GET /v1/predictions/{prediction_id}": 1,
    }
    assert stats["responses_by_status"] == {"200": 3, "404": 1}
    assert stats["connections_opened"] >= 1
    assert server.stats()["requests"] == stats["requests"]
    with httpx.Client() as plain:
        reset = plain.post(server.url + "/_local/reset-stats").json()
    assert reset["requests"] == {} and server.stats()["predictions_created"] == 0


def test_connections_opened_counts_tcp_connections_not_requests(server: LocalReplicate) -> None:
    server.reset_stats()
    with validating_client(server) as keep_alive:
        for _ in range(5):
            keep_alive.get("/account")
    assert server.stats()["connections_opened"] == 1
    with validating_client(server) as closing:
        for _ in range(3):
            closing.get("/account", headers={"Connection": "close"})
    assert server.stats()["connections_opened"] == 4
    assert server.stats()["requests"]["GET /v1/account"] == 8


def test_web_urls_of_models_and_predictions_resolve(server: LocalReplicate, api: httpx.Client) -> None:
    model = api.get("/models/demo/sleep").json()
    prediction = api.post("/models/demo/sleep/predictions", json={"input": {"seconds": 0}}).json()
    with httpx.Client() as browser:
        assert browser.get(model["url"]).json()["name"] == "sleep"
        assert browser.get(prediction["urls"]["web"]).json()["id"] == prediction["id"]
        assert browser.get(server.url + "/_local/web/nobody/nothing").status_code == 404
        assert browser.get(server.url + "/_local/web/predictions/nothing").status_code == 404
