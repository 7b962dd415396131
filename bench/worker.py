"""Run one case for one client in this process, and print its measurements as one JSON line.

    python bench/worker.py --client ours --case sync_get --url http://127.0.0.1:PORT --id ID --params '{"n": 2000}'

`run.py` starts one worker per case, client and round, with the Python of the client's environment. The worker
imports nothing but the stdlib before the case starts (the client is imported by its adapter when first used), so
that fresh-process cases (first request, RSS) measure the client alone. It prints `RESULT {...}` on success,
`RESULT {"unsupported": "..."}` when the client cannot do the case.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters import ADAPTERS, Adapter, Unsupported

Result = dict[str, Any]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    """The current resident set size, in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # ru_maxrss is in KiB on Linux


def first_request(adapter: Adapter, url: str, id: str, params: Result) -> Result:
    """Import the client, build it and send one `predictions.get`: what a short script pays before its first answer."""
    t0 = time.perf_counter()
    client = adapter.client(url)
    t1 = time.perf_counter()
    adapter.get(client, id)
    t2 = time.perf_counter()
    adapter.close(client)
    return {"ms": (t2 - t0) * 1e3, "import_and_construct_ms": (t1 - t0) * 1e3, "get_ms": (t2 - t1) * 1e3}


def _summary(per_call_us: list[float], cpu_s: float) -> Result:
    import statistics

    ordered = sorted(per_call_us)
    return {
        "us": statistics.median(ordered),
        "mean_us": statistics.fmean(ordered),
        "p99_us": ordered[int(len(ordered) * 0.99) - 1],
        "cpu_us_per_call": cpu_s * 1e6 / len(ordered),
        "calls": len(ordered),
        "per_call_us": [round(x, 1) for x in per_call_us],
    }


def sync_get(adapter: Adapter, url: str, id: str, params: Result) -> Result:
    """`predictions.get` in a loop on one keep-alive connection: per-call time (median over the calls)."""
    client = adapter.client(url)
    for _ in range(params["warmup"]):
        adapter.get(client, id)
    times: list[float] = []
    clock = time.perf_counter
    cpu0 = _cpu()
    for _ in range(params["n"]):
        t0 = clock()
        adapter.get(client, id)
        times.append((clock() - t0) * 1e6)
    cpu = _cpu() - cpu0
    adapter.close(client)
    return _summary(times, cpu)


def async_get(adapter: Adapter, url: str, id: str, params: Result) -> Result:
    """The same, awaiting `predictions.async_get` (or the client's async equivalent) one call after the other."""
    import asyncio

    async def main() -> Result:
        client = await adapter.aclient(url)
        for _ in range(params["warmup"]):
            await adapter.aget(client, id)
        times: list[float] = []
        clock = time.perf_counter
        cpu0 = _cpu()
        for _ in range(params["n"]):
            t0 = clock()
            await adapter.aget(client, id)
            times.append((clock() - t0) * 1e6)
        cpu = _cpu() - cpu0
        await adapter.aclose(client)
        return _summary(times, cpu)

    return asyncio.run(main())


def run_latency(adapter: Adapter, url: str, id: str, params: Result) -> Result:
    """`run()` of predictions that take `delay_ms`: the time beyond the model's own run time."""
    client = adapter.client(url)
    adapter.run(client, {"delay_ms": 0})  # connect, and load whatever the client loads lazily
    samples = []
    for delay in params["delays_ms"]:
        t0 = time.perf_counter()
        output = adapter.run(client, {"delay_ms": delay})
        elapsed = (time.perf_counter() - t0) * 1e3
        if str(output) != "hello world":
            raise RuntimeError(f"unexpected output {output!r}")
        samples.append({"delay_ms": delay, "added_ms": elapsed - delay})
    adapter.close(client)
    return {"samples": samples}


