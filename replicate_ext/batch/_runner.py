"""Running a batch: `async_run` drives the requests and journal writes that `_schedule` decides; `run` is the same,
from sync code."""

from __future__ import annotations

import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import anyio

from .._exceptions import (
    AmbiguousCreateError,
    BadRequestError,
    BatchMismatchError,
    InvalidArgumentError,
    InvalidItemsError,
    InvalidResponseError,
    RateLimitError,
    ReplicateError,
    ReplicateException,
    ServerError,
    UnprocessableEntityError,
)
from . import DEFAULT_CONCURRENCY, _schedule
from ._inputs import Coerce, Fingerprint, Item, Validate, describe_source, read_items, source_is_csv
from ._journal import TERMINAL, Claimed, Journal
from ._schedule import (
    CreateGate,
    Lost,
    Pacer,
    Target,
    listed,
    logs_tail,
    match_lost,
    next_step,
    outcome_state,
    parse_rate,
    poll_interval,
    predict_time,
    search_since,
)
from ._sink import OutputError, save_outputs, write_results
from ._summary import Progress, Summary

if TYPE_CHECKING:
    from .. import Client, Prediction

__all__ = ["Options", "async_run", "run"]

logger = logging.getLogger("replicate_ext.batch")

HOLD_SECONDS = 2
"""How long a create asks the API to hold its answer for the prediction to finish (`Prefer: wait`).

A prediction that finishes within it costs one request. A longer hold would save polls of slower models, but the
prediction's id is known (and journaled, and cancelable) only when the create answers."""
RESULTS_EVERY = 60.0
"""Seconds between rewrites of `results.jsonl` while a batch runs (it is also written when the run ends)."""
PROGRESS_EVERY = 0.2
RECORD_CHUNK = 500
CLAIM_MAX = 64
FOLLOW_ATTEMPTS = 8
LOST_IN_A_ROW = 8
"""Creates in a row whose answer was lost and that made no prediction, after which the API is taken to be down
(as when no connection opens): the run stops, with the last error, to be resumed later."""
PROBLEMS_SHOWN = 20
RAMP_WAKE = 0.05


class _Stop(Exception):
    """Raised inside an item's task when the run stops and the item must be left for a later run."""


