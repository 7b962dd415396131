"""`replicate-ext webhooks secret`: the key that signs the account's webhooks."""

from __future__ import annotations

import argparse

from ._common import EXIT_OK, Context, add_command, add_group

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = add_group(commands, "webhooks", "webhook signing")
    add_command(
        group,
        "secret",
        _secret,
        "print the webhook signing secret",
        description="Print the secret (whsec_...) that signs the webhooks sent to you, to check them with "
        "replicate_ext.validate_webhook. Keep it out of logs and version control.",
    )


def _secret(ctx: Context) -> int:
    secret = ctx.client.webhooks.default.secret()
    if ctx.json:
        ctx.out.json({"key": secret.key})
    else:
        ctx.out.write(f"{secret.key}\n")
    return EXIT_OK
