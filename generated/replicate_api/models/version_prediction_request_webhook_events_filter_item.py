from typing import Literal

VersionPredictionRequestWebhookEventsFilterItem = Literal["completed", "logs", "output", "start"]

VERSION_PREDICTION_REQUEST_WEBHOOK_EVENTS_FILTER_ITEM_VALUES: set[VersionPredictionRequestWebhookEventsFilterItem] = {
    "completed",
    "logs",
    "output",
    "start",
}


def check_version_prediction_request_webhook_events_filter_item(
    value: str,
) -> VersionPredictionRequestWebhookEventsFilterItem:
    if value in VERSION_PREDICTION_REQUEST_WEBHOOK_EVENTS_FILTER_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {VERSION_PREDICTION_REQUEST_WEBHOOK_EVENTS_FILTER_ITEM_VALUES!r}"
    )
