"""Registering predictors: turn a function, a class or a `"file.py:Name"` reference into a `PredictorSpec`."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import PredictorDefinitionError
from ._schema import Signature, analyse, openapi_document
from ._types import BasePredictor

__all__ = ["PredictorSpec", "load_predictor", "load_predictors_from_file"]


@dataclass(frozen=True, eq=False)
class PredictorSpec:
    """A registered predictor: the object the user gave, its signatures and its version id.

    `version_id` is the sha256 (hex) of the predictor's source, so editing the code makes a new version.
    """

    target: Any
    predict: Signature
    train: Signature | None
    version_id: str
    readme: str | None

    @property
    def openapi_schema(self) -> dict[str, Any]:
        """The version's `openapi_schema`, in Cog's layout (a fresh copy each time)."""
        return openapi_document(self.predict, self.train)

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
    name = f"replicate_ext_local_user_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PredictorDefinitionError(f"Cannot import predictors from {str(path)!r}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


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
            raise PredictorDefinitionError(f"Predictor file {module_part!r} does not exist.")
        module = _import_module_from_file(path)
    else:
        module = importlib.import_module(module_part)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise PredictorDefinitionError(f"{module_part!r} has no attribute {attribute!r}.") from None


def _kebab(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def load_predictors_from_file(path: str | Path, *, owner: str) -> dict[str, Any]:
    """The predictors a user's module offers, by model name.

    The module's `MODELS` dict (`{"owner/name": predictor}`) wins when present. Otherwise every
    `BasePredictor` subclass defined in the module becomes `{owner}/{kebab-case class name}`, and a
    module-level function called `predict` becomes `{owner}/{file stem}`.
    """
    file = Path(path)
    if not file.is_file():
        raise PredictorDefinitionError(f"Predictor file {str(file)!r} does not exist.")
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
