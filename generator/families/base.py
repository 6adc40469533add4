"""The contract every problem family keeps, and the resampling loop they share.

A family draws candidate parameters (``draw``), solves them exactly (``solve``), and declares, in
class attributes a reader sees first, the budget its variants must meet and the degenerate cases it
rejects. ``generate`` is the one loop that turns those declarations into a nice variant or a clear
error, so no family writes its own retry logic.
"""

from __future__ import annotations

import copy as _copy
import json
import math
import numbers
import shlex
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, fields, is_dataclass, make_dataclass
from fractions import Fraction
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import sympy

from generator.characters import SLUG
from generator.errors import ExamgenError, NoAcceptableVariant, innermost_frame
from generator.exact import exact_str, field_names, to_json
from generator.families.params import Param
from generator.time_limit import course_time_limit

AnswerKind = Literal["vector", "number", "bool", "choice"]
ANSWER_KINDS: tuple[str, ...] = get_args(AnswerKind)


#: The rejection of a variant whose work is outside its slot's difficulty band.
OUTSIDE_BAND = "difficulty: work outside the band"


@dataclass(frozen=True)
class Budget:
    """Bounds on every value a student sees or computes: small denominators, modest magnitudes."""

    max_denominator: int = 12
    max_magnitude: int = 100
    max_tries: int = 1000

    def violation(self, values: Iterable[sympy.Rational]) -> str | None:
        # Integer arithmetic on numerator and denominator: sympy's own comparisons are slow, and
        # this runs for every candidate the resample loop draws.
        largest_denominator, largest_magnitude = self.max_denominator, self.max_magnitude
        for value in values:
            p, q = value.p, value.q
            if q > largest_denominator:
                return "budget: denominator"
            if abs(p) > largest_magnitude * q:
                return "budget: magnitude"
        return None


def course_family_change(reason: str) -> str:
    """What an author changes in a course family that gives no variant, by the reason most
    variants were rejected for ("widen the family's ranges" was said for values beyond the
    budget, which wider ranges make worse, and for a choice form short of mistakes)."""
    if reason.startswith("budget: magnitude"):
        return "narrow the family's ranges, or raise its BUDGET's max_magnitude"
    if reason.startswith("budget: denominator"):
        return "draw simpler fractions, or raise its BUDGET's max_denominator"
    if reason.endswith("distinct distractors"):
        return "name more mistakes (@mistake) that give distinct wrong answers, or ask it free"
    return "widen the family's ranges"


@dataclass(frozen=True)
class Answer:
    kind: AnswerKind
    value: Any
    text: str | None = None

    def __post_init__(self) -> None:
        # Refused where it is made: a misspelt kind was written to key.json as a choice, so
        # grading scored every right answer unreadable and the exports failed much later.
        if self.kind not in ANSWER_KINDS:
            raise ValueError(
                f"Answer kind {self.kind!r} is not one of {', '.join(ANSWER_KINDS)}; "
                'write e.g. Answer("number", value)'
            )
        # A scalar given as a vector failed far from here, in a template ("'Rational' object
        # is not iterable", named at the template's import line), and a vector as a number
        # printed a tuple as the key.
        many = isinstance(self.value, tuple | list)
        if self.kind == "vector" and not many:
            raise ValueError(
                f"Answer('vector', {self.value!r}): a vector answer is a tuple of its "
                'components, e.g. Answer("vector", (w0, w1)); one value is Answer("number", v)'
            )
        if self.kind == "number" and (many or isinstance(self.value, str | dict)):
            raise ValueError(
                f"Answer('number', {self.value!r}): a number answer is one exact number; "
                'several components are Answer("vector", (…))'
            )
        # Neither is a number, though the exactness check passes over both: True was written
        # to the key as 1 while the solutions printed the family's number, and None stopped
        # every command with a traceback.
        values = self.value if many and self.kind == "vector" else (self.value,)
        if self.kind in ("number", "vector") and any(
            v is None or isinstance(v, bool) for v in values
        ):
            which = "each component" if many else "the value"
            raise ValueError(
                f"Answer({self.kind!r}, {self.value!r}): {which} must be an exact number "
                "(sympy.Integer(...), sympy.Rational(...)); "
                'a true/false answer is Answer("bool", v)'
            )

    def to_json(self) -> dict[str, Any]:
        """The key.json form: exact values as sympy ``str()`` strings."""
        if self.kind == "vector":
            out: dict[str, Any] = {"kind": "vector", "value": [exact_str(v) for v in self.value]}
        elif self.kind == "number":
            out = {"kind": "number", "value": exact_str(self.value)}
        elif self.kind == "bool":
            out = {"kind": "bool", "value": bool(self.value)}
        else:
            out = {"kind": "choice", "value": str(self.value)}
        if self.text is not None:
            out["text"] = self.text
        return out

    def cell(self) -> str:
        """The key.csv form, also how a typed response is written: ``(4, 9)``, ``9/2``, ``B``."""
        if self.kind == "vector":
            return "(" + ", ".join(exact_str(v) for v in self.value) + ")"
        if self.kind == "number":
            return exact_str(self.value)
        if self.kind == "bool":
            return "True" if self.value else "False"
        return str(self.value)


