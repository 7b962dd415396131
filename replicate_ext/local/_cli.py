"""The `replicate-ext` command (and `python -m replicate_ext.local`): `replicate-ext serve [options]`.

The pieces stand alone so that another command line can offer `serve`: `add_serve_arguments(parser)` adds
the options to any `argparse` parser and `serve(args)` runs the server from the parsed options. Every bad
value ends the command with one line on standard error (what was wrong, and what to do) and exit status 2.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["OneLineParser", "add_serve_arguments", "build_parser", "main", "serve"]

_USAGE_ERROR = 2


class OneLineParser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line: `replicate-ext: <problem> (see --help)`, status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(_USAGE_ERROR, f"replicate-ext: {message} (see '{self.prog} --help').\n")


def _number(kind: Callable[[str], Any], what: str, low: float | None = None, high: float | None = None) -> Any:
    """An argparse `type` that parses `kind` and checks `low <= value <= high`, saying what it expects."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value

    return parse


_PORT = _number(int, "a port number from 0 (any free port) to 65535", 0, 65535)
_POSITIVE = _number(int, "a whole number of at least 1", 1)
_COUNT = _number(int, "a whole number of at least 0", 0)
_SECONDS = _number(float, "a number of seconds of at least 0", 0)
_SETUP_SECONDS = _number(float, "a number of seconds above 0", 1e-9)
_RATE = _number(float, "a fraction from 0 to 1", 0, 1)
_MILLISECONDS = _number(float, "a number of milliseconds of at least 0", 0)


