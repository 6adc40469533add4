"""`examgen check --jobs N`: worker processes share a family's variants, and the report is the
one a single process gives, whatever N is (answers, tallies, test-wise strategies, failures)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.check import VARIANTS_PER_ITEM, FamilyReport, check_target, targets_for

TARGETS = targets_for()


def everything_but_time(report: FamilyReport) -> dict[str, Any]:
    def without_time(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: without_time(v)
                for k, v in value.items()
                if k not in ("seconds", "ms_per_variant")
            }
        if isinstance(value, list):
            return [without_time(v) for v in value]
        return value

    return {
        "json": without_time(report.to_json()),
        "fingerprints": report.fingerprints,
        "variant_counts": report.variant_counts,
        "live_mistakes": report.live_mistakes,
        "fair_draws_ran_out": report.fair_draws_ran_out,
        "work": report.validity.work.values,
    }


@settings(max_examples=8, deadline=None)
@given(
    target=st.sampled_from(TARGETS),
    seed=st.integers(0, 10**6),
    # At least two work items, so that the workers share them.
    variants=st.integers(VARIANTS_PER_ITEM + 1, 3 * VARIANTS_PER_ITEM + 2),
    jobs=st.integers(2, 3),
)
def test_the_report_is_the_same_for_any_number_of_processes(target, seed, variants, jobs):
    alone = check_target(target, variants, seed, jobs=1)
    shared = check_target(target, variants, seed, jobs=jobs)
    assert alone.variants == shared.variants == variants
    assert everything_but_time(shared) == everything_but_time(alone)
