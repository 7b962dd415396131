from typing import Literal

ModelCreateRequestVisibility = Literal["private", "public"]

MODEL_CREATE_REQUEST_VISIBILITY_VALUES: set[ModelCreateRequestVisibility] = {
    "private",
    "public",
}


def check_model_create_request_visibility(value: str) -> ModelCreateRequestVisibility:
    if value in MODEL_CREATE_REQUEST_VISIBILITY_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {MODEL_CREATE_REQUEST_VISIBILITY_VALUES!r}")
