"""The pytest plugin of `replicate_ext.local` (registered through the `pytest11` entry point).

It offers the `replicate_local` fixture: a running `LocalReplicate` for the test, stopped afterwards.
Options go in a marker: `@pytest.mark.replicate_local(workers=2, faults={"error_rate": 0.5})` passes its
keyword arguments to `LocalReplicate`. This module imports only pytest; the server is imported when the
fixture is first used, so the plugin costs nothing in test runs that do not use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._server import LocalReplicate

__all__ = ["pytest_configure", "replicate_local"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "replicate_local(**kwargs): keyword arguments for the LocalReplicate the replicate_local fixture starts",
    )


@pytest.fixture
def replicate_local(request: pytest.FixtureRequest) -> Iterator[LocalReplicate]:
    """A running local Replicate server (`LocalReplicate`) with the demo models; stopped after the test.

    Use `server.url + "/v1"` as the API base and `server.token` as the token.
    """
    from ._server import LocalReplicate

    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("replicate_local"))):
        options.update(marker.kwargs)
    with LocalReplicate(**options) as server:
        yield server
