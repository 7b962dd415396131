"""The fault-injection suite: many runs against a local server that fails on purpose.

Each scenario prints a summary line (faults injected, retries made, predictions created, lost, duplicated).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest

import replicate_ext
from replicate_ext import RetryPolicy
from replicate_ext.local import LocalReplicate

from ..e2e.models import MODELS

# Patient retries: with 30% of requests failing, six attempts in a row fail about once in a thousand.
PATIENT = RetryPolicy(max_retries=12, backoff_initial=0.01, backoff_max=0.2)
RUNS = 500


class RetryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retries = 0
        self.recovered = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.retries += message.startswith("retrying ")
        self.recovered += "lost its answer" in message


@pytest.fixture
def retries() -> Iterator[RetryCounter]:
    counter = RetryCounter()
    logger = logging.getLogger("replicate_ext")
    logger.addHandler(counter)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield counter
    logger.removeHandler(counter)
    logger.setLevel(previous)


def summary(name: str, server: LocalReplicate, counter: RetryCounter, outputs: list[Any], runs: int) -> dict[str, Any]:
    stats = server.stats()
    created = stats["predictions_created"]
    numbers = [output["number"] for output in outputs]
    line = {
        "scenario": name,
        "faults": stats["faults"],
        "retries": counter.retries,
        "lost_answers_recovered": counter.recovered,
        "predictions_created": created,
        "lost": runs - len(set(numbers)),
        "duplicated": created - runs,
    }
    print(f"\nfault suite | {line}")
    return line


FAULTS = {"error_rate": 0.2, "reset_rate": 0.1, "latency_ms": 2, "seed": 7}


@pytest.mark.anyio
async def test_async_runs_survive_errors_resets_and_latency(retries: RetryCounter) -> None:
    with LocalReplicate(models=MODELS, demo_models=False, workers=64, faults=FAULTS) as server:
        client = replicate_ext.Client(api_token=server.token, base_url=server.url, retry=PATIENT)
        outputs: list[Any] = [None] * RUNS
        limiter = anyio.Semaphore(50)

        async def one(number: int) -> None:
            async with limiter:
                outputs[number] = await client.async_run("test/echo", input={"number": number, "text": "async"})

        async with anyio.create_task_group() as group:
            for number in range(RUNS):
                group.start_soon(one, number)
        await client.aclose()
        line = summary("async_run", server, retries, outputs, RUNS)
    assert outputs == [{"number": n, "text": "async"} for n in range(RUNS)]
    assert line["predictions_created"] == RUNS and line["lost"] == 0 and line["duplicated"] == 0
    assert line["faults"]["errors"] > 0 and line["faults"]["resets"] > 0 and retries.retries > 0


def test_sync_runs_in_threads_survive_the_same(retries: RetryCounter) -> None:
    with LocalReplicate(models=MODELS, demo_models=False, workers=64, faults=FAULTS) as server:
        client = replicate_ext.Client(api_token=server.token, base_url=server.url, retry=PATIENT)
        with ThreadPoolExecutor(max_workers=20) as pool:
            outputs = list(
                pool.map(lambda n: client.run("test/echo", input={"number": n, "text": "sync"}), range(RUNS))
            )
        client.close()
        line = summary("run in threads", server, retries, outputs, RUNS)
    assert outputs == [{"number": n, "text": "sync"} for n in range(RUNS)]
    assert line["predictions_created"] == RUNS and line["lost"] == 0 and line["duplicated"] == 0


SAME_INPUT = {"prompt": "a haiku about the sea", "temperature": 1.0}


def identical_summary(name: str, server: LocalReplicate, counter: RetryCounter, outputs: list[Any]) -> dict[str, Any]:
    # Every run asked for the same thing; each prediction answers differently, so two runs that took the same
    # prediction have the same output.
    stats = server.stats()
    line = {
        "scenario": name,
        "faults": stats["faults"],
        "retries": counter.retries,
        "lost_answers_recovered": counter.recovered,
        "predictions_created": stats["predictions_created"],
        "failed": sum(output is None for output in outputs),
        "claimed_twice": len(outputs) - len(set(outputs)),
    }
    print(f"\nfault suite | {line}")
    return line


@pytest.mark.anyio
async def test_async_runs_with_identical_inputs_each_get_their_own_prediction(retries: RetryCounter) -> None:
    with LocalReplicate(models=MODELS, demo_models=False, workers=64, faults=FAULTS) as server:
        client = replicate_ext.Client(api_token=server.token, base_url=server.url, retry=PATIENT)
        outputs: list[Any] = [None] * RUNS
        limiter = anyio.Semaphore(50)

        async def one(number: int) -> None:
            async with limiter:
                outputs[number] = await client.async_run("test/sample", input=SAME_INPUT)

        async with anyio.create_task_group() as group:
            for number in range(RUNS):
                group.start_soon(one, number)
        await client.aclose()
        line = identical_summary("async_run, identical inputs", server, retries, outputs)
    assert line["failed"] == 0 and line["claimed_twice"] == 0 and line["predictions_created"] == RUNS
    assert retries.recovered > 0  # lost answers happened, and were found among interchangeable predictions


def test_sync_runs_with_identical_inputs_in_threads_each_get_their_own_prediction(retries: RetryCounter) -> None:
    with LocalReplicate(models=MODELS, demo_models=False, workers=64, faults=FAULTS) as server:
        client = replicate_ext.Client(api_token=server.token, base_url=server.url, retry=PATIENT)
        with ThreadPoolExecutor(max_workers=50) as pool:
            outputs = list(pool.map(lambda _: client.run("test/sample", input=SAME_INPUT), range(RUNS)))
        client.close()
        line = identical_summary("run in threads, identical inputs", server, retries, outputs)
    assert line["failed"] == 0 and line["claimed_twice"] == 0 and line["predictions_created"] == RUNS
    assert retries.recovered > 0


class RetryDelays(logging.Handler):
    """The waits of the retries that followed a 429."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.after_429: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("retrying ") and message.endswith("HTTP 429"):
            self.after_429.append(float(message.split(" in ", 1)[1].split(" s,", 1)[0]))