@dataclass(frozen=True)
class Solution:
    """The answer and the labelled steps of its worked solution, from one computation."""

    answer: Answer
    steps: Mapping[str, Any]


@dataclass(frozen=True)
class Variant:
    family: Family
    params: Any
    solution: Solution
    rejections: Counter[str] = field(default_factory=Counter, compare=False)

    def key_params(self) -> dict[str, Any]:
        return self.family.params_to_json(self.params)


Rule = tuple[str, Callable[[Any, Solution], bool]]
#: An independent re-check: ``(params_json, answer_json)`` → a one-line problem, or ``None``.
Recheck = Callable[[Mapping[str, Any], Mapping[str, Any]], "str | None"]


@dataclass(frozen=True)
class Mistake:
    """A named mistake: what a student did wrong, and how to compute the answer it leads to."""

    name: str
    explanation: str
    compute: Callable[[Any, Any, Solution], Any]


def degenerate(reason: str) -> str:
    """How ``Family.rejection`` (and the tallies of ``generate`` and ``check``) name a
    degenerate rule that fired."""
    return f"degenerate: {reason}"


def mistake(name: str, explanation: str) -> Callable[[Callable[..., Any]], Mistake]:
    """Declare a named mistake on a family: the decorated method ``(self, params, solution)``
    returns the wrong answer a student reaches by it (``None`` where the mistake does not apply to
    the variant), and ``explanation`` (one sentence, shown
    beside that answer wherever it appears: a distractor's note, online feedback, the practice
    page) says what the student did. Declared in one place, so the two cannot drift apart::

        @mistake("sign-flipped", "This adds the gradient instead of subtracting it.")
        def sign_flipped(self, params, solution):
            return add(solution.steps["w0"], solution.steps["step"])
    """

    def declare(compute: Callable[..., Any]) -> Mistake:
        if not SLUG.match(name):
            raise ValueError(f"mistake name {name!r} must be a lowercase-hyphenated slug")
        if not explanation.strip():
            raise ValueError(f"mistake {name!r} needs an explanation")
        return Mistake(name, " ".join(explanation.split()), compute)

    return declare


def numbers_inside(
    value: Any, where: str = "", formulas: bool = False
) -> Iterator[tuple[str, Any]]:
    """Every number inside ``value`` (dataclasses, mappings, sequences), in order, with its path
    from ``where`` (``steps['v'][1]``): exact ones (an int, a sympy ``Rational``) and any that
    are not (a float, a numpy number, a sympy ``Float`` or irrational); with ``formulas``, a
    sympy formula too (``t - 16/3``), where a number belongs (an answer), not where a template
    may print one (a step)."""
    if isinstance(value, bool | str) or value is None:
        return
    # numbers.Number as well: a fractions.Fraction or a Decimal was passed over as no number.
    if isinstance(value, int | sympy.Rational | float | np.number | numbers.Number) or (
        isinstance(value, sympy.Basic) and (formulas or value.is_number)
    ):
        yield where, value
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from numbers_inside(getattr(value, f.name), f"{where}.{f.name}", formulas)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from numbers_inside(item, f"{where}[{key!r}]", formulas)
    elif isinstance(value, Iterable):
        for index, item in enumerate(value):
            yield from numbers_inside(item, f"{where}[{index}]", formulas)


def _is_exact(number: Any) -> bool:
    return isinstance(number, int | sympy.Rational) and not isinstance(number, np.number)


def exact_numbers(value: Any) -> Iterable[sympy.Rational]:
    """Every exact number inside ``value`` (dataclasses, mappings, sequences), in order."""
    return (sympy.Rational(n) for _, n in numbers_inside(value) if _is_exact(n))


