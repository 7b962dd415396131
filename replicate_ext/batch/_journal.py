"""The journal of a batch: one SQLite database (`DIR/journal.sqlite`, WAL) that says where every item stands.

It is the only state a batch keeps between runs; everything else (what to create next, what to follow, what to
look for after a crash) is read back from it. An item moves through these states:

    pending ──claim──▶ creating ──assign──▶ running ──finish──▶ succeeded | failed | canceled | error
       ▲                  │                    │
       └────release───────┘                    └──retry──▶ creating (a new prediction for a failed one)

    invalid: an item that cannot run (reported and skipped; never created)

`claim` is written durably (the WAL is synced) *before* the create request is sent: whatever happens after
that, a later run knows that a prediction may exist for the item, and since when. `assign` records the
prediction's id when the answer arrives; every id ever assigned is kept (`predictions`), so that the same
prediction is never taken twice by recovery. `release` puts back an item whose create provably did not happen.

The other writes use `synchronous=NORMAL`: they survive a crash of the process (kill -9, an OOM kill), and an
operating-system crash can lose only the last of them, which the next run recovers from the API.

One process at a time: the database is opened in exclusive locking mode, so a second run on the same DIR is
refused while the first is alive (the lock goes away with its process, whatever killed it).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import BatchInUseError, BatchMismatchError
from ._inputs import Item, input_key

__all__ = ["FORMAT", "JOURNAL_NAME", "TERMINAL", "Claimed", "Journal", "Row"]

JOURNAL_NAME = "journal.sqlite"
FORMAT = "1"
TERMINAL = frozenset({"succeeded", "failed", "canceled", "error", "invalid"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    line INTEGER,
    input TEXT,
    key TEXT,
    state TEXT NOT NULL,
    prediction TEXT,
    sent_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    predict_time REAL,
    result TEXT
);
CREATE INDEX IF NOT EXISTS items_by_state ON items (state, seq);
CREATE TABLE IF NOT EXISTS predictions (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    recorded_at REAL NOT NULL
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class Claimed:
    """An item taken to be created (or found again): what the runner needs to create or follow it."""

    seq: int
    id: str
    input: dict[str, Any]
    key: str
    attempts: int
    sent_at: float | None = None
    prediction: str | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """An item as `results.jsonl` shows it."""

    seq: int
    id: str
    line: int | None
    input: Any
    state: str
    prediction: str | None
    attempts: int
    result: dict[str, Any]


def _dump(value: Any) -> str:
    # The input as it was given (its keys in their order); `input_key` is what compares inputs.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Journal:
    """The journal of one batch directory. Open it with `Journal.open`; close it with `close` (or `with`)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    # -- opening ------------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, directory: Path, target: str) -> Journal:
        """Open (or create) the journal of `directory` for a batch that runs `target`.

        Raises `BatchMismatchError` when the directory holds the journal of a batch of another target, and
        `BatchInUseError` when another process is running a batch on it.
        """
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / JOURNAL_NAME
        db = sqlite3.connect(path, timeout=0.1, isolation_level=None, check_same_thread=False)
        try:
            # Exclusive locking before WAL: no shared-memory file, and the lock is held until the connection closes.
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise BatchInUseError(f"{directory} is in use by another batch (its journal is locked).")
            db.execute("PRAGMA synchronous=NORMAL")
            # A write takes the exclusive lock at once (or fails if another process holds it), and keeps it.
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("COMMIT")
            journal = cls(db, path)
            journal._check(directory, target)
        except sqlite3.OperationalError as exc:
            db.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise BatchInUseError(
                    f"{directory} is in use by another batch run (its journal is locked); wait for it to finish "
                    "or stop it, then run again."
                ) from None
            raise BatchMismatchError(f"{path} cannot be used as a batch journal: {exc}.") from exc
        except sqlite3.DatabaseError as exc:
            db.close()
            raise BatchMismatchError(f"{path} is not a batch journal ({exc}); use another --out directory.") from exc
        except BaseException:
            db.close()
            raise
        return journal

    def _check(self, directory: Path, target: str) -> None:
        meta = self.meta()
        if not meta:
            self._set_meta({"format": FORMAT, "target": target, "created_at": repr(time.time())})
            return
        if meta.get("format") != FORMAT:
            raise BatchMismatchError(
                f"{self.path} was written by another version of the batch runner (format "
                f"{meta.get('format')!r}); use another directory."
            )
        if meta.get("target") != target:
            raise BatchMismatchError(
                f"{directory} holds a batch of {meta.get('target')}, not {target}. Resume it with the same model "
                "(and version or deployment), or give a new directory for a new batch."
            )

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def _set_meta(self, values: dict[str, str]) -> None:
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", values.items())

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    class _Tx:
        def __init__(self, db: sqlite3.Connection, durable: bool) -> None:
            self.db = db
            self.durable = durable

        def __enter__(self) -> None:
            if self.durable:
                self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("BEGIN IMMEDIATE")

        def __exit__(self, kind: object, exc: object, tb: object) -> None:
            try:
                self.db.execute("COMMIT" if kind is None else "ROLLBACK")
            finally:
                if self.durable:
                    self.db.execute("PRAGMA synchronous=NORMAL")

    def _transaction(self, durable: bool = False) -> Journal._Tx:
        return Journal._Tx(self._db, durable)

    # -- the inputs ---------------------------------------------------------------------------------------------

    def inputs_fingerprint(self) -> tuple[str, int] | None:
        """The fingerprint and count of the inputs, once all of them have been recorded; None before."""
        meta = self.meta()
        if "fingerprint" not in meta:
            return None
        return meta["fingerprint"], int(meta["count"])

    def start_recording(self) -> None:
        """Forget items of an earlier run that stopped before recording all of them (none was created)."""
        with self._transaction():
            self._db.execute("DELETE FROM items")

    def record(self, items: Iterable[Item]) -> None:
        """Add items (in one transaction): pending, or invalid with their problem."""
        rows: list[tuple[Any, ...]] = []
        for item in items:
            if item.problem is None and item.input is not None:
                rows.append((item.seq, item.id, item.line, _dump(item.input), input_key(item.input), "pending", None))
            else:
                text = _dump(item.input) if item.input is not None else None
                result = json.dumps({"error": item.problem, "raw": item.raw} if item.raw else {"error": item.problem})
                rows.append((item.seq, item.id, item.line, text, None, "invalid", result))
        with self._transaction():
            self._db.executemany(
                "INSERT INTO items (seq, id, line, input, key, state, result) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
            )

    def finish_recording(self, fingerprint: str, count: int) -> None:
        self._set_meta({"fingerprint": fingerprint, "count": str(count)})

    def discard(self) -> None:
        """Close and delete the journal (of a batch that created nothing)."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)

    # -- scheduling ---------------------------------------------------------------------------------------------

    def claim(self, limit: int, now: float | None = None) -> list[Claimed]:
        """Take up to `limit` pending items, in input order, and record them as being created (durably)."""
        sent_at = time.time() if now is None else now
        with self._transaction(durable=True):
            rows = self._db.execute(
                "SELECT seq, id, input, key, attempts FROM items WHERE state = 'pending' ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
            self._db.executemany(
                "UPDATE items SET state = 'creating', sent_at = ?, prediction = NULL WHERE seq = ?",
                [(sent_at, row[0]) for row in rows],
            )
        return [Claimed(seq, id, json.loads(text), key, attempts, sent_at) for seq, id, text, key, attempts in rows]

    def recreate(self, seq: int, now: float | None = None) -> float:
        """Record (durably) that the item is being created again; returns the time recorded."""
        sent_at = time.time() if now is None else now
        with self._transaction(durable=True):
            self._db.execute(
                "UPDATE items SET state = 'creating', sent_at = ?, prediction = NULL WHERE seq = ?", (sent_at, seq)
            )
        return sent_at

    def assign(self, seq: int, prediction_id: str) -> bool:
        """Record the prediction made for the item; False (and nothing changed) if another item already has it."""
        with self._transaction():
            taken = self._db.execute(
                "INSERT OR IGNORE INTO predictions (id, seq, recorded_at) VALUES (?, ?, ?)",
                (prediction_id, seq, time.time()),
            ).rowcount
            if not taken:
                return False
            self._db.execute(
                "UPDATE items SET state = 'running', prediction = ?, attempts = attempts + 1 WHERE seq = ?",
                (prediction_id, seq),
            )
        return True

    def release(self, seq: int) -> None:
        """Put an item back to pending: its create did not happen (or its prediction was canceled on exit)."""
        with self._transaction():
            self._db.execute("UPDATE items SET state = 'pending', sent_at = NULL WHERE seq = ?", (seq,))

    def finish(self, seq: int, state: str, result: dict[str, Any], predict_time: float | None = None) -> None:
        """Record the item's outcome (a terminal state) and what `results.jsonl` shows of it."""
        if state not in TERMINAL:
            raise ValueError(f"{state!r} is not a final state")
        with self._transaction():
            self._db.execute(
                "UPDATE items SET state = ?, result = ?, predict_time = ? WHERE seq = ?",
                (state, json.dumps(result, ensure_ascii=False), predict_time, seq),
            )

    def requeue_unsaved(self) -> int:
        """Put items whose outputs could not be saved back to `running`, to save them again; how many."""
        with self._transaction():
            return self._db.execute(
                "UPDATE items SET state = 'running', result = NULL WHERE state = 'error' AND prediction IS NOT NULL"
            ).rowcount

    def requeue_failed(self, max_attempts: int) -> int:
        """Put failed items that have had fewer than `max_attempts` predictions back to pending; how many."""
        with self._transaction():
            return self._db.execute(
                "UPDATE items SET state = 'pending', sent_at = NULL, result = NULL WHERE state = 'failed' "
                "AND attempts < ?",
                (max_attempts,),
            ).rowcount

    # -- reading ------------------------------------------------------------------------------------------------

    def pending(self) -> int:
        """How many items wait to be created."""
        return int(self._db.execute("SELECT count(*) FROM items WHERE state = 'pending'").fetchone()[0])

    def in_state(self, state: str) -> list[Claimed]:
        """The items in `creating` (sent, answer unknown) or `running` (id known) state, in input order."""
        rows = self._db.execute(
            "SELECT seq, id, input, key, attempts, sent_at, prediction FROM items WHERE state = ? ORDER BY seq",
            (state,),
        ).fetchall()
        return [Claimed(seq, id, json.loads(text), key, n, sent, pid) for seq, id, text, key, n, sent, pid in rows]

    def is_claimed(self, prediction_id: str) -> bool:
        """Whether the prediction belongs to an item of this batch (now or in an earlier attempt)."""
        return self._db.execute("SELECT 1 FROM predictions WHERE id = ?", (prediction_id,)).fetchone() is not None

    def counts(self) -> dict[str, int]:
        """The number of items in each state."""
        return dict(self._db.execute("SELECT state, count(*) FROM items GROUP BY state").fetchall())

    def predictions_created(self) -> int:
        """Every prediction recorded for the batch, retries included."""
        return int(self._db.execute("SELECT count(*) FROM predictions").fetchone()[0])

    def predict_time(self) -> float:
        """The sum of the items' `predict_time` metrics, in seconds."""
        return float(self._db.execute("SELECT total(predict_time) FROM items").fetchone()[0])

    def problems(self, limit: int) -> list[tuple[str, int | None, str]]:
        """(id, line, problem) of the first invalid items."""
        rows = self._db.execute(
            "SELECT id, line, result FROM items WHERE state = 'invalid' ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [(id, line, json.loads(result).get("error") or "") for id, line, result in rows]

    def rows(self) -> Iterator[Row]:
        """Every item, in input order."""
        cursor = self._db.execute(
            "SELECT seq, id, line, input, state, prediction, attempts, result FROM items ORDER BY seq"
        )
        for seq, id, line, text, state, prediction, attempts, result in cursor:
            yield Row(
                seq, id, line, json.loads(text) if text is not None else None, state, prediction, attempts,
                json.loads(result) if result else {},
            )  # fmt: skip
