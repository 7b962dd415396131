"""`make demo`: run two models on a local Replicate-compatible server, with no token and no network.

1. Start `replicate_ext.local.LocalReplicate` (the built-in demo/* models, free ports).
2. Run demo/fractal through the generated client (`replicate_api`) and save the PNG it makes.
3. Stream demo/stream-text's tokens to the terminal from the prediction's Server-Sent Events.
4. Stop the server.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from replicate_api import AuthenticatedClient
from replicate_api.api.models import models_predictions_create
from replicate_api.api.predictions import predictions_get
from replicate_api.models import Prediction, PredictionRequest

from replicate_ext.local import LocalReplicate

TERMINAL = {"succeeded", "failed", "canceled"}


def run(client: AuthenticatedClient, model: str, inputs: dict[str, object], wait: bool) -> Prediction:
    """Create a prediction (holding the request with `Prefer: wait` if asked) and poll until it ends."""
    owner, name = model.split("/")
    prediction = models_predictions_create.sync(
        owner, name, client=client, body=PredictionRequest(input_=inputs), prefer="wait" if wait else "wait=1"
    )
    if not isinstance(prediction, Prediction):
        raise SystemExit(f"Creating a {model} prediction failed: {prediction}")
    while prediction.status not in TERMINAL and wait:
        time.sleep(0.2)
        polled = predictions_get.sync(prediction.id, client=client)
        if not isinstance(polled, Prediction):
            raise SystemExit(f"Reading the prediction failed: {polled}")
        prediction = polled
    return prediction


def sse_events(response: httpx.Response) -> Iterator[tuple[str, str]]:
    """(event, data) pairs from a Server-Sent Events response (the WHATWG rules this stream needs)."""
    event, data = "message", list[str]()
    for line in response.iter_lines():
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", list[str]()
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


def main() -> int:
    with LocalReplicate() as server:
        print(f"Local Replicate server at {server.url} (files and streams at {server.delivery_url})")
        client = AuthenticatedClient(base_url=server.url + "/v1", token=server.token, timeout=httpx.Timeout(70.0))
        with client:
            fractal = run(client, "demo/fractal", {"prompt": "make demo", "width": 256, "height": 192}, wait=True)
            if fractal.status != "succeeded":
                print(f"demo/fractal {fractal.status}: {fractal.error}", file=sys.stderr)
                return 1
            print(f"demo/fractal succeeded in {fractal.metrics['predict_time']:.2f} s; its logs end with:")  # type: ignore[index]
            print("  " + "\n  ".join(str(fractal.logs).splitlines()[-3:]))
            # File outputs live on the delivery origin, which needs no token (never send it there).
            image = httpx.get(str(fractal.output), timeout=30)
            image.raise_for_status()
            target = Path("fractal.png").resolve()
            target.write_bytes(image.content)
            print(f"Wrote {target} ({len(image.content)} bytes)")

            stream = run(client, "demo/stream-text", {"prompt": "Hello from make demo.", "max_tokens": 40}, wait=False)
            stream_url = stream.urls.stream
            if not isinstance(stream_url, str):
                raise SystemExit("demo/stream-text gave no stream URL")
            print("demo/stream-text: ", end="", flush=True)
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
            with httpx.stream("GET", stream_url, headers=headers, timeout=30) as response:
                for event, data in sse_events(response):
                    if event == "output":
                        print(data, end="", flush=True)
                    elif event == "error":
                        print(f"\nerror: {json.loads(data)['detail']}", file=sys.stderr)
                    elif event == "done":
                        break
            print()
    print("Server stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
