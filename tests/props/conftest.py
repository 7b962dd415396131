"""Property-based and fuzzing tests (issue 6): every parser on any input, and no token anywhere it should not be.

The hypothesis profile `props` (the default here) keeps the whole directory at about half a minute on two cores;
`HYPOTHESIS_PROFILE=thorough` runs ten times as many examples per property, for a longer look. Failing
examples are kept in `.hypothesis/` (ignored by git) and tried first on the next run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "props",
    deadline=None,  # a 2-core CI machine stalls now and then; a slow example is not a failure
    max_examples=300,  # about 25 s for the directory here, most of it the pure parsers
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("thorough", parent=settings.get_profile("props"), max_examples=3000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "props"))
