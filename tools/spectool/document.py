"""Reading, writing and walking OpenAPI documents.

Everything here is plain data manipulation on the parsed document (nested dicts and lists); the fixes in
`fixes.py` and the structural comparison in `facts.py` are built on these helpers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "HTTP_METHODS",
    "Document",
    "SpecError",
    "dump_yaml",
    "iter_operations",
    "load_document",
    "resolve",
    "schema_name",
]

Document = dict[str, Any]

# The methods OpenAPI 3.1 allows in a path item. `query` is not one of them: Replicate's document uses it for
# `QUERY /models`, which `fixes.record_query_operations` moves out of `paths`.
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Where the fixes keep operations whose HTTP method OpenAPI cannot express (see `fixes.py`).
QUERY_OPERATIONS_KEY = "x-query-operations"


class SpecError(Exception):
    """The upstream document is not what a fix expects, or a document cannot be read."""


def load_document(path: Path) -> tuple[Document, str]:
    """Parse a JSON or YAML OpenAPI document; return it with the sha256 of its bytes."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8")
    try:
        doc = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SpecError(f"{path} is neither valid JSON nor valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or "paths" not in doc:
        raise SpecError(f"{path} does not look like an OpenAPI document (no top-level `paths`).")
    _stringify_status_codes(doc)
    return doc, digest


def _stringify_status_codes(doc: Document) -> None:
    # YAML reads an unquoted `200:` as an integer; JSON and our own output use strings.
    for item in list(doc.get("paths", {}).values()) + list(doc.get(QUERY_OPERATIONS_KEY, {}).values()):
        for op in item.values():
            if isinstance(op, dict) and "responses" in op:
                op["responses"] = {str(code): resp for code, resp in op["responses"].items()}


class _Dumper(yaml.SafeDumper):
    """A SafeDumper that indents list items under their key, as most OpenAPI documents are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(doc: Document, header: str) -> str:
    """Render `doc` as YAML, after a comment block `header`; the output depends only on `doc` and `header`."""
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comment + body


def iter_operations(doc: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield `(method, path, operation)` for every operation, including those kept under `x-query-operations`."""
    for container in (doc.get("paths", {}), doc.get(QUERY_OPERATIONS_KEY, {})):
        for path, item in container.items():
            for method, op in item.items():
                if isinstance(op, dict) and "operationId" in op:
                    yield method, path, op


def schema_name(ref: str) -> str:
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix):
        raise SpecError(f"Only local schema references are supported, got {ref!r}.")
    return ref[len(prefix) :]


def resolve(doc: Document, node: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref`s (schemas and parameters) until a concrete node is reached."""
    seen: set[str] = set()
    while "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise SpecError(f"Reference cycle through {ref}.")
        seen.add(ref)
        parts = ref.removeprefix("#/").split("/")
        target: Any = doc
        for part in parts:
            target = target[part]
        node = target
    return node
