"""`replicate-ext account`: who the API token belongs to."""

from __future__ import annotations

import argparse

from ._common import EXIT_OK, Context, add_command

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_command(commands, "account", _account, "show the account the API token belongs to")


def _account(ctx: Context) -> int:
    account = ctx.client.accounts.current()
    if ctx.json:
        ctx.out.json(account.to_dict())
        return EXIT_OK
    fields = [("username", account.username), ("type", account.type), ("name", account.name)]
    ctx.out.record([*fields, ("github_url", account.github_url)])
    return EXIT_OK
