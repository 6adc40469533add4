"""Test-wise shortcuts: how a student who knows nothing could still score, measured.

An item is valid only if answering it takes the knowledge it is about. A student who has learnt
no gradient descent can still beat chance on a multiple-choice question whose options give the key
away by their shape: the key and its mirror image (the "sign-flipped" distractor) with the other
options on the key's side, the key at the centre of the options, the key as the one longest
option; and as much by a cue that never points at the key: ruling out the shortest option, where
the key is seldom the shortest, leaves a guess among three. So each shortcut is scored both ways,
followed and ruled out. True/false statements give their truth away by their wording: "always",
"guaranteed" sound false, "may", "can" sound true.

This module states those shortcuts over what a student sees (a variant's printed options, a
bank's statements), so ``examgen check`` can score them over the variants it samples and fail an
item a shortcut beats (``generator.check``), and so ``generator.choices`` can draw distractors that
leave every shortcut at chance. Each option shortcut is stated once (a ``Strategy``), as a rule
over any subset of a question's options: check applies it to all of them, choices to every set of
distractors it weighs, so the two can never disagree about what a shortcut does.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from statistics import median
from typing import Any

import numpy as np
import sympy

from generator.families.base import MAX_WORK_RATIO

#: A strategy "beats chance" when its success rate exceeds 1/(number of options) by more than
#: this: a strategy at chance does so in under 1% of 500-variant samples (2.6 standard errors at
#: 25%) and under 0.1% of the 1,000 check samples by default, while a real edge of 7 points (the
#: chain's mirror pair, 32%) fails. (15 points let that edge pass as fair.)
MARGIN = 0.05
#: The true/false wording and length rules' limit.
TRUE_FALSE_LIMIT = 0.5 + 0.10
#: Below this many sampled variants a strategy's rate is too noisy to fail a family on (at a
#: rate near 25%, its 95% interval is wider than ±3.8 points); it is still reported, with that
#: interval. The default check samples 1,000 (±2.7 points).
MIN_SAMPLE = 500

Point = tuple[Fraction, ...]


@dataclass(frozen=True)
class Options:
    """A question's options as a student sees them: the printed texts, their values as points
    (``None`` for prose), and the point a mirror image is taken about (the initial weights for a
    descent step, 0 for a number)."""

    texts: tuple[str, ...]
    points: tuple[Point, ...] | None = None
    center: Point | None = None
    #: Each option's coordinates' denominators as printed (``points`` are scaled to integers).
    denominators: tuple[tuple[int, ...], ...] | None = None
    #: Numbers the question prints that a slip scales a step by (``Family.stem_factors``).
    factors: tuple[Fraction, ...] = ()

    def __len__(self) -> int:
        return len(self.texts)


def as_point(value: Any) -> Point | None:
    """An answer value (a Rational, a vector of them) as an exact point, or ``None`` for text."""
    if isinstance(value, str):
        return None
    if isinstance(value, Sequence):
        coordinates = [as_point(v) for v in value]
        if any(c is None for c in coordinates):
            return None
        return tuple(c[0] for c in coordinates if c is not None)
    rational = sympy.Rational(value)
    return (Fraction(int(rational.p), int(rational.q)),)


def _extremes(values: Sequence[Any], pick: Callable[[Iterable[Any]], Any]) -> frozenset[int]:
    best = pick(values)
    return frozenset(i for i, v in enumerate(values) if v == best)


def _dot(u: Point, v: Point) -> Fraction:
    # ``map`` over operator functions: the same sum, left to right from 0, without a generator
    # (``generator.choices`` reads every choice question's options into tables of dot products).
    return sum(map(operator.mul, u, v))  # type: ignore[return-value]


def _minus(u: Point, v: Point) -> Point:
    return tuple(map(operator.sub, u, v))


#: The largest magnitude an integer table may hold to be weighed with numpy's 64-bit integers:
#: a subset's values add up to 3·7 of them (seven options shown at most), far below 2⁶³.
NUMPY_SAFE = 2**55
#: The same for coordinates whose differences are squared and summed (over up to 64 dimensions).
NUMPY_SAFE_SQUARED = 2**26


def _integer_array(table: Any, bound: int = NUMPY_SAFE) -> np.ndarray | None:
    """A table of integers (or booleans) as a numpy integer array, or ``None`` when some entry
    is not an integer (points given as fractions) or not below ``bound`` in magnitude, too large
    for 64-bit arithmetic: worked out in Python then."""
    try:
        guessed = np.asarray(table)  # numpy's own reading: integers, or objects beyond int64
    except (OverflowError, ValueError):
        guessed = None
    if guessed is not None and guessed.size and guessed.dtype.kind in "biu":
        if guessed.max() >= bound or guessed.min() <= -bound:
            return None
        return guessed.astype(np.int64, copy=False)
    entries = np.ravel(np.asarray(table, dtype=object)).tolist()
    if not all(isinstance(x, int) and -bound < x < bound for x in entries):
        return None
    return np.asarray(table, dtype=np.int64)


def _per_option(table: Any, subsets: np.ndarray) -> np.ndarray | None:
    """Each shown option's entry of a per-option table, a row per subset."""
    array = _integer_array(table)
    return None if array is None else array[subsets]


def _extremes_matrix(values: np.ndarray, best: Callable[[Iterable[Any]], Any]) -> np.ndarray:
    """``_extremes`` of each row: where it holds its least value (its greatest, ``best=max``)."""
    top = values.max(axis=1) if best is max else values.min(axis=1)
    return values == top[:, None]


def _pairs(matrix: Any, shown: np.ndarray, dtype: Any = bool) -> np.ndarray:
    """A pairwise table's entries among each subset's options: ``[row, i, j]`` is the entry of
    the ``i``-th and the ``j``-th option shown in that row."""
    return np.asarray(matrix, dtype=dtype)[shown[:, :, None], shown[:, None, :]]


