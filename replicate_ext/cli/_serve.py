"""`replicate-ext serve`: a local Replicate-compatible server (`replicate_ext.local`, the `local` extra)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ._common import Context

__all__ = ["register", "serve"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Listed here for `replicate-ext --help`; `main` hands `serve ...` to `serve()` before parsing, so its own
    # parser (with its --help) reads the options.
    parser = commands.add_parser(
        "serve", help="run a local Replicate-compatible server", add_help=False, prefix_chars="\0"
    )
    parser.add_argument("options", nargs="*")
    parser.set_defaults(handler=_unreachable)


def _unreachable(ctx: Context) -> int:
    return serve(ctx.args.options)


def serve(argv: Sequence[str]) -> int:
    """Run `replicate-ext serve` with its options; returns the exit status."""
    from replicate_ext.local._cli import main

    return main(["serve", *argv])
