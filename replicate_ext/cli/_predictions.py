"""`replicate-ext predictions list|get|cancel|wait`."""

from __future__ import annotations

import argparse

from ._common import EXIT_OK, Context, add_command, add_group, items, seconds, show_list
from ._run import JOB_COLUMNS, job_row, show_job

__all__ = ["register"]


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
    return show_list(ctx, found, JOB_COLUMNS, job_row, "predictions")


def _get(ctx: Context) -> int:
    show_job(ctx, ctx.client.predictions.get(ctx.args.id))
    return EXIT_OK


def _cancel(ctx: Context) -> int:
    show_job(ctx, ctx.client.predictions.cancel(ctx.args.id))
    return EXIT_OK


def _wait(ctx: Context) -> int:
    from ._run import report_failure, show_output, watch

    prediction = ctx.client.predictions.get(ctx.args.id)
    stopped = watch(ctx, prediction, ctx.args.timeout)
    if stopped is not None:
        return stopped
    if ctx.json:
        ctx.out.json(prediction.to_dict())
    if prediction.status != "succeeded":
        return report_failure(ctx, prediction)
    if not ctx.json:
        show_output(ctx, prediction.output)
    return EXIT_OK