def _summed_over_shown(matrix: Any, subsets: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """For a pairwise table: each shown option's row summed over the options shown with it
    (itself included), and its own entry, a row per subset."""
    array = _integer_array(matrix)
    if array is None:
        return None
    return _pairs(array, subsets, np.int64).sum(axis=2), array[subsets, subsets]


#: What a strategy makes of one set of options: it singles out the key (the first option: it
#: narrows the choice to some options, the key among them), it sees no cue (it keeps every
#: option), and how many options it narrows the choice to (all of them, seeing no cue).
Outcome = tuple[bool, bool, int]


class Strategy:
    """A test-wise strategy, written once for two uses. ``examgen check`` asks what it picks
    among a variant's options; ``generator.choices`` asks what it makes of every set of
    distractors of one question, thousands of sets per question. So a strategy reads the
    question's options once into its ``tables`` (what depends on one option or one pair of
    them), and its rule works on any subset of the options from those tables; calling it on the
    options applies the rule to all of them.

    A subset is a sequence of option indices; the rule's answers are positions in it."""

    def tables(self, options: Options) -> Any:
        """What the rule reads of ``options``; ``None`` when there is nothing to read (prose
        options for a rule about points): the strategy then sees no cue in any subset."""
        raise NotImplementedError

    def picks(self, tables: Any, subset: Sequence[int]) -> frozenset[int]:
        """The positions in ``subset`` a test-wise student narrows the choice to."""
        raise NotImplementedError

    def picks_matrix(self, tables: Any, shown: np.ndarray) -> np.ndarray | None:
        """``picks`` of every subset at once: ``shown`` holds a subset per row (all of one
        size), the result whether each position is picked, a row per subset (an empty or a full
        row: no cue). ``None``: worked out subset by subset (``picks``)."""
        return None

    def __call__(self, options: Options) -> frozenset[int]:
        """The indices of ``options`` a test-wise student narrows the choice to (then guesses
        among them); every index means the strategy sees no cue."""
        everything = range(len(options))
        tables = self.tables(options)
        return frozenset(everything) if tables is None else self.picks(tables, everything)


class Nearest(Strategy):
    """A strategy that picks the options whose value (``values``) is ``best``: least, or greatest
    for ``best = max``. It always has a cue, unless every value ties."""

    best: Callable[[Iterable[Any]], Any] = min

    def values(self, tables: Any, subset: Sequence[int]) -> list[Any]:
        """Each shown option's value, in the subset's order."""
        raise NotImplementedError

    def picks(self, tables: Any, subset: Sequence[int]) -> frozenset[int]:
        return _extremes(self.values(tables, subset), self.best)

    def value_matrix(self, tables: Any, subsets: np.ndarray) -> np.ndarray | None:
        """``values`` of every subset at once, a row per subset (``subsets``, one per row), as
        integers; ``None``: worked out subset by subset."""
        return None

    def picks_matrix(self, tables: Any, shown: np.ndarray) -> np.ndarray | None:
        values = self.value_matrix(tables, shown)
        return None if values is None else _extremes_matrix(values, self.best)


class PerOption(Nearest):
    """A ``Nearest`` whose ``tables`` are one value per option (a length, a count, a rank):
    each shown option's value is its entry."""

    def values(self, table: Any, subset: Sequence[int]) -> list[Any]:
        return [table[a] for a in subset]

    def value_matrix(self, table: Any, subsets: np.ndarray) -> np.ndarray | None:
        return _per_option(table, subsets)


class SharedWithShown(Nearest):
    """A ``Nearest`` whose ``tables`` count what each pair of options shares (coordinates,
    words): each shown option's value is what it shares with the others shown."""

    def values(self, shared: Any, subset: Sequence[int]) -> list[Any]:
        out = []
        for a in subset:
            row = shared[a]
            out.append(sum(map(row.__getitem__, subset)) - row[a])
        return out

    def value_matrix(self, shared: Any, subsets: np.ndarray) -> np.ndarray | None:
        summed = _summed_over_shown(shared, subsets)
        if summed is None:
            return None
        sums, own = summed
        return sums - own


class Singling(Strategy):
    """A strategy that singles out some options (``singled``) or, finding none, sees no cue."""

    def singled(self, tables: Any, subset: Sequence[int]) -> Collection[int]:
        """Distinct positions in ``subset``; none when the strategy sees no cue."""
        raise NotImplementedError

    def picks(self, tables: Any, subset: Sequence[int]) -> frozenset[int]:
        return frozenset(self.singled(tables, subset)) or frozenset(range(len(subset)))

    def singled_matrix(self, tables: Any, shown: np.ndarray) -> np.ndarray | None:
        """``singled`` of every subset at once, a row per subset; ``None``: subset by subset."""
        return None

    def picks_matrix(self, tables: Any, shown: np.ndarray) -> np.ndarray | None:
        return self.singled_matrix(tables, shown)


class MirrorMajority(Singling):
    """Find two options that are mirror images about the centre (a + b = 2·centre); of each such
    pair, pick the member with more of the other options on its side."""

    def tables(self, options: Options) -> Any:
        points, center = options.points, options.center
        if points is None or center is None:
            return None
        twice = tuple(2 * c for c in center)
        everywhere = range(len(points))
        # partners[a]: the options whose point mirrors option a's about the centre.
        partners: list[set[int]] = [set() for _ in everywhere]
        for a, p in enumerate(points):
            for b in range(a + 1, len(points)):
                q = points[b]
                if tuple(x + y for x, y in zip(p, q, strict=True)) == twice and p != q:
                    partners[a].add(b)
                    partners[b].add(a)
        paired = frozenset(a for a in everywhere if partners[a])
        if not paired:
            return None
        offsets = [_minus(p, center) for p in points]
        # sides[a][k]: which side of the axis through option a option k lies on (a with a
        # partner only: no other option is ever an axis).
        sides = {a: [_dot(offsets[k], offsets[a]) for k in everywhere] for a in paired}
        return paired, partners, sides

    def singled(self, tables: Any, subset: Sequence[int]) -> Collection[int]:
        paired, partners, sides = tables
        if paired.isdisjoint(subset):
            return ()
        m = len(subset)
        picks: set[int] = set()
        for i in range(m):
            mirrors = partners[subset[i]]
            if not mirrors:
                continue
            side_of = sides[subset[i]]
            for j in range(i + 1, m):
                if subset[j] not in mirrors:
                    continue
                on_a = on_b = 0
                for position, k in enumerate(subset):
                    if position != i and position != j:
                        side = side_of[k]
                        if side > 0:
                            on_a += 1
                        elif side < 0:
                            on_b += 1
                if on_a >= on_b:
                    picks.add(i)
                if on_b >= on_a:
                    picks.add(j)
        return picks

    def singled_matrix(self, tables: Any, shown: np.ndarray) -> np.ndarray | None:
        # Of a mirror pair (i, j), the others on i's side are those on the side of the axis
        # through i but i itself, and those on j's those on the other side but j (j's offset is
        # minus i's): compared, the counts of all shown options on either side of i's axis.
        paired, partners, sides = tables
        everywhere = range(len(partners))
        mirrors = [[b in partners[a] for b in everywhere] for a in everywhere]
        signs = [
            [(x > 0) - (x < 0) for x in sides[a]] if a in paired else [0] * len(partners)
            for a in everywhere
        ]
        mirrored = _pairs(mirrors, shown)
        mirrored &= np.triu(np.ones(mirrored.shape[1:], dtype=bool), 1)  # each pair once, i < j
        side = _pairs(signs, shown, np.int8)
        ahead = (side > 0).sum(axis=2)
        behind = (side < 0).sum(axis=2)
        first = (mirrored & (ahead >= behind)[:, :, None]).any(axis=2)
        second = (mirrored & (behind >= ahead)[:, :, None]).any(axis=1)
        return first | second


class NearestCentroid(Nearest):
    """Pick the option nearest the mean of all options (the key as a compromise of the errors)."""

    def tables(self, options: Options) -> Any:
        points = options.points
        if points is None:
            return None
        gram = [[_dot(p, q) for q in points[: a + 1]] for a, p in enumerate(points)]
        for a, row in enumerate(gram):  # symmetric: the upper triangle is the lower one
            row.extend(gram[b][a] for b in range(a + 1, len(points)))
        return gram

    def values(self, gram: Any, subset: Sequence[int]) -> list[Any]:
        # |m·p − Σp|² = m·(m·p·p − 2·p·Σp) + |Σp|², m > 0 the number shown, is m² times the
        # squared distance to the mean: the same nearest options, exact, from the dot products.
        m = len(subset)
        out = []
        for a in subset:
            row = gram[a]
            out.append(m * row[a] - 2 * sum(map(row.__getitem__, subset)))
        return out

    def value_matrix(self, gram: Any, subsets: np.ndarray) -> np.ndarray | None:
        summed = _summed_over_shown(gram, subsets)
        if summed is None:
            return None
        sums, own = summed
        return subsets.shape[1] * own - 2 * sums


def _twice_median(values: Sequence[Any]) -> Any:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle - 1] + ordered[middle] if len(ordered) % 2 == 0 else 2 * ordered[middle]


