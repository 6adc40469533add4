"""Multiple choice: the correct answer among distractors, all different, in a per-student order.

Two kinds of question use this layer. Concept families draw their choices from a statement bank;
any family with named misconceptions (``Family.misconceptions``) gets a multiple-choice *form*,
``ChoiceForm``, whose distractors are the wrong answers those mistakes produce. Either way:

- every choice remembers where it came from (``source``: ``"correct"``, a misconception name or a
  bank id), and the order of sources is the variant's ``choices`` param, so key.json records the
  misconception behind each letter and pinning the order reproduces the variant;
- no two choices are equal: values are compared exactly (sympy Rationals), coinciding
  misconceptions are skipped, and a variant left with too few distractors is rejected through the
  family's own resample loop (``Family.generate``), never patched up with made-up values;
- the order comes from the question's own random stream, never global state.

Rendering is the per-format macro layer's job (``M.response`` prints the lettered choices,
``M.choice_notes`` says in the solution why each distractor is wrong); the family's template is
the same for both forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, make_dataclass
from fractions import Fraction
from functools import cache, lru_cache
from itertools import combinations
from typing import Any, Literal, NamedTuple, TypeVar

import numpy as np
import sympy

from generator.defaults import FORMS
from generator.errors import ExamgenError
from generator.exact import exact_str
from generator.families.base import Answer, Family, Solution, Variant, field_names
from generator.fingerprint import fingerprint_of
from generator.testwise import MARGIN, Options, make_options, outcome_arrays

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CORRECT = "correct"
#: How many draws of a set of distractors a plan (``FairSets.plan``) is made of: its mixture
#: weighs each kind of set in multiples of 1/PLAN_DRAWS.
PLAN_DRAWS = 60
#: A plan that leaves some strategy, followed or ruled out, more than this above a blind guess
#: is not fair: ``ChoiceForm`` draws other params where it can. Over a class, then, no strategy
#: beats chance by more than ``examgen check`` allows.
PLAN_SLACK = Fraction(str(MARGIN))  # exactly 1/20, as check reads its 0.05
#: ``ChoiceForm.draw``'s mark for params whose every plan of distractors lets some test-wise
#: strategy beat a blind guess (resampled, see ``ChoiceForm.UNFAIR_TRIES``).
NO_FAIR_SET = "(no fair set of distractors)"
#: The degenerate rule that draws other params for it (``RESAMPLE_UNFAIR_CHOICES``).
NO_FAIR_SET_REASON = "every choice of distractors lets a test-wise strategy beat a guess"
#: ``draw_once``'s counter of the tries left that may still be resampled for ``NO_FAIR_SET``
#: (passed to ``draw`` in ``pinned``, not a param).
FAIR_TRIES_LEFT = "_fair_tries_left"


@dataclass(frozen=True)
class Choice:
    """One lettered option as a student sees it.

    ``kind`` tells the template how to print ``value``: ``"vector"`` and ``"number"`` are exact
    values, ``"text"`` is bank prose. ``text`` is the plain form key.json shows; ``note`` is what
    the solution says about this choice (why a distractor is wrong), or ``None``.
    """

    letter: str
    source: str
    kind: str
    value: Any
    correct: bool
    text: str
    note: str | None = None


def same_value(a: Any, b: Any) -> bool:
    """Exact equality of two answer values: Rationals, tuples of them, or text."""
    # Two sympy Rationals (lowest terms, positive denominator) are equal when their numerators
    # and denominators are, and tuples are Sequences: what the general case below concludes,
    # without sympy's subtraction or the ABC checks (``distinct_candidates`` compares every pair).
    if isinstance(a, sympy.Rational) and isinstance(b, sympy.Rational):
        return a.p == b.p and a.q == b.q
    if type(a) is tuple and type(b) is tuple:
        return len(a) == len(b) and all(map(same_value, a, b))
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, Sequence) or isinstance(b, Sequence):
        if not (isinstance(a, Sequence) and isinstance(b, Sequence)) or len(a) != len(b):
            return False
        return all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return sympy.Rational(a) - sympy.Rational(b) == 0


def distinct_candidates(correct: Any, candidates: Mapping[str, Any]) -> list[str]:
    """The candidate names whose values differ from ``correct`` and from every earlier candidate.

    Of two coinciding misconceptions the first (in the family's declared order) is kept, so the
    result does not depend on anything random.
    """
    kept: list[str] = []
    for name, value in candidates.items():
        if same_value(value, correct) or any(same_value(value, candidates[k]) for k in kept):
            continue
        kept.append(name)
    return kept


def arrange(
    rng: np.random.Generator, correct: str, distractors: Sequence[str], count: int
) -> tuple[str, ...]:
    """``count`` distractors drawn from ``distractors`` and the correct source, shuffled."""
    count = min(count, len(distractors))
    picked = [distractors[int(i)] for i in rng.choice(len(distractors), size=count, replace=False)]
    sources = [correct, *picked]
    return tuple(sources[int(i)] for i in rng.permutation(len(sources)))


def arrange_fairly(
    rng: np.random.Generator,
    correct: str,
    values: Mapping[str, Any],
    count: int,
    kind: str,
    center: Any = None,
    factors: tuple[Any, ...] = (),
) -> tuple[str, ...]:
    """``count`` distractors from ``values`` (every name but ``correct``) drawn by the options'
    plan (``FairSets.plan``), so that every test-wise strategy (``generator.testwise``), followed
    or ruled out, finds the key as often as a blind guess, or as near it as these options allow;
    then shuffled.

    No single set can do that: each points every strategy at the key or away from it. A mixture
    of sets can: drawn from sets where the shortest option is the key a quarter of the time and
    from others three quarters, a student who rules out the shortest option guesses among three
    options that hold the key three times in four, a quarter in all. The plan is that mixture
    for every strategy at once; the draw takes one of its sets, uniformly among the sets its
    strategies read alike. All from ``rng``, over the names in the family's declared order:
    deterministic."""
    fair = _fair_sets_of(AskedOptions.of(correct, values, count, kind, center, factors))
    sets = fair.kinds[fair.plan[int(rng.integers(len(fair.plan)))]]
    picked = fair.combos[sets[int(rng.integers(len(sets)))]]
    sources = [correct, *picked]
    return tuple(sources[int(i)] for i in rng.permutation(len(sources)))


def has_fair_plan(
    correct: str,
    values: Mapping[str, Any],
    count: int,
    kind: str,
    center: Any = None,
    factors: tuple[Any, ...] = (),
) -> bool:
    """Whether the options' plan keeps every test-wise strategy, followed or ruled out, within
    ``PLAN_SLACK`` of a blind guess. Without one, some strategy beats a blind guess in every
    such variant, so ``ChoiceForm`` draws other params where it can (the mirror pair found the
    key in 31% on the descent step before it did; ruling out the shortest option, a third)."""
    asked = AskedOptions.of(correct, values, count, kind, center, factors)
    return not _beaten_by_a_quick_strategy(asked) and _by_value(_fair_plan, asked) is not None


class AskedOptions(NamedTuple):
    """What a question's fair sets of distractors depend on, by value (``arrange_fairly``'s
    arguments): the key's name, every name with its value in the family's declared order, how
    many distractors are shown, the answer's kind, and the stem's centre and factors
    (``Family.mirror_center``, ``Family.stem_factors``)."""

    correct: str
    values: tuple[tuple[str, Any], ...]
    count: int
    kind: str
    center: Any = None
    factors: tuple[Any, ...] = ()

    @classmethod
    def of(cls, correct: str, values: Mapping[str, Any], *rest: Any) -> AskedOptions:
        """From ``arrange_fairly``'s arguments: ``values`` as a mapping, the rest as they are."""
        return cls(correct, tuple(values.items()), *rest)


