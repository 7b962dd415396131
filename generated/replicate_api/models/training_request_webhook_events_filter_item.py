from typing import Literal

TrainingRequestWebhookEventsFilterItem = Literal["completed", "logs", "output", "start"]

TRAINING_REQUEST_WEBHOOK_EVENTS_FILTER_ITEM_VALUES: set[TrainingRequestWebhookEventsFilterItem] = {
    "completed",
    "logs",
    "output",
    "start",
}


def check_training_request_webhook_events_filter_item(value: str) -> TrainingRequestWebhookEventsFilterItem:
    if value in TRAINING_REQUEST_WEBHOOK_EVENTS_FILTER_ITEM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {TRAINING_REQUEST_WEBHOOK_EVENTS_FILTER_ITEM_VALUES!r}"
    )
