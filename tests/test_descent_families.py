"""Invariant: every variant of a descent family, sampled or pinned, is exactly right and nice.

For any seed: the exact answer equals an independent float recomputation; the solution's stated
average equals the mean of its stated per-point gradients; the result equals w − η·g; every value a
student sees stays within the family's declared budget; no degenerate variant is accepted.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import assume, example, given
from hypothesis import strategies as st

from generator.errors import ExamgenError
from generator.families import get_family
from generator.recheck import recheck
from generator.seeding import stream
from tests.strategies import seeds

DESCENT_IDS = ["gradient-descent-step", "sgd-minibatch-step"]


def all_rationals(value):
    """Every exact number inside a solution's steps, however nested."""
    if isinstance(value, sympy.Rational):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from all_rationals(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from all_rationals(v)


def positions_of(params):
    return getattr(params, "batch", None)


def assert_variant_correct(family, variant):
    params, steps = variant.params, variant.solution.steps
    # An independent float recomputation (numpy, from the key entry alone) agrees.
    assert recheck(family, variant.key_params(), variant.solution.answer.to_json()) is None

    # The stated average is the mean of the stated per-point gradients (Fraction: not sympy).
    gradients = [[Fraction(str(g)) for g in p["gradient"]] for p in steps["points"]]
    mean = [sum(col, Fraction(0)) / len(gradients) for col in zip(*gradients, strict=True)]
    assert [Fraction(str(g)) for g in steps["gradient"]] == mean
    # Each stated per-point gradient is 2(Aug(x)·w − y)Aug(x) at the stated point.
    w = [Fraction(str(v)) for v in params.w0]
    for p in steps["points"]:
        x, y = Fraction(str(p["x"])), Fraction(str(p["y"]))
        assert (x, y) == tuple(Fraction(str(v)) for v in params.data[p["position"] - 1])
        r = w[0] + w[1] * x - y
        assert [Fraction(str(g)) for g in p["gradient"]] == [2 * r, 2 * r * x]
    # The result is w − η·g, and the answer is the result.
    eta = Fraction(str(params.eta))
    assert [Fraction(str(v)) for v in steps["w1"]] == [
        wi - eta * gi for wi, gi in zip(w, mean, strict=True)
    ]
    assert tuple(steps["w1"]) == tuple(variant.solution.answer.value)

    budget = family.BUDGET
    for value in all_rationals(steps):
        assert value.q <= budget.max_denominator, value
        assert abs(value) <= budget.max_magnitude, value
    assert any(g != 0 for g in steps["gradient"])
    for reason, is_degenerate in family.DEGENERATE:
        assert not is_degenerate(params, variant.solution), reason


@pytest.mark.parametrize("family_id", DESCENT_IDS)
@given(seed=seeds, student=st.text(max_size=12))
@example(seed=0, student="s001")
def test_sampled_variants_are_right_and_nice(family_id, seed, student):
    """Sampled variants: the core promise, for any seed and student."""
    family = get_family(family_id)
    variant = family.generate(stream(seed, student))
    assert_variant_correct(family, variant)
    n = len(variant.params.data)
    assert n in family.DATA_SIZES
    xs = [x for x, _ in variant.params.data]
    assert len(set(xs)) == n and all(x.q == 1 for x in xs)
    batch = positions_of(variant.params)
    if batch is not None:
        assert len(batch) in family.BATCH_SIZES and len(batch) < n
        assert list(batch) == sorted(set(batch)) and all(1 <= p <= n for p in batch)


@pytest.mark.parametrize("family_id", DESCENT_IDS)
@given(
    seed=seeds, other_seed=seeds, subset=st.sets(st.sampled_from(["data", "w0", "eta", "batch"]))
)
def test_pinned_subsets_are_kept_and_the_rest_resampled(family_id, seed, other_seed, subset):
    """Pinning any subset of a valid variant's params reproduces those params exactly."""
    family = get_family(family_id)
    source = family.generate(stream(seed, "source"))
    as_json = family.params_to_json(source.params)
    pinned_json = {k: v for k, v in as_json.items() if k in subset}
    try:
        variant = family.variant_from_json(stream(other_seed, "pinned"), pinned_json)
    except ExamgenError as err:
        # Only acceptable failure: the free values could not make a nice variant.
        assert "no acceptable variant" in str(err)
        assume(False)
    for name in pinned_json:
        assert getattr(variant.params, name) == getattr(source.params, name)
    assert_variant_correct(family, variant)
    if set(pinned_json) == set(family.param_names()):
        assert variant.solution == source.solution


small_ints = st.integers(min_value=-4, max_value=9)


@given(
    xs=st.lists(st.integers(-3, 7), min_size=3, max_size=5, unique=True),
    ys=st.lists(small_ints, min_size=5, max_size=5),
    w0=st.tuples(st.integers(-2, 2), st.integers(-2, 2)),
    eta=st.sampled_from(["1/2", "1/3", "1/4", "1/10", 1]),
)
def test_arbitrary_pinned_gd_params_are_solved_exactly_or_refused(xs, ys, w0, eta):
    """Fully pinned params are never resampled: either exact and within budget, or refused."""
    family = get_family("gradient-descent-step")
    raw = {"data": [[x, y] for x, y in zip(xs, ys, strict=False)], "w0": list(w0), "eta": eta}
    try:
        variant = family.variant_from_json(stream(0, "x"), raw)
    except ExamgenError as err:
        assert "no acceptable variant in 1 tries" in str(err)
        return
    assert family.params_to_json(variant.params) == {
        "data": raw["data"],
        "w0": list(w0),
        "eta": eta,
    }
    assert_variant_correct(family, variant)


@pytest.mark.parametrize("family_id", DESCENT_IDS)
@given(seed=seeds, pinned=st.booleans())
def test_no_acceptable_variant_hints_at_pins_only_when_something_is_pinned(
    family_id: str, seed: int, pinned: bool
) -> None:
    """The hint names what the instructor can change: their own pins; not the ranges of one of
    examgen's own families (it said "widen the family's ranges", which meant editing examgen).
    What the family decides once per variant (``draw_once``: zero initial weights or not) is no
    pin (it was taken for one, and the hint said "pin fewer or other values" with none)."""
    from generator.errors import NoAcceptableVariant

    base = type(get_family(family_id))

    class Rejecting(base):  # type: ignore[misc, valid-type]
        def early_rejection(self, params):
            return "rejected here"

    family = Rejecting()
    pins = family.parse_params({"eta": "1/2"}) if pinned else {}
    with pytest.raises(NoAcceptableVariant) as raised:
        family.generate(stream(seed, family_id), pins)
    message = str(raised.value)
    assert ("pin fewer or other values" in message) == pinned
    assert "widen the family's ranges" not in message
    assert ("please report it" in message) == (not pinned)


@pytest.mark.parametrize("family_id", DESCENT_IDS)
@given(seed=seeds)
def test_two_slip_mistakes_are_the_first_point_step_halved_and_reversed(family_id, seed):
    """The two-slip distractors put options off the line of the key's step: the first point's
    step halved lands midway between w0 and the first-point-only answer, and reversed lands on
    its mirror image about w0 (both read off that answer, not recomputed the family's way)."""
    family = get_family(family_id)
    variant = family.generate(stream(seed, "two-slips", family_id))
    wrong = family.misconceptions(variant.params, variant.solution)
    w0 = variant.solution.steps["w0"]
    if "first-point-only" not in wrong:  # the first point's gradient is 0: all three are w0
        assert _one_point_zero(family, variant.params, 0)
        assert not {"first-point-only-halved", "first-point-only-sign-flipped"} & set(wrong)
        return
    alone = wrong["first-point-only"]
    halved = tuple((a + b) / 2 for a, b in zip(w0, alone, strict=True))
    mirrored = tuple(2 * a - b for a, b in zip(w0, alone, strict=True))
    assert wrong["first-point-only-halved"] == halved
    assert wrong["first-point-only-sign-flipped"] == mirrored


def _fractions(vector):
    return tuple(Fraction(str(v)) for v in vector)


def _one_point_zero(family, params, index):
    """Whether the gradient at the ``index``-th point the step uses is 0 (its prediction right)."""
    x, y = _fractions(params.data[family.positions_used(params)[index] - 1])
    w = _fractions(params.w0)
    return w[0] + w[1] * x == y


def _named(wrong, name, value, w0):
    """``wrong[name]`` is ``value``, or absent when ``value`` is the initial weights."""
    assert wrong.get(name) == (None if value == w0 else value), name


@pytest.mark.parametrize("family_id", DESCENT_IDS)
@given(seed=seeds)
def test_the_slips_that_complicate_or_move_the_step_are_what_they_say(family_id, seed):
    """The mistakes that keep divisions the single slips drop (η twice, the factor 2 with the sum,
    the product of averages) and those off the key's line (the last point alone, the intercept
    left out of the predictions), each recomputed from the data in plain fractions."""
    family = get_family(family_id)
    variant = family.generate(stream(seed, "more-slips", family_id))
    params, steps = variant.params, variant.solution.steps
    wrong = {k: _fractions(v) for k, v in family.misconceptions(params, variant.solution).items()}
    w0, w1 = _fractions(params.w0), _fractions(steps["w1"])
    eta = Fraction(str(params.eta))
    used = [_fractions(params.data[p - 1]) for p in family.positions_used(params)]

    def gradient_at(w, x, y):
        r = w[0] + w[1] * x - y
        return (2 * r, 2 * r * x)

    def update(w, step):
        return tuple(a - b for a, b in zip(w, step, strict=True))

    step = tuple(a - b for a, b in zip(w0, w1, strict=True))
    _named(wrong, "eta-applied-twice", update(w0, tuple(eta * s for s in step)), w0)
    total = [sum(c) for c in zip(*(gradient_at(w0, x, y) for x, y in used), strict=True)]
    _named(wrong, "sum-not-average-halved", update(w0, tuple(eta * t / 2 for t in total)), w0)
    last = gradient_at(w0, *used[-1])
    _named(wrong, "last-point-only", update(w0, tuple(eta * g for g in last)), w0)
    _named(wrong, "last-point-only-halved", update(w0, tuple(eta * g / 2 for g in last)), w0)
    _named(wrong, "last-point-only-sign-flipped", update(w0, tuple(-eta * g for g in last)), w0)
    m = len(used)
    residuals = [w0[0] + w0[1] * x - y for x, y in used]
    mean_factor = sum(2 * r for r in residuals) / m
    mean_x = sum(x for x, _ in used) / m
    _named(
        wrong, "product-of-averages", update(w0, (eta * mean_factor, eta * mean_factor * mean_x)), w0
    )
    if w0[0] == 0:
        assert "prediction-without-w0" not in wrong
    else:
        without = [gradient_at((0, w0[1]), x, y) for x, y in used]
        mean = [sum(c) / m for c in zip(*without, strict=True)]
        _named(wrong, "prediction-without-w0", update(w0, tuple(eta * g for g in mean)), w0)


@pytest.mark.parametrize("family_id", DESCENT_IDS)
@given(seed=seeds, data=st.data())
@example(seed=0, data=None)
def test_no_named_mistake_is_the_initial_weights(family_id, seed, data):
    """A student who copies w0 took no step and made no named slip. The report's variant (its
    first point's prediction right: its gradient alone is 0) on 8cb6922 named "the first point
    alone", halved and reversed, for w0 itself, on the practice page and in grade's partial
    credit. Drawn variants, and variants pinned so that a used point's prediction is right."""
    family = get_family(family_id)
    if data is None:  # the review's variant
        pinned = {"data": [[1, 2], [2, 6], [4, 1]], "w0": [1, 1], "eta": "1/6"}
        if family_id == "sgd-minibatch-step":
            pinned["batch"] = [1, 3]
    else:
        drawn = family.generate(stream(seed, "given", family_id))
        pinned = drawn.key_params()
        used = family.positions_used(drawn.params)
        index = data.draw(st.sampled_from([0, -1]), label="which used point is fitted")
        position = used[index] - 1
        x = Fraction(str(drawn.params.data[position][0]))
        w = _fractions(drawn.params.w0)
        pinned["data"] = [list(p) for p in pinned["data"]]
        pinned["data"][position] = [pinned["data"][position][0], str(w[0] + w[1] * x)]
    try:
        variant = family.generate(stream(seed, "pinned", family_id), family.parse_params(pinned))
    except ExamgenError:  # a pinned variant the budget or a degenerate rule refuses
        assume(False)
    wrong = family.misconceptions(variant.params, variant.solution)
    assert variant.params.w0 not in wrong.values()
    zero_first = _one_point_zero(family, variant.params, 0)
    assert ("first-point-only" in wrong) != zero_first
    assert ("last-point-only" in wrong) != _one_point_zero(family, variant.params, -1)
