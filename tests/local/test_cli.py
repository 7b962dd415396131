"""The `replicate-ext serve` command and `python -m replicate_ext.local`, run as real processes."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import httpx
import pytest

from replicate_ext.local import LocalReplicate

from .conftest import validating_client
from .helpers import refused, serve


def test_python_dash_m_serves_until_interrupted_and_prints_the_url_and_token() -> None:
    with serve("--port", "0") as (process, lines):
        assert lines[0].startswith("listening on http://127.0.0.1:")
        url = lines[0].removeprefix("listening on ")
        token = lines[1].removeprefix("token: ").split()[0]
        assert token.startswith("r8_")
        response = httpx.get(url + "/v1/account", headers={"Authorization": f"Bearer {token}"})
        assert response.json()["username"] == "local"
        assert httpx.get(url + "/v1/models/demo/fractal", headers={"Authorization": "Bearer any"}).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_the_console_script_serves_user_models_with_a_fixed_token(tmp_path: Path) -> None:
    module = tmp_path / "shout.py"
    module.write_text("def predict(text: str) -> str:\n    print('shouting')\n    return text.upper()\n", "utf-8")
    script = Path(sys.executable).parent / "replicate-ext"
    with serve(
        "serve", "--port", "0", "--token", "r8_fixed", "--models", str(module), "--username", "me",
        command=(str(script),),
    ) as (process, lines):  # fmt: skip
        assert len(lines) == 1 and lines[0].startswith("listening on http://")
        url = lines[0].removeprefix("listening on ")
        with validating_client(url, token="r8_fixed") as api:
            result = api.post(
                "/models/me/shout/predictions", json={"input": {"text": "hi"}}, headers={"Prefer": "wait"}
            ).json()
            assert result["output"] == "HI" and result["logs"] == "shouting"
            assert api.get("/models/demo/sleep").status_code == 404  # only the models asked for
            assert api.get("/account", headers={"Authorization": "Bearer other"}).status_code == 401
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert process.stdout is not None and "r8_fixed" not in process.stdout.read()


def test_fault_options_reach_the_server() -> None:
    with serve("--port", "0", "--error-rate", "1", "--fault-timing", "before", "--rate-limit", "create=3/s",
               "--seed", "4") as (_process, lines):  # fmt: skip
        url = lines[0].removeprefix("listening on ")
        faults = httpx.get(url + "/_local/faults").json()
        assert faults["error_rate"] == 1.0 and faults["fault_timing"] == "before" and faults["seed"] == 4
        assert faults["rate_limit"] == {"create": 3.0}
        assert httpx.get(url + "/v1/account", headers={"Authorization": "Bearer x"}).status_code >= 500


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--models", "missing.py"], "missing.py does not exist; name an existing .py file or folder."),
        (["--error-rate", "3"], "argument --error-rate: '3' is not a fraction from 0 to 1"),
        (["--rate-limit", "often"], "often"),
        (["--token", " "], "argument --token: --token must not be empty"),
        (["--port", "http"], "argument --port: 'http' is not a port number from 0 (any free port) to 65535"),
        (["--delivery-port", "70000"], "argument --delivery-port: '70000' is not a port number"),
        (["--workers", "0"], "argument --workers: '0' is not a whole number of at least 1"),
        (["--data-uri-outputs", "-1"], "argument --data-uri-outputs: '-1' is not a whole number of at least 0"),
        (["--setup-timeout", "0"], "argument --setup-timeout: '0' is not a number of seconds above 0"),
        (["--fault-timing", "sometimes"], "argument --fault-timing: invalid choice: 'sometimes'"),
        (["--username", "a b"], "username must be letters, digits, '-' and '_', not 'a b'."),
        (["--host", "no.such.host.invalid"], "Cannot listen on no.such.host.invalid"),
        (["--token", "t", "--insecure-accept-any-token"], "--token and --insecure-accept-any-token contradict"),
        (["--models", "me/x=nowhere.py:Predictor"], "nowhere.py does not exist; name an existing .py file."),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_options_exit_with_status_2_and_one_line(args: list[str], expected: str) -> None:
    assert expected in refused(*args)


@pytest.mark.parametrize(
    ("source", "reference", "expected"),
    [
        ("import no_such_package_here\n", "me/x=broken.py:predict",
         "broken.py:1: importing it failed: there is no module named 'no_such_package_here'. Install the package "
         "that provides it into the server's Python"),
        ("def predict(text: str) -> str\n    return text\n", "me/x=broken.py:predict",
         "broken.py:1: syntax error: expected ':'. Fix the code and start the server again."),
        ("def predict(text: str) -> str:\n    return text\n", "me/x=broken.py:Predictor",
         "broken.py has no 'Predictor' (it defines predict). Name the class or function to serve: "
         "broken.py:<Name>."),
        ("raise RuntimeError('needs a GPU')\n", "broken.py",
         "broken.py:1: importing it raised RuntimeError: needs a GPU. Fix the module so that it imports."),
        ("def predict(text: list[dict[str, int]]) -> str:\n    return ''\n", "me/x=broken.py:predict",
         "is not supported"),
    ],
)  # fmt: skip
def test_a_module_that_cannot_be_served_is_one_line_naming_the_file_the_cause_and_the_fix(
    tmp_path: Path, source: str, reference: str, expected: str
) -> None:
    (tmp_path / "broken.py").write_text(source, "utf-8")
    message = refused("--models", reference, cwd=tmp_path)
    assert expected in message and "Traceback" not in message


def test_on_a_network_address_the_server_requires_its_token() -> None:
    with serve("--port", "0", "--host", "0.0.0.0") as (_process, lines):
        port = lines[0].rpartition(":")[2]
        assert lines[1].startswith("token: r8_local_") and "(generated; every request must send it" in lines[1]
        token = lines[1].removeprefix("token: ").split()[0]
        url = f"http://127.0.0.1:{port}/v1/account"
        assert httpx.get(url, headers={"Authorization": "Bearer anything"}).status_code == 401
        assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with serve("--port", "0", "--host", "0.0.0.0", "--token", "r8_mine") as (_process, lines):
        url = f"http://127.0.0.1:{lines[0].rpartition(':')[2]}/v1/account"
        assert httpx.get(url, headers={"Authorization": "Bearer anything"}).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer r8_mine"}).status_code == 200


def test_accepting_any_token_on_a_network_address_takes_a_loud_flag() -> None:
    with serve("--port", "0", "--host", "0.0.0.0", "--insecure-accept-any-token") as (process, lines):
        assert lines[1].endswith("(any non-empty Bearer token is accepted)")
        assert process.stderr is not None
        warning = process.stderr.readline()
        assert warning.startswith("replicate-ext: WARNING: listening on 0.0.0.0 and accepting ANY token")
        url = f"http://127.0.0.1:{lines[0].rpartition(':')[2]}/v1/account"
        assert httpx.get(url, headers={"Authorization": "Bearer anything"}).status_code == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.com", False)],
)  # fmt: skip
def test_only_a_loopback_host_accepts_any_token_by_default(host: str, loopback: bool) -> None:
    from replicate_ext.local._server import is_loopback

    assert is_loopback(host) is loopback
    server = LocalReplicate(host=host, demo_models=False)
    assert server.accepts_any_token is loopback
    assert LocalReplicate(host=host, accept_any_token=True, demo_models=False).accepts_any_token
    assert not LocalReplicate(host=host, token="t", demo_models=False).accepts_any_token
