"""`python -m replicate_ext.local`: the same as the `replicate-ext` command."""

from ._cli import main

raise SystemExit(main())
