"""replicate_ext: a typed, fast client for Replicate's HTTP API, and a drop-in for the classic `replicate` 1.x.

    import replicate_ext as replicate

    output = replicate.run("black-forest-labs/flux-schnell", input={"prompt": "a red fox"})
    output.save("fox.webp")

The module-level functions and namespaces (`run`, `stream`, `models`, `predictions`, ...) use a default
`Client` configured from `REPLICATE_API_TOKEN` and `REPLICATE_BASE_URL`; create a `Client` for anything else.
The typed low-level client generated from the OpenAPI document is the `replicate_api` package.

Every name is imported on first use (PEP 562), so `import replicate_ext` stays cheap.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from . import exceptions as exceptions
    from ._accounts import Account as Account
    from ._accounts import Accounts as Accounts
    from ._client import Client as Client
    from ._collections import Collection as Collection
    from ._collections import Collections as Collections
    from ._config import NOT_GIVEN as NOT_GIVEN
    from ._config import NotGiven as NotGiven
    from ._default import async_run as async_run
    from ._default import async_search as async_search
    from ._default import async_stream as async_stream
    from ._default import default_client as default_client
    from ._default import run as run
    from ._default import search as search
    from ._default import stream as stream
    from ._deployments import Deployment as Deployment
    from ._deployments import DeploymentConfiguration as DeploymentConfiguration
    from ._deployments import DeploymentPredictions as DeploymentPredictions
    from ._deployments import DeploymentRelease as DeploymentRelease
    from ._deployments import Deployments as Deployments
    from ._deployments import DeploymentsPredictions as DeploymentsPredictions
    from ._exceptions import AmbiguousCreateError as AmbiguousCreateError
    from ._exceptions import APIConnectionError as APIConnectionError
    from ._exceptions import APITimeoutError as APITimeoutError
    from ._exceptions import AuthenticationError as AuthenticationError
    from ._exceptions import BadRequestError as BadRequestError
    from ._exceptions import BatchError as BatchError
    from ._exceptions import BatchInUseError as BatchInUseError
    from ._exceptions import BatchMismatchError as BatchMismatchError
    from ._exceptions import ConfigurationError as ConfigurationError
    from ._exceptions import ConflictError as ConflictError
    from ._exceptions import InvalidArgumentError as InvalidArgumentError
    from ._exceptions import InvalidInputError as InvalidInputError
    from ._exceptions import InvalidItemsError as InvalidItemsError
    from ._exceptions import InvalidReferenceError as InvalidReferenceError
    from ._exceptions import InvalidResponseError as InvalidResponseError
    from ._exceptions import InvalidSecretKeyError as InvalidSecretKeyError
    from ._exceptions import InvalidSignatureError as InvalidSignatureError
    from ._exceptions import InvalidTimestampError as InvalidTimestampError
    from ._exceptions import MissingWebhookBodyError as MissingWebhookBodyError
    from ._exceptions import MissingWebhookHeaderError as MissingWebhookHeaderError
    from ._exceptions import ModelError as ModelError
    from ._exceptions import NotFoundError as NotFoundError
    from ._exceptions import PermissionDeniedError as PermissionDeniedError
    from ._exceptions import PredictionCanceledError as PredictionCanceledError
    from ._exceptions import PredictionError as PredictionError
    from ._exceptions import PredictionTimeoutError as PredictionTimeoutError
    from ._exceptions import RateLimitError as RateLimitError
    from ._exceptions import ReplicateError as ReplicateError
    from ._exceptions import ReplicateException as ReplicateException
    from ._exceptions import SchemaError as SchemaError
    from ._exceptions import ServerError as ServerError
    from ._exceptions import StreamError as StreamError
    from ._exceptions import UnprocessableEntityError as UnprocessableEntityError
    from ._exceptions import WebhookValidationError as WebhookValidationError
    from ._files import File as File
    from ._files import FileOutput as FileOutput
    from ._files import Files as Files
    from ._hardware import Hardware as Hardware
    from ._hardware import HardwareNamespace as HardwareNamespace
    from ._models import Model as Model
    from ._models import Models as Models
    from ._models import ModelsExamples as ModelsExamples
    from ._models import ModelsPredictions as ModelsPredictions
    from ._models import ModelsReadme as ModelsReadme
    from ._pagination import Page as Page
    from ._pagination import async_paginate as async_paginate
    from ._pagination import paginate as paginate
    from ._predictions import TERMINAL_STATUSES as TERMINAL_STATUSES
    from ._predictions import Prediction as Prediction
    from ._predictions import Predictions as Predictions
    from ._predictions import Progress as Progress
    from ._retry import NO_RETRIES as NO_RETRIES
    from ._retry import RetryPolicy as RetryPolicy
    from ._schema import InputField as InputField
    from ._schema import InputProblem as InputProblem
    from ._schema import ModelSchema as ModelSchema
    from ._schema import OutputSpec as OutputSpec
    from ._search import SearchCollection as SearchCollection
    from ._search import SearchModel as SearchModel
    from ._search import SearchPage as SearchPage
    from ._search import SearchResults as SearchResults
    from ._stream import EventType as EventType
    from ._stream import ServerSentEvent as ServerSentEvent
    from ._trainings import Training as Training
    from ._trainings import Trainings as Trainings
    from ._transport import AsyncioTransport as AsyncioTransport
    from ._versions import Version as Version
    from ._versions import Versions as Versions
    from ._webhooks import DEFAULT_TOLERANCE as DEFAULT_TOLERANCE
    from ._webhooks import Webhooks as Webhooks
    from ._webhooks import WebhookSigningSecret as WebhookSigningSecret
    from ._webhooks import validate_webhook as validate_webhook

    accounts: Accounts
    collections: Collections
    deployments: Deployments
    files: Files
    hardware: HardwareNamespace
    models: Models
    predictions: Predictions
    trainings: Trainings
    webhooks: Webhooks

_MODULES = {
    "._accounts": ["Account", "Accounts"],
    "._client": ["Client"],
    "._collections": ["Collection", "Collections"],
    "._config": ["NOT_GIVEN", "NotGiven"],
    "._default": ["async_run", "async_search", "async_stream", "default_client", "run", "search", "stream"],
    "._deployments": [
        "Deployment", "DeploymentConfiguration", "DeploymentPredictions", "DeploymentRelease", "Deployments",
        "DeploymentsPredictions",
    ],
    "._exceptions": [
        "APIConnectionError", "APITimeoutError", "AmbiguousCreateError", "AuthenticationError", "BadRequestError",
        "BatchError", "BatchInUseError", "BatchMismatchError", "ConfigurationError", "ConflictError",
        "InvalidArgumentError", "InvalidInputError", "InvalidItemsError", "InvalidReferenceError",
        "InvalidResponseError", "InvalidSecretKeyError", "InvalidSignatureError", "InvalidTimestampError",
        "MissingWebhookBodyError", "MissingWebhookHeaderError", "ModelError", "NotFoundError",
        "PermissionDeniedError", "PredictionCanceledError", "PredictionError", "PredictionTimeoutError",
        "RateLimitError", "ReplicateError", "ReplicateException", "SchemaError", "ServerError", "StreamError",
        "UnprocessableEntityError", "WebhookValidationError",
    ],
    "._files": ["File", "FileOutput", "Files"],
    "._hardware": ["Hardware", "HardwareNamespace"],
    "._models": ["Model", "Models", "ModelsExamples", "ModelsPredictions", "ModelsReadme"],
    "._pagination": ["Page", "async_paginate", "paginate"],
    "._predictions": ["TERMINAL_STATUSES", "Prediction", "Predictions", "Progress"],
    "._retry": ["NO_RETRIES", "RetryPolicy"],
    "._schema": ["InputField", "InputProblem", "ModelSchema", "OutputSpec"],
    "._search": ["SearchCollection", "SearchModel", "SearchPage", "SearchResults"],
    "._stream": ["EventType", "ServerSentEvent"],
    "._trainings": ["Training", "Trainings"],
    "._transport": ["AsyncioTransport"],
    "._versions": ["Version", "Versions"],
    "._webhooks": ["DEFAULT_TOLERANCE", "WebhookSigningSecret", "Webhooks", "validate_webhook"],
}  # fmt: skip
_WHERE = {name: module for module, names in _MODULES.items() for name in names}

# The namespaces of the default client, created when first used (so that importing reads no environment).
_NAMESPACES = frozenset(
    {"accounts", "collections", "deployments", "files", "hardware", "models", "predictions", "trainings", "webhooks"}
)

__all__ = sorted(["__version__", "exceptions", *_WHERE, *_NAMESPACES], key=str.lower)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value
    if name in _NAMESPACES:
        from ._default import default_client

        return getattr(default_client(), name)
    if name == "exceptions":
        return importlib.import_module(".exceptions", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return list(__all__)