class _Run:
    """One run of a batch: the state shared by the item tasks, the recovery task and the progress task."""

    def __init__(
        self,
        client: Client,
        target: Target,
        journal: Journal,
        directory: Path,
        *,
        concurrency: int,
        rate: float | None,
        retry_failed: int,
        cancel_on_exit: bool,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        self.client = client
        self.target = target
        self.journal = journal
        self.directory = directory
        self.concurrency = concurrency
        self.retry_failed = retry_failed
        self.cancel_on_exit = cancel_on_exit
        self.progress = progress
        self.pacer = Pacer(rate, concurrency, time.monotonic())
        self.gate = CreateGate()
        self.poll = poll_interval(concurrency, client.poll_interval)
        self.active = 0
        """Item tasks alive, those in `waiting` included."""
        self.created = 0
        self.fruitless = 0
        """Lost creates in a row that made nothing (see `LOST_IN_A_ROW`)."""
        self.stopping = False
        self.fatal: BaseException | None = None
        self.following: dict[str, Prediction] = {}
        self.canceled_here: set[str] = set()
        self.waiting: dict[int, _Waiter] = {}
        """Items whose lost create is being looked for, by seq."""
        self._changed = anyio.Event()
        self._recovery = anyio.Event()
        self.started = time.monotonic()
        counts = journal.counts()
        self.done_at_start = sum(n for state, n in counts.items() if state in TERMINAL)

    # -- coordination -----------------------------------------------------------------------------------------

    def changed(self) -> None:
        """Wake whoever waits for a slot or for a key to open, and the recovery task."""
        self._changed.set()
        self._changed = anyio.Event()
        self._recovery.set()

    async def wait_change(self) -> None:
        await self._changed.wait()

    def wake_recovery(self) -> None:
        self._recovery.set()

    def stop(self, fatal: BaseException | None = None) -> None:
        """Stop creating; the items going on finish (or are canceled, with `cancel_on_exit`)."""
        if fatal is not None and self.fatal is None:
            self.fatal = fatal
        if not self.stopping:
            self.stopping = True
            self.changed()
        if fatal is not None:
            # Looking for lost creates would fail the same way: leave them to the next run.
            for waiter in list(self.waiting.values()):
                waiter.wake()

    # -- the main loop ----------------------------------------------------------------------------------------

    async def main(self) -> None:
        async with anyio.create_task_group() as background:
            background.start_soon(self._recovery_loop)
            background.start_soon(self._progress_loop)
            if self.cancel_on_exit:
                background.start_soon(self._cancel_loop)
            async with anyio.create_task_group() as items:
                for claimed in self.journal.in_state("running"):
                    self._start(items, claimed, "follow")
                for claimed in self.journal.in_state("creating"):
                    # Sent by an earlier run that ended before the answer was recorded: look for the prediction.
                    self.gate.lose(Lost(claimed.seq, claimed.key, claimed.sent_at or 0.0), in_flight=False)
                    self._start(items, claimed, "recover")
                self.wake_recovery()
                while not self.stopping:
                    # Items waiting for their lost create to be found do not hold a slot, but they are alive.
                    free = self.concurrency - self.active + len(self.waiting)
                    if free <= 0:
                        await self.wait_change()
                        continue
                    claimed_now = self.journal.claim(min(free, CLAIM_MAX))
                    if not claimed_now:
                        if self.active == 0:
                            break
                        await self.wait_change()
                        continue
                    for claimed in claimed_now:
                        self._start(items, claimed, "create")
            background.cancel_scope.cancel()

    def _start(self, group: anyio.abc.TaskGroup, claimed: Claimed, how: str) -> None:
        self.active += 1
        group.start_soon(self._item, claimed, how)

    # -- one item ---------------------------------------------------------------------------------------------

    async def _item(self, claimed: Claimed, how: str) -> None:
        journal = self.journal
        try:
            # `attempts` counts the item's predictions, the one being followed included.
            attempts = claimed.attempts
            prediction: Prediction | None = None
            if how == "follow" and claimed.prediction is not None:
                try:
                    prediction = await self._fetch(claimed.prediction)
                except ReplicateError as exc:
                    journal.finish(claimed.seq, "error", {"error": f"prediction {claimed.prediction}: {exc}"})
                    return
            elif how == "recover":
                prediction = await self._recovered(claimed.seq)
                attempts += prediction is not None
            first = how == "create"
            while True:
                if prediction is None:
                    if not first:
                        if self.stopping:
                            journal.release(claimed.seq)
                            return
                        journal.recreate(claimed.seq)
                    first = False
                    created = await self._create(claimed)
                    if created is _DONE:
                        return
                    prediction = created
                    if prediction is None:
                        continue
                    attempts += 1
                final = await self._follow(prediction)
                if final is None:
                    return  # left running for a later run
                step = next_step(final.status, attempts, self.retry_failed, final.id in self.canceled_here)
                if step == "retry":
                    logger.info("item %s: prediction %s failed; creating it again", claimed.id, final.id)
                    prediction = None
                    continue
                if step == "release":
                    journal.release(claimed.seq)
                    return
                await self._finish(claimed, final)
                return
        except _Stop:
            pass
        finally:
            self.active -= 1
            self.changed()

    async def _create(self, claimed: Claimed) -> Any:
        """Send the item's create. Returns its prediction, None when it must be created again, or `_Done`."""
        journal, gate = self.journal, self.gate
        while not self.stopping:
            if not gate.may_send(claimed.key):  # its input is being looked for
                await self.wait_change()
            elif gate.sending >= self.pacer.window(time.monotonic()):  # the ramp at the start of a run
                with anyio.move_on_after(RAMP_WAKE):
                    await self.wait_change()
            else:
                break
        gate.sent(claimed.key)
        pause = self.pacer.reserve(time.monotonic())
        if pause > 0:
            with anyio.move_on_after(pause):  # a stop ends the wait: at a low --rate it can be long
                while not self.stopping:
                    await self.wait_change()
        if self.stopping:
            gate.answered(claimed.key)
            journal.release(claimed.seq)
            return _DONE
        sent_at = time.time()
        try:
            named = self.target.create_arguments()
            prediction = await self.client.predictions.async_create(
                model=named.get("model"),
                version=named.get("version"),
                deployment=named.get("deployment"),
                input=claimed.input,
                wait=HOLD_SECONDS,
            )
        except (AmbiguousCreateError, ServerError, InvalidResponseError) as exc:
            # The create may have happened with its answer lost: look for it before creating again.
            logger.info("item %s: the create's answer was lost (%s); looking for its prediction", claimed.id, exc)
            gate.lose(Lost(claimed.seq, claimed.key, sent_at))
            self.changed()
            found = await self._recovered(claimed.seq)
            if found is not None:
                self.created += 1  # this run's create made it; only its answer was lost
                self.fruitless = 0
            else:
                self.fruitless += 1
                if self.fruitless >= LOST_IN_A_ROW:
                    self.stop(fatal=exc)
            return found
        except (UnprocessableEntityError, BadRequestError) as exc:
            gate.answered(claimed.key)
            self.changed()
            journal.finish(claimed.seq, "invalid", {"error": exc.detail or str(exc)})
            return _DONE
        except RateLimitError as exc:
            gate.answered(claimed.key)
            self.changed()
            logger.info(
                "item %s: rate limited after the client's retries (%s); it will be created later", claimed.id, exc
            )
            journal.release(claimed.seq)
            return _DONE
        except ReplicateException as exc:
            # Not created (401, 403, 404, a connection that never opened, ...): nothing else can succeed either.
            gate.answered(claimed.key)
            journal.release(claimed.seq)
            self.stop(fatal=exc)
            return _DONE
        gate.answered(claimed.key)
        self.changed()
        self.created += 1
        self.fruitless = 0
        if not journal.assign(claimed.seq, prediction.id):  # pragma: no cover - the gate prevents it
            logger.warning("prediction %s is already held by another item; looking again", prediction.id)
            gate.lose(Lost(claimed.seq, claimed.key, sent_at), in_flight=False)
            return await self._recovered(claimed.seq)
        return prediction

    async def _recovered(self, seq: int) -> Prediction | None:
        """Wait for the recovery task to say which prediction the item's lost create made (None: none).

        Meanwhile the item does not count against the concurrency: other items are created.
        """
        waiter = self.waiting[seq] = _Waiter()
        self.changed()
        try:
            await waiter.event.wait()
        finally:
            self.waiting.pop(seq, None)
        if waiter.stopped and waiter.prediction is None:
            raise _Stop
        return waiter.prediction

    async def _fetch(self, prediction_id: str) -> Prediction:
        for attempt in range(FOLLOW_ATTEMPTS):
            try:
                return await self.client.predictions.async_get(prediction_id)
            except ReplicateException as exc:
                if isinstance(exc, ReplicateError) and exc.status == 404:
                    raise
                logger.info("prediction %s: %s; trying again", prediction_id, exc)
                await anyio.sleep(min(30.0, 0.5 * 2**attempt))
        raise _Stop

    async def _follow(self, prediction: Prediction) -> Prediction | None:
        """Wait until the prediction ends (None: give up for this run, leaving it to the next)."""
        self.following[prediction.id] = prediction
        try:
            failures = 0
            while not prediction.done:
                if self.stopping and self.cancel_on_exit:
                    await self._cancel(prediction)
                try:
                    await prediction.async_wait(poll_interval=self.poll)
                except ReplicateException as exc:
                    failures += 1
                    if failures >= FOLLOW_ATTEMPTS:
                        logger.warning("prediction %s: %s; leaving it for the next run", prediction.id, exc)
                        return None
                    await anyio.sleep(min(30.0, 0.5 * 2**failures))
            return prediction
        finally:
            self.following.pop(prediction.id, None)

    async def _cancel(self, prediction: Prediction) -> None:
        if prediction.id in self.canceled_here:
            return
        self.canceled_here.add(prediction.id)
        try:
            await self.client.predictions.async_cancel(prediction.id)
        except ReplicateException as exc:
            logger.warning("could not cancel prediction %s: %s", prediction.id, exc)

    async def _cancel_loop(self) -> None:
        while True:
            if self.stopping:
                async with anyio.create_task_group() as group:
                    for prediction in list(self.following.values()):
                        group.start_soon(self._cancel, prediction)
            await self.wait_change()

    async def _finish(self, claimed: Claimed, prediction: Prediction) -> None:
        state = outcome_state(prediction.status)
        result: dict[str, Any] = {"output": prediction.raw_output, "files": [], "error": prediction.error}
        if state == "succeeded":
            if prediction.data_removed and prediction.raw_output is None:
                state, result["error"] = "error", "the API had removed the output before it could be saved"
            else:
                try:
                    result["output"], result["files"] = await save_outputs(
                        self.directory, claimed.id, prediction.output
                    )
                except OutputError as exc:
                    state, result["error"] = "error", f"the output could not be saved: {exc}"
        result.update(
            logs=logs_tail(prediction.logs),
            metrics=prediction.metrics,
            created_at=prediction.created_at,
            started_at=prediction.started_at,
            completed_at=prediction.completed_at,
        )
        self.journal.finish(claimed.seq, state, result, predict_time(prediction.metrics))

    # -- recovery ---------------------------------------------------------------------------------------------

    async def _recovery_loop(self) -> None:
        failures = 0
        while True:
            keys, next_due = self.gate.due(time.time(), _schedule.SETTLE_SECONDS)
            if not keys:
                # Until a key settles, or something changes (a create answered, another one lost).
                with anyio.move_on_after(None if next_due is None else max(0.0, next_due - time.time())):
                    await self._recovery.wait()
                self._recovery = anyio.Event()
                continue
            lost = self.gate.begin(keys)
            try:
                found = await self._search(lost)
            except ReplicateException as exc:
                failures += 1
                logger.warning("listing predictions to find lost creates failed (%s); trying again", exc)
                for item in lost:
                    self.gate.lose(item, in_flight=False)
                self.gate.end(keys)
                await anyio.sleep(min(30.0, 0.5 * 2**failures))
                continue
            failures = 0
            matches = match_lost(lost, (entry for entry, _ in found.values()), self.journal.is_claimed)
            for item in lost:
                prediction_id = matches.get(item.seq)
                prediction = None
                if prediction_id is not None and self.journal.assign(item.seq, prediction_id):
                    prediction = found[prediction_id][1]
                    logger.info("found prediction %s of a lost create", prediction_id)
                waiter = self.waiting.get(item.seq)
                if waiter is not None:
                    waiter.resolve(prediction)
            self.gate.end(keys)
            self.changed()

    async def _search(self, lost: list[Lost]) -> dict[str, tuple[Any, Prediction]]:
        """The predictions created since the lost creates were sent that ran the target with one of their inputs."""
        keys = {item.key for item in lost}
        found: dict[str, tuple[Any, Prediction]] = {}
        page = await self.client.predictions.async_list(created_after=search_since(lost))
        while True:
            for prediction in page.results:
                entry = listed(prediction, self.target)
                if entry is not None and entry.key in keys:
                    found[prediction.id] = (entry, prediction)
            if not page.next:
                return found
            page = await self.client.predictions.async_list(page.next)

    # -- progress ---------------------------------------------------------------------------------------------

    def snapshot(self) -> Progress:
        counts = self.journal.counts()
        total = sum(counts.values())
        done = sum(n for state, n in counts.items() if state in TERMINAL)
        elapsed = time.monotonic() - self.started
        rate = (done - self.done_at_start) / elapsed if elapsed > 0 else 0.0
        remaining = total - done
        return Progress(
            total=total,
            done=done,
            succeeded=counts.get("succeeded", 0),
            failed=counts.get("failed", 0) + counts.get("canceled", 0) + counts.get("error", 0),
            skipped=counts.get("invalid", 0),
            running=counts.get("running", 0) + counts.get("creating", 0),
            pending=counts.get("pending", 0),
            created=self.created,
            elapsed=elapsed,
            rate=rate,
            eta=remaining / rate if rate > 0 else (0.0 if not remaining else None),
        )

    async def _progress_loop(self) -> None:
        last_results = time.monotonic()
        last: Progress | None = None
        while True:
            await anyio.sleep(PROGRESS_EVERY)
            if self.progress is not None:
                now = self.snapshot()
                if last is None or (now.done, now.running, now.pending) != (last.done, last.running, last.pending):
                    self.progress(now)
                last = now
            if time.monotonic() - last_results >= RESULTS_EVERY:
                write_results(self.journal, self.directory)
                last_results = time.monotonic()

    def summary(self, results: Path) -> Summary:
        counts = self.journal.counts()
        total = sum(counts.values())
        unfinished = sum(n for state, n in counts.items() if state not in TERMINAL)
        return Summary(
            out_dir=self.directory,
            results=results,
            complete=unfinished == 0,
            stopped=self.stopping and unfinished > 0,
            total=total,
            succeeded=counts.get("succeeded", 0),
            failed=counts.get("failed", 0),
            canceled=counts.get("canceled", 0),
            skipped=counts.get("invalid", 0),
            errors=counts.get("error", 0),
            unfinished=unfinished,
            predictions_created=self.journal.predictions_created(),
            created_this_run=self.created,
            elapsed=time.monotonic() - self.started,
            predict_time=self.journal.predict_time(),
            problems=self.journal.problems(PROBLEMS_SHOWN),
        )


class _Done:
    """An item's create ended it (invalid input, or put back for later)."""


_DONE: Any = _Done()


class _Waiter:
    def __init__(self) -> None:
        self.event = anyio.Event()
        self.prediction: Prediction | None = None
        self.stopped = False

    def resolve(self, prediction: Prediction | None) -> None:
        self.prediction = prediction
        self.event.set()

    def wake(self) -> None:
        self.stopped = True
        self.event.set()


# -- ingesting the inputs -----------------------------------------------------------------------------------------


def _record_inputs(
    journal: Journal,
    inputs: Any,
    *,
    format: str | None,
    coerce: Coerce | None,
    validate: Validate | None,
    strict: bool,
) -> None:
    """Record the items in the journal (first run), or check that they are the ones recorded (later runs)."""
    fingerprint = Fingerprint()
    known = journal.inputs_fingerprint()
    if known is not None:
        for _ in read_items(inputs, format=format, fingerprint=fingerprint):
            pass
        if (fingerprint.hexdigest(), fingerprint.count) != known:
            raise BatchMismatchError(
                f"{describe_source(inputs)} is not what this batch was started with ({known[1]} items then, "
                f"{fingerprint.count} now, or the same number with other contents). Resume it with the same "
                "inputs, or give a new directory for a new batch."
            )
        return
    journal.start_recording()
    chunk: list[Item] = []
    for item in read_items(inputs, format=format, coerce=coerce, validate=validate, fingerprint=fingerprint):
        chunk.append(item)
        if len(chunk) >= RECORD_CHUNK:
            journal.record(chunk)
            chunk = []
    journal.record(chunk)
    invalid = journal.counts().get("invalid", 0)
    if strict and invalid:
        problems = journal.problems(PROBLEMS_SHOWN)
        journal.discard()
        shown = "; ".join(f"{_where(id, line)}: {problem}" for id, line, problem in problems[:5])
        raise InvalidItemsError(
            f"{invalid} of {fingerprint.count} inputs cannot run, so nothing was started: {shown}"
            + (" ..." if invalid > 5 else ""),
            problems,
            invalid,
        )
    journal.finish_recording(fingerprint.hexdigest(), fingerprint.count)


async def _schema_checks(client: Client, target: Target, csv: bool) -> tuple[Coerce | None, Validate | None]:
    """How to type CSV text and check inputs, from the schema of what the batch runs (None, None without one)."""
    from .. import InputProblem, InvalidInputError, SchemaError

    ref: str | None = None
    why = f"{target} has no current release"
    if target.kind == "deployment":
        release = (await client.deployments.async_get(target.name or "")).current_release
        if release and release.model and release.version:
            ref = f"{release.model}:{release.version}"
    elif target.kind == "version" and not target.name:
        why = f"the API gives a version's schema only with its model's name: give 'owner/name:{target.version}'"
    else:
        (ref,) = target.create_arguments().values()
    schema = None
    if ref is not None:
        try:
            schema = await client.models.async_schema(ref)
        except SchemaError as exc:
            why = str(exc)
    if schema is None:
        if csv:
            raise InvalidArgumentError(
                f"The values of a CSV file are text, and typing them needs the schema of {target}, which is not "
                f"available ({why}). Give the inputs as JSON Lines instead."
            )
        logger.warning("the inputs are not checked before the batch starts: %s", why)
        return None, None
    checked = schema

    def text(problems: Iterable[InputProblem]) -> str:
        return "; ".join(str(problem) for problem in problems)

    def coerce(values: Mapping[str, str]) -> dict[str, Any]:
        try:
            return checked.coerce(values)
        except InvalidInputError as exc:
            raise ValueError(text(exc.problems)) from None

    def validate(value: dict[str, Any]) -> None:
        found = checked.problems(value)
        if found:
            raise ValueError(text(found))

    return coerce, validate


def _where(item_id: str, line: int | None) -> str:
    return f"line {line} (item {item_id})" if line is not None else f"item {item_id}"


# -- entry points -------------------------------------------------------------------------------------------------


class Options(TypedDict, total=False):
    """The options of `run` and `async_run` (see `run` for what each does)."""

    deployment: str | None
    client: Client | None
    concurrency: int
    rate: str | float | None
    retry_failed: int
    cancel_on_exit: bool
    strict: bool
    format: str | None
    progress: Callable[[Progress], None] | None
    handle_signals: bool


async def async_run(
    ref: Any,
    inputs: str | os.PathLike[str] | Iterable[Any],
    out_dir: str | os.PathLike[str],
    **options: Unpack[Options],
) -> Summary:
    """Like `run`, for async code (asyncio or trio)."""
    return await _run_batch(ref, inputs, out_dir, options, own_loop=False)


async def _run_batch(
    ref: Any,
    inputs: str | os.PathLike[str] | Iterable[Any],
    out_dir: str | os.PathLike[str],
    options: Options,
    own_loop: bool,
) -> Summary:
    unknown = set(options) - set(Options.__annotations__)
    if unknown:
        raise TypeError(f"Unknown batch options: {', '.join(sorted(unknown))}.")
    deployment, client = options.get("deployment"), options.get("client")
    concurrency = options.get("concurrency", DEFAULT_CONCURRENCY)
    retry_failed, format = options.get("retry_failed", 0), options.get("format")
    target = Target.parse(ref, deployment)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number of predictions, 1 or more; got {concurrency!r}.")
    if isinstance(retry_failed, bool) or not isinstance(retry_failed, int) or retry_failed < 0:
        raise ValueError(f"retry_failed must be a whole number of retries, 0 or more; got {retry_failed!r}.")
    per_second = parse_rate(options.get("rate"))
    directory = Path(out_dir)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"{directory} is not a directory; give a directory for the batch's results.")
    own_client = client is None
    if client is None:
        from .. import Client

        client = Client()
    journal = Journal.open(directory, str(target))
    try:
        coerce: Coerce | None = None
        validate: Validate | None = None
        if journal.inputs_fingerprint() is None:  # the inputs are read, checked and typed once, on the first run
            coerce, validate = await _schema_checks(client, target, source_is_csv(inputs, format))
        strict = options.get("strict", False)
        _record_inputs(journal, inputs, format=format, coerce=coerce, validate=validate, strict=strict)
        journal.requeue_failed(retry_failed + 1)
        journal.requeue_unsaved()  # a download that failed is tried again (the prediction is fetched, not made)
        progress = options.get("progress")
        batch = _Run(
            client, target, journal, directory, concurrency=concurrency, rate=per_second,
            retry_failed=retry_failed, cancel_on_exit=options.get("cancel_on_exit", False), progress=progress,
        )  # fmt: skip
        try:
            async with anyio.create_task_group() as group:
                if options.get("handle_signals", True) and threading.current_thread() is threading.main_thread():
                    group.start_soon(_on_signals, batch, group.cancel_scope)
                await batch.main()
                group.cancel_scope.cancel()
        finally:
            results = write_results(journal, directory)
        summary = batch.summary(results)
        if progress is not None:
            progress(batch.snapshot())
        if batch.fatal is not None:
            raise batch.fatal
        return summary
    finally:
        journal.close()
        if own_client or own_loop:
            with anyio.CancelScope(shield=True):
                # A client that was given keeps its sync connections; those of the loop `run` made would be left
                # behind when it ends.
                await client.aclose(sync=own_client)


