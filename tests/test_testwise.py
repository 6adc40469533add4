"""Items measure knowledge: no test-wise shortcut finds the key, and students get comparable work.

Invariants: each strategy reads only what a student sees and does not depend on the printed order;
each picks, on all of a question's options and on every subset of them (``subset_outcomes``, what
``generator.choices`` weighs), exactly what its plain statement below (the oracle) picks;
`examgen check` fails a family a strategy beats, followed or ruled out (chance + 5 points), and passes the shipped choice
forms, the definition question and every true/false bank; the default quiz keeps each slot's work
within 1.5× over 300 real students while staying 99% distinct; a spec's ``difficulty`` is
validated with one-line errors; the zero/nonzero initial weights are drawn half and half.
"""

from __future__ import annotations

import itertools
import math
import operator
import re
import statistics
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from generator.bank import Statement
from generator.check import Target, check_target, run
from generator.choices import ChoiceForm, choice_form, has_choice_form, with_form
from generator.errors import ExamgenError
from generator.families import get_family, registry
from generator.fingerprint import fingerprint
from generator.preview import preview_stream
from generator.render import tex_inline
from generator.spec import DEFAULT_SPEC, SPECS_DIR, load_spec
from generator.testwise import (
    FOLLOWED,
    MARGIN,
    MIN_SAMPLE,
    RULED_OUT,
    STRATEGIES,
    TRUE_FALSE_LIMIT,
    Options,
    ValidityTally,
    make_options,
    mirror_majority,
    nearest_centroid,
    odd_sign,
    scores,
    shortest,
    smallest_step,
    subset_outcomes,
    true_false_scores,
    validity_measures,
)

F = Fraction


def vectors(*pairs: tuple[int, int]) -> Options:
    return make_options([str(p) for p in pairs], [tuple(map(F, p)) for p in pairs], (0, 0))


def test_smallest_step_on_the_fullest_line_picks_the_modest_step():
    """A descent step's slips scale the step: halved (the factor 2 dropped), tripled (η left
    out), reversed (the sign flipped). On that line the side most options take holds the key
    and the scaled-up steps; the smallest of them is picked. As many options on either side, or
    two lines as full, give no cue."""
    options = vectors((2, 4), (1, 2), (6, 12), (-2, -4), (3, -1))
    assert smallest_step(options) == {1}
    assert smallest_step(vectors((2, 4), (1, 2), (-6, -12), (-2, -4))) == {0, 1, 2, 3}
    assert smallest_step(vectors((2, 4), (1, 2), (3, -1), (6, -2))) == {0, 1, 2, 3}


def test_mirror_pair_majority_side_picks_the_member_with_company():
    # (4, 9) and (-4, -9) mirror each other about 0; (8, 18) and (2, 4) sit on (4, 9)'s side.
    options = vectors((4, 9), (-4, -9), (8, 18), (2, 4))
    assert mirror_majority(options) == {0}
    assert mirror_majority(vectors((4, 9), (1, 0), (8, 18), (2, 4))) == {0, 1, 2, 3}


def test_nearest_centroid_and_odd_sign():
    assert nearest_centroid(vectors((4, 9), (-4, -9), (8, 18), (2, 4))) == {3}
    assert odd_sign(vectors((4, 9), (-4, -9), (8, 18), (2, 4))) == {1}
    assert odd_sign(vectors((4, 9), (-4, -9), (8, -18), (2, 4))) == {0, 1, 2, 3}


@given(
    points=st.lists(st.tuples(st.integers(-9, 9), st.integers(-9, 9)), min_size=4, max_size=4),
    order=st.permutations(range(4)),
)
def test_strategies_do_not_depend_on_the_printed_order(points, order):
    options = vectors(*points)
    shuffled = vectors(*(points[i] for i in order))
    for strategy in STRATEGIES.values():
        assert {order[i] for i in strategy(shuffled)} == set(strategy(options))


# --- the strategies as first written, one plain function each: the oracle ---------------------
def _oracle_everything(options):
    return frozenset(range(len(options)))


