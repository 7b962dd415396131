"""Batch runs through the library API, against the local server."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import anyio
import pytest

import replicate_ext
from replicate_ext import batch
from replicate_ext.batch._journal import Journal
from replicate_ext.local import LocalReplicate

from ..receiver import Receiver
from .conftest import predictions_by_input, results
from .models import content

pytestmark = pytest.mark.anyio


def _key(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)


async def test_a_batch_saves_every_output_and_lists_every_input_in_order(
    server: LocalReplicate, client: replicate_ext.Client, tmp_path: Path
) -> None:
    inputs: list[Any] = [{"n": n, "size": 100 + n} for n in range(1000, 1030)]
    inputs += [dict(inputs[0]) for _ in range(3)]  # identical inputs: one prediction each, all alike
    inputs += [{"id": "named", "input": {"n": 1040}}, {"nope": 1}, "not an object", {"n": 1041, "size": -1}]
    seen: list[batch.Progress] = []
    summary = await batch.async_run("test/make", inputs, tmp_path, client=client, progress=seen.append)

    assert (summary.total, summary.succeeded, summary.skipped, summary.failed) == (37, 34, 3, 0)
    assert summary.complete and not summary.stopped and summary.predictions_created == 34
    lines = results(tmp_path)
    assert [line["id"] for line in lines] == [str(n) for n in range(1, 34)] + ["named", "35", "36", "37"]
    for line, given in zip(lines[:33], inputs[:33], strict=True):
        assert line["status"] == "succeeded" and line["input"] == given
        (file,) = line["files"]
        assert line["output"] == file["path"] == f"outputs/{line['id']}/out-{given['n']}.txt"
        assert (tmp_path / file["path"]).read_bytes() == content(given["n"], given["size"])
        assert file["size"] == given["size"] and file["url"].startswith("http")
        assert line["prediction"] and line["metrics"]["predict_time"] >= 0 and line["completed_at"]
    assert lines[33]["status"] == "succeeded" and (tmp_path / lines[33]["output"]).is_file()
    invalid = lines[34:]
    assert [line["status"] for line in invalid] == ["invalid"] * 3
    assert "nope" in invalid[0]["error"] and "JSON object" in invalid[1]["error"] and "size" in invalid[2]["error"]
    assert [problem[0] for problem in summary.problems] == ["35", "36", "37"]
    predictions = predictions_by_input(server, "test/make")
    assert predictions[_key(inputs[0])] == 4  # the item and its three twins
    assert all(predictions[_key(given)] == 1 for given in inputs[1:30])
    assert seen and seen[-1].done == 37 and seen[-1].total == 37
    assert [p.done for p in seen] == sorted(p.done for p in seen)

    # The same batch again: nothing to do, nothing created, the same results.
    before = (tmp_path / "results.jsonl").read_text()
    again = await batch.async_run("test/make", inputs, tmp_path, client=client)
    assert again.complete and again.created_this_run == 0 and again.predictions_created == 34
    assert (tmp_path / "results.jsonl").read_text() == before


async def test_files_inside_an_output_become_paths_next_to_their_urls(
    client: replicate_ext.Client, tmp_path: Path
) -> None:
    summary = await batch.async_run("test/pair", [{"n": 5}], tmp_path, client=client)
    assert summary.ok
    (line,) = results(tmp_path)
    assert line["output"] == {"files": ["outputs/1/a.txt", "outputs/1/b.txt"], "n": 5}
    assert [file["size"] for file in line["files"]] == [10, 20]
    assert (tmp_path / "outputs/1/b.txt").read_bytes() == content(6, 20)


async def test_a_directory_of_other_inputs_or_another_model_is_refused(
    client: replicate_ext.Client, tmp_path: Path
) -> None:
    inputs = [{"n": 1100}, {"n": 1101}]
    await batch.async_run("test/make", inputs, tmp_path, client=client)
    with pytest.raises(replicate_ext.BatchMismatchError, match="not what this batch was started with"):
        await batch.async_run("test/make", [*inputs, {"n": 1102}], tmp_path, client=client)
    with pytest.raises(replicate_ext.BatchMismatchError, match="not what this batch was started with"):
        await batch.async_run("test/make", [{"n": 1100}, {"n": 1199}], tmp_path, client=client)
    with pytest.raises(replicate_ext.BatchMismatchError, match="holds a batch of model test/make"):
        await batch.async_run("test/pair", inputs, tmp_path, client=client)
    with Journal.open(tmp_path, "model test/make"):  # as another process running it would
        with pytest.raises(replicate_ext.BatchInUseError, match="in use by another batch"):
            await batch.async_run("test/make", inputs, tmp_path, client=client)


async def test_failures_are_recorded_and_retried_only_when_asked(
    server: LocalReplicate, client: replicate_ext.Client, tmp_path: Path
) -> None:
    inputs = [{"key": "batch-a", "failures": 1}, {"key": "batch-b", "failures": 2}, {"key": "batch-c", "failures": 0}]
    summary = await batch.async_run("test/flaky", inputs, tmp_path, client=client)
    assert (summary.succeeded, summary.failed, summary.predictions_created) == (1, 2, 3)
    lines = results(tmp_path)
    assert [line["status"] for line in lines] == ["failed", "failed", "succeeded"]
    assert "attempt 1 for batch-a fails" in lines[0]["error"] and lines[0]["logs"] is not None
    assert summary.complete and not summary.ok

    # Resumed with retries: each failed item is created again (a new prediction each time) until it succeeds.
    summary = await batch.async_run("test/flaky", inputs, tmp_path, client=client, retry_failed=2)
    assert (summary.succeeded, summary.failed, summary.predictions_created) == (3, 0, 6)
    lines = results(tmp_path)
    assert [line["output"] for line in lines] == [
        "batch-a after 2 attempts", "batch-b after 3 attempts", "batch-c after 1 attempts"
    ]  # fmt: skip
    assert [line.get("attempts", 1) for line in lines] == [2, 3, 1]
    assert sum(predictions_by_input(server, "test/flaky")[_key(given)] for given in inputs) == 6


async def test_strict_stops_before_creating_anything(
    server: LocalReplicate, client: replicate_ext.Client, tmp_path: Path
) -> None:
    created = server.stats()["predictions_created"]
    inputs = [{"n": 1200}, [1, 2], {"id": "../x", "input": {}}]
    with pytest.raises(replicate_ext.InvalidItemsError) as caught:
        await batch.async_run("test/make", inputs, tmp_path, client=client, strict=True)
    assert caught.value.count == 2 and [p[0] for p in caught.value.problems] == ["2", "#3"]
    assert "cannot name a folder" in caught.value.problems[1][2]
    assert server.stats()["predictions_created"] == created
    # Nothing was started, so the directory takes the corrected inputs.
    summary = await batch.async_run("test/make", [{"n": 1200}], tmp_path, client=client, strict=True)
    assert summary.ok


async def test_creates_whose_answers_are_lost_are_found_not_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replicate_ext.batch import _schedule

    from .models import MODELS

    monkeypatch.setattr(_schedule, "SETTLE_SECONDS", 0.2)  # this server's listing is never behind
    # Every create is carried out and then its answer is lost one time in three (a 5xx or a dropped
    # connection). Twelve of the inputs are the same, so lost creates of one input are found together.
    faults = {"error_rate": 0.15, "reset_rate": 0.15, "fault_routes": ["create"], "seed": 4}
    with LocalReplicate(models=MODELS, demo_models=False, workers=16, faults=faults, page_size=10) as server:
        inputs = [{"n": 1300 + n} for n in range(48)] + [{"n": 1399}] * 12
        async with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
            summary = await batch.async_run("test/make", inputs, tmp_path, client=client, concurrency=8)
        stats = server.stats()
        server.set_faults()
        predictions = predictions_by_input(server, "test/make")
    assert stats["faults"]["errors"] + stats["faults"]["resets"] >= 10
    assert summary.ok and stats["predictions_created"] == 60 == summary.predictions_created
    assert summary.created_this_run == 60  # found by listing, but made by this run's creates
    assert predictions[_key({"n": 1399})] == 12
    assert all(line["status"] == "succeeded" for line in results(tmp_path))


async def test_an_item_put_back_after_its_lost_create_was_looked_for_is_created_in_the_same_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replicate_ext.batch import _runner, _schedule

    from .models import MODELS

    monkeypatch.setattr(_schedule, "SETTLE_SECONDS", 0.0)
    # A run that was killed after recording its create, before sending it: the next run looks for the prediction.
    inputs = [{"n": 7100}]
    with Journal.open(tmp_path, "model test/make") as journal:
        _runner._record_inputs(journal, inputs, format=None, coerce=None, validate=None, strict=False)
        assert [claimed.seq for claimed in journal.claim(1)] == [0]
    with LocalReplicate(models=MODELS, demo_models=False, faults={"rate_limit": {"create": 1}}) as server:
        async with replicate_ext.Client(
            api_token=server.token, base_url=server.url, retry=replicate_ext.NO_RETRIES
        ) as client:
            await client.predictions.async_create(model="test/make", input={"n": 7199})  # the limit for a second
            # Nothing is found; the create that follows is turned away (429) and the item put back: it is taken
            # again, and created once the limit allows, while nothing else was left to run.
            summary = await batch.async_run("test/make", inputs, tmp_path, client=client)
        stats = server.stats()
    assert stats["faults"]["rate_limited"] >= 1
    assert summary.ok and summary.predictions_created == 1 == summary.created_this_run
    assert stats["predictions_created"] == 2


async def test_when_no_create_reaches_the_api_the_run_stops_and_resumes_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replicate_ext.batch import _schedule

    from .models import MODELS

    monkeypatch.setattr(_schedule, "SETTLE_SECONDS", 0.0)
    inputs = [{"n": 7200}, {"n": 7201}]
    # An outage: every create is answered with a 5xx before the API does anything. Each looks like a create
    # whose answer was lost, and none is ever found: the run gives up instead of trying forever.
    outage = {"error_rate": 1.0, "fault_timing": "before", "fault_routes": ["create"]}
    with LocalReplicate(models=MODELS, demo_models=False, faults=outage) as server:
        async with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
            with anyio.fail_after(20), pytest.raises(replicate_ext.ServerError):
                await batch.async_run("test/make", inputs, tmp_path, client=client)
            assert server.stats()["faults"]["errors"] >= 8
            server.set_faults()
            summary = await batch.async_run("test/make", inputs, tmp_path, client=client)
        assert summary.ok and summary.predictions_created == 2 == server.stats()["predictions_created"]


def test_run_from_sync_code(server: LocalReplicate, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text('{"n": 1400}\n\n{"id": "x", "input": {"n": 1401}}\nnot json\n', encoding="utf-8")
    with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
        summary = batch.run("test/make", inputs, tmp_path / "out", client=client)
    assert (summary.succeeded, summary.skipped) == (2, 1)
    lines = results(tmp_path / "out")
    assert [(line["id"], line["line"], line["status"]) for line in lines] == [
        ("1", 1, "succeeded"), ("x", 3, "succeeded"), ("3", 4, "invalid")
    ]  # fmt: skip
    assert "not a JSON value" in lines[2]["error"] and lines[2]["raw"] == "not json"


async def test_progress_reports_show_items_running_and_the_end(client: replicate_ext.Client, tmp_path: Path) -> None:
    reports: list[batch.Progress] = []
    with anyio.fail_after(30):
        summary = await batch.async_run(
            "test/slow", [{"n": n, "seconds": 0.3} for n in range(6)], tmp_path, client=client, concurrency=3,
            progress=reports.append,
        )  # fmt: skip
    assert summary.ok and summary.predict_time >= 6 * 0.3
    assert any(report.running for report in reports) and reports[-1].done == 6 and reports[-1].eta == 0


async def test_csv_values_are_typed_by_the_schema_and_checked_before_anything_is_created(
    server: LocalReplicate, client: replicate_ext.Client, tmp_path: Path
) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("n,size,fail\n5000,10,false\n5001,ten,\n\n5002,,\n5003,3,yes\n5004,2000000,no\n", encoding="utf-8")
    created = server.stats()["predictions_created"]
    summary = await batch.async_run("test/make", rows, tmp_path / "out", client=client)
    lines = results(tmp_path / "out")
    assert [(line["line"], line["status"]) for line in lines] == [
        (2, "succeeded"), (3, "invalid"), (5, "succeeded"), (6, "failed"), (7, "invalid")
    ]  # fmt: skip
    assert lines[0]["input"] == {"n": 5000, "size": 10, "fail": False}
    assert lines[2]["input"] == {"n": 5002} and (tmp_path / "out" / lines[2]["output"]).read_bytes() == content(
        5002, 64
    )
    assert lines[1]["error"].startswith("size: ") and lines[1]["raw"] == "n=5001, size=ten"
    assert "maximum" in lines[4]["error"] and "fails on purpose" in lines[3]["error"]
    # The invalid rows were never sent: three predictions, not five.
    assert server.stats()["predictions_created"] - created == 3 == summary.predictions_created
    assert (summary.succeeded, summary.failed, summary.skipped) == (2, 1, 2)


async def test_the_inputs_of_a_bare_version_id_are_checked_by_the_api_and_the_user_is_told(
    server: LocalReplicate, client: replicate_ext.Client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = await client.models.async_get("test/make")
    assert model.latest_version is not None
    version = model.latest_version.id
    summary = await batch.async_run(version, [{"n": 8000}, {"n": 8001, "size": -1}], tmp_path, client=client)
    assert "not checked before the batch starts" in caplog.text and f"'owner/name:{version}'" in caplog.text
    assert (summary.succeeded, summary.skipped, summary.predictions_created) == (1, 1, 1)  # the API refused one
    assert "size" in results(tmp_path)[1]["error"]


async def test_a_deployment_runs_the_batch(
    server: LocalReplicate, client: replicate_ext.Client, tmp_path: Path
) -> None:
    model = await client.models.async_get("test/make")
    assert model.latest_version is not None
    deployment = await client.deployments.async_create(
        name="batch-make", model="test/make", version=model.latest_version.id, hardware="cpu",
        min_instances=0, max_instances=1,
    )  # fmt: skip
    name = f"{deployment.owner}/{deployment.name}"
    summary = await batch.async_run(
        None, [{"n": 6000}, {"n": 6001, "size": -5}], tmp_path, deployment=name, client=client
    )
    assert (summary.succeeded, summary.skipped) == (1, 1)  # the deployment's schema checked the second input
    (line, invalid) = results(tmp_path)
    prediction = await client.predictions.async_get(line["prediction"])
    assert prediction.deployment == name and (tmp_path / line["output"]).read_bytes() == content(6000, 64)
    assert "size" in invalid["error"]
    with pytest.raises(replicate_ext.BatchMismatchError, match=f"holds a batch of deployment {name}"):
        await batch.async_run("test/make", [{"n": 6000}], tmp_path, client=client)


async def test_an_output_that_could_not_be_saved_is_saved_when_the_batch_is_resumed(
    server: LocalReplicate, client: replicate_ext.Client, receiver: Receiver, tmp_path: Path
) -> None:
    inputs = [{"url": f"{receiver.url}/late.bin"}]
    first = await batch.async_run("test/link", inputs, tmp_path, client=client)
    (line,) = results(tmp_path)
    assert first.errors == 1 and not first.ok and line["status"] == "error" and "could not be saved" in line["error"]
    receiver.files["/late.bin"] = b"here now"
    again = await batch.async_run("test/link", inputs, tmp_path, client=client)
    (line,) = results(tmp_path)
    assert again.ok and again.predictions_created == 1 and again.created_this_run == 0
    assert line["output"] == "outputs/1/late.bin" and (tmp_path / "outputs/1/late.bin").read_bytes() == b"here now"


async def test_a_stop_does_not_wait_for_the_turn_of_paced_creates(client: replicate_ext.Client, tmp_path: Path) -> None:
    # One create every 30 s: the second item waits its turn when Ctrl-C comes, and is put back at once.
    stopped = False

    def interrupt(progress: batch.Progress) -> None:
        nonlocal stopped
        if progress.done and not stopped:
            stopped = True
            os.kill(os.getpid(), signal.SIGINT)  # the batch handles it (the first Ctrl-C stops creating)

    with anyio.fail_after(20):
        summary = await batch.async_run(
            "test/make", [{"n": 7000}, {"n": 7001}], tmp_path, client=client, rate="2/m", progress=interrupt
        )
    assert stopped and summary.stopped and not summary.complete
    assert (summary.succeeded, summary.unfinished, summary.predictions_created) == (1, 1, 1)
    assert [line["status"] for line in results(tmp_path)] == ["succeeded", "pending"]
