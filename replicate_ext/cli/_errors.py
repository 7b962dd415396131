"""Exceptions as a few lines for people, and the exit status each stands for."""

from __future__ import annotations

from ._common import EXIT_API, EXIT_FAILED, EXIT_USAGE, CommandError

__all__ = ["describe"]


def describe(exc: BaseException) -> tuple[int, list[str]]:
    """The exit status for an exception, and the lines that explain it (the first is the error itself)."""
    import replicate_ext

    if isinstance(exc, CommandError):
        return exc.status, str(exc).splitlines() or [type(exc).__name__]
    if isinstance(exc, replicate_ext.PredictionError):
        return EXIT_FAILED, [str(exc)]
    if isinstance(exc, replicate_ext.ReplicateError):
        lines = [str(exc)]
        if exc.status == 401:
            from ._common import TOKEN_HELP

            lines.append(TOKEN_HELP)
        return EXIT_API, lines
    if isinstance(exc, replicate_ext.APIConnectionError):
        return EXIT_API, [str(exc) or type(exc).__name__]
    if isinstance(exc, replicate_ext.InvalidArgumentError | replicate_ext.ConfigurationError):
        return EXIT_USAGE, [str(exc)]
    if isinstance(exc, replicate_ext.ReplicateException):  # an odd answer, a broken stream
        return EXIT_API, [str(exc) or type(exc).__name__]
    if isinstance(exc, OSError):  # a local file or folder: what the command line named
        where = f" {exc.filename}" if exc.filename else ""
        return EXIT_USAGE, [f"{exc.strerror or exc}:{where}"]
    return EXIT_FAILED, [
        f"unexpected error: {type(exc).__name__}: {exc}",
        "Run the command again with --debug to see where it happened.",
    ]
