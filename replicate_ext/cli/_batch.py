"""`replicate-ext batch REF INPUTS --out DIR`: the batch runner of `replicate_ext.batch` as a command.

The command's options and what it does belong to `replicate_ext.batch` (`_command`), which
`python -m replicate_ext.batch` runs too; here it gets the common options and prints through the renderer.
"""

from __future__ import annotations

import argparse

from ._common import Context, add_command

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from replicate_ext.batch._command import DESCRIPTION, add_arguments, epilog

    parser = add_command(
        commands,
        "batch",
        _batch,
        "run a model on every input of a file, each exactly once, resumable",
        description=DESCRIPTION,
        epilog=epilog("replicate-ext batch"),
    )
    add_arguments(parser, json=False)


def _batch(ctx: Context) -> int:
    from replicate_ext.batch._command import execute

    return execute(ctx.args, ctx.out, client=ctx.client)
