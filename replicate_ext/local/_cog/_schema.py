"""A Cog model's OpenAPI document, laid out as Cog's own build writes it, and Cog's checks of an input.

`cog build` writes the version's schema with a static parser of `predict.py` (Go, in the `cog` command line,
which is not on PyPI). Here the same document is made from what Cog's Python inspector (`cog._inspector`)
finds in the imported predictor: `components.schemas.Input` lists the inputs in order (`x-order`) with a
`title`, their JSON type, `default`, `description`, `minimum`/`maximum`, `minLength`/`maxLength`, `pattern`,
`nullable`, `deprecated` and `x-cog-accept`, and inputs with choices as an `allOf` reference to an enum schema
named after the input; `Output` is the inspector's own JSON schema of the return type (`x-cog-array-type` and
`x-cog-array-display` for iterators). A model with `train:` gets `TrainingInput`/`TrainingOutput` and the
`/trainings` paths merged in, as `cog build` merges the two documents.

Inputs are checked with Cog's `check_input` (required inputs, types, bounds, lengths, patterns, choices), after
a check of their JSON types, which Cog's runtime enforces against the schema.
"""

from __future__ import annotations

import copy
import enum
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cog import _adt as adt
from cog import _inspector

from .._errors import InputValidationError

__all__ = [
    "FILE_TYPES",
    "Inputs",
    "Signature",
    "check_input",
    "field_from_json",
    "field_to_json",
    "openapi_document",
    "title_case",
]

Inputs = dict[str, adt.InputField]
FILE_TYPES = (adt.PrimitiveType.PATH, adt.PrimitiveType.FILE)
_OPTIONAL = (adt.Repetition.OPTIONAL, adt.Repetition.OPTIONAL_REPEATED)
_URL_SCHEMES = ("data:", "http://", "https://")


@dataclass(frozen=True)
class Signature:
    """What the inspector found in a `predict`/`run` or `train` callable, and what it does not keep."""

    inputs: Inputs
    output: adt.OutputType
    accept: dict[str, str]  # `Input(accept=...)` of file inputs, shown as `x-cog-accept`
    null_defaults: frozenset[str]  # optional inputs whose parameter default is a bare `None`


def title_case(name: str) -> str:
    """An input's `title`: `max_tokens` -> `Max Tokens`."""
    return " ".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def _number(value: float) -> float | int:
    # Cog writes bounds from float64 values, which JSON encoding prints without a fraction when whole.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def jsonable(value: Any) -> Any:
    """A default or a choice as JSON: paths as strings, enum members as their values."""
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    get_secret = getattr(value, "get_secret_value", None)
    return get_secret() if callable(get_secret) else str(value)


