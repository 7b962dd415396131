"""What a batch reports: `Progress` while it runs (to a callback), and a `Summary` when it ends."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Progress", "Summary"]


@dataclass(frozen=True)
class Progress:
    """Where a batch stands. `done` counts the items that reached an outcome (succeeded, failed, canceled,
    skipped or error); `rate` is items done per second by this run, and `eta` the seconds left at that rate."""

    total: int
    done: int
    succeeded: int
    failed: int
    skipped: int
    running: int
    pending: int
    created: int
    """Predictions created by this run."""
    elapsed: float
    rate: float
    eta: float | None


@dataclass(frozen=True)
class Summary:
    """The outcome of a batch run (of the whole batch, not only of this run, except where said).

    Attributes:
        complete: Every item has an outcome; `results.jsonl` is final.
        stopped: The run was interrupted (Ctrl-C, SIGTERM) before the batch was complete; run it again to resume.
        total, succeeded, failed, canceled, skipped, errors: Items by outcome. `skipped` items could not run
            (invalid inputs, see `problems`); `errors` are items whose outputs could not be saved.
        unfinished: Items without an outcome yet (when not `complete`).
        predictions_created: Predictions the batch has created, retries included, over all its runs.
        created_this_run: Those created by this run.
        elapsed: Seconds this run took.
        predict_time: The sum of the predictions' `predict_time` metrics, in seconds.
        problems: `(item id, line or None, problem)` of the first skipped items.
    """

    out_dir: Path
    results: Path
    complete: bool
    stopped: bool
    total: int
    succeeded: int
    failed: int
    canceled: int
    skipped: int
    errors: int
    unfinished: int
    predictions_created: int
    created_this_run: int
    elapsed: float
    predict_time: float
    problems: list[tuple[str, int | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Complete, and every item succeeded."""
        return self.complete and self.succeeded == self.total

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (what `--json` prints)."""
        data = asdict(self)
        data["out_dir"], data["results"] = str(self.out_dir), str(self.results)
        data["problems"] = [{"id": id, "line": line, "problem": problem} for id, line, problem in self.problems]
        data["elapsed"] = round(self.elapsed, 3)
        data["predict_time"] = round(self.predict_time, 3)
        return data

    def __str__(self) -> str:
        head = "complete" if self.complete else ("stopped" if self.stopped else "incomplete")
        parts = [f"{self.succeeded} succeeded", f"{self.failed} failed", f"{self.skipped} skipped"]
        if self.canceled:
            parts.append(f"{self.canceled} canceled")
        if self.errors:
            parts.append(f"{self.errors} errors")
        if self.unfinished:
            parts.append(f"{self.unfinished} unfinished")
        return (
            f"Batch {head}: {', '.join(parts)} of {self.total} items; {self.predictions_created} predictions created "
            f"({self.created_this_run} by this run); {_duration(self.elapsed)}; total predict time "
            f"{_duration(self.predict_time)}. Results: {self.results}"
        )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"
