"""The decisions of a batch run, without I/O: what a batch runs, when a create may go, which lost create made
which prediction, and what to do with a prediction that ended.

The runner (`_runner.py`) performs the requests and the journal writes; everything it decides, it asks here.

Exactly once. A create is recorded in the journal (`claim`) before it is sent. When its answer is lost (the
connection dropped after sending, a 5xx, a crash of this process), the prediction may or may not exist. The
runner then looks for it: it lists the predictions created since the create was sent (less `CLOCK_MARGIN` for
the difference between this machine's clock and the API's) and takes one that runs the same target with the
same input and that no item of the batch holds yet (`match_lost`). Creates with the same target and input are
interchangeable: any of them may take any such prediction. So that a lost create never takes the prediction of
a create still waiting for its answer, a key (target and input) is looked for only when none of its creates
is in flight, and no new create of that key is sent until the search is over (`CreateGate`). Only when
nothing is found is the item created again.

The window: the search happens at least `SETTLE_SECONDS` after the lost create was sent. If the API's listing
showed a new prediction later than that (it has not been seen to lag), the search would miss it and the item
would be created a second time. After a crash the search happens when the batch is resumed, which is later
still. Predictions older than about an hour may have had their inputs removed by the API (`data_removed`); a
batch resumed more than an hour after a crash can no longer match them, and creates again.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._inputs import input_key

__all__ = [
    "CLOCK_MARGIN",
    "READS_PER_SECOND",
    "SETTLE_SECONDS",
    "CreateGate",
    "Listed",
    "Lost",
    "Pacer",
    "Target",
    "listed",
    "logs_tail",
    "match_lost",
    "next_step",
    "outcome_state",
    "parse_rate",
    "poll_interval",
    "predict_time",
    "search_since",
]

READS_PER_SECOND = 20.0
"""The polls per second a batch allows itself while waiting (Replicate allows 3000 reads a minute, 50 a second)."""
SETTLE_SECONDS = 2.0
"""How long after a lost create is sent the runner waits before looking for its prediction."""
CLOCK_MARGIN = datetime.timedelta(seconds=30)
"""How much earlier than the recorded send time predictions are looked for (clocks differ)."""

_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_MODEL = re.compile(rf"^({_NAME})/({_NAME})$")
_VERSIONED = re.compile(rf"^({_NAME})/({_NAME}):([A-Za-z0-9]+)$")
_VERSION_ID = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Target:
    """What every prediction of a batch runs: a model (its latest version), a version, or a deployment."""

    kind: Literal["model", "version", "deployment"]
    name: str | None
    """`owner/name` of the model or deployment (None for a bare version id)."""
    version: str | None = None

    @classmethod
    def parse(cls, ref: Any, deployment: str | None = None) -> Target:
        """From `owner/name`, `owner/name:version`, a version id, a `Model` or `Version`, or a deployment name."""
        if deployment is not None:
            if ref is not None:
                raise ValueError("Give either a model (or version) or a deployment, not both.")
            if not isinstance(deployment, str) or not _MODEL.match(deployment.strip()):
                raise ValueError(f"A deployment is named 'owner/name', not {deployment!r}.")
            return cls("deployment", deployment.strip())
        if ref is None:
            raise ValueError(
                "Say what to run: a model ('owner/name'), a version ('owner/name:version') or a deployment."
            )
        if not isinstance(ref, str):
            version_id, model = getattr(ref, "id", None), getattr(ref, "model", None)
            owner, name = getattr(ref, "owner", None), getattr(ref, "name", None)
            if isinstance(owner, str) and isinstance(name, str):  # a Model
                ref = f"{owner}/{name}"
            elif isinstance(version_id, str):  # a Version
                return cls("version", model if isinstance(model, str) and model else None, version_id)
            else:
                raise ValueError(f"Cannot run {ref!r}: give 'owner/name', 'owner/name:version', a Model or a Version.")
        text = ref.strip()
        if _VERSION_ID.match(text):
            return cls("version", None, text)
        versioned = _VERSIONED.match(text)
        if versioned:
            return cls("version", f"{versioned[1]}/{versioned[2]}", versioned[3])
        if _MODEL.match(text):
            return cls("model", text)
        raise ValueError(
            f"{ref!r} is not a model reference: use 'owner/name', 'owner/name:version' or a 64-character version id."
        )

    def __str__(self) -> str:
        if self.kind == "version":
            return f"version {self.version}"
        return f"{self.kind} {self.name}"

    def create_arguments(self) -> dict[str, str]:
        """The keyword that names the target in `predictions.create`."""
        if self.kind == "deployment":
            return {"deployment": self.name or ""}
        if self.kind == "version":
            return {"version": f"{self.name}:{self.version}" if self.name else self.version or ""}
        return {"model": self.name or ""}

    def runs(self, prediction: Any) -> bool:
        """Whether a prediction (from the API) ran this target."""
        if self.kind == "version":
            return bool(getattr(prediction, "version", None) == self.version)
        if self.kind == "deployment":
            return bool(getattr(prediction, "deployment", None) == self.name)
        return bool(getattr(prediction, "model", None) == self.name)


def parse_rate(value: str | float | None) -> float | None:
    """`--rate`: requests per second from `5`, `5/s`, `300/m` or `300/min`; None for no cap."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        rate = float(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*(?:/\s*(s|sec|m|min|h))?\s*", str(value))
        if not match:
            raise ValueError(f"A rate looks like '5/s' or '300/m', not {value!r}.")
        rate = float(match[1]) / {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}[match[2] or "s"]
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"A rate must be more than zero, not {value!r}.")
    return rate


