"""Where a batch's results go: file outputs under `DIR/outputs/<item id>/`, and `DIR/results.jsonl`.

File outputs (URLs and data URIs anywhere in an output) are streamed to disk as soon as the prediction has
succeeded: the API's file URLs expire, and its copies of outputs are removed after about an hour. Each file is
written under a temporary name and renamed when complete (a body shorter than its Content-Length is an error,
never a file); its size on disk is checked against the bytes received and the size the server announced, and
recorded. In `results.jsonl` the output shows each file as its path
relative to DIR; the item's `files` list has the path, the URL and the size.

`results.jsonl` has one line per input item, in input order, and is replaced atomically (written under another
name, then renamed), so a reader never sees half of it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from .._exceptions import APIConnectionError, ReplicateException
from ._journal import Journal, Row

if TYPE_CHECKING:
    from .. import FileOutput

__all__ = ["RESULTS_NAME", "OutputError", "save_outputs", "write_results"]

RESULTS_NAME = "results.jsonl"
OUTPUTS_NAME = "outputs"
_DOWNLOAD_ATTEMPTS = 4


class OutputError(Exception):
    """A file output could not be saved."""


def _files(value: Any) -> Iterator[FileOutput]:
    from .. import FileOutput

    if isinstance(value, FileOutput):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _files(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _files(item)


def _replace(value: Any, paths: dict[str, str]) -> Any:
    if isinstance(value, str):
        return paths.get(value, value)
    if isinstance(value, list):
        return [_replace(item, paths) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, paths) for key, item in value.items()}
    return value


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.partition(".") if not name.startswith(".") else (name, "", "")
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}{dot}{suffix}"
    taken.add(candidate)
    return candidate


async def save_outputs(directory: Path, item_id: str, output: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Download the file outputs of one item (`Prediction.output`, with `FileOutput`s for its file URLs); return
    the output with paths for URLs, and the files saved.

    Raises `OutputError` when a file cannot be saved (after a few attempts for network failures).
    """
    found = list(dict.fromkeys(_files(output)))
    if not found:
        return output, []
    folder = directory / OUTPUTS_NAME / item_id
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(".*.part"):  # left by a run that was killed in the middle of a download
        stale.unlink(missing_ok=True)
    taken: set[str] = set()
    paths: dict[str, str] = {}
    files: list[dict[str, Any]] = []
    for file in found:
        target = folder / _unique(file.filename, taken)
        size = await _download(file, target)
        relative = target.relative_to(directory).as_posix()
        paths[file.url] = relative
        files.append({"path": relative, "url": None if file.startswith("data:") else file.url, "size": size})
    return _replace(output, paths), files


async def _download(file: FileOutput, target: Path) -> int:
    for attempt in range(_DOWNLOAD_ATTEMPTS):
        counted = _Count()
        try:
            # Streamed to a temporary name and renamed when complete; a body shorter than its Content-Length is
            # a network error, never a file. Then the file must hold every byte received, and the size announced.
            await file.asave(target, progress=counted)
            size = target.stat().st_size
            if size != counted.received or counted.announced not in (None, size):
                target.unlink()
                raise OutputError(
                    f"{target} had {size} bytes, but {counted.received} were received of {counted.announced}"
                )
            return size
        except APIConnectionError as exc:
            if attempt + 1 == _DOWNLOAD_ATTEMPTS:
                raise OutputError(f"could not download {_short(file)}: {exc}") from exc
            await anyio.sleep(0.5 * 2**attempt)
        except ReplicateException as exc:
            raise OutputError(f"could not download {_short(file)}: {exc}") from exc
        except OSError as exc:
            raise OutputError(f"could not write {target}: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


class _Count:
    """A download's progress: the bytes received, and the size the server announced (None when it did not)."""

    def __init__(self) -> None:
        self.received = 0
        self.announced: int | None = None

    def __call__(self, received: int, announced: int | None) -> None:
        self.received, self.announced = received, announced


def _short(url: str) -> str:
    return url if len(url) <= 100 or not url.startswith("data:") else url[:60] + "..."


def result_line(row: Row) -> dict[str, Any]:
    """The `results.jsonl` line of one item."""
    line: dict[str, Any] = {"id": row.id, "input": row.input, "status": row.state, "prediction": row.prediction}
    if row.line is not None:
        line["line"] = row.line
    if row.attempts > 1:
        line["attempts"] = row.attempts
    line.update(row.result)
    return line


def write_results(journal: Journal, directory: Path) -> Path:
    """Rewrite `DIR/results.jsonl` from the journal, atomically."""
    target = directory / RESULTS_NAME
    partial = directory / f".{RESULTS_NAME}.{os.getpid()}.part"
    with open(partial, "w", encoding="utf-8") as out:
        for row in journal.rows():
            out.write(json.dumps(result_line(row), ensure_ascii=False))
            out.write("\n")
    os.replace(partial, target)
    return target
