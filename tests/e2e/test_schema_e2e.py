"""Model schemas end to end: validation against the schemas the local server publishes, before anything is sent."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

import replicate_ext
from replicate_ext import FileOutput, InvalidArgumentError, InvalidInputError, UnprocessableEntityError
from replicate_ext.local import LocalReplicate

from .conftest import Api

pytestmark = pytest.mark.anyio

CREATES = ("POST /v1/predictions", "POST /v1/models/{model_owner}/{model_name}/predictions")

# Inputs of test/typed that the server refuses, and the problem the client finds in each before sending it.
BAD_INPUTS: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
    ({}, [("prompt", "missing")]),
    ({"prompt": None}, [("prompt", "missing")]),
    ({"prompt": ""}, [("prompt", "length")]),
    ({"prompt": "x" * 41}, [("prompt", "length")]),
    ({"prompt": "a", "promt": "b"}, [("promt", "unknown")]),
    ({"prompt": "a", "mode": "medium"}, [("mode", "choice")]),
    ({"prompt": "a", "steps": 11}, [("steps", "range")]),
    ({"prompt": "a", "steps": 2.5}, [("steps", "type")]),
    ({"prompt": "a", "steps": True}, [("steps", "type")]),
    ({"prompt": "a", "steps": "3"}, [("steps", "type")]),
    ({"prompt": "a", "strength": -0.1}, [("strength", "range")]),
    ({"prompt": "a", "code": "zz"}, [("code", "pattern")]),
    ({"prompt": "a", "flag": 1}, [("flag", "type")]),
    ({"prompt": "a", "images": "https://example.com/a.png"}, [("images", "type")]),
    ({"prompt": "a", "images": ["a.png"]}, [("images", "type")]),
    ({"prompt": 3, "steps": 0, "mode": "x"}, [("prompt", "type"), ("mode", "choice"), ("steps", "range")]),
]
GOOD_INPUTS: list[dict[str, Any]] = [
    {"prompt": "a"},
    {"prompt": "a", "mode": "slow", "steps": 10, "strength": 1, "code": "b2", "flag": True, "seed": None},
    {"prompt": "a", "steps": 3.0, "seed": 7, "images": None},
]


def creates(server: LocalReplicate) -> int:
    """Create requests the server has seen, and predictions it has created."""
    stats = server.stats()
    requests: dict[str, int] = stats["requests"]
    return sum(requests.get(route, 0) for route in CREATES) + int(stats["predictions_created"])


async def test_a_bad_input_creates_nothing_with_validate_input(
    api: Api, client: replicate_ext.Client, server: LocalReplicate
) -> None:
    before = creates(server)
    with pytest.raises(InvalidInputError) as caught:
        await api(client, "run", "demo/fractal", input={"promt": "sea", "width": 5000}, validate_input=True)
    assert [(p.name, p.code) for p in caught.value.problems] == [("promt", "unknown"), ("width", "range")]
    assert "did you mean 'prompt'?" in str(caught.value) and "Valid inputs: prompt, width, height, seed" in str(
        caught.value
    )
    version = client.models.get("demo/fractal").latest_version
    assert version is not None
    for ref in (f"demo/fractal:{version.id}", version):
        with pytest.raises(InvalidInputError):
            await api(client, "run", ref, input={"width": 8}, validate_input=True)
    assert creates(server) == before


async def test_a_good_input_runs_with_validate_input(api: Api, client: replicate_ext.Client) -> None:
    output = await api(client, "run", "demo/fractal", input={"width": 16, "height": 16}, validate_input=True)
    assert isinstance(output, FileOutput)
    words = await api(client, "run", "test/words", input={"count": 2}, validate_input=True)
    assert list(words) == ["word0", "word1"]  # the schema fetched for the check also tells the output is an iterator


async def test_no_file_is_uploaded_for_a_bad_input(
    api: Api, client: replicate_ext.Client, server: LocalReplicate, tmp_path: pathlib.Path
) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(1000))
    uploads = server.stats()["requests"].get("POST /v1/files", 0)
    before = creates(server)
    with pytest.raises(InvalidInputError, match="scale: 9 is greater than the maximum, 4"):
        await api(client, "run", "test/upscale", input={"image": image, "scale": 9}, validate_input=True,
                  file_encoding_strategy="url")  # fmt: skip
    assert server.stats()["requests"].get("POST /v1/files", 0) == uploads and creates(server) == before
    output = await api(client, "run", "test/upscale", input={"image": image, "scale": 2}, validate_input=True,
                       file_encoding_strategy="url")  # fmt: skip
    assert output.filename == "upscaled-x2.png"
    assert server.stats()["requests"]["POST /v1/files"] == uploads + 1


async def test_the_client_refuses_what_the_server_refuses(client: replicate_ext.Client, server: LocalReplicate) -> None:
    schema = client.models.schema("test/typed")
    for bad, expected in BAD_INPUTS:
        assert [(p.name, p.code) for p in schema.problems(bad)] == expected, bad
        with pytest.raises(UnprocessableEntityError):  # sent without the check, the server refuses it as well
            client.predictions.create(model="test/typed", input=bad)
    for good in GOOD_INPUTS:
        assert schema.problems(good) == ()
        output = client.run("test/typed", input=good, validate_input=True)
        assert output["prompt"] == "a" and output["steps"] == good.get("steps", 4)


async def test_files_in_a_list_input_are_checked_and_sent(client: replicate_ext.Client) -> None:
    output = await client.async_run(
        "test/typed", {"prompt": "a", "images": [b"abc", pathlib.Path(__file__)]}, validate_input=True
    )
    assert output["sizes"] == [3, pathlib.Path(__file__).stat().st_size]


async def test_text_coerced_by_the_published_schema_runs(client: replicate_ext.Client) -> None:
    schema = await client.models.async_schema("test/typed")
    assert [f.name for f in schema.inputs] == ["prompt", "mode", "steps", "strength", "code", "flag", "seed", "images"]
    assert schema.input("mode").choices == ("fast", "slow") and schema.input("images").is_file_list
    assert schema.input("seed").nullable and not schema.input("seed").required and schema.required == ("prompt",)
    values = schema.coerce(
        {"prompt": "a", "steps": "7", "strength": "0.25", "flag": "yes", "seed": "null"}, validate=True
    )
    output = await client.async_run("test/typed", values)
    assert (output["steps"], output["strength"], output["seed"]) == (7, 0.25, None)


async def test_stream_checks_the_input_first(client: replicate_ext.Client, server: LocalReplicate) -> None:
    before = creates(server)
    with pytest.raises(InvalidInputError, match="max_tokens"):
        client.stream("demo/stream-text", {"prompt": "a b", "max_tokens": 0}, validate_input=True)
    with pytest.raises(InvalidInputError, match="max_tokens"):
        async for _ in client.async_stream("demo/stream-text", {"max_tokens": "3"}, validate_input=True):
            pass
    assert creates(server) == before
    text = "".join(str(event) for event in client.stream("demo/stream-text", {"prompt": "a b", "max_tokens": 2},
                                                         validate_input=True))  # fmt: skip
    assert text.strip()


async def test_versions_from_the_server_validate_inputs(
    api: Api, client: replicate_ext.Client, server: LocalReplicate
) -> None:
    model = await api(client.models, "get", "demo/fractal")
    model.validate_input({"prompt": "sea", "width": 64})
    version = await api(model.versions, "get", model.latest_version.id)
    version.validate_input({"seed": 3})
    with pytest.raises(InvalidInputError) as caught:
        version.validate_input({"seed": -1, "height": 2000, "colour": "red"})
    assert [(p.name, p.code) for p in caught.value.problems] == [
        ("colour", "unknown"), ("height", "range"), ("seed", "range"),
    ]  # fmt: skip
    assert version.schema.output.kind == "file"
    before = creates(server)
    with pytest.raises(InvalidInputError, match="seed"):
        await api(version, "predict", validate_input=True, seed=-1)
    assert creates(server) == before
    assert isinstance(await api(version, "predict", validate_input=True, width=16, height=16), FileOutput)
    stream_model = await api(client.models, "get", "demo/stream-text")
    assert stream_model.schema.output.kind == "text stream"


async def test_a_bare_version_id_cannot_be_checked(client: replicate_ext.Client, server: LocalReplicate) -> None:
    version = client.models.get("test/echo").latest_version
    assert version is not None
    before = creates(server)
    with pytest.raises(InvalidArgumentError, match="owner/name:version"):
        client.run(version.id, {"text": "hi"}, validate_input=True)
    assert creates(server) == before
    assert client.run(version.id, {"text": "hi"}) == {"text": "hi", "number": 0}


async def test_the_schema_is_fetched_once_per_version(client: replicate_ext.Client, server: LocalReplicate) -> None:
    version = client.models.get("test/echo").latest_version
    assert version is not None
    stats = server.stats()["requests"]
    gets = stats.get("GET /v1/models/{model_owner}/{model_name}/versions/{version_id}", 0)
    model_gets = stats.get("GET /v1/models/{model_owner}/{model_name}", 0)
    for _ in range(3):
        client.run(f"test/echo:{version.id}", {"text": "x"}, validate_input=True)
        client.run("test/echo", {"text": "x"}, validate_input=True)
    stats = server.stats()["requests"]
    assert stats["GET /v1/models/{model_owner}/{model_name}/versions/{version_id}"] == gets + 1
    assert stats["GET /v1/models/{model_owner}/{model_name}"] == model_gets + 1
