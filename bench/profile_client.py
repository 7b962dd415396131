"""Profile one client's hot path with cProfile, against a fake server of its own.

    .venv/bin/python bench/profile_client.py --client ours --op sync_get
    bench/.envs/v1/bin/python bench/profile_client.py --client v1 --op burst --top 25

Operations: `sync_get` (2,000 `predictions.get`), `async_get` (1,000 awaited one after the other), `burst` (1,000
concurrent 100 ms `async_run`). It prints the functions with the most time of their own, then the most cumulative
time. It is a diagnostic tool: the numbers include cProfile's own overhead, so use `run.py` for timings.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import subprocess
import sys
from pathlib import Path
from typing import Any

from adapters import ADAPTERS, Adapter

BENCH = Path(__file__).resolve().parent


def _sync_get(adapter: Adapter, url: str, id: str, profile: cProfile.Profile) -> None:
    client = adapter.client(url)
    for _ in range(200):
        adapter.get(client, id)
    profile.enable()
    for _ in range(2000):
        adapter.get(client, id)
    profile.disable()
    adapter.close(client)


async def _async_get(adapter: Adapter, url: str, id: str, profile: cProfile.Profile) -> None:
    client = await adapter.aclient(url)
    for _ in range(100):
        await adapter.aget(client, id)
    profile.enable()
    for _ in range(1000):
        await adapter.aget(client, id)
    profile.disable()
    await adapter.aclose(client)


async def _burst(adapter: Adapter, url: str, id: str, profile: cProfile.Profile) -> None:
    client = await adapter.aclient(url)
    await adapter.arun(client, {"delay_ms": 0})
    profile.enable()
    await asyncio.gather(*(adapter.arun(client, {"delay_ms": 100}) for _ in range(1000)))
    profile.disable()
    await adapter.aclose(client)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", required=True, choices=sorted(ADAPTERS))
    parser.add_argument("--op", required=True, choices=["sync_get", "async_get", "burst"])
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(BENCH / "fakeserver.py"), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split()[-1]
        import http.client
        import json

        control = http.client.HTTPConnection(url.split("//")[1].split(":")[0], int(url.rsplit(":", 1)[1]))
        control.request("POST", "/v1/predictions", body=b'{"input": {}}')
        id = json.loads(control.getresponse().read())["id"]
        control.close()
        adapter = ADAPTERS[args.client]()
        profile = cProfile.Profile()
        runner: Any
        if args.op == "sync_get":
            _sync_get(adapter, url, id, profile)
        else:
            runner = _async_get if args.op == "async_get" else _burst
            asyncio.run(runner(adapter, url, id, profile))
    finally:
        server.terminate()
        server.wait()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
