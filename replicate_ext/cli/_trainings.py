"""`replicate-ext trainings create|get|list|cancel`."""

from __future__ import annotations

import argparse

from ._common import EXIT_OK, Context, UsageError, add_command, add_group, items, seconds, show_list
from ._run import JOB_COLUMNS, add_input_arguments, job_row, show_job

__all__ = ["register"]


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


def _create(ctx: Context) -> int:
    from ._inputs import coerce_without_schema, read_inputs
    from ._run import report_failure, watch

    args = ctx.args
    if args.timeout and not args.wait:
        raise UsageError("--timeout applies to --wait.")
    if ":" not in args.ref:
        raise UsageError(f"Name the trainer with its version, as owner/name:VERSION; got {args.ref!r}.")
    raw = read_inputs(args.inputs, args.input_json)
    # A trainer's inputs are its training inputs, which the version's schema does not describe as it does the
    # prediction inputs: text is read as JSON where it parses, and the API checks the rest.
    input = raw.merged(coerce_without_schema(raw.texts))
    options = {"webhook": args.webhook} if args.webhook else {}
    training = ctx.client.trainings.create(args.ref, input, args.destination, **options)
    if args.wait:
        stopped = watch(ctx, training, args.timeout)
        if stopped is not None:
            return stopped
    show_job(ctx, training)
    return EXIT_OK if training.status == "succeeded" or not args.wait else report_failure(ctx, training)


def _get(ctx: Context) -> int:
    show_job(ctx, ctx.client.trainings.get(ctx.args.id))
    return EXIT_OK


def _list(ctx: Context) -> int:
    from replicate_ext import paginate

    found = items(paginate(ctx.client.trainings.list), ctx.args.limit)
    return show_list(ctx, found, JOB_COLUMNS, job_row, "trainings")


def _cancel(ctx: Context) -> int:
    show_job(ctx, ctx.client.trainings.cancel(ctx.args.id))
    return EXIT_OK
