"""Run the benchmark suite: every case, for every client, alternately, for several rounds.

    python bench/run.py                 # the full suite (about 13 minutes on 2 cores); writes bench/RESULTS.md
    python bench/run.py --quick         # a smoke run (about a minute); writes bench/out/RESULTS-quick.md
    python bench/run.py --rounds 3 --cases sync_get,burst

`make bench` runs the first after `make setup`. The fake server (`fakeserver.py`) runs in its own process, pinned
to one core, and each measurement runs in a fresh worker process (`worker.py`) pinned to the other, with the
Python of the client's own environment (`envs.py`). In round r the clients of a case run in the order of the list
rotated by r, so no client always goes first or last. Every sample goes to `bench/out/results.json`; `report.py`
turns them into the Markdown tables.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import envs
import report

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
MIB = 1024 * 1024


@dataclass
class Case:
    name: str
    clients: list[str]
    params: Callable[[int], list[dict[str, Any]]]
    """The parameter sets to run in round r (one worker per set and client)."""
    needs_id: bool = False
    fresh: bool = field(default=True)


def _uniform_delays(seed: int, count: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(200, 3001) for _ in range(count)]


def build_cases(quick: bool) -> list[Case]:
    q = quick
    run_delays = [0] * (3 if q else 6) + [200] * (2 if q else 3) + [1500] * (1 if q else 2)
    waits = 1 if q else 4
    burst_n = 300 if q else 1000
    return [
        Case("import", ["python", "httpx", "ours", "ours-client", "v1", "v2"], lambda r: [{"reps": 2 if q else 4}]),
        Case("cli_help", ["python", "httpx", "ours-cli"], lambda r: [{"reps": 2 if q else 4}]),
        Case("first_request", ["stdlib", "httpx", "ours", "v1", "v2"], lambda r: [{}] * (1 if q else 2), needs_id=True),
        Case(
            "sync_get",
            ["stdlib", "httpx", "ours", "v1", "v2"],
            lambda r: [{"n": 300 if q else 2000, "warmup": 50 if q else 200}],
            needs_id=True,
        ),
        Case(
            "async_get",
            ["asyncio-raw", "httpx", "ours", "ours-aiohttp", "v1", "v2"],
            lambda r: [{"n": 200 if q else 1000, "warmup": 20 if q else 100}],
            needs_id=True,
        ),
        Case("run_latency", ["stdlib", "httpx", "ours", "v1", "v2"], lambda r: [{"delays_ms": run_delays}]),
        Case("wait", ["ours", "v1", "v2"], lambda r: [{"delays_ms": _uniform_delays(r, waits)}], needs_id=True),
        Case(
            "wait_streaming",
            ["ours", "v1", "v2"],
            lambda r: [{"delays_ms": _uniform_delays(2000 + r, waits)}],
            needs_id=True,
        ),
        Case(
            "wait_stream",
            ["httpx", "ours", "v1", "v2"],
            lambda r: [{"delays_ms": _uniform_delays(1000 + r, waits)}],
            needs_id=True,
        ),
        Case(
            "burst",
            ["asyncio-raw", "httpx", "ours", "ours-aiohttp", "v1", "v2"],
            lambda r: [{"n": burst_n, "delay_ms": 100}],
        ),
        Case(
            "download",
            ["httpx", "ours", "v1", "v2"],
            lambda r: [{"mode": mode, "size": 100 * MIB} for mode in ("read", "save")] * (1 if q else 2),
        ),
        # Batch runs take a minute or two: the first round only. They run against `replicate_ext.local`.
        Case("batch", ["ours"], lambda r: [] if r else batch_params(q)),
    ]


def batch_params(quick: bool) -> list[dict[str, Any]]:
    """The batch case's runs: at the create rate limit, memory at two sizes, and the journal alone."""
    return [
        {"kind": "rate", "n": 500 if quick else 2000, "create_limit": 50},
        {"kind": "memory", "n": 1000},
        {"kind": "memory", "n": 5000 if quick else 20000},
        {"kind": "journal", "n": 2000 if quick else 10000},
    ]


IMPORT_STATEMENTS = {
    "python": "pass",
    "httpx": "import httpx",
    "ours": "import replicate_ext",
    "ours-client": "from replicate_ext import Client",
    "v1": "import replicate",
    "v2": "import replicate",
}


# The `cli_help` case: the command each client runs (the floor and `import httpx` as in the import case).
CLI_HELP_COMMANDS = {"python": ["-c", "pass"], "httpx": ["-c", "import httpx"], "ours-cli": ["--help"]}


