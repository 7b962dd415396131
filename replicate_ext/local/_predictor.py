"""Registering predictors: turn a function, a class or a `"file.py:Name"` reference into a `PredictorSpec`."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import InputValidationError, PredictorDefinitionError
from ._imports import import_file, one_line
from ._runtime import JobKind, ModelSpec
from ._schema import Signature, analyse, openapi_document, validate_input
from ._types import BasePredictor

__all__ = ["PredictorSpec", "load_models", "load_predictor", "load_predictors_from_file"]


@dataclass(frozen=True, eq=False)
class PredictorSpec:
    """A registered predictor run in this process (a `ModelSpec` of the `python` runtime): the object the user
    gave, its signatures and its version id.

    `version_id` is the sha256 (hex) of the predictor's source, so editing the code makes a new version.
    """

    target: Any
    predict: Signature
    train: Signature | None
    version_id: str
    readme: str | None
    runtime: str = "python"
    cog_version: str = "0.0.0+replicate-ext-local"

    @property
    def openapi_schema(self) -> dict[str, Any]:
        """The version's `openapi_schema`, in Cog's layout (a fresh copy each time)."""
        return openapi_document(self.predict, self.train)

    @property
    def streams(self) -> bool:
        return self.predict.streams

    @property
    def trainable(self) -> bool:
        return self.train is not None

    def check_input(self, kind: JobKind, raw: Any) -> dict[str, Any]:
        """The predictor's keyword arguments for `raw` (defaults filled, file fields still URIs)."""
        signature = self.predict if kind == "prediction" else self.train
        if signature is None:
            raise InputValidationError("This version has no train() to run.")
        return validate_input(signature, raw)

    def make_instance(self) -> Any:
        """The object whose `predict`/`train` are called: an instance for classes, the target otherwise."""
        if inspect.isclass(self.target):
            return self.target()
        return self.target


def _predict_callable(target: Any, name: str) -> Callable[..., Any] | None:
    if inspect.isclass(target):
        method = getattr(target, name, None)
        if method is None:
            return None
        if not callable(method):
            raise PredictorDefinitionError(f"{target.__qualname__}.{name} is not callable.")
        return method  # type: ignore[no-any-return]
    if inspect.isfunction(target) or inspect.ismethod(target):
        return target if name == "predict" else None
    method = getattr(target, name, None)  # an instance
    return method if callable(method) else None


def _source_digest(target: Any) -> str:
    obj = target if (inspect.isclass(target) or inspect.isfunction(target)) else type(target)
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        source = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}"
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def load_predictor(target: Any) -> PredictorSpec:
    """Turn a function, a `BasePredictor` subclass (or instance) or a `"file.py:Name"` reference into a spec.

    Raises `PredictorDefinitionError` when the signature cannot be described by a schema.
    """
    if isinstance(target, str | Path):
        target = _import_reference(str(target))
    predict = _predict_callable(target, "predict")
    if predict is None:
        raise PredictorDefinitionError(f"{target!r} has no predict(...) to call.")
    skip_self = inspect.isclass(target)
    predict_signature = analyse(predict, skip_self=skip_self, kind="predict")
    train = _predict_callable(target, "train")
    train_signature = analyse(train, skip_self=skip_self, kind="train") if train is not None else None
    doc = inspect.getdoc(target)
    return PredictorSpec(
        target=target,
        predict=predict_signature,
        train=train_signature,
        version_id=_source_digest(target),
        readme=doc,
    )


def _import_module_from_file(path: Path) -> Any:
    """Import a user's module by its path (once); a failure is a one-line `PredictorDefinitionError`."""
    name = f"replicate_ext_local_user_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}"
    if name in sys.modules:
        return sys.modules[name]
    return import_file(path, name, str(path))


def _defined_here(module: Any) -> list[str]:
    return sorted(
        key
        for key, value in vars(module).items()
        if (inspect.isclass(value) or inspect.isfunction(value)) and value.__module__ == module.__name__
    )


