"""vanishing-gradient-chain: exact chain-rule answers, checked against plain floating point.

Invariant: for any chain (hypothesis draws activation, depth, input, weights and target), the exact
ReLU answer equals a finite-difference derivative of a float forward pass, and the exact sigmoid
bound equals the float product (1/4)^L·|x|·∏|w_i| and really bounds the true sigmoid gradient. The
solution's factors multiply to the answer, and accepted variants meet the budget.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from generator.errors import ExamgenError
from generator.families import get_family, registry
from generator.render import render_problem
from generator.seeding import stream

FAMILY = registry()["vanishing-gradient-chain"]
Params = FAMILY.params_type

nonzero = st.fractions(min_value=-4, max_value=4, max_denominator=4).filter(lambda f: f != 0)


def rational(f) -> sympy.Rational:
    return sympy.Rational(f.numerator, f.denominator)


@st.composite
def chains(draw):
    activation = draw(st.sampled_from(["relu", "sigmoid"]))
    layers = draw(st.integers(2, 5))
    x = rational(draw(nonzero))
    weights = tuple(rational(draw(nonzero)) for _ in range(layers))
    y = rational(draw(st.fractions(-5, 5, max_denominator=4))) if activation == "relu" else None
    return Params(activation, x, weights, y)


def relu_loss(w1: float, params) -> float:
    a = float(params.x)
    for i, w in enumerate(params.weights):
        a = max(0.0, (w1 if i == 0 else float(w)) * a)
    return (a - float(params.y)) ** 2


def sigmoid_output(w1: float, params) -> float:
    a = float(params.x)
    for i, w in enumerate(params.weights):
        a = 1 / (1 + math.exp(-(w1 if i == 0 else float(w)) * a))
    return a


def central_difference(f, w1: float, h: float = 1e-6) -> float:
    return (f(w1 + h) - f(w1 - h)) / (2 * h)


@given(params=chains())
@example(params=Params("relu", sympy.Integer(2), (sympy.Rational(1, 2), 3, 1), sympy.Integer(1)))
@example(params=Params("relu", sympy.Integer(1), (sympy.Integer(-1), 3, 1), sympy.Integer(1)))
def test_exact_answer_matches_a_float_recomputation(params):
    solution = FAMILY.solve(params)
    exact = float(solution.answer.value)
    w1 = float(params.weights[0])
    if params.activation == "relu":
        numeric = central_difference(lambda w: relu_loss(w, params), w1)
        assert math.isclose(exact, numeric, rel_tol=1e-6, abs_tol=1e-6)
    else:
        bound = 0.25 ** len(params.weights) * abs(float(params.x))
        for w in params.weights[1:]:
            bound *= abs(float(w))
        assert math.isclose(exact, bound, rel_tol=1e-12)
        true_gradient = central_difference(lambda w: sigmoid_output(w, params), w1)
        assert abs(true_gradient) <= exact * (1 + 1e-6) + 1e-12


@given(params=chains())
def test_factors_multiply_to_the_answer_one_per_chain_step(params):
    steps = FAMILY.solve(params).steps
    kinds = [f["kind"] for f in steps["factors"]]
    layers = len(params.weights)
    assert kinds.count("activation") == layers and kinds.count("weight") == layers - 1
    assert kinds[-1] == "input" and kinds.count("loss") == (params.activation == "relu")
    assert sympy.prod(f["value"] for f in steps["factors"]) == steps["answer"]


@given(seed=st.integers(0, 2**63 - 1))
def test_generated_variants_meet_budget_and_are_not_degenerate(seed):
    variant = FAMILY.generate(stream(seed, "chain"))
    params, steps = variant.params, variant.solution.steps
    values = FAMILY.budget_values(params, variant.solution)
    limit = FAMILY.RELU_BUDGET if params.activation == "relu" else FAMILY.BUDGET
    assert all(v.q <= limit.max_denominator and abs(v) <= limit.max_magnitude for v in values)
    assert variant.solution.answer.value != 0
    if params.activation == "relu":
        assert all(z > 0 for z in steps["z"]) and steps["h"] != params.y
    else:
        assert "y" not in variant.key_params()
    again = FAMILY.variant_from_json(stream(seed, "other"), variant.key_params())
    assert again.params == params


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
@given(seed=st.integers(0, 2**63 - 1))
def test_solution_shows_every_factor(fmt, seed):
    variant = FAMILY.generate(stream(seed, "chain"))
    text = render_problem(fmt, variant, points=2)
    layers = len(variant.params.weights)
    for layer in range(1, layers + 1):
        assert rf"\frac{{\partial a_{layer}}}{{\partial z_{layer}}}" in text
    for layer in range(2, layers + 1):
        assert rf"\frac{{\partial z_{layer}}}{{\partial a_{layer - 1}}}" in text
    assert r"\frac{\partial z_1}{\partial w_1}" in text


@pytest.mark.parametrize(
    "params, message",
    [
        ({"activation": "tanh"}, "params.activation"),
        ({"weights": [1]}, "params.weights"),
        ({"weights": [1, 0, 2]}, "params.weights[1] must be nonzero"),
        ({"x": 0}, "params.x must be nonzero"),
        ({"activation": "sigmoid", "y": 1}, "params.y"),
        ({"x": 0.5}, "float"),
    ],
)
def test_bad_pinned_params_are_one_clear_line(params, message):
    with pytest.raises(ExamgenError, match=message.replace("[", r"\[").replace("]", r"\]")):
        FAMILY.parse_params(params)


def test_a_pinned_dead_relu_is_rejected_with_its_reason():
    pinned = {"activation": "relu", "x": 1, "weights": [-1, 2, 1], "y": 1}
    with pytest.raises(ExamgenError, match="dead ReLU"):
        FAMILY.variant_from_json(stream(0, "x"), pinned)


@pytest.mark.parametrize("band", [None, "easy", "standard", "hard"])
def test_no_sigmoid_bound_is_the_answer_of_many_students(band):
    """Weights of ±1 to ±3 gave the sigmoid bound 9 to 30 values in all: on 8cb6922 one answer
    (3/32 at easy, 9/256 at hard) was the key of 26-29% of students, so a class shared answers
    and a student who wrote it blind was often right. With weights up to ±5, no bound is the
    key of more than 15% of the variants at any difficulty."""
    family = get_family("vanishing-gradient-chain")
    if band is not None:
        family = family.with_difficulty(family.WORK_BANDS[band])
    pinned = family.parse_params({"activation": "sigmoid"})
    answers = Counter(
        family.generate(stream(seed, "sigmoid-spread"), pinned).solution.answer.value
        for seed in range(1000)
    )
    ((_, most),) = answers.most_common(1)
    assert most <= 150 and len(answers) >= 15, answers.most_common(3)
