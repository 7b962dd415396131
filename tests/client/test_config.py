from __future__ import annotations

import httpx
import pytest

from replicate_ext import Client, ConfigurationError
from replicate_ext._config import normalize_base_url, to_timeout, wait_timeout


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.replicate.com", "https://api.replicate.com/v1/"),
        ("https://api.replicate.com/v1", "https://api.replicate.com/v1/"),
        ("https://api.replicate.com/v1/", "https://api.replicate.com/v1/"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/v1/"),
        ("https://proxy.example/replicate", "https://proxy.example/replicate/v1/"),
    ],
)
def test_base_urls_with_and_without_v1(given: str, expected: str) -> None:
    assert str(normalize_base_url(given)) == expected


def test_base_url_from_the_environment_is_read_when_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    client = Client()
    monkeypatch.setenv("REPLICATE_BASE_URL", "http://localhost:9999")
    assert client.base_url == "http://localhost:9999/v1/"


@pytest.mark.parametrize("url", ["ftp://x", "not a url", "https://x/v1?a=1", "/v1"])
def test_bad_base_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        normalize_base_url(url)


def test_timeouts() -> None:
    assert to_timeout(3) == httpx.Timeout(3.0)
    assert to_timeout(None) == httpx.Timeout(None)
    with pytest.raises(ConfigurationError):
        to_timeout(-1)
    held = wait_timeout(httpx.Timeout(5.0, read=30.0), 60)
    assert held.read == 65.0 and held.connect == 5.0 and held.write == 5.0
    assert wait_timeout(httpx.Timeout(None), 60).read is None  # no timeout stays no timeout


def test_poll_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Client().poll_interval == 0.2
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "1.5")
    assert Client().poll_interval == 1.5
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "soon")
    with pytest.raises(ConfigurationError, match="REPLICATE_POLL_INTERVAL"):
        _ = Client().poll_interval


def test_the_token_is_never_in_a_repr() -> None:
    client = Client(api_token="r8_supersecret")
    assert "supersecret" not in repr(client)
    assert "supersecret" not in str(vars(client.__class__))


@pytest.mark.parametrize("kwargs", [{"api_token": ""}, {"poll_interval": -1}, {"headers": {"Authorization": "x"}}])
def test_bad_client_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        Client(**kwargs)  # type: ignore[arg-type]
