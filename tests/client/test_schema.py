"""Model schemas: reading Cog's `openapi_schema`, validating inputs by it, and coercing text by it."""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any

import httpx
import pytest

import replicate_ext
from replicate_ext import (
    InputField,
    InputProblem,
    InvalidArgumentError,
    InvalidInputError,
    ModelSchema,
    OutputSpec,
    ReplicateException,
    SchemaError,
    Version,
)

from ..recorded import version_schemas
from .mock import API

SDXL = "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b"
LLAMA_CHAT = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3"


def cog(inputs: dict[str, Any], *, required: list[str] | None = None, output: Any = None, **schemas: Any) -> Any:
    """A version's openapi_schema in Cog's layout."""
    input_schema: dict[str, Any] = {"type": "object", "title": "Input", "properties": inputs}
    if required:
        input_schema["required"] = required
    found = {"Input": input_schema, "Output": output or {"type": "string", "title": "Output"}, **schemas}
    return {"openapi": "3.0.2", "info": {"title": "Cog", "version": "0.1.0"}, "components": {"schemas": found}}


def enum(*values: Any, type: str = "string") -> dict[str, Any]:
    return {"title": "x", "description": "An enumeration.", "enum": list(values), "type": type}


IMAGE_MODEL = cog(
    {
        "prompt": {"type": "string", "title": "Prompt", "x-order": 0, "maxLength": 20, "description": "What to draw"},
        "width": {"type": "integer", "title": "Width", "default": 512, "minimum": 64, "maximum": 1024, "x-order": 1},
        "scale": {"type": "number", "title": "Scale", "default": 7.5, "minimum": 1, "maximum": 20, "x-order": 2},
        "scheduler": {"allOf": [{"$ref": "#/components/schemas/scheduler"}], "default": "DDIM", "x-order": 3},
        "image": {"type": "string", "format": "uri", "title": "Image", "x-order": 4},
        "refs": {"type": "array", "items": {"type": "string", "format": "uri"}, "title": "Refs", "x-order": 5},
        "watermark": {"type": "boolean", "title": "Watermark", "default": True, "x-order": 6},
        "seed": {"type": "integer", "title": "Seed", "x-order": 7, "nullable": True},
        "code": {"type": "string", "title": "Code", "default": "a1", "pattern": "^[a-z][0-9]$", "x-order": 8},
        "extra": {"type": "object", "title": "Extra", "x-order": 9},
        "api_key": {"type": "string", "format": "password", "writeOnly": True, "x-cog-secret": True, "x-order": 10},
    },
    required=["prompt", "image"],
    output={"type": "array", "items": {"type": "string", "format": "uri"}, "title": "Output"},
    scheduler=enum("DDIM", "K_EULER", "K_EULER_ANCESTRAL"),
)
GOOD = {"prompt": "a fox", "image": "https://example.com/fox.png"}


@pytest.fixture(scope="module")
def schema() -> ModelSchema:
    return ModelSchema.from_openapi(IMAGE_MODEL)


def problems_of(schema: ModelSchema, input: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInputError) as caught:
        schema.validate(input)
    return [(problem.name, problem.code) for problem in caught.value.problems]


# -- reading --------------------------------------------------------------------------------------------------------


