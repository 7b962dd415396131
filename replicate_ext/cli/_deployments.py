"""`replicate-ext deployments list|get|create|update|delete`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ._common import EXIT_OK, Context, add_command, add_group, items, non_negative_int, show_deleted, show_list
from ._render import Column

if TYPE_CHECKING:
    from replicate_ext import Deployment

__all__ = ["register"]

DEPLOYMENT_COLUMNS = (
    Column("deployment", 40),
    Column("release", 7),
    Column("model", 40),
    Column("hardware", 16),
    Column("instances", 9),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = add_group(commands, "deployments", "list, show, create, update and delete deployments")
    add_command(group, "list", _list, "list your deployments", limit=True)
    get = add_command(group, "get", _get, "show a deployment")
    get.add_argument("deployment", metavar="OWNER/NAME")
    create = add_command(group, "create", _create, "create a deployment of a model version")
    create.add_argument("name", metavar="NAME", help="the deployment's name (under your account)")
    create.add_argument("--model", required=True, metavar="OWNER/NAME")
    create.add_argument("--version", required=True, metavar="VERSION", help="the version id to run")
    create.add_argument("--hardware", required=True, metavar="SKU", help="see `replicate-ext hardware list`")
    create.add_argument("--min-instances", type=non_negative_int, default=0, metavar="N", help="default: 0")
    create.add_argument("--max-instances", type=non_negative_int, default=1, metavar="N", help="default: 1")
    update = add_command(group, "update", _update, "make a new release of a deployment with what changes")
    update.add_argument("deployment", metavar="OWNER/NAME")
    update.add_argument("--version", metavar="VERSION")
    update.add_argument("--hardware", metavar="SKU")
    update.add_argument("--min-instances", type=non_negative_int, metavar="N")
    update.add_argument("--max-instances", type=non_negative_int, metavar="N")
    delete = add_command(group, "delete", _delete, "delete a deployment")
    delete.add_argument("deployment", metavar="OWNER/NAME")


def _row(deployment: Deployment) -> list[str]:
    release = deployment.current_release
    if release is None:
        return [deployment.id, "", "", "", ""]
    config = release.configuration
    model = f"{release.model}:{(release.version or '')[:12]}" if release.model else ""
    instances = f"{config.min_instances}-{config.max_instances}" if config.min_instances is not None else ""
    return [deployment.id, str(release.number or ""), model, config.hardware or "", instances]


def show_deployment(ctx: Context, deployment: Deployment) -> None:
    if ctx.json:
        ctx.out.json(deployment.to_dict())
        return
    release = deployment.current_release
    fields: list[tuple[str, object]] = [("deployment", deployment.id)]
    if release is not None:
        fields += [
            ("release", release.number),
            ("model", release.model),
            ("version", release.version),
            ("hardware", release.configuration.hardware),
            ("min_instances", release.configuration.min_instances),
            ("max_instances", release.configuration.max_instances),
            ("created_at", release.created_at),
        ]
    ctx.out.record(fields)


def _list(ctx: Context) -> int:
    from replicate_ext import paginate

    found = items(paginate(ctx.client.deployments.list), ctx.args.limit)
    return show_list(ctx, found, DEPLOYMENT_COLUMNS, _row, "deployments")


def _get(ctx: Context) -> int:
    show_deployment(ctx, ctx.client.deployments.get(ctx.args.deployment))
    return EXIT_OK


def _create(ctx: Context) -> int:
    args = ctx.args
    deployment = ctx.client.deployments.create(
        name=args.name,
        model=args.model,
        version=args.version,
        hardware=args.hardware,
        min_instances=args.min_instances,
        max_instances=args.max_instances,
    )
    show_deployment(ctx, deployment)
    return EXIT_OK


def _update(ctx: Context) -> int:
    args = ctx.args
    deployment = ctx.client.deployments.update(
        args.deployment,
        version=args.version,
        hardware=args.hardware,
        min_instances=args.min_instances,
        max_instances=args.max_instances,
    )
    show_deployment(ctx, deployment)
    return EXIT_OK


def _delete(ctx: Context) -> int:
    ctx.client.deployments.delete(ctx.args.deployment)
    return show_deleted(ctx, "deployment", ctx.args.deployment)
