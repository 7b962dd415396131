"""The command line's pieces without I/O: reading inputs and references, and plain rendering."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replicate_ext.cli._common import UsageError, items
from replicate_ext.cli._inputs import coerce_without_schema, parse_path, read_inputs
from replicate_ext.cli._render import Column, Renderer, terminal_wanted

PREDICTION = {
    "id": "p1",
    "status": "succeeded",
    "input": {"prompt": "a fox", "my-key": 3},
    "output": ["https://x/a.png", "https://x/b.png"],
    "metrics": {"predict_time": 1.5},
}


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _piped(document: object) -> _Pipe:
    return _Pipe(json.dumps(document))


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("output", ["output"]),
        (".output[0]", ["output", 0]),
        ("output[-1]", ["output", -1]),
        ("input.prompt", ["input", "prompt"]),
        ('input["my-key"]', ["input", "my-key"]),
        ('input["say \\"hi\\""]', ["input", 'say "hi"']),
        ("metrics.predict_time", ["metrics", "predict_time"]),
    ],
)
def test_reference_paths(text: str, steps: list[str | int]) -> None:
    assert parse_path(text) == steps


@pytest.mark.parametrize("text", ["", "0output", "output.", "output[x]", "output[0", "a b", "output..x", "[0]"])
def test_text_that_is_not_a_path(text: str) -> None:
    assert parse_path(text) is None


def test_references_take_values_from_the_piped_prediction() -> None:
    raw = read_inputs(
        [
            "image={{output[0]}}",
            "last={{ .output[-1] }}",
            "images={{output}}",
            "caption=a {{input.prompt}} in {{metrics}}",
            'key={{input["my-key"]}}',
            "literal={{ not a path }}",
        ],
        None,
        _piped(PREDICTION),
    )
    assert raw.texts == {
        "image": "https://x/a.png",
        "last": "https://x/b.png",
        "images": '["https://x/a.png", "https://x/b.png"]',  # whole: JSON text, typed by the schema later
        "caption": 'a a fox in {"predict_time": 1.5}',
        "key": "3",
        "literal": "{{ not a path }}",
    }
    assert coerce_without_schema(raw.texts)["images"] == ["https://x/a.png", "https://x/b.png"]


def test_saved_paths_become_files(tmp_path: Path) -> None:
    saved = tmp_path / "a.png"
    saved.write_bytes(b"png")
    raw = read_inputs(["image=@{{output}}", "n=2"], None, _piped({"status": "succeeded", "output": str(saved)}))
    assert raw.files == {"image": saved} and raw.texts == {"n": "2"}
    assert raw.merged({"n": 2}) == {"image": saved, "n": 2}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{{output[2]}}", "has 2 item(s), there is no [2]"),
        ("{{output.url}}", "output is not an object|has no 'url'"),
        ("{{input.seed}}", "has no 'seed' (it has: prompt, my-key)"),
        ("{{id[0]}}", "id is not a list"),
    ],
)
def test_a_reference_to_nothing_says_what_is_missing(value: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        read_inputs([f"x={value}"], None, _piped(PREDICTION))
    assert any(part in str(caught.value) for part in message.split("|")), str(caught.value)
    assert caught.value.status == 2


def test_references_need_a_piped_prediction_that_succeeded() -> None:
    with pytest.raises(UsageError, match="did not succeed"):
        read_inputs(["x={{output}}"], None, _piped({"id": "p2", "status": "failed", "output": None}))
    assert read_inputs(["x={{error}}"], None, _piped({"status": "failed", "error": "boom"})).texts == {"x": "boom"}
    with pytest.raises(UsageError, match="nothing is piped"):
        read_inputs(["x={{output}}"], None, _Terminal())
    with pytest.raises(UsageError, match="does not hold JSON"):
        read_inputs(["x={{output}}"], None, _Pipe("not json"))
    jsonl = _Pipe('{"output": "first"}\n{"output": "last"}\n')  # JSON Lines: the last prediction
    assert read_inputs(["x={{output}}"], None, jsonl).texts == {"x": "last"}
    with pytest.raises(UsageError, match="not both"):
        read_inputs(["x={{output}}"], "-", _piped(PREDICTION))
    plain = _Terminal()  # no reference: standard input is never read
    assert read_inputs(["x=plain {text}", "y={{"], None, plain).texts == {"x": "plain {text}", "y": "{{"}


def test_assignments_input_json_and_files(tmp_path: Path) -> None:
    source = tmp_path / "input.json"
    source.write_text('{"prompt": "from the file", "steps": 4, "seed": 1}')
    raw = read_inputs(["steps=30", "prompt=a=b"], str(source), _Terminal())
    assert raw.given == {"seed": 1} and raw.texts == {"steps": "30", "prompt": "a=b"}  # split at the first =
    for bad in (["=x"], ["no-equals"], ["bad name=1"]):
        with pytest.raises(UsageError, match="NAME=VALUE"):
            read_inputs(bad, None, _Terminal())
    with pytest.raises(UsageError, match="no such file"):
        read_inputs([f"image=@{tmp_path / 'missing.png'}"], None, _Terminal())
    (tmp_path / "list.json").write_text("[1]")
    with pytest.raises(UsageError, match="JSON object"):
        read_inputs([], str(tmp_path / "list.json"), _Terminal())
    with pytest.raises(UsageError, match="cannot read"):
        read_inputs([], str(tmp_path / "nope.json"), _Terminal())
    assert read_inputs([], "-", _Pipe('{"a": [1, 2]}')).given == {"a": [1, 2]}


def test_text_without_a_schema_is_json_where_it_parses() -> None:
    typed = coerce_without_schema({"n": "3", "x": "0.5", "b": "true", "l": "[1]", "s": "hello", "q": '"3"'})
    assert typed == {"n": 3, "x": 0.5, "b": True, "l": [1], "s": "hello", "q": "3"}


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40))
def test_text_without_references_passes_through_unchanged(text: str) -> None:
    if "{{" in text or text.startswith("@"):
        return
    assert read_inputs([f"v={text}"], None, _Terminal()).texts == {"v": text}


@given(st.lists(st.integers(), max_size=30), st.integers(min_value=1, max_value=10), st.integers(1, 40))
def test_limit_stops_before_fetching_another_page(values: list[int], size: int, limit: int) -> None:
    fetched: list[int] = []

    def pages() -> Iterator[list[int]]:
        for start in range(0, len(values), size):
            fetched.append(start)
            yield values[start : start + size]

    assert list(items(pages(), limit)) == values[:limit]
    assert len(fetched) <= -(-limit // size)  # only the pages the first `limit` items are on


def test_plain_output_is_stable_text() -> None:
    out, err = _Pipe(), _Pipe()
    renderer = Renderer(stdout=out, stderr=err, environ={})
    assert not renderer.styled and not renderer.live and not renderer.terminal()
    count = renderer.table([Column("a"), Column("b")], [["1", "two\tthree"], ["x\ny", ""]])
    renderer.record([("id", "p1"), ("skipped", None), ("flag", True), ("data", {"k": [1]})])
    with renderer.activity("working") as activity:
        activity.update(status="processing", fraction=0.5)
    with renderer.transfer("big.bin") as progress:
        progress(10, 100)
    renderer.note("only on a terminal")
    renderer.error("something broke")
    assert count == 2
    assert out.getvalue() == '1\ttwo three\nx y\t\nid: p1\nflag: true\ndata: {"k": [1]}\n'
    assert err.getvalue() == "replicate-ext: something broke\n"


def test_terminals_get_colour_unless_no_color_or_a_dumb_term() -> None:
    assert terminal_wanted(_Terminal(), {"TERM": "xterm"})
    assert not terminal_wanted(_Terminal(), {"TERM": "xterm", "NO_COLOR": "1"})
    assert terminal_wanted(_Terminal(), {"NO_COLOR": ""})  # set but empty does not count (no-color.org)
    assert not terminal_wanted(_Terminal(), {"TERM": "dumb"})
    assert not terminal_wanted(_Pipe(), {})
    styled = _Terminal()
    renderer = Renderer(stdout=styled, stderr=_Terminal(), environ={"TERM": "xterm"})
    renderer.table([Column("status", 10)], [["succeeded"]])
    assert "status" in styled.getvalue() and "succeeded" in styled.getvalue()


def test_the_live_status_line_counts_work_for_long_runs() -> None:
    err = _Terminal()
    renderer = Renderer(stdout=_Pipe(), stderr=err, environ={"TERM": "xterm"})
    with renderer.activity("batch", total=10) as activity:
        activity.update(completed=5, detail="5 done · 1 failed · 2 running · 3.2/s · ETA 0:02")
        activity.update(status="processing")
    drawn = err.getvalue()
    assert "batch" in drawn and "50%" in drawn and "5 done · 1 failed" in drawn and "processing" in drawn
