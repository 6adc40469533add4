"""`examgen check --jobs N`: worker processes share a family's variants, and the report is the
one a single process gives, whatever N is: answers, tallies, test-wise strategies, failures,
warnings, the draws of a course family done twice."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.check import (
    DEAD_MISTAKE_VARIANTS,
    VARIANTS_PER_ITEM,
    CheckReport,
    FamilyReport,
    Target,
    check,
    check_target,
    targets_for,
)
from generator.cli import main
from generator.families import get_family, load_family
from generator.preview import preview_stream

TARGETS = targets_for()
GradientDescentStep = type(get_family("gradient-descent-step"))


def without_time(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: without_time(v) for k, v in value.items() if k not in ("seconds", "ms_per_variant")
        }
    if isinstance(value, list):
        return [without_time(v) for v in value]
    return value


def as_printed(report: FamilyReport | CheckReport) -> str:
    """What --json prints, but for the times (in the order it prints it)."""
    return json.dumps(without_time(report.to_json()), indent=2, ensure_ascii=False)


def tallies(report: FamilyReport) -> tuple[Any, ...]:
    """What the JSON says only in part (counts, or not at all)."""
    return (
        report.fingerprints,
        report.variant_counts,
        report.live_mistakes,
        report.fair_draws_ran_out,
        report.validity.work.values,
    )


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
    assert as_printed(shared) == as_printed(alone)
    assert tallies(shared) == tallies(alone)


def scaffold(folder: Path, family_id: str) -> Path:
    result = CliRunner().invoke(
        main, ["new", family_id, "--dir", str(folder), "--answer", "number"]
    )
    assert result.exit_code == 0, result.output
    return folder / family_id


DEAD_MISTAKE = (
    '    @mistake("no-slip", "This is the answer itself.")\n'
    "    def no_slip(self, params, solution):\n"
    "        return solution.answer.value\n\n"
    "    def recheck(self, params, answer):"
)


def test_a_course_familys_report_is_the_same_for_any_number_of_processes(tmp_path):
    """A course family: its warnings (a mistake that never gives a wrong answer), its draws done
    twice, both its forms, through ``check`` as the command runs it."""
    module = scaffold(tmp_path, "slope") / "family.py"
    text = module.read_text(encoding="utf-8")
    module.write_text(text.replace("    def recheck(self, params, answer):", DEAD_MISTAKE, 1))
    targets = targets_for(extra_dirs=[tmp_path])
    course = [t for t in targets if t.family.course_module() is not None]
    assert len(course) == 2  # the free form and the choice form
    variants = DEAD_MISTAKE_VARIANTS + 5
    alone = check(course, variants, seed=3, jobs=1)
    shared = check(course, variants, seed=3, jobs=3)
    assert as_printed(shared) == as_printed(alone)
    assert [tallies(r) for r in shared.families] == [tallies(r) for r in alone.families]
    said = " ".join(w for r in shared.families for w in r.warnings)
    assert "mistake 'no-slip' gave the key (or None) in all" in said


class UnrebuildableError(Exception):
    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"{what}: {why}")


class WorkFailsOnOddSeeds(GradientDescentStep):
    """A family whose work measure raises an exception pickle cannot rebuild, on some variants:
    each one is a failure of that variant, in every process."""

    ID = "work-fails"
    FOLDER = get_family("gradient-descent-step").FOLDER  # its template

    def work(self, params, solution):
        if params.eta.q % 2:
            raise UnrebuildableError("work", "not measured")
        return super().work(params, solution)


def test_a_familys_error_outside_its_checks_is_a_failure_in_every_process():
    target = Target(WorkFailsOnOddSeeds())
    alone = check_target(target, 25, recheck=None, jobs=1)
    shared = check_target(target, 25, recheck=None, jobs=2)
    assert alone.failures and [f.seed for f in shared.failures] == [f.seed for f in alone.failures]
    assert {f.reason for f in shared.failures} == {
        "measures (work, options): UnrebuildableError: work: not measured"
    }
    assert as_printed(shared) == as_printed(alone)


def test_a_course_familys_values_survive_pickling(tmp_path):
    """Worker processes send them back: pickle imports a class by its module's name."""
    family = load_family(scaffold(tmp_path, "slope"))
    variant = family.generate(preview_stream(family, 0))
    assert type(variant.params).__module__.startswith("examgen_course_families.")
    assert pickle.loads(pickle.dumps(variant.params)) == variant.params


def test_the_progress_bar_is_shown_each_familys_work_items_and_changes_nothing():
    seen: list[tuple[str, int]] = []

    def record(items, label):
        seen.append((label, len(items)))
        yield from items

    targets = [t for t in TARGETS if t.family.ID in ("sgd-direction", "sgd-iterations")]
    variants = 2 * VARIANTS_PER_ITEM + 1
    shown = check(targets, variants, seed=1, jobs=2, progress=record)
    assert seen == [(t.label, 3) for t in targets]
    assert as_printed(shown) == as_printed(check(targets, variants, seed=1, jobs=2))
