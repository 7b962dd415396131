"""`replicate-ext hardware list`."""

from __future__ import annotations

import argparse

from ._common import EXIT_OK, Context, add_command, add_group
from ._render import Column

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = add_group(commands, "hardware", "the hardware models and deployments can run on")
    add_command(group, "list", _list, "list the hardware SKUs")


def _list(ctx: Context) -> int:
    hardware = ctx.client.hardware.list()
    if ctx.json:
        for item in hardware:
            ctx.out.json_line(item.to_dict())
        return EXIT_OK
    ctx.out.table((Column("sku", 30), Column("name", 50)), ([item.sku, item.name] for item in hardware))
    return EXIT_OK
