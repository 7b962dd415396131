"""Model schemas (`ModelSchema`): any document, any input, any text.

Random documents read or raise SchemaError; checking any input against any schema raises nothing but
InvalidInputError; values drawn to fit a schema pass; and text written from a value reads back as that value.
"""

from __future__ import annotations

import io
import json
import math
import pathlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from replicate_ext import InvalidInputError, ModelSchema, SchemaError

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8,
)
# Anything a caller might pass as a value, sensible or not.
any_values = st.one_of(
    json_values,
    st.floats(),  # NaN and infinities too
    st.sampled_from(
        [pathlib.Path("a.png"), b"bytes", io.BytesIO(b"x"), io.StringIO("text"), object(), {1, 2}, (1, "a")]
    ),
    st.lists(st.sampled_from([pathlib.Path("b.png"), float("nan"), None, object()]), max_size=3),
    st.dictionaries(st.integers(), st.integers(), max_size=2),
)
TYPES = ["string", "integer", "number", "boolean", "array", "object", "null", "nonsense", ["string", "null"]]
PATTERNS = ["^[a-z]+$", "\\d", "(", "^a|b$", "[[:alpha:]]", "(a+)+$"]


def property_schemas() -> st.SearchStrategy[dict[str, Any]]:
    """Input property schemas as Cog writes them, and as nobody should (wrong types for every keyword)."""
    garbage = st.one_of(json_scalars, st.lists(json_scalars, max_size=2))
    base = st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(TYPES),
            "format": st.sampled_from(["uri", "password", "date-time"]) | garbage,
            "title": st.text(max_size=5) | garbage,
            "description": st.text(max_size=5),
            "default": json_values,
            "minimum": st.integers(-10, 10) | garbage,
            "maximum": st.integers(-10, 10) | garbage,
            "exclusiveMinimum": st.floats(-10, 10),
            "ge": st.integers(-10, 10),
            "minLength": st.integers(0, 3) | garbage,
            "maxLength": st.integers(0, 5) | garbage,
            "pattern": st.sampled_from(PATTERNS) | garbage,
            "enum": st.lists(json_scalars, max_size=4) | garbage,
            "nullable": st.booleans() | garbage,
            "x-order": st.integers(0, 5) | garbage,
            "allOf": st.just([{"$ref": "#/components/schemas/choice"}]) | st.lists(garbage, max_size=2),
            "anyOf": st.just([{"type": "integer"}, {"type": "null"}]) | garbage,
            "$ref": st.sampled_from(["#/components/schemas/choice", "#/components/schemas/loop", "#/nowhere", 3]),
        },
    )
    return st.recursive(
        base,
        lambda inner: st.builds(lambda item, spec: {**spec, "type": "array", "items": item}, inner, base),
        max_leaves=3,
    )


documents = st.builds(
    lambda properties, required, output: {
        "components": {
            "schemas": {
                "Input": {"type": "object", "properties": properties, "required": required},
                "Output": output,
                "choice": {"enum": ["a", "b", 1], "type": "string", "description": "An enumeration."},
                "loop": {"$ref": "#/components/schemas/loop"},
            }
        }
    },
    st.dictionaries(st.sampled_from(["prompt", "width", "seed", "image", "mode", "x"]), property_schemas(), max_size=5),
    st.lists(st.sampled_from(["prompt", "width", "other", 3]), max_size=3) | json_scalars,
    property_schemas() | json_scalars,
)


@given(st.one_of(documents, json_values, st.dictionaries(st.text(max_size=10), json_values, max_size=3)))
def test_any_document_reads_or_is_a_schema_error(document: Any) -> None:
    try:
        schema = ModelSchema.from_openapi(document)
    except SchemaError:
        return
    assert [f.order for f in schema.inputs] == list(range(len(schema.inputs)))
    json.dumps(schema.to_dict())
    assert isinstance(schema.output.kind, str)


@given(documents, st.dictionaries(st.sampled_from(["prompt", "width", "seed", "image", "mode", "y"]), any_values))
def test_checking_any_input_raises_only_invalid_input_error(document: Any, input: dict[str, Any]) -> None:
    schema = ModelSchema.from_openapi(document)
    problems = schema.problems(input)
    try:
        schema.validate(input)
    except InvalidInputError as error:
        assert error.problems == problems and problems
        assert all(
            problem.code in {"unknown", "missing", "type", "range", "choice", "length", "pattern"}
            for problem in problems
        )
        assert str(error).splitlines()[-1].startswith(("Valid inputs: ", "This model takes no inputs."))
    else:
        assert problems == ()


@given(
    documents, st.dictionaries(st.sampled_from(["prompt", "width", "seed", "image", "mode", "y"]), st.text(max_size=12))
)
def test_coercing_any_text_raises_only_invalid_input_error(document: Any, values: dict[str, str]) -> None:
    schema = ModelSchema.from_openapi(document)
    for validate in (False, True):
        try:
            coerced = schema.coerce(values, validate=validate)
        except InvalidInputError as error:
            assert error.problems
        else:
            assert set(coerced) == set(values)


# -- values drawn to fit a schema ---------------------------------------------------------------------------------


