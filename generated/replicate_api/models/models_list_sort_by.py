from typing import Literal

ModelsListSortBy = Literal["latest_version_created_at", "model_created_at"]

MODELS_LIST_SORT_BY_VALUES: set[ModelsListSortBy] = {
    "latest_version_created_at",
    "model_created_at",
}


def check_models_list_sort_by(value: str) -> ModelsListSortBy:
    if value in MODELS_LIST_SORT_BY_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {MODELS_LIST_SORT_BY_VALUES!r}")
