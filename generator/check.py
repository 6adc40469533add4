"""``examgen check``: sample many variants of each family and prove every one before printing.

A variant that breaks during an exam is what instructors fear most, so this is a stress run in the
spirit of R/exams' ``stresstest_exercise``: variant *i* of a run with ``--seed S`` is exactly what
``examgen preview FAMILY --seed S+i`` shows, so every seed a failure names can be looked at. Each
variant must

- generate (solve within the family's tries) and still pass its budget and degenerate rules,
- give an answer that serialises for key.json and key.csv,
- have key params that, pinned back, reproduce it (a grader or a rebuild relies on that),
- render in LaTeX and Markdown, as the exam and as the solutions,
- agree with the family's independent re-check (``generator.recheck``), when it has one.

Per family it reports tries and rejections by reason (the resampling the budget costs), distinct
fingerprints, the answer distribution (truth shares, correct-choice positions, the range of numeric
answers and their denominators) and time per variant. Two failures concern a family rather than a
variant: a true/false family whose answer never changes, and a multiple-choice family whose correct
option always sits at the same letter (students would learn the letter, not the idea).
"""

from __future__ import annotations

import json
import shlex
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy

from generator.build import Question, render_question
from generator.errors import ExamgenError, NoAcceptableVariant
from generator.exact import exact_str, to_json
from generator.families.base import Answer, Family, Recheck, Variant
from generator.fingerprint import fingerprint
from generator.preview import preview_stream
from generator.recheck import recheck_for
from generator.render import FORMATS
from generator.seeding import MAX_SEED
from generator.spec import Slot, Spec

DEFAULT_VARIANTS = 1000
#: A family stops after this many failing variants: enough to see the pattern, and a family that
#: fails every variant would otherwise spend its whole resampling budget on each one.
MAX_FAILURES = 20
#: Below this many variants a constant truth value or choice position may be chance.
MIN_VARIANTS_FOR_SHARES = 50
#: Seeds listed per failure reason in the table (the JSON lists all).
SEEDS_SHOWN = 10
UNSET: Any = object()


@dataclass(frozen=True)
class Target:
    """What to check: a family, the params a spec pins for it, and the spec question it serves."""

    family: Family
    pinned: Mapping[str, Any] = field(default_factory=dict)
    question: int | None = None

    @property
    def label(self) -> str:
        return self.family.ID if self.question is None else f"q{self.question} {self.family.ID}"

    def reproduce(self, seed: int) -> str:
        command = f"examgen preview {self.family.ID} --seed {seed}"
        if self.family.FORM == "choice":
            command += " --form choice"
        if self.pinned:
            command += " --params " + shlex.quote(json.dumps(to_json(dict(self.pinned))))
        return command


@dataclass(frozen=True)
class Failure:
    """A variant (named by its seed) or a whole family (no seed) that must not go to print."""

    reason: str
    seed: int | None = None
    variant: int | None = None
    reproduce: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "variant": self.variant,
            "reason": self.reason,
            "reproduce": self.reproduce,
        }


