"""Model schemas: a version's `openapi_schema` read into objects, and inputs checked and coerced by it.

Cog describes what a version takes and returns with an OpenAPI document, and Replicate serves it as the
version's `openapi_schema`. The parts that matter to a caller are two JSON Schemas under `components.schemas`:

- `Input`: one property per input, ordered by `x-order`, with `type`, `default`, `minimum`/`maximum`,
  `minLength`/`maxLength`/`pattern`, `nullable`, `format: uri` for files, `items` for lists, and choices as an
  `enum` reached through `allOf: [{"$ref": "#/components/schemas/<name>"}]`; the object's `required` lists the
  inputs without a default.
- `Output`: the JSON Schema of the result; `x-cog-array-type: iterator` marks an output produced piece by piece
  and `x-cog-array-display: concatenate` one whose pieces are text to be joined.

`ModelSchema.from_openapi` reads that into `InputField`s and an `OutputSpec`. `ModelSchema.validate` checks an
input as the API would before anything is created (and lists every problem in one `InvalidInputError`), and
`ModelSchema.coerce` turns text (`NAME=VALUE` on a command line, a CSV cell) into typed values.

This module is the only reader of `openapi_schema` in the client: `run()`, the command line and batch runs all
go through it. It does no I/O; `_schema_fetch.py` fetches schemas from the API, once per version and client.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._exceptions import InvalidInputError, SchemaError
from ._files import is_local_file
from ._json import same_json

__all__ = ["InputField", "InputProblem", "ModelSchema", "OutputSpec"]

_REF_PREFIX = "#/components/schemas/"
# Keywords that describe a value itself; titles and descriptions of a referenced schema (Cog's enums say
# "An enumeration.") are not the input's.
_NOT_INHERITED = frozenset({"title", "description", "x-order", "default"})
# How deep schemas may nest, and how many a document may make the reader look at (published Cog schemas need
# a few hundred): bounds on the work a hostile document can cause.
_MAX_DEPTH = 64
_BUDGET = 20_000
_JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object")


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with an input.

    `name` is the input it concerns (as the caller spelt it, for an unknown one); `code` says what kind of
    problem it is, for programs: "unknown" (no such input), "missing" (a required input is absent or None),
    "type" (the wrong kind of value, or text that cannot be read as one), "range" (outside `minimum`/`maximum`),
    "choice" (not one of the allowed values), "length" (a string too short or too long), "pattern" (a string
    that does not match the input's pattern). `message` says it for people, without the name.
    """

    name: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.message}" if self.name else self.message


