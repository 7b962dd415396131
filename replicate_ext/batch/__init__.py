"""Batch runs: one model on thousands of inputs, each created exactly once, resumable after any crash.

    from replicate_ext import batch

    summary = batch.run("owner/model", "prompts.jsonl", "out/")
    print(summary)

`out/` (the batch's directory) holds:

- `journal.sqlite`: where every item stands (SQLite in WAL mode). Running the same batch again with the same
  directory resumes it; a directory made for other inputs or another model is refused.
- `outputs/<item id>/...`: the file outputs of each item, downloaded as soon as its prediction succeeds.
- `results.jsonl`: one line per input, in input order (id, input, status, prediction id, output with files as
  paths relative to the directory, files with their URLs and sizes, error, logs tail, metrics, timestamps).
  It is replaced atomically while the batch runs and when it ends; it is final once the batch is complete.

How creation stays exactly-once, and the one window where it cannot, is written in `_schedule`. The same
runner is the command `replicate-ext batch` (see `--help`).
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._runner import Options as Options
    from ._runner import async_run as async_run
    from ._runner import run as run
    from ._summary import Progress as Progress
    from ._summary import Summary as Summary

DEFAULT_CONCURRENCY = 32
"""Predictions a batch keeps going at once unless told otherwise (`concurrency`, `--concurrency`)."""

_WHERE = {
    "Options": "._runner",
    "Progress": "._summary",
    "Summary": "._summary",
    "async_run": "._runner",
    "run": "._runner",
}

__all__ = sorted(["DEFAULT_CONCURRENCY", *_WHERE], key=str.lower)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
