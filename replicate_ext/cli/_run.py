"""`replicate-ext run` and `replicate-ext stream`, and following a prediction or training until it ends."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CommandError,
    Context,
    UsageError,
    add_command,
    seconds,
)
from ._render import Column, status_style

if TYPE_CHECKING:
    from replicate_ext import InputProblem, ModelSchema, Prediction, Training

    from ._inputs import RawInput
    from ._render import Activity

__all__ = [
    "JOB_COLUMNS",
    "add_input_arguments",
    "follow",
    "job_row",
    "register",
    "report_failure",
    "show_job",
    "show_output",
    "typed_input",
    "watch",
]

RUN_EXAMPLES = """\
examples:
  replicate-ext run demo/fractal prompt="a spiral" width=256 --save out/
  replicate-ext run owner/model:VERSION image=@photo.jpg --json
  replicate-ext run owner/llm --input-json input.json --timeout 60
  replicate-ext run A --json | replicate-ext run B image={{output[0]}}

Inputs are NAME=VALUE (typed by the model's schema: steps=30 is a number), NAME=@path for a local file,
and {{PATH}} references into a prediction piped on standard input ({{output[0]}}, {{.output[0]}},
{{input.prompt}}). They are checked against the schema before anything is created (--no-validate skips it).

exit status: 0 succeeded, 1 failed or canceled, 2 usage error or invalid input, 3 API or network error,
130 interrupted (the prediction is canceled)."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = add_command(
        commands,
        "run",
        _run,
        "run a model and print its output",
        description="Run a model: create a prediction, follow it until it ends, and print its output.",
        epilog=RUN_EXAMPLES,
    )
    add_input_arguments(run, what="model")
    run.add_argument("--save", metavar="DIR", type=Path, help="save file outputs into DIR and print their paths")
    run.add_argument("--no-wait", action="store_true", help="print the created prediction and exit at once")
    run.add_argument("--timeout", type=seconds, metavar="S", help="cancel the prediction after S seconds")
    stream = add_command(
        commands,
        "stream",
        _stream,
        "run a model and print its text output as it is generated",
        description="Run a model and print its output events as they arrive (--json: one JSON line per event).",
        epilog="example:\n  replicate-ext stream owner/llm prompt='Tell me a story' max_tokens=200",
    )
    add_input_arguments(stream, what="model")
    stream.add_argument("--timeout", type=seconds, metavar="S", help="cancel the prediction after S seconds")


def add_input_arguments(parser: argparse.ArgumentParser, *, what: str) -> None:
    """The REF, NAME=VALUE, --input-json and --no-validate arguments of a command that runs something."""
    parser.add_argument("ref", metavar="REF", help=f"the {what}: owner/name, owner/name:version, or a version id")
    parser.add_argument(
        "inputs", nargs="*", metavar="NAME=VALUE", help="an input (NAME=@path: a local file; {{PATH}}: see below)"
    )
    parser.add_argument("--input-json", metavar="FILE", help="the whole input as a JSON object ('-': standard input)")
    parser.add_argument("--no-validate", action="store_true", help="do not check the input against the schema")


# -- inputs -----------------------------------------------------------------------------------------------------------


def typed_input(ctx: Context, ref: str, raw: RawInput, *, validate: bool) -> tuple[dict[str, Any], ModelSchema | None]:
    """The input, typed by the model's schema and checked against it (before anything is created), and the
    schema (None when it was not needed or cannot be had).

    Raises `InvalidInputError` listing every problem: text that cannot be read as its input's type, and, unless
    `validate` is false, whatever `ModelSchema.validate` finds in the whole input.
    """
    from replicate_ext import InvalidInputError

    from ._inputs import coerce_without_schema

    schema = _schema_of(ctx, ref, required=validate) if raw.texts or validate else None
    if schema is None:
        return raw.merged(coerce_without_schema(raw.texts)), None
    typed: dict[str, Any] = {}
    problems: list[InputProblem] = []
    for name, text in raw.texts.items():
        if name not in schema:
            typed[name] = text  # the check below says it is unknown (and suggests the closest name)
            continue
        try:
            typed[name] = schema.input(name).coerce(text)
        except InvalidInputError as exc:
            if validate:
                problems.extend(exc.problems)
            else:
                typed[name] = text  # unchecked: sent as it was given
    input = raw.merged(typed)
    if validate:
        unread = {problem.name for problem in problems}
        problems.extend(schema.problems({k: v for k, v in input.items() if k not in unread}))
    if problems:
        order = {f.name: f.order for f in schema.inputs}
        problems.sort(key=lambda problem: (problem.name in order, order.get(problem.name, 0)))
        raise InvalidInputError(problems, [f.name for f in schema.inputs], required=schema.required)
    return input, schema


