"""Post-processing of openapi-python-client's output: the named fixes for what the generator gets wrong.

Each step checks that the generated text it rewrites is exactly what it expects, so that a generator upgrade
that changes its templates stops the pipeline instead of silently skipping a fix.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

__all__ = ["STEPS", "PostprocessError", "postprocess"]


class PostprocessError(Exception):
    """The generated code is not what a post-processing step expects."""


Step = tuple[str, str, Callable[[Path], None]]
STEPS: list[Step] = []


def step(name: str, why: str) -> Callable[[Callable[[Path], None]], Callable[[Path], None]]:
    def register(func: Callable[[Path], None]) -> Callable[[Path], None]:
        STEPS.append((name, why, func))
        return func

    return register


def postprocess(package: Path) -> None:
    for name, _, func in STEPS:
        try:
            func(package)
        except PostprocessError as exc:
            raise PostprocessError(f"post-processing step {name!r}: {exc}") from exc


def _replace(path: Path, old: str, new: str, count: int) -> None:
    text = path.read_text(encoding="utf-8")
    found = text.count(old)
    if found != count:
        raise PostprocessError(f"expected {count} occurrence(s) of {old!r} in {path.name}, found {found}")
    path.write_text(text.replace(old, new), encoding="utf-8")


_FIXED_BOUNDARY = 'headers["Content-Type"] = "multipart/form-data; boundary=+++"\n'


@step(
    "random-multipart-boundary",
    "The generator hard-codes the boundary `+++`, which corrupts any upload whose bytes contain it; "
    "without the header httpx picks a random boundary and sets the header itself.",
)
def random_multipart_boundary(package: Path) -> None:
    hits = [p for p in package.rglob("*.py") if _FIXED_BOUNDARY in p.read_text(encoding="utf-8")]
    if [p.name for p in hits] != ["files_create.py"]:
        raise PostprocessError(f"expected the fixed boundary in files_create.py only, found it in {hits}")
    _replace(hits[0], _FIXED_BOUNDARY, "", 1)


_LAZY_MODELS = '''\
"""The data models of the API's requests and responses.

Each model is imported on first use, so importing one endpoint module does not import them all.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
{imports}

_MODULES = {{
{modules}
}}

__all__ = (
{names}
)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")
    value = getattr(importlib.import_module(f".{{module}}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
'''


@step(
    "lazy-models",
    "`models/__init__.py` imports every model, so the first endpoint import loads all of them; "
    "import each on first use instead (PEP 562), keeping static imports for type checkers.",
)
def lazy_models(package: Path) -> None:
    init = package / "models" / "__init__.py"
    text = init.read_text(encoding="utf-8")
    imports = re.findall(r"^from \.(\w+) import (\w+)$", text, flags=re.MULTILINE)
    names = re.findall(r'^    "(\w+)",$', text, flags=re.MULTILINE)
    if not imports or sorted(name for _, name in imports) != sorted(names):
        raise PostprocessError("expected models/__init__.py to be one import per model and a matching __all__")
    init.write_text(
        _LAZY_MODELS.format(
            imports="\n".join(f"    from .{module} import {name}" for module, name in imports),
            modules="\n".join(f'    "{name}": "{module}",' for module, name in imports),
            names="\n".join(f'    "{name}",' for name in names),
        ),
        encoding="utf-8",
    )


@step("no-tool-caches", "Tools run inside the package may leave caches there; they are not source.")
def no_tool_caches(package: Path) -> None:
    for cache in (*package.rglob(".ruff_cache"), *package.rglob("__pycache__")):
        shutil.rmtree(cache)


@step("typed-package", "Ship a PEP 561 marker so type checkers read the generated package's annotations.")
def typed_package(package: Path) -> None:
    (package / "py.typed").write_text("", encoding="utf-8")
