"""Turn the samples of a run (`bench/out/results.json`) into the Markdown report (`bench/RESULTS.md`).

    python bench/report.py bench/out/results.json > bench/RESULTS.md

`bench/ANALYSIS.md` (hand-written: why targets are missed, and what would close them) is appended when present.

Statistics: median, min and max are over every sample of the client in the run (pooled over rounds). A ratio
"vs X" compares the client with X round by round (the median of the client's samples in round r over the median
of X's in the same round) and shows the median of those per-round ratios, with their range.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Sample = dict[str, Any]
Extract = Callable[[Sample], Iterable[float]]

LABELS = {
    "python": "`python -c pass`",
    "stdlib": "stdlib http.client (server floor)",
    "asyncio-raw": "asyncio-raw, 100 conns (server floor)",
    "httpx": "raw httpx 0.28.1",
    "ours": "**replicate_ext**",
    "ours-client": "**replicate_ext** (`from replicate_ext import Client`)",
    "ours-aiohttp": "**replicate_ext** + httpx-aiohttp transport",
    "ours-cli": "**`replicate-ext --help`**",
    "v1": "replicate 1.0.7",
    "v2": "replicate 2.0.0b4",
}
OFFICIAL = ("v1", "v2")
MIB = 1024 * 1024


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


class Data:
    def __init__(self, results: dict[str, Any]) -> None:
        self.run = results["run"]
        self.samples: list[Sample] = results["samples"]

    def of(self, case: str, client: str, where: Callable[[Sample], bool] = lambda s: True) -> list[Sample]:
        return [s for s in self.samples if s["case"] == case and s["client"] == client and where(s)]

    def clients(self, case: str) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.samples:
            if s["case"] == case:
                seen[s["client"]] = None
        return list(seen)

    def per_round(self, samples: list[Sample], extract: Extract) -> dict[int, list[float]]:
        rounds: dict[int, list[float]] = defaultdict(list)
        for s in samples:
            if "unsupported" in s["result"] or "error" in s["result"]:
                continue
            rounds[s["round"]].extend(extract(s))
        return {r: v for r, v in rounds.items() if v}


def metric(name: str) -> Extract:
    return lambda s: [float(s["result"][name])] if name in s["result"] else []


def nested(name: str, delay: int | None = None) -> Extract:
    """Values of `name` in the per-run samples of a run_latency / wait case, for one delay or all."""
    return lambda s: [float(x[name]) for x in s["result"].get("samples", []) if delay is None or x["delay_ms"] == delay]


def stats(rounds: dict[int, list[float]]) -> tuple[float, float, float] | None:
    pooled = [v for values in rounds.values() for v in values]
    if not pooled:
        return None
    return statistics.median(pooled), min(pooled), max(pooled)


def ratio(a: dict[int, list[float]], b: dict[int, list[float]]) -> tuple[float, float, float] | None:
    """The median of the per-round ratios of medians, and their range."""
    ratios = [statistics.median(a[r]) / statistics.median(b[r]) for r in a if r in b and statistics.median(b[r]) > 0]
    if not ratios:
        return None
    return statistics.median(ratios), min(ratios), max(ratios)


def _ratio_text(value: tuple[float, float, float] | None) -> str:
    if value is None:
        return "-"
    median, low, high = value
    if low == high:
        return f"{median:.2f}"
    return f"{median:.2f} ({low:.2f}-{high:.2f})"


def _status(samples: list[Sample]) -> str | None:
    """Why a client has no numbers in a case: unsupported, or failed."""
    for s in samples:
        if "unsupported" in s["result"]:
            return f"n/a: {s['result']['unsupported']}"
    for s in samples:
        if "error" in s["result"]:
            lines = str(s["result"]["error"]).splitlines() or ["?"]
            return "failed: " + lines[-1][:150]
    return None


def case_table(
    data: Data,
    case: str,
    extract: Extract,
    unit: str,
    floor: str | None,
    extras: list[tuple[str, Callable[[list[Sample]], str]]],
    where: Callable[[Sample], bool] = lambda s: True,
    clients: list[str] | None = None,
) -> str:
    clients = clients or data.clients(case)
    compare = [c for c in ([floor] if floor else []) + list(OFFICIAL) if c in clients]
    head = ["client", f"median {unit}", "min", "max"] + [f"vs {c}" for c in compare] + [name for name, _ in extras]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rounds_of = {c: data.per_round(data.of(case, c, where), extract) for c in clients}
    for client in clients:
        samples = data.of(case, client, where)
        summary = stats(rounds_of[client])
        label = LABELS.get(client, client)
        if summary is None:
            reason = _status(samples) or "no samples"
            lines.append(f"| {label} | {reason} |" + " |" * (len(head) - 2))
            continue
        cells = [label, *(_fmt(v, 2) for v in summary)]
        for other in compare:
            cells.append("1.00" if other == client else _ratio_text(ratio(rounds_of[client], rounds_of[other])))
        cells += [render(samples) for _, render in extras]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _median_of(samples: list[Sample], get: Callable[[Sample], float | None]) -> float | None:
    values = [v for v in (get(s) for s in samples if "error" not in s["result"]) if v is not None]
    return statistics.median(values) if values else None


def extra_result(name: str, digits: int = 1) -> Callable[[list[Sample]], str]:
    return lambda samples: _fmt(_median_of(samples, lambda s: s["result"].get(name)), digits)


def extra_server(name: str) -> Callable[[list[Sample]], str]:
    return lambda samples: _fmt(_median_of(samples, lambda s: s["server"].get(name)), 0)


def _get_rate(s: Sample) -> float | None:
    waited = sum(x["waiting_s"] for x in s["result"].get("samples", []))
    gets = s["result"].get("gets")
    return gets / waited if gets is not None and waited > 0 else None


def _requests_per_run(s: Sample) -> float | None:
    runs = len(s["result"].get("samples", [])) + 1  # with the warm-up run
    return s["server"].get("requests_total", 0) / runs if "samples" in s["result"] else None


class Targets:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, target: str, measured: str, ok: bool | None, official: str = "") -> None:
        status = "-" if ok is None else ("**met**" if ok else "**not met**")
        self.rows.append((target, measured, official, status))

    def render(self) -> str:
        lines = ["| target | replicate_ext measured | official clients, same run | status |", "|---|---|---|---|"]
        lines += [f"| {t} | {m} | {o} | {s} |" for t, m, o, s in self.rows]
        return "\n".join(lines)


def _r(data: Data, case: str, a: str, b: str, extract: Extract, where: Callable[[Sample], bool] = lambda s: True):  # type: ignore[no-untyped-def]
    return ratio(data.per_round(data.of(case, a, where), extract), data.per_round(data.of(case, b, where), extract))


def _med(data: Data, case: str, client: str, extract: Extract, where: Callable[[Sample], bool] = lambda s: True):  # type: ignore[no-untyped-def]
    summary = stats(data.per_round(data.of(case, client, where), extract))
    return summary[0] if summary else None


def targets(data: Data) -> Targets:
    """One block per target, in the order they are listed in."""
    t = Targets()
    ms, us, s_ = metric("ms"), metric("us"), metric("s")
    if data.clients("import"):
        for client, what in (("ours", "`import replicate_ext`"), ("ours-client", "`from replicate_ext import Client`")):
            value = _r(data, "import", client, "httpx", ms)
            off = ", ".join(f"{c} {_ratio_text(_r(data, 'import', c, 'httpx', ms))}x" for c in OFFICIAL)
            t.add(f"{what} ≤ 1.3x `import httpx`", f"{_ratio_text(value)}x", value is not None and value[0] <= 1.3, off)
    if data.clients("cli_help"):
        value = _r(data, "cli_help", "ours-cli", "httpx", ms)
        t.add(
            '`replicate-ext --help` ≤ 2x `python -c "import httpx"`',
            f"{_ratio_text(value)}x ({_fmt(_med(data, 'cli_help', 'ours-cli', ms))} ms)",
            value is not None and value[0] <= 2.0,
        )
    if data.clients("sync_get"):
        value = _r(data, "sync_get", "ours", "httpx", us)
        off = ", ".join(f"{c} {_ratio_text(_r(data, 'sync_get', c, 'httpx', us))}x" for c in OFFICIAL)
        t.add(
            "sync `predictions.get` ≤ 1.10x raw httpx",
            f"{_ratio_text(value)}x",
            value is not None and value[0] <= 1.10,
            off,
        )
    if data.clients("run_latency"):
        for delay in (0, 200, 1500):
            ours = _med(data, "run_latency", "ours", nested("added_ms", delay))
            floor = _med(data, "run_latency", "httpx", nested("added_ms", delay))
            off = ", ".join(
                f"{c} {_fmt(_med(data, 'run_latency', c, nested('added_ms', delay)), 2)} ms" for c in OFFICIAL
            )
            ok = ours is not None and floor is not None and ours - floor <= 2.0
            t.add(
                f"`run()` of a {delay} ms prediction with `Prefer: wait` within 2 ms of raw httpx",
                f"+{_fmt(ours, 2)} ms (raw httpx +{_fmt(floor, 2)} ms)",
                ok,
                off,
            )
    if data.clients("wait"):
        added = _med(data, "wait", "ours", nested("added_ms"))
        rate = _median_of(data.of("wait", "ours"), _get_rate)
        off = ", ".join(
            f"{c} +{_fmt(_med(data, 'wait', c, nested('added_ms')), 0)} ms, "
            f"{_fmt(_median_of(data.of('wait', c), _get_rate))} GET/s"
            for c in OFFICIAL
        )
        t.add(
            "`prediction.wait()` on a 0.2-3 s prediction without a stream URL adds ≤ 100 ms (median) at ≤ 5 requests/s",
            f"+{_fmt(added, 0)} ms, {_fmt(rate)} GET/s",
            added is not None and rate is not None and added <= 100 and rate <= 5,
            off,
        )
    if data.clients("wait_streaming"):
        streaming = _med(data, "wait_streaming", "ours", nested("added_ms"))
        rate = _median_of(data.of("wait_streaming", "ours"), _get_rate)
        t.add(
            "with a stream URL, waiting on its `done` event adds ≤ 10 ms",
            f"`wait()` (on the stream's `done`): +{_fmt(streaming, 1)} ms, {_fmt(rate)} GET/s",
            streaming is not None and streaming <= 10,
            ", ".join(
                f"{c} `wait()` +{_fmt(_med(data, 'wait_streaming', c, nested('added_ms')), 0)} ms" for c in OFFICIAL
            )
            + f"; v1 `stream()` read to `done`: +{_fmt(_med(data, 'wait_stream', 'v1', nested('added_ms')), 1)} ms",
        )
    if data.clients("burst"):
        n = next((s["params"]["n"] for s in data.samples if s["case"] == "burst"), 1000)
        floor = math.ceil(n / 100) * 0.1
        best_official = min(
            (v for v in (_med(data, "burst", c, s_) for c in OFFICIAL) if v is not None), default=float("nan")
        )
        best_rss = min(
            (v for v in (_med(data, "burst", c, metric("peak_rss_mb")) for c in OFFICIAL) if v is not None),
            default=float("nan"),
        )
        off = "; ".join(
            f"{c} {_fmt(_med(data, 'burst', c, s_), 2)} s, CPU {_fmt(_med(data, 'burst', c, metric('cpu_s')), 2)} s, "
            f"{extra_server('connections_opened')(data.of('burst', c))} conns, "
            f"{_fmt(_med(data, 'burst', c, metric('peak_rss_mb')))} MB"
            for c in OFFICIAL
        )
        for client in ("ours", "ours-aiohttp"):
            if client not in data.clients("burst"):
                continue
            name = "" if client == "ours" else " (httpx-aiohttp transport)"
            wall = _med(data, "burst", client, s_)
            halves = [_r(data, "burst", client, c, s_) for c in OFFICIAL]
            cpu = _med(data, "burst", client, metric("cpu_s"))
            conns = _median_of(data.of("burst", client), lambda s: s["server"].get("connections_opened"))
            rss = _med(data, "burst", client, metric("peak_rss_mb"))
            t.add(
                f"{n} concurrent {100} ms predictions{name}: wall ≤ 1.3x the {floor:.1f} s floor",
                f"{_fmt(wall, 2)} s = {_fmt((wall or math.nan) / floor, 2)}x",
                wall is not None and wall <= 1.3 * floor,
                off if client == "ours" else "",
            )
            t.add(
                f"… and ≤ 0.5x the official clients' time{name}",
                ", ".join(f"vs {c} {_ratio_text(h)}x" for c, h in zip(OFFICIAL, halves, strict=True)),
                all(h is not None and h[0] <= 0.5 for h in halves),
                f"best official {_fmt(best_official, 2)} s",
            )
            t.add(f"… client CPU ≤ 0.5 s{name}", f"{_fmt(cpu, 2)} s", cpu is not None and cpu <= 0.5)
            t.add(
                f"… ≤ 100 TCP connections opened{name}",
                f"{_fmt(conns, 0)} (one of them by the warm-up run)",
                conns is not None and conns <= 101,
            )
            t.add(
                f"… peak RSS ≤ the best official client's{name}",
                f"{_fmt(rss)} MB",
                rss is not None and rss <= best_rss,
                f"best official {_fmt(best_rss)} MB",
            )
    if data.clients("download"):
        size = next((s["params"]["size"] for s in data.samples if s["case"] == "download"), 100 * MIB)
        is_save: Callable[[Sample], bool] = lambda s: s["params"].get("mode") == "save"  # noqa: E731
        is_read: Callable[[Sample], bool] = lambda s: s["params"].get("mode") == "read"  # noqa: E731
        growth = _med(data, "download", "ours", metric("rss_growth_mb"), is_save)
        t.add(
            f"{size // MIB} MiB download: `save()` peak RSS growth ≤ 16 MB",
            f"{_fmt(growth)} MB",
            growth is not None and growth <= 16,
        )
        speed = _r(data, "download", "httpx", "ours", s_, is_save)  # time ratio httpx/ours = throughput ours/httpx
        mbps = _med(data, "download", "ours", metric("mb_per_s"), is_save)
        floor_mbps = _med(data, "download", "httpx", metric("mb_per_s"), is_save)
        t.add(
            "… `save()` throughput ≥ 0.9x raw httpx streaming",
            f"{_ratio_text(speed)}x ({_fmt(mbps, 0)} vs {_fmt(floor_mbps, 0)} MB/s)",
            speed is not None and speed[0] >= 0.9,
        )
        read_growth = _med(data, "download", "ours", metric("rss_growth_mb"), is_read)
        off = ", ".join(f"{c} {_fmt(_med(data, 'download', c, metric('rss_growth_mb'), is_read))} MB" for c in OFFICIAL)
        t.add(
            f"… `read()` holds at most one copy (growth ≤ {size / 1e6:.0f} MB + 16 MB)",
            f"{_fmt(read_growth)} MB",
            read_growth is not None and read_growth <= size / 1e6 + 16,
            off,
        )
    if data.clients("batch"):
        _batch_targets(data, t)
    return t


def _batch_of(data: Data, kind: str) -> list[Sample]:
    runs = data.of("batch", "ours", lambda s: s["params"].get("kind") == kind and "error" not in s["result"])
    return sorted(runs, key=lambda s: s["params"]["n"])


def _batch_targets(data: Data, t: Targets) -> None:
    for run in _batch_of(data, "rate"):
        n, limit = run["params"]["n"], run["params"]["create_limit"]
        floor = n / limit
        wall = run["result"]["s"]
        limited = run["server"].get("faults", {}).get("rate_limited")
        t.add(
            f"batch of {n} items of a 0 s model, creates limited to {limit}/s: wall ≤ 1.1x the {floor:.0f} s the "
            "limit allows",
            f"{_fmt(wall)} s = {_fmt(wall / floor, 2)}x",
            wall <= 1.1 * floor,
        )
        t.add("… with at most a handful (≤ 10) of 429s", f"{limited}", limited is not None and limited <= 10)
    memory = _batch_of(data, "memory")
    if len(memory) >= 2:
        small, large = memory[0], memory[-1]
        growth = large["result"]["peak_rss_mb"] - small["result"]["peak_rss_mb"]
        t.add(
            f"batch peak RSS grows ≤ 30 MB from {small['params']['n']:,} to {large['params']['n']:,} items",
            f"{_fmt(growth)} MB ({_fmt(small['result']['peak_rss_mb'])} → {_fmt(large['result']['peak_rss_mb'])} MB)",
            growth <= 30,
        )
    for run in _batch_of(data, "journal"):
        per_item = run["result"]["ms_per_item"]
        t.add(
            f"batch journal overhead < 1 ms per item ({run['params']['n']:,} items)",
            f"{per_item:.3f} ms",
            per_item < 1,
        )


def _batch_section(data: Data) -> list[str]:
    lines = [
        "| run | items | wall s | items/s | client CPU s | peak RSS MB | 429s | predictions created "
        "| journal ms/item |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in data.of("batch", "ours"):
        p, r = s["params"], s["result"]
        if "error" in r:
            lines.append(f"| {p['kind']} | {p['n']} | failed: {r['error'].splitlines()[-1][:80]} | | | | | | |")
            continue
        limit = f" (creates ≤ {p['create_limit']}/s)" if p.get("create_limit") else ""
        lines.append(
            f"| {p['kind']}{limit} | {p['n']:,} | {_fmt(r.get('s'))} | {_fmt(r.get('items_per_s'), 0)} | "
            f"{_fmt(r.get('cpu_s'))} | {_fmt(r.get('peak_rss_mb'))} | "
            f"{s['server'].get('faults', {}).get('rate_limited', '-')} | {r.get('predictions_created', '-')} | "
            f"{format(r['ms_per_item'], '.3f') if 'ms_per_item' in r else '-'} |"
        )
    return lines


def sections(data: Data) -> list[str]:
    out: list[str] = []
    ms, us = metric("ms"), metric("us")
    if data.clients("import"):
        out += [
            '### Import time (fresh `python -c "import ..."`, wall ms of the whole process)',
            case_table(data, "import", ms, "ms", "httpx", []),
        ]
    if data.clients("cli_help"):
        out += [
            "### `replicate-ext --help` (fresh process, wall ms; the console script of the `ours` venv)",
            case_table(data, "cli_help", ms, "ms", "httpx", []),
        ]
    if data.clients("first_request"):
        out += [
            "### First request: import, build the client, one `predictions.get` (in a fresh process, ms)",
            case_table(
                data,
                "first_request",
                ms,
                "ms",
                "httpx",
                [
                    ("import+construct ms", extra_result("import_and_construct_ms")),
                    ("first get ms", extra_result("get_ms")),
                ],
            ),
        ]
    for case, title in (
        ("sync_get", "Sync `predictions.get`, one keep-alive connection (µs per call; median of each run's calls)"),
        ("async_get", "Async `predictions.get`, awaited one after the other (µs per call)"),
    ):
        if data.clients(case):
            out += [
                f"### {title}",
                case_table(
                    data,
                    case,
                    us,
                    "µs",
                    "httpx",
                    [
                        ("p99 µs", extra_result("p99_us", 0)),
                        ("CPU µs/call", extra_result("cpu_us_per_call", 0)),
                        ("TCP conns", extra_server("connections_opened")),
                    ],
                ),
            ]
    if data.clients("run_latency"):
        out.append("### `run()` with `Prefer: wait`: time added beyond the prediction's run time (ms, every run)")
        for delay in (0, 200, 1500):
            out += [
                f"{delay} ms predictions:",
                case_table(
                    data,
                    "run_latency",
                    nested("added_ms", delay),
                    "ms",
                    "httpx",
                    [("requests per run", lambda samples: _fmt(_median_of(samples, _requests_per_run), 1))],
                ),
            ]
    if data.clients("wait_streaming"):
        out += [
            "### `prediction.wait()` on a background prediction of 0.2-3 s that has a stream URL (ms added)",
            case_table(
                data,
                "wait_streaming",
                nested("added_ms"),
                "ms",
                None,
                [("GET/s while waiting", lambda samples: _fmt(_median_of(samples, _get_rate), 2))],
            ),
        ]
    if data.clients("wait"):
        out += [
            "### `prediction.wait()` on a background prediction of 0.2-3 s without a stream URL (polling; ms added)",
            case_table(
                data,
                "wait",
                nested("added_ms"),
                "ms",
                None,
                [("GET/s while waiting", lambda samples: _fmt(_median_of(samples, _get_rate), 2))],
            ),
        ]
    if data.clients("wait_stream"):
        out += [
            "### Waiting on the prediction's SSE stream (`urls.stream`) until its `done` event (ms added)",
            case_table(data, "wait_stream", nested("added_ms"), "ms", "httpx", []),
        ]
    if data.clients("burst"):
        n = next((s["params"]["n"] for s in data.samples if s["case"] == "burst"), 1000)
        out += [
            f"### {n} concurrent create-and-wait (`async_run`, `Prefer: wait`) of 100 ms predictions (wall s)",
            case_table(
                data,
                "burst",
                metric("s"),
                "s",
                "asyncio-raw",
                [
                    ("CPU s", extra_result("cpu_s", 2)),
                    ("peak RSS MB", extra_result("peak_rss_mb")),
                    ("RSS growth MB", extra_result("rss_growth_mb")),
                    ("TCP conns", extra_server("connections_opened")),
                    ("errors", extra_result("errors", 0)),
                ],
            ),
        ]
    if data.clients("download"):
        for mode in ("read", "save"):
            out += [
                f"### Downloading a 100 MiB file output with `{mode}()` (wall s)",
                case_table(
                    data,
                    "download",
                    metric("s"),
                    "s",
                    "httpx",
                    [
                        ("MB/s", extra_result("mb_per_s", 0)),
                        ("peak RSS growth MB", extra_result("rss_growth_mb")),
                        (
                            "sends the token to the file URL",
                            lambda samples: (
                                "yes"
                                if any(s["server"].get("file_requests_with_authorization") for s in samples)
                                else "no"
                            ),
                        ),
                        ("how", lambda samples: str(samples[0]["result"].get("how", "")) if samples else ""),
                    ],
                    where=lambda s, m=mode: s["params"].get("mode") == m,  # type: ignore[misc]
                ),
            ]
    if data.clients("batch"):
        out += [
            "### Batch runs (`replicate_ext.batch.run` of a 0 s model against `replicate_ext.local`; first round)",
            "\n".join(_batch_section(data)),
        ]
    return out


def render(results: dict[str, Any]) -> str:
    data = Data(results)
    run = data.run
    m = run["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Produced by `{run['command']}` ({'quick smoke run' if run['quick'] else 'full run'}, "
        f"{run['rounds']} round(s), {run['duration_s'] / 60:.1f} min) on {m['date']}, commit `{m['commit']}`. "
        "How to read this: `bench/README.md`.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Python {m['python']}; "
        f"server and client pinned to one core each: {'yes' if run['pinned'] else 'no'}.",
        "",
        "| environment | packages |",
        "|---|---|",
    ]
    for env, versions in run["versions"].items():
        lines.append(f"| {env} | {', '.join(f'{k} {v}' for k, v in versions.items())} |")
    lines += ["", "## Targets", "", targets(data).render(), "", "## Cases", ""]
    for block in sections(data):
        lines += [block, ""]
    analysis = Path(__file__).resolve().parent / "ANALYSIS.md"
    if analysis.exists():
        lines += [analysis.read_text().rstrip(), ""]
    return "\n".join(lines)


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "bench/out/results.json"
    with open(path) as f:
        sys.stdout.write(render(json.load(f)))


if __name__ == "__main__":
    main()