def _oracle_extremes(values, pick):
    best = pick(values)
    return frozenset(i for i, v in enumerate(values) if v == best)


def _oracle_dot(u, v):
    return sum(map(operator.mul, u, v))


def _oracle_minus(u, v):
    return tuple(map(operator.sub, u, v))


def _oracle_distance2(u, v):
    d = _oracle_minus(u, v)
    return _oracle_dot(d, d)


def oracle_mirror_majority(options):
    points, center = options.points, options.center
    if points is None or center is None:
        return _oracle_everything(options)
    twice = tuple(2 * c for c in center)
    picks = set()
    for i, a in enumerate(points):
        for j in range(i + 1, len(points)):
            b = points[j]
            if tuple(x + y for x, y in zip(a, b, strict=True)) != twice or a == b:
                continue
            axis = _oracle_minus(a, center)
            sides = [_oracle_dot(_oracle_minus(p, center), axis) for p in points]
            on_a = sum(1 for k, s in enumerate(sides) if k not in (i, j) and s > 0)
            on_b = sum(1 for k, s in enumerate(sides) if k not in (i, j) and s < 0)
            if on_a >= on_b:
                picks.add(i)
            if on_b >= on_a:
                picks.add(j)
    return frozenset(picks) or _oracle_everything(options)


def oracle_nearest_centroid(options):
    points = options.points
    if points is None:
        return _oracle_everything(options)
    n = len(points)
    total = tuple(sum(p[d] for p in points) for d in range(len(points[0])))
    return _oracle_extremes(
        [_oracle_distance2(tuple(n * x for x in p), total) for p in points], min
    )


def _oracle_twice_median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle - 1] + ordered[middle] if len(ordered) % 2 == 0 else 2 * ordered[middle]


def oracle_nearest_median(options):
    points = options.points
    if points is None:
        return _oracle_everything(options)
    twice = tuple(_oracle_twice_median([p[d] for p in points]) for d in range(len(points[0])))
    return _oracle_extremes(
        [_oracle_distance2(tuple(2 * x for x in p), twice) for p in points], min
    )


def oracle_longest(options):
    return _oracle_extremes([len(t) for t in options.texts], max)


def oracle_shortest(options):
    return _oracle_extremes([len(t) for t in options.texts], min)


def oracle_fewest_commas(options):
    return _oracle_extremes([t.count(",") for t in options.texts], min)


def oracle_most_commas(options):
    return _oracle_extremes([t.count(",") for t in options.texts], max)


def _oracle_prose_words(options, measure, best):
    """A rule over each prose option's words (options that are values print alike)."""
    if options.points is not None:
        return _oracle_everything(options)
    return _oracle_extremes([measure(t.split()) for t in options.texts], best)


def oracle_fewest_words(options):
    return _oracle_prose_words(options, len, min)


def oracle_most_words(options):
    return _oracle_prose_words(options, len, max)


def _mean_word_length(words):
    return F(sum(len(w) for w in words), max(len(words), 1))


def oracle_shortest_words(options):
    return _oracle_prose_words(options, _mean_word_length, min)


def oracle_longest_words(options):
    return _oracle_prose_words(options, _mean_word_length, max)


def _oracle_words_shared(options, best):
    """Each prose option's words (letters and digits, case aside) shared with each other option,
    counted pair by pair and summed."""
    if options.points is not None:
        return _oracle_everything(options)
    words = [{w.lower() for w in re.findall(r"\w+", t)} for t in options.texts]
    shared = [
        sum(len(mine & other) for b, other in enumerate(words) if b != a)
        for a, mine in enumerate(words)
    ]
    return _oracle_extremes(shared, best)


def oracle_shares_most_words(options):
    return _oracle_words_shared(options, max)


def oracle_shares_fewest_words(options):
    return _oracle_words_shared(options, min)


def oracle_odd_sign(options):
    points = options.points
    if points is None:
        return _oracle_everything(options)
    patterns = [tuple((x > 0) - (x < 0) for x in p) for p in points]
    lonely = [i for i, p in enumerate(patterns) if patterns.count(p) == 1]
    return frozenset(lonely) if len(lonely) == 1 else _oracle_everything(options)


