"""From a predictor's signature to a version's `openapi_schema` (Cog's layout), and input validation against it.

Cog describes a model version with an OpenAPI document whose `components.schemas.Input` lists the inputs
(`title`, `type`, `x-order`, `default`, `minimum`/`maximum`, `format: uri` for files, choices as an `allOf`
reference to a named enum schema) and whose `Output` describes the result (`x-cog-array-type: iterator` and
`x-cog-array-display: concatenate` for streamed text). Replicate serves that document as `openapi_schema`.
This module derives the same layout from Python annotations, and validates inputs against it.
"""

from __future__ import annotations

import collections.abc
import inspect
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ._errors import InputValidationError, PredictorDefinitionError
from ._types import MISSING, AsyncConcatenateIterator, ConcatenateIterator, InputSpec

__all__ = ["Field", "Output", "Signature", "analyse", "openapi_document", "validate_input"]

# Scalar kinds and their JSON Schema form.
_SCALARS: dict[type, tuple[str, dict[str, Any]]] = {
    str: ("string", {"type": "string"}),
    int: ("integer", {"type": "integer"}),
    float: ("number", {"type": "number"}),
    bool: ("boolean", {"type": "boolean"}),
}
_URI = ("uri", {"type": "string", "format": "uri"})
_ITERATORS = (
    collections.abc.Iterator,
    collections.abc.Iterable,
    collections.abc.Generator,
)
_ASYNC_ITERATORS = (
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
    collections.abc.AsyncGenerator,
)


@dataclass(frozen=True)
class Field:
    """One input parameter: its validation kind, limits, default and JSON Schema property."""

    name: str
    kind: str  # string, integer, number, boolean, uri
    is_list: bool
    nullable: bool
    default: Any
    description: str | None
    ge: float | None
    le: float | None
    choices: list[Any] | None
    min_length: int | None
    max_length: int | None
    regex: str | None
    deprecated: bool | None
    order: int

    @property
    def required(self) -> bool:
        """Whether the input must give this field."""
        return self.default is MISSING and not self.nullable

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").title()

    @property
    def has_files(self) -> bool:
        """Whether the field carries file URIs the server turns into local paths."""
        return self.kind == "uri"


@dataclass(frozen=True)
class Output:
    """What a predictor returns: its JSON Schema and whether it streams."""

    schema: dict[str, Any]
    iterator: bool
    concatenate: bool


@dataclass(frozen=True)
class Signature:
    """A `predict` or `train` callable with its fields and output, and how to call it."""

    func: Callable[..., Any]
    kind: str  # "predict" or "train"
    fields: tuple[Field, ...]
    output: Output
    is_coroutine: bool
    is_async_generator: bool
    by_name: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    @property
    def streams(self) -> bool:
        """Whether the output is an iterator (streamed item by item)."""
        return self.output.iterator


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) != len(typing.get_args(annotation))
        if len(args) != 1:
            raise PredictorDefinitionError(f"Union types other than `T | None` are not supported: {annotation!r}.")
        return args[0], nullable
    return annotation, False


def _scalar(annotation: Any, where: str) -> tuple[str, dict[str, Any]]:
    if annotation in _SCALARS:
        kind, schema = _SCALARS[annotation]
        return kind, dict(schema)
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return _URI[0], dict(_URI[1])
    raise PredictorDefinitionError(
        f"{where}: type {annotation!r} is not supported; use str, int, float, bool, pathlib.Path, "
        "a list of those, Literal[...] or Optional[...]."
    )