def _schema_of(ctx: Context, ref: str, *, required: bool) -> ModelSchema | None:
    """The schema of what `ref` runs; None for a bare version id, whose schema the API gives only with the
    model's name."""
    from replicate_ext import SchemaError

    if "/" not in ref:
        if required:
            ctx.out.note(
                "The input is not checked: the schema of a bare version id needs its model's name "
                "(run owner/name:VERSION to have it checked)."
            )
        return None
    try:
        return ctx.client.models.schema(ref)
    except SchemaError as exc:
        if required:
            raise UsageError(f"{exc} (--no-validate sends the input unchecked.)") from exc
        return None


# -- creating -----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[list[int]]:
    """Hold Ctrl-C back while a create is on its way: the prediction it makes must be known to be canceled.

    Yields a list that holds the signal when one came; the caller acts on it once the create has returned.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def hold(signum: int, frame: Any) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


class Started:
    """The prediction a command created, known from the moment the create returns (while Ctrl-C is held), so that
    a Ctrl-C at any later point cancels it."""

    prediction: Prediction | None = None


def create(ctx: Context, ref: str, input: dict[str, Any], started: Started, **options: Any) -> Prediction:
    """Create the prediction; a Ctrl-C during the create cancels it as soon as it exists."""
    client = ctx.client
    with interrupts_deferred() as interrupted:
        prediction = started.prediction = client.predictions.create(version=ref, input=input, **options)
    if interrupted:
        raise _Interrupted(prediction)
    return prediction


class _Interrupted(Exception):
    def __init__(self, prediction: Prediction) -> None:
        self.prediction = prediction


def _cancel_on_interrupt(ctx: Context, prediction: Prediction) -> int:
    try:
        prediction.cancel()
    except Exception as exc:  # the interrupt is what matters; say the cancel failed, and how to retry it
        ctx.out.error(f"interrupted; canceling prediction {prediction.id} failed ({exc}).")
        ctx.out.message(f"Cancel it with: replicate-ext predictions cancel {prediction.id}")
        return EXIT_INTERRUPTED
    ctx.out.message(f"Interrupted: canceled prediction {prediction.id}.")
    return EXIT_INTERRUPTED


# -- following --------------------------------------------------------------------------------------------------


def _timed_out(prediction: Prediction, timeout: float) -> CommandError:
    """Cancel a prediction the command's --timeout abandoned, and say so."""
    status = prediction.status
    try:
        prediction.cancel()
    except Exception as exc:  # the timeout is the error to report; the failed cancel is said with it
        return CommandError(
            f"prediction {prediction.id} was still {status} after the {timeout:g} s timeout, and canceling it "
            f"failed ({exc}); cancel it with: replicate-ext predictions cancel {prediction.id}"
        )
    return CommandError(f"prediction {prediction.id} was still {status} after the {timeout:g} s timeout; canceled it.")


class TimedOut(Exception):
    """The command's --timeout passed before the prediction or training ended."""