def _input_schema(signature: Signature, key: str) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    enums: list[tuple[str, dict[str, Any]]] = []
    for name, field in sorted(signature.inputs.items(), key=lambda item: item[1].order):
        ft = field.type
        prop: dict[str, Any] = {"x-order": field.order}
        if field.choices:
            enum_type = ft.primitive.json_type().get("type") or "string"
            choices = [jsonable(choice) for choice in field.choices]
            enums.append((name, {"title": name, "description": "An enumeration.", "enum": choices, "type": enum_type}))
            prop["allOf"] = [{"$ref": f"#/components/schemas/{name}"}]
        else:
            prop["title"] = title_case(name)
            prop.update(ft.json_type())
        # An input that may be null; Cog also reads `Secret = Input(default=None)` as "no secret given".
        bare_secret = ft.primitive is adt.PrimitiveType.SECRET and ft.repetition is adt.Repetition.REQUIRED
        nullable = ft.repetition in _OPTIONAL or (bare_secret and field.default is None)
        # A default of None is no default, unless the input may be null and its parameter says `= None`.
        has_default = field.default is not None or (nullable and name in signature.null_defaults)
        if not has_default and (ft.union_variants is not None or ft.repetition not in _OPTIONAL):
            required.append(name)
        if has_default:
            prop["default"] = jsonable(field.default)
        if nullable:
            prop["nullable"] = True
        if field.description is not None:
            prop["description"] = field.description
        if field.ge is not None:
            prop["minimum"] = _number(field.ge)
        if field.le is not None:
            prop["maximum"] = _number(field.le)
        if field.min_length is not None:
            prop["minLength"] = field.min_length
        if field.max_length is not None:
            prop["maxLength"] = field.max_length
        if field.regex is not None:
            prop["pattern"] = field.regex
        if field.deprecated:
            prop["deprecated"] = True
        if name in signature.accept:
            prop["x-cog-accept"] = signature.accept[name]
        properties[name] = prop
    schema: dict[str, Any] = {"title": key, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema, enums


def _error_schemas() -> dict[str, Any]:
    return {
        "HTTPValidationError": {
            "title": "HTTPValidationError",
            "type": "object",
            "properties": {
                "detail": {
                    "title": "Detail",
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ValidationError"},
                }
            },
        },
        "ValidationError": {
            "title": "ValidationError",
            "required": ["loc", "msg", "type"],
            "type": "object",
            "properties": {
                "loc": {
                    "title": "Location",
                    "type": "array",
                    "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                },
                "msg": {"title": "Message", "type": "string"},
                "type": {"title": "Error Type", "type": "string"},
            },
        },
    }


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _mode_document(signature: Signature, *, train: bool, streaming: bool, version: str) -> dict[str, Any]:
    """The document of one mode (predict or train), as `cog build` makes each before merging them."""
    prefix = "Training" if train else "Prediction"
    input_key, output_key = ("TrainingInput", "TrainingOutput") if train else ("Input", "Output")
    collection, noun = ("trainings", "training") if train else ("predictions", "prediction")
    input_schema, enums = _input_schema(signature, input_key)
    input_ref = {"$ref": f"#/components/schemas/{input_key}"}
    output = signature.output.json_type()
    if output == {"title": "Output"}:  # `-> Any`: cog build writes an opaque JSON object
        output["type"] = "object"
    schemas: dict[str, Any] = {input_key: input_schema, output_key: output}
    schemas.update(enums)
    schemas[f"{prefix}Request"] = {
        "title": f"{prefix}Request",
        "type": "object",
        "properties": {"id": {"title": "Id", "type": "string"}, "input": input_ref},
    }
    times = {
        name: {"title": title_case(name), "type": "string", "format": "date-time"}
        for name in ("created_at", "started_at", "completed_at")
    }
    schemas[f"{prefix}Response"] = {
        "title": f"{prefix}Response",
        "type": "object",
        "properties": {
            "input": input_ref,
            "output": {"$ref": f"#/components/schemas/{output_key}"},
            "id": {"title": "Id", "type": "string"},
            "version": {"title": "Version", "type": "string"},
            **times,
            "status": {"title": "Status", "type": "string"},
            "error": {"title": "Error", "type": "string"},
            "logs": {"title": "Logs", "type": "string"},
            "metrics": {"title": "Metrics", "type": "object"},
        },
    }
    schemas["Status"] = {
        "title": "Status",
        "description": "An enumeration.",
        "enum": ["starting", "processing", "succeeded", "canceled", "failed"],
        "type": "string",
    }
    schemas.update(_error_schemas())
    invalid = {
        "description": "Validation Error",
        "content": _json_content({"$ref": "#/components/schemas/HTTPValidationError"}),
    }
    anything = {"description": "Successful Response", "content": _json_content({})}
    operation: dict[str, Any] = {
        "summary": "Train" if train else "Predict",
        "description": f"Run a single {noun} on the model",
        "operationId": "train_trainings_post" if train else "predict_predictions_post",
        "requestBody": {"content": _json_content({"$ref": f"#/components/schemas/{prefix}Request"})},
        "responses": {
            "200": {
                "description": "Successful Response",
                "content": _json_content({"$ref": f"#/components/schemas/{prefix}Response"}),
            },
            "422": invalid,
        },
    }
    if streaming and not train:
        operation["x-cog-streaming"] = True
    paths: dict[str, Any] = {
        "/": {"get": {"summary": "Root", "operationId": "root__get", "responses": {"200": anything}}},
        "/health-check": {
            "get": {
                "summary": "Healthcheck",
                "operationId": "healthcheck_health_check_get",
                "responses": {"200": anything},
            }
        },
        f"/{collection}": {"post": operation},
        f"/{collection}/{{{noun}_id}}/cancel": {
            "post": {
                "summary": "Cancel",
                "operationId": f"cancel_{collection}__{noun}_id__cancel_post",
                "parameters": [
                    {
                        "required": True,
                        "schema": {"title": title_case(f"{noun}_id"), "type": "string"},
                        "name": f"{noun}_id",
                        "in": "path",
                    }
                ],
                "responses": {"200": anything, "422": invalid},
            }
        },
    }
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": version},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def openapi_document(predict: Signature, train: Signature | None, *, streaming: bool, version: str) -> dict[str, Any]:
    """The version's `openapi_schema`: the predict document, with the train document's paths and schemas
    added where the predict document has none of that name."""
    document = _mode_document(predict, train=False, streaming=streaming, version=version)
    if train is not None:
        extra = _mode_document(train, train=True, streaming=False, version=version)
        for path, item in extra["paths"].items():
            document["paths"].setdefault(path, item)
        schemas = document["components"]["schemas"]
        for name, schema in extra["components"]["schemas"].items():
            schemas.setdefault(name, schema)
    return copy.deepcopy(document)


# -------------------------------------------------------------------------------------------------------------
# Inputs, carried from the inspecting process to the server as JSON


def _type_to_json(ft: adt.FieldType) -> dict[str, Any]:
    variants = None if ft.union_variants is None else [_type_to_json(v) for v in ft.union_variants]
    return {"primitive": ft.primitive.name, "repetition": ft.repetition.name, "union": variants}


def _type_from_json(data: dict[str, Any]) -> adt.FieldType:
    variants = None if data["union"] is None else [_type_from_json(v) for v in data["union"]]
    return adt.FieldType(
        primitive=adt.PrimitiveType[data["primitive"]],
        repetition=adt.Repetition[data["repetition"]],
        coder=None,  # custom types are passed through as they are
        union_variants=variants,
    )


_FIELD_OPTIONS = ("description", "ge", "le", "min_length", "max_length", "regex", "choices", "deprecated")


def field_to_json(field: adt.InputField) -> dict[str, Any]:
    """An input as JSON (`field_from_json` makes it back)."""
    data = {"name": field.name, "order": field.order, "type": _type_to_json(field.type)}
    data["default"] = jsonable(field.default)
    for option in _FIELD_OPTIONS:
        data[option] = jsonable(getattr(field, option))
    return data


def field_from_json(data: dict[str, Any]) -> adt.InputField:
    return adt.InputField(
        name=data["name"],
        order=data["order"],
        type=_type_from_json(data["type"]),
        default=data["default"],
        **{option: data[option] for option in _FIELD_OPTIONS},
    )


# -------------------------------------------------------------------------------------------------------------
# Checking an input


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


_EXPECTED: dict[adt.PrimitiveType, tuple[str, Callable[[Any], bool]]] = {
    adt.PrimitiveType.BOOL: ("a boolean", lambda v: isinstance(v, bool)),
    adt.PrimitiveType.INTEGER: ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    adt.PrimitiveType.FLOAT: ("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    adt.PrimitiveType.STRING: ("a string", lambda v: isinstance(v, str)),
    adt.PrimitiveType.SECRET: ("a string", lambda v: isinstance(v, str)),
    adt.PrimitiveType.PATH: ("a file URL", lambda v: isinstance(v, str) and v.startswith(_URL_SCHEMES)),
    adt.PrimitiveType.FILE: ("a file URL", lambda v: isinstance(v, str) and v.startswith(_URL_SCHEMES)),
}


def _check_json(name: str, ft: adt.FieldType, value: Any) -> None:
    """The JSON type the schema gives the input (Cog's runtime rejects other types against the schema)."""
    if ft.union_variants is not None or ft.primitive not in _EXPECTED:
        return
    if value is None and ft.repetition in _OPTIONAL:
        return
    expected, accepts = _EXPECTED[ft.primitive]
    items = [value]
    if ft.repetition in (adt.Repetition.REPEATED, adt.Repetition.OPTIONAL_REPEATED):
        if not isinstance(value, list):
            raise InputValidationError(f"{name}: expected an array, got {_kind(value)}.", field=name)
        items = value
    for item in items:
        if accepts(item):
            continue
        if ft.primitive in FILE_TYPES:
            got = repr(item[:40]) if isinstance(item, str) else _kind(item)
            raise InputValidationError(f"{name}: expected a file URL (http, https or data), got {got}.", field=name)
        raise InputValidationError(f"{name}: expected {expected}, got {_kind(item)}.", field=name)


def _named(message: str, inputs: Inputs) -> str | None:
    for name in sorted(inputs, key=len, reverse=True):
        if message.startswith((f"{name}:", f"{name} ")):
            return name
    return None


def check_input(inputs: Inputs, raw: Any) -> dict[str, Any]:
    """Check `raw` as Cog does; return the inputs to send to Cog's runtime (those the model has, as given).

    Inputs the model does not have are left out, as Cog ignores them. Files are only checked to be URLs
    here: the runtime downloads them. Raises `InputValidationError` naming the input at fault.
    """
    if not isinstance(raw, dict):
        raise InputValidationError(f"The input must be a JSON object, not {_kind(raw)}.")
    given = {name: value for name, value in raw.items() if name in inputs}
    for name, value in given.items():
        _check_json(name, inputs[name].type, value)
    files = {name for name, field in inputs.items() if field.type.primitive in FILE_TYPES}
    scalars = {name: field for name, field in inputs.items() if name not in files}
    try:
        _inspector.check_input(scalars, {name: value for name, value in given.items() if name in scalars})
    except (ValueError, TypeError) as exc:
        message = str(exc)
        raise InputValidationError(message, field=_named(message, inputs)) from None
    for name in files:
        field = inputs[name]
        if given.get(name) is None and field.default is None and field.type.repetition not in _OPTIONAL:
            raise InputValidationError(f"{name}: Field required", field=name)
    return given