def test_every_recorded_version_schema_reads_into_sensible_fields() -> None:
    schemas = version_schemas()
    assert len(schemas) >= 80  # the recordings hold many real versions; all must read
    kinds = set()
    for version, document in schemas.items():
        schema = ModelSchema.from_openapi(document)
        names = [f.name for f in schema.inputs]
        assert names == list(dict.fromkeys(names)) and set(names) == set(
            document["components"]["schemas"]["Input"]["properties"]
        )
        assert [f.order for f in schema.inputs] == list(range(len(names)))
        declared = document["components"]["schemas"]["Input"].get("required", [])
        assert list(schema.required) == [name for name in names if name in declared]
        for f in schema.inputs:
            assert f.type in {"string", "integer", "number", "boolean", "array", "object", "file", "any"}, (version, f)
            assert f.has_default or f.default is None
            if f.minimum is not None and f.maximum is not None:
                assert f.minimum <= f.maximum
            # Two published versions carry a default their own schema rejects (512 for the choices "512"/"256",
            # 13.5 for an integer); every other default is a valid value of its input.
            if f.has_default and (version[:8], f.name) not in {
                ("25f7ab04", "model_size"),
                ("76f01b26", "latent_scale"),
            }:
                assert f.problems(f.default) == (), (version, f.name)
        assert json.loads(json.dumps(schema.to_dict())) == schema.to_dict()
        kinds.add(schema.output.kind)
    assert {"file", "list of files", "iterator of files", "text stream", "text", "object", "list of objects"} <= kinds


def test_a_recorded_sdxl_version_reads_as_its_page_shows_it() -> None:
    schema = ModelSchema.from_openapi(version_schemas()[SDXL])
    assert [f.name for f in schema.inputs[:4]] == ["prompt", "negative_prompt", "image", "mask"]
    refine = schema.input("refine")
    assert refine.type == "string" and refine.choices == ("no_refiner", "expert_ensemble_refiner", "base_image_refiner")
    assert refine.default == "no_refiner" and refine.has_default and not refine.required
    assert refine.description == "Which refine style to use"  # not the enum's "An enumeration."
    assert schema.input("image").is_file and schema.input("image").type == "file"
    steps = schema.input("num_outputs")
    assert (steps.type, steps.minimum, steps.maximum, steps.default) == ("integer", 1, 4, 1)
    seed = schema.input("seed")
    assert not seed.has_default and seed.default is None and not seed.required
    assert schema.output.is_file_list and not schema.output.is_iterator and schema.output.kind == "list of files"
    schema.validate(
        {"prompt": "a fox", "refine": "expert_ensemble_refiner", "num_outputs": 4, "image": pathlib.Path("x")}
    )


def test_a_recorded_language_model_streams_text() -> None:
    output = ModelSchema.from_openapi(version_schemas()[LLAMA_CHAT]).output
    assert output.is_iterator and output.concatenates and output.kind == "text stream"
    assert output.type == "array" and output.items is not None and output.items.type == "string"


def test_the_fields_of_a_cog_schema(schema: ModelSchema) -> None:
    assert [f.name for f in schema.inputs][:3] == ["prompt", "width", "scale"]
    assert schema.required == ("prompt", "image")
    assert "width" in schema and "nope" not in schema
    prompt = schema.input("prompt")
    assert (prompt.title, prompt.description, prompt.max_length, prompt.required) == (
        "Prompt",
        "What to draw",
        20,
        True,
    )
    refs = schema.input("refs")
    assert refs.type == "array" and refs.is_file_list and refs.items is not None and refs.items.is_file
    assert schema.input("seed").nullable and schema.input("api_key").is_secret
    assert schema.input("extra").type == "object" and schema.input("code").pattern == "^[a-z][0-9]$"
    assert schema.input("scheduler").choices == ("DDIM", "K_EULER", "K_EULER_ANCESTRAL")
    assert schema.output == OutputSpec("array", items=OutputSpec("string", format="uri"), title="Output")
    data = schema.to_dict()
    assert data["inputs"][1] == schema.input("width").to_dict()
    assert data["inputs"][1]["minimum"] == 64 and data["inputs"][1]["has_default"] is True
    assert data["output"]["kind"] == "list of files" and data["output"]["is_file_list"] is True


def test_looking_up_an_unknown_input_suggests_the_closest(schema: ModelSchema) -> None:
    with pytest.raises(InvalidInputError, match="did you mean 'prompt'") as caught:
        schema.input("promt")
    assert caught.value.problems == (
        InputProblem("promt", "unknown", "this model has no such input; did you mean 'prompt'?"),
    )


