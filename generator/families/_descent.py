"""What the two descent families share: parameters, validation, sampling ranges, the solution.

``gradient-descent-step`` uses every point; ``sgd-minibatch-step`` uses a mini-batch. Everything
else (the data set, the initial weights, the learning rate, the budget) is the same, so it lives
here once; each family module declares only its ranges and what makes it different.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import sympy

from generator.errors import ExamgenError
from generator.exact import integer, parse_rational, product
from generator.families.base import Answer, Family, Solution, mistake
from generator.linear_regression import (
    DescentStep,
    add,
    descent_step,
    point_gradients,
    scale,
    subtract,
)
from generator.recheck import TOLERANCE, as_float, disagrees, show

R = sympy.Rational
ZERO = (sympy.Integer(0), sympy.Integer(0))
#: ``draw_once``'s decision, passed to ``draw`` in ``pinned`` (not a param).
W0_IS_ZERO = "_w0_is_zero"


# The helpers below take each number as ``exact.rational`` does, inlined (a Rational as it is):
# ``work`` and the degenerate rules call them tens of times for every candidate.


def _one_point_step(steps: Mapping[str, Any], index: int) -> tuple[sympy.Rational, ...]:
    """η times the gradient at one point the step uses (``index`` 0: the first, -1: the last):
    the step of the mistakes that use that point alone."""
    return scale(steps["eta"], steps["points"][index]["gradient"])


def _is_zero(vector: Sequence[sympy.Rational]) -> bool:
    """Every component 0 (``_zero`` of each, inlined: checked for every candidate)."""
    return all((v if isinstance(v, R) else R(v)).p == 0 for v in vector)


def _zero(value: sympy.Rational | int) -> bool:
    """``value == 0`` on the numerator (sympy's ``==`` sympifies the 0 first)."""
    return (value if isinstance(value, R) else R(value)).p == 0


def _read_off(factor: sympy.Rational | int) -> bool:
    """A factor of 0 or ±1 (compared on numerator and denominator: sympy's ``==`` is slower)."""
    number = factor if isinstance(factor, R) else R(factor)
    return number.q == 1 and -1 <= number.p <= 1


def _mul(a: sympy.Rational | int, b: sympy.Rational | int) -> int:
    """1 for a multiplication a student works out, 0 for one read off (by 0 or ±1)."""
    return 0 if _read_off(a) or _read_off(b) else 1


def _add(a: sympy.Rational | int, b: sympy.Rational | int) -> int:
    """1 for an addition a student works out, 0 for adding 0."""
    return 0 if _zero(a) or _zero(b) else 1


def _sum_work(terms: Sequence[sympy.Rational | int]) -> int:
    """The additions summing ``terms`` left to right takes: ``_add`` of each term and the next."""
    nonzero = [(t if isinstance(t, R) else R(t)).p != 0 for t in terms]
    return [a and b for a, b in zip(nonzero, nonzero[1:], strict=False)].count(True)


def _shallow_dict(obj: Any) -> dict[str, Any]:
    """A dataclass's fields by name, in declared order, the values themselves (not deep-copied as
    ``dataclasses.asdict`` copies every immutable sympy number). Read from the instance's
    ``__dict__``, which for these plain dataclasses (no slots, no other attributes) holds exactly
    the fields in that order: one copy, where reading each field costs more than the arithmetic."""
    return dict(vars(obj))


class DescentFamily(Family):
    """One iteration of (mini-batch) gradient descent on H(x) = w0 + w1·x with squared loss."""

    #: How many points the data set has.
    DATA_SIZES: ClassVar[range]
    #: Integer x values to draw from (distinct within a data set) and integer y values.
    X_VALUES: ClassVar[range] = range(0, 7)
    Y_VALUES: ClassVar[range] = range(-3, 10)
    #: Initial weights: zero in this share of variants (as in the reference), else small integers
    #: (not both zero).
    W_VALUES: ClassVar[range] = range(-2, 3)
    ZERO_W0_SHARE: ClassVar[float] = 0.5
    #: Learning rates: simple unit fractions keep η·∇R a small-denominator rational.
    ETAS: ClassVar[tuple[sympy.Rational, ...]] = tuple(R(1, d) for d in (2, 3, 4, 5, 6, 10))
    #: About 11% (full batch) and 57% (mini-batch) of params have a fair plan of distractors
    #: (``generator.choices.has_fair_plan``) since the plan also evens out the slips' multiples
    #: by the stem's numbers (62% and 83% before); without resampling the others, the mirror
    #: pair found the key in 31% of the choice variants, the stem's multiples in 62%.
    RESAMPLE_UNFAIR_CHOICES = True

    DEGENERATE = (
        ("zero gradient", lambda params, solution: _is_zero(solution.steps["gradient"])),
        (
            "update leaves a weight unchanged",
            lambda params, solution: any(_zero(s) for s in solution.steps["step"]),
        ),
    )

    # --- parameters ---------------------------------------------------------------------------
    def parse_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        self.check_param_names(raw)
        pinned: dict[str, Any] = {}
        if "data" in raw:
            pinned["data"] = self._parse_data(raw["data"])
        if "w0" in raw:
            w0 = raw["w0"]
            if not isinstance(w0, list) or len(w0) != 2:
                raise ExamgenError(
                    f"family {self.ID}: params.w0 must be a list of 2 numbers (w0, w1), got {w0!r}"
                )
            pinned["w0"] = tuple(parse_rational(v, f"params.w0[{i}]") for i, v in enumerate(w0))
        if "eta" in raw:
            eta = parse_rational(raw["eta"], "params.eta")
            if eta <= 0:
                raise ExamgenError(f"family {self.ID}: params.eta must be positive, got {eta}")
            pinned["eta"] = eta
        return pinned

    def _parse_data(self, data: Any) -> tuple[tuple[sympy.Rational, sympy.Rational], ...]:
        sizes = self.DATA_SIZES
        if not isinstance(data, list) or not sizes.start <= len(data) < sizes.stop:
            raise ExamgenError(
                f"family {self.ID}: params.data must be a list of {sizes.start}–{sizes.stop - 1} "
                f"[x, y] pairs, got {data!r}"
            )
        points = []
        for i, point in enumerate(data):
            if not isinstance(point, list) or len(point) != 2:
                raise ExamgenError(
                    f"family {self.ID}: params.data[{i}] must be an [x, y] pair, got {point!r}"
                )
            points.append(
                (
                    parse_rational(point[0], f"params.data[{i}][0]"),
                    parse_rational(point[1], f"params.data[{i}][1]"),
                )
            )
        xs = [x for x, _ in points]
        if len(set(xs)) != len(xs):
            repeated = next(x for x in xs if xs.count(x) > 1)
            raise ExamgenError(
                f"family {self.ID}: params.data repeats x = {repeated}; every x must be distinct"
            )
        return tuple(points)

    def param_descriptions(self) -> dict[str, str]:
        """What ``examgen show`` prints for each parameter (pinned values are checked by
        ``parse_params``; drawing uses the ranges below)."""
        sizes, xs, ys = self.DATA_SIZES, self.X_VALUES, self.Y_VALUES
        known = {
            "data": f"a list of {sizes.start}–{sizes.stop - 1} [x, y] pairs of exact numbers, "
            f"x distinct (drawn: integers x {xs.start}…{xs.stop - 1}, y {ys.start}…{ys.stop - 1})",
            "w0": "[w0, w1], two exact numbers (drawn: zero half the time, else integers "
            f"{self.W_VALUES.start}…{self.W_VALUES.stop - 1})",
            "eta": "a positive exact number (drawn from "
            + ", ".join(str(e) for e in self.ETAS)
            + ")",
        }
        batches = getattr(self, "BATCH_SIZES", None)
        if batches is not None:
            known["batch"] = (
                f"a list of {batches.start}–{batches.stop - 1} distinct 1-based positions in "
                "data, fewer than its points"
            )
        names = self.param_names()
        return super().param_descriptions() | {k: v for k, v in known.items() if k in names}

    # --- sampling -----------------------------------------------------------------------------
    def draw_data(
        self, rng: np.random.Generator, sizes: range, *, ordered: bool = False
    ) -> tuple[tuple[sympy.Rational, sympy.Rational], ...]:
        """A data set of integer points with distinct x; ``ordered``: sorted by x (then y)."""
        n = int(rng.integers(sizes.start, sizes.stop))
        # Positions in X_VALUES, then the values at them: numpy's choice draws the same positions
        # from a count as from the values themselves (it then takes the values at them), and
        # a count spares turning X_VALUES into an array on every try.
        picked = rng.choice(len(self.X_VALUES), size=n, replace=False).tolist()
        ys = rng.integers(self.Y_VALUES.start, self.Y_VALUES.stop, size=n).tolist()
        points = [(self.X_VALUES[i], y) for i, y in zip(picked, ys, strict=True)]  # Python ints
        if ordered:
            points.sort()  # on the ints, before they become sympy numbers (slower to compare)
        return tuple((integer(x), integer(y)) for x, y in points)

    def draw_once(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> dict[str, Any]:
        # Zero or not is decided once per variant: drawn per try, the nonzero weights' larger
        # values were rejected more often and only 35% of accepted variants had them. Under a
        # difficulty band the band decides (a band may admit only one of the two).
        if "w0" in pinned or self.work_band is not None:
            return {}
        return {W0_IS_ZERO: bool(rng.random() < self.ZERO_W0_SHARE)}

    def draw_w0(
        self, rng: np.random.Generator, pinned: Mapping[str, Any] | None = None
    ) -> tuple[sympy.Rational, sympy.Rational]:
        is_zero = (pinned or {}).get(W0_IS_ZERO)
        if is_zero is None:
            is_zero = bool(rng.random() < self.ZERO_W0_SHARE)
        if is_zero:
            return ZERO
        low, high = self.W_VALUES.start, self.W_VALUES.stop
        while True:  # nonzero means not (0, 0): 24 of the 25 pairs, so this ends at once
            w0 = tuple(integer(v) for v in rng.integers(low, high, size=2).tolist())
            if not _is_zero(w0):
                return w0

    def draw_eta(self, rng: np.random.Generator) -> sympy.Rational:
        return self.ETAS[int(rng.integers(len(self.ETAS)))]

    # --- solving ------------------------------------------------------------------------------
    def positions_used(self, params: Any) -> Sequence[int]:
        """The 1-based positions whose gradients are averaged."""
        return range(1, len(params.data) + 1)

    def solve_step(self, params: Any) -> DescentStep:
        return descent_step(params.data, self.positions_used(params), params.w0, params.eta)

    def solve(self, params: Any) -> Solution:
        step = self.solve_step(params)
        # The PointGradient dataclasses become dicts; templates read them by name. (Not
        # dataclasses.asdict: it deep-copies every immutable sympy number, most of solve's time.)
        steps = _shallow_dict(step)
        steps["points"] = tuple([vars(p).copy() for p in step.points])  # as _shallow_dict; in place
        steps["w0_is_zero"] = _is_zero(step.w0)
        return Solution(Answer("vector", step.w1), steps)

    # --- named mistakes, each carried through to a final answer -------------------------------
    @mistake(
        "sum-not-average",
        "This is what you get by summing the per-point gradients without dividing by how many "
        "points there are, so the average is never taken.",
    )
    def sum_not_average(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        steps = solution.steps
        return subtract(steps["w0"], scale(steps["eta"], steps["gradient_sum"]))

    @mistake(
        "sign-flipped",
        r"This is what you get by adding $\eta$ times the gradient instead of subtracting it, "
        "which moves uphill.",
    )
    def sign_flipped(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        return add(solution.steps["w0"], solution.steps["step"])

    @mistake(
        "eta-not-applied",
        "This is what you get by subtracting the gradient itself, without multiplying it by the "
        r"learning rate $\eta$.",
    )
    def eta_not_applied(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        return subtract(solution.steps["w0"], solution.steps["gradient"])

    @mistake(
        "stale-weights",
        r"This is what you get by computing the predictions with $\vec w = \vec 0$ instead of the "
        "given initial weights.",
    )
    def stale_weights(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...] | None:
        steps = solution.steps
        if steps["w0_is_zero"]:
            return None
        return self._step_from_predictions_at(params, steps, ZERO)

    @mistake(
        "eta-applied-twice",
        r"This is what you get by multiplying by the learning rate $\eta$ twice, once in the "
        r"gradient and again in the update: the step is $\eta^2 \nabla R$.",
    )
    def eta_applied_twice(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        steps = solution.steps
        return subtract(steps["w0"], scale(steps["eta"], steps["step"]))

    @mistake(
        "factor-two-dropped",
        r"This is what you get by leaving out the factor $2$ of the squared loss's gradient "
        r"$2(\operatorname{Aug}(\vec x) \cdot \vec w - y) \operatorname{Aug}(\vec x)$, which "
        "halves the step.",
    )
    def factor_two_dropped(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        steps = solution.steps
        return subtract(steps["w0"], scale(R(1, 2), steps["step"]))

    @mistake(
        "one-left-out-of-aug",
        r"This is what you get by leaving the $1$ out of $\operatorname{Aug}(\vec x) = (1, x)$: "
        r"the predictions miss $w_0$ and the gradient's first component is $0$, so $w_0$ never "
        "moves.",
    )
    def one_left_out_of_aug(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        steps = solution.steps
        w0, w1 = steps["w0"]
        slope = sum(
            (2 * (w1 * p["x"] - p["y"]) * p["x"] for p in steps["points"]), sympy.Integer(0)
        )
        return (w0, sympy.Rational(w1 - steps["eta"] * slope / steps["count"]))

    @mistake(
        "aug-not-multiplied",
        r"This is what you get by multiplying $2(\operatorname{Aug}(\vec x) \cdot \vec w - y)$ "
        r"by $(1, 1)$ instead of by $\operatorname{Aug}(\vec x) = (1, x)$, so $w_1$ gets the "
        "same step as $w_0$.",
    )
    def aug_not_multiplied(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        steps = solution.steps  # the gradient's first component: the factors' average
        return subtract(steps["w0"], scale(steps["eta"] * steps["gradient"][0], (1, 1)))

    @mistake(
        "first-point-only",
        "This is what you get by using the gradient at the first point alone instead of the "
        "average over every point the step uses.",
    )
    def first_point_only(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        return subtract(solution.steps["w0"], _one_point_step(solution.steps, 0))

    # Two slips at once, off the line of the key's step: the single slips above mostly scale
    # that step (halve it, reverse it, multiply it by 1/η or n), so the options on one line
    # through w0 gave the key away; these put options on another line through w0.
    @mistake(
        "first-point-only-halved",
        "This is what you get by using the gradient at the first point alone and leaving out the "
        "factor $2$ of the squared loss's gradient: two slips at once.",
    )
    def first_point_only_halved(
        self, params: Any, solution: Solution
    ) -> tuple[sympy.Rational, ...]:
        return subtract(solution.steps["w0"], scale(R(1, 2), _one_point_step(solution.steps, 0)))

    @mistake(
        "first-point-only-sign-flipped",
        r"This is what you get by using the gradient at the first point alone and adding $\eta$ "
        "times it instead of subtracting it: two slips at once.",
    )
    def first_point_only_sign_flipped(
        self, params: Any, solution: Solution
    ) -> tuple[sympy.Rational, ...]:
        return add(solution.steps["w0"], _one_point_step(solution.steps, 0))

    @mistake(
        "last-point-only",
        "This is what you get by using the gradient at the last point alone instead of the "
        "average over every point the step uses.",
    )
    def last_point_only(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        return subtract(solution.steps["w0"], _one_point_step(solution.steps, -1))

    @mistake(
        "last-point-only-halved",
        "This is what you get by using the gradient at the last point alone and leaving out the "
        "factor $2$ of the squared loss's gradient: two slips at once.",
    )
    def last_point_only_halved(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        return subtract(solution.steps["w0"], scale(R(1, 2), _one_point_step(solution.steps, -1)))

    @mistake(
        "last-point-only-sign-flipped",
        r"This is what you get by using the gradient at the last point alone and adding $\eta$ "
        "times it instead of subtracting it: two slips at once.",
    )
    def last_point_only_sign_flipped(
        self, params: Any, solution: Solution
    ) -> tuple[sympy.Rational, ...]:
        return add(solution.steps["w0"], _one_point_step(solution.steps, -1))

    @mistake(
        "sum-not-average-halved",
        "This is what you get by summing the per-point gradients without dividing by how many "
        "points there are and leaving out the factor $2$ of the squared loss's gradient: two "
        "slips at once.",
    )
    def sum_not_average_halved(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        steps = solution.steps
        return subtract(steps["w0"], scale(steps["eta"] / 2, steps["gradient_sum"]))

    @mistake(
        "product-of-averages",
        r"This is what you get by averaging the factors "
        r"$2(\operatorname{Aug}(x) \cdot \vec w - y)$ and the $x$ values separately and "
        r"multiplying the two averages for $w_1$'s component: the average of products is not the "
        "product of averages.",
    )
    def product_of_averages(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...]:
        steps = solution.steps
        mean_factor = steps["gradient"][0]  # the gradient's first component: the factors' average
        mean_x = sum((p["x"] for p in steps["points"]), sympy.Integer(0)) / steps["count"]
        gradient = (mean_factor, sympy.Rational(mean_factor * mean_x))
        return subtract(steps["w0"], scale(steps["eta"], gradient))

    @mistake(
        "prediction-without-w0",
        r"This is what you get by predicting $w_1 x$ instead of $w_0 + w_1 x$: the intercept "
        "is left out of every prediction (not of the gradient).",
    )
    def prediction_without_w0(
        self, params: Any, solution: Solution
    ) -> tuple[sympy.Rational, ...] | None:
        steps = solution.steps
        if _zero(steps["w0"][0]):
            return None
        return self._step_from_predictions_at(params, steps, (sympy.Integer(0), steps["w0"][1]))

    @mistake(
        "step-without-w0",
        r"This is $-\eta \nabla R(\vec w^{(0)})$ alone: the update adds that step to the "
        r"current weights $\vec w^{(0)}$.",
    )
    def step_without_w0(self, params: Any, solution: Solution) -> tuple[sympy.Rational, ...] | None:
        steps = solution.steps
        return None if steps["w0_is_zero"] else scale(-1, steps["step"])

    def recheck(self, params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
        return recheck_descent(params, answer)

    def work(self, params: Any, solution: Solution) -> int:
        """The arithmetic operations the worked solution performs, step by step as it shows
        them; a multiplication by 0 or ±1 or an addition of 0 is read off, not counted."""
        steps = solution.steps
        w0, points = steps["w0"], steps["points"]
        # Whether a number is read off (0 or ±1) is decided once for each: w1, each x, η and
        # 1/count serve in several products. ``_mul(a, b)`` is ``not (a read off or b read off)``.
        w1_read_off = _read_off(w0[1])
        ops = 0
        for point in points:
            x = point["x"]
            x_read_off = _read_off(x)
            if not steps["w0_is_zero"]:  # Aug(x)·w = w0 + w1·x, then minus y
                ops += not (w1_read_off or x_read_off)
                ops += _add(w0[0], product(w0[1], x)) + _add(point["prediction"], point["y"])
            ops += not _read_off(point["residual"])  # times 2, which is never read off
            ops += not (_read_off(point["factor"]) or x_read_off)
        share_read_off = _read_off(R(1, steps["count"]))
        eta_read_off = _read_off(steps["eta"])
        for component in range(2):  # the sum, the average, η times it, the update
            ops += _sum_work([p["gradient"][component] for p in points])
            ops += not (share_read_off or _read_off(steps["gradient_sum"][component]))
            ops += not (eta_read_off or _read_off(steps["gradient"][component]))
            ops += _add(w0[component], steps["step"][component])
        return ops

    def _step_from_predictions_at(
        self, params: Any, steps: Mapping[str, Any], w: tuple[sympy.Rational, ...]
    ) -> tuple[sympy.Rational, ...]:
        """The update from w0 with the gradient's predictions made at other weights ``w``."""
        at = descent_step(params.data, self.positions_used(params), w, steps["eta"])
        return subtract(steps["w0"], at.step)

    def gives_itself_away(self, params: Any, value: Any) -> bool:
        """An update that leaves a weight as it was: ``DEGENERATE`` rejects every key that does
        (the first point alone at x = 0 leaves w1, the 1 left out of Aug(x) leaves w0)."""
        return any(_zero(v - w) for v, w in zip(value, params.w0, strict=True))

    def given_values(self, params: Any) -> tuple[Any, ...]:
        return (params.w0,)

    def mirror_center(self, params: Any) -> tuple[sympy.Rational, ...]:
        """A sign slip reflects the update about the initial weights."""
        return params.w0

    def stem_factors(self, params: Any) -> tuple[Any, ...]:
        """The learning rate, the points the step averages over, and all the data's points."""
        return (params.eta, len(self.positions_used(params)), len(params.data))

    def early_rejection(self, params: Any) -> str | None:
        """The budget's verdict on the points' values alone, when it rejects them: they come
        first in ``budget_values``, so the first value out of bounds, and the reason, are the
        ones ``rejection`` finds (``tests/test_remembered.py`` compares them)."""
        budget = self.BUDGET
        if (
            budget is None
            or type(self).budget_values is not DescentFamily.budget_values
            or type(self).rejection is not Family.rejection
        ):
            return None
        values: list[sympy.Rational] = []
        for point in point_gradients(params.data, self.positions_used(params), params.w0):
            values += [point.prediction, point.residual, point.factor, *point.gradient]
        return budget.violation(values)

    def budget_values(self, params: Any, solution: Solution) -> list[sympy.Rational]:
        steps = solution.steps
        values: list[sympy.Rational] = []
        for point in steps["points"]:
            values += [point["prediction"], point["residual"], point["factor"], *point["gradient"]]
        for name in ("gradient_sum", "gradient", "step", "w1"):
            values += steps[name]
        return values


# --- the independent re-check -------------------------------------------------------------------
def risk_gradient(data: np.ndarray, rows: np.ndarray, w: np.ndarray) -> np.ndarray:
    """∇R(w) = (2/m)·Xᵀ(Xw − y) over the rows used, in matrix form (the family sums per point)."""
    x = np.column_stack([np.ones(len(rows)), data[rows, 0]])
    y = data[rows, 1]
    return 2.0 / len(rows) * x.T @ (x @ w - y)


def recheck_descent(params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
    """w1 = w0 − η∇R(w0) in floats and numpy's matrix form, from key.json alone; also the
    degenerate rules: the gradient is not zero, the update changes both weights, and a mini-batch
    gradient differs from the full-batch one."""
    data = np.array([[as_float(x), as_float(y)] for x, y in params["data"]])
    w0 = np.array([as_float(v) for v in params["w0"]])
    eta = as_float(params["eta"])
    everything = np.arange(len(data))
    batch = params.get("batch")
    rows = np.array([p - 1 for p in batch]) if batch is not None else everything
    gradient = risk_gradient(data, rows, w0)
    expected = w0 - eta * gradient
    if answer.get("kind") != "vector" or len(answer.get("value", ())) != 2:
        return f"answer should be a 2-vector, got {dict(answer)!r}"
    got = np.array([as_float(v) for v in answer["value"]])
    if disagrees(got, expected):
        return f"answer {show(got)} but w0 − η∇R(w0) = {show(expected)}"
    if np.all(np.abs(gradient) <= TOLERANCE):
        return "the gradient is zero, so the update does nothing"
    if np.any(np.abs(eta * gradient) <= TOLERANCE):
        return "the update leaves a weight unchanged"
    if batch is not None:
        if len(set(batch)) != len(batch) or len(batch) >= len(data):
            return f"batch {list(batch)} is not a proper subset of the {len(data)} points"
        if not disagrees(gradient, risk_gradient(data, everything, w0)):
            return "the mini-batch gradient equals the full-batch gradient"
    return None