def oracle_most_shared(options):
    points = options.points
    if points is None or len(points[0]) < 2:
        return _oracle_everything(options)
    shared = [
        sum(
            sum(1 for x, y in zip(p, q, strict=True) if x == y)
            for b, q in enumerate(points)
            if b != a
        )
        for a, p in enumerate(points)
    ]
    return _oracle_extremes(shared, max)


def oracle_smallest_step(options):
    """The options' steps from the centre; the lines through it that hold two or more of them;
    of the fullest line (if one is fuller than every other), the smallest step on the side more
    of its options take (if one side has more)."""
    found = oracle_fullest_line(options)
    if found is None:
        return _oracle_everything(options)
    steps, line = found
    ref = steps[line[0]]
    forward = [i for i in line if sum(a * b for a, b in zip(ref, steps[i], strict=True)) > 0]
    backward = [i for i in line if i not in forward]
    if len(forward) == len(backward):
        return _oracle_everything(options)
    side = forward if len(forward) > len(backward) else backward
    length = {i: sum(x * x for x in steps[i]) for i in side}
    least = min(length.values())
    return frozenset(i for i in side if length[i] == least)


def oracle_middle_step(options):
    """On the fullest line through the centre, if it holds three options or more, the middle
    step by length (the two middle lengths of an even count)."""
    found = oracle_fullest_line(options)
    if found is None or len(found[1]) < 3:
        return _oracle_everything(options)
    steps, line = found
    length = {i: sum(x * x for x in steps[i]) for i in line}
    ordered = sorted(length.values())
    half = len(ordered) // 2
    wanted = ordered[half : half + 1] if len(ordered) % 2 else ordered[half - 1 : half + 1]
    return frozenset(i for i in line if length[i] in wanted)


def oracle_closest_pair(options):
    """Both members of every pair of options at the least distance."""
    points = options.points
    if points is None or len(points) < 2:
        return _oracle_everything(options)
    pairs = {(a, b): _oracle_distance2(points[a], points[b])
             for a, b in itertools.combinations(range(len(points)), 2)}
    least = min(pairs.values())
    return frozenset(i for pair, d in pairs.items() if d == least for i in pair)


def oracle_fullest_line(options):
    """The options' steps from the centre, and the options on the one line through it that holds
    more of them than any other (two or more); ``None`` when there is no such line."""
    points, center = options.points, options.center
    if points is None or center is None:
        return None
    steps = [tuple(x - c for x, c in zip(p, center, strict=True)) for p in points]

    def on_one_line(u, v):
        # v is a multiple of u: some t with v = t u.
        i = next(k for k, x in enumerate(u) if x != 0)
        t = F(v[i]) / F(u[i])
        return all(F(y) == t * x for x, y in zip(u, v, strict=True))

    lines = []
    for i, step in enumerate(steps):
        if not any(step):
            continue
        for line in lines:
            if on_one_line(steps[line[0]], step):
                line.append(i)
                break
        else:
            lines.append([i])
    lines = [line for line in lines if len(line) >= 2]
    if not lines:
        return None
    fullest = max(len(line) for line in lines)
    if sum(len(line) == fullest for line in lines) > 1:
        return None
    (line,) = [line for line in lines if len(line) == fullest]
    return steps, line


def _oracle_least_common_denominators(options):
    if options.denominators is None:
        return None
    return [math.lcm(*ds) for ds in options.denominators]


def oracle_simplest_fractions(options):
    lcds = _oracle_least_common_denominators(options)
    return _oracle_everything(options) if lcds is None else _oracle_extremes(lcds, min)


def oracle_most_complex_fractions(options):
    lcds = _oracle_least_common_denominators(options)
    return _oracle_everything(options) if lcds is None else _oracle_extremes(lcds, max)