#: Strategies that read one number per option (cheap to weigh) and alone leave no fair plan for
#: a third of the gradient step's params that have none: weighed before all the others.
QUICK_STRATEGIES = (
    "simplest fractions",
    "most complex fractions",
    "shortest option",
    "longest option",
)


def _beaten_by_a_quick_strategy(asked: AskedOptions) -> bool:
    """Whether one of ``QUICK_STRATEGIES``, followed or ruled out, beats a blind guess by more
    than ``PLAN_SLACK`` on every set of distractors. Then it does on every plan too (a plan
    scores the average of its sets' scores): ``has_fair_plan`` is False without weighing the
    other strategies or searching a plan, which cost ten times as much."""
    _, size, scale, vectors = _set_scores(asked, QUICK_STRATEGIES)
    return bool(len(vectors)) and bool(
        (vectors.min(axis=0) > scale // size + PLAN_SLACK * scale).any()
    )


R = TypeVar("R")


def _by_value(remembered: Callable[[AskedOptions], R], asked: AskedOptions) -> R:
    """``remembered(asked)``, from its cache when the options' values can be hashed."""
    try:
        hash(asked)
    except TypeError:  # a list among the values: worked out afresh
        return remembered.__wrapped__(asked)  # type: ignore[attr-defined]
    return remembered(asked)


def _fair_sets_of(asked: AskedOptions) -> FairSets:
    """``_fair_sets`` of these options, remembered when their values can be."""
    return _by_value(_fair_sets, asked)


#: Option sets whose plans are remembered: a bank family offers the same few.
REMEMBERED_OPTION_SETS = 256
#: The powers of the excesses ``_fair_sets`` searches plans by (``_plan``), in turn: the next
#: only when the plan found so far is not fair; when none is, the plan of least excess (the
#: first of equals).
PLAN_POWERS = (2, 6)


class FairSets(NamedTuple):
    """What ``arrange_fairly`` draws from."""

    #: Every set of distractors, in the order of the declared names.
    combos: tuple[tuple[str, ...], ...]
    #: How many options each set shows (the key and its distractors).
    size: int
    #: Each kind of set (sets on which every strategy, followed and ruled out, scores the same),
    #: in order of first appearance: the indices of its sets, ascending.
    kinds: tuple[tuple[int, ...], ...]
    #: ``PLAN_DRAWS`` kinds (indices into ``kinds``, with repeats): the mixture to draw from.
    plan: tuple[int, ...]
    #: How far the plan leaves the strategy it favours most above a blind guess.
    excess: Fraction


class KindTable(NamedTuple):
    """What a plan is searched on (``_plan``): each kind of set's scores."""

    combos: tuple[tuple[str, ...], ...]
    size: int
    scale: int
    kinds: tuple[tuple[int, ...], ...]
    #: A row per kind: its scores times ``scale``, of the strategies that see a cue somewhere.
    scores: np.ndarray
    #: A blind guess's score times ``scale``.
    chance: int
    #: How many columns the table had before the ones at chance were left out.
    columns: int


@lru_cache(maxsize=8)  # has_fair_plan's, for the _fair_sets of the variant it lets through
def _kind_table(asked: AskedOptions) -> KindTable:
    """Weighing every strategy on every set is most of a plan's cost: done once for both the
    verdict (``_fair_plan``) and the plan drawn from (``_fair_sets``)."""
    combos, size, scale, vectors = _set_scores(asked)
    # Sets of equal scores (every strategy, both ways) are one kind, in order of first
    # appearance, each with its sets ascending: a row's bytes name its kind (a dictionary keeps
    # that order without sorting the rows, as ``np.unique`` would).
    rows = np.ascontiguousarray(vectors)
    members: dict[bytes, list[int]] = {}
    for index, row in enumerate(rows.view(np.dtype((np.void, rows.itemsize * rows.shape[1])))):
        members.setdefault(row.tobytes(), []).append(index)
    kinds = tuple(map(tuple, members.values()))
    table = rows[[sets[0] for sets in kinds]]
    # A strategy that sees no cue in any set (a rule on words, for options that are values)
    # scores chance in every kind: no mixture moves it, so the plan is searched without it.
    # The power is still chosen for every column, so leaving them out changes no plan.
    chance = scale // size
    live = (table != chance).any(axis=0)
    live[0] |= not live.any()
    return KindTable(combos, size, scale, kinds, table[:, live], chance, table.shape[1])


@lru_cache(maxsize=REMEMBERED_OPTION_SETS)
def _fair_sets(asked: AskedOptions) -> FairSets:
    """A pure function of the options' values (compared exactly), so remembered by them."""
    table = _by_value(_kind_table, asked)
    found = _by_value(_fair_plan, asked)
    if found is None:  # no power finds a fair plan: the plan that leaves the least excess
        runs = [_plan(table.scores, table.chance, power, table.columns) for power in PLAN_POWERS]
        found = min((run for run in runs if run is not None), key=lambda run: run[1])
    plan, excess = found
    return FairSets(table.combos, table.size, table.kinds, plan, excess / table.scale)


@lru_cache(maxsize=8)  # has_fair_plan's, for the _fair_sets of the variant it lets through
def _fair_plan(asked: AskedOptions) -> tuple[tuple[int, ...], Fraction] | None:
    """The plan of the first power (``PLAN_POWERS``) whose search finds a fair one, with its
    excess; ``None`` when none does. Each search is given up once it cannot end fair: most
    params weighed have no fair plan (the gradient step's choice form, seven in eight), and
    only a drawn variant needs the plan of those that have none."""
    table = _by_value(_kind_table, asked)
    fairest = PLAN_DRAWS * table.chance + math.floor(PLAN_SLACK * table.scale * PLAN_DRAWS)
    for power in PLAN_POWERS:
        found = _plan(table.scores, table.chance, power, table.columns, give_up_above=fairest)
        if found is not None:
            return found
    return None


def _set_scores(
    asked: AskedOptions, only: Sequence[str] | None = None
) -> tuple[tuple[tuple[str, ...], ...], int, int, np.ndarray]:
    """Every set of ``count`` distractors (in the order of the declared names), how many options
    each shows, the scale of the scores and each set's ``_scaled_scores`` (of the strategies
    ``only`` names, when given: the others' columns at chance)."""
    combos, size, whole, shown = _by_value(_shown_sets, asked)
    hit, blind, picked = outcome_arrays(whole, shown, only)
    scale = math.lcm(*range(1, size + 1))
    return combos, size, scale, _scaled_scores(hit, blind, picked, size, scale)


@lru_cache(maxsize=8)  # the quick strategies' and then all of them, on the same options
def _shown_sets(
    asked: AskedOptions,
) -> tuple[tuple[tuple[str, ...], ...], int, Options, np.ndarray]:
    """Every set of distractors, how many options each shows, the options, and each set as the
    indices of the options it shows, the key's first (a row per set)."""
    correct, kind = asked.correct, asked.kind
    declared = [name for name, _ in asked.values]
    values = [value for _, value in asked.values]
    names = [n for n in declared if n != correct]
    count = min(asked.count, len(names))
    whole = make_options([plain_text(kind, v) for v in values], values, asked.center, asked.factors)
    position = {n: i for i, n in enumerate(declared)}
    combos = tuple(combinations(names, count))
    shown = np.empty((len(combos), count + 1), dtype=np.intp)
    shown[:, 0] = position[correct]
    if combos:
        shown[:, 1:] = np.array(
            list(combinations([position[n] for n in names], count)), dtype=np.intp
        ).reshape(len(combos), count)
    shown.flags.writeable = False  # remembered: shared by every caller
    return combos, count + 1, whole, shown


def _scaled_scores(
    hit: np.ndarray, blind: np.ndarray, picked: np.ndarray, size: int, scale: int
) -> np.ndarray:
    """``outcome_scores`` of every set and strategy times ``scale`` (integers), a row per set:
    each strategy followed, then ruled out."""
    left = np.maximum(size - picked, 1)  # a strategy that picks every option is blind
    chance = scale // size
    followed = np.where(blind, chance, np.where(hit, scale // picked, 0))
    ruled_out = np.where(blind, chance, np.where(hit, 0, scale // left))
    return np.stack([followed, ruled_out], axis=2).reshape(len(hit), -1)


def _plan(
    vectors: Sequence[Sequence[int]] | np.ndarray,
    chance: int,
    power: int,
    columns: int | None = None,
    give_up_above: int | None = None,
) -> tuple[tuple[int, ...], Fraction] | None:
    """``PLAN_DRAWS`` kinds of set whose mixture leaves the strategies' scores (``vectors``,
    each score of a kind) as little above ``chance`` as a greedy search finds, with the largest
    excess left (both in the vectors' units).

    The search adds, draw by draw, the kind that keeps the sum of the ``power``-th powers of the
    excesses of the mixture so far least (the first such kind): an exact, integer, Frank–Wolfe-
    like descent on a convex function over the mixtures. Only scores above chance cost: a
    strategy that picks one option scores below chance followed exactly when it scores above
    chance ruled out. Squares keep every strategy near chance over a class; a higher power
    stands in for the largest excess, which ``PLAN_SLACK`` judges, and finds a fair plan for
    more params (the gradient step's choice form: 23% with squares, 32% with either; an exact
    linear program, 40%). It is computed only in the 64-bit integers' range (``_excess_power``),
    the power chosen for ``columns`` (the table's, unless columns at chance were left out).

    With ``give_up_above``, ``None`` as soon as some strategy's summed score must end above it
    (its sum so far, plus its lowest score in every draw left): the search would find no plan
    within it."""
    table = np.array(vectors, dtype=np.int64)
    total = np.zeros(table.shape[1], dtype=np.int64)
    bound = (PLAN_DRAWS + 1) * int(table.max(initial=0))
    power = min(power, _excess_power(bound, columns or table.shape[1]))
    lowest = table.min(axis=0) if give_up_above is not None else None
    over, squares = np.empty_like(table), np.empty_like(table)
    plan = []
    for draws in range(1, PLAN_DRAWS + 1):
        np.add(table, total - draws * chance, out=over)
        np.maximum(over, 0, out=over)
        if power == 2:
            np.multiply(over, over, out=over)
        else:  # 4 or 6: squares, times squares once or twice more
            np.multiply(over, over, out=squares)
            np.multiply(squares, squares, out=over)
            if power == 6:
                np.multiply(over, squares, out=over)
        kind = int(over.sum(axis=1).argmin())
        plan.append(kind)
        total += table[kind]
        if lowest is not None and (total + (PLAN_DRAWS - draws) * lowest).max() > give_up_above:
            return None
    excess = max(0, int(total.max()) - PLAN_DRAWS * chance)
    return tuple(plan), Fraction(excess, PLAN_DRAWS)


def _excess_power(bound: int, columns: int) -> int:
    """The highest even power (6, 4, then 2) of excesses up to ``bound`` whose sum over
    ``columns`` stays within numpy's 64-bit integers: exact, so the same plan on every machine."""
    for power in (6, 4):
        if bound**power * columns < 2**63:
            return power
    return 2


def plain_text(kind: str, value: Any) -> str:
    """A choice's value as key.json shows it: ``(4, 9)``, ``9/2`` or the text itself."""
    if kind == "vector":
        return "(" + ", ".join(exact_str(v) for v in value) + ")"
    if kind == "number":
        return exact_str(value)
    return str(value)


def make_choices(
    sources: Sequence[str],
    values: Mapping[str, Any],
    kind: str,
    correct: str,
    notes: Mapping[str, str] | None = None,
) -> tuple[Choice, ...]:
    """The lettered choices for ``sources`` in printed order."""
    notes = notes or {}
    return tuple(
        Choice(
            letter=LETTERS[i],
            source=source,
            kind=kind,
            value=values[source],
            correct=source == correct,
            text=plain_text(kind, values[source]),
            note=notes.get(source),
        )
        for i, source in enumerate(sources)
    )


def choice_answer(choices: Sequence[Choice]) -> Answer:
    """The key.json answer: ``{"kind": "choice", "value": "B", "text": "(4, 9)"}``."""
    (right,) = (c for c in choices if c.correct)
    return Answer("choice", right.letter, right.text)


def all_distinct(choices: Sequence[Choice]) -> bool:
    return not any(
        same_value(a.value, b.value) for i, a in enumerate(choices) for b in choices[i + 1 :]
    )


# --- the multiple-choice form of a family with misconceptions ------------------------------------
def has_misconceptions(family: Family) -> bool:
    """Whether the family names its wrong answers (and so can be asked as multiple choice)."""
    base = family.base if isinstance(family, ChoiceForm) else family
    return bool(base.mistakes()) or type(base).misconceptions is not Family.misconceptions


class ChoiceForm(Family):
    """``base`` asked as multiple choice: same statement and params, plus lettered choices.

    The choices are the correct answer and ``DISTRACTORS`` of the base family's misconceptions;
    params gain ``choices``, the sources in printed order. ``ID`` stays the base's, so the key,
    the seeding labels and the template are the family's own.
    """

    DISTRACTORS = 3
    FORM = "choice"
    #: Tries of one variant that may be resampled because no plan of distractors is fair
    #: (``has_fair_plan``); after them the next variant is taken as it is, so pinned values
    #: that leave no fair set still give a variant. A gradient step redraws about 8 times per
    #: variant, a mini-batch step 0.8.
    UNFAIR_TRIES = 50

    def __init__(self, base: Family) -> None:
        self.base = base
        # Instance attributes shadow Family's class-level declarations for this one wrapper.
        self.ID = base.ID  # type: ignore[misc]
        self.FOLDER = base.FOLDER  # the family's own template, in its own folder
        self.TITLE = f"{base.TITLE} (multiple choice)"  # type: ignore[misc]
        self.TAGS = base.TAGS  # type: ignore[misc]
        self.BUDGET = base.BUDGET  # type: ignore[misc]
        self.WORK_BANDS = base.WORK_BANDS  # type: ignore[misc]
        self.MAX_TRIES = base.MAX_TRIES  # type: ignore[misc]
        self.DEGENERATE = (  # type: ignore[misc]
            *base.DEGENERATE,
            (NO_FAIR_SET_REASON, _no_fair_set),
            (f"fewer than {self.DISTRACTORS} distinct distractors", self._too_few_distractors),
        )
        #: What ``draw`` last solved (``_solved_in_draw``): params, solution, their wrong answers.
        self._drawn: tuple[Any, Solution, Mapping[str, Any] | None] | None = None
        self._params_type = make_dataclass(
            f"{type(base).__name__}Choices",
            [("choices", tuple, field(default=()))],
            bases=(base.params_type,),
            frozen=True,
        )

    def _too_few_distractors(self, params: Any, solution: Solution) -> bool:
        choices = solution.steps["choices"]
        return len(choices) < self.DISTRACTORS + 1 or not all_distinct(choices)

    @property
    def params_type(self) -> type:
        return self._params_type

    def param_names(self) -> tuple[str, ...]:
        # Pinning the base family's params pins the variant (one try decides); ``choices`` may be
        # pinned too (key.json's params reproduce a variant exactly) but need not be.
        return self.base.param_names()

    def parse_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        raw = dict(raw)
        sources = raw.pop("choices", None)
        pinned = self.base.parse_params(raw)
        if sources is not None:
            if (
                not isinstance(sources, list)
                or not all(isinstance(s, str) for s in sources)
                or sources.count(CORRECT) != 1
                or len(set(sources)) != len(sources)
            ):
                raise ExamgenError(
                    f"family {self.ID}: params.choices must list distinct misconception names "
                    f'and "{CORRECT}" once, in printed order, got {sources!r}'
                )
            pinned["choices"] = tuple(sources)
        return pinned

    def base_params(self, params: Any) -> Any:
        names = self.base.param_names()
        return self.base.params_type(**{name: getattr(params, name) for name in names})

    def candidates(
        self, params: Any, solution: Solution, wrong: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The key and the base family's wrong answers (``wrong``, when already worked out)."""
        if wrong is None:
            wrong = self.base.misconceptions(params, solution)
        return {CORRECT: solution.answer.value} | dict(wrong)

    def _solved_in_draw(self, params: Any) -> tuple[Solution, Mapping[str, Any] | None]:
        """The base family's solution of ``params`` and its wrong answers (``None`` when not
        worked out), as ``draw`` worked them out: ``generate`` solves the params it drew
        straight after, and the descent steps draw about nine params per variant, each solved
        twice before. Solving and the mistakes are pure functions of the params (a family's
        contract), so the result is the same."""
        drawn, self._drawn = self._drawn, None  # taken once: no two variants share a solution
        if drawn is not None and drawn[0] == self.base_params(params):
            return drawn[1], drawn[2]
        return self.base.solve(params), None

    def draw(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> Any:
        given = {k: v for k, v in pinned.items() if k not in ("choices", FAIR_TRIES_LEFT)}
        params = self.base.draw(rng, given)
        if self.course_module() is not None:
            self.base.refuse_bad_draw(params, given)  # before solve computes with them
        order = pinned.get("choices")
        if order is None:
            solution = self.base.solve(params)
            self._drawn = (params, solution, None)
            if self.base.rejection(params, solution) is not None:
                # Rejected for the base family's reason whatever the choices: skip choosing them.
                return self._params_type(**_fields(params), choices=(CORRECT,))
            wrong = self.base.misconceptions(params, solution)
            self._drawn = (params, solution, wrong)
            values, kind, center, factors = self.offered(params, solution, wrong)
            tries_left = pinned.get(FAIR_TRIES_LEFT)
            if (
                tries_left is not None
                and tries_left[0] > 0
                and self.base.RESAMPLE_UNFAIR_CHOICES
                and self._redraw_can_differ(params, pinned)
                and not has_fair_plan(CORRECT, values, self.DISTRACTORS, kind, center, factors)
            ):
                tries_left[0] -= 1
                return self._params_type(**_fields(params), choices=(NO_FAIR_SET,))
            order = arrange_fairly(rng, CORRECT, values, self.DISTRACTORS, kind, center, factors)
        return self._params_type(**_fields(params), choices=order)

    def offered(
        self, params: Any, solution: Solution, wrong: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], str, Any, tuple[Any, ...]]:
        """What the distractors are drawn from: the key and every wrong answer that may be
        offered, by name, then their kind, the centre of their mirror images and the stem's
        numbers (``arrange_fairly``'s arguments). ``wrong``: the base family's wrong answers,
        when already worked out."""
        if wrong is None:
            wrong = self.base.misconceptions(params, solution)
        kept = [
            name
            for name in distinct_candidates(solution.answer.value, wrong)
            if self._may_offer(params, wrong[name])
        ]
        values = {CORRECT: solution.answer.value} | {name: wrong[name] for name in kept}
        center = self.base.mirror_center(params)
        return values, solution.answer.kind, center, tuple(self.base.stem_factors(params))

    def _may_offer(self, params: Any, value: Any) -> bool:
        """Whether a wrong answer may be a distractor: within the family's budget, and not one a
        student rules out on sight (``Family.gives_itself_away``). Both are decided before the
        plan, not after the draw: a set rejected for a distractor's denominator made the variant
        draw again, so the sets shown kept simpler distractors than the plan weighed, and the
        option of the most complex fractions was the key in 35% (the plan's 21%; chance 25%)."""
        budget = self.base.BUDGET
        if budget is not None and budget.violation(_numbers(value)) is not None:
            return False
        return not self.base.gives_itself_away(params, value)

    def _redraw_can_differ(self, params: Any, pinned: Mapping[str, Any]) -> bool:
        """Whether another try may draw other params: some param is neither pinned nor unused
        (``None``, as the sigmoid chain's target)."""
        return any(
            name not in pinned and getattr(params, name) is not None
            for name in self.base.param_names()
        )

    def solve(self, params: Any) -> Solution:
        solution, wrong = self._solved_in_draw(params)
        # Params ``draw`` marked for resampling: the key alone, which a rule below rejects.
        sources = (CORRECT,) if params.choices == (NO_FAIR_SET,) else params.choices
        if sources == (CORRECT,):  # as ``draw`` marks params the base family rejects: no mistakes
            values = {CORRECT: solution.answer.value}
        else:
            values = self.candidates(params, solution, wrong)
        unknown = [s for s in sources if s not in values]
        if unknown:
            raise ExamgenError(f"family {self.ID}: no misconception named {unknown[0]!r}")
        choices = make_choices(
            sources,
            values,
            solution.answer.kind,
            CORRECT,
            {s: self.base.mistake_explanation(s) for s in sources if s != CORRECT},
        )
        steps = {**solution.steps, "choices": choices, "free_answer": solution.answer}
        return Solution(choice_answer(choices), steps)

    def budget_values(self, params: Any, solution: Solution) -> list[sympy.Rational]:
        values = list(self.base.budget_values(params, solution))
        for choice in solution.steps["choices"]:
            values += _numbers(choice.value)
        return values

    def mistake_explanation(self, name: str) -> str:
        return self.base.mistake_explanation(name)

    def work(self, params: Any, solution: Solution) -> int | None:
        return self.base.work(params, solution)

    def draw_once(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> dict[str, Any]:
        decided = {} if self.work_band is not None else self.base.draw_once(rng, pinned)
        return decided | {FAIR_TRIES_LEFT: [self.UNFAIR_TRIES]}

    def mirror_center(self, params: Any) -> Any:
        return self.base.mirror_center(params)

    def stem_factors(self, params: Any) -> tuple[Any, ...]:
        return self.base.stem_factors(params)

    def misconceptions(self, params: Any, solution: Solution) -> dict[str, Any]:
        """Each misconception shown as a choice, as the letter a student who made it picks."""
        return {c.source: c.letter for c in solution.steps["choices"] if not c.correct}

    def params_to_json(self, params: Any) -> dict[str, Any]:
        return self.base.params_to_json(self.base_params(params)) | {
            "choices": list(params.choices)
        }


def _numbers(value: Any) -> list[Any]:
    """An answer value's numbers: a vector's components, the number itself, none in text."""
    if isinstance(value, str):
        return []
    return list(value) if isinstance(value, Sequence) else [value]


def _no_fair_set(params: Any, solution: Solution) -> bool:
    return params.choices == (NO_FAIR_SET,)


def _fields(params: Any) -> dict[str, Any]:
    return {name: getattr(params, name) for name in field_names(type(params))}


@cache
def choice_form(family: Family) -> ChoiceForm:
    return ChoiceForm(family)


def has_choice_form(family: Family) -> bool:
    """Whether ``form = "choice"`` turns this free-response family into multiple choice."""
    return native_form(family) != "choice" and offers_choice_form(family)


def offers_choice_form(family: Family) -> bool:
    """Whether the family can be asked as multiple choice: it names its mistakes, and does not
    withhold the form (``Family.CHOICE_FORM_WITHHELD``)."""
    base = family.base if isinstance(family, ChoiceForm) else family
    return has_misconceptions(base) and not base.CHOICE_FORM_WITHHELD


def native_form(family: Family) -> str:
    """How the family asks its question: ``"free"``, ``"choice"`` or ``"true-false"``."""
    return family.FORM


def supports_form(family: Family, form: str | None) -> bool:
    return (
        form is None
        or native_form(family) == form
        or (form == "choice" and offers_choice_form(family))
    )


def family_forms(family: Family) -> list[str]:
    """The forms the family can be asked in, its own first: ``["free", "choice"]``."""
    own = native_form(family)
    return [own, "choice"] if own != "choice" and offers_choice_form(family) else [own]


def _form_advice(family: Family, source: Literal["spec", "--form"]) -> str:
    """What to do instead, where the form came from: a spec's ``form`` field, or ``preview``'s
    ``--form`` (there, no spec is involved, and repeating the flag that failed is no advice)."""
    forms = family_forms(family)
    if source == "--form":
        return "use " + " or ".join(f"--form {form}" for form in forms)
    if len(forms) == 1:
        return f'drop form from the spec (its only form is "{forms[0]}")'
    named = " or ".join(f'"{form}"' for form in forms)
    return f"use form = {named}, or drop form from the spec"


def with_form(
    family: Family, form: str | None, source: Literal["spec", "--form"] = "spec"
) -> Family:
    """The family asked in ``form`` (``None``: its own form), or a clear error whose advice
    fits ``source``, where the form was asked for."""
    if form is not None and form not in FORMS:
        raise ExamgenError(f"form must be one of {', '.join(map(repr, FORMS))}, got {form!r}")
    if form is None or native_form(family) == form:
        return family
    if form == "choice" and offers_choice_form(family):
        return choice_form(family)
    advice = _form_advice(family, source)
    if form == "choice" and family.CHOICE_FORM_WITHHELD:
        raise ExamgenError(
            f"family {family.ID} has no multiple-choice form: {family.CHOICE_FORM_WITHHELD}; "
            f"{advice}"
        )
    if form == "choice":
        raise ExamgenError(
            f"family {family.ID} names no misconceptions to draw distractors from, so it has no "
            f"multiple-choice form; {advice}"
        )
    if source == "--form":  # the family's own form is the first the advice names
        raise ExamgenError(f"family {family.ID} has no {form!r} form; {advice}")
    raise ExamgenError(
        f'family {family.ID} is asked as form = "{native_form(family)}" and has no {form!r} form; '
        f"{advice}"
    )


def sharing_key(variant: Variant, variant_fingerprint: str) -> str:
    """What two students share when they share a variant, and what one student must not get
    twice (``build``): a numeric family asked as multiple choice is the same question whatever
    order its choices come in (the values can be copied)."""
    if not isinstance(variant.family, ChoiceForm):
        return variant_fingerprint
    params = {k: v for k, v in variant.key_params().items() if k != "choices"}
    return fingerprint_of(variant.family.ID, params)