def test_a_schema_is_immutable_and_compares_by_value(schema: ModelSchema) -> None:
    again = ModelSchema.from_openapi(IMAGE_MODEL)
    assert again == schema and hash(again.output) == hash(schema.output)
    with pytest.raises(AttributeError):
        schema.inputs = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        schema.input("width").minimum = 0  # type: ignore[misc]


def test_x_order_sets_the_order_and_inputs_without_it_come_last() -> None:
    schema = ModelSchema.from_openapi(
        cog({"c": {"type": "string"}, "b": {"type": "string", "x-order": 1}, "a": {"type": "string", "x-order": 0}})
    )
    assert [(f.name, f.order) for f in schema.inputs] == [("a", 0), ("b", 1), ("c", 2)]


@pytest.mark.parametrize(
    "document",
    [{}, [], "x", {"components": {}}, {"components": {"schemas": {"Output": {}}}}, cog({"a": 3}), cog({"a": "string"})],
)
def test_a_document_that_is_not_a_cog_schema_is_a_schema_error(document: Any) -> None:
    with pytest.raises(SchemaError) as caught:
        ModelSchema.from_openapi(document)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, ReplicateException)


def test_odd_schemas_still_read() -> None:
    document = cog(
        {
            "loop": {"$ref": "#/components/schemas/Loop"},  # a reference cycle
            "missing": {"allOf": [{"$ref": "#/components/schemas/Nowhere"}], "type": "integer"},
            "either": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
            "listed": {"type": ["string", "null"]},
            "several": {"type": ["string", "integer"]},
            "odd": {"type": "integer", "minimum": "5", "maxLength": -1, "x-order": True, "enum": "abc"},
            "bounds": {"type": "number", "ge": 0, "le": 1, "exclusiveMinimum": -1, "lt": 2},
        },
        output={"$ref": "#/components/schemas/Out"},
        Loop={"$ref": "#/components/schemas/Loop", "type": "string"},
        Out={
            "type": "object",
            "properties": {
                "b": {"type": "number", "x-order": 1},
                "a": {"type": "string", "format": "uri", "x-order": 0},
            },
        },
    )
    schema = ModelSchema.from_openapi(document)
    assert schema.input("loop").type == "string" and schema.input("missing").type == "integer"
    either = schema.input("either")
    assert (either.type, either.nullable, either.minimum) == ("integer", True, 1)
    assert schema.input("listed").nullable and schema.input("listed").type == "string"
    assert schema.input("several").type == "any"
    odd = schema.input("odd")
    assert (odd.minimum, odd.max_length, odd.choices) == (None, None, None)
    bounds = schema.input("bounds")
    assert (bounds.minimum, bounds.maximum, bounds.exclusive_minimum, bounds.exclusive_maximum) == (0, 1, -1, 2)
    assert schema.output.kind == "object" and [p.name for p in schema.output.properties] == ["a", "b"]
    assert schema.output.properties[0].is_file
    assert ModelSchema.from_openapi(cog({}, output=None)).inputs == ()
    nothing = ModelSchema.from_openapi({"components": {"schemas": {"Input": {"type": "object"}}}})
    assert nothing.inputs == () and nothing.output.type == "any"


@pytest.mark.parametrize(
    ("output", "kind"),
    [
        ({"type": "string"}, "text"),
        ({"type": "string", "format": "uri"}, "file"),
        ({"type": "array", "items": {"type": "string", "format": "uri"}}, "list of files"),
        (
            {
                "type": "array",
                "items": {"type": "string"},
                "x-cog-array-type": "iterator",
                "x-cog-array-display": "concatenate",
            },
            "text stream",
        ),
        ({"type": "array", "items": {"type": "string"}, "x-cog-array-type": "iterator"}, "iterator of text"),
        (
            {"type": "array", "items": {"type": "string", "format": "uri"}, "x-cog-array-type": "iterator"},
            "iterator of files",
        ),
        ({"type": "array", "items": {"type": "array", "items": {"type": "number"}}}, "list of lists of numbers"),
        ({"type": "object", "properties": {}}, "object"),
        ({"type": "integer"}, "integer"),
        ({"type": "number"}, "number"),
        ({"type": "boolean"}, "boolean"),
        ({"title": "Output"}, "any"),
        ({"type": "array"}, "list of values"),
    ],
)
def test_output_kinds(output: dict[str, Any], kind: str) -> None:
    spec = ModelSchema.from_openapi(cog({}, output=output)).output
    assert spec.kind == kind
    assert spec.is_iterator == (output.get("x-cog-array-type") == "iterator")
    assert spec.is_file == (kind == "file") and spec.is_file_list == (kind in ("list of files", "iterator of files"))


