"""``examgen check``: sample many variants of each family and prove every one before printing.

A variant that breaks during an exam is what instructors fear most, so this is a stress run in the
spirit of R/exams' ``stresstest_exercise``: variant *i* of a run with ``--seed S`` is exactly what
``examgen preview FAMILY --seed S+i`` shows, so every seed a failure names can be looked at. Each
variant must

- generate (solve within the family's tries) and still pass its budget and degenerate rules,
- give an answer that serialises for key.json and key.csv,
- have key params that, pinned back, reproduce it (a grader or a rebuild relies on that),
- render in LaTeX and Markdown, as the exam and as the solutions, and in HTML, the question and
  the solution apart (the practice site's and the LMS exports' text),
- agree with the family's independent re-check (``generator.recheck``), when it has one.

Per family it reports tries and rejections by reason (the resampling the budget costs), distinct
fingerprints, the answer distribution (truth shares, correct-choice positions, the range of numeric
answers and their denominators) and time per variant. Two failures concern a family rather than a
variant: a true/false family whose answer never changes, and a multiple-choice family whose correct
option always sits at the same letter (students would learn the letter, not the idea).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import sympy

from generator.answer_line import shown_answer_problem
from generator.build import (
    Progress,
    Question,
    SizedIterator,
    no_progress,
    question_texts,
    render_question,
)
from generator.choices import (
    NO_FAIR_SET_REASON,
    ChoiceForm,
    choice_form,
    has_choice_form,
    native_form,
    same_value,
    sharing_key,
)
from generator.defaults import CHECK_CLASS_SIZE, CHECK_VARIANTS
from generator.errors import ExamgenError, NoAcceptableVariant, innermost_frame
from generator.exact import exact_str, to_json
from generator.families import TEMPLATE_FILE
from generator.families.base import Answer, Family, Recheck, Solution, Variant, degenerate
from generator.fingerprint import fingerprint
from generator.htmlmath import MATH_SPAN, text_to_html
from generator.mathml import prove_mathml
from generator.parallel import ordered_map
from generator.pdf import available_cores, tex_available
from generator.preview import preview_stream
from generator.recheck import recheck_for
from generator.render import (
    FORMATS,
    HTML_PARTS,
    PAREN_TRAP,
    PAREN_TRAP_FIX,
    environment,
    render_html_part,
)
from generator.seeding import MAX_SEED
from generator.spec import Slot, Spec, band_text
from generator.template_arithmetic import template_arithmetic
from generator.testwise import ValidityMeasures, ValidityTally, validity_measures
from generator.tex_balance import printed_at, unbalanced
from generator.typeset_sample import TypesetSample

DEFAULT_VARIANTS = CHECK_VARIANTS
#: A family stops after this many failing variants: enough to see the pattern, and a family that
#: fails every variant would otherwise spend its whole resampling budget on each one.
MAX_FAILURES = 20
#: Candidates drawn, and solved whatever ``early_rejection`` says, to test a family that tells
#: rejections before solving.
EARLY_CANDIDATES = 200
#: Below this many variants a constant truth value or choice position may be chance.
MIN_VARIANTS_FOR_SHARES = 50
#: Seeds listed per failure reason in the table (the JSON lists all).
SEEDS_SHOWN = 10
#: The class ``--class-size`` means by default, and the share of it that may expect to share a
#: variant with a classmate before ``check`` warns.
DEFAULT_CLASS_SIZE = CHECK_CLASS_SIZE
SHARED_SHARE_LIMIT = 0.01
#: Coinciding pairs among the samples needed before the estimate is trusted: one coincidence in a
#: small run is chance as often as not.
MIN_COINCIDENCES = 2
_COMMENT = re.compile(r"\(\(=.*?=\)\)", re.DOTALL)
UNSET: Any = object()


@dataclass(frozen=True)
class Target:
    """What to check: a family, the params a spec pins for it, and the spec question it serves."""

    family: Family
    pinned: Mapping[str, Any] = field(default_factory=dict)
    question: int | None = None

    @property
    def label(self) -> str:
        name = self.family.ID + (" (choice)" if isinstance(self.family, ChoiceForm) else "")
        return name if self.question is None else f"q{self.question} {name}"

    def reproduce(self, seed: int) -> str:
        command = f"examgen preview {self.family.ID}{self.family.families_option()} --seed {seed}"
        if self.family.FORM == "choice":
            command += " --form choice"
        if self.family.work_band is not None:  # a spec slot's difficulty
            command += " --difficulty " + band_text(self.family.work_band)
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
    #: How often each fingerprint was sampled (the class-size estimate reads the repeats).
    variant_counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    rejected: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    answers: AnswerStats = field(default_factory=AnswerStats)
    #: Test-wise strategies, true/false wording cues, work spread (``generator.testwise``).
    validity: ValidityTally = field(default_factory=ValidityTally)
    rechecked: bool = False
    #: Variants whose draws for a fair set of distractors ran out (``ChoiceForm.UNFAIR_TRIES``).
    fair_draws_ran_out: int = 0
    #: The named mistakes that gave a wrong answer (not the key, not None) at least once.
    live_mistakes: set[str] = field(default_factory=set)
    #: Per named mistake, the variants in which it gave the key itself.
    key_mistakes: Counter[str] = field(default_factory=Counter)
    stopped_early: bool = False
    seconds: float = 0.0
    generate_seconds: float = 0.0
    #: Variants pdflatex typeset (a course family's first, with TeX: ``generator.typeset_sample``).
    typeset: int = 0

    @property
    def ms_per_variant(self) -> float:
        """Time to generate one variant (what a build pays), without this command's checks."""
        return 1000 * self.generate_seconds / max(self.variants, 1)

    def to_json(self) -> dict[str, Any]:
        family = self.target.family
        out: dict[str, Any] = {
            "id": family.ID,
            "form": "choice" if isinstance(family, ChoiceForm) else native_form(family),
        }
        if self.target.question is not None:
            out["question"] = self.target.question
            out["pinned"] = to_json(dict(self.target.pinned))
        return out | {
            "variants": self.variants,
            "tries": self.tries,
            "distinct": len(self.fingerprints),
            "rejected": dict(self.rejected.most_common()),
            "failures": [f.to_json() for f in self.failures],
            "warnings": list(self.warnings),
            "stopped_early": self.stopped_early,
            "rechecked": self.rechecked,
            "typeset": self.typeset,
            "answers": self.answers.to_json(),
            "validity": self.validity.to_json(self.target.family, self.target.pinned),
            "seconds": round(self.seconds, 3),
            "ms_per_variant": round(self.ms_per_variant, 3),
        }