class NearestMedian(Nearest):
    """Pick the option nearest the coordinate-wise median of the options."""

    def tables(self, options: Options) -> Any:
        points = options.points
        if points is None:
            return None
        columns = [[p[d] for p in points] for d in range(len(points[0]))]
        return [(column, [2 * x for x in column]) for column in columns]

    def values(self, columns: Any, subset: Sequence[int]) -> list[Any]:
        # |2p − 2·median|², exact, summed coordinate by coordinate.
        medians = [
            (doubled, _twice_median([column[a] for a in subset])) for column, doubled in columns
        ]
        out = []
        for a in subset:
            distance = 0
            for doubled, twice_median in medians:
                d = doubled[a] - twice_median
                distance += d * d
            out.append(distance)
        return out

    def value_matrix(self, columns: Any, subsets: np.ndarray) -> np.ndarray | None:
        total = np.zeros(subsets.shape, dtype=np.int64)
        size = subsets.shape[1]
        middle = size // 2
        for column, doubled in columns:
            values = _integer_array(column, NUMPY_SAFE_SQUARED)
            twice = _integer_array(doubled, NUMPY_SAFE_SQUARED)
            if values is None or twice is None:
                return None
            ordered = np.sort(values[subsets], axis=1)
            twice_median = (
                ordered[:, middle - 1] + ordered[:, middle]
                if size % 2 == 0
                else 2 * ordered[:, middle]
            )
            offset = twice[subsets] - twice_median[:, None]
            total += offset * offset
        return total


class _PrintedLength(PerOption):
    """The options' printed lengths: what the longest and the shortest option read."""

    def tables(self, options: Options) -> Any:
        return [len(t) for t in options.texts]


class Longest(_PrintedLength):
    """Pick the longest printed option (the careful, qualified one)."""

    best = max


class Shortest(_PrintedLength):
    """Pick the shortest printed option (the clean one)."""


class _Commas(PerOption):
    """The options' printed commas: a wrong description that explains itself ("…, so the
    updates are unstable") has a clause more than the plain right one. Ruling out the options
    with a comma found the definition question's key in 41% (chance 20%) before it was weighed."""

    def tables(self, options: Options) -> Any:
        commas = [t.count(",") for t in options.texts]
        # As many commas in every option (every vector prints one): no subset gives a cue, and
        # the cue counts need not ask.
        return None if len(set(commas)) == 1 else commas


class FewestCommas(_Commas):
    """Pick the options with the fewest commas (the plain statement)."""


class MostCommas(_Commas):
    """Pick the options with the most commas (the qualified statement)."""

    best = max


def _prose_words(options: Options) -> list[list[str]] | None:
    """Each prose option's words (``None`` for options that are values: a vector prints as many
    words as every other, and a number's "word" is its printed length, which ``Longest`` reads)."""
    return None if options.points is not None else [t.split() for t in options.texts]


def _ranks(values: Sequence[Any]) -> list[int]:
    """Each value's rank among the distinct values (ties share one): integers that order any
    subset as the values do."""
    order = {v: k for k, v in enumerate(sorted(set(values)))}
    return [order[v] for v in values]


class _Words(PerOption):
    """The prose options' number of words. Character lengths can be balanced while word counts
    are not: the definition question's one short-worded key ("Backpropagation multiplies many
    small factors, …") had the fewest words in 96% of the sets that showed it, and the fewest
    words found the key in 39% (chance 20%) though the longest and the shortest option did not."""

    def tables(self, options: Options) -> Any:
        words = _prose_words(options)
        counts = None if words is None else [len(w) for w in words]
        return None if counts is None or len(set(counts)) == 1 else counts


class FewestWords(_Words):
    """Pick the options with the fewest words (the terse, technical one)."""


class MostWords(_Words):
    """Pick the options with the most words (the one that explains itself)."""

    best = max


class _WordLength(PerOption):
    """The prose options' mean word length (printed characters per word, as ranks): the jargon
    of a correct description reads in long words; the highest found the definition question's
    key in 40% (chance 20%) before it was weighed."""

    def tables(self, options: Options) -> Any:
        words = _prose_words(options)
        if words is None:
            return None
        lengths = [Fraction(sum(map(len, w)), max(len(w), 1)) for w in words]
        return None if len(set(lengths)) == 1 else _ranks(lengths)


#: A word as ``WordsShared`` compares them: letters and digits, case aside.
_WORD = re.compile(r"\w+")


class _WordsShared(SharedWithShown):
    """How many words each prose option shares with the others shown (the convergence cue in
    words: wrong descriptions written as variations of the right one share its words). Ruling
    out the option that shares the fewest found the definition question's key in 25% (chance
    20%) before it was weighed."""

    def tables(self, options: Options) -> Any:
        if options.points is not None:
            return None
        words = [frozenset(w.casefold() for w in _WORD.findall(t)) for t in options.texts]
        return [[len(a & b) for b in words] for a in words]


class SharesTheMostWords(_WordsShared):
    """Pick the option that shares the most words with the others."""

    best = max


class SharesTheFewestWords(_WordsShared):
    """Pick the option that shares the fewest words with the others (the odd one out)."""


class ShortestWords(_WordLength):
    """Pick the options of the shortest words on average (the plain one)."""


class LongestWords(_WordLength):
    """Pick the options of the longest words on average (the technical one)."""

    best = max


class _Denominators(PerOption):
    """The options' least common denominators as printed: each slip of a descent step drops a
    division (the average's, η's, the factor 2's) or keeps them all, so the key was the option
    of the most complex fractions in 37% of the step's variants (chance 25%), and ruling out the
    simplest found it in 38%."""

    def tables(self, options: Options) -> Any:
        if options.denominators is None:
            return None
        denominators = [math.lcm(*d) for d in options.denominators]
        return None if len(set(denominators)) == 1 else denominators


class SimplestFractions(_Denominators):
    """Pick the options of the smallest least common denominator (integers first)."""


class MostComplexFractions(_Denominators):
    """Pick the options of the largest least common denominator."""

    best = max


class SharesDenominatorWithMost(Nearest):
    """Pick the options that share a printed denominator (other than 1) with the most others:
    the key's fractions come back in the slips that keep its divisions. It found the key in 34%
    of the descent steps' variants (chance 25%) before it was weighed."""

    best = max

    def tables(self, options: Options) -> Any:
        if options.denominators is None:
            return None
        fractions = [{d for d in ds if d != 1} for ds in options.denominators]
        shared = [
            [a != b and bool(mine & other) for b, other in enumerate(fractions)]
            for a, mine in enumerate(fractions)
        ]
        return None if not any(map(any, shared)) else shared

    def values(self, shared: Any, subset: Sequence[int]) -> list[Any]:
        return [sum(map(shared[a].__getitem__, subset)) for a in subset]

    def value_matrix(self, shared: Any, subsets: np.ndarray) -> np.ndarray | None:
        summed = _summed_over_shown(shared, subsets)
        return None if summed is None else summed[0]


class OnALineWithAnother(Singling):
    """Pick the options whose step from the centre (the initial weights) lies on one line with
    another option's: the slips that scale the key's step (½, −1, 1/η, n) all lie on its line,
    so the key had a partner more often than a distractor: 34% (chance 25%) before it was
    weighed."""

    def tables(self, options: Options) -> Any:
        lines = step_lines(options)
        return None if lines is None else lines[0]

    def singled(self, parallel: Any, subset: Sequence[int]) -> Collection[int]:
        return [i for i, a in enumerate(subset) if any(map(parallel[a].__getitem__, subset))]

    def singled_matrix(self, parallel: Any, shown: np.ndarray) -> np.ndarray | None:
        return _pairs(parallel, shown).any(axis=2)


