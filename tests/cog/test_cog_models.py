"""Loading Cog models: the schema against Cog's inspector, version ids, and one-line errors for broken models."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from replicate_ext.local import LocalReplicate, PredictorDefinitionError
from replicate_ext.local._cog import _reference
from replicate_ext.local._cog._process import clean_error
from replicate_ext.local._cog._reference import CogModel, cog_model, platform_problem
from replicate_ext.local._cog._spec import CogSpec, load_cog_models

from .support import EXAMPLE, MODELS, requires_cog

# What Cog's inspector calls each primitive type, and its JSON Schema type in a version's schema.
_JSON = {"BOOL": "boolean", "FLOAT": "number", "INTEGER": "integer", "STRING": "string", "PATH": "string"}


def _load(folder: Path) -> tuple[CogModel, CogSpec]:
    model = cog_model(str(folder))
    assert model is not None
    return model, load_cog_models({"test/model": model})["test/model"]


def _inspect_here(folder: Path, reference: str) -> Any:
    """Cog's own inspector, run in this process on a model's module."""
    from cog import _inspector

    file, _, name = reference.partition(":")
    module_name = f"cog_test_{folder.name}_{Path(file).stem}"
    spec = importlib.util.spec_from_file_location(module_name, folder / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # BasePredictor and predict() are deprecated
            return _inspector.create_predictor(module_name, name)
    finally:
        del sys.modules[module_name]


@requires_cog
@pytest.mark.parametrize("folder", [*(MODELS / n for n in ("text", "stream", "files", "parallel", "broken")), EXAMPLE])
def test_the_schema_matches_what_cogs_inspector_reports_for_every_input(folder: Path) -> None:
    model, spec = _load(folder)
    schemas = spec.openapi_schema["components"]["schemas"]
    for key, reference in (("Input", model.predict), ("TrainingInput", model.train)):
        if reference is None:
            assert key not in schemas
            continue
        info = _inspect_here(folder, reference)
        schema = schemas[key]
        assert list(schema["properties"]) == list(info.inputs)
        for name, field in info.inputs.items():
            prop = schema["properties"][name]
            assert prop["x-order"] == field.order
            if field.choices:
                (ref,) = prop["allOf"]
                enum = schemas[ref["$ref"].removeprefix("#/components/schemas/")]
                assert enum["enum"] == field.choices
                assert enum["type"] == _JSON[field.type.primitive.name]
            else:
                assert prop["title"] == name.replace("_", " ").title()
                expected = {"type": _JSON[field.type.primitive.name]}
                if field.type.primitive.name == "PATH":
                    expected["format"] = "uri"
                assert {k: prop[k] for k in expected} == expected
            assert prop.get("default") == field.default
            assert prop.get("description") == field.description
            assert prop.get("minimum") == field.ge and prop.get("maximum") == field.le
            assert prop.get("minLength") == field.min_length and prop.get("maxLength") == field.max_length
            required = field.default is None and field.type.repetition.name == "REQUIRED"
            assert (name in schema.get("required", [])) == required


@requires_cog
def test_the_version_id_is_a_stable_hash_of_the_code_and_changes_with_it(tmp_path: Path) -> None:
    copy = tmp_path / "text"
    shutil.copytree(MODELS / "text", copy)
    _, first = _load(copy)
    _, again = _load(copy)
    assert first.version_id == again.version_id and len(first.version_id) == 64
    runner = copy / "text_runner.py"
    runner.write_text(runner.read_text().replace("How many times", "How often"))
    _, changed = _load(copy)
    assert changed.version_id != first.version_id
    assert changed.schema["components"]["schemas"]["Input"]["properties"]["times"]["description"] == "How often"
    (copy / "text_train.py").write_text((copy / "text_train.py").read_text() + "\n# a comment\n")
    _, commented = _load(copy)
    assert commented.version_id != changed.version_id  # code changed, schema did not


@requires_cog
def test_a_module_that_imports_cog_is_served_by_cog_in_the_file_form() -> None:
    reference = f"{MODELS / 'stream' / 'stream_predictor.py'}:Predictor"
    server = LocalReplicate({"me/stream": reference}, demo_models=False)
    assert server.models == ["me/stream"]
    assert cog_model(reference) == CogModel(
        MODELS / "stream", "stream_predictor.py:Predictor", shown=str(MODELS / "stream")
    )
    assert cog_model(str(MODELS.parent / "support.py") + ":requires_cog") is None  # no cog import: not Cog's


@requires_cog
def test_a_predictor_marked_cog_streaming_is_marked_so_in_its_schema(tmp_path: Path) -> None:
    folder = _model(tmp_path, "import cog\n\n\nclass Runner(cog.BaseRunner):\n    @cog.streaming\n"
                    "    def run(self, n: int) -> cog.ConcatenateIterator[str]:\n        yield str(n)\n")  # fmt: skip
    _, spec = _load(folder)
    assert spec.schema["paths"]["/predictions"]["post"]["x-cog-streaming"] is True
    _, plain = _load(MODELS / "stream")
    assert "x-cog-streaming" not in plain.schema["paths"]["/predictions"]["post"]
    assert plain.worker_schema()["paths"]["/predictions"]["post"]["x-cog-streaming"] is True  # for coglet's events


def _model(tmp_path: Path, source: str, cog_yaml: str = 'predict: "predict.py:Runner"\n') -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    if cog_yaml:
        (folder / "cog.yaml").write_text(cog_yaml)
    (folder / "predict.py").write_text(source)
    return folder


_RUNNER = """from cog import BaseRunner

