"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

from hypothesis import strategies as st

from generator.seeding import MAX_SEED

seeds = st.integers(min_value=0, max_value=MAX_SEED)
# Student IDs as registrars, LMS exports and hostile rosters write them.
student_ids = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s != "")
