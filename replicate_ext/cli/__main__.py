"""`python -m replicate_ext.cli`: the same as the `replicate-ext` command."""

from . import main

raise SystemExit(main())
