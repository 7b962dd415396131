"""The generated client (`replicate_api`) against the local server: typed calls parse its responses."""

from __future__ import annotations

import httpx
from replicate_api import AuthenticatedClient
from replicate_api.api.account import account_get
from replicate_api.api.models import models_get, models_predictions_create
from replicate_api.api.predictions import predictions_get, predictions_list
from replicate_api.models import Account, Model, PaginatedPredictions, Prediction, PredictionRequest

from replicate_ext.local import LocalReplicate

from .conftest import api_hook


def test_the_generated_client_runs_a_model_and_reads_it_back(server: LocalReplicate) -> None:
    client = AuthenticatedClient(
        base_url=server.url + "/v1",
        token=server.token,
        timeout=httpx.Timeout(70.0),
        httpx_args={"event_hooks": {"response": [api_hook(server)]}},
    )
    with client:
        account = account_get.sync(client=client)
        assert isinstance(account, Account) and account.username == "local"
        model = models_get.sync("demo", "fractal", client=client)
        assert isinstance(model, Model) and model.latest_version is not None
        body = PredictionRequest(input_={"prompt": "gen", "width": 16, "height": 16})
        created = models_predictions_create.sync("demo", "fractal", client=client, body=body, prefer="wait")
        assert isinstance(created, Prediction) and created.status == "succeeded"
        assert str(created.output).startswith(server.delivery_url)
        fetched = predictions_get.sync(created.id, client=client)
        assert isinstance(fetched, Prediction) and fetched.id == created.id
        page = predictions_list.sync(client=client)
        assert isinstance(page, PaginatedPredictions) and [p.id for p in page.results or []] == [created.id]
