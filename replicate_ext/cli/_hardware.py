"""`replicate-ext hardware list`."""

from __future__ import annotations

import argparse

from ._common import Context, add_command, add_group, show_list
from ._render import Column

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = add_group(commands, "hardware", "the hardware models and deployments can run on")
    add_command(group, "list", _list, "list the hardware SKUs")


def _list(ctx: Context) -> int:
    columns = (Column("sku", 30), Column("name", 50))
    return show_list(ctx, ctx.client.hardware.list(), columns, lambda item: [item.sku, item.name], "hardware")