# -- validating -------------------------------------------------------------------------------------------------------


def test_a_good_input_passes(schema: ModelSchema) -> None:
    schema.validate(GOOD)
    schema.validate({**GOOD, "width": 64, "scale": 20, "scheduler": "K_EULER", "watermark": False, "seed": None})
    schema.validate({**GOOD, "scale": 3, "width": 512.0, "code": "b7", "extra": {"k": [1]}, "refs": []})


def test_each_kind_of_problem(schema: ModelSchema) -> None:
    assert problems_of(schema, {**GOOD, "promt": "x"}) == [("promt", "unknown")]
    assert problems_of(schema, {"image": GOOD["image"]}) == [("prompt", "missing")]
    assert problems_of(schema, {**GOOD, "prompt": None}) == [("prompt", "missing")]
    assert problems_of(schema, {**GOOD, "width": "512"}) == [("width", "type")]
    assert problems_of(schema, {**GOOD, "width": 2048}) == [("width", "range")]
    assert problems_of(schema, {**GOOD, "scale": 0.5}) == [("scale", "range")]
    assert problems_of(schema, {**GOOD, "scheduler": "ddim"}) == [("scheduler", "choice")]
    assert problems_of(schema, {**GOOD, "prompt": "x" * 21}) == [("prompt", "length")]
    assert problems_of(schema, {**GOOD, "code": "11"}) == [("code", "pattern")]


def test_every_problem_is_in_one_error_that_ends_with_the_valid_inputs(schema: ModelSchema) -> None:
    bad = {"promt": "x", "width": 3.5, "scale": 100, "scheduler": "K_EULR", "watermark": 1, "refs": ["/tmp/a.png"]}
    with pytest.raises(InvalidInputError) as caught:
        schema.validate(bad)
    error = caught.value
    assert [(p.name, p.code) for p in error.problems] == [
        ("promt", "unknown"), ("prompt", "missing"), ("width", "type"), ("scale", "range"), ("scheduler", "choice"),
        ("image", "missing"), ("refs", "type"), ("watermark", "type"),
    ]  # fmt: skip
    assert isinstance(error, InvalidArgumentError) and isinstance(error, ValueError)
    assert error.inputs == tuple(f.name for f in schema.inputs)
    message = str(error)
    assert message.startswith("The input has 8 problems:\n")
    for problem in error.problems:
        assert f"  - {problem.name}: {problem.message}" in message
    assert "did you mean 'prompt'?" in message and "did you mean 'K_EULER'?" in message
    assert "got the number 3.5" in message and "100 is greater than the maximum, 20" in message
    assert "refs: item 0: expected a file" in message
    assert message.splitlines()[-1] == (
        "Valid inputs: prompt (required), width, scale, scheduler, image (required), refs, watermark, seed, code, "
        "extra, api_key."
    )


def test_numbers_are_checked_as_json_schema_and_cog_check_them() -> None:
    schema = ModelSchema.from_openapi(cog({"i": {"type": "integer"}, "n": {"type": "number"}}))
    good: list[Any] = [3, -1, 3.0, 10**30, None]  # None: not given (the input is not required)
    for value in good:
        assert schema.input("i").problems(value) == ()
    bad: list[Any] = [3.5, True, "3", float("nan"), float("inf"), [3]]
    for value in bad:
        assert [p.code for p in schema.input("i").problems(value)] == ["type"], value
    for value in (3, 0.5, -1e10):
        assert schema.input("n").problems(value) == ()
    bad = [False, "0.5", float("nan"), float("-inf"), {}]
    for value in bad:
        assert [p.code for p in schema.input("n").problems(value)] == ["type"], value
    assert "text is not converted" in schema.input("i").problems("3")[0].message


