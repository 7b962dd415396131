"""The `batch` command: `python -m replicate_ext.batch REF INPUTS --out DIR` (and `replicate-ext batch`).

`add_arguments` declares its options on a parser and `execute` runs it with an `Output` (standard output for the
summary, standard error for messages and, on a terminal, a progress line), so that a command line with its own
display can host the same command.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from . import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    from typing import Protocol

    class Activity(Protocol):
        def update(
            self, *, completed: float | None = None, total: float | None = None, detail: str | None = None
        ) -> None:
            """Redraw the progress line."""

    class Output(Protocol):
        """What the command prints through (the `replicate-ext` renderer has the same methods)."""

        def message(self, text: str) -> None:
            """A line on standard error."""

        def write(self, text: str) -> None:
            """Text on standard output."""

        def json(self, data: Any) -> None:
            """A JSON document on standard output."""

        def activity(self, label: str, *, total: float | None = None) -> contextlib.AbstractContextManager[Activity]:
            """A live progress line on standard error (on a terminal only)."""


__all__ = ["DESCRIPTION", "PlainOutput", "add_arguments", "epilog", "execute", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_API, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

DESCRIPTION = """\
Run one model on every input of a file, each input exactly once, saving outputs under DIR.

INPUTS is a JSON Lines file (one input object per line, or {"id": ..., "input": {...}} to name the item), a CSV
file (a header row naming the inputs; values are converted by the model's schema), or - for JSON Lines on
standard input. DIR gets journal.sqlite (where every item stands), outputs/<item id>/ (the file outputs) and
results.jsonl (one line per input, in input order).

Run the same command again to resume: items already done are left alone, running predictions are followed, and
nothing is created twice. A first Ctrl-C (or SIGTERM) stops creating and waits for the running predictions (or
cancels them, with --cancel-on-exit); a second one stops at once. Either way the batch resumes later."""


def epilog(prog: str) -> str:
    """The examples and exit statuses, for the command called `prog`."""
    return f"""\
examples:
  {prog} demo/fractal prompts.jsonl --out runs/fractals
  {prog} owner/model:VERSION rows.csv --out runs/rows --rate 5/s --retry-failed 2
  {prog} --deployment acme/upscaler images.jsonl --out runs/upscaled --json

exit status: 0 every item succeeded, 1 some items failed or were skipped, 2 usage error or invalid inputs
(nothing was created), 3 API or network error, 130 stopped before the batch was complete (run it again)."""


def add_arguments(parser: argparse.ArgumentParser, *, json: bool = True) -> None:
    """The arguments of the batch command (`json=False` for a parser that has `--json` already)."""
    parser.add_argument(
        "ref", nargs="?", metavar="REF", help="owner/name (its latest version), owner/name:version, or a version id"
    )
    parser.add_argument(
        "inputs_file", metavar="INPUTS", help="a .jsonl or .csv file, or - for JSON Lines on standard input"
    )
    parser.add_argument("--out", "-o", required=True, metavar="DIR", help="the batch's directory (resume: the same)")
    parser.add_argument("--deployment", metavar="OWNER/NAME", help="run this deployment instead of REF")
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"predictions going on at once (default: {DEFAULT_CONCURRENCY}; raise it for slow models)",
    )
    parser.add_argument(
        "--rate",
        metavar="N/s",
        help="at most N creates a second ('5/s', '300/m'); default: as fast as the API allows (it answers 429 "
        "when too fast, and creates slow down)",
    )
    parser.add_argument(
        "--retry-failed",
        type=_count,
        default=0,
        metavar="N",
        help="create a failed item's prediction again, up to N times (default: 0, failures are recorded)",
    )
    parser.add_argument(
        "--cancel-on-exit",
        action="store_true",
        help="on Ctrl-C or SIGTERM, cancel the running predictions instead of waiting for them",
    )
    parser.add_argument(
        "--strict", action="store_true", help="stop before creating anything if any input is invalid (default: skip)"
    )
    parser.add_argument("--format", choices=("jsonl", "csv"), help="the format of INPUTS (default: by its name)")
    if json:
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def _positive_int(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of 1 or more, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text!r}")
    return value


def execute(args: argparse.Namespace, out: Output, client: Any = None) -> int:
    """Run the batch the parsed arguments describe; returns the exit status."""
    if args.ref is None and args.deployment is None:
        out.message("replicate-ext batch: give a model (REF) or --deployment OWNER/NAME, and INPUTS.")
        return EXIT_USAGE
    if args.inputs_file != "-" and not os.path.isfile(args.inputs_file):
        out.message(f"replicate-ext batch: {args.inputs_file}: no such file.")
        return EXIT_USAGE
    if client is None and not os.environ.get("REPLICATE_API_TOKEN", "").strip():
        out.message(
            "replicate-ext batch: REPLICATE_API_TOKEN is not set. Create a token at "
            "https://replicate.com/account/api-tokens and export REPLICATE_API_TOKEN=r8_..."
        )
        return EXIT_USAGE
    import logging

    class Forward(logging.Handler):
        """The batch's warnings (a signal received, inputs that cannot be checked) as the command's messages."""

        def emit(self, record: logging.LogRecord) -> None:
            out.message(f"replicate-ext batch: {record.getMessage()}")

    forward = Forward(logging.WARNING)
    logging.getLogger("replicate_ext.batch").addHandler(forward)
    try:
        return _execute(args, out, client)
    finally:
        logging.getLogger("replicate_ext.batch").removeHandler(forward)


def _execute(args: argparse.Namespace, out: Output, client: Any) -> int:
    import replicate_ext
    from replicate_ext import batch

    from ._summary import Progress

    with out.activity("batch") as activity:

        def show(progress: Progress) -> None:
            detail = f"{progress.done}/{progress.total} done · {progress.failed} failed · {progress.running} running"
            if progress.rate > 0:
                detail += f" · {progress.rate:.1f}/s"
            if progress.eta is not None and progress.done < progress.total:
                detail += f" · ETA {_clock(progress.eta)}"
            activity.update(completed=progress.done, total=progress.total, detail=detail)

        try:
            summary = batch.run(
                args.ref,
                args.inputs_file,
                args.out,
                deployment=args.deployment,
                client=client,
                concurrency=args.concurrency,
                rate=args.rate,
                retry_failed=args.retry_failed,
                cancel_on_exit=args.cancel_on_exit,
                strict=args.strict,
                format=args.format,
                progress=show,
            )
        except replicate_ext.InvalidItemsError as exc:
            out.message(f"replicate-ext batch: {exc.count} invalid inputs; nothing was created (--strict):")
            for item_id, line, problem in exc.problems:
                out.message(f"  {_where(item_id, line)}: {problem}")
            return EXIT_USAGE
        except (replicate_ext.BatchError, replicate_ext.InvalidArgumentError, ValueError, OSError) as exc:
            out.message(f"replicate-ext batch: {exc}")
            return EXIT_USAGE
        except (replicate_ext.ReplicateError, replicate_ext.APIConnectionError) as exc:
            out.message(f"replicate-ext batch: {exc}")
            if isinstance(exc, replicate_ext.AuthenticationError):
                out.message(
                    "Create a token at https://replicate.com/account/api-tokens and export REPLICATE_API_TOKEN."
                )
            return EXIT_API
    for item_id, line, problem in summary.problems:
        out.message(f"skipped {_where(item_id, line)}: {problem}")
    if summary.skipped > len(summary.problems):
        out.message(f"... and {summary.skipped - len(summary.problems)} more skipped (see {summary.results})")
    if args.json:
        out.json(summary.to_dict())
    else:
        out.write(str(summary) + "\n")
    if not summary.complete:
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.ok else EXIT_FAILED


def _where(item_id: str, line: int | None) -> str:
    return f"line {line} (item {item_id})" if line is not None else f"item {item_id}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


class _Line:
    """A progress line redrawn in place on a terminal."""

    def __init__(self, stream: IO[str], label: str, total: float | None) -> None:
        self.stream = stream
        self.label = label
        self.total = total
        self.shown = False

    def update(self, *, completed: float | None = None, total: float | None = None, detail: str | None = None) -> None:
        if total is not None:
            self.total = total
        bar = ""
        if completed is not None and self.total:
            filled = int(24 * min(1.0, completed / self.total))
            bar = "[" + "#" * filled + "-" * (24 - filled) + "] "
        self.stream.write(f"\r\x1b[2K{self.label} {bar}{detail or ''}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


class PlainOutput:
    """`Output` on the standard streams: a progress line on standard error when it is a terminal."""

    def __init__(self, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    def message(self, text: str) -> None:
        self.stderr.write(text.rstrip("\n") + "\n")
        self.stderr.flush()

    def write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def json(self, data: Any) -> None:
        self.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    @contextlib.contextmanager
    def activity(self, label: str, *, total: float | None = None) -> Iterator[_Line | _Silent]:
        live = self.stderr.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        if not live:
            yield _Silent()
            return
        line = _Line(self.stderr, label, total)
        try:
            yield line
        finally:
            line.clear()


class _Silent:
    def update(self, *, completed: float | None = None, total: float | None = None, detail: str | None = None) -> None:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m replicate_ext.batch`: returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m replicate_ext.batch",
        description=DESCRIPTION,
        epilog=epilog("python -m replicate_ext.batch"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return execute(parser.parse_args(argv), PlainOutput())
