"""`python -m replicate_ext.batch REF INPUTS --out DIR`: see `--help`."""

import sys

from ._command import main

sys.exit(main())