@dataclass
class AnswerStats:
    """How answers spread over the variants: is "False" always the answer? Is it always "B"?"""

    kinds: Counter[str] = field(default_factory=Counter)
    truth: Counter[bool] = field(default_factory=Counter)
    positions: Counter[str] = field(default_factory=Counter)
    low: sympy.Rational | None = None
    high: sympy.Rational | None = None
    denominators: Counter[int] = field(default_factory=Counter)
    #: How many choices the students saw (multiple choice only).
    choices_shown: Counter[int] = field(default_factory=Counter)

    def add(self, answer: Answer, shown: int = 0) -> None:
        """Tally one accepted answer; ``shown`` is how many choices its question printed."""
        self.kinds[answer.kind] += 1
        if answer.kind == "bool":
            self.truth[bool(answer.value)] += 1
        elif answer.kind == "choice":
            self.positions[str(answer.value)] += 1
            self.choices_shown[shown] += 1
        else:
            values = answer.value if answer.kind == "vector" else (answer.value,)
            for value in map(sympy.Rational, values):
                self.low = value if self.low is None else min(self.low, value)
                self.high = value if self.high is None else max(self.high, value)
                self.denominators[int(value.q)] += 1

    def share(self, value: bool | str) -> float:
        """The share of true/false answers equal to ``value``, or of choice answers at letter
        ``value``."""
        counts: Counter[Any] = self.truth if isinstance(value, bool) else self.positions
        return counts[value] / max(1, sum(counts.values()))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kinds": dict(sorted(self.kinds.items()))}
        if self.truth:
            out["truth"] = {"true": self.truth[True], "false": self.truth[False]}
        if self.positions:
            out["positions"] = dict(sorted(self.positions.items()))
        if self.low is not None:
            out["min"] = exact_str(self.low)
            out["max"] = exact_str(self.high)
            out["denominators"] = {str(q): n for q, n in sorted(self.denominators.items())}
        return out

    def summary(self) -> str:
        parts = [", ".join(sorted(self.kinds)) or "none"]
        total = sum(self.truth.values())
        if total:
            parts.append(
                f"True {self.truth[True] / total:.0%} · False {self.truth[False] / total:.0%}"
            )
        total = sum(self.positions.values())
        if total:
            parts.append(
                " · ".join(f"{p} {n / total:.0%}" for p, n in sorted(self.positions.items()))
            )
        if self.low is not None:
            parts.append(f"values {exact_str(self.low)} … {exact_str(self.high)}")
            parts.append(f"denominators {min(self.denominators)} … {max(self.denominators)}")
        return "; ".join(parts)


@dataclass
class FamilyReport:
    target: Target
    seed: int
    variants: int = 0
    tries: int = 0
    fingerprints: set[str] = field(default_factory=set)
    rejected: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    answers: AnswerStats = field(default_factory=AnswerStats)
    rechecked: bool = False
    stopped_early: bool = False
    seconds: float = 0.0
    generate_seconds: float = 0.0

    @property
    def ms_per_variant(self) -> float:
        """Time to generate one variant (what a build pays), without this command's checks."""
        return 1000 * self.generate_seconds / max(self.variants, 1)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.target.family.ID}
        if self.target.question is not None:
            out["question"] = self.target.question
            out["pinned"] = to_json(dict(self.target.pinned))
        return out | {
            "variants": self.variants,
            "tries": self.tries,
            "distinct": len(self.fingerprints),
            "rejected": dict(self.rejected.most_common()),
            "failures": [f.to_json() for f in self.failures],
            "stopped_early": self.stopped_early,
            "rechecked": self.rechecked,
            "answers": self.answers.to_json(),
            "seconds": round(self.seconds, 3),
            "ms_per_variant": round(self.ms_per_variant, 3),
        }


@dataclass
class CheckReport:
    families: list[FamilyReport]
    variants: int
    seed: int

    @property
    def failures(self) -> list[tuple[FamilyReport, Failure]]:
        return [(r, f) for r in self.families for f in r.failures]

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "variants": self.variants,
            "ok": self.ok,
            "families": [r.to_json() for r in self.families],
        }

    def table(self) -> str:
        return format_table(self)


# --- checking one variant -----------------------------------------------------------------------
def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    message = text[0] if text else ""
    if len(message) > 200:
        message = message[:199] + "…"
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def variant_problem(variant: Variant, target: Target, recheck: Recheck | None) -> str | None:
    """The first thing wrong with an accepted variant, or ``None``. Nothing here solves again."""
    family, params, solution = variant.family, variant.params, variant.solution
    try:
        reason = family.rejection(params, solution)
    except Exception as err:
        return f"rules: {_one_line(err)}"
    if reason is not None:
        return f"accepted although it breaks {reason}"
    try:
        answer_json = solution.answer.to_json()
        solution.answer.cell()
        params_json = json.loads(json.dumps(variant.key_params()))
    except Exception as err:
        return f"key: {_one_line(err)}"
    try:
        repinned = family.parse_params(params_json)
    except Exception as err:
        return f"key params do not parse back: {_one_line(err)}"
    if not _reproduces(variant, repinned):
        fields = {name: getattr(params, name) for name in family.param_names()}
        changed = sorted(n for n in fields if repinned.get(n) != fields[n])
        return f"key params do not reproduce the variant (differs: {', '.join(changed)})"
    slot = Slot(target.question or 1, family, 1, target.pinned)
    for fmt in FORMATS:
        for show_solutions in (False, True):
            try:
                render_question(fmt, Question(slot, variant), show_solutions)
            except Exception as err:
                version = "solutions" if show_solutions else "exam"
                return f"render {fmt} {version}: {_one_line(err)}"
    if recheck is not None:
        try:
            problem = recheck(params_json, answer_json)
        except Exception as err:
            problem = _one_line(err)
        if problem is not None:
            return f"re-check: {problem}"
    return None