def test_booleans_are_booleans() -> None:
    flag = ModelSchema.from_openapi(cog({"flag": {"type": "boolean"}})).input("flag")
    assert flag.problems(True) == () and flag.problems(False) == ()
    for value in (1, 0, "true", 1.0):
        assert [p.code for p in flag.problems(value)] == ["type"]


def test_files_are_urls_data_uris_or_local_files(schema: ModelSchema, tmp_path: pathlib.Path) -> None:
    image = schema.input("image")
    path = tmp_path / "a.png"
    path.write_bytes(b"\x89PNG")
    urls = ["https://x/a.png", "HTTP://x/a.png", "data:image/png;base64,AAAA", replicate_ext.FileOutput("https://x/a")]
    with path.open("rb") as binary:
        for value in [*urls, path, b"\x89PNG", bytearray(b"x"), memoryview(b"x"), binary, io.BytesIO(b"x")]:
            assert image.problems(value) == (), value
    with path.open("r") as text:
        assert "binary mode" in image.problems(text)[0].message
    assert "pathlib.Path" in image.problems("/tmp/a.png")[0].message
    assert image.problems(3)[0].code == "type"
    assert schema.input("refs").problems([path, "https://x/b.png", b"x"]) == ()
    assert [p.message for p in schema.input("refs").problems(["https://x", "a.png"])] == [
        "item 1: expected a file, got the string 'a.png': a file is an http(s) URL, a data: URI, or a local file "
        "given as a pathlib.Path, bytes or a file opened in binary mode."
    ]
    # A string input takes what the client sends as a URL string, as a file is sent.
    assert schema.input("prompt").problems(path) == ()


def test_lists_and_their_items() -> None:
    schema = ModelSchema.from_openapi(
        cog(
            {
                "sizes": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                "modes": {"type": "array", "items": {"$ref": "#/components/schemas/mode"}},
                "maybe": {"type": "array", "items": {"type": "string", "nullable": True}},
            },
            mode=enum("a", "b"),
        )
    )
    assert schema.input("sizes").problems((1, 2)) == () and schema.input("sizes").problems([]) == ()
    assert [(p.code, p.message) for p in schema.input("sizes").problems([1, 0, "2", None])] == [
        ("range", "item 1: 0 is less than the minimum, 1."),
        ("type", "item 2: expected an integer, got the string '2' (text is not converted: pass the value itself)."),
        ("type", "item 3: None is not a value this list holds."),
    ]
    assert [p.code for p in schema.input("modes").problems(["a", "c"])] == ["choice"]
    assert schema.input("maybe").problems(["x", None]) == ()
    assert [p.code for p in schema.input("sizes").problems("1,2")] == ["type"]


def test_choices_compare_as_json_values() -> None:
    schema = ModelSchema.from_openapi(
        cog({"n": {"allOf": [{"$ref": "#/components/schemas/n"}]}}, n=enum(1, 2, type="integer"))
    )
    assert schema.input("n").problems(2) == () and schema.input("n").problems(2.0) == ()
    assert [p.code for p in schema.input("n").problems(True)] == ["type"]
    assert [p.code for p in schema.input("n").problems(3)] == ["choice"]
    many = ModelSchema.from_openapi(cog({"m": {"type": "string", "enum": [f"c{i}" for i in range(30)]}}))
    assert "(10 more)" in many.input("m").problems("x")[0].message


def test_none_means_not_given_for_an_input_that_is_not_required(schema: ModelSchema) -> None:
    schema.validate({**GOOD, "width": None, "scheduler": None, "seed": None})
    nullable_required = ModelSchema.from_openapi(cog({"x": {"type": "string", "nullable": True}}, required=["x"]))
    nullable_required.validate({"x": None})


