"""Which predictions a client's creates own: the bookkeeping behind finding a create whose answer was lost.

The API has no idempotency key, so a create whose answer was lost (a reset, a timeout, a 5xx after the work was
done) can only be found again by listing the predictions made since it was sent and picking one with the same
target and input. When several creates share a target and input (sampling one prompt several times, say), the
predictions they made are interchangeable, and each run whose answer was lost may take any of them, provided
that no other create of this client already owns it or may still receive it as its answer:

- a create registers itself as *in flight* (its target and input) before it is sent, and when its answer comes,
  the prediction in it becomes *owned*;
- a recovery lists the candidates, then waits until every create of the same target and input that was in flight
  when the listing came back has settled (any of them may own a listed prediction), then owns the oldest
  candidate nobody owns;
- when none is left but another recovery took one since this one started looking (it may have taken this run's
  own prediction, which leaves its own for this one, perhaps created after this listing), it looks again.

This module holds the state and the rules, without I/O; `_predictions.recover_created_flow` does the listing.
The state is per client (shared by the clients `with_options` makes), so creates of other clients and other
processes are not known: see the README's note on several processes.
"""

from __future__ import annotations

import collections
import itertools
import threading
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

from ._json import same_json

if TYPE_CHECKING:
    import datetime

__all__ = ["Claims"]


class Claims:
    """Prediction ids owned by a client's creates, creates in flight, and recoveries in progress.

    Creates and recoveries are filed by target (what they run) with their encoded input: comparing inputs, a
    dict comparison, happens only when a recovery looks, so a create that gets its answer pays a few dict
    operations.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._owned: collections.OrderedDict[str, None] = collections.OrderedDict()  # the oldest forgotten first
        self._in_flight: dict[Hashable, dict[int, Any]] = {}  # target -> ticket -> encoded input
        self._recovering: dict[Hashable, dict[int, tuple[datetime.datetime, Any]]] = {}
        self._tickets = itertools.count()
        self.recoveries = 0
        """How many predictions recoveries have taken: a recovery that found nothing looks again if it grew."""

    def _own(self, prediction_id: str) -> None:
        owned = self._owned
        owned[prediction_id] = None
        if len(owned) > self._limit:
            owned.popitem(last=False)

    # -- creates ----------------------------------------------------------------------------------------------

    def sending(self, target: Hashable, encoded_input: Any) -> int:
        """A create is about to be sent: its ticket, to hand to `settled`."""
        with self._lock:
            ticket = next(self._tickets)
            self._in_flight.setdefault(target, {})[ticket] = encoded_input
            return ticket

    def settled(self, target: Hashable, ticket: int, prediction_id: str | None) -> None:
        """The create's answer came (the prediction it made, now owned), or it failed (None)."""
        with self._lock:
            tickets = self._in_flight.get(target)
            if tickets is not None:
                tickets.pop(ticket, None)
                if not tickets:
                    del self._in_flight[target]
            if prediction_id is not None:
                self._own(prediction_id)

    def in_flight(self, target: Hashable, encoded_input: Any) -> frozenset[int]:
        """The creates of `target` with this input waiting for their answer now."""
        with self._lock:
            tickets = self._in_flight.get(target, {})
            return frozenset(ticket for ticket, sent in tickets.items() if same_json(sent, encoded_input))

    def any_in_flight(self, target: Hashable, tickets: frozenset[int]) -> bool:
        """Whether any of these creates is still waiting for its answer."""
        with self._lock:
            return not tickets.isdisjoint(self._in_flight.get(target, ()))

    # -- recoveries -------------------------------------------------------------------------------------------

    def start_recovery(self, target: Hashable, encoded_input: Any, sent_at: datetime.datetime) -> int:
        """A create sent at `sent_at` lost its answer and is being looked for."""
        with self._lock:
            ticket = next(self._tickets)
            self._recovering.setdefault(target, {})[ticket] = (sent_at, encoded_input)
            return ticket

    def end_recovery(self, target: Hashable, ticket: int) -> None:
        with self._lock:
            recovering = self._recovering.get(target)
            if recovering is not None:
                recovering.pop(ticket, None)
                if not recovering:
                    del self._recovering[target]

    def earliest_recovery(self, target: Hashable, encoded_input: Any, default: datetime.datetime) -> datetime.datetime:
        """When the first create of `target` with this input that is being looked for was sent: any such
        prediction made since then that nobody owns may be the lost answer of one of them."""
        with self._lock:
            recovering = self._recovering.get(target, {}).values()
            sent = [at for at, other in recovering if same_json(other, encoded_input)]
            return min(sent, default=default)

    def take(self, candidate_ids: Iterable[str]) -> str | None:
        """Own the first of these predictions that nobody owns yet, and return its id (None if all are owned)."""
        with self._lock:
            for prediction_id in candidate_ids:
                if prediction_id not in self._owned:
                    self._own(prediction_id)
                    self.recoveries += 1
                    return prediction_id
            return None
