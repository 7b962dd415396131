"""Model inputs from the command line: `NAME=VALUE`, `NAME=@path`, `--input-json`, and references to a piped
prediction.

- `NAME=VALUE`: the value is text, turned into the input's type by the model's schema (`steps=30` is a number,
  `tags=["a","b"]` a list). Split at the first `=`.
- `NAME=@path`: the local file at `path` (sent inline or uploaded, as the library does for `pathlib.Path`s).
- `--input-json FILE` (or `-` for standard input): the whole input as a JSON object; `NAME=VALUE` arguments
  are added to it and win.
- References: when a prediction's JSON is piped on standard input (`replicate-ext run A --json | ...`),
  `{{ PATH }}` in a value is replaced by the value at PATH in that prediction. PATH is a name, then any number
  of `.name`, `[index]` (negative counts from the end) or `["key"]` steps; a leading `.` is allowed, so
  `{{output[0]}}`, `{{.output[0]}}` (the Go CLI's spelling), `{{ output.image }}` and `{{input["prompt"]}}` all
  work. A value that is exactly one reference takes the referenced value whole (a list stays a list); inside
  other text, strings are inserted as they are and other values as JSON. `{{...}}` text that is not a PATH is
  left alone. Substitution happens first, so `image=@{{output[0]}}` sends the file a `--save` run printed.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ._common import UsageError

__all__ = ["RawInput", "coerce_without_schema", "parse_path", "read_inputs", "resolve"]

_REFERENCE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_STEP = re.compile(rf'\.({_NAME})|\[(-?\d+)\]|\["((?:[^"\\]|\\.)*)"\]')
_FIRST = re.compile(rf"\.?({_NAME})")
_INPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class RawInput:
    """An input as the command line gave it, before the schema types it."""

    texts: dict[str, str] = field(default_factory=dict)
    """`NAME=VALUE` values, still text."""
    files: dict[str, Path] = field(default_factory=dict)
    """`NAME=@path` files."""
    given: dict[str, Any] = field(default_factory=dict)
    """The `--input-json` object (already typed), less the names given as arguments."""

    def merged(self, coerced: Mapping[str, Any]) -> dict[str, Any]:
        """The whole input once the texts are typed."""
        return {**self.given, **coerced, **self.files}


def parse_path(text: str) -> list[str | int] | None:
    """The steps of a reference's PATH, or None when the text is not a PATH."""
    first = _FIRST.match(text)
    if first is None:
        return None
    steps: list[str | int] = [first.group(1)]
    position = first.end()
    while position < len(text):
        step = _STEP.match(text, position)
        if step is None:
            return None
        name, index, key = step.groups()
        if name is not None:
            steps.append(name)
        elif index is not None:
            steps.append(int(index))
        else:
            steps.append(json.loads(f'"{key}"'))
        position = step.end()
    return steps


def resolve(document: Any, steps: Sequence[str | int], shown: str) -> Any:
    """The value at `steps` in the piped document; a usage error that says what is missing otherwise."""
    value = document
    where = ""
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list):
                raise UsageError(f"{shown}: {where or 'the piped JSON'} is not a list.")
            if not -len(value) <= step < len(value):
                raise UsageError(f"{shown}: {where} has {len(value)} item(s), there is no [{step}].")
            value = value[step]
            where += f"[{step}]"
        else:
            if not isinstance(value, dict) or step not in value:
                known = f" (it has: {', '.join(map(str, value))})" if isinstance(value, dict) else ""
                raise UsageError(f"{shown}: {where or 'the piped JSON'} has no {step!r}{known}.")
            value = value[step]
            where += f".{step}" if where else step
    return value