def oracle_shares_denominator(options):
    """How many other options share a printed denominator other than 1 with each; the most."""
    if options.denominators is None:
        return _oracle_everything(options)
    fractions = [set(ds) - {1} for ds in options.denominators]
    shared = [
        sum(1 for b, other in enumerate(fractions) if b != a and mine & other)
        for a, mine in enumerate(fractions)
    ]
    return _oracle_extremes(shared, max)


def oracle_on_a_line(options):
    """The options whose step from the centre is a nonzero multiple of another option's nonzero
    step (some t with one = t · other)."""
    points, center = options.points, options.center
    if points is None or center is None:
        return _oracle_everything(options)
    steps = [tuple(F(x) - F(c) for x, c in zip(p, center, strict=True)) for p in points]

    def multiple(u, v):
        if not any(u) or not any(v):
            return False
        i = next(k for k, x in enumerate(u) if x != 0)
        t = v[i] / u[i]
        return all(y == t * x for x, y in zip(u, v, strict=True))

    picked = frozenset(
        a
        for a, u in enumerate(steps)
        if any(multiple(u, v) for b, v in enumerate(steps) if b != a)
    )
    return picked or _oracle_everything(options)


def _oracle_steps(options):
    points, center = options.points, options.center
    if points is None or center is None:
        return None
    return [tuple(F(x) - F(c) for x, c in zip(p, center, strict=True)) for p in points]


def oracle_halved_by_another(options):
    """The options whose nonzero step another option's step is half of."""
    steps = _oracle_steps(options)
    if steps is None:
        return _oracle_everything(options)
    picked = frozenset(
        a
        for a, u in enumerate(steps)
        if any(u) and any(v == tuple(x / 2 for x in u) for b, v in enumerate(steps) if b != a)
    )
    return picked or _oracle_everything(options)


def oracle_step_is_another(options):
    """The options whose nonzero step from the centre is printed as another option."""
    steps = _oracle_steps(options)
    if steps is None:
        return _oracle_everything(options)
    points = [tuple(F(x) for x in p) for p in options.points]
    picked = frozenset(
        a for a, u in enumerate(steps) if any(u) and any(points[b] == u for b in range(len(points)) if b != a)
    )
    return picked or _oracle_everything(options)


ORACLE_SIMPLE_RATIOS = (
    [F(-1)] + [F(n) for n in range(2, 11)] + [F(1, n) for n in range(2, 11)]
    + [F(n, 2) for n in (3, 5, 7, 9)] + [F(2, n) for n in (3, 5, 7, 9)]
)


def oracle_simple_multiples(options):
    """The options whose nonzero step is t times the most other options' nonzero steps, for a
    simple t (a sign flip, a whole number or its inverse up to 10, or half an odd one)."""
    steps = _oracle_steps(options)
    if steps is None:
        return _oracle_everything(options)

    def simple(u, v):
        return any(u) and any(v) and any(v == tuple(t * x for x in u) for t in ORACLE_SIMPLE_RATIOS)

    counts = [sum(simple(u, v) for b, v in enumerate(steps) if b != a) for a, u in enumerate(steps)]
    return _oracle_extremes(counts, max)


def oracle_scaled_by_the_stem(options):
    """The options whose nonzero step the most other options' steps are t times, for t among
    -1, 1/2 and each nonzero number f the stem prints, 1/f and f/2."""
    steps = _oracle_steps(options)
    if steps is None or not options.factors:
        return _oracle_everything(options)
    ratios = [F(-1), F(1, 2)] + [t for f in options.factors if f for t in (f, 1 / f, f / 2)]

    def scaled(u, v):
        return any(u) and any(v == tuple(t * x for x in u) for t in ratios)

    counts = [sum(scaled(u, v) for b, v in enumerate(steps) if b != a) for a, u in enumerate(steps)]
    return _oracle_extremes(counts, max)


