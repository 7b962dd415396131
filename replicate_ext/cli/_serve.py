"""`replicate-ext serve`: a local Replicate-compatible server (`replicate_ext.local`, the `local` extra).

The server's options and how they start it belong to `replicate_ext.local` (`add_serve_arguments`, `serve`),
which `python -m replicate_ext.local` uses too; this module gives them the `replicate-ext serve` command. Its
parser is built only when the command runs: importing `replicate_ext.local` costs more than the whole of
`replicate-ext --help` may.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ._common import Context

__all__ = ["register", "serve"]

DESCRIPTION = (
    "Serve Replicate's /v1 API on this machine: Python predictors in-process, Cog models on Cog's own runtime. "
    "Prints 'listening on http://HOST:PORT' (the API base, without /v1) and serves until interrupted."
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Listed for `replicate-ext --help`; `main` hands `serve ...` to `serve()` before its own parsing.
    parser = commands.add_parser("serve", help="run a local Replicate-compatible server", add_help=False)
    parser.add_argument("options", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=_from_parsed)


def _from_parsed(ctx: Context) -> int:  # only reached if `main` did not hand the command over first
    return serve(ctx.args.options)


def serve(argv: Sequence[str]) -> int:
    """Run `replicate-ext serve` with its options until interrupted; returns the exit status (2 for a bad option,
    with one line on standard error)."""
    from replicate_ext.local._cli import OneLineParser, add_serve_arguments
    from replicate_ext.local._cli import serve as run_server

    parser = OneLineParser(prog="replicate-ext serve", description=DESCRIPTION)
    add_serve_arguments(parser)
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exit:  # --help (0) or a bad option (2, said on stderr)
        return exit.code if isinstance(exit.code, int) else 2
    return run_server(args)