def _import_reference(reference: str) -> Any:
    """Resolve `"path/to/file.py:Name"` or `"package.module:Name"`."""
    module_part, sep, attribute = reference.rpartition(":")
    if not sep or not attribute or not module_part:
        raise PredictorDefinitionError(
            f"Predictor reference {reference!r} must look like 'path/to/file.py:Name' or 'package.module:Name'."
        )
    if module_part.endswith(".py") or "/" in module_part or "\\" in module_part:
        path = Path(module_part)
        if not path.is_file():
            raise PredictorDefinitionError(f"{module_part} does not exist; name an existing .py file.")
        module = _import_module_from_file(path)
    else:
        try:
            module = importlib.import_module(module_part)
        except Exception as exc:
            raise PredictorDefinitionError(
                f"{module_part}: importing it failed: {type(exc).__name__}: {one_line(exc)}. Fix the module or "
                "the reference."
            ) from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        defined = _defined_here(module)
        also = f" (it defines {', '.join(defined)})" if defined else ""
        raise PredictorDefinitionError(
            f"{module_part} has no {attribute!r}{also}. Name the class or function to serve: {module_part}:<Name>."
        ) from None


def _kebab(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def load_predictors_from_file(path: str | Path, *, owner: str) -> dict[str, Any]:
    """The predictors a user's module offers, by model name.

    The module's `MODELS` dict (`{"owner/name": predictor}`) wins when present. Otherwise every
    `BasePredictor` subclass defined in the module becomes `{owner}/{kebab-case class name}`, and a
    module-level function called `predict` becomes `{owner}/{file stem}`. In a module that uses Cog, each
    `BaseRunner`/`BasePredictor` class becomes `{owner}/{kebab-case class name}`, served by Cog's runtime.
    """
    file = Path(path)
    if not file.is_file():
        raise PredictorDefinitionError(f"{file} does not exist; name an existing .py file or folder.")
    from ._cog._reference import cog_predictors_in_file, imports_cog

    if imports_cog(file):
        classes = cog_predictors_in_file(file)
        if not classes:
            raise PredictorDefinitionError(
                f"{file} uses Cog but defines no BaseRunner or BasePredictor class; name its predictor: "
                f"{owner}/<name>={file}:<Name>."
            )
        return {f"{owner}/{_kebab(name)}": f"{file}:{name}" for name in classes}
    module = _import_module_from_file(file)
    declared = getattr(module, "MODELS", None)
    if declared is not None:
        if not isinstance(declared, dict):
            raise PredictorDefinitionError(f"{file}: MODELS must be a dict of 'owner/name' to predictor.")
        return dict(declared)
    found: dict[str, Any] = {}
    for value in vars(module).values():
        if (
            inspect.isclass(value)
            and issubclass(value, BasePredictor)
            and value is not BasePredictor
            and value.__module__ == module.__name__
        ):
            found[f"{owner}/{_kebab(value.__name__)}"] = value
    function = getattr(module, "predict", None)
    if inspect.isfunction(function) or inspect.iscoroutinefunction(function):
        found[f"{owner}/{_kebab(file.stem)}"] = function
    if not found:
        raise PredictorDefinitionError(
            f"{file} defines no predictor: add a BasePredictor subclass, a predict() function or a MODELS dict."
        )
    return found


def load_models(models: Mapping[str, Any]) -> dict[str, ModelSpec]:
    """Specs of the models to serve, `{"owner/name": target}`, each with the runtime it needs.

    A target that names a Cog model (a folder with `cog.yaml`, a `"file.py:Name"` of a module that imports
    `cog`, a Cog class) is served by Cog's runtime; the Cog models are described in child processes, all at
    once. Anything else is a `replicate_ext.local` predictor (see `load_predictor`).
    """
    from ._cog._reference import cog_model

    specs: dict[str, ModelSpec] = {}
    cog: dict[str, Any] = {}
    for name, target in models.items():
        owner, slash, model_name = name.partition("/")
        if not slash or not owner or not model_name or "/" in model_name:
            raise ValueError(f"Model names look like 'owner/name', not {name!r}.")
        found = cog_model(target)
        if found is not None:
            cog[name] = found
        else:
            specs[name] = load_predictor(target)
    if cog:
        from ._cog._spec import load_cog_models

        specs.update(load_cog_models(cog))
    return {name: specs[name] for name in models}
