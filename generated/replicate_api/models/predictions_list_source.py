from typing import Literal

PredictionsListSource = Literal["web"]

PREDICTIONS_LIST_SOURCE_VALUES: set[PredictionsListSource] = {
    "web",
}


def check_predictions_list_source(value: str) -> PredictionsListSource:
    if value in PREDICTIONS_LIST_SOURCE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {PREDICTIONS_LIST_SOURCE_VALUES!r}")