def start_server(command: list[str], pin: bool, what: str, **popen: Any) -> tuple[subprocess.Popen[str], str]:
    """Start a server process (on the second core, with `pin`) and read the address it says it listens on."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, {1})) if pin else None,
        **popen,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        raise SystemExit(f"{what} did not start: {line!r}")
    return process, line.split()[-1]


class Server:
    """The fake server in its own process, and a keep-alive control connection to it (opened before any reset)."""

    def __init__(self, pin: bool) -> None:
        command = [sys.executable, str(BENCH / "fakeserver.py"), "--port", "0"]
        self.process, self.url = start_server(command, pin, "the fake server")
        port = int(self.url.rsplit(":", 1)[1])
        self.control = http.client.HTTPConnection("127.0.0.1", port)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        self.control.request(method, path, body=data, headers={"Content-Type": "application/json"})
        return json.loads(self.control.getresponse().read())

    def reset(self) -> None:
        self._call("POST", "/_reset")

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self._call("GET", "/_stats")
        return stats

    def new_prediction(self) -> str:
        prediction: dict[str, Any] = self._call("POST", "/v1/predictions", {"input": {"delay_ms": 0}})
        return str(prediction["id"])

    def stop(self) -> None:
        self.control.close()
        self.process.terminate()
        self.process.wait(timeout=10)


class LocalServer:
    """`replicate_ext.local` (the project's own server, with its demo models) in its own process, for one batch."""

    TOKEN = "r8_bench"

    def __init__(self, pin: bool, create_limit: int | None) -> None:
        command = [sys.executable, "-m", "replicate_ext.local", "--port", "0", "--token", self.TOKEN, "--workers", "16"]
        if create_limit:
            command += ["--rate-limit", f"create={create_limit}/s"]
        self.process, self.url = start_server(command, pin, "the local server", stderr=subprocess.DEVNULL)

    def stats(self) -> dict[str, Any]:
        request = urllib.request.Request(self.url + "/_local/stats", headers={"Authorization": f"Bearer {self.TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            stats: dict[str, Any] = json.loads(response.read())
        return stats

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Runner:
    def __init__(self, pythons: dict[str, Path], server: Server, pin: bool, out: Path) -> None:
        self.pythons = pythons
        self.server = server
        self.pin = pin
        self.tmp = out / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        # Downloads are saved to memory (tmpfs) where there is one, so that disk write-back does not add noise.
        shm = Path("/dev/shm")
        self.downloads = Path(tempfile.mkdtemp(prefix="replicate-bench-", dir=shm)) if shm.is_dir() else self.tmp
        self.samples: list[dict[str, Any]] = []

    def _python(self, client: str) -> str:
        return str(self.pythons[envs.PYTHON_FOR_CLIENT[client.removesuffix("-client")]])

    def _popen_kwargs(self) -> dict[str, Any]:
        return {"preexec_fn": (lambda: os.sched_setaffinity(0, {0})) if self.pin else None, "cwd": str(self.tmp)}

    def run_import(self, client: str, round: int, params: dict[str, Any]) -> None:
        statement = IMPORT_STATEMENTS[client]
        for rep in range(params["reps"]):
            t0 = time.perf_counter()
            subprocess.run([self._python(client), "-c", statement], check=True, **self._popen_kwargs())
            ms = (time.perf_counter() - t0) * 1e3
            self._record("import", client, round, {"statement": statement}, {"ms": ms, "rep": rep}, {}, ms / 1e3)

    def run_cli_help(self, client: str, round: int, params: dict[str, Any]) -> None:
        """`replicate-ext --help` as a user runs it (the console script of the `ours` venv), or a floor."""
        if client == "ours-cli":
            program = str(Path(self._python("ours")).parent / "replicate-ext")
        else:
            program = self._python(client)
        command = [program, *CLI_HELP_COMMANDS[client]]
        for rep in range(params["reps"]):
            t0 = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **self._popen_kwargs())
            ms = (time.perf_counter() - t0) * 1e3
            shown = {"command": " ".join(["replicate-ext" if client == "ours-cli" else "python", *command[1:]])}
            self._record("cli_help", client, round, shown, {"ms": ms, "rep": rep}, {}, ms / 1e3)

    def run_batch(self, client: str, round: int, params: dict[str, Any]) -> None:
        """A batch in a worker, against a local server of its own (none for the journal alone)."""
        local = LocalServer(self.pin, params.get("create_limit")) if params["kind"] != "journal" else None
        command = [
            self._python(client), str(BENCH / "worker.py"), "--client", client, "--case", "batch",
            "--url", local.url if local else "", "--params", json.dumps(dict(params, token=LocalServer.TOKEN)),
        ]  # fmt: skip
        try:
            t0 = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, timeout=900, **self._popen_kwargs())
            wall = time.perf_counter() - t0
            stats = local.stats() if local else {}
        finally:
            if local:
                local.stop()
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            result: dict[str, Any] = {"error": (done.stderr or done.stdout).strip()[-2000:]}
            print(f"  ! batch {params['kind']} {client}: worker failed: {result['error'][-300:]}", flush=True)
        else:
            result = json.loads(lines[-1][len("RESULT ") :])
        self._record("batch", client, round, params, result, stats, wall)

    def run_worker(self, case: Case, client: str, round: int, params: dict[str, Any]) -> None:
        prediction_id = self.server.new_prediction() if case.needs_id else ""
        if case.name == "download":
            params = dict(params, tmpdir=str(self.downloads))
        self.server.reset()
        command = [
            self._python(client), str(BENCH / "worker.py"), "--client", client, "--case", case.name,
            "--url", self.server.url, "--id", prediction_id, "--params", json.dumps(params),
        ]  # fmt: skip
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, **self._popen_kwargs())
        wall = time.perf_counter() - t0
        stats = self.server.stats()
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            result: dict[str, Any] = {"error": (done.stderr or done.stdout).strip()[-2000:]}
            print(f"  ! {case.name} {client}: worker failed: {result['error'][-300:]}", flush=True)
        else:
            result = json.loads(lines[-1][len("RESULT ") :])
        shown = {k: v for k, v in params.items() if k != "tmpdir"}
        self._record(case.name, client, round, shown, result, stats, wall)

    def _record(
        self,
        case: str,
        client: str,
        round: int,
        params: dict[str, Any],
        result: dict[str, Any],
        stats: dict[str, Any],
        wall: float,
    ) -> None:
        self.samples.append(
            {
                "case": case,
                "client": client,
                "round": round,
                "params": params,
                "result": result,
                "server": stats,
                "process_wall_s": wall,
            }
        )


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as meminfo:
            mem_gib = int(meminfo.readline().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        mem_gib = 0.0
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "commit": commit.stdout.strip(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=None, help="rounds of every case (default 5; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="one short round: a smoke run of about a minute")
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--out", type=Path, default=BENCH / "out", help="where results.json goes")
    parser.add_argument("--markdown", type=Path, default=None, help="the Markdown summary (default bench/RESULTS.md)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server and the clients to cores")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 5)
    markdown = args.markdown or (args.out / "RESULTS-quick.md" if args.quick else BENCH / "RESULTS.md")
    pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2 and {0, 1} <= os.sched_getaffinity(0)

    started = time.perf_counter()
    pythons = envs.ensure_envs()
    cases = build_cases(args.quick)
    if args.cases:
        wanted = set(args.cases.split(","))
        unknown = wanted - {case.name for case in cases}
        if unknown:
            raise SystemExit(f"unknown cases: {', '.join(sorted(unknown))}")
        cases = [case for case in cases if case.name in wanted]
    server = Server(pin)
    runner = Runner(pythons, server, pin, args.out)
    print(f"fake server at {server.url}; {rounds} round(s); pinned to cores: {pin}", flush=True)
    try:
        for round in range(rounds):
            for case in cases:
                shift = round % len(case.clients)
                order = case.clients[shift:] + case.clients[:shift]
                t0 = time.perf_counter()
                for params in case.params(round):
                    for client in order:
                        if case.name == "import":
                            runner.run_import(client, round, params)
                        elif case.name == "cli_help":
                            runner.run_cli_help(client, round, params)
                        elif case.name == "batch":
                            runner.run_batch(client, round, params)
                        else:
                            runner.run_worker(case, client, round, params)
                print(f"round {round + 1}/{rounds} {case.name}: {time.perf_counter() - t0:.1f} s", flush=True)
    finally:
        server.stop()
        if runner.downloads != runner.tmp:
            shutil.rmtree(runner.downloads, ignore_errors=True)
    elapsed = time.perf_counter() - started
    run_info = {
        "machine": machine(),
        "versions": {env: envs.versions(python) for env, python in pythons.items()},
        "rounds": rounds,
        "quick": args.quick,
        "pinned": pin,
        "duration_s": elapsed,
        "command": "python bench/run.py " + " ".join(sys.argv[1:]),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"run": run_info, "samples": runner.samples}
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    text = report.render(results)
    markdown.write_text(text)
    print(text)
    print(f"\nwrote {args.out / 'results.json'} and {markdown} in {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()