def _field(name: str, param: inspect.Parameter, annotation: Any, order: int, where: str) -> Field:
    spec = param.default if isinstance(param.default, InputSpec) else None
    if spec is not None:
        default = spec.default
    elif param.default is inspect.Parameter.empty:
        default = MISSING
    else:
        default = param.default
    if annotation is inspect.Parameter.empty:
        raise PredictorDefinitionError(f"{where}: parameter {name!r} needs a type annotation.")
    base, nullable = _strip_optional(annotation)
    if default is None:
        nullable = True
        default = MISSING
    choices = spec.choices if spec is not None else None
    is_list = False
    if typing.get_origin(base) is Literal:
        literal_values = list(typing.get_args(base))
        choices = choices or literal_values
        base = type(literal_values[0])
    if typing.get_origin(base) in (list, collections.abc.Sequence):
        (item,) = typing.get_args(base) or (str,)
        item, _ = _strip_optional(item)
        kind, _schema = _scalar(item, f"{where}: {name}")
        is_list = True
    else:
        kind, _schema = _scalar(base, f"{where}: {name}")
    if choices is not None and default is not MISSING and default not in choices:
        raise PredictorDefinitionError(f"{where}: the default of {name!r}, {default!r}, is not one of its choices.")
    return Field(
        name=name,
        kind=kind,
        is_list=is_list,
        nullable=nullable,
        default=default,
        description=spec.description if spec else None,
        ge=spec.ge if spec else None,
        le=spec.le if spec else None,
        choices=choices,
        min_length=spec.min_length if spec else None,
        max_length=spec.max_length if spec else None,
        regex=spec.regex if spec else None,
        deprecated=spec.deprecated if spec else None,
        order=order,
    )


def _output(annotation: Any, where: str) -> Output:
    if annotation is inspect.Signature.empty or annotation is Any:
        return Output({"title": "Output"}, iterator=False, concatenate=False)
    base, _nullable = _strip_optional(annotation) if annotation is not None else (None, True)
    if base is None or base is type(None):
        return Output({"title": "Output"}, iterator=False, concatenate=False)
    origin = typing.get_origin(base) or base
    args = typing.get_args(base)
    concatenate = origin in (ConcatenateIterator, AsyncConcatenateIterator)
    if concatenate or origin in _ITERATORS or origin in _ASYNC_ITERATORS:
        item_schema = _value_schema(args[0] if args else Any, where)
        schema: dict[str, Any] = {"type": "array", "items": item_schema, "title": "Output"}
        schema["x-cog-array-type"] = "iterator"
        if concatenate:
            schema["x-cog-array-display"] = "concatenate"
        return Output(schema, iterator=True, concatenate=concatenate)
    return Output({**_value_schema(base, where), "title": "Output"}, iterator=False, concatenate=False)


def _value_schema(annotation: Any, where: str) -> dict[str, Any]:
    base, _ = _strip_optional(annotation)
    if base is Any:
        return {}
    origin = typing.get_origin(base) or base
    if origin in (list, tuple, collections.abc.Sequence):
        args = typing.get_args(base)
        return {"type": "array", "items": _value_schema(args[0], where) if args else {}}
    if origin in (dict, collections.abc.Mapping):
        return {"type": "object"}
    return _scalar(base, where)[1]


def analyse(func: Callable[..., Any], *, skip_self: bool, kind: str) -> Signature:
    """Describe `func`'s parameters and return type; raise `PredictorDefinitionError` for unsupported ones."""
    where = getattr(func, "__qualname__", repr(func))
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:  # a NameError in a string annotation, for example
        raise PredictorDefinitionError(f"{where}: cannot resolve the type annotations: {exc}") from exc
    parameters = list(inspect.signature(func).parameters.values())
    if skip_self and parameters:
        parameters = parameters[1:]
    fields = []
    for order, param in enumerate(parameters):
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise PredictorDefinitionError(f"{where}: *args and **kwargs cannot be described as inputs.")
        fields.append(_field(param.name, param, hints.get(param.name, param.annotation), order, where))
    output = _output(hints.get("return", inspect.Signature.empty), where)
    unwrapped = inspect.unwrap(func)
    signature = Signature(
        func=func,
        kind=kind,
        fields=tuple(fields),
        output=output,
        is_coroutine=inspect.iscoroutinefunction(unwrapped),
        is_async_generator=inspect.isasyncgenfunction(unwrapped),
    )
    signature.by_name.update((f.name, f) for f in fields)
    return signature


