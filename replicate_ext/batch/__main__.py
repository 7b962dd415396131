"""`python -m replicate_ext.batch REF INPUTS --out DIR`: the command `replicate-ext batch` (see `--help`)."""

import sys

from replicate_ext.cli import main

sys.exit(main(["batch", *sys.argv[1:]]))