#: The factors a slip scales a step by: a sign flipped (−1), a factor 2 dropped, a learning
#: rate applied twice or not at all (η or 1/η, η down to 1/10), an average taken as a sum (the
#: number of points), and their halves; closed under taking the inverse.
SIMPLE_RATIOS = frozenset(
    {Fraction(-1)}
    | {Fraction(n) for n in range(2, 11)}
    | {Fraction(1, n) for n in range(2, 11)}
    | {Fraction(n, 2) for n in (3, 5, 7, 9)}
    | {Fraction(2, n) for n in (3, 5, 7, 9)}
)


def _ratio(u: Point, v: Point) -> Fraction | None:
    """The r with v = r·u, for a nonzero ``u``; ``None`` when there is none."""
    pivot = next((i for i, x in enumerate(u) if x), None)
    if pivot is None:
        return None
    # v = r·u with r = v[pivot]/u[pivot] exactly when every v[i]·u[pivot] = v[pivot]·u[i]:
    # products of the (integer) coordinates, and a Fraction only for a pair that is parallel.
    up, vp = u[pivot], v[pivot]
    if any(y * up != vp * x for x, y in zip(u, v, strict=True)):
        return None
    return Fraction(vp) / Fraction(up)


@lru_cache(maxsize=64)
def _step_ratios(steps: tuple[Point, ...]) -> tuple[tuple[Fraction | None, ...], ...]:
    """``_ratio`` of every ordered pair of distinct nonzero steps (``None`` on the diagonal and
    from a zero step): both multiples rules read the same table of a question's options."""
    array = _integer_array(steps, NUMPY_SAFE_SQUARED) if steps else None
    if array is None or not array.size:  # (steps of no coordinates: none is nonzero)
        everywhere = range(len(steps))
        return tuple(
            tuple(
                _ratio(steps[a], steps[b]) if a != b and any(steps[a]) else None for b in everywhere
            )
            for a in everywhere
        )
    # ``_ratio``'s test for every pair at once, on integer coordinates whose products stay
    # exact in 64 bits: with p the first nonzero coordinate of step a, step b is r times step a
    # when every b[i]·a[p] = b[p]·a[i]; then r = b[p]/a[p].
    count = len(steps)
    moved = array.any(axis=1)
    pivot = (array != 0).argmax(axis=1)
    up = array[np.arange(count), pivot]  # a[p], a row per a
    vp = array[:, pivot].T  # b[p], [a, b]
    parallel = (array[None, :, :] * up[:, None, None] == vp[:, :, None] * array[:, None, :]).all(
        axis=2
    )
    parallel &= moved[:, None] & ~np.eye(count, dtype=bool)
    ups, vps = up.tolist(), vp.tolist()
    return tuple(
        tuple(
            Fraction(vps[a][b], ups[a]) if is_parallel else None
            for b, is_parallel in enumerate(row)
        )
        for a, row in enumerate(parallel.tolist())
    )


def _steps(options: Options) -> list[Point] | None:
    points, center = options.points, options.center
    if points is None or center is None:
        return None
    return [_minus(p, center) for p in points]


class _Related(Singling):
    """Pick the options that stand in a relation (``related``) to another option shown: a
    directed one, which a slip makes from the key more often than from a distractor."""

    def related(self, steps: Sequence[Point], points: Sequence[Point], a: int, b: int) -> bool:
        raise NotImplementedError

    def related_matrix(self, steps: np.ndarray, points: np.ndarray) -> np.ndarray:
        """``related`` of every pair at once, ``[a, b]``, on integer steps and points."""
        raise NotImplementedError

    def tables(self, options: Options) -> Any:
        steps = _steps(options)
        if steps is None:
            return None
        points = options.points or ()
        step_array, point_array = _integer_array(steps), _integer_array(points)
        if step_array is not None and point_array is not None:
            matrix = self.related_matrix(step_array, point_array)
            matrix &= step_array.any(axis=1)[:, None] & ~np.eye(len(steps), dtype=bool)
            relation = matrix.tolist()
        else:
            everywhere = range(len(steps))
            relation = [
                [a != b and any(steps[a]) and self.related(steps, points, a, b) for b in everywhere]
                for a in everywhere
            ]
        return relation if any(map(any, relation)) else None

    def singled(self, relation: Any, subset: Sequence[int]) -> Collection[int]:
        return [i for i, a in enumerate(subset) if any(map(relation[a].__getitem__, subset))]

    def singled_matrix(self, relation: Any, shown: np.ndarray) -> np.ndarray | None:
        return _pairs(relation, shown).any(axis=2)


class HalvedByAnother(_Related):
    """Pick the options whose step from the centre another option's step halves: "forgot the
    factor 2" is a slip of the key, so on the descent steps the key was the one halved in 40%
    of variants (chance 25%), from the initial weights alone."""

    def related(self, steps: Sequence[Point], points: Sequence[Point], a: int, b: int) -> bool:
        return all(2 * y == x for x, y in zip(steps[a], steps[b], strict=True))

    def related_matrix(self, steps: np.ndarray, points: np.ndarray) -> np.ndarray:
        return (steps[:, None, :] == 2 * steps[None, :, :]).all(axis=2)


class StepIsAnother(_Related):
    """Pick the options whose step from the centre is another option: a slip that forgets to
    start from the initial weights prints the key's step as an option, and then gave the key
    away in 96% of the descent steps that showed it."""

    def related(self, steps: Sequence[Point], points: Sequence[Point], a: int, b: int) -> bool:
        return tuple(steps[a]) == tuple(points[b])

    def related_matrix(self, steps: np.ndarray, points: np.ndarray) -> np.ndarray:
        return (steps[:, None, :] == points[None, :, :]).all(axis=2)


class _MostMultiples(SharedWithShown):
    """Pick the option whose step from the centre the most other options' steps are multiples
    of, by the factors ``ratios`` names: slips scale the key's step, so the key is their hub."""

    best = max

    def ratios(self, options: Options) -> Collection[Fraction]:
        raise NotImplementedError

    def tables(self, options: Options) -> Any:
        steps, ratios = _steps(options), self.ratios(options)
        if steps is None or not ratios:
            return None
        multiples = [
            [int(r is not None and r in ratios) for r in row] for row in _step_ratios(tuple(steps))
        ]
        return multiples if any(map(any, multiples)) else None


class MostSimpleMultiples(_MostMultiples):
    """By simple factors (``SIMPLE_RATIOS``, closed under inverse, so the relation is mutual):
    38% on the descent steps, chance 25%."""

    def ratios(self, options: Options) -> Collection[Fraction]:
        return SIMPLE_RATIOS


class MostScaledByTheStem(_MostMultiples):
    """By a slip's factors from the numbers the question prints (``Options.factors``: η, the
    points n): −1, ½, η, 1/η, n, n/2. The slips scale the key's step, not each other's, so on
    the descent steps this found the key in 62% of variants (chance 25%)."""

    def ratios(self, options: Options) -> Collection[Fraction]:
        if not options.factors:
            return ()
        ratios = {Fraction(-1), Fraction(1, 2)}
        for f in options.factors:
            if f:
                ratios |= {f, 1 / f, f / 2}
        return ratios


def _sign(x: Fraction) -> int:
    return (x > 0) - (x < 0)


