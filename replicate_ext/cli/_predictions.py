"""`replicate-ext predictions list|get|cancel|wait`."""

from __future__ import annotations

import argparse
import time

from ._common import EXIT_INTERRUPTED, EXIT_OK, CommandError, Context, add_command, add_group, items, seconds
from ._render import Column, status_style

__all__ = ["PREDICTION_COLUMNS", "register"]

PREDICTION_COLUMNS = (
    Column("id", 30),
    Column("model", 40),
    Column("status", 10, status_style),
    Column("created_at", 27),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = add_group(commands, "predictions", "list, show, cancel and wait for predictions")
    listing = add_command(group, "list", _list, "list your predictions, newest first", limit=True)
    listing.add_argument("--created-after", metavar="TIME", help="only those created after TIME (ISO 8601)")
    listing.add_argument("--created-before", metavar="TIME", help="only those created before TIME (ISO 8601)")
    get = add_command(group, "get", _get, "show a prediction")
    get.add_argument("id", metavar="ID")
    cancel = add_command(group, "cancel", _cancel, "cancel a prediction")
    cancel.add_argument("id", metavar="ID")
    wait = add_command(
        group,
        "wait",
        _wait,
        "wait for a prediction to end and print its output",
        description="Wait for a prediction to end, then print its output (--json: the prediction). Exits with 1 "
        "when it failed or was canceled. Ctrl-C stops waiting and leaves the prediction running.",
    )
    wait.add_argument("id", metavar="ID")
    wait.add_argument("--timeout", type=seconds, metavar="S", help="stop waiting after S seconds (exit status 1)")


def _list(ctx: Context) -> int:
    from replicate_ext import paginate

    args = ctx.args
    filters = {"created_after": args.created_after, "created_before": args.created_before}
    found = items(paginate(ctx.client.predictions.list, **filters), args.limit)
    if ctx.json:
        for prediction in found:
            ctx.out.json_line(prediction.to_dict())
        return EXIT_OK
    rows = ([p.id, p.model or p.version, p.status, p.created_at or ""] for p in found)
    if not ctx.out.table(PREDICTION_COLUMNS, rows):
        ctx.out.note("No predictions.")
    return EXIT_OK


def _get(ctx: Context) -> int:
    from ._run import show_prediction

    show_prediction(ctx, ctx.client.predictions.get(ctx.args.id))
    return EXIT_OK


def _cancel(ctx: Context) -> int:
    from ._run import show_prediction

    show_prediction(ctx, ctx.client.predictions.cancel(ctx.args.id))
    return EXIT_OK


def _wait(ctx: Context) -> int:
    from ._run import TimedOut, follow, report_failure, show_output

    args = ctx.args
    prediction = ctx.client.predictions.get(args.id)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    try:
        with ctx.out.activity(prediction.id) as activity:
            follow(ctx, prediction, activity, deadline=deadline)
    except KeyboardInterrupt:
        ctx.out.message(f"Stopped waiting; prediction {prediction.id} is still {prediction.status}.")
        return EXIT_INTERRUPTED
    except TimedOut:
        raise CommandError(
            f"prediction {prediction.id} was still {prediction.status} after {args.timeout:g} s (it keeps running)."
        ) from None
    if ctx.json:
        ctx.out.json(prediction.to_dict())
    if prediction.status != "succeeded":
        return report_failure(ctx, prediction, "prediction")
    if not ctx.json:
        show_output(ctx, prediction.output)
    return EXIT_OK
