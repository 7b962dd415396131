"""Reading a batch's inputs: JSON Lines, CSV, or any iterable, one `Item` at a time (never the whole list).

An item is one input object for the model, with an id (its number in the batch, or the one the input names) and
where it came from (its line). Items that cannot be run (a line that is not JSON, an id used twice, an input the
model's schema refuses) are still items, with a `problem`: they are reported and skipped, never dropped
silently, so that every line of the inputs has its line in `results.jsonl`.

Inputs are compared as canonical JSON (`canonical`, `input_key`): the journal stores that form, and recovery
looks for a prediction whose input is the same JSON value.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "Coerce",
    "Fingerprint",
    "Item",
    "Validate",
    "canonical",
    "input_key",
    "read_items",
]

# Item ids name folders (`outputs/<id>/`): letters, digits, dots, dashes and underscores, not starting with a dot.
_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")

Coerce = Callable[[Mapping[str, str]], dict[str, Any]]
"""Turns a CSV row's text values into typed inputs (raises `ValueError` saying what is wrong)."""
Validate = Callable[[dict[str, Any]], None]
"""Checks an input against the model's schema (raises `ValueError` saying what is wrong)."""


@dataclass(frozen=True, slots=True)
class Item:
    """One input of the batch.

    `seq` is its position (from 0), `id` its name, `line` where it is in the inputs file (None for an iterable),
    `input` the input object (None when it could not be read), `problem` why it cannot run (None when it can).
    """

    seq: int
    id: str
    line: int | None
    input: dict[str, Any] | None
    problem: str | None = None
    raw: str | None = None
    """The text of a line that could not be read as an input, kept for the report."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def canonical(value: Any) -> str:
    """The JSON text of an input in one form: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _normal(value: Any) -> Any:
    # 2.0 and 2 are the same JSON number to the API; booleans stay booleans (True == 1 in Python, not in JSON).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normal(item) for item in value]
    return value


def input_key(value: Any) -> str:
    """A short digest that two inputs share exactly when they are the same JSON value (`2.0` and `2` alike)."""
    return hashlib.sha256(canonical(_normal(value)).encode("utf-8")).hexdigest()[:32]


