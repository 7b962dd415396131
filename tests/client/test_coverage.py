"""Every operation of openapi.yaml has a method in the ergonomic layer (sync and async)."""

from __future__ import annotations

import inspect
from pathlib import Path

import yaml

import replicate_ext
from replicate_ext import Client
from replicate_ext._versions import Versions

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"

# operationId -> (object holding the method, method name). The README's table lists the same.
CLIENT = Client(api_token="r8_x", base_url="http://127.0.0.1:1")
VERSIONS = Versions(CLIENT, "owner", "name")
METHODS: dict[str, tuple[object, str]] = {
    "account.get": (CLIENT.accounts, "current"),
    "collections.get": (CLIENT.collections, "get"),
    "collections.list": (CLIENT.collections, "list"),
    "deployments.create": (CLIENT.deployments, "create"),
    "deployments.delete": (CLIENT.deployments, "delete"),
    "deployments.get": (CLIENT.deployments, "get"),
    "deployments.list": (CLIENT.deployments, "list"),
    "deployments.predictions.create": (CLIENT.deployments.predictions, "create"),
    "deployments.update": (CLIENT.deployments, "update"),
    "files.create": (CLIENT.files, "create"),
    "files.delete": (CLIENT.files, "delete"),
    "files.download": (CLIENT.files, "download"),
    "files.get": (CLIENT.files, "get"),
    "files.list": (CLIENT.files, "list"),
    "hardware.list": (CLIENT.hardware, "list"),
    "models.create": (CLIENT.models, "create"),
    "models.delete": (CLIENT.models, "delete"),
    "models.examples.list": (CLIENT.models.examples, "list"),
    "models.get": (CLIENT.models, "get"),
    "models.list": (CLIENT.models, "list"),
    "models.predictions.create": (CLIENT.models.predictions, "create"),
    "models.readme.get": (CLIENT.models.readme, "get"),
    "models.search": (CLIENT.models, "search"),
    "models.update": (CLIENT.models, "update"),
    "models.versions.delete": (VERSIONS, "delete"),
    "models.versions.get": (VERSIONS, "get"),
    "models.versions.list": (VERSIONS, "list"),
    "predictions.cancel": (CLIENT.predictions, "cancel"),
    "predictions.create": (CLIENT.predictions, "create"),
    "predictions.get": (CLIENT.predictions, "get"),
    "predictions.list": (CLIENT.predictions, "list"),
    "search": (CLIENT, "search"),
    "trainings.cancel": (CLIENT.trainings, "cancel"),
    "trainings.create": (CLIENT.trainings, "create"),
    "trainings.get": (CLIENT.trainings, "get"),
    "trainings.list": (CLIENT.trainings, "list"),
    "webhooks.default.secret.get": (CLIENT.webhooks.default, "secret"),
}


def spec_operations() -> set[str]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    found: set[str] = set()
    for container in (spec["paths"], spec["x-query-operations"]):
        for item in container.values():
            found.update(op["operationId"] for op in item.values())
    return found


def test_every_operation_has_a_method() -> None:
    operations = spec_operations()
    assert len(operations) == 37
    assert set(METHODS) == operations, sorted(operations ^ set(METHODS))


def test_every_method_has_a_sync_and_an_async_form() -> None:
    for operation, (owner, name) in METHODS.items():
        sync = getattr(owner, name)
        assert callable(sync) and not inspect.iscoroutinefunction(sync), operation
        if operation == "files.download":
            continue  # returns a FileOutput, whose reads have both forms (read/aread, save/asave)
        assert inspect.iscoroutinefunction(getattr(owner, f"async_{name}")), operation


def test_the_readme_table_lists_every_operation() -> None:
    readme = (SPEC.parent / "README.md").read_text(encoding="utf-8")
    for operation in METHODS:
        assert f"| `{operation}` |" in readme, operation


def test_module_level_namespaces_are_the_default_clients() -> None:
    assert replicate_ext.predictions is replicate_ext.default_client().predictions
