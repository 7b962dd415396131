"""A batch's journal and its recovery of lost creates, through any sequence of sends, answers, lost answers,
searches and crashes: no item ever has more than one prediction, and once everything settles each has exactly one.

The runner's decisions are the real ones (`Journal`, `CreateGate`, `match_lost`); a simulated API makes (or, for a
request that never arrived, does not make) a prediction for each create, and lists what it made. A search takes
three steps (it begins, the listing answers, the lost creates are matched), and anything may happen in between.
A crash drops everything in memory and reopens the journal, as a new process would. Items share inputs, so that
creates with the same input (which are interchangeable) are in flight, lost and looked for together.
"""

from __future__ import annotations

import datetime
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from replicate_ext.batch._inputs import Item, input_key
from replicate_ext.batch._journal import Claimed, Journal
from replicate_ext.batch._schedule import CreateGate, Listed, Lost, match_lost

# Sends and lost answers more often than crashes, so that several creates are in flight when something happens.
ACTIONS = ("claim", "send", "send", "answer", "lose", "lose", "search", "search", "crash")
TARGET = "model acme/sampler"

Choose = Callable[[str, Sequence[Any]], Any]


class Process:
    """What one run of the batch holds in memory (lost in a crash)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.gate = CreateGate()
        self.queue: list[Claimed] = []  # claimed, not sent yet
        self.flight: dict[int, tuple[str | None, str, float]] = {}  # seq -> (prediction made or None, key, sent)
        self.search: tuple[list[str], list[Lost], list[Listed] | None] | None = None
        for claimed in journal.in_state("creating"):  # sent by a run that crashed: look for their predictions
            self.gate.lose(Lost(claimed.seq, claimed.key, claimed.sent_at or 0.0), in_flight=False)


class Simulation:
    def __init__(self, directory: Path, values: Sequence[str], choose: Choose) -> None:
        self.directory = directory
        self.choose = choose
        self.items = [Item(seq, str(seq + 1), seq + 1, {"v": value}) for seq, value in enumerate(values)]
        self.wanted = Counter(input_key(item.input) for item in self.items)
        self.made: list[tuple[str, str, float]] = []  # the API's predictions: (id, input key, created at)
        self.clock = 1_800_000_000.0
        self.journal = Journal.open(directory, TARGET)
        self.journal.record(self.items)
        self.journal.finish_recording("-", len(self.items))
        self.process = Process(self.journal)

    def listing(self) -> list[Listed]:
        at = datetime.datetime.fromtimestamp
        return [Listed(id, at(created, datetime.UTC), key) for id, key, created in reversed(self.made)]

    def step(self, action: str) -> None:
        process, journal, gate = self.process, self.journal, self.process.gate
        self.clock += 0.01
        if action == "claim":
            process.queue += journal.claim(3, now=self.clock)
        elif action == "send":
            ready = [claimed for claimed in process.queue if gate.may_send(claimed.key)]
            if ready:
                claimed = ready[0]
                process.queue.remove(claimed)
                gate.sent(claimed.key)
                made = None
                if self.choose("arrived", [True, False]):
                    made = f"p{len(self.made)}"
                    self.made.append((made, claimed.key, self.clock))
                process.flight[claimed.seq] = (made, claimed.key, self.clock)
        elif action in ("answer", "lose") and process.flight:
            seq = self.choose(action, sorted(process.flight))
            made, key, sent = process.flight.pop(seq)
            if action == "lose":
                gate.lose(Lost(seq, key, sent))
            elif made is not None:
                gate.answered(key)
                assert journal.assign(seq, made), f"prediction {made} was taken by another item"
            else:  # turned away (a 429): nothing was made
                gate.answered(key)
                journal.release(seq)
        elif action == "search":
            self.search()
        elif action == "crash":
            journal.close()
            self.journal = Journal.open(self.directory, TARGET)
            self.process = Process(self.journal)
        for key, count in Counter(key for _, key, _ in self.made).items():
            assert count <= self.wanted[key], f"{count} predictions for {self.wanted[key]} items with one input"

    def search(self) -> None:
        process, journal, gate = self.process, self.journal, self.process.gate
        if process.search is None:
            keys, _ = gate.due(self.clock, settle=0.0)  # as the runner asks; this API's listing is never behind
            if keys:
                process.search = (keys, gate.begin(keys), None)
            return
        keys, lost, listing = process.search
        if listing is None:
            process.search = (keys, lost, self.listing())
            return
        matches = match_lost(lost, listing, journal.is_claimed)
        for item in lost:
            found = matches.get(item.seq)
            if found is None or not journal.assign(item.seq, found):
                sent = journal.recreate(item.seq, now=self.clock)
                process.queue.append(Claimed(item.seq, "", {}, item.key, 0, sent))
        gate.end(keys)
        process.search = None

    def settle(self) -> dict[str, int]:
        """Nothing more goes wrong: every answer arrives, lost creates are found, the rest is created."""
        self.choose = lambda label, options: options[0]
        for _ in range(200):
            process = self.process
            if not (process.flight or process.queue or process.gate.lost or process.search or self.journal.pending()):
                break
            for action in ("answer", "search", "search", "search", "claim", "send"):
                self.step(action)
        return self.journal.counts()


@contextmanager
def simulation(values: Sequence[str], choose: Choose) -> Iterator[Simulation]:
    with tempfile.TemporaryDirectory() as folder:
        simulated = Simulation(Path(folder), values, choose)
        try:
            yield simulated
        finally:
            simulated.journal.close()


@settings(max_examples=200)
@given(st.data())
def test_any_sequence_of_crashes_and_answers_creates_each_item_at_most_once(data: st.DataObject) -> None:
    values = data.draw(st.lists(st.sampled_from("ab"), min_size=1, max_size=6), label="inputs")
    with simulation(values, lambda label, options: data.draw(st.sampled_from(options), label=label)) as run:
        for action in data.draw(st.lists(st.sampled_from(ACTIONS), max_size=30), label="actions"):
            run.step(action)
        counts = run.settle()
        made = Counter(key for _, key, _ in run.made)
        assert counts == {"running": len(values)}
        assert made == run.wanted  # exactly one prediction per item


def scripted(choices: list[Any]) -> Choose:
    return lambda label, options: choices.pop(0)


def test_a_lost_create_never_takes_the_prediction_of_a_create_in_flight() -> None:
    # Item 2's create made p1 and lost its answer while item 1's create (p0) was still in flight. Looking now
    # would find p0 (the older) for item 2; the search waits until item 1's answer has come.
    with simulation("aa", scripted([True, True, 1, 0])) as run:
        for action in ("claim", "send", "send", "lose", "search", "search", "search", "answer"):
            run.step(action)
        assert run.settle() == {"running": 2}


def test_no_create_is_sent_for_an_input_being_looked_for() -> None:
    # Item 1's create never arrived, and its answer was lost. While the search lists, item 2 (the same input)
    # must not be sent: its prediction would be the only one listed, and item 1 would take it.
    with simulation("aa", scripted([False, 0, True, 1])) as run:
        for action in ("claim", "send", "lose", "search", "send", "search", "search", "answer"):
            run.step(action)
        assert run.settle() == {"running": 2}
        assert len(run.made) == 2