ORACLE_CUES = {
    "mirror pair, majority side": oracle_mirror_majority,
    "nearest the centroid": oracle_nearest_centroid,
    "nearest the median": oracle_nearest_median,
    "longest option": oracle_longest,
    "shortest option": oracle_shortest,
    "fewest commas": oracle_fewest_commas,
    "most commas": oracle_most_commas,
    "fewest words": oracle_fewest_words,
    "most words": oracle_most_words,
    "shortest words": oracle_shortest_words,
    "longest words": oracle_longest_words,
    "shares the most words": oracle_shares_most_words,
    "shares the fewest words": oracle_shares_fewest_words,
    "odd one out by sign": oracle_odd_sign,
    "shares the most coordinates": oracle_most_shared,
    "smallest step on the fullest line": oracle_smallest_step,
    "simplest fractions": oracle_simplest_fractions,
    "most complex fractions": oracle_most_complex_fractions,
    "shares a denominator with the most": oracle_shares_denominator,
    "on a line with another": oracle_on_a_line,
    "closest pair": oracle_closest_pair,
    "middle step on the fullest line": oracle_middle_step,
    "halved by another": oracle_halved_by_another,
    "its step is another option": oracle_step_is_another,
    "simple multiple of the most": oracle_simple_multiples,
    "scaled by the stem's numbers, the most": oracle_scaled_by_the_stem,
}


def oracle_cue_votes(options):
    """How many of the cues above, each seeing a cue (narrowing to some options, not all),
    point at each option; the cues read points, so prose gets none."""
    if options.points is None:
        return None
    votes = [0] * len(options)
    for rule in ORACLE_CUES.values():
        picks = rule(options)
        if len(picks) < len(options):
            for i in picks:
                votes[i] += 1
    return votes


def oracle_fewest_cues(options):
    votes = oracle_cue_votes(options)
    return _oracle_everything(options) if votes is None else _oracle_extremes(votes, min)


def oracle_most_cues(options):
    votes = oracle_cue_votes(options)
    return _oracle_everything(options) if votes is None else _oracle_extremes(votes, max)


ORACLE = ORACLE_CUES | {
    "fewest cues point at it": oracle_fewest_cues,
    "most cues point at it": oracle_most_cues,
}


def oracle_outcome(picks, size):
    """Picks among ``size`` options, the key first: the key singled out, no cue seen, and how
    many options the strategy narrowed the choice to."""
    return (0 in picks and len(picks) < size, len(picks) == size, len(picks))


def oracle_subset_outcomes(options, subsets):
    """Each oracle strategy run on each subset's own options."""
    out = []
    for subset in subsets:
        shown = Options(
            tuple(options.texts[i] for i in subset),
            tuple(options.points[i] for i in subset) if options.points is not None else None,
            options.center,
            None
            if options.denominators is None
            else tuple(options.denominators[i] for i in subset),
            options.factors,
        )
        out.append(tuple(oracle_outcome(rule(shown), len(subset)) for rule in ORACLE.values()))
    return out


coordinates = st.fractions(min_value=-3, max_value=3, max_denominator=2)


@st.composite
def drawn_options(draw, min_size=1, max_size=7):
    """Options as a student could see them: prose (no points), or points of 1 to 3 dimensions
    with a centre or without, made as ``make_options`` makes them or given as fractions; small
    coordinates and short texts give ties and equal lengths, and some points are replaced by
    another's mirror image about the centre, so mirror pairs are common."""
    size = draw(st.integers(min_size, max_size))
    texts = tuple(draw(st.lists(st.text("ab, ", max_size=4), min_size=size, max_size=size)))
    if draw(st.integers(0, 4)) == 0:
        return Options(texts)
    dims = draw(st.integers(1, 3))
    vector = st.tuples(*[coordinates] * dims)
    points = draw(st.lists(vector, min_size=size, max_size=size))
    center = draw(st.none() | vector)
    mirror = center or (F(0),) * dims
    index = st.integers(0, size - 1)
    for source, target in draw(st.lists(st.tuples(index, index), max_size=size)):
        points[target] = tuple(2 * c - x for c, x in zip(mirror, points[source], strict=True))
    # The stem's numbers (a learning rate, a count of points), and steps scaled by them.
    factors = tuple(draw(st.lists(st.sampled_from([F(1, 2), F(1, 3), F(3), F(4)]), max_size=2)))
    for source, target, t in draw(
        st.lists(st.tuples(index, index, st.sampled_from([F(-1), F(1, 2), *factors])), max_size=3)
    ):
        points[target] = tuple(
            c + t * (x - c) for c, x in zip(mirror, points[source], strict=True)
        )
    if draw(st.booleans()):
        return make_options(texts, points, center, factors)
    return Options(texts, tuple(points), center, factors=factors)