def _text(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{what} must not be empty")
        return text

    return parse


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of `replicate-ext serve` to `parser`."""
    parser.add_argument("--host", default="127.0.0.1", type=_text("--host"), help="address to listen on "
                        "(default: 127.0.0.1); on any other address the server requires its token")  # fmt: skip
    parser.add_argument("--port", type=_PORT, default=8000, help="API port; 0 picks a free one (default: 8000)")
    parser.add_argument("--delivery-port", type=_PORT, default=0, help="port of the file/stream origin (default: free)")
    parser.add_argument(
        "--token",
        type=_text("--token"),
        help="the one Bearer token to accept (default: a generated one, required on a non-loopback --host; on "
        "loopback any non-empty token is accepted)",
    )
    parser.add_argument(
        "--insecure-accept-any-token",
        action="store_true",
        help="accept any non-empty Bearer token on a non-loopback --host too: anyone who can reach this machine "
        "can then run the models it serves",
    )
    parser.add_argument("--username", default="local", help="the account's username (default: local)")
    parser.add_argument(
        "--models",
        action="append",
        metavar="SPEC",
        help="models to serve, repeatable: 'demo' (the built-in demo/* models), 'path/to/module.py' (its "
        "predictors), 'owner/name=path/to/module.py:Name', or a Cog model: 'owner/name=path/to/folder' (with "
        "cog.yaml) or 'owner/name=predict.py:Predictor' (default: demo)",
    )
    parser.add_argument("--workers", type=_POSITIVE, default=8, help="predictions run at once (default: 8)")
    parser.add_argument("--page-size", type=_POSITIVE, default=100, help="items per page of lists (default: 100)")
    parser.add_argument("--min-cancel-after", type=_SECONDS, default=5.0, help="smallest Cancel-After, seconds")
    parser.add_argument("--max-upload-bytes", type=_POSITIVE, default=100 * 1024 * 1024, help="largest upload")
    parser.add_argument(
        "--data-uri-outputs",
        type=_COUNT,
        default=0,
        metavar="BYTES",
        help="return file outputs up to BYTES as data: URIs instead of URLs (default: 0, never)",
    )
    parser.add_argument(
        "--setup-timeout",
        type=_SETUP_SECONDS,
        default=300.0,
        metavar="SECONDS",
        help="how long a Cog model's setup() may take (default: 300)",
    )
    faults = parser.add_argument_group("fault injection (off by default)")
    faults.add_argument("--error-rate", type=_RATE, default=0.0, help="fraction of requests answered 500/502/503")
    faults.add_argument("--reset-rate", type=_RATE, default=0.0, help="fraction of connections dropped")
    faults.add_argument("--stall-rate", type=_RATE, default=0.0, help="fraction of responses that never finish")
    faults.add_argument("--latency-ms", type=_MILLISECONDS, default=0.0, help="delay added to every request")
    faults.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="[CLASS=]N/s",
        help="token-bucket limit, repeatable: '20/s' for every route class or 'create=5/s' (classes: create, "
        "read, write)",
    )
    faults.add_argument("--fault-timing", choices=("after", "before"), default="after")
    faults.add_argument("--fault-routes", default="create,read,write", help="route classes faults apply to")
    faults.add_argument("--stream-drop-rate", type=_RATE, default=0.0, help="chance to drop an SSE stream per event")
    faults.add_argument("--seed", type=int, help="seed of the random fault decisions")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `replicate-ext`."""
    parser = OneLineParser(
        prog="replicate-ext",
        description="Tools of replicate_ext. `serve` runs a local Replicate-compatible server.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve",
        help="run a local Replicate-compatible server",
        description="Serve Replicate's /v1 API on this machine: Python predictors in-process, Cog models on "
        "Cog's own runtime. Prints 'listening on http://HOST:PORT' (the API base, without /v1) and serves "
        "until interrupted.",
    )
    add_serve_arguments(serve_parser)
    return parser


def _models(specs: Sequence[str] | None, username: str) -> tuple[bool, dict[str, Any]]:
    from ._predictor import _kebab, load_predictors_from_file

    demo = False
    models: dict[str, Any] = {}
    for spec in specs or ["demo"]:
        if spec == "demo":
            demo = True
        elif "=" in spec:
            name, _, reference = spec.partition("=")
            models[name.strip()] = reference.strip()
        elif Path(spec).is_dir():
            models[f"{username}/{_kebab(Path(spec).resolve().name)}"] = spec  # a Cog model's folder
        else:
            models.update(load_predictors_from_file(spec, owner=username))
    return demo, models


def _error(message: object) -> int:
    print(f"replicate-ext: {' '.join(str(message).split())}", file=sys.stderr, flush=True)
    return _USAGE_ERROR


def serve(args: argparse.Namespace) -> int:
    """Run the server the options in `args` (from `add_serve_arguments`) describe, until interrupted.

    Returns the exit status: 0 after an interrupt or SIGTERM, 130 after one while the models were being set
    up (everything started is stopped), 2 for a bad option or a model that cannot be served (with one line on
    standard error saying why), 1 when the server stops by itself.
    """
    if args.token is not None and args.insecure_accept_any_token:
        return _error("--token and --insecure-accept-any-token contradict each other; pass one of them.")
    stopping = threading.Event()
    started = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stopping.set()
        if not started.is_set():
            raise KeyboardInterrupt  # while models set up: start() stops what it has started

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        return _serve(args, stopping, started)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(args: argparse.Namespace, stopping: threading.Event, started: threading.Event) -> int:
    from ._errors import LocalServerError
    from ._faults import Faults, parse_rate_limits
    from ._server import LocalReplicate, is_loopback

    try:
        faults = Faults(
            error_rate=args.error_rate,
            reset_rate=args.reset_rate,
            stall_rate=args.stall_rate,
            latency_ms=args.latency_ms,
            rate_limit=parse_rate_limits(args.rate_limit),
            fault_timing=args.fault_timing,
            fault_routes=frozenset(r.strip() for r in args.fault_routes.split(",") if r.strip()),
            stream_drop_rate=args.stream_drop_rate,
            seed=args.seed,
        )
        demo, models = _models(args.models, args.username)
        server = LocalReplicate(
            models,
            token=args.token,
            accept_any_token=args.insecure_accept_any_token,
            username=args.username,
            host=args.host,
            port=args.port,
            delivery_port=args.delivery_port,
            demo_models=demo,
            workers=args.workers,
            faults=faults,
            page_size=args.page_size,
            min_cancel_after=args.min_cancel_after,
            max_upload_bytes=args.max_upload_bytes,
            data_uri_outputs=args.data_uri_outputs,
            setup_timeout=args.setup_timeout,
        )
        server.start()
    except (LocalServerError, ValueError, TypeError, OSError) as exc:
        return _error(exc)
    except KeyboardInterrupt:  # while the models were being set up; start() stopped what it had started
        return 130
    started.set()
    print(f"listening on {server.url}", flush=True)
    if args.token is None:
        # The one place a token is ever printed: the user needs it to call the server.
        if server.accepts_any_token:
            print(f"token: {server.token} (any non-empty Bearer token is accepted)", flush=True)
        else:
            print(f"token: {server.token} (generated; every request must send it as a Bearer token)", flush=True)
    if not is_loopback(args.host) and server.accepts_any_token:
        print(
            f"replicate-ext: WARNING: listening on {args.host} and accepting ANY token: anyone who can reach this "
            "machine can run the models it serves and make it download URLs.",
            file=sys.stderr,
            flush=True,
        )
    for name, error in server.setup_errors.items():
        message = f"replicate-ext: {name}: {error.rstrip('.')}; its predictions will fail, with the setup's logs."
        print(message, file=sys.stderr, flush=True)
    try:
        while not stopping.wait(0.5):
            if not server.running:
                print("replicate-ext: the server stopped unexpectedly", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in ("serve", "-h", "--help"):
        args_list.insert(0, "serve")  # `python -m replicate_ext.local --port 0` means serve
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit:
        return int(exit.code or 0) if isinstance(exit.code, int | None) else _USAGE_ERROR
    return serve(args)
