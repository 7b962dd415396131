"""replicate_ext.local: a Replicate-compatible HTTP server that runs Python predictors on this machine.

Start it from Python, the command line or pytest:

```python
from replicate_ext.local import LocalReplicate

with LocalReplicate() as server:       # built-in demo/* models, free ports, any Bearer token accepted
    ...                                # point a client at server.url + "/v1" with server.token
```

```sh
replicate-ext serve --port 8000        # or: python -m replicate_ext.local serve
```

In tests, the `replicate_local` pytest fixture yields a running `LocalReplicate`.

Write your own models with `BasePredictor`, `Input` and `ConcatenateIterator`, and make failures happen on
purpose with `Faults`. The server needs the `local` extra: `pip install 'replicate-ext[local]'`; importing
this package does not import it (nor starlette or uvicorn), so it stays cheap.

Cog models (a folder with `cog.yaml`, or a module that imports `cog`) run on Cog's own runtime:
`LocalReplicate(models={"me/hello": "examples/cog-hello"})` or
`replicate-ext serve --models me/hello=examples/cog-hello`; that needs the `cog` extra
(`pip install 'replicate-ext[cog]'`), and nothing imports Cog until such a model is served.
"""

from ._errors import (
    InputValidationError,
    LocalServerError,
    MissingExtraError,
    PredictionCanceled,
    PredictorDefinitionError,
    ProblemError,
    ServerStartError,
)
from ._faults import Faults
from ._server import LocalReplicate
from ._types import AsyncConcatenateIterator, BasePredictor, ConcatenateIterator, Input
from ._webhooks import sign as sign_webhook

__all__ = [
    "AsyncConcatenateIterator",
    "BasePredictor",
    "ConcatenateIterator",
    "Faults",
    "Input",
    "InputValidationError",
    "LocalReplicate",
    "LocalServerError",
    "MissingExtraError",
    "PredictionCanceled",
    "PredictorDefinitionError",
    "ProblemError",
    "ServerStartError",
    "sign_webhook",
]