def _substitute(value: str, document: Callable[[], Any]) -> str:
    """`value` with its references replaced (the piped document is read on the first reference)."""
    whole = _REFERENCE.fullmatch(value)
    if whole is not None and (steps := parse_path(whole.group(1))) is not None:
        found = resolve(_checked(document(), steps, value), steps, value)
        return found if isinstance(found, str) else json.dumps(found)

    def replace(match: re.Match[str]) -> str:
        steps = parse_path(match.group(1))
        if steps is None:
            return match.group(0)
        found = resolve(_checked(document(), steps, match.group(0)), steps, match.group(0))
        return found if isinstance(found, str) else json.dumps(found)

    return _REFERENCE.sub(replace, value)


def _checked(document: Any, steps: Sequence[str | int], shown: str) -> Any:
    if (
        steps
        and steps[0] == "output"
        and isinstance(document, dict)
        and document.get("status") not in (None, "succeeded")
    ):
        raise UsageError(
            f"{shown}: the piped prediction {document.get('id', '')} did not succeed (it {document['status']}), so it "
            "has no output to use."
        )
    return document


def _has_reference(value: str) -> bool:
    return any(parse_path(match.group(1)) is not None for match in _REFERENCE.finditer(value))


def read_piped_json(stdin: IO[str]) -> Any:
    """The JSON document on standard input (the last line, when it holds JSON Lines)."""
    if stdin.isatty():
        raise UsageError(
            "{{...}} references take their values from a prediction's JSON piped on standard input, as in "
            "`replicate-ext run A --json | replicate-ext run B image={{output[0]}}`; nothing is piped. To send the "
            "text {{...}} itself, give the input with --input-json."
        )
    text = stdin.read()
    try:
        return json.loads(text)
    except ValueError:
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            return json.loads(lines[-1]) if lines else None
        except ValueError:
            pass
    raise UsageError("Standard input does not hold JSON; pipe in the output of a command run with --json.")


def _load_input_json(source: str, stdin: IO[str]) -> dict[str, Any]:
    try:
        text = stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--input-json: cannot read {source}: {exc.strerror or exc}.") from exc
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"--input-json: {source} is not JSON ({exc}).") from exc
    if not isinstance(value, dict):
        raise UsageError(f"--input-json: {source} must hold a JSON object of input names and values.")
    return value


def read_inputs(assignments: Sequence[str], input_json: str | None, stdin: IO[str] | None = None) -> RawInput:
    """Read the command line's inputs (see the module's docstring); nothing is typed yet."""
    stdin = stdin or sys.stdin
    pairs: list[tuple[str, str]] = []
    for argument in assignments:
        name, equals, value = argument.partition("=")
        if not equals or not _INPUT_NAME.match(name):
            raise UsageError(
                f"Expected an input as NAME=VALUE (or NAME=@path for a file), got {argument!r}. Inputs are named "
                "with letters, digits and underscores."
            )
        pairs.append((name, value))
    references = any(_has_reference(value) for _, value in pairs)
    if references and input_json == "-":
        raise UsageError("Standard input can hold either --input-json - or a prediction to reference, not both.")
    piped: list[Any] = []

    def document() -> Any:
        if not piped:
            piped.append(read_piped_json(stdin))
        return piped[0]

    raw = RawInput(given=_load_input_json(input_json, stdin) if input_json is not None else {})
    for name, value in pairs:
        value = _substitute(value, document) if references else value
        raw.given.pop(name, None)
        raw.texts.pop(name, None)
        raw.files.pop(name, None)
        if value.startswith("@"):
            path = Path(value[1:]).expanduser()
            if not path.is_file():
                raise UsageError(
                    f"{name}=@{value[1:]}: no such file. (@ sends a local file; to send text that starts with @, "
                    "use --input-json.)"
                )
            raw.files[name] = path
        else:
            raw.texts[name] = value
    return raw


def coerce_without_schema(texts: Mapping[str, str]) -> dict[str, Any]:
    """Type text values when the model's schema is unknown: JSON when the text is JSON (a number, true/false,
    null, a list or an object), the text itself otherwise."""
    typed: dict[str, Any] = {}
    for name, text in texts.items():
        try:
            typed[name] = json.loads(text)
        except ValueError:
            typed[name] = text
    return typed
