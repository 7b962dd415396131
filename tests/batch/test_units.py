"""The batch's pure parts: reading inputs, naming targets, matching lost creates, deciding what comes next."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from replicate_ext.batch._inputs import Fingerprint, input_key, read_items
from replicate_ext.batch._schedule import (
    CLOCK_MARGIN,
    CreateGate,
    Listed,
    Lost,
    Pacer,
    Target,
    logs_tail,
    match_lost,
    next_step,
    parse_rate,
    poll_interval,
)
from replicate_ext.batch._summary import Summary


def test_jsonl_lines_become_items_with_ids_lines_and_problems(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"prompt": "a"}\n\n{"id": "cat", "input": {"prompt": "b"}}\n{"id": 7, "input": {}}\n[1]\n{oops\n'
        '{"id": "cat", "input": {}}\n{"id": "a/b", "input": {}}\n{"id": "x", "input": 3}\n{"id": "x", "other": 1}\n'
        '{"x": NaN}\n',
        encoding="utf-8",
    )
    items = list(read_items(path))
    assert [(i.id, i.line, i.problem is None) for i in items] == [
        ("1", 1, True), ("cat", 3, True), ("7", 4, True), ("4", 5, False), ("5", 6, False), ("cat", 7, False),
        ("#7", 8, False), ("x", 9, False), ("9", 10, True), ("10", 11, False),
    ]  # fmt: skip
    assert items[1].input == {"prompt": "b"} and items[8].input == {"id": "x", "other": 1}  # not the wrapped form
    assert "JSON object" in (items[3].problem or "") and "not a JSON value" in (items[4].problem or "")
    assert items[4].raw == "{oops" and "used by an earlier item" in (items[5].problem or "")
    assert "cannot name a folder" in (items[6].problem or "") and "'input' must be" in (items[7].problem or "")
    assert "NaN" in (items[9].problem or "")


def test_library_inputs_must_be_json_data() -> None:
    items = list(read_items([{"file": Path("x.png")}, {"ok": [1, 2.5, None]}, b"raw"]))
    assert "not JSON data" in (items[0].problem or "") and "URLs or data URIs" in (items[0].problem or "")
    assert items[1].problem is None and "bytes" in (items[2].problem or "")
    with pytest.raises(TypeError, match="iterable of input objects"):
        list(read_items({"prompt": "one input, not a list"}))


def test_csv_rows_are_coerced_and_bad_rows_reported(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('prompt,steps\n"a, b",3\n,\nc,x\nd,1,extra\n', encoding="utf-8")

    def coerce(values: dict[str, str]) -> dict[str, object]:
        if "steps" in values and not values["steps"].isdigit():
            raise ValueError("steps: not a number")
        return {k: int(v) if k == "steps" else v for k, v in values.items()}

    items = list(read_items(path, coerce=coerce))  # type: ignore[arg-type]
    assert [(i.line, i.input, i.problem) for i in items] == [
        (2, {"prompt": "a, b", "steps": 3}, None),
        (4, None, "steps: not a number"),
        (5, None, "the row has 3 values but the header names 2 inputs"),
    ]
    (tmp_path / "dup.csv").write_text("a,a\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="names an input twice"):
        list(read_items(tmp_path / "dup.csv"))


def test_a_byte_order_mark_is_not_part_of_the_first_input(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b"\xef\xbb\xbfprompt,steps\r\na,3\r\n")
    (tmp_path / "in.jsonl").write_bytes(b'\xef\xbb\xbf{"prompt": "a"}\n')
    assert [item.input for item in read_items(tmp_path / "in.csv")] == [{"prompt": "a", "steps": "3"}]
    assert [(item.input, item.problem) for item in read_items(tmp_path / "in.jsonl")] == [({"prompt": "a"}, None)]


def test_the_fingerprint_follows_the_entries_not_their_typing(tmp_path: Path) -> None:
    def digest(source: object, **options: object) -> str:
        fingerprint = Fingerprint()
        for _ in read_items(source, fingerprint=fingerprint, **options):  # type: ignore[arg-type]
            pass
        return fingerprint.hexdigest()

    assert digest([{"a": 1, "b": 2}]) == digest([{"b": 2, "a": 1}]) != digest([{"a": 1, "b": 3}])
    path = tmp_path / "in.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    assert digest(path) == digest(path, coerce=lambda values: {"a": int(values["a"])})


def test_inputs_are_the_same_whatever_their_key_order_and_number_spelling() -> None:
    assert input_key({"a": 1, "b": [2.0]}) == input_key({"b": [2], "a": 1.0})
    assert input_key({"a": True}) != input_key({"a": 1})
    assert input_key({"a": 0.5}) != input_key({"a": 1})


def test_targets_from_references() -> None:
    version = "a" * 64
    assert Target.parse("acme/model") == Target("model", "acme/model")
    assert Target.parse(f"acme/model:{version}") == Target("version", "acme/model", version)
    assert Target.parse(version) == Target("version", None, version)
    assert Target.parse(None, deployment="acme/dep") == Target("deployment", "acme/dep")
    assert str(Target.parse(version)) == f"version {version}"
    assert Target.parse(f"acme/model:{version}").create_arguments() == {"version": f"acme/model:{version}"}
    for bad in ("acme", "acme/model/x", "", "acme/mo del"):
        with pytest.raises(ValueError, match="not a model reference"):
            Target.parse(bad)
    with pytest.raises(ValueError, match="not both"):
        Target.parse("acme/model", deployment="acme/dep")
    with pytest.raises(ValueError, match="Say what to run"):
        Target.parse(None)


def test_which_predictions_ran_a_target() -> None:
    class P:
        def __init__(self, **fields: object) -> None:
            self.__dict__.update(fields)

    prediction = P(model="acme/model", version="v1", deployment="acme/dep")
    assert Target("model", "acme/model").runs(prediction) and Target("version", None, "v1").runs(prediction)
    assert Target("deployment", "acme/dep").runs(prediction) and not Target("model", "acme/other").runs(prediction)


def test_rates_and_polls() -> None:
    assert parse_rate("5/s") == 5 and parse_rate("300/m") == 5 and parse_rate(2) == 2 and parse_rate(None) is None
    for bad in ("0", "-1/s", "fast", "5/d"):
        with pytest.raises(ValueError):
            parse_rate(bad)
    assert poll_interval(32, 0.2) == 1.6 and poll_interval(1, 0.2) == 0.2
    pacer = Pacer(10, concurrency=4, started=100.0)
    assert [pacer.reserve(100.0) for _ in range(3)] == pytest.approx([0, 0.1, 0.2])
    assert [pacer.window(100 + t) for t in (0, 0.15, 10)] == [1, 2, 4]
    assert Pacer(None, 4, 0).reserve(5) == 0


def _at(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(1_800_000_000 + seconds, datetime.UTC)


def test_lost_creates_take_unclaimed_predictions_of_their_input_oldest_first() -> None:
    lost = [Lost(1, "k", 1_800_000_010.0), Lost(2, "k", 1_800_000_011.0), Lost(3, "j", 1_800_000_012.0)]
    listed = [
        Listed("new", _at(13), "k"), Listed("taken", _at(12), "k"), Listed("old", _at(11), "k"),
        Listed("other", _at(12), "x"), Listed("ancient", _at(10) - CLOCK_MARGIN - datetime.timedelta(1), "k"),
    ]  # fmt: skip
    matches = match_lost(lost, listed, lambda id: id == "taken")
    assert matches == {1: "old", 2: "new"}  # item 3's create made nothing: it is created again


def test_each_key_is_looked_for_once_its_own_lost_creates_have_settled() -> None:
    gate = CreateGate()
    gate.sent("old")
    gate.lose(Lost(1, "old", 100.0))
    gate.sent("busy")
    gate.sent("busy")
    gate.lose(Lost(2, "busy", 100.0))  # another create of its input is still in flight
    # Losses keep coming: a newer one does not hold back the key that has settled.
    gate.sent("new")
    gate.lose(Lost(3, "new", 101.5))
    assert gate.due(102.5, settle=2.0) == (["old"], 103.5)
    assert gate.begin(["old"]) == [Lost(1, "old", 100.0)]
    assert gate.due(102.5, settle=2.0) == ([], 103.5)  # "old" is being looked for, "new" has not settled
    assert gate.due(103.5, settle=2.0) == (["new"], None)
    gate.answered("busy")
    assert gate.due(103.5, settle=2.0) == (["busy", "new"], None)


def test_what_follows_a_finished_prediction() -> None:
    assert next_step("succeeded", 1, 0, False) == "finish"
    assert next_step("failed", 1, 0, False) == "finish" and next_step("failed", 1, 2, False) == "retry"
    assert next_step("failed", 3, 2, False) == "finish"
    assert next_step("canceled", 1, 0, True) == "release" and next_step("canceled", 1, 0, False) == "finish"


def test_the_logs_tail_keeps_the_last_lines() -> None:
    logs = "\n".join(f"line {n}" for n in range(100)) + "\n"
    assert logs_tail(logs) == "\n".join(f"line {n}" for n in range(80, 100)) and logs_tail(None) is None


def test_the_summary_reads_well_and_as_json() -> None:
    summary = Summary(
        out_dir=Path("out"), results=Path("out/results.jsonl"), complete=False, stopped=True, total=10, succeeded=6,
        failed=1, canceled=0, skipped=1, errors=0, unfinished=2, predictions_created=8, created_this_run=3,
        elapsed=75.2, predict_time=12.34, problems=[("3", 3, "bad")],
    )  # fmt: skip
    assert str(summary).startswith("Batch stopped: 6 succeeded, 1 failed, 1 skipped, 2 unfinished of 10 items;")
    assert "1:15" in str(summary) and not summary.ok
    data = summary.to_dict()
    assert data["problems"] == [{"id": "3", "line": 3, "problem": "bad"}] and data["results"] == "out/results.jsonl"


def test_the_batch_package_exports_its_names_lazily() -> None:
    import subprocess
    import sys

    from replicate_ext import batch

    assert batch.__all__ == sorted(batch.__all__, key=str.lower) and set(dir(batch)) == set(batch.__all__)
    for name in batch.__all__:
        assert getattr(batch, name) is not None
    code = (
        "import sys, replicate_ext.batch; print('sqlite3' in sys.modules, 'replicate_ext.batch._runner' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split() == ["False"] * 2