def _reproduces(variant: Variant, repinned: Mapping[str, Any]) -> bool:
    """Whether pinning the key's params gives this variant again. Usually the parsed params equal
    the variant's fields (a param left out of the key must be ``None``); only when they do not is
    the variant generated again from them, to allow other exact representations."""
    family, params = variant.family, variant.params
    if all(repinned.get(n) == getattr(params, n) for n in family.param_names()):
        return True
    try:
        again = family.generate(preview_stream(family, 0), repinned)
    except Exception:
        return False
    return again.params == params and again.solution.answer == variant.solution.answer


# --- checking a family --------------------------------------------------------------------------
def check_target(
    target: Target,
    variants: int = DEFAULT_VARIANTS,
    seed: int = 0,
    recheck: Recheck | None = UNSET,
    max_failures: int = MAX_FAILURES,
) -> FamilyReport:
    """Check ``variants`` variants of one family, from seeds ``seed``, ``seed + 1``, …

    ``recheck`` defaults to the family's own re-check; pass one (or ``None``) to check a
    family that is not registered, e.g. in a test.
    """
    family = target.family
    if recheck is UNSET:
        recheck = recheck_for(family)
    report = FamilyReport(target, seed, rechecked=recheck is not None)
    started = time.perf_counter()
    for index in range(variants):
        variant_seed = seed + index
        report.variants += 1
        before = time.perf_counter()
        try:
            variant = family.generate(preview_stream(family, variant_seed), target.pinned)
        except NoAcceptableVariant as err:
            report.generate_seconds += time.perf_counter() - before
            report.tries += sum(err.rejections.values())
            report.rejected.update(err.rejections)
            problem = str(err)  # it names the family, the tries and the common reasons
        except Exception as err:
            report.generate_seconds += time.perf_counter() - before
            problem = f"generate: {_one_line(err)}"
        else:
            report.generate_seconds += time.perf_counter() - before
            report.tries += 1 + sum(variant.rejections.values())
            report.rejected.update(variant.rejections)
            problem = variant_problem(variant, target, recheck)
            if problem is None:
                report.fingerprints.add(fingerprint(variant))
                shown = len(variant.solution.steps.get("choices", ()))
                report.answers.add(variant.solution.answer, shown)
        if problem is not None:
            report.failures.append(
                Failure(problem, variant_seed, index, target.reproduce(variant_seed))
            )
            if len(report.failures) >= max_failures and index + 1 < variants:
                report.stopped_early = True
                break
    report.failures += share_failures(report)
    report.seconds = time.perf_counter() - started
    return report


def share_failures(report: FamilyReport) -> list[Failure]:
    """A bank whose answer never changes, or a correct option that never moves, is unfair even if
    every single variant is right. Only for unpinned families: a spec may pin one statement."""
    answers = report.answers
    if report.target.pinned or report.variants < MIN_VARIANTS_FOR_SHARES:
        return []
    out = []
    if len(answers.truth) == 1:
        (value,) = answers.truth
        out.append(Failure(f"the answer is {value} in all {answers.truth[value]} bool variants"))
    if len(answers.positions) == 1:
        (letter,) = answers.positions
        count = answers.positions[letter]
        out.append(Failure(f"the correct choice is {letter} in all {count} choice variants"))
    return out


def check(
    targets: Iterable[Target],
    variants: int = DEFAULT_VARIANTS,
    seed: int = 0,
    rechecks: Mapping[str, Recheck | None] | None = None,
) -> CheckReport:
    """Check every target; ``rechecks`` overrides the registered re-checks by family ID (a
    family defined in a test checks with a re-check without touching the registry)."""
    if variants < 1:
        raise ExamgenError(f"--variants must be at least 1, got {variants}")
    if seed < 0 or seed + variants - 1 > MAX_SEED:
        raise ExamgenError(
            f"--seed {seed} with --variants {variants} runs outside the seeds 0…{MAX_SEED}; "
            "use a smaller seed"
        )
    reports = []
    for target in targets:
        recheck = (rechecks or {}).get(target.family.ID, UNSET)
        reports.append(check_target(target, variants, seed, recheck))
    return CheckReport(reports, variants, seed)