class OddSign(Singling):
    """Pick the one option whose pattern of signs no other option shares, if there is exactly
    one such option."""

    def tables(self, options: Options) -> Any:
        if options.points is None:
            return None
        return [tuple(_sign(x) for x in p) for p in options.points]

    def singled(self, patterns: Any, subset: Sequence[int]) -> list[int]:
        shown = [patterns[a] for a in subset]
        lonely = [i for i, p in enumerate(shown) if shown.count(p) == 1]
        return lonely if len(lonely) == 1 else []

    def singled_matrix(self, patterns: Any, shown: np.ndarray) -> np.ndarray | None:
        same = [[p == q for q in patterns] for p in patterns]
        lonely = _pairs(same, shown).sum(axis=2) == 1
        return lonely & (lonely.sum(axis=1) == 1)[:, None]


class MostShared(SharedWithShown):
    """Pick the option that shares the most coordinates with the others (the convergence cue:
    distractors made from the key by one slip each keep much of it)."""

    best = max

    def tables(self, options: Options) -> Any:
        points = options.points
        if points is None or len(points[0]) < 2:  # a number shares nothing with another
            return None
        return [[sum(map(operator.eq, p, q)) for q in points] for p in points]


class SmallestStepOnFullestLine(Singling):
    """Of the options on the fullest line through the centre (the initial weights: most
    options' steps from it parallel), pick the smallest step on the side most of them take: the
    key as the modest step that its slips scale up (the factor 2 dropped halves it, η left out
    or the average left out multiply it). Two equally full lines, or as many options on either
    side, give no cue. Before the plans it found the key in 59% of the descent step's variants,
    52% after them until it was weighed too."""

    def tables(self, options: Options) -> Any:
        return step_lines(options)

    def singled(self, tables: Any, subset: Sequence[int]) -> Collection[int]:
        parallel, ahead, lengths = tables
        line = _fullest_line(parallel, subset, 2)
        if not line:
            return ()
        first = subset[line[0]]
        with_first = [i for i in line if i == line[0] or ahead[first][subset[i]]]
        if 2 * len(with_first) == len(line):
            return ()
        side = (
            with_first
            if 2 * len(with_first) > len(line)
            else [i for i in line if i not in with_first]
        )
        shortest_step = min(lengths[subset[i]] for i in side)
        return [i for i in side if lengths[subset[i]] == shortest_step]

    def singled_matrix(self, tables: Any, shown: np.ndarray) -> np.ndarray | None:
        parallel, ahead, lengths = tables
        length = _integer_array(lengths)
        if length is None:
            return None
        line, first = _fullest_line_matrix(parallel, shown, 2)
        rows = np.arange(len(shown))
        is_first = np.arange(shown.shape[1])[None, :] == first[:, None]
        with_first = line & (is_first | _pairs(ahead, shown)[rows, first])
        on_line, along = line.sum(axis=1), with_first.sum(axis=1)
        side = np.where((2 * along > on_line)[:, None], with_first, line & ~with_first)
        steps = np.where(side, length[shown], np.iinfo(np.int64).max)
        shortest = side & (steps == steps.min(axis=1)[:, None])
        return shortest & (2 * along != on_line)[:, None]


def _fullest_line(parallel: Any, subset: Sequence[int], least: int) -> list[int]:
    """The positions of the options on the fullest line through the centre, when one line holds
    more of the options shown than any other, and at least ``least`` of them; else none."""
    partners = [sum(parallel[a][b] for b in subset) for a in subset]
    fullest = max(partners)
    if fullest < least - 1:
        return []
    line = [i for i, n in enumerate(partners) if n == fullest]
    first = subset[line[0]]
    if any(not parallel[first][subset[i]] for i in line[1:]):
        return []  # two lines as full as each other
    return line


def _fullest_line_matrix(
    parallel: Any, shown: np.ndarray, least: int
) -> tuple[np.ndarray, np.ndarray]:
    """``_fullest_line`` of every subset at once (a row of positions each, empty when there is
    none), and the first position on it."""
    on_one_line = _pairs(parallel, shown)
    partners = on_one_line.sum(axis=2)
    fullest = partners.max(axis=1)
    line = (partners == fullest[:, None]) & (fullest >= least - 1)[:, None]
    first = line.argmax(axis=1)
    rows = np.arange(len(shown))
    is_first = np.arange(shown.shape[1])[None, :] == first[:, None]
    two_lines = (line & ~is_first & ~on_one_line[rows, first]).any(axis=1)
    return line & ~two_lines[:, None], first


@lru_cache(maxsize=1)
def step_lines(
    options: Options,
) -> tuple[list[list[bool]], list[list[bool]], list[Fraction]] | None:
    """The options' steps from the centre as lines through it, read by the strategies that
    look at lines (worked out once for all): ``parallel[a][b]``, the steps of a and b (both
    nonzero, a != b) lie on one line; ``ahead[a][b]``, and point the same way; each step's
    squared length. ``None`` without points or a centre."""
    points, center = options.points, options.center
    if points is None or center is None:
        return None
    steps = [_minus(p, center) for p in points]
    moved = [any(step) for step in steps]
    everywhere = range(len(points))
    parallel = [[False] * len(points) for _ in everywhere]
    ahead = [[False] * len(points) for _ in everywhere]
    for a in everywhere:
        for b in range(a + 1, len(points)):
            if moved[a] and moved[b] and _parallel(steps[a], steps[b]):
                parallel[a][b] = parallel[b][a] = True
                ahead[a][b] = ahead[b][a] = _dot(steps[a], steps[b]) > 0
    return parallel, ahead, [_dot(step, step) for step in steps]


class ClosestPair(Singling):
    """Pick the two options nearest each other (every pair at the least distance): a slip away
    from each other, as the key and its slips are."""

    def tables(self, options: Options) -> Any:
        points = options.points
        if points is None:
            return None
        return [[_dot(d, d) for d in (_minus(p, q) for q in points)] for p in points]

    def singled(self, distances: Any, subset: Sequence[int]) -> Collection[int]:
        pairs = [
            (distances[subset[i]][subset[j]], i, j)
            for i in range(len(subset))
            for j in range(i + 1, len(subset))
        ]
        if not pairs:
            return ()
        least = min(d for d, _, _ in pairs)
        return {k for d, i, j in pairs if d == least for k in (i, j)}

    def singled_matrix(self, distances: Any, shown: np.ndarray) -> np.ndarray | None:
        array = _integer_array(distances)
        if array is None:
            return None
        apart = _pairs(array, shown, np.int64)  # a copy: its diagonal may be overwritten
        size = shown.shape[1]
        apart[:, np.arange(size), np.arange(size)] = np.iinfo(np.int64).max  # not a pair
        least = apart.min(axis=(1, 2))
        return (apart == least[:, None, None]).any(axis=2) & (size > 1)


