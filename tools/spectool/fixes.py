"""The project's fixes to Replicate's published OpenAPI document.

`make update-spec` applies every fix in `FIXES`, in order, to the upstream document and writes `openapi.yaml`.
Each fix has a name, a one-line reason, and checks that the upstream document still looks the way the fix
expects (`expect(...)` raises `SpecError`), so a changed upstream document stops the build instead of quietly
producing a different client. Each fix also says which structural differences from upstream it accounts for
(`explains`), which is how `make spec-diff` tells intended changes from drift.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .document import QUERY_OPERATIONS_KEY, Document, SpecError, iter_operations
from .facts import Difference

__all__ = ["FIXES", "Fix", "apply_fixes"]


@dataclass(frozen=True)
class Fix:
    name: str
    why: str
    apply: Callable[[Document], None]
    explains: Callable[[Difference], bool]


FIXES: list[Fix] = []


def _never(diff: Difference) -> bool:
    return False


def fix(name: str, why: str, explains: Callable[[Difference], bool] = _never) -> Callable[..., Any]:
    def register(func: Callable[[Document], None]) -> Callable[[Document], None]:
        FIXES.append(Fix(name=name, why=why, apply=func, explains=explains))
        return func

    return register


def apply_fixes(doc: Document) -> Document:
    """Return a fixed deep copy of an upstream document."""
    out = copy.deepcopy(doc)
    for f in FIXES:
        try:
            f.apply(out)
        except SpecError as exc:
            raise SpecError(f"fix {f.name!r}: {exc}") from exc
        except (KeyError, TypeError, IndexError) as exc:
            raise SpecError(f"fix {f.name!r}: the upstream document changed shape ({exc!r}).") from exc
    return out


# --------------------------------------------------------------------------------------------------------------
# Helpers


def expect(condition: object, message: str) -> None:
    if not condition:
        raise SpecError(message)


def operation(doc: Document, operation_id: str) -> dict[str, Any]:
    found = [op for _, _, op in iter_operations(doc) if op["operationId"] == operation_id]
    expect(len(found) == 1, f"expected exactly one operation {operation_id!r}, found {len(found)}")
    return found[0]


def schemas(doc: Document) -> dict[str, Any]:
    result: dict[str, Any] = doc["components"]["schemas"]
    return result


def schema(doc: Document, name: str) -> dict[str, Any]:
    expect(name in schemas(doc), f"expected a component schema {name!r}")
    result: dict[str, Any] = schemas(doc)[name]
    return result


def prop(doc: Document, schema_name_: str, field: str) -> dict[str, Any]:
    props = schema(doc, schema_name_).get("properties", {})
    expect(field in props, f"expected field {field!r} in schema {schema_name_!r}")
    result: dict[str, Any] = props[field]
    return result


def json_schema_of(op: dict[str, Any], status: str) -> dict[str, Any]:
    content = op["responses"][status].get("content", {})
    expect("application/json" in content, f"expected a JSON {status} response on {op['operationId']!r}")
    result: dict[str, Any] = content["application/json"]["schema"]
    return result


def body_schema_of(op: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    content = op["requestBody"]["content"]
    expect(media_type in content, f"expected a {media_type} request body on {op['operationId']!r}")
    result: dict[str, Any] = content[media_type]["schema"]
    return result


def walk(node: Any, parent_key: str | None = None) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Yield every dict in the document with the key it sits under."""
    if isinstance(node, dict):
        yield node, parent_key
        for key, value in node.items():
            yield from walk(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value, parent_key)


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def is_nullable(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    if isinstance(kind, list) and "null" in kind:
        return True
    return any(alt.get("type") == "null" for alt in node.get("anyOf", []))


def make_nullable(node: dict[str, Any]) -> None:
    """Let `node` also accept JSON null, the OpenAPI 3.1 (JSON Schema) way."""
    expect(not is_nullable(node), f"expected a non-nullable schema, got {node!r}")
    if "$ref" in node:
        node["anyOf"] = [{"$ref": node.pop("$ref")}, {"type": "null"}]
    elif isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    elif "anyOf" in node:
        node["anyOf"].append({"type": "null"})
    else:
        raise SpecError(f"do not know how to make {node!r} nullable")


def hoist(doc: Document, holder: dict[str, Any], key: str, name: str) -> None:
    """Move the inline schema `holder[key]` into `components.schemas[name]` and reference it."""
    node = holder[key]
    expect(isinstance(node, dict) and "$ref" not in node, f"expected an inline schema to name {name!r}")
    expect(node.get("type") == "object", f"expected the schema to name {name!r} to be an object")
    expect(name not in schemas(doc), f"a schema named {name!r} already exists")
    schemas(doc)[name] = node
    holder[key] = ref(name)


def same_shape(a: Any, b: Any, ignore: tuple[str, ...] = ("description",)) -> bool:
    """Compare two schemas, leaving out prose and any keys in `ignore`."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = (set(a) | set(b)) - set(ignore)
        return all(same_shape(a.get(k), b.get(k), ignore) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_shape(x, y, ignore) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def in_response(diff: Difference) -> bool:
    return diff.part == "response"


# --------------------------------------------------------------------------------------------------------------
# The fixes, in the order they run.


@fix("drop-prose", "Replicate's long descriptions and examples are theirs; we keep structure and summaries only.")
def drop_prose(doc: Document) -> None:
    expect("info" in doc and doc["paths"], "expected `info` and a non-empty `paths`")
    doc.pop("externalDocs", None)
    for node, parent in walk(doc):
        if parent == "properties":
            continue  # keys of a `properties` map are field names, which may be `description` or `example`
        for key in ("example", "examples", "externalDocs"):
            node.pop(key, None)
        if isinstance(node.get("description"), str):
            del node["description"]
    for _, _, op in iter_operations(doc):
        for status, response in op["responses"].items():
            # OpenAPI requires a description on every response; the status phrase says enough.
            response["description"] = HTTPStatus(int(status)).phrase
    doc["info"] = {
        "title": doc["info"]["title"],
        "version": doc["info"]["version"],
        "description": "Replicate's HTTP API as replicate_ext understands it. Made by `make update-spec`.",
    }
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    expect(scheme.get("scheme") == "bearer", "expected bearer authentication")
    scheme["bearerFormat"] = "Replicate API token"


def _json_schema_nulls(diff: Difference) -> bool:
    return False  # the comparison already treats both spellings of "nullable" as the same thing


@fix(
    "nullable-as-json-schema",
    "OpenAPI 3.1 schemas are JSON Schema, which has no `nullable`; say `type: [T, 'null']` instead.",
    _json_schema_nulls,
)
def nullable_as_json_schema(doc: Document) -> None:
    expect(str(doc.get("openapi", "")).startswith("3.1"), "expected an OpenAPI 3.1 document")
    for node, parent in walk(doc):
        if parent == "properties" or "nullable" not in node:
            continue
        if node.pop("nullable") is True:
            make_nullable(node)


def _query_search_explains(diff: Difference) -> bool:
    # The search results are parsed as the `PaginatedModels` that models.list returns: its `Model`s also carry
    # `is_official`, a null `description`, and the page does not insist on `next`/`previous`/`results`.
    if diff.operation != "models.search" or diff.part != "response":
        return False
    return (
        diff.field.endswith(".is_official")
        or (diff.field in (".next", ".previous", ".results") and diff.attribute == "required")
        or (diff.field == ".results[].description" and diff.attribute == "nullable")
    )


@fix(
    "record-query-operations",
    "`QUERY /models` (models.search) is not an OpenAPI method; keep it under `x-query-operations` for "
    "the hand-written layer.",
    _query_search_explains,
)
def record_query_operations(doc: Document) -> None:
    item = doc["paths"]["/models"]
    expect(item.get("query", {}).get("operationId") == "models.search", "expected `QUERY /models` as models.search")
    doc[QUERY_OPERATIONS_KEY] = {"/models": {"query": item.pop("query")}}
    leftovers = [m for path_item in doc["paths"].values() for m in path_item if m == "query"]
    expect(not leftovers, "expected no other QUERY operations")


@fix("tags-from-operation-id", "Group the generated endpoints by resource (`api/predictions/...`), not `default`.")
def tags_from_operation_id(doc: Document) -> None:
    for _, _, op in iter_operations(doc):
        expect("tags" not in op, f"upstream now tags {op['operationId']!r}; review this fix")
        op["tags"] = [op["operationId"].split(".")[0]]


_SCHEMA_NAMES = {
    "schemas_collection_list_item": "CollectionSummary",
    "schemas_collection_response": "Collection",
    "schemas_deployment_response": "Deployment",
    "schemas_file_response": "File",
    "schemas_model_response": "Model",
    "schemas_page_response": "SearchPage",
    "schemas_paginated_collection_response": "PaginatedCollections",
    "schemas_paginated_model_response": "PaginatedModels",
    "schemas_paginated_prediction_response": "PaginatedPredictions",
    "schemas_paginated_version_response": "PaginatedVersions",
    "schemas_prediction_request": "PredictionRequest",
    "schemas_prediction_response": "Prediction",
    "schemas_search_collection_response": "SearchCollection",
    "schemas_search_model_metadata_response": "SearchModelMetadata",
    "schemas_search_response": "SearchResult",
    "schemas_training_request": "TrainingRequest",
    "schemas_training_response": "Training",
    "schemas_version_prediction_request": "VersionPredictionRequest",
    "schemas_version_response": "Version",
}
_PARAMETER_NAMES = {"parameters_prefer_header": "Prefer", "parameters_cancel_after_header": "CancelAfter"}


@fix("name-schemas", "Give the components the names users know (Prediction, Model, ...) instead of `schemas_*`.")
def name_schemas(doc: Document) -> None:
    components = doc["components"]
    for section, names in (("schemas", _SCHEMA_NAMES), ("parameters", _PARAMETER_NAMES)):
        expect(
            set(components[section]) == set(names),
            f"expected components.{section} to be exactly {sorted(names)}, got {sorted(components[section])}",
        )
        components[section] = {names[old]: value for old, value in components[section].items()}
    renames = {
        f"#/components/{section}/{old}": f"#/components/{section}/{new}"
        for section, names in (("schemas", _SCHEMA_NAMES), ("parameters", _PARAMETER_NAMES))
        for old, new in names.items()
    }
    for node, _ in walk(doc):
        if isinstance(node.get("$ref"), str):
            expect(node["$ref"] in renames, f"unexpected reference {node['$ref']!r}")
            node["$ref"] = renames[node["$ref"]]


def _paginated_predictions_explains(diff: Difference) -> bool:
    # predictions.list declared its own copy of the paginated list with `format: uri` on next/previous.
    return diff.operation == "predictions.list" and diff.attribute == "format" and diff.field in (".next", ".previous")


@fix(
    "hoist-inline-schemas",
    "Name the inline objects (Account, Hardware, paginated lists, ...) so they generate readable classes.",
    _paginated_predictions_explains,
)
def hoist_inline_schemas(doc: Document) -> None:
    def response(operation_id: str, status: str = "200") -> tuple[dict[str, Any], str]:
        content = operation(doc, operation_id)["responses"][status]["content"]["application/json"]
        return content, "schema"

    def body(operation_id: str) -> tuple[dict[str, Any], str]:
        return operation(doc, operation_id)["requestBody"]["content"]["application/json"], "schema"

    hoist(doc, *response("account.get"), "Account")
    hoist(doc, *response("webhooks.default.secret.get"), "WebhookSecret")
    hoist(doc, *response("deployments.list"), "PaginatedDeployments")
    hoist(doc, *response("files.list"), "PaginatedFiles")
    hoist(doc, *response("trainings.list"), "PaginatedTrainings")
    hardware = json_schema_of(operation(doc, "hardware.list"), "200")
    expect(hardware.get("type") == "array", "expected hardware.list to return an array")
    hoist(doc, hardware, "items", "Hardware")
    hoist(doc, *body("deployments.create"), "DeploymentCreateRequest")
    hoist(doc, *body("deployments.update"), "DeploymentUpdateRequest")
    hoist(doc, *body("models.create"), "ModelCreateRequest")
    hoist(doc, *body("models.update"), "ModelUpdateRequest")
    files_create = operation(doc, "files.create")["requestBody"]["content"]["multipart/form-data"]
    hoist(doc, files_create, "schema", "FileCreateRequest")

    hoist(doc, schema(doc, "Deployment")["properties"], "current_release", "DeploymentRelease")
    release = schema(doc, "DeploymentRelease")["properties"]
    hoist(doc, release, "configuration", "DeploymentConfiguration")
    expect(same_shape(release["created_by"], schema(doc, "Account")), "expected created_by to be an Account")
    release["created_by"] = ref("Account")
    hoist(doc, schema(doc, "Prediction")["properties"], "urls", "PredictionUrls")
    hoist(doc, schema(doc, "Training")["properties"], "urls", "TrainingUrls")
    hoist(doc, schema(doc, "Training")["properties"], "output", "TrainingOutput")
    hoist(doc, schema(doc, "File")["properties"], "urls", "FileUrls")
    hoist(doc, schema(doc, "File")["properties"], "checksums", "FileChecksums")
    models = schema(doc, "SearchResult")["properties"]["models"]
    hoist(doc, models, "items", "SearchModelResult")

    # Two operations declare, inline, a list that already has a name.
    listing, key = response("predictions.list")
    expect(
        same_shape(listing[key], schema(doc, "PaginatedPredictions"), ignore=("description", "format")),
        "expected predictions.list to return the same shape as PaginatedPredictions",
    )
    listing[key] = ref("PaginatedPredictions")
    search = json_schema_of(operation(doc, "models.search"), "200")
    found = search["properties"]["results"]["items"]["properties"]
    model = schema(doc, "Model")["properties"]
    expect(set(found) <= set(model), "expected models.search to return a subset of Model's fields")
    operation(doc, "models.search")["responses"]["200"]["content"]["application/json"]["schema"] = ref(
        "PaginatedModels"
    )


_PROBLEM = {
    "type": "object",
    "description": "Why a request failed, as RFC 7807 problem details. Other members may be present.",
    "properties": {
        "type": {"type": "string", "description": "A URI that identifies the kind of problem."},
        "title": {"type": "string", "description": "A short summary of the kind of problem."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong with this request."},
        "instance": {"type": "string", "description": "A URI that identifies this occurrence."},
    },
}


def _problem_explains(diff: Difference) -> bool:
    if diff.part != "response":
        return False
    status = diff.where.split(" ")[0]
    return status == "default" or status[0] in "45"


@fix(
    "problem-details",
    "Errors are RFC 7807 problem+json bodies on every operation, not only on the few upstream documents.",
    _problem_explains,
)
def problem_details(doc: Document) -> None:
    expect("Problem" not in schemas(doc), "a schema named Problem already exists")
    schemas(doc)["Problem"] = copy.deepcopy(_PROBLEM)
    for _, _, op in iter_operations(doc):
        for status, response in op["responses"].items():
            if status[0] not in "45":
                continue
            content = response.get("content") or {"application/problem+json": {}}
            for media in content.values():
                old = media.get("schema")
                expect(
                    old is None or set(old.get("properties", {})) <= {"detail"},
                    f"expected at most a `detail` field in {op['operationId']} {status}",
                )
                media["schema"] = ref("Problem")
            response["content"] = content
            response.setdefault("description", "The request failed.")
        expect("default" not in op["responses"], f"upstream now has a default response on {op['operationId']}")
        op["responses"]["default"] = {
            "description": "The request failed.",
            "content": {"application/problem+json": {"schema": ref("Problem")}},
        }


_BODIES_NOT_MARKED_REQUIRED = {
    "deployments.predictions.create",
    "deployments.update",
    "files.create",
    "models.predictions.create",
    "models.update",
    "predictions.create",
    "trainings.create",
}


def _required_body_explains(diff: Difference) -> bool:
    return diff.part == "body" and diff.field == "" and diff.attribute == "required"


@fix(
    "required-request-bodies",
    "The API needs a body on every operation that takes one; upstream leaves `required` out on seven.",
    _required_body_explains,
)
def required_request_bodies(doc: Document) -> None:
    missing = {
        op["operationId"]
        for _, _, op in iter_operations(doc)
        if not op.get("requestBody", {"required": 1}).get("required")
    }
    expect(
        missing == _BODIES_NOT_MARKED_REQUIRED,
        f"expected optional bodies on {sorted(_BODIES_NOT_MARKED_REQUIRED)}, got {sorted(missing)}",
    )
    for operation_id in missing:
        operation(doc, operation_id)["requestBody"]["required"] = True


def _version_explains(diff: Difference) -> bool:
    if re.search(r"\.version<\d+>$", diff.field):
        return True  # the two alternatives of the oneOf
    return diff.field.endswith(".version") and diff.attribute == "type" and "oneOf" in str(diff.upstream)


@fix(
    "version-as-string",
    "A prediction's `version` is a string (an id, or `hidden`); a oneOf of two strings only confuses generators.",
    _version_explains,
)
def version_as_string(doc: Document) -> None:
    field = prop(doc, "Prediction", "version")
    expect(
        [alt.get("type") for alt in field.get("oneOf", [])] == ["string", "string"], "expected oneOf[string, string]"
    )
    field.clear()
    field.update({"type": "string", "description": "The version id, or `hidden` for models that do not show it."})


_FREE_FORM = {
    ("Prediction", "input"): "The model's input, as sent.",
    ("Prediction", "output"): "The model's output: any JSON value, null until there is some.",
    ("Prediction", "metrics"): "Timings and counts such as `predict_time` and `total_time`, in seconds.",
    ("Training", "input"): "The trainer's input, as sent.",
    ("Training", "metrics"): "Timings such as `predict_time`, in seconds.",
    ("PredictionRequest", "input"): "The model's input: keys and values as its version's schema describes.",
    ("VersionPredictionRequest", "input"): "The model's input: keys and values as its version's schema describes.",
    ("TrainingRequest", "input"): "The trainer's input.",
    ("File", "metadata"): "The JSON metadata given when the file was created.",
    (
        "Version",
        "openapi_schema",
    ): "The version's OpenAPI document (Cog's layout: `components.schemas.Input`, `Output`).",
}
_FREE_FORM_FIELDS = {field for _, field in _FREE_FORM}


def _free_form_explains(diff: Difference) -> bool:
    parts = diff.field.replace("[]", "").split(".")
    return any(part in _FREE_FORM_FIELDS for part in parts[:-1]) or (
        parts[-1] in _FREE_FORM_FIELDS and diff.attribute in ("type", "additionalProperties", "exists", "nullable")
    )


@fix(
    "free-form-json",
    "Inputs, outputs, metrics and metadata are any JSON value; typed as `object` they generate empty wrapper classes.",
    _free_form_explains,
)
def free_form_json(doc: Document) -> None:
    for (schema_name_, field), description in _FREE_FORM.items():
        node = prop(doc, schema_name_, field)
        kind = node.get("type")
        expect(
            kind in (None, "object", ["object", "null"]),
            f"expected {schema_name_}.{field} to be an object or untyped, got {kind!r}",
        )
        node.clear()
        node["description"] = description


def _examples_explains(diff: Difference) -> bool:
    return ".default_example" in diff.field or ".latest_version" in diff.field


@fix(
    "typed-model-examples",
    "A model's `latest_version` is a Version and its `default_example` a Prediction, not bare objects.",
    _examples_explains,
)
def typed_model_examples(doc: Document) -> None:
    for field, target in (("latest_version", "Version"), ("default_example", "Prediction")):
        node = prop(doc, "Model", field)
        expect(node.get("type") == ["object", "null"] and "properties" not in node, f"expected Model.{field} untyped")
        node.clear()
        node["anyOf"] = [ref(target), {"type": "null"}]


_OBSERVED_FIELDS = {
    ("File", "name"): {"type": "string", "description": "The file's name."},
    ("File", "etag"): {"type": "string", "description": "An entity tag for the file's content."},
}


def _observed_explains(diff: Difference) -> bool:
    return diff.part == "response" and any(diff.field.endswith(f".{field}") for _, field in _OBSERVED_FIELDS)


@fix(
    "observed-response-fields",
    "Declare fields the API sends that upstream does not list, so they are typed rather than extras.",
    _observed_explains,
)
def observed_response_fields(doc: Document) -> None:
    for (schema_name_, field), node in _OBSERVED_FIELDS.items():
        props = schema(doc, schema_name_)["properties"]
        expect(field not in props, f"upstream now declares {schema_name_}.{field}; drop it from this fix")
        props[field] = copy.deepcopy(node)


# Recorded responses from api.replicate.com leave these out (older predictions have no `data_removed`, a
# prediction still running has no `output` key, and `urls.web` is recent).
_NOT_ALWAYS_SENT = {
    "Prediction": {"model", "output", "data_removed"},
    "PredictionUrls": {"web"},
}


def _not_always_sent_explains(diff: Difference) -> bool:
    return (
        diff.part == "response"
        and diff.attribute == "required"
        and diff.upstream is True
        and diff.field.rsplit(".", 1)[-1] in set().union(*_NOT_ALWAYS_SENT.values())
    )


@fix(
    "relax-response-required",
    "Fields real responses sometimes leave out are optional, so parsing them does not fail.",
    _not_always_sent_explains,
)
def relax_response_required(doc: Document) -> None:
    for schema_name_, fields in _NOT_ALWAYS_SENT.items():
        node = schema(doc, schema_name_)
        required = node.get("required", [])
        expect(fields <= set(required), f"expected {sorted(fields)} among {schema_name_}.required")
        node["required"] = [name for name in required if name not in fields]


_SENT_AS_NULL = {
    "Prediction": ("started_at", "completed_at", "deadline", "logs", "source", "deployment"),
    "Training": ("created_at", "started_at", "completed_at", "logs", "source", "model", "version", "output"),
    "Account": ("name", "github_url", "avatar_url"),
}


def _null_explains(diff: Difference) -> bool:
    return (
        diff.part == "response"
        and diff.attribute == "nullable"
        and diff.field.rsplit(".", 1)[-1] in {f for fields in _SENT_AS_NULL.values() for f in fields}
    )


@fix(
    "nullable-response-fields",
    "The API sends null for timestamps not reached yet, empty logs and the like; parsing must accept it.",
    _null_explains,
)
def nullable_response_fields(doc: Document) -> None:
    for schema_name_, fields in _SENT_AS_NULL.items():
        for field in fields:
            make_nullable(prop(doc, schema_name_, field))


_OPEN_ENUMS = (
    ("Prediction", "status"),
    ("Prediction", "source"),
    ("Training", "status"),
    ("Training", "source"),
    ("Model", "visibility"),
    ("Account", "type"),
)


def _open_enum_explains(diff: Difference) -> bool:
    return diff.part == "response" and diff.attribute == "enum" and diff.ours is None


@fix(
    "open-response-enums",
    "New values appear in responses (`aborted` did); a closed enum would make parsing fail on them.",
    _open_enum_explains,
)
def open_response_enums(doc: Document) -> None:
    for schema_name_, field in _OPEN_ENUMS:
        node = prop(doc, schema_name_, field)
        expect("enum" in node, f"expected an enum on {schema_name_}.{field}")
        values = node.pop("enum")
        node["x-known-values"] = values
        node["description"] = "Known values: " + ", ".join(values) + ". Others may appear."


_PREFER_UPSTREAM = "^wait(=([1-9]|[1-9][0-9]|60))?$"
_PREFER_FIXED = "^wait(=([1-9]|[1-5][0-9]|60))?$"


def _prefer_explains(diff: Difference) -> bool:
    return diff.part == "param" and diff.where == "header Prefer" and diff.attribute == "pattern"


@fix(
    "prefer-wait-range",
    "`Prefer: wait=N` takes 1 to 60 seconds; the upstream pattern also lets 61 to 99 through.",
    _prefer_explains,
)
def prefer_wait_range(doc: Document) -> None:
    param = doc["components"]["parameters"]["Prefer"]
    expect(param["schema"].get("pattern") == _PREFER_UPSTREAM, "expected the upstream Prefer pattern")
    param["schema"]["pattern"] = _PREFER_FIXED


_DESCRIPTIONS = {
    ("parameters", "Prefer"): "`wait` or `wait=N` (1-60): hold the request until the prediction ends or N seconds.",
    ("parameters", "CancelAfter"): "Cancel the prediction if it runs longer than this duration (`30s`, `5m`, `1h30m`).",
    ("schemas", "Prediction"): "A request to run a model, and its state.",
    ("schemas", "Training"): "A request to train a model, and its state.",
    ("schemas", "Model"): "A model: a name, its metadata and its versions.",
    ("schemas", "Version"): "One immutable version of a model, with the schema of its inputs and outputs.",
    ("schemas", "Deployment"): "A named, configured endpoint that runs a fixed model version.",
    ("schemas", "File"): "A file uploaded through the files API.",
    ("schemas", "Collection"): "A curated collection of models.",
    ("schemas", "Account"): "A user or organization account.",
    ("schemas", "Hardware"): "A kind of hardware models can run on.",
}


@fix("own-descriptions", "Short descriptions of our own where a generated docstring needs one.")
def own_descriptions(doc: Document) -> None:
    for (section, name), text in _DESCRIPTIONS.items():
        expect(name in doc["components"][section], f"expected components.{section}.{name}")
        doc["components"][section][name]["description"] = text
