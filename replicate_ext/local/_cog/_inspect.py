"""Describe a Cog model from its own folder, in a child process, with Cog's inspector.

`python -m replicate_ext.local._cog._inspect PREDICT [TRAIN] SHOWN` runs in the model's folder (as Cog's worker
does), imports the modules the references name as Cog's worker names them (`predict.py` becomes `predict`),
and writes one JSON object to its standard output: the version's OpenAPI document, its inputs (for checking
inputs in the server, see `_schema.check_input`), whether its output streams, its readme (the predictor's
docstring) and Cog's version; or `{"error": "<one line: where, the cause, the fix>"}` when the model cannot be
served. Whatever the model prints while it is imported goes to standard error.

Running this apart keeps the model's imports (and whatever they do) out of the server's process.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import sys
import textwrap
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import cog
from cog import _adt as adt
from cog import _inspector
from cog.input import FieldInfo

from .._errors import PredictorDefinitionError
from .._imports import import_file, one_line
from ._schema import Signature, field_to_json, openapi_document

__all__ = ["describe", "main"]


def _load(file: str, shown: str, modules: dict[str, ModuleType]) -> ModuleType:
    """Import a model's module as Cog's worker does: `predict.py` is the module `predict`."""
    if file not in modules:
        modules[file] = import_file(Path(file), Path(file).name.removesuffix(".py"), shown)
    return modules[file]


def _function(target: Any, train: bool) -> Any:
    """The callable whose parameters are the inputs: `run`/`predict` (or `train`) of a class, or the function."""
    if not inspect.isclass(target):
        return target
    train_method = getattr(target, "train", None)
    if train and callable(train_method):
        return train_method
    return _inspector._selected_predict_method(target, target.__name__)[1]


def _streaming(function: Any) -> bool:
    """Whether the predictor is decorated with `@cog.streaming`, which Cog's build marks `x-cog-streaming`."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (isinstance(target, ast.Name) and target.id == "streaming") or (
            isinstance(target, ast.Attribute) and target.attr == "streaming"
        ):
            return True
    return False


def _signature(module: ModuleType, name: str, shown: str, train: bool) -> tuple[Signature, Any]:
    target = getattr(module, name, None)
    if target is None:
        defined = sorted(
            key for key, value in vars(module).items() if inspect.isclass(value) and value.__module__ == module.__name__
        )
        also = f" (it defines {', '.join(defined)})" if defined else ""
        raise PredictorDefinitionError(
            f"{shown} has no {name!r}{also}. Name the class or function that runs the model."
        )
    try:
        train_method = getattr(target, "train", None)
        if inspect.isclass(target) and train and callable(train_method):
            info = _inspector._create_predictor_info(module.__name__, name, train_method, "train", True)
        else:
            info = _inspector.create_predictor(module.__name__, name)
        function = _function(target, train)
    except (ValueError, TypeError, ImportError) as exc:
        raise PredictorDefinitionError(
            f"{shown}:{name}: Cog cannot use it: {one_line(exc)}. Fix its definition."
        ) from None
    parameters = list(inspect.signature(function).parameters.values())
    if inspect.isclass(target):
        parameters = parameters[1:]
    accept = {p.name: p.default.accept for p in parameters if isinstance(p.default, FieldInfo) and p.default.accept}
    null_defaults = frozenset(p.name for p in parameters if p.default is None)
    return Signature(info.inputs, info.output, accept, null_defaults), target


def describe(predict: str, train: str | None, shown_dir: str) -> dict[str, Any]:
    """The description of the model whose references are `predict` and `train` (relative to the folder)."""
    modules: dict[str, ModuleType] = {}
    signatures: dict[str, Signature] = {}
    targets: dict[str, Any] = {}
    for kind, reference in (("prediction", predict), ("training", train)):
        if reference is None:
            continue
        file, _, name = reference.partition(":")
        shown = f"{shown_dir.rstrip('/')}/{file}".removeprefix("./")
        if not Path(file).is_file():
            raise PredictorDefinitionError(f"{shown} does not exist.")
        module = _load(file, shown, modules)
        signatures[kind], targets[kind] = _signature(module, name, shown, kind == "training")
    predictor = signatures["prediction"]
    streaming = _streaming(_function(targets["prediction"], False))
    document = openapi_document(predictor, signatures.get("training"), streaming=streaming, version=cog.__version__)
    streams = predictor.output.kind in (adt.OutputKind.ITERATOR, adt.OutputKind.CONCAT_ITERATOR)
    return {
        "schema": document,
        "inputs": {
            kind: [field_to_json(field) for field in signature.inputs.values()]
            for kind, signature in signatures.items()
        },
        "streams": streams,
        "readme": inspect.getdoc(targets["prediction"]),
        "cog_version": cog.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print("usage: python -m replicate_ext.local._cog._inspect PREDICT TRAIN|'' SHOWN_DIR", file=sys.stderr)
        return 2
    predict, train, shown = args
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # what the model prints while it is imported must not mix with the answer
    sys.path.insert(0, os.getcwd())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BasePredictor and predict() are deprecated, and still served
            result: dict[str, Any] = describe(predict, train or None, shown)
    except PredictorDefinitionError as exc:
        result = {"error": str(exc)}
    with out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