@dataclass(frozen=True, slots=True)
class InputField:
    """One input of a model version, as its schema describes it.

    `type` is the JSON type ("string", "integer", "number", "boolean", "array", "object"), "file" for a string
    with `format: uri` (a URL, a data URI, or a local file the client sends), or "any" when the schema does not
    say. A list of files is `type == "array"` with `items.type == "file"` (`is_file_list`).

    `default` is the default value when `has_default` is true; when there is no default, `has_default` is false
    and `default` is None. `required` inputs have no default and must be given. `nullable` ones accept None.
    `choices` (from the schema's `enum`, also when reached through `allOf`/`$ref`) are the allowed values, or
    None. `items` describes the elements of an array input. `order` is the input's position (by `x-order`).
    """

    name: str
    type: str
    format: str | None = None
    title: str | None = None
    description: str | None = None
    default: Any = field(default=None, hash=False)
    has_default: bool = False
    required: bool = False
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[Any, ...] | None = field(default=None, hash=False)
    items: InputField | None = None
    order: int = 0
    deprecated: bool = False

    @property
    def is_file(self) -> bool:
        """Whether the input is one file (`format: uri`)."""
        return self.type == "file"

    @property
    def is_file_list(self) -> bool:
        """Whether the input is a list of files."""
        return self.type == "array" and self.items is not None and self.items.type == "file"

    @property
    def is_secret(self) -> bool:
        """Whether the input is a secret (Cog's `Secret`: `format: password`), whose value should not be shown."""
        return self.format == "password"

    def problems(self, value: Any) -> tuple[InputProblem, ...]:
        """What is wrong with `value` for this input (empty when nothing is). See `ModelSchema.validate`."""
        found: list[InputProblem] = []
        _check(self, value, "", found)
        return tuple(found)

    def coerce(self, text: str) -> Any:
        """Read `text` as a value of this input. See `ModelSchema.coerce` for the rules.

        Raises:
            InvalidInputError: The text cannot be read as this input's type.
        """
        value, problem = _coerce(self, text, "")
        if problem is not None:
            raise InvalidInputError([problem])
        return value

    def to_dict(self) -> dict[str, Any]:
        """The field as JSON-ready data (every key present; `default` is meaningful when `has_default`)."""
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "title": self.title,
            "description": self.description,
            "required": self.required,
            "nullable": self.nullable,
            "has_default": self.has_default,
            "default": self.default,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "exclusive_minimum": self.exclusive_minimum,
            "exclusive_maximum": self.exclusive_maximum,
            "min_length": self.min_length,
            "max_length": self.max_length,
            "pattern": self.pattern,
            "choices": list(self.choices) if self.choices is not None else None,
            "items": self.items.to_dict() if self.items is not None else None,
            "order": self.order,
            "deprecated": self.deprecated,
        }


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """What a model version returns, as its schema's `Output` describes it.

    `type` is the JSON type ("string", "array", "object", "number", "integer", "boolean"), or "any" when the
    schema does not say; a file is a "string" with `format == "uri"` (`is_file`). `items` describes the
    elements of an array, `properties` the members of an object (each an `OutputSpec` with its `name`).
    `is_iterator` is true for an output produced piece by piece (`x-cog-array-type: iterator`: `run()` returns
    an iterator for it, and streaming sends the pieces as they come), and `concatenates` for one whose pieces
    are text to be joined (`x-cog-array-display: concatenate`, the output of language models).
    """

    type: str
    format: str | None = None
    items: OutputSpec | None = None
    properties: tuple[OutputSpec, ...] = ()
    is_iterator: bool = False
    concatenates: bool = False
    name: str | None = None
    title: str | None = None

    @property
    def is_file(self) -> bool:
        """Whether the output is one file (a URL)."""
        return self.type == "string" and self.format == "uri"

    @property
    def is_file_list(self) -> bool:
        """Whether the output is a list of files (also when they come one at a time)."""
        return self.type == "array" and self.items is not None and self.items.is_file

    @property
    def kind(self) -> str:
        """A short description for people: "text", "file", "list of files", "text stream", "iterator of files",
        "object", "number", "list of lists of numbers", "any", ..."""
        if self.is_iterator:
            if self.concatenates:
                return "text stream"
            return f"iterator of {_plural(self.items.kind) if self.items is not None else 'values'}"
        if self.type == "array":
            return f"list of {_plural(self.items.kind) if self.items is not None else 'values'}"
        if self.is_file:
            return "file"
        return {"string": "text"}.get(self.type, self.type)

    def to_dict(self) -> dict[str, Any]:
        """The output's description as JSON-ready data."""
        return {
            "type": self.type,
            "format": self.format,
            "kind": self.kind,
            "is_file": self.is_file,
            "is_file_list": self.is_file_list,
            "is_iterator": self.is_iterator,
            "concatenates": self.concatenates,
            "items": self.items.to_dict() if self.items is not None else None,
            "properties": {spec.name or "": spec.to_dict() for spec in self.properties} or None,
        }


def _plural(kind: str) -> str:
    if kind.startswith("list of "):
        return "lists of " + kind[len("list of ") :]
    if kind.startswith("iterator of "):
        return "iterators of " + kind[len("iterator of ") :]
    return {"text": "text", "any": "values", "text stream": "text streams"}.get(kind, kind + "s")