@dataclass
class CheckReport:
    families: list[FamilyReport]
    variants: int
    seed: int
    class_size: int = DEFAULT_CLASS_SIZE
    #: What ``check`` was asked to typeset of each course family, and whether pdflatex is there.
    typeset: int = 0
    tex: bool = True

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
            "class_size": self.class_size,
            "ok": self.ok,
            "families": [r.to_json() for r in self.families],
        }

    def table(self) -> str:
        return format_table(self)


# --- checking one variant -----------------------------------------------------------------------
def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    message = text[0] if text else ""
    if len(message) > 300:
        message = message[:299] + "…"
    if isinstance(err, ExamgenError) and message:
        return message  # already phrased for the user: the file, the line, the problem
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def variant_problem(
    variant: Variant,
    target: Target,
    recheck: Recheck | None,
    live_mistakes: set[str] | None = None,
    key_mistakes: set[str] | None = None,
) -> str | None:
    """The first thing wrong with an accepted variant, or ``None``; ``live_mistakes`` gains the
    named mistakes whose value here is not the key, ``key_mistakes`` those whose value is the
    key itself (``dead_mistake_warnings`` reads them)."""
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
    try:  # grading, the exports and the practice pages compute them for every variant
        wrong = family.misconceptions(params, solution)
    except Exception as err:
        return f"mistakes: {_one_line(err)}"
    if live_mistakes is not None and key_mistakes is not None:
        key = solution.answer.value
        for name, value in wrong.items():  # a mistake that does not apply is left out
            (key_mistakes if same_value(value, key) else live_mistakes).add(name)
    slot = Slot(target.question or 1, family, 1, target.pinned)
    shown = None  # said last: a re-check that disagrees says more
    for fmt in FORMATS:
        for show_solutions in (False, True):
            version = "solutions" if show_solutions else "exam"
            try:
                text = render_question(fmt, Question(slot, variant), show_solutions)
            except Exception as err:
                return f"render {fmt} {version}: {_one_line(err)}"
            problem = unbalanced_latex(family, text) if fmt == "latex" else None
            if problem is not None:
                return f"render {fmt} {version}: {problem}"
            if fmt == "markdown" and show_solutions:
                shown = shown_answer_problem(variant, text) or double_sign_problem(family, text)
    for part in HTML_PARTS:  # the practice site's and the LMS exports' text
        try:
            prove_mathml(render_html_part(variant, part))  # the site makes its math MathML
        except Exception as err:
            return f"render html {part}: {_one_line(err)}"
    problem = explanation_math_problem(variant, wrong)
    if problem is not None:
        return problem
    try:
        alike = solved_alike(Question(slot, variant), family.solve(params))
    except Exception as err:
        return f"solve again: {_one_line(err)}"
    if not alike:
        return (
            "solve gave another answer or other steps for the same params; it must depend on "
            "the params alone (no random draws, no outside state): a build reuses the text of "
            "equal params"
        )
    if recheck is not None:
        try:
            problem = recheck(params_json, answer_json)
        except Exception as err:
            problem = _one_line(err)
            module = family.course_module()
            frame = module and innermost_frame(err, lambda name: Path(name) == module)
            if frame:  # an author's recheck: its line (a KeyError alone named nothing)
                problem = f"{frame[0]}:{frame[1]}: {problem}"
        if problem is not None:
            return f"re-check: {problem}"
    return shown


#: In math, a ``+`` or ``-`` after an operand directly followed by a minus sign: ``x - -6``,
#: ``x + -9``, what ``|tex`` of a negative value prints after an operator the template wrote.
DOUBLE_SIGN = re.compile(r"(?<=[\w)}\]|])\s*[+\-\u2212]\s*[-\u2212]")
#: Two signs with only spaces between, anywhere: what a text needs for ``DOUBLE_SIGN`` to be
#: looked for in its math (a search about a tenth as long: most texts have none).
TWO_SIGNS = re.compile(r"[+\-\u2212]\s*[-\u2212]")


