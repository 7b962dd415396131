"""`replicate-ext batch REF INPUTS --out DIR` (also `python -m replicate_ext.batch`): `replicate_ext.batch.run` as
a command, with a progress line on a terminal and the summary at the end."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from ._common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Context,
    UsageError,
    add_command,
    non_negative_int,
    positive_int,
)

if TYPE_CHECKING:
    from replicate_ext import Client
    from replicate_ext.batch import Progress

__all__ = ["register"]

DESCRIPTION = """\
Run one model on every input of a file, each input exactly once, saving outputs under DIR.

INPUTS is a JSON Lines file (one input object per line, or {"id": ..., "input": {...}} to name the item), a CSV
file (a header row naming the inputs; values are converted by the model's schema), or - for JSON Lines on
standard input. DIR gets journal.sqlite (where every item stands), outputs/<item id>/ (the file outputs) and
results.jsonl (one line per input, in input order).

Run the same command again to resume: items already done are left alone, running predictions are followed, and
nothing is created twice. A first Ctrl-C (or SIGTERM) stops creating and waits for the running predictions (or
cancels them, with --cancel-on-exit); a second one stops at once. Either way the batch resumes later."""

EPILOG = """\
examples:
  replicate-ext batch demo/fractal prompts.jsonl --out runs/fractals
  replicate-ext batch owner/model:VERSION rows.csv --out runs/rows --rate 5/s --retry-failed 2
  replicate-ext batch --deployment acme/upscaler images.jsonl --out runs/upscaled --json

exit status: 0 every item succeeded, 1 some items failed or were skipped, 2 usage error or invalid inputs
(nothing was created), 3 API or network error, 130 stopped before the batch was complete (run it again)."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from replicate_ext.batch import DEFAULT_CONCURRENCY

    parser = add_command(
        commands,
        "batch",
        _batch,
        "run a model on every input of a file, each exactly once, resumable",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
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
        type=positive_int,
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
        type=non_negative_int,
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


def _batch(ctx: Context) -> int:
    import logging

    args = ctx.args
    if args.ref is None and args.deployment is None:
        raise UsageError("give a model (REF) or --deployment OWNER/NAME, and INPUTS.")
    if args.inputs_file != "-" and not os.path.isfile(args.inputs_file):
        raise UsageError(f"{args.inputs_file}: no such file.")
    client = ctx.client  # the token is checked before the inputs are read

    class Forward(logging.Handler):
        """The batch's warnings (a signal received, inputs that cannot be checked) as the command's messages."""

        def emit(self, record: logging.LogRecord) -> None:
            ctx.out.message(f"replicate-ext batch: {record.getMessage()}")

    forward = Forward(logging.WARNING)
    logging.getLogger("replicate_ext.batch").addHandler(forward)
    try:
        return _run(ctx, client)
    finally:
        logging.getLogger("replicate_ext.batch").removeHandler(forward)


def _run(ctx: Context, client: Client) -> int:
    import replicate_ext
    from replicate_ext import batch

    args = ctx.args
    with ctx.out.activity("batch") as activity:

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
            ctx.out.error(f"{exc.count} invalid inputs; nothing was created (--strict):")
            for item_id, line, problem in exc.problems:
                ctx.out.message(f"  {_where(item_id, line)}: {problem}")
            return EXIT_USAGE
        except (replicate_ext.BatchError, ValueError) as exc:
            # A directory that holds another batch or is in use, a reference or rate that cannot be read, a CSV
            # file without a header row: what the command line gave (errors from the API go to `describe`).
            raise UsageError(str(exc)) from exc
    for item_id, line, problem in summary.problems:
        ctx.out.message(f"skipped {_where(item_id, line)}: {problem}")
    if summary.skipped > len(summary.problems):
        ctx.out.message(f"... and {summary.skipped - len(summary.problems)} more skipped (see {summary.results})")
    if ctx.json:
        ctx.out.json(summary.to_dict())
    else:
        ctx.out.write(str(summary) + "\n")
    if not summary.complete:
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.ok else EXIT_FAILED


def _where(item_id: str, line: int | None) -> str:
    return f"line {line} (item {item_id})" if line is not None else f"item {item_id}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"