def poll_interval(concurrency: int, floor: float) -> float:
    """Seconds between polls of one prediction, so that `concurrency` of them make at most `READS_PER_SECOND`."""
    return max(floor, concurrency / READS_PER_SECOND)


RAMP_SECONDS = 0.1
"""A run starts with one create in flight and allows one more every `RAMP_SECONDS` (up to its concurrency)."""


class Pacer:
    """When creates may start: at most `rate` a second, evenly spaced (a cap under the API's own limit), and
    at first few at a time.

    The ramp matters when the API limits the rate: the first 429 tells the client how fast it may go (and from
    then on it paces every create), but every create already sent by then is refused too. Starting with one
    create in flight, then one more every `RAMP_SECONDS`, the first 429 finds only a few in flight.
    """

    def __init__(self, rate: float | None, concurrency: int, started: float) -> None:
        self.rate = rate
        self.concurrency = concurrency
        self.started = started
        self._next = -math.inf

    def window(self, now: float) -> int:
        """How many creates may be in flight at `now`."""
        return min(self.concurrency, 1 + int(max(0.0, now - self.started) / RAMP_SECONDS))

    def reserve(self, now: float) -> float:
        """Take the next start time; return how long to wait for it (0: go now)."""
        if self.rate is None:
            return 0.0
        start = max(now, self._next)
        self._next = start + 1.0 / self.rate
        return start - now


@dataclass(frozen=True, slots=True)
class Lost:
    """An item whose create may have happened: its input's key and when the create was recorded (epoch s)."""

    seq: int
    key: str
    sent_at: float


@dataclass
class CreateGate:
    """Which creates may be sent, and which lost creates may be looked for, per key (target and input).

    A key with lost creates is closed to new creates; once none of its creates is in flight it is `ready`, and
    the runner takes it (`begin`), looks for its predictions, and reopens it (`end`).
    """

    in_flight: Counter[str] = field(default_factory=Counter)
    lost: dict[str, list[Lost]] = field(default_factory=dict)
    searching: set[str] = field(default_factory=set)
    sending: int = 0
    """Creates in flight, all keys together."""

    def may_send(self, key: str) -> bool:
        return key not in self.lost and key not in self.searching

    def sent(self, key: str) -> None:
        self.in_flight[key] += 1
        self.sending += 1

    def answered(self, key: str) -> None:
        self.sending -= 1
        self.in_flight[key] -= 1
        if not self.in_flight[key]:
            del self.in_flight[key]

    def lose(self, item: Lost, in_flight: bool = True) -> None:
        """A create of `item` may have happened (`in_flight`: it was sent by this run and is now over)."""
        if in_flight:
            self.answered(item.key)
        self.lost.setdefault(item.key, []).append(item)

    def ready(self) -> list[str]:
        """Keys whose lost creates can be looked for now (none of their creates is in flight)."""
        return [key for key in self.lost if key not in self.in_flight and key not in self.searching]

    def due(self, now: float, settle: float) -> tuple[list[str], float | None]:
        """The ready keys whose last lost create was sent at least `settle` seconds before `now` (epoch s), and
        when the next of the other ready keys will be due (None: no other key is ready).

        Each key waits for its own creates only, so that lost creates arriving all the time (a flaky network
        under a long batch) never hold back the search of those that have settled.
        """
        keys: list[str] = []
        later: float | None = None
        for key in self.ready():
            at = max(item.sent_at for item in self.lost[key]) + settle
            if at <= now:
                keys.append(key)
            elif later is None or at < later:
                later = at
        return keys, later

    def begin(self, keys: Iterable[str]) -> list[Lost]:
        found: list[Lost] = []
        for key in keys:
            found.extend(self.lost.pop(key))
            self.searching.add(key)
        return found

    def end(self, keys: Iterable[str]) -> None:
        self.searching.difference_update(keys)