@pytest.mark.anyio
async def test_a_rate_limited_burst_waits_its_turn(retries: RetryCounter) -> None:
    runs = 300
    delays = RetryDelays()
    logging.getLogger("replicate_ext").addHandler(delays)
    try:
        with LocalReplicate(
            models=MODELS, demo_models=False, workers=64, faults={"rate_limit": {"create": 20}}
        ) as server:
            client = replicate_ext.Client(api_token=server.token, base_url=server.url, retry=PATIENT)
            outputs: list[Any] = [None] * runs

            async def one(number: int) -> None:
                outputs[number] = await client.async_run("test/echo", input={"number": number})

            async with anyio.create_task_group() as group:
                for number in range(runs):
                    group.start_soon(one, number)
            await client.aclose()
            line = summary("rate limit 20 creates/s, 300 concurrent", server, retries, outputs, runs)
    finally:
        logging.getLogger("replicate_ext").removeHandler(delays)
    assert outputs == [{"number": n, "text": ""} for n in range(runs)]
    assert line["predictions_created"] == runs and line["duplicated"] == 0
    limited = line["faults"]["rate_limited"]
    shortest = min(delays.after_429, default=0)
    print(f"fault suite | 429s sent: {limited} for {runs} creates; shortest retry wait after a 429: {shortest:.2f} s")
    # The server's Retry-After is at least 1 s: no retry came sooner. The first wave (before any answer came
    # back) is bounded by the connection pool; after it, the pacing keeps the 429s few.
    assert delays.after_429 and min(delays.after_429) >= 1.0
    assert limited < runs / 2


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_streams_dropped_several_times_deliver_every_chunk_once_in_order(mode: str) -> None:
    with LocalReplicate(faults={"stream_drop_rate": 0.15, "seed": 11}) as server:
        client = replicate_ext.Client(api_token=server.token, base_url=server.url, retry=PATIENT)
        inputs = {"prompt": "one two three", "max_tokens": 80, "delay": 0.005}
        if mode == "sync":
            events = list(client.stream("demo/stream-text", input=inputs))
        else:

            async def collect() -> list[Any]:
                try:
                    return [event async for event in client.async_stream("demo/stream-text", input=inputs)]
                finally:
                    await client.aclose()

            events = anyio.run(collect)
        streamed = "".join(str(event) for event in events)
        prediction = client.predictions.list().results[0]
        prediction.wait()
        client.close()
        drops = server.stats()["faults"]["stream_drops"]
    print(
        f"\nfault suite | stream ({mode}): {drops} connection drops, {len(events)} events, {len(streamed)} characters"
    )
    assert drops >= 2
    assert streamed == "".join(prediction.output)  # every chunk, once, in order
    assert events[-1].event == "done"
    ids = [event.id for event in events]
    assert len(ids) == len(set(ids))


def test_a_stalled_response_raises_a_typed_timeout() -> None:
    with LocalReplicate(faults={"stall_rate": 1.0, "fault_routes": ["read"]}) as server:
        client = replicate_ext.Client(
            api_token=server.token,
            base_url=server.url,
            timeout=httpx.Timeout(5.0, read=0.3),
            retry=replicate_ext.NO_RETRIES,
        )
        with pytest.raises(replicate_ext.APITimeoutError) as caught:
            client.models.get("demo/sleep")
        assert isinstance(caught.value, TimeoutError) and "timed out" in str(caught.value)
        client.close()
        assert server.stats()["faults"]["stalls"] == 1


def test_stream_and_download_deadlines() -> None:
    with LocalReplicate(models=MODELS) as server:
        client = replicate_ext.Client(api_token=server.token, base_url=server.url)
        with pytest.raises(replicate_ext.PredictionTimeoutError) as caught:
            for _ in client.stream("demo/stream-text", input={"max_tokens": 4000, "delay": 0.05}, timeout=0.5):
                pass
        prediction = client.predictions.get(caught.value.prediction.id)
        prediction.wait()
        assert prediction.status == "canceled"  # stream() owned the prediction: it does not run on for nobody
        output = client.run("demo/fractal", input={"width": 16, "height": 16})
        assert output.read(timeout=30).startswith(b"\x89PNG")
        with pytest.raises(replicate_ext.InvalidArgumentError):
            output.read(timeout=0)
        client.close()
