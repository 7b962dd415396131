"""The data models of the API's requests and responses.

Each model is imported on first use, so importing one endpoint module does not import them all.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .account import Account
    from .collection import Collection
    from .collection_summary import CollectionSummary
    from .deployment import Deployment
    from .deployment_configuration import DeploymentConfiguration
    from .deployment_create_request import DeploymentCreateRequest
    from .deployment_release import DeploymentRelease
    from .deployment_update_request import DeploymentUpdateRequest
    from .file import File
    from .file_checksums import FileChecksums
    from .file_create_request import FileCreateRequest
    from .file_create_request_metadata import FileCreateRequestMetadata
    from .file_urls import FileUrls
    from .hardware import Hardware
    from .model import Model
    from .model_create_request import ModelCreateRequest
    from .model_create_request_visibility import ModelCreateRequestVisibility
    from .model_update_request import ModelUpdateRequest
    from .models_list_sort_by import ModelsListSortBy
    from .models_list_sort_direction import ModelsListSortDirection
    from .paginated_collections import PaginatedCollections
    from .paginated_deployments import PaginatedDeployments
    from .paginated_files import PaginatedFiles
    from .paginated_models import PaginatedModels
    from .paginated_predictions import PaginatedPredictions
    from .paginated_trainings import PaginatedTrainings
    from .paginated_versions import PaginatedVersions
    from .prediction import Prediction
    from .prediction_request import PredictionRequest
    from .prediction_request_webhook_events_filter_item import PredictionRequestWebhookEventsFilterItem
    from .prediction_urls import PredictionUrls
    from .predictions_list_source import PredictionsListSource
    from .problem import Problem
    from .search_collection import SearchCollection
    from .search_model_metadata import SearchModelMetadata
    from .search_model_result import SearchModelResult
    from .search_page import SearchPage
    from .search_result import SearchResult
    from .training import Training
    from .training_output import TrainingOutput
    from .training_request import TrainingRequest
    from .training_request_webhook_events_filter_item import TrainingRequestWebhookEventsFilterItem
    from .training_urls import TrainingUrls
    from .version import Version
    from .version_prediction_request import VersionPredictionRequest
    from .version_prediction_request_webhook_events_filter_item import VersionPredictionRequestWebhookEventsFilterItem
    from .webhook_secret import WebhookSecret

_MODULES = {
    "Account": "account",
    "Collection": "collection",
    "CollectionSummary": "collection_summary",
    "Deployment": "deployment",
    "DeploymentConfiguration": "deployment_configuration",
    "DeploymentCreateRequest": "deployment_create_request",
    "DeploymentRelease": "deployment_release",
    "DeploymentUpdateRequest": "deployment_update_request",
    "File": "file",
    "FileChecksums": "file_checksums",
    "FileCreateRequest": "file_create_request",
    "FileCreateRequestMetadata": "file_create_request_metadata",
    "FileUrls": "file_urls",
    "Hardware": "hardware",
    "Model": "model",
    "ModelCreateRequest": "model_create_request",
    "ModelCreateRequestVisibility": "model_create_request_visibility",
    "ModelUpdateRequest": "model_update_request",
    "ModelsListSortBy": "models_list_sort_by",
    "ModelsListSortDirection": "models_list_sort_direction",
    "PaginatedCollections": "paginated_collections",
    "PaginatedDeployments": "paginated_deployments",
    "PaginatedFiles": "paginated_files",
    "PaginatedModels": "paginated_models",
    "PaginatedPredictions": "paginated_predictions",
    "PaginatedTrainings": "paginated_trainings",
    "PaginatedVersions": "paginated_versions",
    "Prediction": "prediction",
    "PredictionRequest": "prediction_request",
    "PredictionRequestWebhookEventsFilterItem": "prediction_request_webhook_events_filter_item",
    "PredictionUrls": "prediction_urls",
    "PredictionsListSource": "predictions_list_source",
    "Problem": "problem",
    "SearchCollection": "search_collection",
    "SearchModelMetadata": "search_model_metadata",
    "SearchModelResult": "search_model_result",
    "SearchPage": "search_page",
    "SearchResult": "search_result",
    "Training": "training",
    "TrainingOutput": "training_output",
    "TrainingRequest": "training_request",
    "TrainingRequestWebhookEventsFilterItem": "training_request_webhook_events_filter_item",
    "TrainingUrls": "training_urls",
    "Version": "version",
    "VersionPredictionRequest": "version_prediction_request",
    "VersionPredictionRequestWebhookEventsFilterItem": "version_prediction_request_webhook_events_filter_item",
    "WebhookSecret": "webhook_secret",
}

__all__ = (
    "Account",
    "Collection",
    "CollectionSummary",
    "Deployment",
    "DeploymentConfiguration",
    "DeploymentCreateRequest",
    "DeploymentRelease",
    "DeploymentUpdateRequest",
    "File",
    "FileChecksums",
    "FileCreateRequest",
    "FileCreateRequestMetadata",
    "FileUrls",
    "Hardware",
    "Model",
    "ModelCreateRequest",
    "ModelCreateRequestVisibility",
    "ModelsListSortBy",
    "ModelsListSortDirection",
    "ModelUpdateRequest",
    "PaginatedCollections",
    "PaginatedDeployments",
    "PaginatedFiles",
    "PaginatedModels",
    "PaginatedPredictions",
    "PaginatedTrainings",
    "PaginatedVersions",
    "Prediction",
    "PredictionRequest",
    "PredictionRequestWebhookEventsFilterItem",
    "PredictionsListSource",
    "PredictionUrls",
    "Problem",
    "SearchCollection",
    "SearchModelMetadata",
    "SearchModelResult",
    "SearchPage",
    "SearchResult",
    "Training",
    "TrainingOutput",
    "TrainingRequest",
    "TrainingRequestWebhookEventsFilterItem",
    "TrainingUrls",
    "Version",
    "VersionPredictionRequest",
    "VersionPredictionRequestWebhookEventsFilterItem",
    "WebhookSecret",
)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