def _item_schema(f: Field) -> dict[str, Any]:
    return dict(_URI[1]) if f.kind == "uri" else {"type": f.kind}


def _input_schema(signature: Signature, title: str, enums: dict[str, dict[str, Any]]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for f in signature.fields:
        prop: dict[str, Any]
        if f.choices is not None:
            enum_name = f.name if enums.get(f.name, {}).get("enum", f.choices) == f.choices else f"{f.name}_{title}"
            enums[enum_name] = {
                "title": enum_name,
                "description": "An enumeration.",
                "enum": list(f.choices),
                "type": _item_schema(f)["type"],
            }
            prop = {"allOf": [{"$ref": f"#/components/schemas/{enum_name}"}]}
        elif f.is_list:
            prop = {"type": "array", "items": _item_schema(f)}
        else:
            prop = _item_schema(f)
        prop["title"] = f.title
        prop["x-order"] = f.order
        if f.default is not MISSING:
            prop["default"] = f.default
        for key, value in (
            ("description", f.description),
            ("minimum", f.ge),
            ("maximum", f.le),
            ("minLength", f.min_length),
            ("maxLength", f.max_length),
            ("pattern", f.regex),
        ):
            if value is not None:
                prop[key] = value
        if f.nullable:
            prop["nullable"] = True
        if f.deprecated:
            prop["deprecated"] = True
        properties[f.name] = prop
    schema: dict[str, Any] = {"type": "object", "title": title, "properties": properties}
    required = [f.name for f in signature.fields if f.required]
    if required:
        schema["required"] = required
    return schema


def openapi_document(predict: Signature, train: Signature | None) -> dict[str, Any]:
    """The version's OpenAPI document in Cog's layout (the parts clients read: `components.schemas`, paths)."""
    enums: dict[str, dict[str, Any]] = {}
    status = {
        "title": "Status",
        "description": "An enumeration.",
        "enum": ["starting", "processing", "succeeded", "canceled", "failed"],
        "type": "string",
    }
    webhook_event = {
        "title": "WebhookEvent",
        "description": "An enumeration.",
        "enum": ["start", "output", "logs", "completed"],
        "type": "string",
    }
    schemas: dict[str, Any] = {
        "Input": _input_schema(predict, "Input", enums),
        "Output": predict.output.schema,
        "Status": status,
        "WebhookEvent": webhook_event,
        "PredictionRequest": _request_schema("PredictionRequest", "Input"),
        "PredictionResponse": _response_schema("PredictionResponse", "Input", "Output"),
    }
    paths: dict[str, Any] = {"/predictions": _path("Predict", "predict_predictions_post", "Prediction")}
    if train is not None:
        schemas["TrainingInput"] = _input_schema(train, "TrainingInput", enums)
        schemas["TrainingOutput"] = {
            "title": "TrainingOutput",
            "type": "object",
            "properties": {"weights": {"title": "Weights", "type": "string", "format": "uri"}},
            "required": ["weights"],
        }
        schemas["TrainingRequest"] = _request_schema("TrainingRequest", "TrainingInput")
        schemas["TrainingResponse"] = _response_schema("TrainingResponse", "TrainingInput", "TrainingOutput")
        paths["/trainings"] = _path("Train", "train_trainings_post", "Training")
    schemas.update(enums)
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _request_schema(title: str, input_name: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": "object",
        "properties": {
            "id": {"title": "Id", "type": "string"},
            "input": {"$ref": f"#/components/schemas/{input_name}"},
            "webhook": {"title": "Webhook", "type": "string", "format": "uri"},
            "webhook_events_filter": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/WebhookEvent"},
                "default": ["start", "output", "logs", "completed"],
            },
        },
    }


def _response_schema(title: str, input_name: str, output_name: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": "object",
        "properties": {
            "id": {"title": "Id", "type": "string"},
            "input": {"$ref": f"#/components/schemas/{input_name}"},
            "output": {"$ref": f"#/components/schemas/{output_name}"},
            "logs": {"title": "Logs", "type": "string", "default": ""},
            "error": {"title": "Error", "type": "string"},
            "status": {"$ref": "#/components/schemas/Status"},
            "metrics": {"title": "Metrics", "type": "object"},
        },
    }