@given(options=drawn_options())
@example(options=vectors((4, 9), (-4, -9), (8, 18), (2, 4)))
@example(options=vectors((1, 0), (-1, 0), (0, 1), (0, -1), (2, 2)))
def test_each_strategy_picks_what_the_oracle_picks(options):
    """Every strategy, applied to all of a question's options, narrows them to exactly what its
    plain statement (the oracle above) does."""
    assert list(STRATEGIES) == list(ORACLE)
    for name, strategy in STRATEGIES.items():
        assert strategy(options) == ORACLE[name](options), name


@given(data=st.data(), options=drawn_options())
@example(data=None, options=vectors((1, 0), (-1, 0), (0, 1), (0, -1), (2, 2)))
@example(data=None, options=vectors((2**40, 3), (-(2**40), -3), (2**41, 6), (1, 2), (5, 2**30)))
def test_subset_outcomes_are_each_oracle_run_on_each_subset(data, options):
    """On every subset of a question's options (the key first), each strategy singles out the
    key, or sees no cue, as running its oracle on that subset's own options does (worked out for
    all subsets at once with numpy, or one by one). The first explicit example is a mirror pair
    with as many options on either side (none): both members picked; the second has coordinates
    too large for numpy's integers."""
    n = len(options)
    if data is None:  # every subset of 3 with option 0 as the key
        subsets = [(0, *c) for c in itertools.combinations(range(1, n), 2)]
    else:
        shown = data.draw(st.integers(1, n))
        orders = st.permutations(range(n)).map(lambda order: tuple(order[:shown]))
        subsets = data.draw(st.lists(orders, min_size=1, max_size=12))
    assert subset_outcomes(options, subsets) == oracle_subset_outcomes(options, subsets)


def test_check_fails_a_family_whose_key_a_strategy_finds():
    """A tally where the key is always nearest the centroid fails, naming the strategy."""
    tally = ValidityTally()
    key_central = vectors((1, 1), (-4, -9), (8, 18), (2, 4))
    assert nearest_centroid(key_central) == {3}
    for _ in range(MIN_SAMPLE):
        tally.add_options(key_central, 3)
    problems = tally.problems(get_family("gradient-descent-step"), {})
    limit = f"limit {0.25 + MARGIN:.0%}"
    assert any(
        "'nearest the centroid' finds the key in 100.0%" in p and limit in p for p in problems
    ), problems


def test_check_fails_a_family_whose_key_a_strategy_never_points_at():
    """Ruling out what a strategy points at is a strategy too: where the key is never the
    shortest option, a student who rules out the shortest and guesses among the other three
    scores a third, and check fails it, naming the strategy and the way it is used."""
    tally = ValidityTally()
    key_never_shortest = vectors((10, 10), (1, 1), (20, 20), (30, 30))
    assert shortest(key_never_shortest) == {1}
    for _ in range(MIN_SAMPLE):
        tally.add_options(key_never_shortest, 0)
    (followed,) = (t for t in tally.tried(FOLLOWED) if t.name == "shortest option")
    (ruled_out,) = (t for t in tally.tried(RULED_OUT) if t.name == "shortest option")
    assert followed.score == 0 and ruled_out.score == Fraction(MIN_SAMPLE, 3)
    assert ruled_out.beats_chance and not followed.beats_chance
    problems = tally.problems(get_family("gradient-descent-step"), {})
    assert any(
        "'shortest option', ruling out the options it points at, finds the key in 33.3%" in p
        for p in problems
    ), problems