def double_sign_problem(family: Family, markdown: str) -> str | None:
    """Math that prints a sign after a sign (``x - -6``, ``x + -9``): a negative value printed
    by ``|tex`` after an operator reads as a misprint (on 8cb6922 check passed it). Named by
    the template line, the same for every variant that prints a negative value there."""
    if TWO_SIGNS.search(markdown) is None:
        return None
    for math in MATH_SPAN.finditer(markdown):
        found = DOUBLE_SIGN.search(math.group())
        if found is None:
            continue
        at = math.start() + found.end()
        line = markdown[markdown.rfind("\n", 0, at) + 1 :].split("\n", 1)[0]
        where = printed_at(family_template(family), line)
        signs = " ".join(found.group().split())
        return (
            f"{where}'{signs}' in math: a negative value printed after an operator; print it "
            "with |tex_paren (x - (-6)), or write '((( v|tex_term )))' for '+ ((( v|tex )))' "
            "(x - 9)"
        )
    return None


def solved_alike(question: Question, again: Solution) -> bool:
    """Whether solving a question's params again (``again``) gives what the build prints for
    it: a build renders the text of equal params once and reuses it. Equal answers and steps
    are alike; steps without a plain equality (an array, an object equal only to itself) are
    alike when both solutions render the same texts, the key's answer included."""
    first = question.variant.solution
    try:
        if first.answer == again.answer and first.steps == again.steps:
            return True
    except Exception:
        pass
    if first.answer.to_json() != again.answer.to_json():
        return False
    other = Question(question.slot, replace(question.variant, solution=again))
    return all(
        question_texts(question).problem(fmt).render()
        == question_texts(other).problem(fmt).render()
        for fmt in FORMATS
    )


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
@dataclass(frozen=True)
class VariantOutcome:
    """What checking one variant adds to its family's report: values and text only, so that
    worker processes can check a family's variants and the report, folded from the outcomes in
    seed order, is the same whatever the number of processes."""

    seed: int
    index: int
    problem: str | None
    generate_seconds: float
    tries: int
    rejected: Counter[str]
    fair_draws_ran_out: bool = False
    #: The named mistakes with a wrong answer here, and those with the key (a course family's).
    live_mistakes: frozenset[str] = frozenset()
    key_mistakes: frozenset[str] = frozenset()
    #: What drawing a course family's first variants again found (``redraw_problem``).
    redraw_problem: str | None = None
    #: Of a variant without a problem: what the family's tallies count.
    fingerprint: str = ""
    sharing: str = ""
    answer: Answer | None = None
    shown: int = 0
    validity: ValidityMeasures | None = None


#: Variants one work item of a check's worker processes checks: enough to make passing the
#: outcomes back cheap, few enough that both cores stay busy to the end of a family.
VARIANTS_PER_ITEM = 10


class VariantChecker:
    """Checks variants of one target by index (in the checking process or a worker forked
    from it)."""

    def __init__(self, target: Target, seed: int, recheck: Recheck | None) -> None:
        self.target, self.seed, self.recheck = target, seed, recheck
        # Dead mistakes are a course family's slip; examgen's own are proved by its tests.
        self.course = target.family.course_module() is not None

    def __call__(self, indices: range) -> list[VariantOutcome]:
        checked = [self.outcome(index) for index in indices]
        # Drawn again once the item's others are drawn, in the process that drew them first: a
        # draw that reads Python's random or numpy's global state has moved on since, whatever
        # state the process started from (a forked worker has the checking process's np.random).
        return [
            outcome
            if params is None
            else replace(outcome, redraw_problem=redraw_problem(self.target, outcome.seed, params))
            for outcome, params in checked
        ]

    def outcome(self, index: int) -> tuple[VariantOutcome, dict[str, Any] | None]:
        """The variant's outcome, and its key params when it is to be drawn again."""
        target, family = self.target, self.target.family
        variant_seed = self.seed + index
        before = time.perf_counter()
        try:
            variant = family.generate(preview_stream(family, variant_seed), target.pinned)
        except NoAcceptableVariant as err:
            seconds = time.perf_counter() - before
            # it names the family, the tries and the common reasons
            tries = sum(err.rejections.values())
            rejected = Counter(err.rejections)
            return VariantOutcome(variant_seed, index, str(err), seconds, tries, rejected), None
        except Exception as err:
            seconds = time.perf_counter() - before
            problem = f"generate: {_one_line(err)}"
            return VariantOutcome(variant_seed, index, problem, seconds, 0, Counter()), None
        seconds = time.perf_counter() - before
        live: set[str] | None = set() if self.course else None
        keyed: set[str] | None = set() if self.course else None
        problem = variant_problem(variant, target, self.recheck, live, keyed)
        if problem is None:
            problem = choice_note_problem(variant)
        rejected = variant.rejections
        outcome = VariantOutcome(
            variant_seed,
            index,
            problem,
            seconds,
            1 + sum(rejected.values()),
            Counter(rejected),
            rejected[degenerate(NO_FAIR_SET_REASON)] >= ChoiceForm.UNFAIR_TRIES,
            frozenset(live or ()),
            frozenset(keyed or ()),
        )
        if problem is not None:
            return outcome, None
        try:  # the family's own work, mirror_center and stem_factors among them
            variant_fingerprint = fingerprint(variant)
            outcome = replace(
                outcome,
                fingerprint=variant_fingerprint,
                sharing=sharing_key(variant, variant_fingerprint),
                answer=variant.solution.answer,
                shown=len(variant.solution.steps.get("choices", ())),
                validity=validity_measures(variant),
            )
        except Exception as err:  # one failure of this variant, as with every other process
            return replace(outcome, problem=f"measures (work, options): {_one_line(err)}"), None
        # Examgen's own families are proved deterministic by its tests (a rebuild is
        # byte-identical); drawing again costs as much as the first draw.
        redrawn = index < REDRAWN_VARIANTS and self.course
        return outcome, variant.key_params() if redrawn else None


