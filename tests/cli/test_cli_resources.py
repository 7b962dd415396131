"""The resource commands end to end: models, trainings, deployments, files, hardware, account, webhooks, serve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import replicate_ext
from replicate_ext.local import LocalReplicate

from .conftest import cli


def _json(server: LocalReplicate, *args: str) -> Any:
    result = cli(server, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _lines(server: LocalReplicate, *args: str) -> list[Any]:
    result = cli(server, *args, "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_models(server: LocalReplicate, client: replicate_ext.Client) -> None:
    model = _json(server, "models", "get", "demo/fractal")
    assert model == client.models.get("demo/fractal").to_dict()
    record = cli(server, "models", "get", "demo/fractal").stdout.splitlines()
    assert record[0] == "model: demo/fractal" and f"latest_version: {model['latest_version']['id']}" in record
    listed = _lines(server, "models", "list", "--limit", "2")
    assert len(listed) == 2 and all("owner" in item for item in listed)
    rows = cli(server, "models", "search", "fractal").stdout.splitlines()
    assert rows and rows[0].split("\t")[0] == "demo/fractal"

    created = _json(server, "models", "create", "local/cli-made", "--visibility", "private", "--hardware", "cpu",
                    "--description", "made by the CLI")  # fmt: skip
    assert created["owner"] == "local" and created["description"] == "made by the CLI"
    deleted = cli(server, "models", "delete", "local/cli-made")
    assert deleted.returncode == 0 and deleted.stdout == ""
    assert cli(server, "models", "get", "local/cli-made").returncode == 3
    bad = cli(server, "models", "create", "nameonly", "--visibility", "private", "--hardware", "cpu")
    assert bad.returncode == 2 and "OWNER/NAME" in bad.stderr


def test_model_schema(server: LocalReplicate, client: replicate_ext.Client) -> None:
    assert _json(server, "models", "schema", "test/echo") == client.models.schema("test/echo").to_dict()
    lines = cli(server, "models", "schema", "test/echo").stdout.splitlines()
    assert lines == [
        "input\ttext\tstring\t\t\tReturned as it came",
        "input\tcount\tinteger\t1\t1 to 10\tHow many times",
        "input\tmode\tstring\tfast\tfast, slow\tA choice",
        "input\tratio\tnumber\t0.5\t\t",
        "input\tloud\tboolean\tfalse\t\t",
        "output\tobject",
    ]
    version = _json(server, "models", "get", "demo/stream-text")["latest_version"]["id"]
    streamed = cli(server, "models", "schema", f"demo/stream-text:{version}").stdout.splitlines()
    assert streamed[-1] == "output\ttext stream" and streamed[0].startswith("input\tprompt\tstring\tHello")
    required = cli(server, "models", "schema", "test/file-info").stdout.splitlines()
    assert required[0] == "input\tfile\tfile\t(required)\t\t"


def test_trainings(server: LocalReplicate) -> None:
    version = _json(server, "models", "get", "demo/fractal")["latest_version"]["id"]
    trainer = f"demo/fractal:{version}"
    _json(server, "models", "create", "local/my-fractal", "--visibility", "private", "--hardware", "cpu")
    trained = cli(server, "trainings", "create", trainer, "--destination", "local/my-fractal", "colors=#000000,#ffffff",
                  "steps=2", "--wait", "--json")  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    training = json.loads(trained.stdout)
    assert training["status"] == "succeeded" and training["input"] == {"colors": "#000000,#ffffff", "steps": 2}
    assert training["output"]["version"].startswith("local/my-fractal:")

    started = _json(server, "trainings", "create", trainer, "--destination", "local/my-fractal", "steps=20")
    canceled = _json(server, "trainings", "cancel", started["id"])
    assert canceled["id"] == started["id"]
    assert _json(server, "trainings", "get", training["id"])["status"] == "succeeded"
    assert [item["id"] for item in _lines(server, "trainings", "list", "--limit", "2")] == [
        started["id"],
        training["id"],
    ]
    rows = cli(server, "trainings", "list", "--limit", "1").stdout.splitlines()
    assert rows[0].startswith(f"{started['id']}\tdemo/fractal\t")
    unversioned = cli(server, "trainings", "create", "demo/fractal", "--destination", "local/x")
    assert unversioned.returncode == 2 and "owner/name:VERSION" in unversioned.stderr


def test_deployments(server: LocalReplicate, client: replicate_ext.Client) -> None:
    version = _json(server, "models", "get", "demo/fractal")["latest_version"]["id"]
    created = _json(server, "deployments", "create", "cli-fractal", "--model", "demo/fractal", "--version", version,
                    "--hardware", "cpu", "--max-instances", "2")  # fmt: skip
    assert created["current_release"]["configuration"] == {"hardware": "cpu", "min_instances": 0, "max_instances": 2}
    name = f"{created['owner']}/cli-fractal"
    assert _json(server, "deployments", "get", name) == client.deployments.get(name).to_dict()
    updated = _json(server, "deployments", "update", name, "--max-instances", "3")
    assert updated["current_release"]["number"] == 2
    assert updated["current_release"]["configuration"]["max_instances"] == 3
    assert name in [item["owner"] + "/" + item["name"] for item in _lines(server, "deployments", "list")]
    row = next(line for line in cli(server, "deployments", "list").stdout.splitlines() if line.startswith(name))
    assert row.split("\t")[1:] == ["2", f"demo/fractal:{version[:12]}", "cpu", "0-3"]
    assert cli(server, "deployments", "delete", name).returncode == 0
    assert cli(server, "deployments", "get", name).returncode == 3


def test_files(server: LocalReplicate, tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("hello from the command line\n")
    uploaded = _json(server, "files", "upload", str(source), "--metadata", '{"purpose": "test"}')
    assert uploaded["name"] == "notes.txt" and uploaded["size"] == source.stat().st_size
    assert uploaded["metadata"] == {"purpose": "test"}
    assert _json(server, "files", "get", uploaded["id"])["id"] == uploaded["id"]
    assert uploaded["id"] in [item["id"] for item in _lines(server, "files", "list")]
    target = tmp_path / "down"
    target.mkdir()
    downloaded = cli(server, "files", "download", uploaded["id"], "-o", str(target))
    assert downloaded.returncode == 0 and downloaded.stdout == f"{target / 'notes.txt'}\n"
    assert (target / "notes.txt").read_bytes() == source.read_bytes()
    assert cli(server, "files", "delete", uploaded["id"]).returncode == 0
    assert cli(server, "files", "get", uploaded["id"]).returncode == 3
    assert cli(server, "files", "upload", str(tmp_path / "missing.txt")).returncode == 2
    assert cli(server, "files", "upload", str(source), "--metadata", "[1]").returncode == 2


def test_hardware_account_webhooks_and_serve(server: LocalReplicate, client: replicate_ext.Client) -> None:
    hardware = _lines(server, "hardware", "list")
    assert {"sku": "cpu", "name": "CPU"} in hardware
    assert "cpu\tCPU" in cli(server, "hardware", "list").stdout.splitlines()
    assert _json(server, "account")["username"] == "local"
    assert cli(server, "account").stdout.splitlines()[0] == "username: local"
    secret = cli(server, "webhooks", "secret")
    assert secret.returncode == 0 and secret.stdout == f"{client.webhooks.default.secret().key}\n"
    served = cli(None, "serve", "--help")
    assert served.returncode == 0 and "--models" in served.stdout and "--port" in served.stdout


def test_files_list_with_a_limit_reads_only_the_pages_it_shows() -> None:
    with LocalReplicate(demo_models=False, page_size=1) as small_pages:
        with replicate_ext.Client(api_token=small_pages.token, base_url=small_pages.url) as client:
            uploaded = [client.files.create(f"file {n}".encode(), filename=f"f{n}.txt").id for n in range(3)]
        small_pages.reset_stats()
        assert [item["id"] for item in _lines(small_pages, "files", "list", "--limit", "2")] == uploaded[::-1][:2]
        assert small_pages.stats()["requests"] == {"GET /v1/files": 2}
        assert len(_lines(small_pages, "files", "list")) == 3