class Fingerprint:
    """A digest of a batch's items in order, to tell whether a later run was given the same inputs."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.count = 0

    def add(self, value: Any, raw: str | None) -> None:
        try:
            body = canonical(value) if raw is None else f"!{raw}"
        except (TypeError, ValueError):
            body = f"?{value!r}"
        self._hash.update(body.encode("utf-8", "surrogatepass") + b"\n")
        self.count += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def read_items(
    source: str | os.PathLike[str] | Iterable[Any],
    *,
    format: str | None = None,
    coerce: Coerce | None = None,
    validate: Validate | None = None,
    fingerprint: Fingerprint | None = None,
) -> Iterator[Item]:
    """Yield the items of a batch's inputs, reading them as they are needed.

    Args:
        source: A path to a JSON Lines or CSV file (`-` is standard input, read as JSON Lines), or an iterable
            of input objects. A JSON object of the form `{"id": ..., "input": {...}}` (those keys only) names its
            item; any other object is the input itself.
        format: "jsonl" or "csv"; by default a `.csv` file is CSV and anything else JSON Lines.
        coerce: Turns CSV text values into typed inputs (the model's schema does this); without it, CSV values
            stay text.
        validate: Checks each input; its `ValueError` makes the item invalid, with the error as the problem.
        fingerprint: Updated with every entry as read (before coercion and validation), so that the same inputs
            give the same fingerprint whatever the model's schema says.
    """
    seen: set[str] = set()
    is_csv = source_is_csv(source, format)
    for seq, (line, value, problem, raw) in enumerate(_entries(source, format)):
        if fingerprint is not None:
            fingerprint.add(value, raw)
        given_id: Any = None
        if problem is None and is_csv:
            if coerce is not None:
                try:
                    value = coerce(value)
                except ValueError as exc:
                    problem, raw = str(exc), _csv_text(value)
                    value = None
        elif problem is None:
            given_id, value, problem = _unwrap(value)
        item_id, id_problem = _item_id(given_id, seq, seen)
        problem = problem or id_problem
        if problem is None and validate is not None:
            try:
                validate(value)
            except ValueError as exc:
                problem = str(exc)
        yield Item(seq, item_id, line, value if isinstance(value, dict) else None, problem, raw)


def _unwrap(value: Any) -> tuple[Any, Any, str | None]:
    """(given id, input, problem) of one entry."""
    if not isinstance(value, Mapping):
        return None, None, f"an input must be a JSON object of the model's inputs, not {_kind(value)}"
    given_id = None
    if "input" in value and set(value) <= {"id", "input"}:
        given_id, value = value.get("id"), value["input"]
        if not isinstance(value, Mapping):
            return given_id, None, f"'input' must be a JSON object of the model's inputs, not {_kind(value)}"
    try:
        # The journal stores inputs as JSON: a value JSON cannot carry (a Path, bytes, NaN) is refused here.
        return given_id, json.loads(json.dumps(value, allow_nan=False)), None
    except (TypeError, ValueError) as exc:
        return given_id, None, f"the input is not JSON data ({exc}); give files as URLs or data URIs"


def _item_id(given: Any, seq: int, seen: set[str]) -> tuple[str, str | None]:
    if given is None:
        item_id = str(seq + 1)
    elif isinstance(given, int) and not isinstance(given, bool) and given >= 0:
        item_id = str(given)
    elif isinstance(given, str) and _ID.match(given):
        item_id = given
    else:
        return f"#{seq + 1}", (
            f"the id {given!r} cannot name a folder: use up to 128 letters, digits, '.', '-' or '_' "
            "(not starting with '.'), or a whole number"
        )
    if item_id in seen:
        return item_id, f"the id {item_id!r} is used by an earlier item; ids must be unique"
    seen.add(item_id)
    return item_id, None


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


Entry = tuple[int | None, Any, str | None, str | None]
"""(line, decoded value, problem, raw text of a line that could not be decoded)."""


def source_is_csv(source: Any, format: str | None) -> bool:
    if not isinstance(source, str | os.PathLike):
        return False
    return (format or ("csv" if os.fspath(source).lower().endswith(".csv") else "jsonl")) == "csv"


def _entries(source: Any, format: str | None) -> Iterator[Entry]:
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if format not in (None, "jsonl", "csv"):
            raise ValueError(f"The inputs format must be 'jsonl' or 'csv', not {format!r}.")
        read = _csv_rows if source_is_csv(source, format) else _jsonl
        if path == "-":
            yield from read(sys.stdin)
            return
        # utf-8-sig: spreadsheets save "CSV UTF-8" with a byte-order mark, which would be part of the first name.
        with open(path, encoding="utf-8-sig", newline="") as file:
            yield from read(file)
        return
    if isinstance(source, Mapping | bytes | bytearray):
        raise TypeError(
            "inputs must be a path to a JSON Lines or CSV file, or an iterable of input objects (a list of "
            f"dicts), not a single {type(source).__name__}."
        )
    for value in source:
        yield None, value, None, None


def _jsonl(file: TextIO) -> Iterator[Entry]:
    for number, text in enumerate(file, start=1):
        stripped = text.strip()
        if not stripped:
            continue
        try:
            value = json.loads(stripped, parse_constant=_no_constants)
        except ValueError as exc:
            yield number, None, f"not a JSON value: {exc}", stripped[:200]
        except RecursionError:
            yield number, None, "not a JSON value: nested too deeply", stripped[:200]
        else:
            yield number, value, None, None


def _csv_rows(file: TextIO) -> Iterator[Entry]:
    reader = csv.reader(file)
    header: list[str] | None = None
    for row in reader:
        line = reader.line_num
        if header is None:
            header = [name.strip() for name in row]
            if not all(header):
                raise ValueError(
                    "The CSV file's first line must name the model's inputs (a header row, no empty names)."
                )
            if len(set(header)) != len(header):
                raise ValueError(f"The CSV header names an input twice: {', '.join(header)}.")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            message = f"the row has {len(row)} values but the header names {len(header)} inputs"
            yield line, None, message, _csv_line(row)
            continue
        # An empty cell leaves the input out, so that the model's default applies.
        yield line, {name: cell for name, cell in zip(header, row, strict=False) if cell != ""}, None, None


def _csv_line(row: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue().rstrip("\r\n")[:200]


def _csv_text(values: Mapping[str, str]) -> str:
    return ", ".join(f"{name}={value}" for name, value in values.items())[:200]


def describe_source(source: Any) -> str:
    """How to name the inputs in messages."""
    if isinstance(source, str | os.PathLike):
        return "standard input" if os.fspath(source) == "-" else str(Path(os.fspath(source)))
    return "the inputs"
