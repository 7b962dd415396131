"""In-process tests of the server's pure logic: schemas, validation, logs, faults, headers, pagination."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from replicate_ext.local import (
    BasePredictor,
    ConcatenateIterator,
    Faults,
    Input,
    InputValidationError,
    PredictorDefinitionError,
    ProblemError,
    sign_webhook,
)
from replicate_ext.local._faults import TokenBucket, parse_rate, parse_rate_limits
from replicate_ext.local._files import parse_data_uri
from replicate_ext.local._http import parse_cancel_after, parse_prefer
from replicate_ext.local._logs import LineSplitter
from replicate_ext.local._predictor import load_predictor, load_predictors_from_file
from replicate_ext.local._routes import classify
from replicate_ext.local._schema import validate_input
from replicate_ext.local._state import decode_cursor, encode_cursor, paginate_by_time, parse_time


class Scheduler(BasePredictor):
    """Tests every kind of input."""

    def predict(
        self,
        prompt: str = Input(description="The prompt", min_length=1, max_length=10),
        scheduler: str = Input(default="ddim", choices=["ddim", "euler"]),
        mode: Literal["fast", "slow"] = "fast",
        strength: float = Input(default=0.5, ge=0, le=1),
        images: list[Path] | None = None,
        code: str = Input(default="ab", regex=r"^[a-z]+$"),
        seed: int | None = None,
    ) -> Iterator[str]:
        yield prompt


def test_the_schema_follows_cogs_layout() -> None:
    spec = load_predictor(Scheduler)
    schemas = spec.openapi_schema["components"]["schemas"]
    properties = schemas["Input"]["properties"]
    assert schemas["Input"]["required"] == ["prompt"]
    assert [p["x-order"] for p in properties.values()] == list(range(7))
    assert properties["prompt"] == {
        "type": "string",
        "title": "Prompt",
        "x-order": 0,
        "description": "The prompt",
        "minLength": 1,
        "maxLength": 10,
    }
    assert properties["scheduler"] == {
        "allOf": [{"$ref": "#/components/schemas/scheduler"}],
        "title": "Scheduler",
        "x-order": 1,
        "default": "ddim",
    }
    assert schemas["scheduler"] == {
        "title": "scheduler",
        "description": "An enumeration.",
        "enum": ["ddim", "euler"],
        "type": "string",
    }
    assert schemas["mode"]["enum"] == ["fast", "slow"]
    assert properties["strength"]["minimum"] == 0 and properties["strength"]["maximum"] == 1
    assert properties["images"]["items"] == {"type": "string", "format": "uri"}
    assert properties["code"]["pattern"] == "^[a-z]+$"
    assert "default" not in properties["seed"] and properties["seed"]["nullable"] is True
    assert schemas["Output"] == {
        "type": "array",
        "items": {"type": "string"},
        "title": "Output",
        "x-cog-array-type": "iterator",
    }
    assert spec.train is None and "TrainingInput" not in schemas
    assert spec.version_id == load_predictor(Scheduler).version_id and len(spec.version_id) == 64


def test_validation_fills_defaults_and_names_the_failing_field() -> None:
    signature = load_predictor(Scheduler).predict
    kwargs = validate_input(signature, {"prompt": "hi"})
    assert kwargs == {
        "prompt": "hi",
        "scheduler": "ddim",
        "mode": "fast",
        "strength": 0.5,
        "images": None,
        "code": "ab",
        "seed": None,
    }
    with pytest.raises(InputValidationError, match="extra: this model has no such input"):
        validate_input(signature, {"prompt": "hi", "extra": 1})
    cases: dict[str, list[Any]] = {
        "prompt": [{}, {"prompt": ""}, {"prompt": "x" * 11}, {"prompt": 1}],
        "scheduler": [{"prompt": "a", "scheduler": "heun"}],
        "mode": [{"prompt": "a", "mode": "medium"}],
        "strength": [{"prompt": "a", "strength": 2}, {"prompt": "a", "strength": "1"}],
        "images": [{"prompt": "a", "images": "data:,x"}, {"prompt": "a", "images": ["/tmp/x"]}],
        "code": [{"prompt": "a", "code": "AB"}],
        "seed": [{"prompt": "a", "seed": 1.5}, {"prompt": "a", "seed": False}],
    }
    for field, inputs in cases.items():
        for raw in inputs:
            with pytest.raises(InputValidationError) as caught:
                validate_input(signature, raw)
            assert caught.value.field == field and field in str(caught.value)
    with pytest.raises(InputValidationError):
        validate_input(signature, [1])
    kwargs = validate_input(signature, {"prompt": "a", "strength": 1, "seed": 3.0, "images": ["https://x/y"]})
    assert kwargs["strength"] == 1.0 and isinstance(kwargs["strength"], float) and kwargs["seed"] == 3


def test_streamed_text_outputs_are_concatenate_iterators() -> None:
    def sync_tokens() -> ConcatenateIterator[str]:
        yield "a"

    async def async_tokens() -> AsyncIterator[str]:
        yield "a"

    sync = load_predictor(sync_tokens).predict
    assert sync.output.schema["x-cog-array-display"] == "concatenate" and not sync.is_async_generator
    asynchronous = load_predictor(async_tokens).predict
    assert asynchronous.is_async_generator and asynchronous.output.iterator
    assert "x-cog-array-display" not in asynchronous.output.schema


def test_unsupported_signatures_are_rejected_with_a_clear_error() -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    def star(*args: int) -> int:
        return 0

    def complex_type(x: complex) -> int:
        return 0

    def union(x: int | str) -> int:
        return 0

    for predictor in (untyped, star, complex_type, union):
        with pytest.raises(PredictorDefinitionError):
            load_predictor(predictor)
    with pytest.raises(PredictorDefinitionError):
        load_predictor(object())
    with pytest.raises(ValueError):
        Input(choices=[])

    def bad_default(mode: str = Input(default="c", choices=["a", "b"])) -> str:
        return mode

    with pytest.raises(PredictorDefinitionError):
        load_predictor(bad_default)
    with pytest.raises(PredictorDefinitionError):
        load_predictor("no-colon")


def test_predictors_load_from_a_file(tmp_path: Path) -> None:
    module = tmp_path / "my_models.py"
    module.write_text(
        "from replicate_ext.local import BasePredictor\n"
        "class ImageMaker(BasePredictor):\n"
        "    def predict(self, n: int = 1) -> int:\n"
        "        return n\n"
        "def predict(text: str) -> str:\n"
        "    return text\n",
        encoding="utf-8",
    )
    found = load_predictors_from_file(module, owner="me")
    assert sorted(found) == ["me/image-maker", "me/my-models"]
    spec = load_predictor(f"{module}:ImageMaker")
    assert [f.name for f in spec.predict.fields] == ["n"]
    declared = tmp_path / "declared.py"
    declared.write_text("def f(x: int) -> int:\n    return x\nMODELS = {'a/b': f}\n", encoding="utf-8")
    assert list(load_predictors_from_file(declared, owner="me")) == ["a/b"]
    with pytest.raises(PredictorDefinitionError):
        load_predictors_from_file(tmp_path / "missing.py", owner="me")


def test_the_line_splitter_treats_carriage_returns_as_line_breaks() -> None:
    splitter = LineSplitter()
    assert splitter.feed("Using seed: 1\n") == ["Using seed: 1"]
    assert splitter.feed("\r  0%|          | 0/5") == []
    assert splitter.feed("\r 40%|████      | 2/5") == ["  0%|          | 0/5"]
    assert splitter.feed("\r100%|██████████| 5/5\n") == [" 40%|████      | 2/5", "100%|██████████| 5/5"]
    assert splitter.feed("\n") == [""]
    assert splitter.feed("a\r\nb") == ["a"]
    assert splitter.partial == "b"
    assert splitter.flush() == ["b"] and splitter.flush() == []


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("wait", 60.0), ("wait=1", 1.0), ("wait=60", 60.0), (" wait=5 ", 5.0)]
)
def test_prefer_values(value: str | None, expected: float | None) -> None:
    assert parse_prefer(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("30s", 30.0), ("5m", 300.0), ("1h30m45s", 5445.0), ("250ms", 0.25), ("12", 12.0), ("1.5m", 90.0)],
)
def test_cancel_after_durations(value: str, expected: float) -> None:
    assert parse_cancel_after(value, 0.0) == expected


def test_cancel_after_minimum_and_garbage() -> None:
    for value in ("4s", "abc", "", "5 m"):
        with pytest.raises(ProblemError) as caught:
            parse_cancel_after(value, 5.0)
        assert caught.value.status == 400
    assert parse_cancel_after(None, 5.0) is None


def test_rates_and_rate_limits_parse() -> None:
    assert parse_rate("20/s") == 20.0 and parse_rate("600/m") == 10.0 and parse_rate("5") == 5.0
    assert parse_rate_limits(["20/s"]) == {"create": 20.0, "read": 20.0, "write": 20.0}
    assert parse_rate_limits(["10/s", "create=2/s"]) == {"create": 2.0, "read": 10.0, "write": 10.0}
    for bad in (["fast"], ["stream=1/s"], ["0/s"]):
        with pytest.raises(ValueError):
            parse_rate_limits(bad)


def test_fault_settings_are_checked() -> None:
    for bad in (
        {"error_rate": 1.5},
        {"error_rate": 0.6, "reset_rate": 0.6},
        {"fault_timing": "during"},
        {"fault_routes": ["everything"]},
        {"latency_ms": -1},
        {"error_statuses": [404]},
        {"seed": "x"},
        {"rate_limit": {"create": 0}},
    ):
        with pytest.raises(ValueError):
            Faults.from_mapping(bad)
    faults = Faults.from_mapping({"rate_limit": {"create": "3/s"}, "fault_routes": ["create"], "seed": 1})
    assert faults.rate_limit == {"create": 3.0} and faults.fault_routes == frozenset({"create"})
    assert Faults.from_mapping(faults.to_dict()) == faults


def test_the_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(2.0)
    assert bucket.take() == 0.0 and bucket.take() == 0.0
    wait = bucket.take()
    assert 0 < wait <= 0.5


def test_routes_are_classified() -> None:
    assert classify("POST", "/v1/predictions")[:2] == ("POST /v1/predictions", "create")
    assert classify("POST", "/v1/models/a/b/versions/c/trainings")[1] == "create"
    assert classify("POST", "/v1/predictions/x/cancel")[1] == "write"
    assert classify("QUERY", "/v1/models")[:2] == ("QUERY /v1/models", "read")
    assert classify("GET", "/v1/nothing")[0] == "GET (unmatched)"
    assert classify("PUT", "/v1/predictions")[0] == "PUT /v1/predictions"


def test_webhook_signatures_match_the_standard_webhooks_test_vector() -> None:
    signature = sign_webhook(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_data_uris_decode() -> None:
    assert parse_data_uri("data:text/plain;base64,aGVsbG8=") == ("text/plain", b"hello")
    assert parse_data_uri("data:,a%20b") == ("text/plain", b"a b")
    with pytest.raises(ValueError):
        parse_data_uri("data:nothing")


def test_pagination_by_time_walks_both_ways() -> None:
    items = list(range(10))
    times = [1000 + i for i in items]
    page, next_cursor, previous = paginate_by_time(items, times, cursor=None, page_size=4)
    assert page == [9, 8, 7, 6] and previous is None and next_cursor is not None
    page2, next2, previous2 = paginate_by_time(items, times, cursor=next_cursor, page_size=4)
    assert page2 == [5, 4, 3, 2] and previous2 is not None
    assert paginate_by_time(items, times, cursor=previous2, page_size=4)[0] == [9, 8, 7, 6]
    assert paginate_by_time(items, times, cursor=next2, page_size=4)[0] == [1, 0]
    assert paginate_by_time(items, times, cursor=None, page_size=4, after=1002, before=1005)[0] == [4, 3]
    assert decode_cursor(encode_cursor({"b": 5})) == {"b": 5}
    assert parse_time("1970-01-01T00:00:01.000002Z") == 1_000_002
    assert parse_time("1970-01-01T01:00:00+01:00") == 0


def test_async_predictors_are_recognised() -> None:
    async def wait(seconds: float = 0.0) -> float:
        await asyncio.sleep(seconds)
        return seconds

    signature = load_predictor(wait).predict
    assert signature.is_coroutine and not signature.is_async_generator
