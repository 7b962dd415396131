"""The `replicate-ext` command line (and `python -m replicate_ext.cli`).

Each command group is a module of this package with a `register(commands)` function that adds its commands to
the parser (`_common.add_command` / `add_group`), each run by a handler `handler(context) -> exit status`.
Handlers use only `replicate_ext`'s public API, imported when they run, so `replicate-ext --help` loads neither
the client nor httpx. `_render` prints everything (JSON, plain text when piped, tables and progress on a
terminal). A new command group is one module here and one name in `GROUPS`.

Exit statuses: 0 success; 1 the prediction or training failed or was canceled; 2 a usage error or an invalid
input (nothing was sent); 3 an API or network error; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["GROUPS", "build_parser", "main"]

# The modules that register commands, in the order `--help` lists them.
GROUPS = (
    "_run",
    "_batch",
    "_predictions",
    "_models",
    "_trainings",
    "_deployments",
    "_files",
    "_hardware",
    "_account",
    "_webhooks",
    "_serve",
)

DESCRIPTION = """\
Run models on Replicate, and manage predictions, models, trainings, deployments and files.

The API token is read from REPLICATE_API_TOKEN and the API's address from REPLICATE_BASE_URL (default
https://api.replicate.com/v1). Every command takes --json (JSON Lines for lists) and --debug."""

EPILOG = """\
examples:
  replicate-ext run demo/fractal prompt="a spiral" --save out/
  replicate-ext stream owner/llm prompt="Tell me a story"
  replicate-ext models schema owner/model
  replicate-ext batch owner/model prompts.jsonl --out runs/prompts
  replicate-ext predictions list --limit 10 --json

exit status: 0 success, 1 prediction or training failed or canceled, 2 usage error or invalid input,
3 API or network error, 130 interrupted."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `replicate-ext`, with every command group registered."""
    from .._version import __version__
    from ._common import add_top_options

    parser = argparse.ArgumentParser(
        prog="replicate-ext",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"replicate-ext {__version__}")
    add_top_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in GROUPS:
        importlib.import_module(f".{name}", __name__).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: `sys.argv[1:]`); returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["serve"]:
        from ._serve import serve

        return serve(arguments[1:])
    parser = build_parser()
    args, extra = parser.parse_known_args(arguments)
    if extra:
        # NAME=VALUE inputs given after an option (`run REF a=1 --json b=2`) land here; anything else is an error.
        if not hasattr(args, "inputs") or any(item.startswith("-") for item in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.inputs.extend(extra)
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Run the parsed command, turning errors into messages and exit statuses."""
    from ._common import Context
    from ._render import Renderer

    context = Context(args, Renderer(json_mode=bool(getattr(args, "json", False))))
    if context.debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        status: int = args.handler(context)
        return status
    except KeyboardInterrupt:
        context.out.message("Interrupted.")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly; point stdout at nothing so the exit flush cannot fail.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:
        from ._errors import describe

        status, lines = describe(exc)
        if context.debug:
            import traceback

            traceback.print_exc()
        context.out.error(lines[0])
        for line in lines[1:]:
            context.out.message(line)
        return status
    finally:
        context.close()