def first_inexact(value: Any, where: str, formulas: bool = False) -> tuple[str, Any] | None:
    """The first number inside ``value`` that is not exact (with ``formulas``, or not a number
    at all: ``numbers_inside``), and its path from ``where``: ``exact_numbers`` passes over
    them, so a ``solve`` that slipped into floats would put a binary fraction in the key."""
    found = numbers_inside(value, where, formulas)
    return next(((path, n) for path, n in found if not _is_exact(n)), None)


def _as_written(value: Any) -> str:
    """A param as key.json and a spec write it (``7``, ``"1/2"``, ``[1, 2]``): two values that
    write alike are the same pin, whatever their Python types (a tuple and a list)."""
    try:
        return json.dumps(to_json(value), ensure_ascii=False)
    except TypeError:  # no JSON form (a family's own parse_params may pin anything)
        return repr(value)


def _type_name(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return str(text or annotation).replace("sympy.", "")


def _choice_key(choice: Any) -> str:
    """What a student reads of an option: its text with case and spacing ignored, or its value."""
    if isinstance(choice, Mapping):
        text = choice.get("text", choice)
    else:
        text = getattr(choice, "text", choice)
    if isinstance(text, str):
        return " ".join(text.split()).casefold()
    return json.dumps(to_json(text), sort_keys=True)


def coinciding_choices(params: Any, solution: Solution) -> bool:
    """Two options read the same, so a student cannot tell the right one from a wrong one.

    Applies to every family whose solution lists its options as ``steps["choices"]``.
    """
    steps = solution.steps
    # A plain dict (every family's steps) first: the ABC check costs more than the lookup.
    choices = steps.get("choices") if type(steps) is dict or isinstance(steps, Mapping) else None
    if not choices:
        return False
    keys = [_choice_key(c) for c in choices]
    return len(set(keys)) != len(keys)


#: Degenerate-variant rules every family obeys, checked after the family's own ``DEGENERATE``.
COMMON_DEGENERATE: tuple[Rule, ...] = (("two choices coincide", coinciding_choices),)

#: Most work a student may be given over the least, within one band of work (``WORK_BANDS``, a
#: spec's ``difficulty``): 3/2, so no student's question takes half as long again as another's.
MAX_WORK_RATIO = Fraction(3, 2)


def band_too_wide(least: int, most: int) -> bool:
    """Whether the band ``least…most`` lets one variant's work exceed ``MAX_WORK_RATIO`` times
    another's."""
    return most > MAX_WORK_RATIO * least


def wide_band_fix(least: int, most: int) -> str:
    """Why the band ``least…most`` is refused, and the widest band from ``least`` allowed."""
    return (
        f"a band spans at most {float(MAX_WORK_RATIO)}× from end to end, so that every student's "
        f"work is comparable; narrow it to ({least}, {math.floor(MAX_WORK_RATIO * least)}) or "
        "split it in two"
    )


class Family(ABC):
    """A problem family: a folder ``<family-id>/`` holding ``family.py`` (a subclass of this),
    ``template.j2`` and, for bank families, ``bank.toml`` (see ``generator.families``)."""

    #: The family's folder; set by the registry when it loads ``family.py``.
    FOLDER: Path
    #: Its ``family.py`` if it comes from a course folder (set with ``FOLDER``; ``None`` for
    #: examgen's own): its values are checked, and its errors are the author's.
    COURSE_MODULE: Path | None = None

    ID: ClassVar[str]
    TITLE: ClassVar[str]
    TAGS: ClassVar[tuple[str, ...]]
    #: The budget every accepted variant meets (``None``: the family has no numbers to bound).
    BUDGET: ClassVar[Budget | None] = Budget()
    #: Named predicates that reject a variant which would not test what the problem is for.
    DEGENERATE: ClassVar[tuple[Rule, ...]] = ()
    #: How many tries ``generate`` makes before giving up (overridden by ``BUDGET.max_tries``).
    MAX_TRIES: ClassVar[int] = 1000
    #: How the question is answered: ``"free"`` (a value), ``"choice"`` or ``"true-false"``.
    FORM: ClassVar[str] = "free"
    #: Its multiple-choice form draws params again when every choice of distractors lets a
    #: test-wise strategy beat a blind guess (``generator.choices.has_fair_plan``), at most
    #: ``ChoiceForm.UNFAIR_TRIES`` times. For a family where a fair share of params have a fair
    #: plan (the descent steps, the numeric families ``examgen new`` writes: about a quarter);
    #: where almost none do (the chain), resampling would only slow every draw.
    RESAMPLE_UNFAIR_CHOICES: ClassVar[bool] = False
    #: Why the family, though it names its mistakes, is not offered as multiple choice (empty:
    #: it is): distractors a test-wise student tells from the key would measure test-wiseness.
    CHOICE_FORM_WITHHELD: ClassVar[str] = ""
    #: Named bands of the work measure (``work``), each an inclusive ``(least, most)`` range a
    #: spec slot can ask for with ``difficulty = "name"``; empty for a family without a measure.
    WORK_BANDS: ClassVar[Mapping[str, tuple[int, int]]] = {}
    #: The band this instance keeps to (``with_difficulty``); ``None``: any work.
    work_band: tuple[int, int] | None = None
    #: The parameters, declared once (``generator.families.params``): they give ``Params``,
    #: ``parse_params``, ``draw``, the key's JSON and ``examgen show``. A family that declares
    #: none writes its own ``Params`` dataclass, ``parse_params`` and ``draw``.
    PARAMS: ClassVar[tuple[Param, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("PARAMS")
        if not declared or "Params" in cls.__dict__:
            return
        names = [p.name for p in declared]
        for p in declared:
            if not p.name.isidentifier() or names.count(p.name) > 1:
                raise TypeError(
                    f"{cls.__name__}.PARAMS: {p.name!r} must be a unique Python identifier"
                )
        cls.Params = make_dataclass(  # type: ignore[attr-defined]
            "Params", [(p.name, p.annotation) for p in declared], frozen=True
        )
        cls.Params.__qualname__ = f"{cls.__qualname__}.Params"
        cls.Params.__module__ = cls.__module__

    # --- to implement -------------------------------------------------------------------------
    def parse_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Validate pinned params from JSON; return exact values, keyed by Params field name.

        Raise ``ExamgenError`` naming the field and the rule it breaks. The default validates
        each value against its ``PARAMS`` declaration.
        """
        self._need_params("parse_params")
        self.check_param_names(raw)
        where = f"family {self.ID}: params."
        return {p.name: p.parse(raw[p.name], where + p.name) for p in self.PARAMS if p.name in raw}

    def draw(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> Any:
        """One candidate Params: the pinned values as given, the rest drawn from ``rng``. The
        default draws each undeclared-pinned value uniformly from its ``PARAMS`` declaration."""
        self._need_params("draw")
        values = {
            p.name: pinned[p.name] if p.name in pinned else p.draw(rng) for p in self.PARAMS
        }
        return self.params_type(**values)

    def declaration_problem(self) -> str | None:
        """What, in this family's folder beside ``family.py`` (a bank), cannot give a variant:
        one line naming the file, checked when the family loads; ``None`` if nothing."""
        return None

    def _need_params(self, method: str) -> None:
        if not self.PARAMS:
            raise TypeError(
                f"family {self.ID}: declare PARAMS or write {type(self).__name__}.{method}"
            )

    @abstractmethod
    def solve(self, params: Any) -> Solution:
        """The exact answer and every step of the worked solution (pure sympy, no randomness)."""

    def budget_values(self, params: Any, solution: Solution) -> Iterable[sympy.Rational]:
        """Every exact number the budget bounds. With declared ``PARAMS``: every number in the
        params, the solution's steps and the answer (every intermediate value a student writes);
        otherwise none, and families with numbers override this."""
        if not self.PARAMS:
            return ()
        return list(exact_numbers((params, solution.steps, solution.answer.value)))

    def recheck(self, params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
        """An independent re-check of one key entry (``params`` and ``answer`` as key.json holds
        them): recompute the answer another way, sharing no code with ``solve`` (floats and numpy,
        a truth table), and return a one-line problem or ``None``. ``examgen check`` runs it on
        every variant it samples and reports families without one."""
        return None

    def work(self, params: Any, solution: Solution) -> int | None:
        """How much a student must do: the arithmetic operations the worked solution performs,
        counted from its steps (``None``: the family has no such measure). ``examgen check``
        reports its spread, and a slot's ``difficulty`` keeps it within a band, so students of
        one exam get comparable work."""
        return None

    def mirror_center(self, params: Any) -> Any:
        """The point a sign slip mirrors a numeric answer about (the initial weights of a descent
        step); ``None``: zero. ``generator.testwise`` looks for mirror pairs about it."""
        return None

    def stem_factors(self, params: Any) -> tuple[Any, ...]:
        """Numbers the question prints that a slip scales the answer's step (from
        ``mirror_center``) by: a learning rate applied twice or not at all, a sum for an average
        over n points. A test-wise student who sees them looks for the option the others are
        such multiples of (``generator.testwise.MostScaledByTheStem``)."""
        return ()

    def gives_itself_away(self, params: Any, value: Any) -> bool:
        """Whether a wrong answer has a trait no key of this family has, so that a student rules
        it out without working the question (an update that leaves a weight as it was, where
        ``DEGENERATE`` rejects every key that does). Its multiple-choice form never offers one:
        ruling out the options that kept a weight found the descent step's key in 36% of its
        variants (chance 25%). Grading still recognises the mistake in a typed answer."""
        return False

    def draw_once(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> dict[str, Any]:
        """Decisions drawn once per variant, before the resample loop, and handed to ``draw`` in
        ``pinned`` (under keys that are not params): a share such as "zero initial weights half
        the time" then holds for accepted variants, whatever the loop rejects more often."""
        return {}

    def with_difficulty(self, band: tuple[int, int]) -> Family:
        """This family keeping its work within ``band`` (inclusive): a copy that rejects, through
        the resample loop, every variant outside it."""
        copy = _copy.copy(self)
        copy.work_band = band
        return copy

    # --- named mistakes -----------------------------------------------------------------------
    @classmethod
    def mistakes(cls) -> tuple[Mistake, ...]:
        """The family's named mistakes (``@mistake`` declarations), base classes' first; a
        subclass may redeclare a name to change it."""
        found: dict[str, Mistake] = {}
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                if isinstance(value, Mistake):
                    found[value.name] = value
        return tuple(found.values())

    def misconceptions(self, params: Any, solution: Solution) -> dict[str, Any]:
        """Named wrong answers a student reaches by a known mistake, as answer values.

        Multiple-choice versions draw their distractors from these, and grading recognises them in
        typed responses. A value may coincide with the correct answer for some params; callers
        that need distinct values must check.
        """
        with self.code_time_limit():
            return self._mistake_values(params, solution)

    def _mistake_values(self, params: Any, solution: Solution) -> dict[str, Any]:
        """``misconceptions``' values; a course family's are checked (``refuse_misshapen``)."""
        values = {}
        course = self.course_module() is not None
        for declared in self.mistakes():
            try:
                value = declared.compute(self, params, solution)
            except ExamgenError:
                raise
            except (Exception, SystemExit) as err:
                raise self.mistake_error(declared.name, err) from err
            if value is not None:
                if course:
                    self.refuse_misshapen(declared.name, value, solution.answer)
                if any(value == given for given in self.given_values(params)):
                    continue
                values[declared.name] = value
        return values

    def given_values(self, params: Any) -> tuple[Any, ...]:
        """Values the question itself prints in the answer's shape (the descent step's initial
        weights): a mistake that lands on one names no slip, since copying it is no work at all.
        The first point's gradient alone is zero when its prediction is right, so "the first
        point alone" gave the initial weights: the practice page told a student who took no
        step that they had used one point, and partial credit for it would have paid them."""
        return ()

    def mistake_explanation(self, name: str) -> str:
        """One sentence telling a student who reached ``name``'s value what they did wrong.

        Shown beside a distractor in a multiple-choice solution, as feedback online and on the
        practice pages; every name ``misconceptions`` returns has one.
        """
        for declared in self.mistakes():
            if declared.name == name:
                return declared.explanation
        raise ExamgenError(
            f"family {self.ID}: no explanation for the mistake {name!r}; declare it with "
            "@mistake(name, explanation) in family.py instead of overriding misconceptions"
        )

    # --- shared -------------------------------------------------------------------------------
    @property
    def params_type(self) -> type:
        return type(self).Params  # type: ignore[attr-defined]

    def param_names(self) -> tuple[str, ...]:
        return field_names(self.params_type)

    def params_to_json(self, params: Any) -> dict[str, Any]:
        if self.PARAMS:
            return {p.name: p.to_json(getattr(params, p.name)) for p in self.PARAMS}
        return to_json(params)

    def param_descriptions(self) -> dict[str, str]:
        """What each parameter may be, for ``examgen show``: from ``PARAMS``, or the Params
        dataclass's field types for a family that writes its own parsing."""
        if self.PARAMS:
            return {
                p.name: p.describe() + (f" ({p.doc})" if p.doc else "") for p in self.PARAMS
            }
        return {f.name: _type_name(f.type) for f in fields(self.params_type)}

    def check_param_names(self, raw: Mapping[str, Any]) -> None:
        unknown = sorted(set(raw) - set(self.param_names()))
        if unknown:
            raise ExamgenError(
                f"family {self.ID}: unknown parameter {unknown[0]!r}; "
                f"expected some of: {', '.join(self.param_names())}"
            )

    def rejection(self, params: Any, solution: Solution) -> str | None:
        """Why this variant is not acceptable, or ``None`` if it is."""
        if self.BUDGET is not None:
            reason = self.BUDGET.violation(self.budget_values(params, solution))
            if reason:
                return reason
        for reason, is_degenerate in (*self.DEGENERATE, *COMMON_DEGENERATE):
            if is_degenerate(params, solution):
                return degenerate(reason)
        if self.work_band is not None:
            work = self.work(params, solution)
            if work is None or not self.work_band[0] <= work <= self.work_band[1]:
                return OUTSIDE_BAND
        return None

    def early_rejection(self, params: Any) -> str | None:
        """``rejection``'s reason for ``params``, where it can be told before ``solve`` (a
        budget broken by the first values the solution computes), else ``None``: the resample
        loop then skips solving a candidate it would reject anyway. A family that overrides it
        must return ``rejection(params, solve(params))`` or ``None``, for params ``solve``
        accepts."""
        return None

    def param_draws(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> Iterator[Any]:
        """Params as ``generate`` draws them, one per try: what ``draw_once`` decides, then
        ``draw`` each time (``check`` draws its candidates the same way)."""
        decided = self.draw_once(rng, pinned) | dict(pinned)
        course = self.course_module() is not None
        while True:
            params = self.draw(rng, decided)
            if course:
                self.refuse_bad_draw(params, pinned)
            yield params

    def max_tries(self) -> int:
        return self.BUDGET.max_tries if self.BUDGET is not None else self.MAX_TRIES

    def generate(
        self, rng: np.random.Generator, pinned: Mapping[str, Any] | None = None
    ) -> Variant:
        """A variant that meets the budget and no degenerate rule, or a clear error.

        ``pinned`` holds exact values (from ``parse_params``); when every field is pinned there is
        nothing to resample, so one try decides. A course family's code that never returns (an
        endless loop in ``solve``) is stopped after ``COURSE_SECONDS`` (``hang_error``).
        """
        with self.code_time_limit():
            return self._resampled(rng, pinned)

    def code_time_limit(self) -> AbstractContextManager[None]:
        """Where the family's own code runs for a variant: a course family's under
        ``COURSE_SECONDS`` (``hang_error``); examgen's own, proved by their tests, with no timer."""
        if self.course_module() is None:
            return nullcontext()
        return course_time_limit(self.hang_error)

    def _resampled(self, rng: np.random.Generator, pinned: Mapping[str, Any] | None) -> Variant:
        """``generate``'s resample loop."""
        pinned = dict(pinned or {})
        tries = 1 if set(pinned) >= set(self.param_names()) else self.max_tries()
        draws = self.param_draws(rng, pinned)
        rejections: Counter[str] = Counter()
        course = self.course_module() is not None
        for _ in range(tries):
            try:
                params = next(draws)
                reason = self.early_rejection(params)
                if reason is None:
                    solution = self.solve(params)
                    if course:
                        self.refuse_inexact(solution)
                    reason = self.rejection(params, solution)
            except ExamgenError:
                raise
            except (Exception, SystemExit) as err:
                raise self.code_error(err) from err
            if reason is None:
                return Variant(self, params, solution, rejections)
            rejections[reason] += 1
        common = ", ".join(f"{r} ×{n}" for r, n in rejections.most_common(3))
        budget = (
            f" (denominators ≤ {self.BUDGET.max_denominator}, |values| ≤ "
            f"{self.BUDGET.max_magnitude})"
            if self.BUDGET
            else ""
        )
        # What the instructor can change: their pins, a course family's ranges, the band.
        changes = ["pin fewer or other values"] if pinned else []
        if course:
            changes.append(course_family_change(rejections.most_common(1)[0][0]))
        if rejections[OUTSIDE_BAND]:
            changes.insert(0, "ask for another difficulty")
        hint = ", or ".join(changes) or "examgen's own families always have one: please report it"
        raise NoAcceptableVariant(
            f"family {self.ID}: no acceptable variant in {tries} tries{budget}; "
            f"rejected for {common}; {hint}",
            rejections,
        )

    def course_folder(self) -> Path | None:
        """The course folder holding this course family's folder (what ``--families`` names);
        ``None`` for examgen's own."""
        module = self.course_module()
        return None if module is None else module.parent.parent

    def families_option(self) -> str:
        """`` --families DIR`` for a course family (its course folder, quoted for a shell), so
        that a suggested command runs as printed; nothing for examgen's own."""
        folder = self.course_folder()
        return "" if folder is None else f" --families {shlex.quote(str(folder))}"

    def course_module(self) -> Path | None:
        """``COURSE_MODULE`` of this family, or of the family a form (multiple choice) wraps."""
        return getattr(self, "base", self).COURSE_MODULE

    def refuse_inexact(self, solution: Solution) -> None:
        """A course family's answer and steps hold exact numbers only, and its answer no
        formula (``gradient + sympy.Symbol("t")``, which a template may print in a step but
        key.csv cannot hold: on 8cb6922 it failed in the template, named at its import line):
        one line naming the first that is not (examgen's own families are proved so by their
        tests)."""
        found = first_inexact(solution.answer.value, "the answer", formulas=True)
        if found and isinstance(found[1], sympy.Basic) and not found[1].is_number:
            where, value = found
            symbols = ", ".join(sorted(map(str, value.free_symbols)))
            raise ExamgenError(
                f"family {self.ID}: {self.course_module()}: solve gave {where} = {value} "
                f"({type(value).__name__}), a formula{f' in {symbols}' if symbols else ''}; an "
                "answer is an exact number: compute it from the params, with no symbol (a step "
                "may hold a formula to print)"
            )
        found = found or first_inexact(dict(solution.steps), "steps")
        if found:
            where, value = found
            raise ExamgenError(
                f"family {self.ID}: {self.course_module()}: solve gave {where} = {value!r} "
                f"({type(value).__name__}); answers and steps are exact: compute with the params "
                "(sympy numbers) and sympy.Rational, never float(), math or numpy"
            )

    def refuse_bad_draw(self, params: Any, pinned: Mapping[str, Any]) -> None:
        """A course family's drawn params hold exact numbers only (its own ``draw`` may return
        ``rng.integers(1, 5)``, a numpy int, or a ``Fraction``), each as its ``PARAMS``
        declaration allows, and the ``pinned`` values as given: one line naming the first that
        is not, said where every command first sees the draw, not as a traceback from key.json,
        nor (a value out of its range) as a key whose params ``grade --families`` cannot pin
        again, nor (a pin drawn over) as a key that silently ignores a spec's params. Params of
        another type (a dict) would fail later, in ``solve``, named as solve's bug."""
        expected = self.params_type
        if not isinstance(params, expected):
            raise ExamgenError(
                f"family {self.ID}: {self.course_module()}: draw returned a "
                f"{type(params).__name__}, not {expected.__name__}; return "
                f"self.params_type(name=value, …) with every field of {expected.__name__}"
            )
        found = first_inexact(params, "params")
        if found:
            where, value = found
            kind = type(value)
            module = "" if kind.__module__ == "builtins" else kind.__module__.split(".")[0] + "."
            raise ExamgenError(
                f"family {self.ID}: {self.course_module()}: draw gave {where} = {value!r} "
                f"({module}{kind.__name__}); params are exact: return sympy numbers "
                "(sympy.Integer(...), sympy.Rational(...)), never numpy, float or Fraction"
            )
        for name in self.param_names():
            if name not in pinned:
                continue
            drawn, given = _as_written(getattr(params, name)), _as_written(pinned[name])
            if drawn != given:
                raise ExamgenError(
                    f"family {self.ID}: {self.course_module()}: draw gave {name} = {drawn} "
                    f"where {name} is pinned to {given}; draw must keep the values in pinned "
                    "(a spec's params, --params, a key being graded): return pinned[name] for "
                    "every name it holds"
                )
        if not self.PARAMS:  # a form of a family (multiple choice): its base family checks
            return
        try:  # as key.json's params are read again: by check, grade --families, a pin
            self.parse_params(self.params_to_json(params))
        except ExamgenError as err:
            said = str(err).removeprefix(f"family {self.ID}: ")
            raise ExamgenError(
                f"family {self.ID}: {self.course_module()}: draw gave params its key cannot hold "
                f"({said}); keep draw within the ranges PARAMS declares, or widen them"
            ) from None

    def mistake_error(self, name: str, err: BaseException) -> BaseException:
        """A named mistake that raised, as one line naming it (and its line in the family's
        module): grading, the exports and the practice pages compute every mistake of every
        variant, so it would stop them all."""
        located = self.code_error(err)
        if not isinstance(located, ExamgenError):
            return located
        message = str(located).removeprefix(f"family {self.ID}: ")
        message = message.split("; check what it returns", 1)[0]
        return ExamgenError(
            f"family {self.ID}: mistake {name!r}: {message}; a mistake returns the wrong answer "
            "it leads to (shaped like the key), or None where it does not apply to the variant"
        )

    def refuse_misshapen(self, name: str, value: Any, answer: Answer) -> None:
        """A course family's mistake gives a value a student could type for this answer: exact
        numbers, as many as the key has. Grading and the exports compare it with typed responses,
        so a float, ``zoo`` or a vector of another length would fail there, not here."""
        where = f"mistake {name!r} gave"
        if answer.kind == "vector":
            fits = isinstance(value, Sequence) and not isinstance(value, str)
            if not fits or len(value) != len(answer.value):
                raise ExamgenError(
                    f"family {self.ID}: {self.course_module()}: {where} {value!r}, but the "
                    f"answer is a vector of {len(answer.value)} numbers; return one of that "
                    "length (or None where the mistake does not apply)"
                )
        elif answer.kind == "number" and [p for p, _ in numbers_inside(value, "")] != [""]:
            raise ExamgenError(
                f"family {self.ID}: {self.course_module()}: {where} {value!r}, but the "
                "answer is one number; return one exact number (or None)"
            )
        found = first_inexact(value, "")
        if found:
            raise ExamgenError(
                f"family {self.ID}: {self.course_module()}: {where} {found[1]!r} "
                f"({type(found[1]).__name__}); a mistake's value is exact like the key's: use "
                "sympy.Rational, not float(), math or numpy, and return None where it does not "
                "apply (a division by zero)"
            )

    def hang_error(self, frame: FrameType | None, seconds: float) -> ExamgenError:
        """A course family's code stopped by its time limit (``generator.time_limit``) after
        ``seconds``, running ``frame``: one line naming the method it was in (the family's
        outermost frame on the stack: ``solve``, a mistake by its name) and its line (the
        innermost), where it had hung check, preview and build without a word (8cb6922)."""
        module = self.course_module()
        ours = []  # the family module's frames, innermost first
        while frame is not None:
            if module is not None and Path(frame.f_code.co_filename) == module:
                ours.append(frame)
            frame = frame.f_back
        if not ours:
            return ExamgenError(
                f"family {self.ID}: {module}: one variant took more than {seconds:g} s (its tries "
                "and rules); narrow the family's ranges, or make its rules reject fewer variants"
            )
        code = ours[-1].f_code
        method = code.co_name
        for declared in getattr(self, "base", self).mistakes():  # a form's: its family's
            if getattr(declared.compute, "__code__", None) is code:
                method = f"mistake {declared.name!r}"
        for reason, rule in self.DEGENERATE:
            if getattr(rule, "__code__", None) is code:
                method = f"the rule {reason!r}"
        return ExamgenError(
            f"family {self.ID}: {module}:{ours[0].f_lineno}: {method} did not return within "
            f"{seconds:g} s on one variant; make it return for all params (a loop that never "
            "ends?)"
        )

    def code_error(self, err: BaseException) -> BaseException:
        """An error in the family's own module as one line naming its file and line (an
        author's bug, reported like bad input); ``err`` itself if it arose elsewhere."""
        folder = getattr(getattr(self, "base", self), "FOLDER", None)
        if folder is None:
            return err
        frame = innermost_frame(err, lambda filename: Path(filename).parent == folder)
        message = " ".join(str(err).split())
        module = self.course_module()
        if frame is None and module is not None:
            # A course family's value broke examgen's code (solve returned no Solution): the
            # author's bug all the same, not examgen's.
            return ExamgenError(
                f"family {self.ID}: {module}: {type(err).__name__}: {message}; "
                "check what it returns (solve: Solution(Answer(kind, value), {step: value}))"
            )
        if frame is None:
            return err
        return ExamgenError(
            f"family {self.ID}: {frame[0]}:{frame[1]}: {type(err).__name__}: {message}"
        )

    def variant_from_json(
        self, rng: np.random.Generator, raw: Mapping[str, Any] | None = None
    ) -> Variant:
        """Validate pinned JSON params, then generate."""
        return self.generate(rng, self.parse_params(raw or {}))