def check_target(
    target: Target,
    variants: int = DEFAULT_VARIANTS,
    seed: int = 0,
    recheck: Recheck | None = UNSET,
    max_failures: int = MAX_FAILURES,
    jobs: int | None = None,
    progress: Progress = no_progress,
) -> FamilyReport:
    """Check ``variants`` variants of one family, from seeds ``seed``, ``seed + 1``, …, shared
    among ``jobs`` processes (default: one per core available); ``progress`` is shown the work
    items as they are checked, labelled by the family.

    ``recheck`` defaults to the family's own re-check; pass one (or ``None``) to check a
    family that is not registered, e.g. in a test.
    """
    family = target.family
    if recheck is UNSET:
        recheck = recheck_for(family)
    report = FamilyReport(target, seed, rechecked=recheck is not None)
    redrawn_differs: tuple[int, str] | None = None  # the first seed drawn again that differs
    started = time.perf_counter()
    items = [
        range(start, min(start + VARIANTS_PER_ITEM, variants))
        for start in range(0, variants, VARIANTS_PER_ITEM)
    ]
    checker = VariantChecker(target, seed, recheck)
    with ordered_map(checker, items, jobs or available_cores()) as checked:
        shown = progress(SizedIterator(checked, len(items)), target.label)
        for outcome in (o for item in shown for o in item):
            report.variants += 1
            report.generate_seconds += outcome.generate_seconds
            report.tries += outcome.tries
            report.rejected.update(outcome.rejected)
            report.fair_draws_ran_out += outcome.fair_draws_ran_out
            report.live_mistakes |= outcome.live_mistakes
            report.key_mistakes.update(outcome.key_mistakes)
            if outcome.redraw_problem is not None and redrawn_differs is None:
                redrawn_differs = outcome.seed, outcome.redraw_problem
            if outcome.problem is None:
                report.fingerprints.add(outcome.fingerprint)
                report.variant_counts[outcome.sharing] += 1
                if outcome.answer is not None:
                    report.answers.add(outcome.answer, outcome.shown)
                if outcome.validity is not None:
                    report.validity.add(outcome.validity)
                continue
            report.failures.append(
                Failure(
                    outcome.problem, outcome.seed, outcome.index, target.reproduce(outcome.seed)
                )
            )
            if len(report.failures) >= max_failures and outcome.index + 1 < variants:
                report.stopped_early = True
                break
    if redrawn_differs is not None:  # one failure: the cause is the family's draw
        seed_of, problem = redrawn_differs
        report.failures.append(Failure(problem, seed_of, reproduce=target.reproduce(seed_of)))
    report.failures += share_failures(report)
    report.failures += template_failures(family, first_variant(target, seed))
    report.failures += early_rejection_failures(target, seed)
    report.failures += hash_order_failures(report)
    report.failures += [
        Failure(problem) for problem in report.validity.problems(family, target.pinned)
    ]
    report.seconds = time.perf_counter() - started
    return report


#: Variants of each course family (and form) ``check`` draws a second time from the same seed:
#: a draw that reads Python's ``random`` or the clock differs at once, so a few suffice.
REDRAWN_VARIANTS = 20


def redraw_problem(target: Target, seed: int, first: Mapping[str, Any]) -> str | None:
    """Drawing a variant again from a new stream of the same seed must give the same params
    (``first``: its key params): a ``draw`` (or ``sample``) that reads Python's ``random``,
    numpy's global state or the clock gives another exam on every build of the same seed,
    though each variant is correct (on main check said OK). Names the family's file and the
    first param that differs."""
    family = target.family
    try:
        second = family.generate(preview_stream(family, seed), target.pinned).key_params()
        differs = next((k for k, v in first.items() if not _same_param(v, second.get(k))), None)
    except Exception as err:
        differs = f"none, the second draw failed: {_one_line(err)}"
    if differs is None:
        return None
    return (
        f"{family.course_module()}: drawing this seed twice, from new streams, gave other "
        f"params (first that differs: {differs}); draw must take every random value from its "
        "rng argument (rng.integers, rng.choice), never Python's random, numpy's global "
        "np.random or the clock, or a rebuild with the same seed prints another exam"
    )


