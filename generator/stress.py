"""Many seeds through one family: how its answers fall, and which seed fails.

Like R/exams' ``stresstest_exercise``. A true/false family whose answer is nearly always "False",
or a multiple-choice family whose correct letter is nearly always "A", lets a student score
without knowing anything; a family that fails for one seed in a thousand breaks some student's
exam. ``stress`` runs the family's own ``generate`` over many seeds and reports both, naming
every seed that failed so it can be pinned in a test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.errors import ExamgenError
from generator.families.base import Family
from generator.seeding import stream


@dataclass
class StressReport:
    family_id: str
    runs: int = 0
    #: Answer values for true/false and multiple-choice families (True/False, or the letter).
    answers: Counter[Any] = field(default_factory=Counter)
    #: How many choices students saw (multiple choice only).
    choice_counts: Counter[int] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)
    failures: dict[int, str] = field(default_factory=dict)

    def share(self, answer: Any) -> float:
        return self.answers[answer] / max(1, self.runs - len(self.failures))

    def summary(self) -> str:
        lines = [f"{self.family_id}: {self.runs} seeds, {len(self.failures)} failed"]
        if self.answers:
            spread = ", ".join(f"{a}: {self.share(a):.1%}" for a in sorted(self.answers, key=str))
            lines.append(f"  answers: {spread}")
        if self.choice_counts:
            lines.append(f"  choices shown: {dict(sorted(self.choice_counts.items()))}")
        if self.rejections:
            common = ", ".join(f"{r} ×{n}" for r, n in self.rejections.most_common(4))
            lines.append(f"  rejected candidates: {common}")
        for seed, error in list(self.failures.items())[:5]:
            lines.append(f"  seed {seed} failed: {error}")
        return "\n".join(lines)


def stress(
    family: Family, seeds: Iterable[int], pinned: Mapping[str, Any] | None = None
) -> StressReport:
    """Generate ``family`` once per seed (stream ``(seed, "stress", ID)``) and tally the answers."""
    report = StressReport(family.ID)
    for seed in seeds:
        report.runs += 1
        try:
            variant = family.generate(stream(seed, "stress", family.ID), pinned)
        except ExamgenError as err:
            report.failures[seed] = str(err)
            continue
        report.rejections.update(variant.rejections)
        answer = variant.solution.answer
        if answer.kind in ("bool", "choice"):
            report.answers[answer.value] += 1
        if answer.kind == "choice":
            report.choice_counts[len(variant.solution.steps["choices"])] += 1
    return report
