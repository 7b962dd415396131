"""Build the wheel, install it with its dependencies into a fresh virtual environment, and import it there.

This is what a user's `pip install replicate-ext` does; it catches packaging mistakes (a package left out of
the wheel, a dependency missing from pyproject.toml) that the editable development install hides.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = "import replicate_api, replicate_ext; from replicate_api.api.predictions import predictions_get; print('ok')"
# Without the `local` extra the server package still imports, and starting a server says what to install.
CHECK_LOCAL = (
    "import replicate_ext.local as local\n"
    "try:\n"
    "    local.LocalReplicate().start()\n"
    "except local.MissingExtraError as exc:\n"
    "    assert \"pip install 'replicate-ext[local]'\" in str(exc), exc\n"
    "    print('ok')\n"
)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="replicate-ext-install-") as tmp:
        dist, env = Path(tmp) / "dist", Path(tmp) / "env"
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", dist, ROOT],
            check=True,
        )
        wheels = list(dist.glob("*.whl"))
        venv.create(env, with_pip=True)
        python = env / "bin" / "python"
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wheels], check=True)
        # Run from the temporary folder so that nothing is imported from the source tree by accident.
        out = subprocess.run([python, "-c", CHECK], cwd=tmp, check=True, capture_output=True, text=True)
        print(f"installed {wheels[0].name} into a fresh environment: import {out.stdout.strip()}")
        local = subprocess.run([python, "-c", CHECK_LOCAL], cwd=tmp, check=True, capture_output=True, text=True)
        serve = subprocess.run(
            [env / "bin" / "replicate-ext", "serve", "--port", "0"], cwd=tmp, capture_output=True, text=True
        )
        if serve.returncode != 2 or "replicate-ext[local]" not in serve.stderr:
            print(f"replicate-ext serve without the local extra: {serve.returncode} {serve.stderr!r}", file=sys.stderr)
            return 1
        print(f"without the local extra: LocalReplicate().start() {local.stdout.strip()}; replicate-ext serve exits 2")
        example = ROOT / "examples" / "cog-hello"
        cog = subprocess.run(
            [env / "bin" / "replicate-ext", "serve", "--port", "0", "--models", f"me/hello={example}"],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        if cog.returncode != 2 or "pip install 'replicate-ext[cog]'" not in cog.stderr or cog.stderr.count("\n") != 1:
            print(f"replicate-ext serve of a Cog model without cog: {cog.returncode} {cog.stderr!r}", file=sys.stderr)
            return 1
        print("without the cog extra: serving a Cog model exits 2 saying what to install")
        # The command line works without the cli extra (rich is only for a terminal's display).
        helped = subprocess.run([env / "bin" / "replicate-ext", "--help"], cwd=tmp, capture_output=True, text=True)
        no_token = subprocess.run(
            [env / "bin" / "replicate-ext", "account"], cwd=tmp, capture_output=True, text=True, env={"PATH": ""}
        )
        if helped.returncode != 0 or "predictions" not in helped.stdout or no_token.returncode != 2:
            print(f"replicate-ext without the cli extra: {helped.returncode} {no_token.stderr!r}", file=sys.stderr)
            return 1
        print("without the cli extra: replicate-ext --help works; a command without a token exits 2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