@st.composite
def fitting(draw: st.DrawFn, name: str, depth: int = 0) -> tuple[dict[str, Any], st.SearchStrategy[Any]]:
    """A well-formed property schema and a strategy for the values that fit it."""
    kind = draw(
        st.sampled_from(
            ["integer", "number", "boolean", "string", "file", "choice", "object"] + (["array"] if depth < 2 else [])
        )
    )
    spec: dict[str, Any]
    values: st.SearchStrategy[Any]
    if kind == "integer":
        bounds = sorted(draw(st.lists(st.integers(-1000, 1000), min_size=2, max_size=2)))
        low, high = bounds[0], bounds[1]
        spec = {"type": "integer", "minimum": low, "maximum": high}
        values = st.integers(low, high) | st.integers(low, high).map(float)
    elif kind == "number":
        edges = sorted(draw(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=2)))
        spec = {"type": "number", "minimum": edges[0], "maximum": edges[1]}
        values = st.floats(edges[0], edges[1])
        if math.ceil(edges[0]) <= math.floor(edges[1]):
            values = values | st.integers(math.ceil(edges[0]), math.floor(edges[1]))
    elif kind == "boolean":
        spec, values = {"type": "boolean"}, st.booleans()
    elif kind == "string":
        low = draw(st.integers(0, 3))
        high = draw(st.integers(low, 10))
        spec = {"type": "string", "minLength": low, "maxLength": high}
        values = st.text(min_size=low, max_size=high)
        if draw(st.booleans()):
            spec = {"type": "string", "pattern": "^[a-z]{2}[0-9]*$"}
            values = st.from_regex(r"\A[a-z]{2}[0-9]*\Z")
    elif kind == "file":
        spec = {"type": "string", "format": "uri"}
        values = st.sampled_from(["https://example.com/a.png", "data:,x", pathlib.Path("a.png"), b"x", io.BytesIO()])
    elif kind == "choice":
        choices = draw(st.lists(st.text(max_size=5), min_size=1, max_size=4, unique=True))
        spec = {"allOf": [{"$ref": f"#/components/schemas/{name}{depth}"}], "x-enum": choices}
        values = st.sampled_from(choices)
    elif kind == "object":
        spec, values = {"type": "object"}, st.dictionaries(st.text(max_size=4), json_values, max_size=3)
    else:
        item, item_values = draw(fitting(name, depth + 1))
        spec, values = {"type": "array", "items": item}, st.lists(item_values, max_size=3)
    if draw(st.booleans()):
        spec["nullable"] = True
        values = values | st.none()
    return spec, values


def with_enums(spec: dict[str, Any], schemas: dict[str, Any], name: str, depth: int = 0) -> dict[str, Any]:
    """Move the choices of `fitting` into referenced enum schemas, as Cog lays them out."""
    if "x-enum" in spec:
        enum = {"title": name, "description": "An enumeration.", "type": "string", "enum": spec["x-enum"]}
        schemas[f"{name}{depth}"] = enum
        return {key: value for key, value in spec.items() if key != "x-enum"}
    if "items" in spec:
        return {**spec, "items": with_enums(spec["items"], schemas, name, depth + 1)}
    return spec


@given(st.data())
def test_values_drawn_to_fit_a_schema_pass(data: st.DataObject) -> None:
    names = data.draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4, unique=True))
    properties: dict[str, Any] = {}
    strategies: dict[str, st.SearchStrategy[Any]] = {}
    input: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for order, name in enumerate(names):
        spec, values = data.draw(fitting(name))
        properties[name] = {**with_enums(spec, schemas, name), "x-order": order}
        strategies[name] = values
    required = data.draw(st.lists(st.sampled_from(names), unique=True))
    for name in names:
        if name in required or data.draw(st.booleans()):
            input[name] = data.draw(strategies[name])
            if input[name] is None and name in required and not properties[name].get("nullable"):
                del input[name]
                required.remove(name)
    document = {"components": {"schemas": {"Input": {"properties": properties, "required": required}, **schemas}}}
    schema = ModelSchema.from_openapi(document)
    assert schema.problems(input) == ()


# -- text and back --------------------------------------------------------------------------------------------------


def field_of(kind: str, **spec: Any) -> Any:
    return ModelSchema.from_openapi(
        {"components": {"schemas": {"Input": {"properties": {"x": {"type": kind, **spec}}}}}}
    ).input("x")


INTEGER, NUMBER, BOOLEAN, STRING, ANY = (field_of(kind) for kind in ("integer", "number", "boolean", "string", "any"))
INTEGERS, OBJECT = field_of("array", items={"type": "integer"}), field_of("object")


@given(st.integers(-(10**300), 10**300))
def test_integers_read_back_from_their_text(value: int) -> None:
    assert INTEGER.coerce(str(value)) == value and INTEGER.coerce(f" {value} ") == value
    assert NUMBER.coerce(str(value)) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_read_back_from_their_text(value: float) -> None:
    coerced = NUMBER.coerce(str(value))
    assert coerced == value and isinstance(coerced, float)
    if value.is_integer():
        assert INTEGER.coerce(str(value)) == int(value)


@given(st.booleans(), st.sampled_from([str, lambda b: str(b).lower(), lambda b: str(b).upper(), lambda b: str(int(b))]))
def test_booleans_read_back_from_their_text(value: bool, write: Any) -> None:
    assert BOOLEAN.coerce(write(value)) is value


@given(st.text())
def test_strings_are_kept_as_they_are(text: str) -> None:
    assert STRING.coerce(text) == text


@given(json_values)
def test_json_values_read_back_from_their_text(value: Any) -> None:
    text = json.dumps(value)
    assert ANY.coerce(text) == value
    assert OBJECT.coerce(json.dumps({"v": value})) == {"v": value}


@given(st.lists(st.integers(-(10**20), 10**20), max_size=5))
def test_lists_read_back_from_their_json(value: list[int]) -> None:
    assert INTEGERS.coerce(json.dumps(value)) == value
    assert INTEGERS.coerce(json.dumps([str(item) for item in value])) == value