@dataclass(frozen=True, slots=True)
class Listed:
    """A prediction as a listing showed it: enough to match it to a lost create."""

    id: str
    created_at: datetime.datetime
    key: str | None
    """The `input_key` of its input (None when the API removed it)."""


def listed(prediction: Any, target: Target) -> Listed | None:
    """A listed prediction, if it ran `target` (else None)."""
    if not target.runs(prediction):
        return None
    created = _parse_time(getattr(prediction, "created_at", None))
    if created is None:
        return None
    value = getattr(prediction, "input", None)
    return Listed(prediction.id, created, input_key(value) if isinstance(value, dict) else None)


def _parse_time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=datetime.UTC)


def search_since(lost: Iterable[Lost]) -> datetime.datetime:
    """The `created_after` of the listing that can find every one of `lost`."""
    earliest = min(item.sent_at for item in lost)
    return datetime.datetime.fromtimestamp(earliest, datetime.UTC) - CLOCK_MARGIN


def match_lost(lost: Iterable[Lost], candidates: Iterable[Listed], is_claimed: Callable[[str], bool]) -> dict[int, str]:
    """Which prediction each lost create made: `{seq: prediction id}` for those that were found.

    For each key, the unclaimed predictions with that input, created since the key's first lost create was sent
    (less `CLOCK_MARGIN`), are given to its lost creates, oldest first; creates left over made nothing.
    """
    by_key: dict[str, list[Lost]] = {}
    for item in lost:
        by_key.setdefault(item.key, []).append(item)
    found: dict[str, list[Listed]] = {key: [] for key in by_key}
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.key in found and candidate.id not in seen and not is_claimed(candidate.id):
            seen.add(candidate.id)
            found[candidate.key].append(candidate)
    matches: dict[int, str] = {}
    for key, items in by_key.items():
        since = search_since(items)
        predictions = sorted((c for c in found[key] if c.created_at >= since), key=lambda c: (c.created_at, c.id))
        for item, prediction in zip(sorted(items, key=lambda i: (i.sent_at, i.seq)), predictions, strict=False):
            matches[item.seq] = prediction.id
    return matches


Step = Literal["finish", "retry", "release"]


def next_step(status: str, attempts: int, retry_failed: int, canceled_here: bool) -> Step:
    """What to do with an item whose prediction ended with `status` after `attempts` predictions.

    A prediction this run canceled (stopping with `cancel_on_exit`) puts the item back for a later run; a failed
    one is created again while it has had at most `retry_failed` retries; anything else is the item's outcome.
    """
    if status in ("canceled", "aborted") and canceled_here:
        return "release"
    if status == "failed" and attempts <= retry_failed:
        return "retry"
    return "finish"


def outcome_state(status: str) -> str:
    """The item's final state for a prediction status."""
    return {"succeeded": "succeeded", "failed": "failed", "canceled": "canceled", "aborted": "canceled"}.get(
        status, "error"
    )


def logs_tail(logs: str | None, lines: int = 20, chars: int = 4000) -> str | None:
    """The end of a prediction's logs, for `results.jsonl`."""
    if not logs:
        return logs
    tail = "\n".join(logs.rstrip("\n").split("\n")[-lines:])
    return tail[-chars:]


def predict_time(metrics: Mapping[str, Any] | None) -> float | None:
    value = (metrics or {}).get("predict_time")
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
        return float(value)
    return None
