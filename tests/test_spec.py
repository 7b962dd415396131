"""The spec tool: openapi.yaml is exactly what `make update-spec` makes, and `make spec-diff` finds drift."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.spectool.__main__ import render
from tools.spectool.document import SpecError, iter_operations, load_document
from tools.spectool.facts import compare
from tools.spectool.fixes import FIXES, apply_fixes

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = ROOT / "spec" / "replicate-openapi.json"
SPEC = ROOT / "openapi.yaml"


def spectool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.spectool", *map(str, args)], cwd=ROOT, capture_output=True, text=True
    )


def upstream() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(UPSTREAM.read_text(encoding="utf-8"))
    return doc


def write(doc: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_update_spec_reproduces_the_committed_openapi_yaml_byte_for_byte() -> None:
    assert render(UPSTREAM) == SPEC.read_text(encoding="utf-8")


def test_spec_diff_against_the_reference_finds_no_drift() -> None:
    result = spectool("diff", "--upstream", UPSTREAM, "--spec", SPEC)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No drift" in result.stdout


def test_the_vendored_upstream_is_the_shared_reference_named_in_the_header() -> None:
    _, digest = load_document(UPSTREAM)
    assert f"sha256 {digest}" in SPEC.read_text(encoding="utf-8").splitlines()[1]


def test_every_upstream_operation_is_described_with_the_same_route() -> None:
    ours, _ = load_document(SPEC)
    theirs = {op["operationId"]: (m, p) for m, p, op in iter_operations(upstream())}
    mine = {op["operationId"]: (m, p) for m, p, op in iter_operations(ours)}
    assert len(theirs) == 37
    assert mine == theirs
    assert ours["x-query-operations"]["/models"]["query"]["operationId"] == "models.search"
    assert "query" not in ours["paths"]["/models"]


def test_the_prefer_and_cancel_after_headers_and_list_filters_are_kept() -> None:
    ours, _ = load_document(SPEC)
    for path in ("/predictions", "/models/{model_owner}/{model_name}/predictions",
                 "/deployments/{deployment_owner}/{deployment_name}/predictions"):  # fmt: skip
        refs = {p["$ref"].rsplit("/", 1)[1] for p in ours["paths"][path]["post"]["parameters"] if "$ref" in p}
        assert refs == {"Prefer", "CancelAfter"}
    names = {p["name"] for p in ours["paths"]["/predictions"]["get"]["parameters"]}
    assert names == {"created_after", "created_before", "source"}


def test_no_upstream_prose_is_copied() -> None:
    theirs = upstream()
    ours_text = SPEC.read_text(encoding="utf-8")
    prose = [
        line
        for _, _, op in iter_operations(theirs)
        for line in op.get("description", "").splitlines()
        if len(line) > 60
    ]
    assert len(prose) > 30
    for line in prose:
        assert line not in ours_text


def test_every_fix_has_a_unique_name_and_a_one_line_reason() -> None:
    names = [f.name for f in FIXES]
    assert len(names) == len(set(names))
    for f in FIXES:
        assert f.why and "\n" not in f.why and f.why.endswith("."), f.name


def test_a_yaml_upstream_gives_the_same_document(tmp_path: Path) -> None:
    as_yaml = tmp_path / "upstream.yaml"
    as_yaml.write_text(yaml.safe_dump(upstream()), encoding="utf-8")
    from_yaml, _ = load_document(as_yaml)
    assert apply_fixes(from_yaml) == apply_fixes(upstream())


def test_spec_diff_reports_upstream_drift(tmp_path: Path) -> None:
    changed = upstream()
    prediction = changed["components"]["schemas"]["schemas_prediction_response"]
    prediction["properties"]["priority"] = {"type": "integer"}
    changed["paths"]["/predictions"]["get"]["parameters"][2]["schema"]["enum"].append("api")
    del changed["paths"]["/trainings/{training_id}/cancel"]
    result = spectool("diff", "--upstream", write(changed, tmp_path / "up.json"), "--spec", SPEC)
    assert result.returncode == 1
    assert "not explained by any fix" in result.stdout
    assert ".priority [exists]: True -> None" in result.stdout
    assert "predictions.list param query source [enum]: ('web', 'api') -> ('web',)" in result.stdout
    assert "trainings.cancel operation [route]: None -> 'POST /trainings/{training_id}/cancel'" in result.stdout


@pytest.mark.parametrize(
    ("change", "fix_name"),
    [
        (lambda d: d["paths"]["/models"].pop("query"), "record-query-operations"),
        (lambda d: d["components"]["schemas"].update(schemas_new_thing={"type": "object"}), "name-schemas"),
        (lambda d: d["paths"]["/predictions"]["post"]["requestBody"].update(required=True), "required-request-bodies"),
        (
            lambda d: d["components"]["schemas"]["schemas_prediction_response"]["properties"]["status"].pop("enum"),
            "open-response-enums",
        ),
        (
            lambda d: d["components"]["parameters"]["parameters_prefer_header"]["schema"].update(pattern="^wait$"),
            "prefer-wait-range",
        ),
    ],
)
def test_a_fix_whose_expectation_no_longer_holds_stops_the_tool(change: Any, fix_name: str, tmp_path: Path) -> None:
    changed = copy.deepcopy(upstream())
    change(changed)
    with pytest.raises(SpecError, match=f"fix {fix_name!r}"):
        apply_fixes(changed)
    result = spectool("update", "--upstream", write(changed, tmp_path / "up.json"), "--out", tmp_path / "out.yaml")
    assert result.returncode == 2
    assert fix_name in result.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_renaming_and_hoisting_change_no_structural_fact() -> None:
    # Only the fixes that change the API's shape may produce differences; the others are pure renames.
    theirs = upstream()
    renames_only = {
        "drop-prose", "nullable-as-json-schema", "record-query-operations", "tags-from-operation-id", "name-schemas"
    }  # fmt: skip
    doc = copy.deepcopy(theirs)
    for f in FIXES:
        if f.name in renames_only:
            f.apply(doc)
    assert compare(theirs, doc) == []