def _same_param(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # an array's == is elementwise
        return repr(a) == repr(b)


#: Variants ``hash_order_failures`` renders again in another process, and the least a check
#: samples before it does (a process start costs about half a second).
HASH_ORDER_VARIANTS = 20
HASH_ORDER_MIN_SAMPLE = 200


def printed_digest(target: Target, seeds: Iterable[int]) -> str:
    """A digest of what a build prints of ``target``'s variants of ``seeds``: every format and
    version of their text, their key entries, and the values of their named mistakes (the
    multiple-choice form's distractors, and what ``grade`` names a wrong answer by, in a process
    of its own)."""
    digest = hashlib.sha256()
    family = target.family
    slot = Slot(target.question or 1, family, 1, target.pinned)
    for seed in seeds:
        try:
            variant = family.generate(preview_stream(family, seed), target.pinned)
        except Exception as err:  # the same failure in both processes is no difference
            digest.update(f"{seed}: {type(err).__name__}\n".encode())
            continue
        question = Question(slot, variant)
        for fmt in FORMATS:
            for show_solutions in (False, True):
                digest.update(render_question(fmt, question, show_solutions).encode())
        try:
            mistakes = family.misconceptions(variant.params, variant.solution)
        except Exception as err:
            mistakes = type(err).__name__
        key = {
            "answer": variant.solution.answer.to_json(),
            "params": variant.key_params(),
            "mistakes": mistakes,
        }
        digest.update(json.dumps(to_json(key), sort_keys=True).encode())
    return digest.hexdigest()


def digest_in_this_process(request: str) -> None:
    """``printed_digest`` of the target a JSON ``request`` names (``hash_order_failures``'s
    other process), printed."""
    from generator.families import registry

    asked = json.loads(request)
    family = registry(tuple(Path(d) for d in asked["families_dirs"]))[asked["family"]]
    if asked["choice"]:
        family = choice_form(family)
    if asked["band"] is not None:
        family = family.with_difficulty(tuple(asked["band"]))
    target = Target(family, family.parse_params(asked["pinned"]), asked["question"])
    print(printed_digest(target, range(*asked["seeds"])))


def hash_order_failures(report: FamilyReport) -> list[Failure]:
    """A course family whose printed text, key or named mistakes change with Python's string
    hashing (a set's order printed, a ``hash()``): a build's files differ from run to run,
    though each run is consistent, so only another process shows it (on main check said OK).
    Some variants are rendered again in a process with another PYTHONHASHSEED and compared,
    in each form: a mistake that depends on ``hash()`` prints nothing in the free form, but
    moves the multiple-choice form's options and letters (on 8cb6922 key.csv's letters changed
    with PYTHONHASHSEED, and check, which skipped that form, said OK)."""
    target = report.target
    folder = target.family.course_folder()
    if folder is None or report.variants < HASH_ORDER_MIN_SAMPLE or report.failures:
        return []
    seeds = (report.seed, report.seed + HASH_ORDER_VARIANTS)
    request = {
        "family": target.family.ID,
        "families_dirs": [str(folder)],
        "choice": isinstance(target.family, ChoiceForm),
        "band": target.family.work_band,
        "pinned": to_json(dict(target.pinned)),
        "question": target.question,
        "seeds": seeds,
    }
    other = "1" if os.environ.get("PYTHONHASHSEED") == "0" else "0"
    code = "import sys; from generator.check import digest_in_this_process; "
    code += "digest_in_this_process(sys.argv[1])"
    with subprocess.Popen(
        [sys.executable, "-c", code, json.dumps(request)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": other},
    ) as other_process:
        here = printed_digest(target, range(*seeds))  # while the other starts and makes its own
        there, errors = other_process.communicate()
    if other_process.returncode != 0:
        return [Failure(f"rendering again in another process failed: {errors.strip()[-300:]}")]
    if there.strip() == here:
        return []
    return [
        Failure(
            f"seeds {seeds[0]}…{seeds[1] - 1} print other text, keys or named mistakes' values "
            f"in another Python process (PYTHONHASHSEED={other}): something depends on the "
            "order of a set or on hash(); sort it (sorted(…)), as a build's files and its "
            "grading must be the same on every run"
        )
    ]


def early_rejection_failures(
    target: Target, seed: int, candidates: int = EARLY_CANDIDATES
) -> list[Failure]:
    """A family that tells some rejections before solving (``Family.early_rejection``) must
    tell exactly the reason ``rejection`` gives once solved, or nothing: a reason it makes up
    would silently drop variants students should get, and the variants ``check`` samples cannot
    show it (the dropped ones are never solved). So candidates are drawn as ``generate`` draws
    them and each one the early rule rejects is solved anyway and judged in full."""
    family = target.family
    if type(family).early_rejection is Family.early_rejection:
        return []
    drawn = family.param_draws(preview_stream(family, seed), target.pinned)
    try:
        for number in range(1, candidates + 1):
            params = next(drawn)
            early = family.early_rejection(params)
            if early is None:
                continue
            try:
                solution = family.solve(params)
            except ExamgenError:
                continue  # generate reports it as it is: early rejection or not, no variant
            full = family.rejection(params, solution)
            if full != early:
                verdict = "accepts it" if full is None else f"gives {full!r}"
                return [
                    Failure(
                        f"early_rejection rejects candidate {number} of seed {seed} for "
                        f"{early!r} where rejection {verdict}; it must return rejection's own "
                        "reason or None"
                    )
                ]
    except Exception as err:
        return [Failure(f"early_rejection: {_one_line(err)}")]
    return []


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


def family_template(family: Family) -> Path | None:
    """The family's own ``template.j2``, if it has one."""
    folder = getattr(family, "FOLDER", None)
    path = folder / TEMPLATE_FILE if folder is not None else None
    return path if path is not None and path.is_file() else None


def unbalanced_latex(family: Family, text: str) -> str | None:
    """A brace or ``$`` the question's LaTeX leaves open, named by the line of the family's
    template that printed it when one can be told (the same line for every variant, so that the
    failures of every seed show as one)."""
    found = unbalanced(text)
    if found is None:
        return None
    where = printed_at(family_template(family), text.splitlines()[found.line - 1])
    return f"{where}{found.what} in the LaTeX (pdflatex would stop on it)"


def explanation_math_problem(variant: Variant, wrong: Mapping[str, Any]) -> str | None:
    """The math of what a wrong answer is told (a named mistake's explanation, a choice's note,
    a true/false statement's explanation) must become MathML on the practice pages too."""
    family, steps = variant.family, variant.solution.steps
    try:
        told = [(f"mistake {name!r}", family.mistake_explanation(name)) for name in wrong]
    except ExamgenError as err:
        return f"mistakes: {_one_line(err)}"
    if isinstance(steps, Mapping):
        for choice in steps.get("choices", ()):
            letter = getattr(choice, "letter", "?")
            told.append((f"choice {letter}'s note", getattr(choice, "note", "") or ""))
        statement = steps.get("statement")
        told.append(("the statement's explanation", getattr(statement, "explanation", "") or ""))
    for where, text in told:
        problem = _told_math_problem(text)
        if problem is not None:
            return f"{where}: {problem}"
    return None


@lru_cache(maxsize=4096)
def _told_math_problem(text: str) -> str | None:
    """Why ``text``'s math cannot become MathML, or ``None``: remembered, as the texts are a
    family's declared explanations and notes, the same in every variant."""
    try:
        prove_mathml(text_to_html(text))
    except Exception as err:
        return _one_line(err)
    return None


def choice_note_problem(variant: Variant) -> str | None:
    """Every wrong choice must say why it is wrong: a distractor without its explanation would
    drop out of the solution's "why not" notes (a family overriding ``misconceptions`` instead of
    declaring ``@mistake(name, explanation)``, or a bank entry without one)."""
    steps = variant.solution.steps
    choices = steps.get("choices", ()) if isinstance(steps, Mapping) else ()
    for choice in choices:
        if not getattr(choice, "correct", True) and not (getattr(choice, "note", "") or "").strip():
            return (
                f"choice {choice.letter} ({choice.source!r}) has no explanation; declare the "
                "mistake with @mistake(name, explanation) in family.py"
            )
    return None


def first_variant(target: Target, seed: int) -> Variant | None:
    """The target's variant of ``seed``, or ``None`` where it has none (its failure is told
    with its seed): what ``template_failures`` reads the family's values from."""
    if family_template(target.family) is None:
        return None
    try:
        return target.family.generate(preview_stream(target.family, seed), target.pinned)
    except Exception:
        return None


def template_failures(family: Family, variant: Variant | None = None) -> list[Failure]:
    """Traps in the family's template that render without error but print the wrong thing;
    ``variant``, one of the family's, tells which of its values are numbers (whose attributes,
    or whose text joined by ``~``, compute: ``generator.template_arithmetic``)."""
    path = family_template(family)
    if path is None:
        return []
    # Comments print nothing, so a trap written in one (to warn of it) is no trap.
    source = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), path.read_text(encoding="utf-8"))
    out = []
    for number, line in enumerate(source.splitlines(), start=1):
        if PAREN_TRAP in line:
            out.append(Failure(f"{path}:{number}: {PAREN_TRAP_FIX}"))
    values = None
    if variant is not None:
        solution = variant.solution
        values = {"params": variant.params, "steps": solution.steps, "answer": solution.answer}
    for number, what in template_arithmetic(environment("latex"), source, values):
        out.append(
            Failure(
                f"{path}:{number}: the template computes ({what}); a template only formats: "
                "compute the value in solve() and print it from steps"
            )
        )
    return out