@given(size=st.integers(2, 8), data=st.data())
def test_both_ways_score_a_blind_guess_when_the_cue_is_as_right_as_a_guess(size, data):
    """A strategy that narrows ``size`` options to ``picked`` scores, over the ``size`` places
    the key can hold among them equally often, exactly a blind guess followed and ruled out; with
    no cue (every option or none picked) it guesses blind either way."""
    picked = data.draw(st.integers(0, size))
    followed = sum(scores(size, picked, place < picked)[0] for place in range(size))
    ruled_out = sum(scores(size, picked, place < picked)[1] for place in range(size))
    assert followed / size == ruled_out / size == Fraction(1, size)
    if picked in (0, size):
        assert scores(size, picked, True) == scores(size, picked, False) == (F(1, size),) * 2


def test_check_fails_the_chains_choice_form_it_withholds():
    """The chain's multiple choice, were it offered, would fail check: its mirror pair and
    longest option find the key in about a third of the variants, chance a quarter (with the
    15-point margin check passed it, and the README's promise of no edge was false)."""
    chain = get_family("vanishing-gradient-chain")
    assert chain.CHOICE_FORM_WITHHELD and not has_choice_form(chain)
    with pytest.raises(ExamgenError, match="has no multiple-choice form: its distractors"):
        with_form(chain, "choice")
    form = ChoiceForm(chain)  # what form = "choice" gave before it was withheld
    tally = ValidityTally()
    for seed in range(MIN_SAMPLE):
        tally.add(validity_measures(form.generate(preview_stream(form, seed))))
    assert {t.label for t in tally.tried() if t.beats_chance} >= {"mirror pair, majority side"}


CHOICE_SPEC = """
[[questions]]
family = "gradient-descent-step"
form = "choice"
[[questions]]
family = "sgd-minibatch-step"
form = "choice"
[[questions]]
family = "vanishing-gradient-definition"
"""


def test_no_strategy_beats_chance_on_the_choice_families(tmp_path: Path):
    spec = tmp_path / "choices.toml"
    spec.write_text(CHOICE_SPEC, encoding="utf-8")
    report = run(spec_path=spec, variants=MIN_SAMPLE)
    assert report.ok, report.table()
    for family in report.families:
        tried = family.validity.tried()
        assert tried and all(t.n == MIN_SAMPLE for t in tried)
        assert {t.way for t in tried} == {FOLLOWED, RULED_OUT}
        for t in tried:
            assert t.rate <= t.chance_rate + MARGIN, (family.target.label, t.label, t.rate)


def test_true_false_banks_give_no_wording_or_length_cue():
    """With "each" an absolute and "about" a hedge (an outside review's: the rule then scored
    67% on sgd-iterations, its "each of its iterations" false and "about as much" true)."""
    from generator.testwise import wording_cue

    assert wording_cue("because each of its iterations is cheaper") is False
    assert wording_cue("they cost about as much computation") is True
    banks = [f for f in registry().values() if f.FORM == "true-false"]
    assert banks
    for family in banks:
        for rule, score in true_false_scores(family.bank().statements).items():
            assert score <= TRUE_FALSE_LIMIT, (family.ID, rule, score)


def test_the_wording_rule_is_scored_over_the_banks_draws():
    """Absolute-false and hedge-true statements only: the rule scores 100%, and check says so."""
    rigged = [
        Statement("a", "it is always so.", False, "."),
        Statement("b", "it may be so.", True, "."),
    ]
    assert true_false_scores(rigged)["absolute → False, hedge → True"] == 1


def test_default_quiz_work_is_fair_and_distinct_over_300_students():
    spec = load_spec(DEFAULT_SPEC)
    students = [f"S{i:04d}" for i in range(300)]
    for slot in spec.slots:
        variants = [slot.generate(7, sid) for sid in students]
        distinct = {fingerprint(v) for v in variants}
        family = slot.family
        if family is not None and family.work(variants[0].params, variants[0].solution):
            work = [family.work(v.params, v.solution) for v in variants]
            assert max(work) <= Fraction(3, 2) * min(work), (family.ID, min(work), max(work))
            assert len(distinct) >= 0.99 * len(students), (family.ID, len(distinct))