class Runner(BaseRunner):
    def run(self, text: str) -> str:
        return text
"""


@requires_cog
@pytest.mark.parametrize(
    ("source", "cog_yaml", "expected"),
    [
        (_RUNNER, "", "has no cog.yaml: add one with a line `predict: \"predict.py:Predictor\"`"),
        (_RUNNER, "build:\n  gpu: false\n", "has no `predict:` entry: add `predict: \"predict.py:Predictor\"`"),
        (_RUNNER, 'predict: "run.py:Runner"\n', "`predict:` names 'run.py', which is not a file in"),
        (_RUNNER, "predict: [\n", "cannot read it as YAML"),
        (_RUNNER, 'predict: "predict.py:Runner"\nconcurrency:\n  max: 0\n', "`concurrency: max:` must be a whole"),
        ("from cog import BaseRunner\nclass Runner(BaseRunner)\n    pass\n", 'predict: "predict.py:Runner"\n',
         "model/predict.py:2: syntax error: expected ':'. Fix the code and start the server again."),
        ("import cog\nimport no_such_package_here\n", 'predict: "predict.py:Runner"\n',
         "model/predict.py:2: importing it failed: there is no module named 'no_such_package_here'. Install the "
         "package that provides it"),
        ("import cog\nraise RuntimeError('no GPU')\n", 'predict: "predict.py:Runner"\n',
         "model/predict.py:2: importing it raised RuntimeError: no GPU. Fix the module so that it imports."),
        (_RUNNER, 'predict: "predict.py:Predictor"\n',
         "model/predict.py has no 'Predictor' (it defines Runner). Name the class or function that runs the model."),
        (_RUNNER.replace(" -> str", ""), 'predict: "predict.py:Runner"\n',
         "model/predict.py:Runner: Cog cannot use it: run() must have a return type annotation. Fix its definition."),
    ],
)  # fmt: skip
def test_a_model_that_cannot_be_served_is_one_line_saying_where_why_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, cog_yaml: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _model(tmp_path, source, cog_yaml)
    with pytest.raises(PredictorDefinitionError) as caught:
        LocalReplicate({"me/model": "model"}, demo_models=False)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message and "Traceback" not in message


def test_without_cog_a_cog_model_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _model(tmp_path, _RUNNER)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(_reference, "platform_problem", lambda: None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "cog" else real_find_spec(name))
    with pytest.raises(PredictorDefinitionError) as caught:
        LocalReplicate({"me/model": str(folder)})
    assert str(caught.value) == f"{folder} is a Cog model, and serving it needs Cog: pip install 'replicate-ext[cog]'"
    monkeypatch.setattr(_reference, "platform_problem", lambda: "Cog models cannot run on win32 AMD64: ...")
    with pytest.raises(PredictorDefinitionError, match=r"is a Cog model\. Cog models cannot run on win32 AMD64"):
        LocalReplicate({"me/model": f"{folder / 'predict.py'}:Runner"})
    assert LocalReplicate().models  # the built-in demo models need no Cog


@pytest.mark.parametrize(
    ("system", "machine", "libc", "supported"),
    [
        ("linux", "x86_64", "glibc", True),
        ("linux", "aarch64", "glibc", True),
        ("darwin", "arm64", "", True),
        ("linux", "x86_64", "", False),  # musl
        ("linux", "armv7l", "glibc", False),
        ("darwin", "x86_64", "", False),
        ("win32", "AMD64", "", False),
    ],
)
def test_cog_runs_where_coglet_has_wheels(system: str, machine: str, libc: str, supported: bool) -> None:
    problem = platform_problem(system, machine, libc)
    assert (problem is None) == supported
    if problem is not None:
        assert problem.startswith("Cog models cannot run on ") and "macOS on Apple silicon" in problem


def test_cogs_doubled_error_prefix_is_removed() -> None:
    assert clean_error("Prediction failed: Prediction failed: ValueError: boom") == "ValueError: boom"
    assert clean_error("Worker crashed") == "Worker crashed"
    assert clean_error(None) is None