def _path(summary: str, operation_id: str, name: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "operationId": operation_id,
            "requestBody": {
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Request"}}}
            },
            "responses": {
                "200": {
                    "description": "Successful Response",
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Response"}}},
                }
            },
        }
    }


# ---------------------------------------------------------------------------------------------------------
# Validation


def _check_scalar(f: Field, value: Any, label: str) -> Any:
    kind = f.kind
    if kind == "boolean":
        if not isinstance(value, bool):
            raise InputValidationError(f"{label}: expected a boolean, got {_json_type(value)}.", field=f.name)
        return value
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputValidationError(f"{label}: expected an integer, got {_json_type(value)}.", field=f.name)
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InputValidationError(f"{label}: expected a number, got {_json_type(value)}.", field=f.name)
        value = float(value)
    elif kind in ("string", "uri"):
        if not isinstance(value, str):
            raise InputValidationError(f"{label}: expected a string, got {_json_type(value)}.", field=f.name)
        if kind == "uri" and not value.startswith(("data:", "http://", "https://")):
            raise InputValidationError(
                f"{label}: expected a file URI (data:, http:// or https://), got {value[:60]!r}.", field=f.name
            )
    if f.choices is not None and value not in f.choices:
        allowed = ", ".join(repr(c) for c in f.choices)
        raise InputValidationError(f"{label}: {value!r} is not one of the choices: {allowed}.", field=f.name)
    if kind in ("integer", "number"):
        if f.ge is not None and value < f.ge:
            raise InputValidationError(f"{label}: {value} is less than the minimum of {f.ge}.", field=f.name)
        if f.le is not None and value > f.le:
            raise InputValidationError(f"{label}: {value} is greater than the maximum of {f.le}.", field=f.name)
    if kind == "string":
        if f.min_length is not None and len(value) < f.min_length:
            raise InputValidationError(f"{label}: shorter than {f.min_length} characters.", field=f.name)
        if f.max_length is not None and len(value) > f.max_length:
            raise InputValidationError(f"{label}: longer than {f.max_length} characters.", field=f.name)
        if f.regex is not None and re.search(f.regex, value) is None:
            raise InputValidationError(f"{label}: does not match the pattern {f.regex!r}.", field=f.name)
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def validate_input(signature: Signature, raw: Any) -> dict[str, Any]:
    """Check `raw` against the signature and fill defaults.

    Returns the keyword arguments for the predictor (file fields still as URI strings). Raises
    `InputValidationError` naming the field at fault; an input the model does not have is one (a misspelt
    name would otherwise be dropped without a word).
    """
    if not isinstance(raw, dict):
        raise InputValidationError(f"The input must be a JSON object, not {_json_type(raw)}.")
    for name in raw:
        if name not in signature.by_name:
            known = ", ".join(f.name for f in signature.fields) or "none"
            raise InputValidationError(f"{name}: this model has no such input (its inputs: {known}).", field=name)
    kwargs: dict[str, Any] = {}
    for f in signature.fields:
        if f.name not in raw or raw[f.name] is None:
            if f.name in raw and f.nullable:
                kwargs[f.name] = None
            elif f.required:
                raise InputValidationError(f"{f.name}: this input is required.", field=f.name)
            else:
                kwargs[f.name] = None if f.default is MISSING else _copy(f.default)
            continue
        value = raw[f.name]
        if f.is_list:
            if not isinstance(value, list):
                raise InputValidationError(f"{f.name}: expected an array, got {_json_type(value)}.", field=f.name)
            kwargs[f.name] = [_check_scalar(f, item, f"{f.name}[{i}]") for i, item in enumerate(value)]
        else:
            kwargs[f.name] = _check_scalar(f, value, f.name)
    return kwargs


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value