def shared_variant_share(counts: Counter[str], class_size: int) -> float:
    """The share of a class of ``class_size`` students expected to share their variant with at
    least one classmate, estimated from sampled variants.

    Birthday-style: ``c``, the chance that two students draw the same variant, is estimated
    without bias by the share of sampled pairs that coincide, ``Σ m(m−1) / (n(n−1))`` over the
    ``m`` repeats of each distinct variant among ``n`` samples (it allows for variants that are
    more likely than others). A student then shares with someone with probability
    ``1 − (1 − c)^(N−1)``. With no repeat among the samples the estimate is 0: 1000 samples see a
    repeat when ``c`` is above about 1/500000, far below what a class of 300 notices.
    """
    n = sum(counts.values())
    if n < 2:
        return 0.0
    coincide = sum(m * (m - 1) for m in counts.values()) / (n * (n - 1))
    return 1.0 - (1.0 - coincide) ** (class_size - 1)


def percent_over(share: float, limit: float) -> str:
    """``share`` (above ``limit``) as a percentage with the fewest places that still read as above
    it: "5%", "1.4%", "1.03%". Rounded to whole percents, 1.4% was printed "1%", which reads as
    within the limit of "more than 1%" (an auditor's)."""
    for places in range(10):
        shown = f"{100 * share:.{places}f}"
        if float(shown) > 100 * limit:
            return f"{shown}%"
    return f"{100 * share:.10f}%"


