"""Beyond the reference: the chain rule through L one-unit layers, where gradients vanish.

Layer i takes a_{i-1} (with a_0 = x) to z_i = w_i·a_{i-1} and a_i = g(z_i); the output is
h = a_L. The derivative with respect to the first weight is a product with one factor per layer,
which is exactly why it vanishes. Two kinds of question, both with exact rational answers:

- ``relu``: the loss ℓ = (h − y)²; compute ∂ℓ/∂w₁ = 2(h − y)·g'(z_L)·w_L ⋯ w_2·g'(z_1)·x.
  Weights are halves and every pre-activation is positive: a dead ReLU would zero the whole
  product, which is guessable, so such variants are rejected.
- ``sigmoid``: σ has no rational values, so the student bounds |∂h/∂w₁| using σ' ≤ 1/4:
  (1/4)^L·|w_L|⋯|w_2|·|x|, the shrinking factor that names the problem.

Every factor is a step of the solution (``steps["factors"]``, from the output back to w₁), and the
answer is their product, from the same computation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from generator.errors import ExamgenError
from generator.exact import parse_rational
from generator.families.base import Answer, Budget, Family, Solution, mistake
from generator.recheck import as_float

R = sympy.Rational
ACTIVATIONS = ("relu", "sigmoid")
SIGMOID_SLOPE_BOUND = R(1, 4)


def _product(values: Any) -> sympy.Rational:
    result = sympy.Integer(1)
    for value in values:
        result *= value
    return sympy.Rational(result)


def _dead_relu(params: Any, solution: Solution) -> bool:
    return params.activation == "relu" and any(z <= 0 for z in solution.steps["z"])


def _output_on_target(params: Any, solution: Solution) -> bool:
    return params.activation == "relu" and solution.steps["h"] == params.y


class VanishingGradientChain(Family):
    ID = "vanishing-gradient-chain"
    TITLE = "The chain rule through L one-unit layers (ReLU exactly, sigmoid bound)"
    TAGS = ("vanishing gradients", "lecture-14", "neural networks")
    # (1/4)^L needs denominators up to 4^5; the ReLU variants, exact values a student multiplies
    # out by hand, meet the tighter ``RELU_BUDGET`` as well.
    BUDGET = Budget(max_denominator=1024, max_magnitude=100)
    RELU_BUDGET = Budget(max_denominator=16, max_magnitude=100)
    DEGENERATE = (
        ("a ReLU pre-activation is not positive (a dead ReLU zeroes the gradient)", _dead_relu),
        ("the output equals the target, so the gradient is zero", _output_on_target),
    )

    # Its distractors are the key times a factor of the chain (dropped, added or misjudged), so
    # 87% of its params have no set of three that leaves every test-wise strategy at chance:
    # as they came, the mirror pair found the key in 32% of variants and the longest option in
    # 36% (chance 25%); drawn again until one had, the variants kept were those whose key is
    # most often the largest option (ReLU, 68%) or the smallest (sigmoid, 75%). So it is asked
    # as a typed answer only, until it has mistakes on both sides of the key.
    CHOICE_FORM_WITHHELD = (
        "its distractors are the key times a factor of the chain, which lets a student who "
        "knows nothing single out the key more often than by guessing"
    )
    LAYERS = range(3, 6)
    #: Bands of ``work`` (the worked solution's operations), each within 1.5× from end to end.
    WORK_BANDS = {"easy": (3, 4), "standard": (5, 7), "hard": (8, 12)}
    X_VALUES = (-3, -2, -1, 1, 2, 3)
    #: ReLU weight magnitudes: halves keep every product a small-denominator rational.
    RELU_WEIGHTS = (R(1, 2), R(1), R(3, 2), R(2))
    SIGMOID_WEIGHTS = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)
    Y_VALUES = range(-3, 7)

    @dataclass(frozen=True)
    class Params:
        activation: str  # "relu" or "sigmoid"
        x: sympy.Rational  # the input a_0
        weights: tuple[sympy.Rational, ...]  # w_1, …, w_L
        y: sympy.Rational | None  # the squared loss's target (relu only)

    # --- parameters ---------------------------------------------------------------------------
    def parse_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        self.check_param_names(raw)
        pinned: dict[str, Any] = {}
        if "activation" in raw:
            if raw["activation"] not in ACTIVATIONS:
                raise ExamgenError(
                    f"family {self.ID}: params.activation must be one of "
                    f"{', '.join(ACTIVATIONS)}, got {raw['activation']!r}"
                )
            pinned["activation"] = raw["activation"]
        if "x" in raw:
            pinned["x"] = self._nonzero(raw["x"], "params.x")
        if "weights" in raw:
            weights = raw["weights"]
            sizes = self.LAYERS
            if not isinstance(weights, list) or not 2 <= len(weights) <= sizes.stop - 1:
                raise ExamgenError(
                    f"family {self.ID}: params.weights must be a list of 2–{sizes.stop - 1} "
                    f"numbers w_1, …, w_L, got {weights!r}"
                )
            pinned["weights"] = tuple(
                self._nonzero(w, f"params.weights[{i}]") for i, w in enumerate(weights)
            )
        if "y" in raw:
            if pinned.get("activation") != "relu":
                raise ExamgenError(
                    f"family {self.ID}: params.y is the target of the ReLU question; pin "
                    f'activation = "relu" with it'
                )
            pinned["y"] = parse_rational(raw["y"], "params.y")
        return pinned

    def _nonzero(self, value: Any, where: str) -> sympy.Rational:
        number = parse_rational(value, where)
        if number == 0:
            raise ExamgenError(f"family {self.ID}: {where} must be nonzero")
        return number

    def params_to_json(self, params: Any) -> dict[str, Any]:
        out = super().params_to_json(params)
        if out["y"] is None:
            del out["y"]
        return out

    # --- sampling -----------------------------------------------------------------------------
    def draw(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> Params:
        activation = pinned.get("activation") or ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
        layers = (
            len(pinned["weights"])
            if "weights" in pinned
            else int(rng.integers(self.LAYERS.start, self.LAYERS.stop))
        )
        x = pinned.get("x") or sympy.Integer(int(rng.choice(self.X_VALUES)))
        if activation == "sigmoid":
            weights = pinned.get("weights") or tuple(
                sympy.Integer(int(w)) for w in rng.choice(self.SIGMOID_WEIGHTS, size=layers)
            )
            return self.Params(activation, x, weights, None)
        # Every z_i > 0: w_1 takes x's sign, later weights are positive (their inputs are).
        weights = pinned.get("weights") or tuple(
            self.RELU_WEIGHTS[int(i)] * (sympy.sign(x) if layer == 0 else 1)
            for layer, i in enumerate(rng.integers(len(self.RELU_WEIGHTS), size=layers))
        )
        y = pinned.get("y")
        if y is None:
            y = sympy.Integer(int(rng.integers(self.Y_VALUES.start, self.Y_VALUES.stop)))
        return self.Params(activation, x, weights, y)

    # --- solving ------------------------------------------------------------------------------
    def solve(self, params: Params) -> Solution:
        if params.activation == "relu":
            return self._solve_relu(params)
        return self._solve_sigmoid(params)

    def _solve_relu(self, params: Params) -> Solution:
        z: list[sympy.Rational] = []
        a: list[sympy.Rational] = []
        previous = params.x
        for w in params.weights:
            z.append(sympy.Rational(w * previous))
            a.append(max(z[-1], sympy.Integer(0)))
            previous = a[-1]
        h = a[-1]
        slopes = [sympy.Integer(1 if zi > 0 else 0) for zi in z]
        factors = [{"kind": "loss", "layer": len(z), "value": sympy.Rational(2 * (h - params.y))}]
        factors += self._backward(params, slopes, params.weights)
        answer = _product(f["value"] for f in factors)
        steps = {
            "activation": "relu",
            "layers": len(params.weights),
            "inputs": [params.x, *a[:-1]],  # a_0, …, a_{L-1}
            "z": z,
            "a": a,
            "h": h,
            "factors": factors,
            "answer": answer,
        }
        return Solution(Answer("number", answer), steps)

    def _solve_sigmoid(self, params: Params) -> Solution:
        slopes = [SIGMOID_SLOPE_BOUND] * len(params.weights)
        factors = self._backward(params, slopes, tuple(abs(w) for w in params.weights))
        factors[-1] = factors[-1] | {"value": abs(params.x)}
        answer = _product(f["value"] for f in factors)
        steps = {
            "activation": "sigmoid",
            "layers": len(params.weights),
            "slope_bound": SIGMOID_SLOPE_BOUND,
            "slope_product": SIGMOID_SLOPE_BOUND ** len(params.weights),
            "factors": factors,
            "answer": answer,
        }
        return Solution(Answer("number", answer), steps)

    def _backward(
        self, params: Params, slopes: list[sympy.Rational], weights: tuple[sympy.Rational, ...]
    ) -> list[dict[str, Any]]:
        """The factors from a_L back to w_1: ∂a_i/∂z_i for each layer, ∂z_i/∂a_{i-1} = w_i
        between layers, and finally ∂z_1/∂w_1 = x."""
        factors: list[dict[str, Any]] = []
        for layer in range(len(weights), 0, -1):
            factors.append({"kind": "activation", "layer": layer, "value": slopes[layer - 1]})
            if layer > 1:
                factors.append(
                    {
                        "kind": "weight",
                        "layer": layer,
                        "below": layer - 1,
                        "value": weights[layer - 1],
                    }
                )
        factors.append({"kind": "input", "layer": 1, "value": params.x})
        return factors

    def work(self, params: Any, solution: Solution) -> int:
        """The multiplications and subtractions the worked solution performs: the forward pass
        (ReLU), 2(h − y), and multiplying the chain's factors (a factor ±1 is read off)."""
        steps = solution.steps
        ops = 0
        if params.activation == "relu":
            ops += sum(
                1
                for w, a in zip(params.weights, steps["inputs"], strict=True)
                if w not in (1, -1) and a not in (1, -1)
            )
            ops += 2  # h − y, then times 2
        factors = [f["value"] for f in steps["factors"] if f["value"] not in (1, -1)]
        return ops + max(len(factors) - 1, 0)

    def budget_values(self, params: Any, solution: Solution) -> list[sympy.Rational]:
        steps = solution.steps
        values = [params.x, *params.weights, *(f["value"] for f in steps["factors"])]
        if params.activation == "relu":
            values += [*steps["z"], *steps["a"], params.y]
        return [*values, steps["answer"]]

    def rejection(self, params: Any, solution: Solution) -> str | None:
        if params.activation == "relu":
            reason = self.RELU_BUDGET.violation(self.budget_values(params, solution))
            if reason:
                return f"{reason} (ReLU)"
        return super().rejection(params, solution)

    # --- named mistakes: one factor of the chain forgotten, added or misjudged -----------------
    @staticmethod
    def _without(solution: Solution, kind: str) -> sympy.Rational:
        return _product(f["value"] for f in solution.steps["factors"] if f["kind"] != kind)

    @mistake(
        "loss-factor-dropped",
        r"This is the derivative of the output $h$, not of the loss: the factor "
        r"$\partial \ell / \partial h = 2(h - y)$ is missing.",
    )
    def loss_factor_dropped(self, params: Any, solution: Solution) -> sympy.Rational | None:
        return self._without(solution, "loss") if params.activation == "relu" else None

    @mistake("input-dropped", r"This leaves out the last factor $\partial z_1 / \partial w_1 = x$.")
    def input_dropped(self, params: Any, solution: Solution) -> sympy.Rational | None:
        return self._without(solution, "input") if params.activation == "relu" else None

    @mistake(
        "first-weight-included",
        "This multiplies by $w_1$ as well, but $w_1$ is the parameter we differentiate with "
        "respect to, not a factor of the chain.",
    )
    def first_weight_included(self, params: Any, solution: Solution) -> sympy.Rational:
        first = abs(params.weights[0]) if params.activation == "sigmoid" else params.weights[0]
        return sympy.Rational(solution.steps["answer"] * first)

    @mistake(
        "sign-flipped-loss",
        r"This uses $2(y - h)$ instead of $2(h - y)$ for $\partial \ell / \partial h$, flipping "
        "the sign.",
    )
    def sign_flipped_loss(self, params: Any, solution: Solution) -> sympy.Rational | None:
        return -solution.steps["answer"] if params.activation == "relu" else None

    @mistake(
        "one-derivative-short",
        "This uses $L - 1$ factors of $1/4$, but every one of the $L$ sigmoid layers, the first "
        "included, contributes a derivative.",
    )
    def one_derivative_short(self, params: Any, solution: Solution) -> sympy.Rational | None:
        if params.activation != "sigmoid":
            return None
        return sympy.Rational(solution.steps["answer"] / SIGMOID_SLOPE_BOUND)

    @mistake(
        "weights-ignored",
        "This keeps the factors of $1/4$ but drops the weights $w_2, \\dots, w_L$ that the chain "
        "rule also multiplies.",
    )
    def weights_ignored(self, params: Any, solution: Solution) -> sympy.Rational | None:
        return self._without(solution, "weight") if params.activation == "sigmoid" else None

    @mistake(
        "sigmoid-slope-one",
        "This bounds each sigmoid derivative by $1$ instead of by $1/4$.",
    )
    def sigmoid_slope_one(self, params: Any, solution: Solution) -> sympy.Rational | None:
        return self._without(solution, "activation") if params.activation == "sigmoid" else None

    @mistake(
        "factor-two-dropped",
        r"This uses $h - y$ for $\partial \ell / \partial h$, leaving out the factor $2$ of "
        r"$2(h - y)$.",
    )
    def factor_two_dropped(self, params: Any, solution: Solution) -> sympy.Rational | None:
        if params.activation != "relu":
            return None
        return sympy.Rational(solution.steps["answer"] / 2)

    @mistake(
        "relu-weights-ignored",
        r"This leaves out the weights $w_2, \dots, w_L$: each $\partial z_i / \partial a_{i-1}$ "
        "is the weight $w_i$, a factor of the chain.",
    )
    def relu_weights_ignored(self, params: Any, solution: Solution) -> sympy.Rational | None:
        return self._without(solution, "weight") if params.activation == "relu" else None

    @mistake(
        "sigmoid-value-half",
        r"This bounds each sigmoid derivative by $1/2 = \sigma(0)$, the sigmoid's value at $0$, "
        r"instead of by $1/4 = \sigma'(0)$, its derivative's largest value.",
    )
    def sigmoid_value_half(self, params: Any, solution: Solution) -> sympy.Rational | None:
        if params.activation != "sigmoid":
            return None
        return sympy.Rational(solution.steps["answer"] * 2 ** len(params.weights))

    @mistake(
        "signs-kept",
        "This multiplies the weights and the input with their signs; a bound on an absolute value "
        "multiplies their absolute values.",
    )
    def signs_kept(self, params: Any, solution: Solution) -> sympy.Rational | None:
        if params.activation != "sigmoid":
            return None
        signed = _product([*params.weights[1:], params.x])
        return sympy.Rational(solution.steps["answer"] * sympy.sign(signed))

    @mistake(
        "sigmoid-input-dropped",
        r"This leaves out the last factor $|x|$, from $\partial z_1 / \partial w_1 = x$.",
    )
    def sigmoid_input_dropped(self, params: Any, solution: Solution) -> sympy.Rational | None:
        if params.activation != "sigmoid":
            return None
        return self._without(solution, "input")

    def recheck(self, params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
        return recheck_chain(params, answer)


# --- the independent re-check -------------------------------------------------------------------
def _chain_output(x: float, weights: np.ndarray, activation: Callable[[float], float]) -> float:
    a = x
    for w in weights:
        a = activation(w * a)
    return a


def recheck_chain(params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
    """ReLU: ∂ℓ/∂w₁ by a central finite difference of ℓ(w₁) = (h − y)², exact for the quadratic
    it is while every pre-activation stays positive (no chain-rule product at all). Sigmoid: the
    bound (1/4)^L·|w_L|⋯|w_2|·|x| in floats, and the true |∂h/∂w₁| (finite difference) below it."""
    x = as_float(params["x"])
    weights = np.array([as_float(w) for w in params["weights"]])
    if answer.get("kind") != "number":
        return f"answer should be a number, got {dict(answer)!r}"
    got = as_float(answer["value"])
    step = 1e-4

    def nudged(delta: float) -> np.ndarray:
        return np.concatenate([[weights[0] + delta], weights[1:]])

    if params["activation"] == "relu":
        y = as_float(params["y"])
        relu = lambda z: max(z, 0.0)  # noqa: E731
        z, a = [], x
        for w in weights:
            z.append(w * a)
            a = relu(z[-1])
        if min(z) <= 0:
            return "a ReLU pre-activation is not positive"
        if a == y:
            return "the output equals the target, so the gradient is zero"
        loss = [(_chain_output(x, nudged(d), relu) - y) ** 2 for d in (step, -step)]
        expected = (loss[0] - loss[1]) / (2 * step)
    else:
        sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
        expected = 0.25 ** len(weights) * float(np.prod(np.abs(weights[1:]))) * abs(x)
        outputs = [_chain_output(x, nudged(d), sigmoid) for d in (step, -step)]
        true_slope = abs(outputs[0] - outputs[1]) / (2 * step)
        if true_slope > expected * (1 + 1e-6):
            return f"|∂h/∂w1| = {true_slope:.6g} exceeds the stated bound {expected:.6g}"
    if not np.isclose(got, expected, rtol=1e-6, atol=1e-9):
        return f"answer {got:.6g} but the float recomputation gives {expected:.6g}"
    return None
