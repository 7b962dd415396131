"""The `replicate-ext` command (and `python -m replicate_ext.local`): `replicate-ext serve [options]`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `replicate-ext`."""
    parser = argparse.ArgumentParser(
        prog="replicate-ext",
        description="Tools of replicate_ext. `serve` runs a local Replicate-compatible server.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run a local Replicate-compatible server",
        description="Serve Replicate's /v1 API on this machine, running Python predictors in-process. "
        "Prints 'listening on http://HOST:PORT' (the API base, without /v1) and serves until interrupted.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="API port; 0 picks a free one (default: 8000)")
    serve.add_argument("--delivery-port", type=int, default=0, help="port of the file/stream origin (default: free)")
    serve.add_argument("--token", help="the one Bearer token to accept (default: any non-empty token)")
    serve.add_argument("--username", default="local", help="the account's username (default: local)")
    serve.add_argument(
        "--models",
        action="append",
        metavar="SPEC",
        help="models to serve, repeatable: 'demo' (the built-in demo/* models), 'path/to/module.py' (its "
        "predictors), or 'owner/name=path/to/module.py:Name' (default: demo)",
    )
    serve.add_argument("--workers", type=int, default=8, help="predictions run at once (default: 8)")
    serve.add_argument("--page-size", type=int, default=100, help="items per page of lists (default: 100)")
    serve.add_argument("--min-cancel-after", type=float, default=5.0, help="smallest Cancel-After, seconds")
    serve.add_argument("--max-upload-bytes", type=int, default=100 * 1024 * 1024, help="largest upload accepted")
    serve.add_argument(
        "--data-uri-outputs",
        type=int,
        default=0,
        metavar="BYTES",
        help="return file outputs up to BYTES as data: URIs instead of URLs (default: 0, never)",
    )
    faults = serve.add_argument_group("fault injection (off by default)")
    faults.add_argument("--error-rate", type=float, default=0.0, help="fraction of requests answered 500/502/503")
    faults.add_argument("--reset-rate", type=float, default=0.0, help="fraction of connections dropped")
    faults.add_argument("--stall-rate", type=float, default=0.0, help="fraction of responses that never finish")
    faults.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every request")
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
    faults.add_argument("--stream-drop-rate", type=float, default=0.0, help="chance to drop an SSE stream per event")
    faults.add_argument("--seed", type=int, help="seed of the random fault decisions")
    return parser


def _models(specs: Sequence[str] | None, username: str) -> tuple[bool, dict[str, Any]]:
    from ._predictor import load_predictors_from_file

    demo = False
    models: dict[str, Any] = {}
    for spec in specs or ["demo"]:
        if spec == "demo":
            demo = True
        elif "=" in spec:
            name, _, reference = spec.partition("=")
            models[name.strip()] = reference.strip()
        else:
            models.update(load_predictors_from_file(spec, owner=username))
    return demo, models


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in ("serve", "-h", "--help"):
        args_list.insert(0, "serve")  # `python -m replicate_ext.local --port 0` means serve
    parser = build_parser()
    args = parser.parse_args(args_list)

    from ._errors import LocalServerError
    from ._faults import Faults, parse_rate_limits
    from ._server import LocalReplicate

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
        )
        server.start()
    except (LocalServerError, ValueError, TypeError) as exc:
        print(f"replicate-ext: {exc}", file=sys.stderr)
        return 2

    stopping = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stopping.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    print(f"listening on {server.url}", flush=True)
    if args.token is None:
        # The one place a token is ever printed: the user needs it to call the server.
        print(f"token: {server.token} (any non-empty Bearer token is accepted)", flush=True)
    try:
        while not stopping.wait(0.5):
            if not server.running:
                print("replicate-ext: the server stopped unexpectedly", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    return 0