def class_size_warnings(report: FamilyReport, class_size: int) -> list[str]:
    """A warning when more than 1% of a class would share a variant (unpinned families only: a
    spec may pin a question on purpose), seen in at least ``MIN_COINCIDENCES`` coinciding pairs
    of samples. True/false families are exempt: a variant is one bank statement, so a bank of a
    dozen statements is shared by design, and their answers are balanced by the share check."""
    if (
        report.target.pinned
        or report.variants < MIN_VARIANTS_FOR_SHARES
        or report.target.family.FORM == "true-false"
    ):
        return []
    # Where the table's count differs (``sharing_key``): choices in another order are one variant.
    orderless = ""
    if isinstance(report.target.family, ChoiceForm):
        orderless = " up to the order of their choices"
    coincidences = sum(m * (m - 1) // 2 for m in report.variant_counts.values())
    share = shared_variant_share(report.variant_counts, class_size)
    if share <= SHARED_SHARE_LIMIT or coincidences < MIN_COINCIDENCES:
        return []
    shown = percent_over(share, SHARED_SHARE_LIMIT)
    return [
        f"a class of {class_size} would expect {shown} of students to share their variant "
        f"with a classmate ({len(report.variant_counts)} distinct{orderless} "
        f"among {sum(report.variant_counts.values())} sampled); widen the parameters' ranges or "
        "add bank entries"
    ]


def misspelt_hook_warnings(family: Family) -> list[str]:
    """A course family's name that is close to one examgen reads but is not it (``DEGENRATE``,
    ``re_check``): examgen never calls it, so the rules or the re-check it meant are silently
    not there (on main check said OK and showed "re-check: none")."""
    if family.course_module() is None:
        return []
    own = type(getattr(family, "base", family))
    known = [name for name in dir(Family) if not name.startswith("_")]
    out = []
    for klass in own.__mro__:
        if klass is Family or not issubclass(klass, Family):
            continue
        for name in vars(klass):
            if name.startswith("_") or name in known:
                continue
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
            if close:
                out.append(
                    f"{klass.__name__}.{name} is not a name examgen reads (did you mean "
                    f"{close[0]}?): rename it, or it is never used"
                )
    return out


#: Variants a course family's mistake must have been sampled on before it is called dead:
#: one that may not apply (None) needs many, one that applied and gave the key every time few
#: (a slip such as returning the key's own step; a real mistake meets the key on rare params).
DEAD_MISTAKE_VARIANTS = 50
KEY_MISTAKE_VARIANTS = 10


def dead_mistake_warnings(report: FamilyReport) -> list[str]:
    """A named mistake that gave the key itself (or None) in every variant sampled is never a
    distractor and never names a wrong answer: an author's slip (on main nothing said so; on
    8cb6922, nothing below 50 variants, where a reviewer's ran 30)."""
    family = report.target.family
    if (
        family.course_module() is None
        or isinstance(family, ChoiceForm)  # its free form's report says it
        or report.failures
    ):
        return []
    out = []
    for m in family.mistakes():
        if m.name in report.live_mistakes:
            continue
        if report.variants >= DEAD_MISTAKE_VARIANTS:
            gave = "the key (or None)"
        elif report.key_mistakes[m.name] == report.variants >= KEY_MISTAKE_VARIANTS:
            gave = "the key"
        else:
            continue
        out.append(
            f"mistake {m.name!r} gave {gave} in all {report.variants} variants: it is never a "
            "distractor and never names a wrong answer; make it compute the wrong answer or "
            "remove it"
        )
    return out


def no_recheck_warnings(report: FamilyReport, warned: set[str]) -> list[str]:
    """A family without an independent re-check: its answers are held to nothing but ``solve``
    itself, so an answer that disagrees with the steps its solution prints passes (on 8cb6922
    check ended in an unqualified OK, its only hint an info line). Said once per family, whose
    forms share its re-check; ``warned`` holds the families already told of."""
    family = report.target.family
    if report.rechecked or family.ID in warned:
        return []
    warned.add(family.ID)
    return [
        "no independent re-check: answers are held to nothing but solve() itself, so an answer "
        "that disagrees with the steps its solution prints (or a slip in solve) passes; add "
        "recheck(self, params, answer) to family.py, recomputing the answer from key.json another "
        "way (docs/authoring.md, section 5)"
    ]


def unfair_warnings(report: FamilyReport) -> list[str]:
    """A warning when ``RESAMPLE_UNFAIR_CHOICES`` gave up: a variant drawn that often without a
    fair set of distractors keeps an unfair one (on main only the rejection tally, 50 per such
    variant, hinted at it)."""
    if not report.fair_draws_ran_out:
        return []
    return [
        f"in {report.fair_draws_ran_out} of {report.variants} variants, {ChoiceForm.UNFAIR_TRIES} "
        "draws found no params with a fair set of distractors, so those students' options may "
        "let a test-wise strategy beat a guess; name more mistakes, and not only the key plus or "
        "minus one term (two slips at once put options elsewhere)"
    ]


def check(
    targets: Iterable[Target],
    variants: int = DEFAULT_VARIANTS,
    seed: int = 0,
    rechecks: Mapping[str, Recheck | None] | None = None,
    class_size: int = DEFAULT_CLASS_SIZE,
    typeset: int = 0,
    jobs: int | None = None,
    progress: Progress = no_progress,
) -> CheckReport:
    """Check every target; ``rechecks`` overrides the registered re-checks by family ID (a
    family defined in a test checks with a re-check without touching the registry);
    ``typeset``: how many of a course family's variants pdflatex typesets, when TeX is
    installed (``generator.typeset_sample``); ``jobs``: processes checking a family's variants
    (default: one per core available); ``progress``: as ``check_target`` shows it."""
    if variants < 1:
        raise ExamgenError(f"--variants must be at least 1, got {variants}")
    if seed < 0 or seed + variants - 1 > MAX_SEED:
        raise ExamgenError(
            f"--seed {seed} with --variants {variants} runs outside the seeds 0…{MAX_SEED}; "
            "use a smaller seed or fewer variants"
        )
    tex = tex_available()
    asked, typeset = typeset, typeset if tex else 0
    reports, samples = [], []
    without_recheck: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="examgen-check-") as folder:
        try:
            for target in targets:
                recheck = (rechecks or {}).get(target.family.ID, UNSET)
                report = check_target(target, variants, seed, recheck, jobs=jobs, progress=progress)
                report.warnings += class_size_warnings(report, class_size) + unfair_warnings(report)
                report.warnings += misspelt_hook_warnings(target.family)
                report.warnings += dead_mistake_warnings(report)
                report.warnings += no_recheck_warnings(report, without_recheck)
                reports.append(report)
                if typeset and target.family.course_module() is not None:
                    # pdflatex runs while the next target is checked
                    where = Path(folder) / str(len(samples))
                    seeds = range(seed, seed + variants)
                    template = family_template(target.family)
                    sample = TypesetSample(
                        target.family, target.pinned, seeds, typeset, where, template
                    )
                    samples.append((report, sample))
            for report, sample in samples:
                for failed in sample.failures():
                    seed_of = failed.seed
                    look = report.target.reproduce(seed_of) if seed_of is not None else None
                    report.failures.append(Failure(failed.reason, seed_of, reproduce=look))
                report.typeset = len(sample.seeds)
        finally:
            for _, sample in samples:
                sample.stop()
    return CheckReport(reports, variants, seed, class_size, typeset=asked, tex=tex)


