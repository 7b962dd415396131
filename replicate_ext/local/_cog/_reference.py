"""Which models are Cog models, where their code is, and whether Cog can run on this machine.

A Cog model is named by its folder (which has a `cog.yaml` with a `predict:` entry and maybe `train:` and
`concurrency.max`), by a `"file.py:Name"` reference to a module that imports `cog`, or by a class that derives
from Cog's `BaseRunner`/`BasePredictor`. Whether a module uses Cog is read from its source (its imports), so
telling the two runtimes apart imports neither the model nor Cog.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import PredictorDefinitionError

__all__ = [
    "COG_EXTRA",
    "CogModel",
    "cog_model",
    "cog_predictors_in_file",
    "imports_cog",
    "platform_problem",
    "require_cog",
]

COG_EXTRA = "pip install 'replicate-ext[cog]'"
_REFERENCE = re.compile(r"^(?P<file>[^:]+\.py):(?P<name>[A-Za-z_][A-Za-z0-9_]*)$")
_BASES = {"BaseRunner", "BasePredictor"}


@dataclass(frozen=True)
class CogModel:
    """Where a Cog model's code is and how Cog runs it.

    `directory` becomes the worker's working directory (Cog's `/src`); `predict` and `train` are references
    relative to it (`"predict.py:Predictor"`), as `cog.yaml` writes them. `shown` is the folder as the user
    named it, for messages.
    """

    directory: Path
    predict: str
    train: str | None = None
    concurrency: int = 1
    shown: str = "."

    def file(self, reference: str) -> str:
        """A reference's file as the user would find it (`models/echo/predict.py`)."""
        name = reference.partition(":")[0]
        return name if self.shown in ("", ".") else f"{self.shown.rstrip('/')}/{name}"


def platform_problem(system: str | None = None, machine: str | None = None, libc: str | None = None) -> str | None:
    """Why Cog's runtime cannot run on this machine, or None when it has a build for it.

    coglet 0.23.1 is published for Linux x86_64 and aarch64 (glibc) and macOS arm64 only, with no source
    distribution to build elsewhere.
    """
    import platform

    system = sys.platform if system is None else system
    machine = platform.machine() if machine is None else machine
    if system.startswith("linux"):
        libc = platform.libc_ver()[0] if libc is None else libc
        if machine not in ("x86_64", "aarch64"):
            where = f"Linux {machine}"
        elif libc != "glibc":
            where = f"Linux {machine} without glibc"
        else:
            return None
    elif system == "darwin":
        if machine == "arm64":
            return None
        where = f"macOS {machine}"
    else:
        where = f"{system} {machine}"
    return (
        f"Cog models cannot run on {where}: Cog's runtime (coglet 0.23.1) exists only for Linux x86_64 and "
        "aarch64 with glibc and for macOS on Apple silicon. Serve the model from one of those, or write it "
        "with replicate_ext.local's BasePredictor to run it here."
    )


def require_cog(what: str) -> None:
    """Raise a one-line `PredictorDefinitionError` unless Cog can be imported here; `what` names the model."""
    if importlib.util.find_spec("cog") is not None and importlib.util.find_spec("coglet") is not None:
        return
    problem = platform_problem()
    if problem is not None:
        raise PredictorDefinitionError(f"{what} is a Cog model. {problem}")
    raise PredictorDefinitionError(f"{what} is a Cog model, and serving it needs Cog: {COG_EXTRA}")


def _parse(path: Path) -> ast.Module:
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise PredictorDefinitionError(f"{path}: cannot read it ({exc.strerror}).") from None
    try:
        return ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise PredictorDefinitionError(
            f"{path}:{exc.lineno}: syntax error: {exc.msg}. Fix the code and start the server again."
        ) from None
    except ValueError as exc:  # null bytes
        raise PredictorDefinitionError(f"{path}: not Python source ({exc}).") from None


def imports_cog(path: Path) -> bool:
    """Whether the module at `path` imports `cog` (read from its source; a syntax error is reported)."""
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Import) and any(a.name == "cog" or a.name.startswith("cog.") for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            if node.module == "cog" or node.module.startswith("cog."):
                return True
    return False


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def cog_predictors_in_file(path: Path) -> list[str]:
    """The top-level classes of a Cog module that derive from `BaseRunner` or `BasePredictor`."""
    return [
        node.name
        for node in _parse(path).body
        if isinstance(node, ast.ClassDef) and any(_base_name(base) in _BASES for base in node.bases)
    ]


def _is_cog_class(target: Any) -> bool:
    return inspect.isclass(target) and any(
        cls.__module__.split(".")[0] == "cog" and cls.__name__ in _BASES for cls in inspect.getmro(target)[1:]
    )


def cog_model(target: Any) -> CogModel | None:
    """The Cog model `target` names (a folder, a `"file.py:Name"` of a module that imports `cog`, or a Cog
    class), or None when it is not one. Raises `PredictorDefinitionError` for a Cog model that cannot be
    served (no `cog.yaml`, no `predict:`, Cog missing)."""
    if _is_cog_class(target):
        file = Path(inspect.getfile(target))
        if target.__qualname__ != target.__name__:
            raise PredictorDefinitionError(f"{target.__qualname__}: a Cog predictor must be a top-level class.")
        require_cog(f"{file}:{target.__name__}")
        return CogModel(file.parent, f"{file.name}:{target.__name__}", shown=str(file.parent))
    if not isinstance(target, str | Path):
        return None
    text = str(target)
    path = Path(text)
    if path.is_dir():
        return _from_folder(path, text)
    match = _REFERENCE.match(text)
    if match is None:
        return None
    file = Path(match["file"])
    if not file.is_file() or not imports_cog(file):
        return None
    require_cog(text)
    return CogModel(file.parent, f"{file.name}:{match['name']}", shown=str(file.parent))


def _reference(path: Path, key: str, value: Any, directory: Path) -> str:
    match = _REFERENCE.match(value) if isinstance(value, str) else None
    if match is None:
        raise PredictorDefinitionError(
            f'{path}: `{key}: {value!r}` must name a file and a class, like `{key}: "predict.py:Predictor"`.'
        )
    if not (directory / match["file"]).is_file():
        raise PredictorDefinitionError(
            f"{path}: `{key}:` names {match['file']!r}, which is not a file in {directory}; fix `{key}:`."
        )
    return str(value)


def _from_folder(directory: Path, shown: str) -> CogModel:
    path = directory / "cog.yaml"
    if not path.is_file():
        raise PredictorDefinitionError(
            f'{directory} has no cog.yaml: add one with a line `predict: "predict.py:Predictor"`, or name the '
            f"predictor itself as owner/name={directory}/predict.py:Predictor."
        )
    require_cog(str(directory))
    import yaml  # a dependency of cog

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PredictorDefinitionError(
            f"{path}: cannot read it as YAML ({' '.join(str(exc).split())}). Fix cog.yaml."
        ) from None
    if not isinstance(data, dict) or not data.get("predict"):
        raise PredictorDefinitionError(
            f'{path} has no `predict:` entry: add `predict: "predict.py:Predictor"`, the file and class that '
            "run predictions."
        )
    predict = _reference(path, "predict", data["predict"], directory)
    train = _reference(path, "train", data["train"], directory) if data.get("train") else None
    concurrency = data.get("concurrency") or {}
    maximum = concurrency.get("max", 1) if isinstance(concurrency, dict) else None
    if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
        raise PredictorDefinitionError(f"{path}: `concurrency: max:` must be a whole number of at least 1.")
    return CogModel(directory, predict, train, maximum, shown)
