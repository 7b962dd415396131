"""`CogSpec`, the `ModelSpec` of a Cog model, and loading Cog models (in child processes, in parallel)."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import PredictorDefinitionError
from .._runtime import JobKind
from ._reference import CogModel
from ._schema import FILE_TYPES, Inputs, check_input, field_from_json

__all__ = ["INSPECT_TIMEOUT", "CogSpec", "load_cog_models"]

INSPECT_TIMEOUT = 120.0  # importing a model's modules (torch and friends can take a while)
_SKIPPED_FOLDERS = {"__pycache__", "node_modules", "venv", "site-packages"}
_MAX_CODE_FILES = 5000


@dataclass(frozen=True, eq=False)
class CogSpec:
    """A Cog model: where its code is, its version's schema, and its inputs as Cog's inspector found them."""

    model: CogModel
    version_id: str
    readme: str | None
    cog_version: str
    schema: dict[str, Any]
    streams: bool
    inputs: dict[str, Inputs] = field(repr=False)  # by job kind: "prediction", and "training" when trainable
    runtime: str = "cog"

    @property
    def openapi_schema(self) -> dict[str, Any]:
        return copy.deepcopy(self.schema)

    @property
    def trainable(self) -> bool:
        return "training" in self.inputs

    def check_input(self, kind: JobKind, raw: Any) -> dict[str, Any]:
        """The input to send to Cog's runtime, checked as Cog checks it (see `_schema.check_input`)."""
        return check_input(self.inputs[kind], raw)

    def file_inputs(self, kind: str) -> set[str]:
        """The inputs of a prediction (or training) that are files (`cog.Path`, `cog.File`)."""
        return {name for name, f in self.inputs[kind].items() if f.type.primitive in FILE_TYPES}

    def worker_schema(self) -> dict[str, Any]:
        """The schema Cog's runtime reads from `.cog/openapi_schema.json`: the version's, marked as streaming.

        The mark lets the server follow each prediction as Server-Sent Events (output items, log lines,
        the end); without it Cog's runtime answers a request for a stream with 406.
        """
        schema = self.openapi_schema
        schema["paths"]["/predictions"]["post"]["x-cog-streaming"] = True
        return schema


def _code_files(directory: Path) -> Iterator[Path]:
    count = 0
    for root, folders, files in os.walk(directory):
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in _SKIPPED_FOLDERS)
        for name in sorted(files):
            if name.endswith(".py") or name == "cog.yaml":
                count += 1
                if count > _MAX_CODE_FILES:
                    return
                yield Path(root) / name


def version_id(model: CogModel, schema: dict[str, Any]) -> str:
    """sha256 (hex) of the model's code (its Python files and cog.yaml) and its schema."""
    digest = hashlib.sha256()
    for path in _code_files(model.directory):
        digest.update(path.relative_to(model.directory).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            continue
        digest.update(b"\0")
    digest.update(json.dumps([model.predict, model.train, model.concurrency]).encode())
    digest.update(json.dumps(schema, sort_keys=True).encode())
    return digest.hexdigest()


def _spec(model: CogModel, description: dict[str, Any]) -> CogSpec:
    inputs = {
        kind: {data["name"]: field_from_json(data) for data in fields} for kind, fields in description["inputs"].items()
    }
    schema = description["schema"]
    return CogSpec(
        model=model,
        version_id=version_id(model, schema),
        readme=description.get("readme"),
        cog_version=description["cog_version"],
        schema=schema,
        streams=bool(description["streams"]),
        inputs=inputs,
    )


def load_cog_models(models: Mapping[str, CogModel], timeout: float = INSPECT_TIMEOUT) -> dict[str, CogSpec]:
    """Describe each Cog model with Cog's inspector, in a child process per model, all at once.

    Raises `PredictorDefinitionError` with one line (where, the cause, the fix) for the first model that
    cannot be served, in the order given.
    """
    processes: dict[str, subprocess.Popen[str]] = {}
    try:
        for name, model in models.items():
            processes[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "replicate_ext.local._cog._inspect",
                    model.predict,
                    model.train or "",
                    model.shown,
                ],
                cwd=model.directory,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        deadline = time.monotonic() + timeout
        specs: dict[str, CogSpec] = {}
        for name, process in processes.items():
            model = models[name]
            try:
                out, err = process.communicate(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise PredictorDefinitionError(
                    f"{model.file(model.predict)}: importing it took longer than {timeout:.0f} s; make its imports "
                    "lighter (load weights in setup())."
                ) from None
            try:
                description = json.loads(out)
            except json.JSONDecodeError:
                last = err.strip().splitlines()[-1] if err.strip() else f"exit status {process.returncode}"
                raise PredictorDefinitionError(f"{model.file(model.predict)}: inspecting it failed: {last}") from None
            if "error" in description:
                raise PredictorDefinitionError(f"{description['error']}")
            specs[name] = _spec(model, description)
        return specs
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()
