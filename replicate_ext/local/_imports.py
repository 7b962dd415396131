"""Why a model's module cannot be imported, said in one line: where, the cause and the fix.

Used for `replicate_ext.local` predictors imported in the server's process and for Cog models inspected in a
child process, so that `replicate-ext serve` reports a broken model the same way whichever runtime it needs.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

__all__ = ["describe_import_error", "one_line"]


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
