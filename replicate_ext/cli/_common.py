"""What every command shares: the common options, the context a handler runs in, errors and exit statuses.

Nothing here imports the client or a terminal library at module level: `replicate-ext --help` must stay fast.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import replicate_ext

    from ._render import Renderer

__all__ = [
    "EXIT_API",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "Context",
    "Handler",
    "UsageError",
    "add_command",
    "items",
]

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILED = 1
"""The prediction or training failed or was canceled (or timed out and was canceled)."""
EXIT_USAGE = 2
"""A usage error: bad arguments, an invalid input, a missing token, a file that cannot be read."""
EXIT_API = 3
"""The API answered with an error, or could not be reached."""
EXIT_INTERRUPTED = 130
"""Interrupted with Ctrl-C (128 + SIGINT, as shells report it)."""

TOKEN_HELP = "Create a token at https://replicate.com/account/api-tokens and export REPLICATE_API_TOKEN=r8_..."


class CommandError(Exception):
    """An error a command reports as a few lines on stderr, with an exit status (no traceback)."""

    def __init__(self, message: str, status: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.status = status


class UsageError(CommandError):
    """The command line asks for something impossible; nothing was sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


class Context:
    """What a command handler works with: its parsed arguments, the output, and the API client (made on first
    use from `REPLICATE_API_TOKEN` and `REPLICATE_BASE_URL`)."""

    def __init__(self, args: argparse.Namespace, renderer: Renderer) -> None:
        self.args = args
        self.out = renderer
        self.json: bool = bool(getattr(args, "json", False))
        self.debug: bool = bool(getattr(args, "debug", False))

    @functools.cached_property
    def client(self) -> replicate_ext.Client:
        if not os.environ.get("REPLICATE_API_TOKEN", "").strip():
            raise UsageError(f"REPLICATE_API_TOKEN is not set. {TOKEN_HELP}")
        import replicate_ext

        return replicate_ext.Client()

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()


Handler = Callable[[Context], int]


def _common_options(parser: argparse.ArgumentParser, *, json: bool, top: bool) -> None:
    # The same options at the top and on every command (`replicate-ext --json models list` and
    # `replicate-ext models list --json`). On commands they default to SUPPRESS, so that a command's parser does
    # not reset what was given before the command's name.
    default: Any = False if top else argparse.SUPPRESS
    if json:
        parser.add_argument(
            "--json", action="store_true", default=default, help="print JSON (JSON Lines for lists) on stdout"
        )
    parser.add_argument("--debug", action="store_true", default=default, help="show tracebacks and HTTP logging")


def add_top_options(parser: argparse.ArgumentParser) -> None:
    _common_options(parser, json=True, top=True)


def add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    help: str,
    *,
    description: str | None = None,
    epilog: str | None = None,
    json: bool = True,
    limit: bool = False,
) -> argparse.ArgumentParser:
    """Add a command (or a group's subcommand) with the common options, run by `handler(context)`."""
    parser = commands.add_parser(
        name,
        help=help,
        description=description or help[:1].upper() + help[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common_options(parser, json=json, top=False)
    if limit:
        parser.add_argument("--limit", type=positive_int, metavar="N", help="stop after N items (default: all)")
    parser.set_defaults(handler=handler)
    return parser


def add_group(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add a command group (`models`, `predictions`, ...) and return the place to add its subcommands."""
    parser = commands.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".")
    _common_options(parser, json=True, top=False)
    return parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND", required=True)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of 1 or more, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text!r}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def items(pages: Iterable[Iterable[T]], limit: int | None) -> Iterator[T]:
    """The items of lazily fetched pages, stopping after `limit` (so no page past it is fetched)."""
    flat = itertools.chain.from_iterable(pages)
    return itertools.islice(flat, limit) if limit is not None else flat