def typeset_lines(report: CheckReport) -> list[str]:
    """What pdflatex typeset of the course families, or why it did not."""
    course = [r for r in report.families if r.target.family.course_module() is not None]
    if not course or not report.typeset:
        return []
    if not report.tex:
        return [
            "LaTeX not typeset: pdflatex is not installed (with TeX Live, check typesets the first "
            f"{report.typeset} variants of each course family)."
        ]
    typeset = ", ".join(f"{r.target.label} {r.typeset}" for r in course)
    return [f"Typeset by pdflatex, exam and solutions (variants): {typeset}."]


def targets_for(
    families: Sequence[Family] = (), spec: Spec | None = None, extra_dirs: Sequence[Path] = ()
) -> list[Target]:
    """The spec's questions with their pinned params, else the given families, else all; a
    family is checked in every form it offers (free response and multiple choice)."""
    if spec is not None:
        # A pool slot checks every family a student could get there.
        return [Target(f, s.pinned, s.number) for s in spec.slots for f in s.candidates]
    if not families:
        from generator.families import registry

        families = list(registry(extra_dirs).values())
    return [Target(form) for f in families for form in every_form(f)]


def every_form(family: Family) -> list[Family]:
    """The family as it asks itself, then as multiple choice when it has that form too."""
    return [family, choice_form(family)] if has_choice_form(family) else [family]


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
    lines += ["", "Validity (test-wise strategies with 95% intervals, wording cues, work):"]
    for r in report.families:
        for line in r.validity.lines(r.target.family, r.target.pinned) or ["nothing to measure"]:
            lines.append(f"  {r.target.label.ljust(width)}  {line}")
    missing = [r.target.label for r in report.families if not r.rechecked]
    warned = [(r, w) for r in report.families for w in r.warnings]
    if warned:
        lines += ["", "Warnings:"]
        lines += [f"  {r.target.label}: {w}" for r, w in warned]
    lines.append("")
    failures = report.failures
    total = sum(r.variants for r in report.families)
    if not failures:
        lines.append(
            f"OK: all {total} variants generated, met their rules, rendered (LaTeX, Markdown, HTML)"
            + (" and re-checked." if not missing else "; re-checked where a re-check exists.")
            + (f" {len(warned)} warning{'s' if len(warned) != 1 else ''} above." if warned else "")
        )
        lines += typeset_lines(report)
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
    class_size: int = DEFAULT_CLASS_SIZE,
    extra_dirs: Sequence[Path] = (),
    typeset: int = 0,
    jobs: int | None = None,
    progress: Progress = no_progress,
) -> CheckReport:
    """What ``examgen check [FAMILY…] [--spec FILE]`` checks: named families, or a spec's
    questions with their pinned params, or every registered family (``extra_dirs``: course
    family folders besides ``EXAMGEN_FAMILIES``)."""
    from generator.families import get_family
    from generator.spec import load_spec

    if family_ids and spec_path is not None:
        raise ExamgenError("give family IDs or --spec, not both")
    if class_size < 2:
        raise ExamgenError(f"--class-size must be at least 2, got {class_size}")
    spec = load_spec(spec_path) if spec_path is not None else None
    families = [get_family(f, extra_dirs) for f in dict.fromkeys(family_ids)]
    targets = targets_for(families, spec, extra_dirs)
    return check(
        targets,
        variants,
        seed,
        class_size=class_size,
        typeset=typeset,
        jobs=jobs,
        progress=progress,
    )
