"""Fetching model schemas from the API, once per version and client (reading them is `_schema.py`'s job).

A version never changes, so its schema is fetched once and kept in the client (`Client._schemas`, by version id).
A model run by name runs its latest version, which does change: which version that is is looked up again after
`LATEST_VERSION_TTL` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._exceptions import InvalidArgumentError, ReplicateException, SchemaError
from ._schema import ModelSchema

if TYPE_CHECKING:
    from ._client import Client
    from ._http import Flow
    from ._predictions import Prediction, Target

__all__ = ["latest_schema_flow", "output_schema_flow", "read_schema", "target_schema_flow", "version_schema_flow"]

# How long the latest version of a model run by name is trusted before it is looked up again.
LATEST_VERSION_TTL = 60.0
_CACHE_SIZE = 256
# A cached answer saying that the version's schema could not be fetched (only `output_schema_flow` caches it).
_UNREACHABLE = "unreachable"


def read_schema(openapi_schema: Any) -> ModelSchema | None:
    """A version's schema, or None when it has none or it cannot be read (for uses that can do without one)."""
    entry = _entry_for(openapi_schema, "the version")
    return entry if isinstance(entry, ModelSchema) else None


def _remember(client: Client, version: str, entry: ModelSchema | str) -> None:
    if len(client._schemas) > _CACHE_SIZE:
        client._schemas.clear()
    client._schemas[version] = entry


def _entry_for(openapi_schema: Any, where: str) -> ModelSchema | str:
    """What the cache keeps for a version: its schema, or why it has none usable."""
    if not openapi_schema:
        return f"{where} has no openapi_schema, so its inputs cannot be checked."
    try:
        return ModelSchema.from_openapi(openapi_schema)
    except SchemaError as exc:
        return f"The openapi_schema of {where} cannot be read: {exc}"


def _schema_or_raise(entry: ModelSchema | str) -> ModelSchema:
    if isinstance(entry, str):
        raise SchemaError(entry)
    return entry


def version_schema_flow(client: Client, owner: str, name: str, version: str) -> Flow[ModelSchema]:
    """The schema of a version of `owner/name`, fetched once per client.

    Raises:
        SchemaError: The version has no schema, or one that cannot be read.
        ReplicateError: The version could not be fetched (`NotFoundError`, ...).
    """
    cached = client._schemas.get(version)
    if cached is None or cached == _UNREACHABLE:
        from ._versions import Versions

        found = yield from client._requester.call(Versions(client, owner, name)._get_call(version))
        cached = _entry_for(found.openapi_schema, f"Version {version} of {owner}/{name}")
        _remember(client, version, cached)
    return _schema_or_raise(cached)


def latest_schema_flow(client: Client, owner: str, name: str) -> Flow[ModelSchema]:
    """The schema of the latest version of `owner/name` (the version a run by name uses).

    The model is looked up at most once every `LATEST_VERSION_TTL` seconds per client; the schema of each
    version is fetched once.

    Raises:
        SchemaError: The model has no version, or its latest version has no readable schema.
        ReplicateError: The model could not be fetched (`NotFoundError`, ...).
    """
    model_name = f"{owner}/{name}"
    known = client._latest_versions.get(model_name)
    if known is not None and time.monotonic() - known[0] < LATEST_VERSION_TTL:
        cached = client._schemas.get(known[1])
        if cached is not None and cached != _UNREACHABLE:
            return _schema_or_raise(cached)
    model = yield from client._requester.call(client.models._get_call(owner, name))
    latest = model.latest_version
    if latest is None or not latest.id:
        raise SchemaError(
            f"The model {model_name} has no version yet, so its inputs cannot be checked; push a version of it "
            "first, or run without validate_input."
        )
    entry = _entry_for(latest.openapi_schema, f"Version {latest.id} of {model_name}")
    _remember(client, latest.id, entry)
    if len(client._latest_versions) > _CACHE_SIZE:
        client._latest_versions.clear()
    client._latest_versions[model_name] = (time.monotonic(), latest.id)
    return _schema_or_raise(entry)


def target_schema_flow(client: Client, target: Target, known: Mapping[str, Any] | None = None) -> Flow[ModelSchema]:
    """The schema of what a run or create targets; `known` is a schema already in hand (a `Version`'s).

    Raises:
        InvalidArgumentError: The target is a bare version id: no API route gives the schema of a version
            without its model's name.
        SchemaError, ReplicateError: As `version_schema_flow` and `latest_schema_flow`.
    """
    if known:
        return ModelSchema.from_openapi(known)
    if target.kind == "model" and target.owner and target.name:
        return (yield from latest_schema_flow(client, target.owner, target.name))
    if target.kind == "version" and target.owner and target.name and target.version:
        return (yield from version_schema_flow(client, target.owner, target.name, target.version))
    if target.kind == "version":
        raise InvalidArgumentError(
            f"Cannot check the input of version {target.version}: the API gives a version's schema only with its "
            "model's name. Pass 'owner/name:version' (or a Version object) instead of the bare id, or leave "
            "validate_input off."
        )
    raise InvalidArgumentError(f"Inputs of a {target.kind} cannot be checked before the run; leave validate_input off.")


def output_schema_flow(client: Client, prediction: Prediction) -> Flow[ModelSchema | None]:
    """The schema of the version a prediction ran, or None when it cannot be known (cached per client).

    For reading the output (is it an iterator?), where doing without a schema is better than failing.
    """
    version, model = prediction.version, prediction.model
    cached = client._schemas.get(version) if version else _UNREACHABLE
    if cached is None and version and version != "hidden" and "/" in model:
        owner, name = model.split("/", 1)
        try:
            return (yield from version_schema_flow(client, owner, name, version))
        except SchemaError:
            return None
        except ReplicateException:
            _remember(client, version, _UNREACHABLE)  # do not ask again after every run
            return None
    return cached if isinstance(cached, ModelSchema) else None
