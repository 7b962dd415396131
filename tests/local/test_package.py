"""The package's shape: cheap imports, exports, the missing-extra error, the pytest plugin and fixture."""

from __future__ import annotations

import builtins
import subprocess
import sys
from typing import Any

import httpx
import pytest

import replicate_ext.local
from replicate_ext.local import LocalReplicate, MissingExtraError


def test_every_public_name_is_exported_once_in_a_sorted_all() -> None:
    names = replicate_ext.local.__all__
    assert names == sorted(names) and len(set(names)) == len(names)
    for name in names:
        assert getattr(replicate_ext.local, name).__doc__, name


def test_importing_the_package_and_its_plugin_imports_no_web_stack() -> None:
    code = (
        "import sys; import replicate_ext.local, replicate_ext.local._pytest_plugin; "
        "print(sorted(m for m in ('starlette', 'uvicorn', 'sse_starlette', 'python_multipart', 'httpx', 'anyio') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_missing_extra_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "uvicorn":
            raise ImportError("No module named 'uvicorn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingExtraError) as caught:
        LocalReplicate().start()
    assert "pip install 'replicate-ext[local]'" in str(caught.value)
    assert isinstance(caught.value, ImportError)


def test_options_are_checked_before_starting() -> None:
    for kwargs in ({"workers": 0}, {"page_size": 0}, {"token": ""}, {"webhook_secret": "nope"}):
        with pytest.raises(ValueError):
            LocalReplicate(**kwargs)
    with pytest.raises(ValueError):
        LocalReplicate(models={"no-slash": lambda: None})
    server = LocalReplicate()
    with pytest.raises(RuntimeError):
        _ = server.url
    assert "not started" in repr(server)


def test_the_server_is_restartable_and_stop_is_idempotent() -> None:
    server = LocalReplicate(demo_models=False)
    with server:
        first = server.url
        assert server.models == []
    server.stop()
    with server:
        assert server.url != first or httpx.get(server.url + "/_local/stats").status_code == 200


@pytest.mark.replicate_local(workers=3, username="fixture-user")
def test_the_pytest_fixture_yields_a_running_server(replicate_local: LocalReplicate) -> None:
    assert replicate_local.workers == 3
    response = httpx.get(
        replicate_local.url + "/v1/account", headers={"Authorization": f"Bearer {replicate_local.token}"}
    )
    assert response.json()["username"] == "fixture-user"
    assert "demo/fractal" in replicate_local.models
    assert replicate_local.delivery_url != replicate_local.url


def test_the_plugin_is_registered_through_its_entry_point(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("replicate_ext_local")
