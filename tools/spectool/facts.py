"""Structural facts of an OpenAPI document, and the differences between two documents.

A fact is one attribute of one place in the API: the route of an operation, whether a parameter is required,
the type, format, enum values or required-ness of a field somewhere in a request or response body. References
are followed and both spellings of "may be null" (3.0's `nullable: true`, 3.1's `type: [T, "null"]` or an
`anyOf` with `null`) count as the same fact, so that renaming or hoisting a schema, or rewriting `nullable`,
changes no fact. Prose (descriptions, summaries, examples) is not a fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .document import Document, iter_operations, resolve

__all__ = ["Difference", "compare", "facts"]

Key = tuple[str, str, str, str, str]  # operation, part, where, field, attribute

_SCALAR_ATTRIBUTES = ("format", "pattern", "minimum", "maximum", "minLength", "maxLength", "default")


@dataclass(frozen=True, order=True)
class Difference:
    """One attribute that differs between the upstream document and ours (`None` means absent)."""

    operation: str
    part: str  # "operation", "security", "param", "body" or "response"
    where: str  # "header Prefer", "201 application/json", ... or "" for the part itself
    field: str  # a JSON path inside the schema, such as ".results[].status"; "" for the schema itself
    attribute: str
    upstream: Any
    ours: Any

    def __str__(self) -> str:
        place = " ".join(x for x in (self.operation, self.part, self.where, self.field) if x)
        return f"{place} [{self.attribute}]: {self.upstream!r} -> {self.ours!r}"


def facts(doc: Document) -> dict[Key, Any]:
    """Every structural fact of `doc`, keyed by where it is."""
    out: dict[Key, Any] = {}
    root_security = doc.get("security", [])
    for method, path, op in iter_operations(doc):
        oid = op["operationId"]
        out[(oid, "operation", "", "", "route")] = f"{method.upper()} {path}"
        security: list[dict[str, Any]] = op["security"] if "security" in op else root_security
        out[(oid, "security", "", "", "schemes")] = tuple(sorted(name for req in security for name in req))
        for raw in op.get("parameters", []):
            param = resolve(doc, raw)
            where = f"{param['in']} {param['name']}"
            out[(oid, "param", where, "", "required")] = bool(param.get("required", False))
            _flatten(doc, param.get("schema", {}), out, (oid, "param", where), "", ())
        body = op.get("requestBody")
        if body is not None:
            out[(oid, "body", "", "", "required")] = bool(body.get("required", False))
            for media, content in body.get("content", {}).items():
                _flatten(doc, content.get("schema", {}), out, (oid, "body", media), "", ())
        for status, response in op.get("responses", {}).items():
            out[(oid, "response", status, "", "exists")] = True
            for media, content in (response.get("content") or {}).items():
                _flatten(doc, content.get("schema", {}), out, (oid, "response", f"{status} {media}"), "", ())
    return out


def compare(upstream: Document, ours: Document) -> list[Difference]:
    """The sorted differences between the facts of two documents."""
    theirs, mine = facts(upstream), facts(ours)
    return sorted(
        Difference(*key, theirs.get(key), mine.get(key))
        for key in theirs.keys() | mine.keys()
        if theirs.get(key) != mine.get(key)
    )


def _normalize(
    doc: Document, node: dict[str, Any], refs: tuple[str, ...]
) -> tuple[dict[str, Any], bool, tuple[str, ...]]:
    """Follow references and fold every way of saying "or null" into one flag."""
    nullable = False
    while True:
        while "$ref" in node:
            refs = (*refs, node["$ref"])
            node = resolve(doc, {"$ref": node["$ref"]})
        if node.get("nullable") is True:
            nullable = True
        kind = node.get("type")
        if isinstance(kind, list) and "null" in kind:
            nullable = True
        alternatives = node.get("anyOf") or node.get("oneOf") or []
        real = [alt for alt in alternatives if resolve(doc, alt).get("type") != "null"]
        if len(real) < len(alternatives):
            nullable = True
        if len(real) == 1 and not node.get("properties") and "type" not in node:
            node = real[0]
            continue
        return node, nullable, refs


def _type_of(doc: Document, node: dict[str, Any]) -> str:
    kind = node.get("type")
    if isinstance(kind, list):
        kind = [k for k in kind if k != "null"]
        kind = kind[0] if len(kind) == 1 else "|".join(sorted(kind))
    if kind:
        return str(kind)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if alternatives:
        inner = sorted(_type_of(doc, resolve(doc, alt)) for alt in alternatives)
        return f"oneOf({','.join(inner)})"
    return "object" if "properties" in node else "any"


def _flatten(
    doc: Document,
    node: dict[str, Any],
    out: dict[Key, Any],
    prefix: tuple[str, str, str],
    field: str,
    refs: tuple[str, ...],
) -> None:
    def put(attribute: str, value: Any) -> None:
        out[(*prefix, field, attribute)] = value

    if "$ref" in node and node["$ref"] in refs:
        put("recursion", node["$ref"])  # a self-referencing schema: stop here
        return
    node, nullable, refs = _normalize(doc, node, refs)
    put("type", _type_of(doc, node))
    put("nullable", nullable)
    for attribute in _SCALAR_ATTRIBUTES:
        if attribute in node:
            put(attribute, node[attribute])
    if "enum" in node:
        put("enum", tuple(node["enum"]))
    extra = node.get("additionalProperties")
    if extra is not None:
        put("additionalProperties", extra if isinstance(extra, bool) else "schema")
    properties = node.get("properties", {})
    required = set(node.get("required", []))
    undeclared = required - set(properties)
    if undeclared:
        put("required-but-undeclared", tuple(sorted(undeclared)))
    for name, sub in properties.items():
        child = f"{field}.{name}"
        out[(*prefix, child, "exists")] = True
        out[(*prefix, child, "required")] = name in required
        _flatten(doc, sub, out, prefix, child, refs)
    if "items" in node:
        _flatten(doc, node["items"], out, prefix, f"{field}[]", refs)
    alternatives = [
        alt for alt in node.get("anyOf") or node.get("oneOf") or [] if resolve(doc, alt).get("type") != "null"
    ]
    if len(alternatives) > 1:
        for index, alt in enumerate(alternatives):
            _flatten(doc, alt, out, prefix, f"{field}<{index}>", refs)