def test_work_of_reference_156_counts_its_worked_solution():
    """#156's solution works out 2(0 − y) for 3 points, 2 of the x-products (x = 1 is read
    off), 2 additions per component, 2 divisions by 3 and 2 products with η: 13 operations."""
    family = get_family("gradient-descent-step")
    variant = family.variant_from_json(
        preview_stream(family, 0), {"data": [[1, 3], [2, 3], [3, 6]], "w0": [0, 0], "eta": "1/2"}
    )
    assert family.work(variant.params, variant.solution) == 13


def test_nonzero_initial_weights_half_the_time():
    family = get_family("gradient-descent-step")
    zero = [
        family.generate(preview_stream(family, seed)).solution.steps["w0_is_zero"]
        for seed in range(400)
    ]
    assert 0.42 <= statistics.mean(zero) <= 0.58


@pytest.mark.parametrize(
    ("difficulty", "message"),
    [
        ('"medium"', "has the bands 'easy' 8–12, 'standard' 14–20, 'hard' 22–32; got 'medium'"),
        ("[20, 10]", "must be a band name or a range [least, most]"),
    ],
)
def test_difficulty_is_validated_at_spec_load(tmp_path: Path, difficulty: str, message: str):
    spec = tmp_path / "quiz.toml"
    spec.write_text(
        f'[[questions]]\nfamily = "gradient-descent-step"\ndifficulty = {difficulty}\n',
        encoding="utf-8",
    )
    with pytest.raises(ExamgenError, match="quiz.toml: questions") as err:
        load_spec(spec)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_difficulty_needs_a_work_measure(tmp_path: Path):
    spec = tmp_path / "quiz.toml"
    spec.write_text('[[questions]]\nfamily = "sgd-direction"\ndifficulty = "easy"\n', "utf-8")
    with pytest.raises(ExamgenError, match="difficulty: family sgd-direction declares no work"):
        load_spec(spec)


def test_a_band_keeps_the_choice_form_within_it():
    form = choice_form(get_family("sgd-minibatch-step")).with_difficulty((10, 15))
    report = check_target(Target(form), variants=60)
    assert not report.failures, report.to_json()
    assert 10 <= min(report.validity.work.values) <= max(report.validity.work.values) <= 15


@pytest.mark.parametrize("spec", sorted(SPECS_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_spec_passes_check_on_enough_variants_to_fail(spec):
    """Judged on ``MIN_SAMPLE`` variants, where check fails a test-wise strategy: the practice
    spec's pinned reference step (#156) as multiple choice had five distractors, and whatever
    set each student saw, the shortest option found the key in 40% (chance 25%); check on 120
    variants never judged it. Its slots with a difficulty pass too."""
    report = run(spec_path=spec, variants=MIN_SAMPLE)
    assert report.ok, report.table()
    assert any(family.validity.tried() for family in report.families)


@given(p=st.integers(-50, 50), q=st.integers(1, 12))
def test_tex_inline_writes_fractions_with_a_slash(p, q):
    text = tex_inline(Fraction(p, q))
    assert "frac" not in text
    assert Fraction(text) == Fraction(p, q)


@pytest.mark.parametrize("family_id", ["gradient-descent-step", "sgd-minibatch-step"])
@given(seed=st.integers(0, 10**6))
def test_markdown_math_survives_github(family_id, seed):
    """GitHub strips a backslash before punctuation inside inline math: no ``\\{``, ``\\}`` or
    ``\\;``, whose braces and spaces would vanish; the SGD points are numbered for the batch."""
    from generator.render import render_problem

    family = get_family(family_id)
    variant = family.generate(preview_stream(family, seed))
    text = render_problem("markdown", variant)
    assert not any(bad in text for bad in ("\\{", "\\}", "\\;"))
    assert "\\lbrace" in text and "\\rbrace" in text
    if family_id == "sgd-minibatch-step":
        n = len(variant.params.data)
        assert f"{n} points, numbered 1 to {n} in the order listed" in text
