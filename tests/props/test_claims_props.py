"""Runs with one target and one input, interleaved in any order, whatever becomes of their creates.

Each run is the real `recovering_create_flow`, driven step by step by a simulated API: a create is answered, or
its answer is lost after the prediction was made (a reset, a 5xx after the work), or it fails before anything
was made; a listing shows every prediction made so far. The order in which the runs advance is any order at
all, so a recovery lists while other creates are in flight, and creates are answered while recoveries look.
No prediction is ever taken by two runs, and every prediction that was made is taken by some run.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

import replicate_ext
from replicate_ext import ReplicateException
from replicate_ext._http import Send, Sleep
from replicate_ext._predictions import CreateOptions, Target
from replicate_ext._run import recovering_create_flow

INPUT = {"prompt": "the same words"}
TARGET = Target("model", "acme", "sampler")


def _prediction(number: int) -> dict[str, Any]:
    return {
        "id": f"p{number}", "model": "acme/sampler", "version": "v1", "input": INPUT, "status": "starting",
        "created_at": f"2026-12-03T10:00:{number:02d}.000Z", "urls": {},
    }  # fmt: skip


@given(st.data())
def test_interleaved_runs_never_share_a_prediction(data: st.DataObject) -> None:
    runs = data.draw(st.integers(min_value=1, max_value=7), label="runs")
    client = replicate_ext.Client(api_token="r8_x", base_url="https://api.example", retry=replicate_ext.NO_RETRIES)
    made: list[dict[str, Any]] = []  # what the API holds, oldest first
    numbers = itertools.count()
    flows = {run: recovering_create_flow(client, TARGET, INPUT, CreateOptions.build()) for run in range(runs)}
    to_send: dict[int, Any] = dict.fromkeys(flows)
    answers: dict[int, httpx.Response] = {}  # creates in flight: the answer they will get
    fates: list[str] = []
    taken: dict[int, str] = {}
    failed: list[int] = []

    while flows:
        run = data.draw(st.sampled_from(sorted(flows)))
        if run in answers:  # a create in flight gets its answer now
            to_send[run] = answers.pop(run)
        try:
            step = flows[run].send(to_send[run])
        except StopIteration as stop:
            taken[run] = stop.value.id
            del flows[run]
            continue
        except ReplicateException:
            failed.append(run)
            del flows[run]
            continue
        if isinstance(step, Sleep):
            to_send[run] = None
            continue
        assert isinstance(step, Send)
        request = step.request
        if request.method == "POST":
            fate = data.draw(st.sampled_from(["answered", "lost", "not made"]), label="fate")
            fates.append(fate)
            if fate == "not made":
                answers[run] = httpx.Response(502, json={"detail": "bad gateway"}, request=request)
                continue
            made.append(_prediction(next(numbers)))
            status = 201 if fate == "answered" else 500
            answers[run] = httpx.Response(status, json=made[-1], request=request)
        else:
            page = {"results": list(reversed(made)), "next": None, "previous": None}
            to_send[run] = httpx.Response(200, json=page, request=request)

    assert len(set(taken.values())) == len(taken)  # no prediction taken twice
    assert sorted(taken.values()) == sorted(p["id"] for p in made)  # every prediction made was taken
    assert len(failed) == fates.count("not made")  # only a run whose create made nothing can come away empty
