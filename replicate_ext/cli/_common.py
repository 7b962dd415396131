"""What every command shares: the common options, the context a handler runs in, errors and exit statuses.

Nothing here imports the client or a terminal library at module level: `replicate-ext --help` must stay fast.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import replicate_ext

    from ._render import Column, Renderer

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
    "show_deleted",
    "show_list",
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


def _whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number of {minimum} or more, got {text!r}")
        return value

    return parse


positive_int = _whole_number(1)
non_negative_int = _whole_number(0)


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


def show_list(
    ctx: Context,
    found: Iterable[Any],
    columns: Sequence[Column],
    row: Callable[[Any], Sequence[str]],
    what: str,
) -> int:
    """Objects of a list: JSON Lines of their `to_dict()` with --json, else a table (see `Renderer.table`)."""
    if ctx.json:
        for item in found:
            ctx.out.json_line(item.to_dict())
    elif not ctx.out.table(columns, (row(item) for item in found)):
        ctx.out.note(f"No {what}.")
    return EXIT_OK


def show_deleted(ctx: Context, what: str, name: str) -> int:
    """Say that something was deleted: `{"deleted": name}` with --json, a note on a terminal, else nothing."""
    if ctx.json:
        ctx.out.json({"deleted": name})
    else:
        ctx.out.note(f"Deleted {what} {name}.")
    return EXIT_OK
