"""The benchmark's environments: one venv per client, created once and reused while their pins do not change.

Every client, replicate_ext included, runs in a venv of its own in `bench/.envs/` (ignored by git) holding only
what a user's `pip install` would bring: the project's `.venv` also holds the development tools, and some of them
(rich, click) make `import httpx` itself slower, which would skew the import and first-request cases. A venv is
rebuilt when the requirements recorded in its `.bench-spec` file differ from the ones here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["ENVS", "PYTHON_FOR_CLIENT", "ensure_envs", "versions"]

ROOT = Path(__file__).resolve().parent.parent
ENV_DIR = ROOT / "bench" / ".envs"

# Environment name -> pip arguments. "{root}" is the project's folder.
ENVS: dict[str, list[str]] = {
    # replicate_ext as a user installs it (editable, so it is the source under test), with its runtime deps only.
    "ours": ["-e", "{root}"],
    "v1": ["replicate==1.0.7"],
    "v2": ["--pre", "replicate==2.0.0b4"],
    "httpx": ["httpx==0.28.1"],
    # replicate_ext (editable, the same source) with httpx-aiohttp for its async transport.
    "ours-aiohttp": ["-e", "{root}", "httpx-aiohttp==0.2.0"],
}

# The project's console scripts: an editable install writes them once, so a venv holding the project is rebuilt
# when they change (as when its pins change).
SCRIPTS = ["replicate-ext=replicate_ext.cli:main"]

# Which environment each adapter runs in.
PYTHON_FOR_CLIENT = {
    "ours": "ours",
    "stdlib": "ours",
    "asyncio-raw": "ours",
    "python": "ours",
    "ours-aiohttp": "ours-aiohttp",
    "v1": "v1",
    "v2": "v2",
    "httpx": "httpx",
    "ours-cli": "ours",
}

_PACKAGES = [
    "replicate-ext", "replicate", "httpx", "httpcore", "h11", "anyio", "sniffio", "pydantic", "pydantic-core",
    "attrs", "httpx-sse", "aiohttp", "httpx-aiohttp",
]  # fmt: skip


def python_of(env: str) -> Path:
    return ENV_DIR / env / "bin" / "python"


def ensure_envs(log: bool = True) -> dict[str, Path]:
    """Create the missing or outdated venvs; return each environment's Python."""
    pythons: dict[str, Path] = {}
    for env, requirements in ENVS.items():
        args = [arg.format(root=ROOT) for arg in requirements]
        folder = ENV_DIR / env
        spec_file = folder / ".bench-spec"
        spec = json.dumps([*args, *(SCRIPTS if "{root}" in requirements else [])])
        if not (spec_file.exists() and spec_file.read_text() == spec and python_of(env).exists()):
            if log:
                print(f"creating bench/.envs/{env}: pip install {' '.join(args)}", flush=True)
            shutil.rmtree(folder, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
            subprocess.run(
                [str(python_of(env)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
                check=True,
            )
            spec_file.write_text(spec)
        pythons[env] = python_of(env)
    return pythons


def versions(python: Path) -> dict[str, str]:
    """The versions of the packages that matter, as installed in the environment of `python`."""
    code = (
        "import importlib.metadata as m, json\n"
        "out = {}\n"
        f"for p in {_PACKAGES!r}:\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    result = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True)
    found: dict[str, str] = json.loads(result.stdout)
    return found