async def _on_signals(batch: _Run, scope: anyio.CancelScope) -> None:
    """The first Ctrl-C (or SIGTERM) stops creating and lets the running predictions end; the second stops now."""
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            if not batch.stopping:
                what = "canceling" if batch.cancel_on_exit else "waiting for"
                logger.warning(
                    "%s: no more predictions will be created; %s the %d running (again to stop at once)",
                    signal.Signals(signum).name, what, batch.active,
                )  # fmt: skip
                batch.stop()
            else:
                scope.cancel()
                return


def run(
    ref: Any,
    inputs: str | os.PathLike[str] | Iterable[Any],
    out_dir: str | os.PathLike[str],
    **options: Unpack[Options],
) -> Summary:
    """Run a model on every input of a batch, each exactly once, saving outputs and results under `out_dir`.

    Calling it again with the same `out_dir` resumes the batch: items that have an outcome are left alone,
    predictions still running are followed, and creates whose answer was lost (a crash, a dropped connection)
    are looked for before anything is created again. See `replicate_ext.batch` for what `out_dir` holds.

    Args:
        ref: What to run: `owner/name` (its latest version), `owner/name:version`, a version id, a `Model` or a
            `Version`; None with `deployment`.
        inputs: A JSON Lines file (one input object per line, or `{"id": ..., "input": {...}}` to name the
            item), a CSV file (a header row naming the inputs), or an iterable of input objects. Giving an
            iterable again to resume, it must yield the same inputs.
        out_dir: The batch's directory (created if needed).
        deployment: Run this deployment (`owner/name`) instead of `ref`.
        client: The `Client` to use (by default one from `REPLICATE_API_TOKEN` and `REPLICATE_BASE_URL`).
        concurrency: Predictions going on at once (created and not yet finished and saved); 32 by default.
        rate: At most this many creates a second (`5`, `"5/s"`, `"300/m"`); by default as many as the API
            allows (the client slows down when the API answers 429).
        retry_failed: Create a failed item's prediction again up to this many times (each retry is a new
            prediction, recorded with the others).
        cancel_on_exit: When stopped by Ctrl-C or SIGTERM, cancel the running predictions instead of waiting
            for them (their items run again when the batch is resumed).
        strict: Raise `InvalidItemsError` before anything is created if any input cannot run, instead of
            skipping those items.
        format: "jsonl" or "csv" for an `inputs` path whose name does not say.
        progress: Called with a `Progress` as items move along (from the event loop: keep it quick).
        handle_signals: In the main thread, the first Ctrl-C or SIGTERM stops creating and lets the running
            predictions end, the second stops at once; either way the batch can be resumed.

    Returns:
        A `Summary` of the batch (`complete`, counts by outcome, predictions created, times).

    Raises:
        BatchMismatchError: `out_dir` holds a batch of other inputs or of another model.
        BatchInUseError: Another process is running a batch in `out_dir`.
        InvalidItemsError: With `strict`, some inputs cannot run.
        ReplicateError: The API refused every create (bad token, unknown model); nothing more is created.
    """
    return anyio.run(functools.partial(_run_batch, ref, inputs, out_dir, options, own_loop=True))
