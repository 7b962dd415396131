"""Which predictions a client's creates own: the bookkeeping behind finding a create whose answer was lost.

The API has no idempotency key, so a create whose answer was lost (a reset, a timeout, a 5xx after the work was
done) can only be found again by listing the predictions made since it was sent and picking one with the same
target and input. When several creates share a target and input (sampling one prompt several times, say), the
predictions they made are interchangeable, and each run whose answer was lost may take any of them, provided
that no other create of this client already owns it or may still receive it as its answer:

- a create registers itself as *in flight* for its key (target and input) before it is sent, and when its answer
  comes, the prediction in it becomes *owned*;
- a recovery lists the candidates, then waits until every create of its key that was in flight when the listing
  came back has settled (any of them may own a listed prediction), then owns the oldest candidate nobody owns;
- when none is left but another recovery took one since this one started looking (it may have taken this run's
  own prediction, which leaves its own for this one, perhaps created after this listing), it looks again.

This module holds the state and the rules, without I/O; `_predictions.recover_created_flow` does the listing.
The state is per client (shared by the clients `with_options` makes), so creates of other clients and other
processes are not known: see the README's note on several processes.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime

__all__ = ["Claims", "claim_key"]


def claim_key(target: object, encoded_input: Any) -> str:
    """The key under which creates of one target with one (encoded, JSON-able) input are interchangeable."""
    return f"{target!r}\n" + json.dumps(encoded_input, sort_keys=True, separators=(",", ":"), default=str)


class Claims:
    """Prediction ids owned by a client's creates, creates in flight per key, and recoveries in progress."""

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._owned: dict[str, None] = {}  # most recent last, so the oldest are forgotten first
        self._in_flight: dict[str, set[int]] = {}
        self._recovering: dict[str, dict[int, datetime.datetime]] = {}
        self._tickets = itertools.count()
        self.recoveries = 0
        """How many predictions recoveries have taken: a recovery that found nothing looks again if it grew."""

    def owns(self, prediction_id: str) -> bool:
        return prediction_id in self._owned

    def own(self, prediction_id: str) -> None:
        """Record a prediction as the answer of one of this client's creates."""
        with self._lock:
            self._own(prediction_id)

    def _own(self, prediction_id: str) -> None:
        owned = self._owned
        owned[prediction_id] = None
        if len(owned) > self._limit:
            del owned[next(iter(owned))]

    # -- creates ----------------------------------------------------------------------------------------------

    def sending(self, key: str) -> int:
        """A create of `key` is about to be sent: its ticket, to hand to `settled`."""
        with self._lock:
            ticket = next(self._tickets)
            self._in_flight.setdefault(key, set()).add(ticket)
            return ticket

    def settled(self, key: str, ticket: int, prediction_id: str | None) -> None:
        """The create's answer came (the prediction it made, now owned), or it failed (None)."""
        with self._lock:
            tickets = self._in_flight.get(key)
            if tickets is not None:
                tickets.discard(ticket)
                if not tickets:
                    del self._in_flight[key]
            if prediction_id is not None:
                self._own(prediction_id)

    def in_flight(self, key: str) -> frozenset[int]:
        """The creates of `key` waiting for their answer now."""
        with self._lock:
            return frozenset(self._in_flight.get(key, ()))

    def any_in_flight(self, key: str, tickets: frozenset[int]) -> bool:
        """Whether any of these creates is still waiting for its answer."""
        with self._lock:
            return not tickets.isdisjoint(self._in_flight.get(key, ()))

    # -- recoveries -------------------------------------------------------------------------------------------

    def start_recovery(self, key: str, sent_at: datetime.datetime) -> int:
        """A create of `key` sent at `sent_at` lost its answer and is being looked for."""
        with self._lock:
            ticket = next(self._tickets)
            self._recovering.setdefault(key, {})[ticket] = sent_at
            return ticket

    def end_recovery(self, key: str, ticket: int) -> None:
        with self._lock:
            recovering = self._recovering.get(key)
            if recovering is not None:
                recovering.pop(ticket, None)
                if not recovering:
                    del self._recovering[key]

    def earliest_recovery(self, key: str, default: datetime.datetime) -> datetime.datetime:
        """When the first create of `key` that is being looked for was sent: any prediction of `key` made since
        then that nobody owns may be the lost answer of one of them."""
        with self._lock:
            return min(self._recovering.get(key, {}).values(), default=default)

    def take(self, candidate_ids: Iterable[str]) -> str | None:
        """Own the first of these predictions that nobody owns yet, and return its id (None if all are owned)."""
        with self._lock:
            for prediction_id in candidate_ids:
                if prediction_id not in self._owned:
                    self._own(prediction_id)
                    self.recoveries += 1
                    return prediction_id
            return None
