"""`replicate-ext batch` (and `python -m replicate_ext.batch`) as a real process: killed with SIGKILL and resumed,
interrupted, refused."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import replicate_ext
from replicate_ext.batch._journal import Journal
from replicate_ext.local import LocalReplicate

from .conftest import predictions_by_input, results
from .models import MODELS, content

# The console script the package installs, next to the interpreter running the tests.
CLI = str(Path(sys.executable).parent / "replicate-ext")


def command(server: LocalReplicate, *args: str, module: bool = False) -> tuple[list[str], dict[str, str]]:
    """`replicate-ext batch ARGS` (or `python -m replicate_ext.batch ARGS`), and its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLICATE_") and k not in ("NO_COLOR", "TERM")}
    env |= {"REPLICATE_API_TOKEN": server.token, "REPLICATE_BASE_URL": server.url}
    program = [sys.executable, "-m", "replicate_ext.batch"] if module else [CLI, "batch"]
    return [*program, *args], env


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def counts(directory: Path, target: str) -> dict[str, int]:
    with Journal.open(directory, target) as journal:
        return journal.counts()


@pytest.fixture
def faulty_server() -> Iterator[LocalReplicate]:
    # Errors and dropped connections on every route (after the work is done: a create happens and its answer is
    # lost), and a rate limit on creates.
    faults = {"error_rate": 0.04, "reset_rate": 0.04, "rate_limit": {"create": 40}, "seed": 12}
    with LocalReplicate(models=MODELS, demo_models=False, workers=32, faults=faults) as server:
        yield server


def test_killed_with_sigkill_again_and_again_then_resumed_each_item_is_created_once(
    faulty_server: LocalReplicate, tmp_path: Path
) -> None:
    items = 300
    inputs = write_jsonl(
        tmp_path / "inputs.jsonl", [{"id": f"item-{n}", "input": {"n": n, "size": 200 + n}} for n in range(items)]
    )
    out = tmp_path / "out"
    args, env = command(faulty_server, "test/make", str(inputs), "--out", str(out), "--json")
    rng = random.Random(7)
    rounds: list[str] = []
    for _ in range(4):
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        delay = rng.uniform(1.0, 2.5)
        try:
            process.wait(delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert process.stderr is not None
        stderr = process.stderr.read().decode()
        process.stderr.close()
        assert "Traceback" not in stderr, stderr
        if out.joinpath("journal.sqlite").exists():
            rounds.append(f"killed after {delay:.2f} s: {counts(out, 'model test/make')}")
    final = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    summary = json.loads(final.stdout)
    stats = faulty_server.stats()
    faulty_server.set_faults()
    predictions = predictions_by_input(faulty_server, "test/make")
    print(f"\nkill and resume | {'; '.join(rounds)}")
    print(
        f"kill and resume | final run: {summary['succeeded']} succeeded, {summary['created_this_run']} created by it;"
        f" {summary['predictions_created']} predictions for {items} items; server: {stats['predictions_created']}"
        f" created, faults {stats['faults']}"
    )
    assert summary["complete"] and summary["succeeded"] == items == summary["predictions_created"]
    assert stats["predictions_created"] == items  # exactly one prediction per item, whatever happened
    assert sorted(predictions.values()) == [1] * items
    assert stats["faults"]["errors"] and stats["faults"]["resets"] and stats["faults"]["rate_limited"]
    lines = results(out)
    assert [line["id"] for line in lines] == [f"item-{n}" for n in range(items)]
    for n, line in enumerate(lines):
        assert line["status"] == "succeeded"
        assert (out / line["output"]).read_bytes() == content(n, 200 + n)
    assert not list(out.glob("outputs/*/.*.part"))


def _wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_ctrl_c_stops_creating_waits_for_the_running_and_resumes(server: LocalReplicate, tmp_path: Path) -> None:
    inputs = write_jsonl(tmp_path / "slow.jsonl", [{"n": 2000 + n, "seconds": 0.8} for n in range(12)])
    out = tmp_path / "out"
    args, env = command(server, "test/slow", str(inputs), "--out", str(out), "--concurrency", "4", "--json")
    created = server.stats()["predictions_created"]
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: server.stats()["predictions_created"] - created >= 2)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "no more predictions will be created" in stderr and "Traceback" not in stderr
    summary = json.loads(stdout)
    assert summary["stopped"] and not summary["complete"]
    assert 2 <= summary["succeeded"] <= 8 and summary["unfinished"] == 12 - summary["succeeded"]
    with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
        statuses = [p.status for p in client.predictions.list().results if p.model == "test/slow"]
    assert statuses and "processing" not in statuses and "starting" not in statuses  # waited for, not left

    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["predictions_created"] == 12
    assert server.stats()["predictions_created"] - created == 12
    assert [line["output"] for line in results(out)] == [2000 + n for n in range(12)]


def test_ctrl_c_with_cancel_on_exit_cancels_the_running(server: LocalReplicate, tmp_path: Path) -> None:
    inputs = write_jsonl(tmp_path / "slow.jsonl", [{"n": 3000 + n, "seconds": 2.5} for n in range(3)])
    out = tmp_path / "out"
    args, env = command(server, "test/slow", str(inputs), "--out", str(out), "--cancel-on-exit")
    created = server.stats()["predictions_created"]
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: server.stats()["predictions_created"] - created >= 3)
    # Canceled as soon as the creates answer (their ids are known when the API stops holding them).
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "canceling the" in stderr and "stopped" in stdout
    assert counts(out, "model test/slow") == {"pending": 3}  # to be run again

    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    with replicate_ext.Client(api_token=server.token, base_url=server.url) as client:
        mine = [p for p in client.predictions.list().results if p.model == "test/slow" and (p.input or {})["n"] >= 3000]
    assert sorted(p.status for p in mine) == ["canceled"] * 3 + ["succeeded"] * 3
    assert [line["output"] for line in results(out)] == [3000, 3001, 3002]


def test_invalid_inputs_are_reported_with_their_lines(server: LocalReplicate, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text('{"n": 4000}\n{"n": "four"}\n[1]\n{"n": 4001}\n', encoding="utf-8")
    args, env = command(server, "test/make", str(inputs), "--out", str(tmp_path / "strict"), "--strict", module=True)
    strict = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert strict.returncode == 2 and "nothing was created" in strict.stderr
    assert "line 3 (item 3): an input must be a JSON object" in strict.stderr
    assert not (tmp_path / "strict" / "journal.sqlite").exists()

    args, env = command(server, "test/make", str(inputs), "--out", str(tmp_path / "lax"), module=True)
    lax = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert lax.returncode == 1, lax.stderr
    assert "skipped line 3 (item 3)" in lax.stderr and "2 succeeded, 0 failed, 2 skipped of 4 items" in lax.stdout
    # The API refused item 2 (a string for an integer): reported, never created again.
    assert [line["status"] for line in results(tmp_path / "lax")] == ["succeeded", "invalid", "invalid", "succeeded"]
    assert predictions_by_input(server, "test/make")[json.dumps({"n": "four"})] == 0

    args, env = command(server, "test/make", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "x"))
    missing = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no such file" in missing.stderr