def _wait_case(
    adapter: Adapter, url: str, id: str, params: Result, wait: Callable[[Any, Any], None], stream: bool = True
) -> Result:
    client = adapter.client(url)
    extra = {} if stream else {"no_stream": True}
    adapter.get(client, id)  # connect first
    wait(client, adapter.create(client, {"delay_ms": 0, **extra}))  # and load what the client loads to wait
    gets_before = _server_gets(url)
    samples = []
    for delay in params["delays_ms"]:
        t0 = time.perf_counter()
        prediction = adapter.create(client, {"delay_ms": delay, **extra})
        t1 = time.perf_counter()
        wait(client, prediction)
        t2 = time.perf_counter()
        samples.append({"delay_ms": delay, "added_ms": (t2 - t0) * 1e3 - delay, "waiting_s": t2 - t1})
    adapter.close(client)
    return {"samples": samples, "gets": _server_gets(url) - gets_before}


def _server_gets(url: str) -> int:
    """How many `GET /v1/predictions/{id}` the server has answered since its last reset."""
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80)
    try:
        connection.request("GET", "/_stats")
        stats = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    return int(stats["requests"].get("GET /v1/predictions/{id}", 0))


def wait(adapter: Adapter, url: str, id: str, params: Result) -> Result:
    """A background prediction without a stream URL, then `prediction.wait()`: the time beyond its run time."""
    return _wait_case(adapter, url, id, params, adapter.wait, stream=False)


def wait_streaming(adapter: Adapter, url: str, id: str, params: Result) -> Result:
    """The same with a prediction that has a stream URL (a client may wait on its `done` event)."""
    return _wait_case(adapter, url, id, params, adapter.wait)


def wait_stream(adapter: Adapter, url: str, id: str, params: Result) -> Result:
    """Create a prediction in the background, then read its `urls.stream` until the `done` event."""
    return _wait_case(adapter, url, id, params, adapter.wait_stream)


def burst(adapter: Adapter, url: str, id: str, params: Result) -> Result:
    """`n` concurrent create-and-wait (`run` with `Prefer: wait`) of `delay_ms` predictions, after one warm-up run."""
    import asyncio

    async def main() -> Result:
        client = await adapter.aclient(url)
        await adapter.arun(client, {"delay_ms": 0})
        rss_before = _rss_mb()
        inputs = {"delay_ms": params["delay_ms"]}
        cpu0 = _cpu()
        t0 = time.perf_counter()
        outputs = await asyncio.gather(
            *(adapter.arun(client, inputs) for _ in range(params["n"])), return_exceptions=True
        )
        wall = time.perf_counter() - t0
        cpu = _cpu() - cpu0
        errors = [repr(o) for o in outputs if isinstance(o, BaseException)]
        await adapter.aclose(client)
        return {
            "s": wall,
            "cpu_s": cpu,
            "rss_before_mb": rss_before,
            "peak_rss_mb": _peak_rss_mb(),
            "rss_growth_mb": _peak_rss_mb() - rss_before,
            "errors": len(errors),
            "first_errors": errors[:3],
        }

    return asyncio.run(main())


def download(adapter: Adapter, url: str, id: str, params: Result) -> Result:
    """Download a file output of `size` bytes with `read()` or `save()`, after a 1 KB warm-up download."""
    mode, size = params["mode"], params["size"]
    client = adapter.client(url)
    path = os.path.join(params["tmpdir"], f"download-{os.getpid()}.bin")
    adapter.read_file(client, f"{url}/files/1024.bin")
    rss_before = _rss_mb()
    how = "read()"
    t0 = time.perf_counter()
    if mode == "read":
        got = len(adapter.read_file(client, f"{url}/files/{size}.bin"))
    else:
        how = adapter.save_file(client, f"{url}/files/{size}.bin", path)
        got = os.path.getsize(path)
    wall = time.perf_counter() - t0
    peak = _peak_rss_mb()
    if os.path.exists(path):
        os.unlink(path)
    if got != size:
        raise RuntimeError(f"downloaded {got} bytes of {size}")
    adapter.close(client)
    return {
        "s": wall,
        "mb_per_s": size / 1e6 / wall,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        "rss_growth_mb": peak - rss_before,
        "how": how,
    }


