"""The generation pipeline: openapi.yaml -> openapi-python-client -> post-processing -> ruff -> generated/.

    python -m tools.generate [--spec openapi.yaml] [--out generated/replicate_api] [--check]

With `--check`, nothing is written: the tree is generated into a temporary folder and compared with `--out`,
and the exit status is 1 when they differ.
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .postprocess import PostprocessError, postprocess

ROOT = Path(__file__).resolve().parent.parent
# Formatting settings for the generated code, given explicitly so that the output is the same wherever it is
# written (ruff would otherwise pick up the configuration of whatever folder it runs in).
RUFF_SETTINGS = ["--isolated", "--line-length", "120", "--target-version", "py311"]


def run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"generate: `{' '.join(args)}` failed with exit status {result.returncode}")


def generate(spec: Path, config: Path, package: Path) -> None:
    """Write the generated package for `spec` into `package` (which must not exist yet)."""
    run(
        [
            sys.executable, "-m", "openapi_python_client", "generate",
            "--path", str(spec), "--config", str(config), "--meta", "none",
            "--output-path", str(package), "--fail-on-warning",
        ]
    )  # fmt: skip
    try:
        postprocess(package)
    except PostprocessError as exc:
        raise SystemExit(f"generate: {exc}") from exc
    run([sys.executable, "-m", "ruff", "check", *RUFF_SETTINGS, "--select", "I", "--fix-only", "--quiet", str(package)])
    run([sys.executable, "-m", "ruff", "format", *RUFF_SETTINGS, "--quiet", str(package)])
    for cache in package.rglob(".ruff_cache"):
        shutil.rmtree(cache)


def tree_differences(expected: Path, actual: Path) -> list[str]:
    """Human-readable differences between two folders (files missing, extra, or with other contents)."""
    problems: list[str] = []
    expected_files = {
        p.relative_to(expected) for p in expected.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }
    actual_files = {p.relative_to(actual) for p in actual.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    for rel in sorted(expected_files - actual_files):
        problems.append(f"missing: {actual / rel}")
    for rel in sorted(actual_files - expected_files):
        problems.append(f"not generated (hand-added?): {actual / rel}")
    for rel in sorted(expected_files & actual_files):
        if not filecmp.cmp(expected / rel, actual / rel, shallow=False):
            diff = difflib.unified_diff(
                (actual / rel).read_text(encoding="utf-8").splitlines(keepends=True),
                (expected / rel).read_text(encoding="utf-8").splitlines(keepends=True),
                fromfile=f"committed/{rel}",
                tofile=f"regenerated/{rel}",
                n=1,
            )
            problems.append("".join(list(diff)[:40]))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.generate", description=__doc__)
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi.yaml")
    parser.add_argument("--config", type=Path, default=ROOT / "generator-config.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "generated" / "replicate_api")
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="replicate-ext-generate-") as tmp:
        fresh = Path(tmp) / args.out.name
        generate(args.spec.resolve(), args.config.resolve(), fresh)
        if args.check:
            problems = tree_differences(fresh, args.out)
            if problems:
                print("\n".join(problems))
                print(f"{args.out} is not what `make generate` produces from {args.spec}. Run `make generate`.")
                return 1
            print(f"{args.out} matches what {args.spec} generates.")
            return 0
        if args.out.exists():
            shutil.rmtree(args.out)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(fresh, args.out)
        print(f"generated {args.out} from {args.spec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