@dataclass(frozen=True)
class ModelSchema:
    """A model version's inputs and output, read from its `openapi_schema` (Cog's layout).

    Get one from a version (`version.schema`), a model (`model.schema`, its latest version's), the API
    (`client.models.schema("owner/name")`), or a document (`ModelSchema.from_openapi(openapi_schema)`)::

        schema = client.models.schema("stability-ai/sdxl")
        for field in schema.inputs:
            print(field.name, field.type, field.default if field.has_default else "(no default)")
        schema.validate({"prompt": "a fox", "width": 1024})  # raises InvalidInputError listing every problem
        schema.coerce({"width": "1024", "refine": "no_refiner"})  # {"width": 1024, "refine": "no_refiner"}

    It is immutable; `to_dict()` gives it as JSON-ready data.
    """

    inputs: tuple[InputField, ...]
    """The inputs in `x-order` order."""
    output: OutputSpec
    _by_name: dict[str, InputField] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.inputs})

    # -- reading ----------------------------------------------------------------------------------------------

    @classmethod
    def from_openapi(cls, openapi_schema: Mapping[str, Any]) -> ModelSchema:
        """Read a version's `openapi_schema` (Cog's layout: `components.schemas.Input` and `Output`).

        Details the client does not understand are passed over (an unknown `type` reads as "any", a `minimum`
        that is not a number is ignored), so that any schema Cog has produced can be read.

        Raises:
            SchemaError: The document is not a Cog schema (no `components.schemas.Input` object, or an input
                described by something other than an object).
        """
        if not isinstance(openapi_schema, Mapping):
            raise SchemaError(f"A model schema is a JSON object (an OpenAPI document), not {_kind_of(openapi_schema)}.")
        components = openapi_schema.get("components")
        schemas = components.get("schemas") if isinstance(components, Mapping) else None
        if not isinstance(schemas, Mapping) or not isinstance(schemas.get("Input"), Mapping):
            raise SchemaError(
                "This is not a Cog model schema: it has no components.schemas.Input object describing the inputs."
            )
        reader = _Reader(schemas)
        return cls(_read_inputs(schemas["Input"], reader), _read_output(schemas.get("Output"), reader))

    def input(self, name: str) -> InputField:
        """The input called `name`.

        Raises:
            InvalidInputError: There is no such input (the error suggests the closest name, and lists them all).
        """
        found = self._by_name.get(name)
        if found is None:
            raise self._error([self._unknown(name)])
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def required(self) -> tuple[str, ...]:
        """The names of the required inputs, in order."""
        return tuple(f.name for f in self.inputs if f.required)

    def to_dict(self) -> dict[str, Any]:
        """The schema as JSON-ready data: `{"inputs": [<InputField.to_dict()>, ...], "output": {...}}`."""
        return {"inputs": [f.to_dict() for f in self.inputs], "output": self.output.to_dict()}

    # -- checking ---------------------------------------------------------------------------------------------

    def problems(self, input: Mapping[str, Any] | None) -> tuple[InputProblem, ...]:
        """Everything wrong with `input` (empty when it is valid); `validate` raises them as one error."""
        if input is None:
            input = {}
        if not isinstance(input, Mapping):
            message = f"The input must be a mapping of input names to values, not {_kind_of(input)}."
            return (InputProblem("", "type", message),)
        found: list[InputProblem] = []
        for name in input:
            if not isinstance(name, str):
                found.append(InputProblem(repr(name), "unknown", "input names are strings."))
            elif name not in self._by_name:
                found.append(self._unknown(name))
        for f in self.inputs:
            if f.name in input:
                _check(f, input[f.name], "", found)
            elif f.required:
                found.append(InputProblem(f.name, "missing", "this input is required."))
        return tuple(found)

    def validate(self, input: Mapping[str, Any] | None) -> None:
        """Check an input before it is sent, as the API and Cog would check it, and raise if anything is wrong.

        What passes: for a string, a `str`; for a file, a URL or `data:` URI string, or what the client sends as
        a file (a `pathlib.Path`, `bytes`, an open binary file); for an integer, an `int` (or a float with no
        fractional part, such as 3.0); for a number, an `int` or a finite `float`; for a boolean, a `bool`
        (never 1 or 0, and `True` is never a number); for an array, a list or tuple whose items pass; for an
        object, a mapping. Text is not converted (the API does not convert it either; see `coerce`). A value
        must be one of the `choices` when there are some, within `minimum`/`maximum`, and of a length and
        pattern the schema allows. None passes for an input that is not required (it means "not given").
        Every required input must be there. A name that is not an input is a problem too (the local server
        refuses it as well): a misspelt name would otherwise be dropped without a word.

        Raises:
            InvalidInputError: Something is wrong; its `problems` list every one, and its message names them
                all and ends with the valid inputs.
        """
        found = self.problems(input)
        if found:
            raise self._error(found)

    def coerce(self, values: Mapping[str, Any], *, validate: bool = False) -> dict[str, Any]:
        """Read text values (`NAME=VALUE` on a command line, the cells of a CSV file) as typed inputs.

        Each text value is read by its input's type:

        - integer: a whole number, `"3"` -> 3 (also `"3.0"` and `"1e3"`, whose values are whole; `"3.5"` is a
          problem); number: `"0.5"` -> 0.5, `"3"` -> 3;
        - boolean: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`, `t`/`f`, `y`/`n`, in any case;
        - array: a JSON array (`'["a", "b"]'`, `"[1, 2]"`), whose text items are then read by the items' type;
          any other text is a list of that one item (`"cat.png"` -> `["cat.png"]`). Text is never split at
          commas, which prompts and data URIs contain;
        - object: a JSON object;
        - string and file: the text as it is (a command line turns `@path` into a file itself);
        - any (a schema that does not say): JSON when the text parses as JSON, else the text;
        - `null` is None for every type but string and file.

        A name that is not an input is read as JSON when it parses, else kept as text (validation then
        reports it). Values that are not text (a `pathlib.Path` made from `@path`, values from a JSON file)
        are kept as they are.

        Args:
            values: Input names and their values.
            validate: Also validate the result (`validate`), so that one error lists the problems of reading
                the text and those of the values together.

        Raises:
            InvalidInputError: Some text cannot be read as its input's type (and, with `validate=True`, any
                problem `validate` finds); the error lists them all.
        """
        result: dict[str, Any] = {}
        found: list[InputProblem] = []
        for name, value in values.items():
            f = self._by_name.get(name)
            if not isinstance(value, str):
                result[name] = value
            elif f is None:
                result[name] = _json_or_text(value)
            else:
                coerced, problem = _coerce(f, value, "")
                if problem is None:
                    result[name] = coerced
                else:
                    found.append(problem)
        if validate:
            failed = {problem.name for problem in found}
            found.extend(problem for problem in self.problems(result) if problem.name not in failed)
            found.sort(key=self._position)
        if found:
            raise self._error(found)
        return result

    # -- helpers ----------------------------------------------------------------------------------------------

    def _unknown(self, name: str) -> InputProblem:
        close = _closest(name, [f.name for f in self.inputs])
        hint = f"; did you mean {close!r}?" if close else "."
        return InputProblem(name, "unknown", f"this model has no such input{hint}")

    def _position(self, problem: InputProblem) -> tuple[int, int]:
        f = self._by_name.get(problem.name)
        return (1, f.order) if f is not None else (0, 0)

    def _error(self, problems: Iterable[InputProblem]) -> InvalidInputError:
        return InvalidInputError(problems, [f.name for f in self.inputs], required=self.required)


