"""Shared test setup: hypothesis profiles and small helpers.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) runs more examples with no deadline, since CI machines
are noisy; ``dev`` (the default) keeps the local loop quick.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
