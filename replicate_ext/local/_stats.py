"""Counters the server keeps for tests and benchmarks, served at `GET /_local/stats`."""

from __future__ import annotations

from collections import Counter
from typing import Any

__all__ = ["Stats"]


class Stats:
    """What the server has seen since it started (or since the last reset).

    Updated only on the server's event loop; `snapshot()` returns plain JSON-ready data.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        self.predictions_created = 0
        self.trainings_created = 0
        self.requests: Counter[str] = Counter()
        self.responses_by_status: Counter[str] = Counter()
        self.webhook_attempted = 0
        self.webhook_succeeded = 0
        self.webhook_failed = 0
        self.webhook_gave_up = 0
        self.delivery_requests = 0
        self.delivery_requests_with_authorization = 0
        self.connections_opened = 0
        self.delivery_connections_opened = 0
        self.faults: Counter[str] = Counter(
            {"errors": 0, "resets": 0, "rate_limited": 0, "stalls": 0, "stream_drops": 0}
        )

    def snapshot(self) -> dict[str, Any]:
        """All counters as a JSON object."""
        return {
            "predictions_created": self.predictions_created,
            "trainings_created": self.trainings_created,
            "requests": dict(sorted(self.requests.items())),
            "requests_total": sum(self.requests.values()),
            "responses_by_status": dict(sorted(self.responses_by_status.items())),
            "webhook_deliveries": {
                "attempted": self.webhook_attempted,
                "succeeded": self.webhook_succeeded,
                "failed": self.webhook_failed,
                "gave_up": self.webhook_gave_up,
            },
            "delivery_requests": self.delivery_requests,
            "delivery_requests_with_authorization": self.delivery_requests_with_authorization,
            "connections_opened": self.connections_opened,
            "delivery_connections_opened": self.delivery_connections_opened,
            "faults": dict(self.faults),
        }