class MiddleStepOnFullestLine(Singling):
    """Of the options on the fullest line through the centre (three or more), pick the middle
    step by length (the two middle ones of an even count): the key between the slips that halve
    it and those that multiply it. Two lines as full give no cue."""

    def tables(self, options: Options) -> Any:
        return step_lines(options)

    def singled(self, tables: Any, subset: Sequence[int]) -> Collection[int]:
        parallel, _, lengths = tables
        line = _fullest_line(parallel, subset, 3)
        if not line:
            return ()
        ordered = sorted(lengths[subset[i]] for i in line)
        middle = len(ordered) // 2
        wanted = {ordered[middle]} if len(ordered) % 2 else {ordered[middle - 1], ordered[middle]}
        return [i for i in line if lengths[subset[i]] in wanted]

    def singled_matrix(self, tables: Any, shown: np.ndarray) -> np.ndarray | None:
        parallel, _, lengths = tables
        length = _integer_array(lengths)
        if length is None:
            return None
        line, _ = _fullest_line_matrix(parallel, shown, 3)
        steps = np.sort(np.where(line, length[shown], np.iinfo(np.int64).max), axis=1)
        on_line = line.sum(axis=1)
        upper = np.minimum(on_line // 2, shown.shape[1] - 1)[:, None]
        lower = np.where(on_line % 2 == 1, upper[:, 0], np.maximum(upper[:, 0] - 1, 0))[:, None]
        shown_steps = length[shown]
        wanted_upper = np.take_along_axis(steps, upper, axis=1)
        wanted_lower = np.take_along_axis(steps, lower, axis=1)
        return line & ((shown_steps == wanted_upper) | (shown_steps == wanted_lower))


def _parallel(u: Point, v: Point) -> bool:
    """Whether two nonzero vectors lie on one line: every 2×2 minor of (u v) is zero."""
    return all(u[i] * v[j] == u[j] * v[i] for i in range(len(u)) for j in range(i + 1, len(u)))


class CueCount(Nearest):
    """Pick the options the fewest of the other strategies point at (``best = min``), or the
    most (``max``), counting only those that see a cue: the key as the one option every cue
    overlooks, or as the cues' consensus. Where distractors were chosen so that no single cue
    points at the key, the option no cue picked was the key in 63% of the descent steps'
    variants (chance 25%)."""

    def __init__(self, cues: Mapping[str, Strategy], best: Callable[[Iterable[Any]], Any]):
        self.cues = tuple(cues.values())
        self.best = best

    @staticmethod
    def reads(options: Options) -> bool:
        """Whether the counts have cues to count: the point cues see nothing in prose."""
        return options.points is not None

    def tables(self, options: Options) -> Any:
        return cue_votes(self.cues, options) if self.reads(options) else None

    def values(self, votes: Any, subset: Sequence[int]) -> list[Any]:
        return votes.on(subset)


@dataclass
class CueVotes:
    """How many cues point at each option of a subset, worked out once per subset (for a
    variant's options, where ``outcome_arrays`` counts the votes of many subsets itself)."""

    read: list[tuple[Strategy, Any]]
    counted: dict[tuple[int, ...], list[int]] = field(default_factory=dict)

    def on(self, subset: Sequence[int]) -> list[int]:
        key = tuple(subset)
        votes = self.counted.get(key)
        if votes is None:
            votes = [0] * len(key)
            for cue, tables in self.read:
                picks = cue.picks(tables, key)
                if len(picks) < len(key):
                    for position in picks:
                        votes[position] += 1
            self.counted[key] = votes
        return votes


@lru_cache(maxsize=1)
def cue_votes(cues: tuple[Strategy, ...], options: Options) -> CueVotes:
    """The ``CueVotes`` of ``options``, shared by both counts: ``examgen check`` asks each in
    turn about the same options, and the second reads what the first counted."""
    return CueVotes([(cue, t) for cue in cues if (t := cue.tables(options)) is not None])


mirror_majority = MirrorMajority()
nearest_centroid = NearestCentroid()
nearest_median = NearestMedian()
longest = Longest()
shortest = Shortest()
fewest_commas = FewestCommas()
most_commas = MostCommas()
fewest_words = FewestWords()
most_words = MostWords()
shortest_words = ShortestWords()
longest_words = LongestWords()
most_words_shared = SharesTheMostWords()
fewest_words_shared = SharesTheFewestWords()
odd_sign = OddSign()
most_shared = MostShared()
smallest_step = SmallestStepOnFullestLine()
simplest_fractions = SimplestFractions()
most_complex_fractions = MostComplexFractions()
shares_denominator = SharesDenominatorWithMost()
on_a_line = OnALineWithAnother()
closest_pair = ClosestPair()
middle_step = MiddleStepOnFullestLine()
halved_by_another = HalvedByAnother()
step_is_another = StepIsAnother()
most_simple_multiples = MostSimpleMultiples()
most_scaled_by_the_stem = MostScaledByTheStem()

#: The strategies that read only the printed text, and so apply to prose options too.
TEXT_STRATEGIES = (
    "longest option",
    "shortest option",
    "fewest commas",
    "most commas",
    "fewest words",
    "most words",
    "shortest words",
    "longest words",
    "shares the most words",
    "shares the fewest words",
)
STRATEGIES: dict[str, Strategy] = {
    "mirror pair, majority side": mirror_majority,
    "nearest the centroid": nearest_centroid,
    "nearest the median": nearest_median,
    "longest option": longest,
    "shortest option": shortest,
    "fewest commas": fewest_commas,
    "most commas": most_commas,
    "fewest words": fewest_words,
    "most words": most_words,
    "shortest words": shortest_words,
    "longest words": longest_words,
    "shares the most words": most_words_shared,
    "shares the fewest words": fewest_words_shared,
    "odd one out by sign": odd_sign,
    "shares the most coordinates": most_shared,
    "smallest step on the fullest line": smallest_step,
    "simplest fractions": simplest_fractions,
    "most complex fractions": most_complex_fractions,
    "shares a denominator with the most": shares_denominator,
    "on a line with another": on_a_line,
    "closest pair": closest_pair,
    "middle step on the fullest line": middle_step,
    "halved by another": halved_by_another,
    "its step is another option": step_is_another,
    "simple multiple of the most": most_simple_multiples,
    "scaled by the stem's numbers, the most": most_scaled_by_the_stem,
}
#: Strategies over the cues above: what the fewest of them point at, and the most.
CUES = dict(STRATEGIES)
STRATEGIES["fewest cues point at it"] = CueCount(CUES, min)
STRATEGIES["most cues point at it"] = CueCount(CUES, max)


def subset_outcomes(
    options: Options, subsets: Sequence[Sequence[int]]
) -> list[tuple[Outcome, ...]]:
    """Each strategy's outcome (in ``STRATEGIES`` order) on each subset of ``options`` whose
    first index is the key: for the subset ``(i, j, k)``, what the strategy makes of the options
    ``i``, ``j``, ``k`` shown in that order (``outcome_arrays``, as tuples)."""
    hit, blind, count = (a.tolist() for a in outcome_arrays(options, subsets))
    return [tuple(zip(*row, strict=True)) for row in zip(hit, blind, count, strict=True)]


def outcome_arrays(
    options: Options,
    subsets: Sequence[Sequence[int]] | np.ndarray,
    only: Collection[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``subset_outcomes`` as three arrays, a row per subset and a column per strategy: whether
    it singles out the key, whether it sees no cue, and how many options it narrows the choice
    to. Each strategy reads the options once. With ``only``, the strategies it names and no
    other (no cue count, which counts every cue): the others' columns see no cue.

    Weighing a descent step's choice form means hundreds of subsets for every variant drawn, so
    a strategy that can (``picks_matrix``) works out every subset of one size at once with numpy;
    the others go subset by subset. Each cue's picks serve its own outcome and the cue counts'
    votes."""
    if isinstance(subsets, np.ndarray):  # subsets of one size, a row each (as ``shown`` is)
        keys = list(map(tuple, subsets.tolist()))
        sizes = np.full(len(keys), subsets.shape[1], dtype=np.int64)
        shown = subsets.astype(np.intp, copy=False) if keys else None
    else:
        keys = [tuple(s) for s in subsets]
        sizes = np.array([len(key) for key in keys], dtype=np.int64)
        shown = np.array(keys, dtype=np.intp) if keys and len(set(sizes.tolist())) == 1 else None
    columns = list(STRATEGIES.values())
    picked = np.zeros((len(keys), len(columns)), dtype=np.int64)
    key_picked = np.zeros((len(keys), len(columns)), dtype=bool)
    votes = np.zeros(shown.shape if shown is not None else (0, 0), dtype=np.int64)
    # Subsets of several sizes have no matrix: their votes are counted in lists.
    listed_votes = [[0] * len(key) for key in keys] if shown is None else []
    # The cues' picks of every subset, by column, read together (``_read_picks``) before the
    # first count, which reads their votes: one numpy pass instead of one a strategy.
    cue_columns: list[int] = []
    cue_picks: list[np.ndarray] = []
    for column, (name, strategy) in enumerate(STRATEGIES.items()):
        if only is not None and (name not in only or isinstance(strategy, CueCount)):
            continue
        listed: list[frozenset[int]] = []
        if isinstance(strategy, CueCount):
            # The counts read the votes of the cues before them, not tables of their own.
            if cue_columns:
                votes += _read_picks(np.stack(cue_picks), cue_columns, picked, key_picked)
                cue_columns, cue_picks = [], []
            if not strategy.reads(options):
                continue
            if shown is not None:
                chosen = _extremes_matrix(votes, strategy.best)
            else:
                chosen, listed = None, [_extremes(v, strategy.best) for v in listed_votes]
        else:
            tables = strategy.tables(options)
            if tables is None:
                continue  # no cue in any subset
            chosen = strategy.picks_matrix(tables, shown) if shown is not None else None
            if chosen is None:
                listed = [strategy.picks(tables, key) for key in keys]
        if chosen is not None:
            if column < len(CUES):
                cue_columns.append(column)
                cue_picks.append(chosen)
            else:
                _read_picks(chosen[None], [column], picked, key_picked)
            continue
        for row, (key, picks) in enumerate(zip(keys, listed, strict=True)):
            if 0 < len(picks) < len(key):
                picked[row, column] = len(picks)
                key_picked[row, column] = 0 in picks
                if column < len(CUES):
                    for position in picks:
                        if shown is None:
                            listed_votes[row][position] += 1
                        else:
                            votes[row, position] += 1
    if cue_columns:
        _read_picks(np.stack(cue_picks), cue_columns, picked, key_picked)
    blind = picked == 0
    return key_picked, blind, np.where(blind, sizes[:, None], picked)


def _read_picks(
    chosen: np.ndarray, columns: list[int], picked: np.ndarray, key_picked: np.ndarray
) -> np.ndarray:
    """Each strategy's picks (``chosen[k]``: a row per subset, whether each position is picked)
    into its column (``columns[k]``) of ``outcome_arrays``' tables: how many options it picks,
    where it sees a cue (some but not all), and whether the key is among them. Returns the
    votes they cast, where they see a cue: how many of them pick each position."""
    count = chosen.sum(axis=2)
    cue = (count > 0) & (count < chosen.shape[2])
    picked[:, columns] = np.where(cue, count, 0).T
    key_picked[:, columns] = (cue & chosen[:, :, 0]).T
    return (chosen & cue[:, :, None]).sum(axis=0)


#: The two ways a student can use a strategy: follow it (guess among the options it points at)
#: or rule out what it points at (guess among the others). Both must score a blind guess: a cue
#: that never points at the key is as telling as one that always does (ruling out the shortest
#: option scored a third where the key was seldom the shortest).
FOLLOWED, RULED_OUT = "followed", "ruled out"
WAYS = (FOLLOWED, RULED_OUT)


def scores(size: int, picked: int, key_picked: bool) -> tuple[Fraction, Fraction]:
    """The expected score on one question of ``size`` options of following a strategy that
    narrows the choice to ``picked`` of them (the key among them or not) and of ruling those out:
    each guesses among what is left. A strategy that points at no option or at every one sees
    no cue: both guess blind."""
    if picked in (0, size):
        return Fraction(1, size), Fraction(1, size)
    if key_picked:
        return Fraction(1, picked), Fraction(0)
    return Fraction(0), Fraction(1, size - picked)


def outcome_scores(outcome: Outcome, size: int) -> tuple[Fraction, Fraction]:
    """``scores`` of the set of ``size`` options an ``Outcome`` describes."""
    hit, _, picked = outcome
    return scores(size, picked, hit)


# --- tallies over the variants check samples ---------------------------------------------------
def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson interval of a success rate (``successes`` may be an expected count)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class StrategyTally:
    """One strategy, used one way (``WAYS``), with its expected score summed over the questions
    it was tried on."""

    name: str
    way: str = FOLLOWED
    score: Fraction = Fraction(0)
    chance: Fraction = Fraction(0)  # the sum of 1/(number of options): what guessing scores
    n: int = 0

    def add(self, picks: frozenset[int], size: int, key: int) -> None:
        """One question: the strategy narrowed its ``size`` options to ``picks``."""
        self.score += scores(size, len(picks), key in picks)[WAYS.index(self.way)]
        self.chance += Fraction(1, size)
        self.n += 1

    @property
    def label(self) -> str:
        return self.name if self.way == FOLLOWED else f"{self.name}, {self.way}"

    @property
    def rate(self) -> float:
        return float(self.score / self.n) if self.n else 0.0

    @property
    def chance_rate(self) -> float:
        return float(self.chance / self.n) if self.n else 0.0

    @property
    def beats_chance(self) -> bool:
        return self.n >= MIN_SAMPLE and self.rate > self.chance_rate + MARGIN

    def to_json(self) -> dict[str, Any]:
        low, high = wilson(float(self.score), self.n)
        return {
            "strategy": self.name,
            "way": self.way,
            "rate": round(self.rate, 4),
            "interval95": [round(low, 4), round(high, 4)],
            "chance": round(self.chance_rate, 4),
            "variants": self.n,
        }

    def summary(self) -> str:
        low, high = wilson(float(self.score), self.n)
        return f"{self.name} {self.rate:.1%} [{low:.0%}, {high:.0%}]"


# --- true/false wording cues --------------------------------------------------------------------
HEDGES = (
    "may", "might", "can", "could", "often", "generally", "typically", "usually", "tends",
    "tend", "likely", "some", "sometimes", "roughly", "in general", "about", "approximately",
    "mostly", "largely",
)  # fmt: skip
ABSOLUTES = (
    "always", "never", "guaranteed", "guarantees", "no effect", "every", "all", "only", "exactly",
    "must", "cannot", "impossible", "none", "any", "completely", "certainly", "whatever", "each",
    "entirely",
)  # fmt: skip


def _has_word(text: str, words: Sequence[str]) -> bool:
    lowered = text.casefold()
    return any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", lowered) for w in words)


def wording_cue(text: str) -> bool | None:
    """The test-wise reading of a statement: an absolute makes it False, a hedge True, and
    anything else leaves a guess (``None``)."""
    if _has_word(text, ABSOLUTES):
        return False
    if _has_word(text, HEDGES):
        return True
    return None


def length_cue(text: str, lengths: Sequence[int]) -> bool | None:
    """Longer than the bank's median statement reads as True (qualified), shorter as False."""
    middle = median(lengths)
    if len(text) > middle:
        return True
    if len(text) < middle:
        return False
    return None


def _expected(guess: bool | None, truth: bool) -> Fraction:
    if guess is None:
        return Fraction(1, 2)
    return Fraction(1) if guess == truth else Fraction(0)


def true_false_scores(statements: Sequence[Any]) -> dict[str, Fraction]:
    """Each wording rule's expected score over a true/false bank's draws: the truth value is a fair
    coin and the statement uniform among those with that truth (``TrueFalseFamily.draw``).
    ``statements`` carry ``text`` and ``truth``."""
    lengths = [len(s.text) for s in statements]
    rules: dict[str, Callable[[str], bool | None]] = {
        "absolute → False, hedge → True": wording_cue,
        "longer → True": lambda text: length_cue(text, lengths),
    }
    out = {}
    for name, rule in rules.items():
        total = Fraction(0)
        for truth in (True, False):
            group = [s for s in statements if s.truth is truth]
            if group:
                total += sum((_expected(rule(s.text), truth) for s in group), Fraction(0)) / (
                    2 * len(group)
                )
        out[name] = total
    return out


# --- work per student ---------------------------------------------------------------------------
@dataclass
class WorkTally:
    """The work measure of every sampled variant (the operations its worked solution performs)."""

    values: list[int] = field(default_factory=list)

    def spread(self) -> dict[str, Any] | None:
        if not self.values or min(self.values) <= 0:
            return None
        low, high = min(self.values), max(self.values)
        return {
            "min": low,
            "median": median(self.values),
            "max": high,
            "ratio": round(high / low, 3),
        }

    def too_wide(self) -> bool:
        spread = self.spread()
        return spread is not None and Fraction(spread["max"], spread["min"]) > MAX_WORK_RATIO


def describe_scores(scores: Mapping[str, Fraction]) -> str:
    return " · ".join(f"{name} {float(value):.0%}" for name, value in scores.items())


# --- what check tallies per family -------------------------------------------------------------
def make_options(
    texts: Sequence[str], values: Sequence[Any], center: Any = None, factors: Sequence[Any] = ()
) -> Options:
    """Options from printed texts and answer values; numeric values become points, mirrored
    about ``center`` (``None``: zero), with the question's ``factors`` (``Options.factors``)."""
    points = [as_point(v) for v in values]
    if any(p is None for p in points):
        return Options(tuple(texts))
    mirror = as_point(center) if center is not None else tuple(Fraction(0) for _ in points[0])  # type: ignore[index]
    *scaled, scaled_center = integer_points([*points, mirror])  # type: ignore[list-item]
    denominators = tuple(tuple(x.denominator for x in p) for p in points)  # type: ignore[union-attr]
    stem = tuple(Fraction(int(f.p), int(f.q)) if hasattr(f, "q") else Fraction(f) for f in factors)
    return Options(tuple(texts), tuple(scaled), scaled_center, denominators, stem)


def integer_points(points: Sequence[Point]) -> list[Point]:
    """The points times the least common multiple of their denominators: every strategy only
    compares distances, sides and signs, which scaling keeps, and integers are fast and exact."""
    scale = math.lcm(*(x.denominator for p in points for x in p))
    return [tuple(int(x * scale) for x in p) for p in points]  # type: ignore[misc]


def options_of(variant: Any) -> tuple[Options, int] | None:
    """A multiple-choice variant's printed options and the key's index, or ``None``."""
    steps = variant.solution.steps
    choices = steps.get("choices") if isinstance(steps, Mapping) else None
    if not choices or not all(hasattr(c, "correct") for c in choices):
        return None  # no lettered options (``generator.choices.Choice``) to read
    options = make_options(
        [c.text for c in choices],
        [c.value for c in choices],
        variant.family.mirror_center(variant.params),
        variant.family.stem_factors(variant.params),
    )
    return options, next(i for i, c in enumerate(choices) if c.correct)


#: What a ``ValidityTally`` counts of one variant: its options and key (multiple choice), and
#: its work measure.
ValidityMeasures = tuple[tuple[Options, int] | None, Any]


def validity_measures(variant: Any) -> ValidityMeasures:
    return options_of(variant), variant.family.work(variant.params, variant.solution)


@dataclass
class ValidityTally:
    """What ``examgen check`` measures of a family beyond correctness: the test-wise strategies'
    success on its multiple-choice variants, its true/false bank's wording cues, and the spread
    of its work measure."""

    #: Each strategy used each way, by (name, way).
    strategies: dict[tuple[str, str], StrategyTally] = field(
        default_factory=lambda: {
            (name, way): StrategyTally(name, way) for way in WAYS for name in STRATEGIES
        }
    )
    work: WorkTally = field(default_factory=WorkTally)

    def add(self, measures: ValidityMeasures) -> None:
        """A variant's ``validity_measures``, taken where it was checked (a worker process)."""
        found, work = measures
        if found is not None:
            self.add_options(*found)
        if work is not None:
            self.work.values.append(work)

    def add_options(self, options: Options, key: int) -> None:
        """One multiple-choice question: every strategy that reads its options, both ways."""
        for name, strategy in STRATEGIES.items():
            if options.points is not None or name in TEXT_STRATEGIES:
                picks = strategy(options)
                for way in WAYS:
                    self.strategies[name, way].add(picks, len(options), key)

    def tried(self, way: str | None = None) -> list[StrategyTally]:
        """The tallies of the strategies tried (used ``way``, or either)."""
        return [t for t in self.strategies.values() if t.n and way in (None, t.way)]

    def wording(self, family: Any, pinned: Mapping[str, Any]) -> dict[str, Fraction]:
        """The wording rules' expected scores on a true/false family's bank (unpinned only)."""
        if getattr(family, "FORM", None) != "true-false" or pinned or not hasattr(family, "bank"):
            return {}
        return true_false_scores(family.bank().statements)

    def problems(self, family: Any, pinned: Mapping[str, Any]) -> list[str]:
        out = [
            f"test-wise strategy '{t.name}'"
            + (", ruling out the options it points at," if t.way == RULED_OUT else "")
            + f" finds the key in {t.rate:.1%} of {t.n} variants (chance {t.chance_rate:.0%}, "
            f"limit {t.chance_rate + MARGIN:.0%}); choose distractors that do not "
            + ("single out the key" if t.way == FOLLOWED else "keep the key from its pick so often")
            for t in self.tried()
            if t.beats_chance
        ]
        for rule, value in self.wording(family, pinned).items():
            if value > TRUE_FALSE_LIMIT:
                out.append(
                    f"true/false rule '{rule}' scores {float(value):.0%} on the bank (limit "
                    f"{TRUE_FALSE_LIMIT:.0%}); balance hedges, absolutes and lengths across true "
                    "and false statements"
                )
        band = getattr(family, "work_band", None)
        if band is not None and self.work.too_wide():
            spread = self.work.spread() or {}
            out.append(
                f"work varies {spread.get('min')}…{spread.get('max')} within difficulty {band}, "
                f"more than {float(MAX_WORK_RATIO)}×; narrow the band"
            )
        return out

    def to_json(self, family: Any, pinned: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.tried():
            out["strategies"] = [t.to_json() for t in self.tried()]
        wording = self.wording(family, pinned)
        if wording:
            out["wording"] = {rule: round(float(v), 4) for rule, v in wording.items()}
        spread = self.work.spread()
        if spread is not None:
            out["work"] = spread | {"band": getattr(family, "work_band", None)}
        return out

    def lines(self, family: Any, pinned: Mapping[str, Any]) -> list[str]:
        """The table's lines for this family (empty when nothing applies)."""
        out = []
        for way in WAYS:
            tried = self.tried(way)
            if tried:
                out.append(
                    f"test-wise, {way} (chance {tried[0].chance_rate:.0%}): "
                    + " · ".join(t.summary() for t in tried)
                )
        wording = self.wording(family, pinned)
        if wording:
            out.append(f"true/false wording: {describe_scores(wording)}")
        spread = self.work.spread()
        if spread is not None:
            band = getattr(family, "work_band", None)
            out.append(
                f"work: min {spread['min']} · median {spread['median']} · max {spread['max']} · "
                f"max/min {spread['ratio']}" + (f" (difficulty {band})" if band else "")
            )
        return out