def targets_for(families: Sequence[Family] = (), spec: Spec | None = None) -> list[Target]:
    """The spec's questions with their pinned params, else the given families, else all."""
    if spec is not None:
        # A pool slot checks every family a student could get there.
        return [Target(f, s.pinned, s.number) for s in spec.slots for f in s.candidates]
    if not families:
        from generator.families import registry

        families = list(registry().values())
    return [Target(f) for f in families]


# --- the table ----------------------------------------------------------------------------------
def format_table(report: CheckReport) -> str:
    last = report.seed + report.variants - 1
    lines = [
        f"examgen check: {report.variants} variant{'s' if report.variants != 1 else ''} per "
        f"family, seeds {report.seed}…{last}",
        "",
    ]
    rows = [("family", "variants", "tries", "distinct", "ms/variant", "re-check", "failures")]
    for r in report.families:
        rows.append(
            (
                r.target.label,
                str(r.variants),
                str(r.tries),
                str(len(r.fingerprints)),
                f"{r.ms_per_variant:.2f}",
                "yes" if r.rechecked else "none",
                str(len(r.failures)),
            )
        )
    width = max(len(row[0]) for row in rows)
    for row in rows:
        cells = [row[0].ljust(width)]
        cells += [cell.rjust(max(len(h), 6)) for cell, h in zip(row[1:], rows[0][1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    lines += ["", "Rejected while sampling (resampled, never printed):"]
    for r in report.families:
        detail = " · ".join(f"{reason} {n}" for reason, n in r.rejected.most_common()) or "none"
        lines.append(f"  {r.target.label.ljust(width)}  {detail}")
    lines += ["", "Answers:"]
    for r in report.families:
        lines.append(f"  {r.target.label.ljust(width)}  {r.answers.summary()}")
    missing = [r.target.label for r in report.families if not r.rechecked]
    if missing:
        lines += [
            "",
            "No independent re-check registered (answers checked against nothing else): "
            + ", ".join(missing),
        ]
    lines.append("")
    failures = report.failures
    total = sum(r.variants for r in report.families)
    if not failures:
        lines.append(
            f"OK: all {total} variants generated, met their rules, rendered (LaTeX, Markdown)"
            + (" and re-checked." if not missing else "; re-checked where a re-check exists.")
        )
        return "\n".join(lines) + "\n"
    lines.append(f"FAILED: {len(failures)} failure{'s' if len(failures) != 1 else ''}")
    for r in report.families:
        # One line per (family, reason) with its seeds: a broken family fails alike many times.
        by_reason: dict[str, list[Failure]] = {}
        for f in r.failures:
            by_reason.setdefault(f.reason, []).append(f)
        for reason, group in by_reason.items():
            seeds = [f.seed for f in group if f.seed is not None]
            shown = ", ".join(map(str, seeds[:SEEDS_SHOWN]))
            shown += ", …" if len(seeds) > SEEDS_SHOWN else ""
            where = f"seed{'s' if len(seeds) > 1 else ''} {shown}" if seeds else "family"
            lines.append(f"  {r.target.label} {where}: {reason}")
            if group[0].reproduce:
                lines.append(f"    look: {group[0].reproduce}")
        if r.stopped_early:
            lines.append(f"  {r.target.label}: stopped after {len(r.failures)} failures")
    return "\n".join(lines) + "\n"


def run(
    family_ids: Sequence[str] = (),
    spec_path: Path | str | None = None,
    variants: int = DEFAULT_VARIANTS,
    seed: int = 0,
) -> CheckReport:
    """What ``examgen check [FAMILY…] [--spec FILE]`` checks: named families, or a spec's
    questions with their pinned params, or every registered family."""
    from generator.families import get_family
    from generator.spec import load_spec

    if family_ids and spec_path is not None:
        raise ExamgenError("give family IDs or --spec, not both")
    spec = load_spec(spec_path) if spec_path is not None else None
    families = [get_family(f) for f in dict.fromkeys(family_ids)]
    return check(targets_for(families, spec), variants, seed)