def _left(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimedOut()
    return left


def follow(
    ctx: Context,
    job: Prediction | Training,
    activity: Activity,
    *,
    deadline: float | None = None,
    on_output: Callable[[str], None] | None = None,
) -> None:
    """Follow a prediction or training until it ends, updating `job` in place and the live status as it goes.

    A prediction with an event stream is followed on it (`on_output` gets each output event's text as it comes,
    and the logs feed the progress bar); otherwise its state is polled at the client's poll interval. Raises
    `TimedOut` when `deadline` (a `time.monotonic()` value) passes first.
    """
    from replicate_ext import APIConnectionError, PredictionCanceledError, Progress, StreamError

    activity.update(status=job.status)
    if job.urls.get("stream") and not job.done and hasattr(job, "stream"):
        logs: list[str] = []
        try:
            for event in job.stream(timeout=_left(deadline)):
                if event.event == "output":
                    activity.update(status="processing")
                    if on_output is not None:
                        on_output(event.data)
                elif event.event == "logs":
                    logs.append(event.data)
                    progress = Progress.parse("\n".join(logs[-50:]))
                    activity.update(status="processing", fraction=progress.percentage if progress else None)
        except (PredictionCanceledError, StreamError, APIConnectionError):
            pass  # canceled, failed, or the stream broke: the state fetched below tells which
        except TimeoutError as exc:  # the stream's deadline (PredictionTimeoutError)
            raise TimedOut() from exc
        _left(deadline)
        job.reload()
    interval = ctx.client.poll_interval
    while not job.done:
        left = _left(deadline)
        time.sleep(interval if left is None else min(interval, left))
        _left(deadline)
        job.reload()
        progress = Progress.parse(job.logs)
        activity.update(status=job.status, fraction=progress.percentage if progress else None)


def watch(ctx: Context, job: Prediction | Training, timeout: float | None) -> int | None:
    """Follow a prediction or training someone else started until it ends, with the live status; None when it
    ended. Ctrl-C stops the watch and leaves it running (exit status 130); so does `timeout` (a `CommandError`)."""
    kind = _kind(job)
    deadline = time.monotonic() + timeout if timeout else None
    try:
        with ctx.out.activity(job.id) as activity:
            follow(ctx, job, activity, deadline=deadline)
    except KeyboardInterrupt:
        ctx.out.message(f"Stopped waiting; {kind} {job.id} is still {job.status}.")
        return EXIT_INTERRUPTED
    except TimedOut:
        raise CommandError(f"{kind} {job.id} was still {job.status} after {timeout:g} s (it keeps running).") from None
    return None


def _kind(job: Prediction | Training) -> str:
    from replicate_ext import Training

    return "training" if isinstance(job, Training) else "prediction"


def report_failure(ctx: Context, job: Prediction | Training) -> int:
    """Say on stderr that a prediction or training failed or was canceled, with the last lines of its logs."""
    kind = _kind(job)
    if job.status == "failed":
        ctx.out.error(f"{kind} {job.id} failed: {job.error or 'no error message'}")
    else:
        ctx.out.error(f"{kind} {job.id} was {job.status}.")
    lines = [line for line in (job.logs or "").replace("\r", "\n").split("\n") if line.strip()]
    if lines and job.status == "failed":
        ctx.out.message("last log lines:")
        for line in lines[-10:]:
            ctx.out.message(f"  {line}")
    return EXIT_FAILED


# -- output -------------------------------------------------------------------------------------------------------


def _unique(name: str, used: set[str]) -> str:
    candidate, number = name, 1
    stem, dot, suffix = name.rpartition(".")
    while candidate in used:
        candidate = f"{stem}-{number}.{suffix}" if dot and stem else f"{name}-{number}"
        number += 1
    used.add(candidate)
    return candidate


def save_outputs(ctx: Context, output: Any, directory: Path) -> Any:
    """Download every file in `output` into `directory` (streamed; a bar for large files on a terminal), and
    return the output with each file replaced by the path it was saved to."""
    from replicate_ext import FileOutput

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--save: cannot create the folder {directory}: {exc.strerror or exc}.") from exc
    used: set[str] = set()

    def walk(value: Any) -> Any:
        if isinstance(value, FileOutput):
            target = directory / _unique(value.filename, used)
            with ctx.out.transfer(target.name) as progress:
                value.save(target, progress=progress)
            return str(target)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        return value

    return walk(output)


def show_output(ctx: Context, output: Any, *, concatenate: bool | None = None) -> None:
    """Print an output for people: text as it is, files (URLs or saved paths) one per line, other JSON indented.

    A list of strings is joined (a streamed text) when `concatenate`, or, when that is not known, when none of
    its items is a file; otherwise it is printed one item per line.
    """
    if output is None:
        return
    if isinstance(output, str):
        ctx.out.write(output if output.endswith("\n") else output + "\n")
        return
    if isinstance(output, list) and all(isinstance(item, str) for item in output):
        if concatenate is None:
            concatenate = not any(_is_file(item) for item in output)
        if concatenate:
            text = "".join(output)
            ctx.out.write(text if text.endswith("\n") else text + "\n")
        else:
            ctx.out.write("".join(f"{item}\n" for item in output))
        return
    ctx.out.json(output)


def _live_text(schema: ModelSchema | None) -> str | None:
    """How `run` prints output events as they come: None not at all (files, or values that are not text:
    printed at the end), "" as a text stream, "\n" one item per line. Without a schema, as a text stream."""
    if schema is None or schema.output.concatenates:
        return ""
    output = schema.output
    if output.is_iterator and output.items is not None and output.items.type == "string" and not output.items.is_file:
        return "\n"
    return None


def _is_file(value: Any) -> bool:
    from replicate_ext import FileOutput

    return isinstance(value, FileOutput) or (
        isinstance(value, str) and value.startswith(("https://", "http://", "data:"))
    )


# -- the commands -------------------------------------------------------------------------------------------------


def _run(ctx: Context) -> int:
    from ._inputs import read_inputs

    args = ctx.args
    if args.no_wait and (args.save or args.timeout):
        raise UsageError("--no-wait prints the prediction at once; it cannot be combined with --save or --timeout.")
    raw = read_inputs(args.inputs, args.input_json)
    input, schema = typed_input(ctx, args.ref, raw, validate=not args.no_validate)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    live = _live_text(schema)
    streamed: list[str] = []

    def on_output(text: str) -> None:
        if ctx.json or live is None or _is_file(text):
            return
        if not streamed:
            activity.stop()  # the text takes over the terminal from here
        streamed.append(text + live)
        ctx.out.write(text + live)

    created = Started()
    try:
        prediction = create(ctx, args.ref, input, created)
        if args.no_wait:
            show_job(ctx, prediction)
            return EXIT_OK
        ctx.out.note(f"Prediction {prediction.id} ({prediction.urls.get('web') or prediction.urls.get('get', '')})")
        started = time.monotonic()
        with ctx.out.activity(f"{prediction.id}") as activity:
            follow(ctx, prediction, activity, deadline=deadline, on_output=on_output)
    except _Interrupted as interrupted:
        return _cancel_on_interrupt(ctx, interrupted.prediction)
    except KeyboardInterrupt:
        if created.prediction is None:
            raise
        if streamed:
            ctx.out.write("\n")
        return _cancel_on_interrupt(ctx, created.prediction)
    except TimedOut:
        if streamed:
            ctx.out.write("\n")
        raise _timed_out(prediction, args.timeout) from None
    if streamed and not "".join(streamed).endswith("\n"):
        ctx.out.write("\n")
    if prediction.status != "succeeded":
        if ctx.json:
            ctx.out.json(prediction.to_dict())
        return report_failure(ctx, prediction)
    output = prediction.output
    files = isinstance(output, list) and any(_is_file(item) for item in output)
    concatenate = schema.output.concatenates if schema is not None else not files
    if args.save is not None:
        output = save_outputs(ctx, output, args.save)
    if ctx.json:
        data = prediction.to_dict()
        if args.save is not None:
            data["output"] = output
        ctx.out.json(data)
    elif not streamed:
        show_output(ctx, output, concatenate=concatenate)
    ctx.out.note(f"succeeded in {time.monotonic() - started:.1f} s", style="green")
    return EXIT_OK


def _stream(ctx: Context) -> int:
    from ._inputs import read_inputs

    args = ctx.args
    raw = read_inputs(args.inputs, args.input_json)
    input, schema = typed_input(ctx, args.ref, raw, validate=not args.no_validate)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    streamed: list[str] = []

    def on_output(text: str) -> None:
        if not streamed:
            activity.stop()
        streamed.append(text)
        if ctx.json:
            ctx.out.json_line({"event": "output", "data": text})
        else:
            ctx.out.write(text)

    created = Started()
    try:
        prediction = create(ctx, args.ref, input, created, stream=True)
        with ctx.out.activity(prediction.id) as activity:
            follow(ctx, prediction, activity, deadline=deadline, on_output=on_output)
    except _Interrupted as interrupted:
        return _cancel_on_interrupt(ctx, interrupted.prediction)
    except KeyboardInterrupt:
        if created.prediction is None:
            raise
        if streamed and not ctx.json:
            ctx.out.write("\n")
        return _cancel_on_interrupt(ctx, created.prediction)
    except TimedOut:
        if streamed and not ctx.json:
            ctx.out.write("\n")
        raise _timed_out(prediction, args.timeout) from None
    if not ctx.json and streamed and not "".join(streamed).endswith("\n"):
        ctx.out.write("\n")
    if prediction.status != "succeeded":
        return report_failure(ctx, prediction)
    if not streamed:  # a model that does not stream: its whole output, once
        if ctx.json:
            ctx.out.json_line({"event": "output", "data": prediction.raw_output})
        else:
            show_output(ctx, prediction.output, concatenate=schema.output.concatenates if schema else None)
    return EXIT_OK


# -- showing predictions and trainings ---------------------------------------------------------------------------

JOB_COLUMNS = (
    Column("id", 30),
    Column("model", 40),
    Column("status", 10, status_style),
    Column("created_at", 27),
)


def job_row(job: Prediction | Training) -> list[str]:
    """A prediction's or training's row in a list."""
    return [job.id, job.model or job.version or "", job.status, job.created_at or ""]


def show_job(ctx: Context, job: Prediction | Training) -> None:
    """A prediction or training as JSON, or as a short record for people."""
    if ctx.json:
        ctx.out.json(job.to_dict())
        return
    output = job.to_dict().get("output")
    fields = [
        ("id", job.id),
        ("model", job.model),
        ("version", job.version),
        ("status", job.status),
        ("created_at", job.created_at),
        ("completed_at", job.completed_at),
        ("error", job.error),
        ("url", job.urls.get("web") or job.urls.get("get")),
        ("output", output if job.status == "succeeded" else None),
    ]
    ctx.out.record(fields, {"status": status_style(job.status)})
