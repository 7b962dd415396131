"""Why a model's module cannot be imported, said in one line: where, the cause and the fix.

Used for `replicate_ext.local` predictors imported in the server's process and for Cog models inspected in a
child process, so that `replicate-ext serve` reports a broken model the same way whichever runtime it needs.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

from ._errors import PredictorDefinitionError

__all__ = ["describe_import_error", "import_file", "one_line"]


def one_line(text: object) -> str:
    """`text` with its whitespace (newlines included) folded into single spaces."""
    return " ".join(str(text).split())


def _shown(path: str | None, file: Path, shown: str) -> str:
    """A path of a frame as the user would write it: relative to the file they named, when it is nearby."""
    if path is None:
        return shown
    folder = file.resolve().parent
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(folder):
        return path
    return str(Path(shown).parent / resolved.relative_to(folder)).removeprefix("./")


def describe_import_error(exc: BaseException, file: Path, shown: str) -> str:
    """One line for an exception raised while importing `file` (named `shown` by the user)."""
    if isinstance(exc, SyntaxError):
        where = f"{_shown(exc.filename, file, shown)}:{exc.lineno}"
        return f"{where}: syntax error: {exc.msg}. Fix the code and start the server again."
    where = shown
    folder = file.resolve().parent
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve().is_relative_to(folder):
            where = f"{_shown(frame.filename, file, shown)}:{frame.lineno}"
    if isinstance(exc, ModuleNotFoundError):
        return (
            f"{where}: importing it failed: there is no module named {exc.name!r}. Install the package that "
            f"provides it into the server's Python ({sys.executable} -m pip install ...), or fix the import."
        )
    return f"{where}: importing it raised {type(exc).__name__}: {one_line(exc)}. Fix the module so that it imports."


def import_file(path: Path, name: str, shown: str) -> ModuleType:
    """Import the module at `path` as `name` (kept in `sys.modules`); a failure is a one-line
    `PredictorDefinitionError` (see `describe_import_error`), and leaves no half-imported module behind."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PredictorDefinitionError(f"{shown}: cannot be imported as a Python module; name a .py file.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise PredictorDefinitionError(describe_import_error(exc, path, shown)) from None
    except BaseException:
        del sys.modules[name]
        raise
    return module
