"""`replicate-ext trainings create|get|list|cancel`."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from ._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    CommandError,
    Context,
    UsageError,
    add_command,
    add_group,
    items,
    seconds,
)
from ._render import Column, status_style
from ._run import add_input_arguments

if TYPE_CHECKING:
    from replicate_ext import Training

__all__ = ["register"]

TRAINING_COLUMNS = (
    Column("id", 30),
    Column("model", 40),
    Column("status", 10, status_style),
    Column("created_at", 27),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = add_group(commands, "trainings", "start, list, show and cancel trainings")
    create = add_command(
        group,
        "create",
        _create,
        "train a model into a new version of another",
        description="Start a training of a trainer version; the trained weights become a new version of the "
        "destination model. Inputs are given as for `replicate-ext run`.",
        epilog="example:\n  replicate-ext trainings create owner/trainer:VERSION --destination me/my-model "
        "steps=1000 input_images=@photos.zip --wait",
    )
    add_input_arguments(create, what="trainer version")
    create.add_argument("--destination", required=True, metavar="OWNER/NAME", help="the model to push the result to")
    create.add_argument("--webhook", metavar="URL", help="a URL to POST the training to when it ends")
    create.add_argument("--wait", action="store_true", help="follow the training until it ends (exit 1 if it fails)")
    create.add_argument("--timeout", type=seconds, metavar="S", help="with --wait: stop waiting after S seconds")
    get = add_command(group, "get", _get, "show a training")
    get.add_argument("id", metavar="ID")
    add_command(group, "list", _list, "list your trainings, newest first", limit=True)
    cancel = add_command(group, "cancel", _cancel, "cancel a training")
    cancel.add_argument("id", metavar="ID")


def show_training(ctx: Context, training: Training) -> None:
    if ctx.json:
        ctx.out.json(training.to_dict())
        return
    ctx.out.record(
        [
            ("id", training.id),
            ("model", training.model),
            ("version", training.version),
            ("status", training.status),
            ("created_at", training.created_at),
            ("completed_at", training.completed_at),
            ("error", training.error),
            ("output", training.output),
        ],
        {"status": status_style(training.status)},
    )


def _create(ctx: Context) -> int:
    from ._inputs import read_inputs
    from ._run import TimedOut, follow, report_failure, typed_input

    args = ctx.args
    if args.timeout and not args.wait:
        raise UsageError("--timeout applies to --wait.")
    if ":" not in args.ref:
        raise UsageError(f"Name the trainer with its version, as owner/name:VERSION; got {args.ref!r}.")
    raw = read_inputs(args.inputs, args.input_json)
    input = typed_input(ctx, args.ref, raw, validate=False)
    options = {"webhook": args.webhook} if args.webhook else {}
    training = ctx.client.trainings.create(args.ref, input, args.destination, **options)
    if not args.wait:
        show_training(ctx, training)
        return EXIT_OK
    deadline = time.monotonic() + args.timeout if args.timeout else None
    try:
        with ctx.out.activity(training.id) as activity:
            follow(ctx, training, activity, deadline=deadline)
    except KeyboardInterrupt:
        ctx.out.message(f"Stopped waiting; training {training.id} is still {training.status}.")
        return EXIT_INTERRUPTED
    except TimedOut:
        raise CommandError(
            f"training {training.id} was still {training.status} after {args.timeout:g} s (it keeps running)."
        ) from None
    show_training(ctx, training)
    return EXIT_OK if training.status == "succeeded" else report_failure(ctx, training, "training")


def _get(ctx: Context) -> int:
    show_training(ctx, ctx.client.trainings.get(ctx.args.id))
    return EXIT_OK


def _list(ctx: Context) -> int:
    from replicate_ext import paginate

    found = items(paginate(ctx.client.trainings.list), ctx.args.limit)
    if ctx.json:
        for training in found:
            ctx.out.json_line(training.to_dict())
        return EXIT_OK
    rows = ([t.id, t.model or "", t.status, t.created_at or ""] for t in found)
    if not ctx.out.table(TRAINING_COLUMNS, rows):
        ctx.out.note("No trainings.")
    return EXIT_OK


def _cancel(ctx: Context) -> int:
    show_training(ctx, ctx.client.trainings.cancel(ctx.args.id))
    return EXIT_OK