# -- reading the document -----------------------------------------------------------------------------------------


class _Reader:
    """Reads one document: each named schema is resolved once, a reference cycle ends where it repeats, and a
    document that would take unbounded work to read (nested too deep, or unfolding exponentially) is refused."""

    def __init__(self, schemas: Mapping[str, Any]) -> None:
        self.schemas = schemas
        self.resolved: dict[str, dict[str, Any]] = {}
        self.active: set[str] = set()
        self.budget = _BUDGET

    def spend(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise SchemaError("This model schema is too large or too deeply nested to read.")

    def resolve(self, node: Any, depth: int = 0) -> dict[str, Any]:
        """A schema with its `$ref` and `allOf` parts merged in (its own keywords win), and an `anyOf`/`oneOf` of
        one type and null read as that type, nullable."""
        self.spend()
        if not isinstance(node, Mapping):
            return {}
        if depth > _MAX_DEPTH:
            raise SchemaError("This model schema is too large or too deeply nested to read.")
        parts: list[dict[str, Any]] = []
        name = ref_name(node)
        if name is not None:
            parts.append(self.named(name, depth))
        if isinstance(node.get("allOf"), list):
            parts.extend(self.resolve(part, depth + 1) for part in node["allOf"])
        merged: dict[str, Any] = {}
        for part in parts:
            merged.update({key: value for key, value in part.items() if key not in _NOT_INHERITED})
        merged.update({key: value for key, value in node.items() if key not in ("$ref", "allOf")})
        alternatives = merged.pop("anyOf", None)
        alternatives = merged.pop("oneOf", alternatives)
        if isinstance(alternatives, list) and alternatives:
            options = [self.resolve(alternative, depth + 1) for alternative in alternatives]
            others = [option for option in options if option.get("type") != "null"]
            if len(others) < len(options):
                merged["nullable"] = True
            if len(others) == 1:
                inherited = {key: value for key, value in others[0].items() if key not in _NOT_INHERITED}
                merged = {**inherited, **merged}
        return merged

    def named(self, name: str, depth: int) -> dict[str, Any]:
        found = self.resolved.get(name)
        if found is not None:
            return found
        if name in self.active:
            return {}  # a cycle: the schema is already being read further up
        self.active.add(name)
        try:
            found = self.resolve(self.schemas.get(name), depth + 1)
        finally:
            self.active.discard(name)
        self.resolved[name] = found
        return found


def ref_name(node: Any) -> str | None:
    """The name of the component schema a node refers to (`{"$ref": "#/components/schemas/<name>"}`)."""
    ref = node.get("$ref") if isinstance(node, Mapping) else None
    return ref[len(_REF_PREFIX) :] if isinstance(ref, str) and ref.startswith(_REF_PREFIX) else None


def _json_type(schema: Mapping[str, Any]) -> tuple[str, bool]:
    """The one JSON type a schema names ("any" when none, or several), and whether it also allows null."""
    declared = schema.get("type")
    nullable = schema.get("nullable") is True
    if isinstance(declared, list):
        names = [name for name in declared if isinstance(name, str)]
        nullable = nullable or "null" in names
        names = [name for name in names if name != "null"]
        declared = names[0] if len(names) == 1 else None
    if declared not in _JSON_TYPES:
        return "any", nullable
    return str(declared), nullable


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _field(
    name: str,
    schema: Mapping[str, Any],
    reader: _Reader,
    seen: frozenset[str] = frozenset(),
    *,
    order: int = 0,
    required: bool = False,
) -> InputField:
    """The field an input's schema describes; `seen` names the schemas it is nested in (an array of arrays)."""
    if len(seen) > _MAX_DEPTH:
        raise SchemaError(f"The input {name!r} is too deeply nested to read.")
    spec = reader.resolve(schema)
    kind, nullable = _json_type(spec)
    format = _text(spec.get("format"))
    if kind == "string" and format == "uri":
        kind = "file"
    items = None
    if kind == "array":
        element = spec.get("items")
        named = ref_name(element) or f"#{len(seen)}"  # an inline schema counts as one level of nesting
        if named in seen:  # an array of itself: its items are left undescribed
            element = {}
        items = _field(name, element if isinstance(element, Mapping) else {}, reader, seen | {named})
    enum = spec.get("enum")
    minimum, maximum = _number(spec.get("minimum")), _number(spec.get("maximum"))
    # Pydantic's own names for the bounds, which some published schemas carry instead of minimum/maximum.
    minimum = minimum if minimum is not None else _number(spec.get("ge"))
    maximum = maximum if maximum is not None else _number(spec.get("le"))
    exclusive_minimum, exclusive_maximum = _number(spec.get("exclusiveMinimum")), _number(spec.get("exclusiveMaximum"))
    exclusive_minimum = exclusive_minimum if exclusive_minimum is not None else _number(spec.get("gt"))
    exclusive_maximum = exclusive_maximum if exclusive_maximum is not None else _number(spec.get("lt"))
    return InputField(
        name=name,
        type=kind,
        format=format,
        title=_text(spec.get("title")),
        description=_text(spec.get("description")),
        default=copy.deepcopy(spec.get("default")),  # the field's own, as immutable as a value can be made
        has_default="default" in spec,
        nullable=nullable,
        minimum=minimum,
        maximum=maximum,
        exclusive_minimum=exclusive_minimum,
        exclusive_maximum=exclusive_maximum,
        min_length=_count(spec.get("minLength")),
        max_length=_count(spec.get("maxLength")),
        pattern=_text(spec.get("pattern")),
        choices=tuple(copy.deepcopy(enum)) if isinstance(enum, list) else None,
        items=items,
        order=order,
        required=required,
        deprecated=spec.get("deprecated") is True,
    )


def _read_inputs(input_schema: Mapping[str, Any], reader: _Reader) -> tuple[InputField, ...]:
    properties = input_schema.get("properties", {})
    if not isinstance(properties, Mapping):
        raise SchemaError("This model schema's Input has properties that are not an object of input descriptions.")
    required = input_schema.get("required")
    required_names = {name for name in required if isinstance(name, str)} if isinstance(required, list) else set()
    for name, schema in properties.items():
        if not isinstance(name, str) or not isinstance(schema, Mapping):
            raise SchemaError(f"This model schema describes the input {name!r} with {_kind_of(schema)}, not an object.")
    # By x-order; inputs without one (never in Cog's schemas) after the others, in the order they are written.
    ordered = sorted(enumerate(properties.items()), key=lambda entry: (_order_of(entry[1][1]), entry[0]))
    return tuple(
        _field(name, schema, reader, order=index, required=name in required_names)
        for index, (_, (name, schema)) in enumerate(ordered)
    )


def _read_output(node: Any, reader: _Reader, name: str | None = None, seen: frozenset[str] = frozenset()) -> OutputSpec:
    """What an output schema describes; `seen` names the schemas it is nested in (a list of lists, an object)."""
    if len(seen) > _MAX_DEPTH:
        raise SchemaError("The output of this model schema is too deeply nested to read.")
    named = ref_name(node)
    if named in seen:  # a type made of itself: the repetition is left undescribed
        return OutputSpec("any", name=name)
    seen = seen | {named or f"#{len(seen)}"}  # an inline schema counts as one level of nesting
    spec = reader.resolve(node)
    kind, _ = _json_type(spec)
    items = None
    properties: tuple[OutputSpec, ...] = ()
    if kind == "array":
        items = _read_output(spec.get("items"), reader, None, seen)
    members = spec.get("properties")
    if kind == "object" and isinstance(members, Mapping):
        ordered = sorted(enumerate(members.items()), key=lambda entry: (_order_of(entry[1][1]), entry[0]))
        properties = tuple(_read_output(member, reader, str(key), seen) for _, (key, member) in ordered)
    iterator = kind == "array" and spec.get("x-cog-array-type") == "iterator"
    return OutputSpec(
        type=kind,
        format=_text(spec.get("format")),
        items=items,
        properties=properties,
        is_iterator=iterator,
        concatenates=iterator and spec.get("x-cog-array-display") == "concatenate",
        name=name,
        title=_text(spec.get("title")),
    )


def _order_of(schema: Any) -> float:
    order = schema.get("x-order") if isinstance(schema, Mapping) else None
    return order if isinstance(order, int | float) and not isinstance(order, bool) else math.inf


def _kind_of(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {_short(value)}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _short(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else repr(text[: limit - 3] + "...")


def _closest(name: str, names: list[str]) -> str | None:
    import difflib

    for candidate in names:
        if candidate.lower() == name.lower():
            return candidate
    found = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return found[0] if found else None


# -- checking values ------------------------------------------------------------------------------------------------


def _is_url(text: str) -> bool:
    return text[:8].lower().startswith(("http://", "https://", "data:"))


def _plain(value: Any) -> Any:
    """numpy arrays and scalars as the lists and numbers the client sends for them."""
    if not isinstance(value, str | bytes | bytearray | memoryview) and callable(getattr(value, "tolist", None)):
        try:
            return value.tolist()
        except Exception:
            return value
    return value


def _check(f: InputField, value: Any, where: str, found: list[InputProblem]) -> None:
    """Add what is wrong with `value` for `f` to `found`; `where` locates an item ("item 2: ")."""
    value = _plain(value)
    if value is None:
        if where:  # an item of a list
            if not f.nullable:
                found.append(InputProblem(f.name, "type", where + "None is not a value this list holds."))
        elif f.required and not f.nullable:
            found.append(InputProblem(f.name, "missing", "this input is required; None does not give it."))
        return
    before = len(found)
    _check_type(f, value, where, found)
    if len(found) > before:
        return
    if f.choices is not None and not any(same_json(value, choice) for choice in f.choices):
        found.append(InputProblem(f.name, "choice", where + _not_a_choice(value, f.choices)))
        return
    number = _number(value) if f.type in ("integer", "number") else None
    if number is not None:
        _check_range(f, number, where, found)
    if isinstance(value, str) and f.type in ("string", "file", "any"):
        _check_text(f, value, where, found)
    if f.type == "array" and f.items is not None:
        for index, item in enumerate(_as_list(value)):
            _check(f.items, item, f"{where}item {index}: ", found)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)  # as the client sends a set
    return list(value)


def _check_type(f: InputField, value: Any, where: str, found: list[InputProblem]) -> None:
    kind = f.type
    problem: str | None = None
    if kind == "string":
        if not isinstance(value, str) and not is_local_file(value):
            problem = f"expected a string, got {_kind_of(value)}."
    elif kind == "file":
        problem = _file_problem(value)
    elif kind == "integer":
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
        ):
            problem = f"expected an integer, got {_kind_of(value)}{_unconverted(value)}."
    elif kind == "number":
        if _number(value) is None:
            problem = f"expected a number, got {_kind_of(value)}{_unconverted(value)}."
    elif kind == "boolean":
        if not isinstance(value, bool):
            problem = f"expected true or false, got {_kind_of(value)}{_unconverted(value)}."
    elif kind == "array":
        if not isinstance(value, list | tuple | set | frozenset):
            problem = f"expected a list, got {_kind_of(value)}."
    elif kind == "object":
        if not isinstance(value, Mapping):
            problem = f"expected an object (a mapping), got {_kind_of(value)}."
    if problem is not None:
        found.append(InputProblem(f.name, "type", where + problem))


def _unconverted(value: Any) -> str:
    return " (text is not converted: pass the value itself)" if isinstance(value, str) else ""


def _file_problem(value: Any) -> str | None:
    import io

    if isinstance(value, str):
        if _is_url(value):
            return None
        return (
            f"expected a file, got {_kind_of(value)}: a file is an http(s) URL, a data: URI, or a local file given "
            "as a pathlib.Path, bytes or a file opened in binary mode."
        )
    if isinstance(value, io.TextIOBase):
        return "this file is opened in text mode; open it in binary mode ('rb')."
    if is_local_file(value):
        return None
    return f"expected a file (a URL, a pathlib.Path, bytes or an open binary file), got {_kind_of(value)}."


def _not_a_choice(value: Any, choices: tuple[Any, ...]) -> str:
    shown = ", ".join(_show(choice) for choice in choices[:20])
    if len(choices) > 20:
        shown += f", ... ({len(choices) - 20} more)"
    hint = ""
    if isinstance(value, str):
        close = _closest(value, [choice for choice in choices if isinstance(choice, str)])
        hint = f"; did you mean {close!r}?" if close else ""
    return f"{_show(value)} is not one of the choices: {shown}{hint}" + ("" if hint else ".")


def _show(value: Any) -> str:
    return _short(value) if isinstance(value, str) else repr(value)


def _check_range(f: InputField, number: float, where: str, found: list[InputProblem]) -> None:
    problem = None
    if f.minimum is not None and number < f.minimum:
        problem = f"{number!r} is less than the minimum, {f.minimum!r}."
    elif f.maximum is not None and number > f.maximum:
        problem = f"{number!r} is greater than the maximum, {f.maximum!r}."
    elif f.exclusive_minimum is not None and number <= f.exclusive_minimum:
        problem = f"{number!r} is not greater than {f.exclusive_minimum!r}."
    elif f.exclusive_maximum is not None and number >= f.exclusive_maximum:
        problem = f"{number!r} is not less than {f.exclusive_maximum!r}."
    if problem is not None:
        found.append(InputProblem(f.name, "range", where + problem))


def _check_text(f: InputField, text: str, where: str, found: list[InputProblem]) -> None:
    size = len(text)  # characters (code points), as JSON Schema counts them
    if f.min_length is not None and size < f.min_length:
        message = f"{size} characters is shorter than the minimum, {f.min_length}."
        found.append(InputProblem(f.name, "length", where + message))
    elif f.max_length is not None and size > f.max_length:
        message = f"{size} characters is longer than the maximum, {f.max_length}."
        found.append(InputProblem(f.name, "length", where + message))
    if f.pattern is not None:
        compiled = _compiled(f.pattern)
        # JSON Schema patterns are searched, not anchored (ECMA-262 semantics, which Python's re follows for the
        # patterns Cog emits); a pattern Python cannot compile is not checked here and is left to the API.
        if compiled is not None and compiled.search(text) is None:
            message = f"{_short(text)} does not match the pattern {f.pattern!r}."
            found.append(InputProblem(f.name, "pattern", where + message))


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    import warnings

    try:
        with warnings.catch_warnings():
            # Python warns about syntax whose meaning it may change (such as POSIX classes, "[[:alpha:]]");
            # such a pattern is not checked here rather than checked by rules that may change.
            warnings.simplefilter("error")
            return re.compile(pattern)
    except (re.error, RecursionError, OverflowError, Warning):
        return None


# -- coercing text ------------------------------------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TRUE = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "off", "0"})


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _coerce(f: InputField, text: str, where: str) -> tuple[Any, InputProblem | None]:
    """`text` read as a value of `f`, or the problem with it."""
    kind = f.type
    if kind in ("string", "file"):
        return text, None
    stripped = text.strip()
    if stripped == "null":
        return None, None
    if kind == "any":
        return _json_or_text(text), None
    problem: str
    if kind == "integer":
        number = _read_number(stripped)
        if isinstance(number, int):
            return number, None
        if isinstance(number, float) and number.is_integer():
            return int(number), None
        problem = f"{_short(text)} is not a whole number."
    elif kind == "number":
        number = _read_number(stripped)
        if number is not None:
            return number, None
        problem = f"{_short(text)} is not a number."
    elif kind == "boolean":
        lowered = stripped.lower()
        if lowered in _TRUE:
            return True, None
        if lowered in _FALSE:
            return False, None
        problem = f"{_short(text)} is not a boolean: use true or false."
    elif kind == "array":
        if not stripped.startswith("["):
            item, item_problem = _coerce(f.items, text, where + "item 0: ") if f.items is not None else (text, None)
            return ([item], None) if item_problem is None else (None, item_problem)
        try:
            parsed = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            problem = f"{_short(text)} is not a JSON array ({_json_reason(exc)})."
        else:
            return _coerce_items(f, parsed, where)
    else:  # object
        try:
            parsed = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            problem = f"{_short(text)} is not a JSON object ({_json_reason(exc)})."
        else:
            if isinstance(parsed, dict):
                return parsed, None
            problem = f"{_short(text)} is not a JSON object."
    return None, InputProblem(f.name, "type", where + problem)


def _coerce_items(f: InputField, parsed: Any, where: str) -> tuple[Any, InputProblem | None]:
    if not isinstance(parsed, list):  # "[...]" always parses to a list; kept for clarity
        return None, InputProblem(f.name, "type", where + "expected a JSON array.")
    if f.items is None:
        return parsed, None
    items = []
    for index, item in enumerate(parsed):
        if isinstance(item, str):
            item, problem = _coerce(f.items, item, f"{where}item {index}: ")
            if problem is not None:
                return None, problem
        items.append(item)
    return items, None


def _read_number(text: str) -> int | float | None:
    """A decimal number written as people write them: `3`, `-2`, `0.5`, `.5`, `1e3` (not `nan`, `inf`, `0x10`)."""
    try:
        if _INTEGER.fullmatch(text):
            return int(text)
        if _DECIMAL.fullmatch(text):
            value = float(text)
            return value if math.isfinite(value) else None
    except ValueError:  # more digits than int() converts
        return None
    return None


def _json_reason(exc: BaseException) -> str:
    return str(exc).split(":")[0] if isinstance(exc, ValueError) else "nested too deeply"