def test_inputs_that_are_not_mappings(schema: ModelSchema) -> None:
    assert [(p.name, p.code) for p in schema.problems(["prompt"])] == [("", "type")]  # type: ignore[arg-type]
    odd: dict[Any, Any] = {**GOOD, 3: "x"}
    assert [(p.name, p.code) for p in schema.problems(odd)] == [("3", "unknown")]
    assert [p.code for p in schema.problems(None)] == ["missing", "missing"]
    ModelSchema.from_openapi(cog({"a": {"type": "string", "default": ""}})).validate(None)


def test_numpy_like_values_are_read_as_the_client_sends_them() -> None:
    class Array:
        def __init__(self, value: Any) -> None:
            self.value = value

        def tolist(self) -> Any:
            return self.value

    schema = ModelSchema.from_openapi(
        cog({"v": {"type": "array", "items": {"type": "number"}}, "i": {"type": "integer"}})
    )
    schema.validate({"v": Array([1.5, 2]), "i": Array(3)})
    assert [p.code for p in schema.problems({"i": Array(3.5)})] == ["type"]


# -- coercing ---------------------------------------------------------------------------------------------------------


def test_text_is_read_by_each_input_type(schema: ModelSchema) -> None:
    values = {
        "prompt": " 3 ", "width": "512", "scale": "0.5", "watermark": "no", "scheduler": "DDIM",
        "image": "@fox.png", "refs": '["https://x/a.png", "@b.png"]', "seed": "null", "extra": '{"a": [1, 2]}',
        "code": "true",
    }  # fmt: skip
    assert schema.coerce(values) == {
        "prompt": " 3 ", "width": 512, "scale": 0.5, "watermark": False, "scheduler": "DDIM", "image": "@fox.png",
        "refs": ["https://x/a.png", "@b.png"], "seed": None, "extra": {"a": [1, 2]}, "code": "true",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("integer", "3", 3), ("integer", "-7", -7), ("integer", "+2", 2), ("integer", "3.0", 3),
        ("integer", "1e3", 1000),
        ("number", "0.5", 0.5), ("number", "3", 3), ("number", ".5", 0.5), ("number", "-1.5e-7", -1.5e-7),
        ("boolean", "true", True), ("boolean", "FALSE", False), ("boolean", "Yes", True), ("boolean", "0", False),
        ("boolean", "on", True), ("boolean", "n", False), ("string", "null", "null"), ("string", "", ""),
        ("any", "[1]", [1]), ("any", "hello", "hello"), ("object", "{}", {}), ("integer", "null", None),
    ],
)  # fmt: skip
def test_coercing_one_value(kind: str, text: str, value: Any) -> None:
    field = ModelSchema.from_openapi(cog({"x": {"type": kind} if kind != "any" else {}})).input("x")
    coerced = field.coerce(text)
    assert coerced == value and type(coerced) is type(value)


@pytest.mark.parametrize(
    ("kind", "text"),
    [("integer", "3.5"), ("integer", ""), ("integer", "three"), ("integer", "0x10"), ("integer", "1e400"),
     ("integer", "1" * 5000), ("number", "nan"), ("number", "inf"), ("number", "1,5"), ("boolean", "maybe"),
     ("object", "[1]"), ("object", "{oops"), ("array", "[1, 2")],
)  # fmt: skip
def test_text_that_does_not_read_as_its_type(kind: str, text: str) -> None:
    field = ModelSchema.from_openapi(cog({"x": {"type": kind, "items": {"type": "integer"}}})).input("x")
    with pytest.raises(InvalidInputError) as caught:
        field.coerce(text)
    assert [(p.name, p.code) for p in caught.value.problems] == [("x", "type")]


