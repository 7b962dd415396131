"""`make demo`: run two models on a local Replicate-compatible server, with no token and no network.

1. Start `replicate_ext.local.LocalReplicate` (the built-in demo/* models, on free ports).
2. Run demo/fractal with `replicate_ext.run` and save the PNG it makes.
3. Stream demo/stream-text's tokens to the terminal with `replicate_ext.stream`.
4. Stop the server.

The module-level API is configured the way a user's program would be: REPLICATE_BASE_URL and
REPLICATE_API_TOKEN point it at the local server (any token is accepted there).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import replicate_ext as replicate
from replicate_ext.local import LocalReplicate


def main() -> int:
    with LocalReplicate() as server:
        print(f"Local Replicate server at {server.url} (files and streams at {server.delivery_url})")
        os.environ["REPLICATE_BASE_URL"] = server.url
        os.environ["REPLICATE_API_TOKEN"] = server.token

        started = time.monotonic()
        try:
            image = replicate.run("demo/fractal", input={"prompt": "make demo", "width": 256, "height": 192})
        except replicate.ModelError as error:
            print(f"demo/fractal failed: {error.prediction.error}", file=sys.stderr)
            return 1
        target = image.save(Path("fractal.png"))  # streamed from the delivery origin, without the token
        elapsed = time.monotonic() - started
        print(f"demo/fractal: wrote {target.resolve()} ({target.stat().st_size} bytes) in {elapsed:.2f} s")

        print("demo/stream-text: ", end="", flush=True)
        for event in replicate.stream("demo/stream-text", input={"prompt": "Hello from make demo.", "max_tokens": 40}):
            print(event, end="", flush=True)  # str(event) is the text of an output event, "" for the others
        print()
        replicate.default_client().close()
    print("Server stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