def batch(adapter: Adapter, url: str, id: str, params: Result) -> Result:
    """`replicate_ext.batch.run` of `n` inputs of a 0 s model (`kind` "rate" or "memory"), or the journal's own
    work for `n` items with no server at all (`kind` "journal")."""
    import tempfile

    if adapter.name != "ours":
        raise Unsupported("batch runs are replicate_ext's")
    if params["kind"] == "journal":
        return _journal_overhead(params["n"])
    from replicate_ext import Client
    from replicate_ext import batch as batches

    with tempfile.TemporaryDirectory(prefix="replicate-ext-bench-") as folder:
        inputs = os.path.join(folder, "inputs.jsonl")
        with open(inputs, "w", encoding="utf-8") as file:
            file.writelines('{"seconds": 0}\n' for _ in range(params["n"]))
        client = Client(api_token=params["token"], base_url=url)
        rss_before = _rss_mb()
        cpu0 = _cpu()
        t0 = time.perf_counter()
        summary = batches.run("demo/sleep", inputs, os.path.join(folder, "out"), client=client, handle_signals=False)
        wall = time.perf_counter() - t0
        cpu = _cpu() - cpu0
        client.close()
    if not summary.ok:
        raise RuntimeError(f"the batch did not succeed: {summary}")
    return {
        "s": wall,
        "items_per_s": params["n"] / wall,
        "cpu_s": cpu,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
        "predictions_created": summary.predictions_created,
    }


def _journal_overhead(n: int) -> Result:
    """The journal's work for `n` items, as a batch does it: record the inputs, claim them in groups (a synced
    write each), assign a prediction and finish each, and write `results.jsonl` once."""
    import tempfile

    from replicate_ext.batch._journal import Journal
    from replicate_ext.batch._runner import _record_inputs
    from replicate_ext.batch._sink import write_results

    inputs = ({"prompt": f"a photograph of item {i}, in the evening light", "seed": i} for i in range(n))
    result = {"output": "outputs/x/out.png", "files": [{"path": "outputs/x/out.png", "url": "https://x/y", "size": 1}]}
    with tempfile.TemporaryDirectory(prefix="replicate-ext-bench-") as folder:
        t0 = time.perf_counter()
        with Journal.open(Path(folder), "model bench/model") as journal:
            _record_inputs(journal, inputs, format=None, coerce=None, validate=None, strict=False)
            while claimed := journal.claim(32):
                for taken in claimed:
                    journal.assign(taken.seq, f"prediction{taken.seq}")
                    journal.finish(taken.seq, "succeeded", result, 0.5)
            write_results(journal, Path(folder))
        wall = time.perf_counter() - t0
    return {"s": wall, "ms_per_item": wall * 1e3 / n}


CASES: dict[str, Callable[[Adapter, str, str, Result], Result]] = {
    "first_request": first_request,
    "sync_get": sync_get,
    "async_get": async_get,
    "run_latency": run_latency,
    "wait": wait,
    "wait_streaming": wait_streaming,
    "wait_stream": wait_stream,
    "burst": burst,
    "download": download,
    "batch": batch,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", required=True, choices=sorted(ADAPTERS))
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    parser.add_argument("--url", required=True)
    parser.add_argument("--id", default="", help="an existing prediction, for the cases that get one")
    parser.add_argument("--params", default="{}", help="the case's parameters, as JSON")
    args = parser.parse_args()
    adapter = ADAPTERS[args.client]()
    try:
        result = CASES[args.case](adapter, args.url, args.id, json.loads(args.params))
    except Unsupported as exc:
        result = {"unsupported": str(exc)}
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