def test_arrays_from_text() -> None:
    schema = ModelSchema.from_openapi(
        cog(
            {
                "sizes": {"type": "array", "items": {"type": "integer"}},
                "words": {"type": "array", "items": {"type": "string"}},
                "files": {"type": "array", "items": {"type": "string", "format": "uri"}},
            }
        )
    )
    assert schema.coerce({"sizes": '[1, "2", 3.0]', "words": "a, b", "files": "data:image/png;base64,AA,BB"}) == {
        "sizes": [1, 2, 3.0],
        "words": ["a, b"],  # never split at commas
        "files": ["data:image/png;base64,AA,BB"],
    }
    assert schema.coerce({"sizes": "4"}) == {"sizes": [4]}
    with pytest.raises(InvalidInputError, match=r"sizes: item 1: 'x' is not a whole number"):
        schema.coerce({"sizes": '[1, "x"]'})


def test_unknown_names_and_values_that_are_not_text(schema: ModelSchema) -> None:
    path = pathlib.Path("fox.png")
    assert schema.coerce({"other": "[1, 2]", "plain": "hello", "image": path, "width": 3}) == {
        "other": [1, 2], "plain": "hello", "image": path, "width": 3
    }  # fmt: skip


def test_every_coercion_problem_is_in_one_error(schema: ModelSchema) -> None:
    with pytest.raises(InvalidInputError) as caught:
        schema.coerce({"width": "wide", "scale": "big", "watermark": "perhaps", "prompt": "ok"})
    assert [(p.name, p.code) for p in caught.value.problems] == [
        ("width", "type"),
        ("scale", "type"),
        ("watermark", "type"),
    ]


def test_coercing_with_validation_reports_both_kinds_together(schema: ModelSchema) -> None:
    with pytest.raises(InvalidInputError) as caught:
        schema.coerce({"width": "4096", "scale": "big", "promt": "x", "image": "@a.png"}, validate=True)
    assert [(p.name, p.code) for p in caught.value.problems] == [
        ("promt", "unknown"), ("prompt", "missing"), ("width", "range"), ("scale", "type"), ("image", "type"),
    ]  # fmt: skip
    assert schema.coerce({"prompt": "a", "image": pathlib.Path("a.png"), "width": "64"}, validate=True)["width"] == 64


# -- on the objects ---------------------------------------------------------------------------------------------------


def test_a_version_reads_its_schema_once_and_validates_with_it() -> None:
    version = Version("v1", openapi_schema=IMAGE_MODEL, model="acme/draw")
    assert version.schema is version.schema and version.schema.input("width").maximum == 1024
    version.validate_input(GOOD)
    with pytest.raises(InvalidInputError):
        version.validate_input({"width": 1})
    version.openapi_schema = cog({"width": {"type": "integer"}})
    version.validate_input({"width": 1})
    with pytest.raises(SchemaError, match="Version v2 of acme/draw carries no openapi_schema"):
        _ = Version("v2", model="acme/draw").schema


def test_a_model_validates_with_its_latest_version() -> None:
    model = replicate_ext.Model(owner="acme", name="draw", latest_version=Version("v1", openapi_schema=IMAGE_MODEL))
    model.validate_input(GOOD)
    assert model.schema.required == ("prompt", "image")
    with pytest.raises(InvalidInputError):
        model.validate_input({})
    with pytest.raises(SchemaError, match="acme/empty has no version"):
        replicate_ext.Model(owner="acme", name="empty").validate_input({})


def _schema_server(calls: list[str], latest: str = "v1") -> httpx.MockTransport:
    version = {"id": latest, "created_at": "2026-01-01T00:00:00Z", "cog_version": "0.9", "openapi_schema": IMAGE_MODEL}

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if request.url.path == "/v1/models/acme/draw":
            return httpx.Response(200, json={"owner": "acme", "name": "draw", "latest_version": version})
        if request.url.path.startswith("/v1/models/acme/draw/versions/"):
            return httpx.Response(200, json={**version, "id": request.url.path.rsplit("/", 1)[1]})
        if request.url.path == "/v1/models/acme/empty":
            return httpx.Response(200, json={"owner": "acme", "name": "empty", "latest_version": None})
        return httpx.Response(404, json={"detail": "not found", "status": 404})

    return httpx.MockTransport(handle)


