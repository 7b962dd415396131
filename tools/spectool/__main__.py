"""Command line of the spec tool (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from .document import SpecError, dump_yaml, load_document
from .facts import compare
from .fixes import FIXES, apply_fixes

HEADER = """\
Replicate's HTTP API as replicate_ext uses it. Do not edit: `make update-spec UPSTREAM=<file>` writes it.
Upstream: {name} (sha256 {digest}).
Fixes applied, in order ({count}):
{fixes}"""


def render(upstream: Path) -> str:
    """The text of `openapi.yaml` for an upstream document."""
    doc, digest = load_document(upstream)
    fixed = apply_fixes(doc)
    order = ["openapi", "info", "servers", "security", "paths", "x-query-operations", "components"]
    fixed = {key: fixed[key] for key in sorted(fixed, key=lambda k: (order.index(k) if k in order else len(order), k))}
    fixes = "\n".join(f"  {f.name}: {f.why}" for f in FIXES)
    header = HEADER.format(name=upstream.name, digest=digest, count=len(FIXES), fixes=fixes)
    return dump_yaml(fixed, header)


def update(upstream: Path, out: Path) -> int:
    text = render(upstream)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} from {upstream} with {len(FIXES)} fixes")
    return 0


def diff(upstream: Path, spec: Path, verbose: bool) -> int:
    theirs, _ = load_document(upstream)
    ours, _ = load_document(spec)
    differences = compare(theirs, ours)
    by_fix: Counter[str] = Counter()
    unexplained = []
    for difference in differences:
        reason = next((f.name for f in FIXES if f.explains(difference)), None)
        if reason is None:
            unexplained.append(difference)
            continue
        by_fix[reason] += 1
        if verbose:
            print(f"  {difference}  (fix {reason})")
    print(f"{len(differences)} structural differences between {spec} and {upstream}:")
    for name, count in sorted(by_fix.items()):
        print(f"  {count:4d} made by fix {name}")
    if unexplained:
        print(f"  {len(unexplained):4d} not explained by any fix (drift):")
        for difference in unexplained:
            print(f"         {difference}")
        print("Run `make update-spec UPSTREAM=...`, or change the fixes if upstream changed.")
        return 1
    print("No drift: every difference is one of the project's fixes.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.spectool", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_update = sub.add_parser("update", help="write openapi.yaml from an upstream document")
    p_update.add_argument("--upstream", type=Path, required=True)
    p_update.add_argument("--out", type=Path, default=Path("openapi.yaml"))
    p_diff = sub.add_parser("diff", help="structural differences between openapi.yaml and upstream")
    p_diff.add_argument("--upstream", type=Path, required=True)
    p_diff.add_argument("--spec", type=Path, default=Path("openapi.yaml"))
    p_diff.add_argument("--verbose", "-v", action="store_true", help="also list the differences fixes explain")
    sub.add_parser("fixes", help="list the fixes")
    args = parser.parse_args(argv)
    try:
        if args.command == "update":
            return update(args.upstream, args.out)
        if args.command == "diff":
            return diff(args.upstream, args.spec, args.verbose)
        for f in FIXES:
            print(f"{f.name}: {f.why}")
        return 0
    except SpecError as exc:
        print(f"spec tool: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