def test_models_schema_fetches_each_version_once() -> None:
    calls: list[str] = []
    client = replicate_ext.Client(
        api_token="r8_x", base_url=API, transport=_schema_server(calls), retry=replicate_ext.NO_RETRIES
    )
    assert client.models.schema("acme/draw:v7").input("width").maximum == 1024
    assert client.models.schema("acme/draw:v7") == client.models.schema(Version("v7", model="acme/draw"))
    assert calls == ["GET /v1/models/acme/draw/versions/v7"]
    client.models.schema("acme/draw")
    client.models.schema("acme/draw")  # the latest version is trusted for a while: no second look-up
    assert calls[1:] == ["GET /v1/models/acme/draw"]
    assert client.models.schema(Version("v9", openapi_schema=IMAGE_MODEL)).required == ("prompt", "image")
    assert len(calls) == 2
    with pytest.raises(SchemaError, match="acme/empty has no version"):
        client.models.schema("acme/empty")
    with pytest.raises(InvalidArgumentError, match="owner/name:version"):
        client.models.schema("5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa")
    with pytest.raises(replicate_ext.NotFoundError):
        client.models.schema("acme/missing")


def test_run_with_validate_input_creates_nothing_for_a_bad_input() -> None:
    calls: list[str] = []
    client = replicate_ext.Client(
        api_token="r8_x", base_url=API, transport=_schema_server(calls), retry=replicate_ext.NO_RETRIES
    )
    with pytest.raises(InvalidInputError, match="width"):
        client.run("acme/draw", {**GOOD, "width": 1}, validate_input=True)
    with pytest.raises(InvalidInputError):
        client.run(Version("v3", openapi_schema=IMAGE_MODEL), {"image": io.BytesIO(b"x")}, validate_input=True)
    with pytest.raises(InvalidInputError):
        list(client.stream("acme/draw:v3", {"prompt": 3}, validate_input=True))
    with pytest.raises(InvalidArgumentError, match="bare id"):
        client.run("5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa", GOOD, validate_input=True)
    assert all(call.startswith("GET ") for call in calls) and len(calls) == 2


def test_an_input_field_is_a_plain_value() -> None:
    field = InputField("x", "integer", minimum=1)
    assert field.problems(0)[0].code == "range" and field.to_dict()["minimum"] == 1
    assert str(field.problems(0)[0]) == "x: 0 is less than the minimum, 1."


def test_documents_that_would_take_unbounded_work_are_refused_or_cut() -> None:
    # Each schema refers twice to the next: unfolded, 2**40 members. Reading stops early with a SchemaError.
    chain: dict[str, Any] = {f"O{i}": {"type": "object", "properties": {"a": {"$ref": f"#/components/schemas/O{i + 1}"},
                                                                  "b": {"$ref": f"#/components/schemas/O{i + 1}"}}}
                             for i in range(40)}  # fmt: skip
    with pytest.raises(SchemaError, match="too large or too deeply nested"):
        ModelSchema.from_openapi(cog({}, output={"$ref": "#/components/schemas/O0"}, **chain))
    # A type made of itself ends where it repeats.
    tree = {
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/T"}}},
    }
    output = ModelSchema.from_openapi(cog({}, output={"$ref": "#/components/schemas/T"}, T=tree)).output
    assert output.properties[0].items == OutputSpec("any")
    nested: dict[str, Any] = {"type": "integer"}
    for _ in range(200):
        nested = {"type": "array", "items": nested}
    with pytest.raises(SchemaError, match="too deeply nested"):
        ModelSchema.from_openapi(cog({"deep": nested}))
    listed = ModelSchema.from_openapi(
        cog({"L": {"$ref": "#/components/schemas/L"}}, L={"type": "array", "items": {"$ref": "#/components/schemas/L"}})
    )
    items = listed.input("L").items
    assert items is not None and items.type == "array"
