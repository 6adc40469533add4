"""Reference problem #157: one iteration of mini-batch stochastic gradient descent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from generator.errors import ExamgenError
from generator.families._descent import DescentFamily
from generator.families.base import mistake
from generator.linear_regression import descent_step, risk_gradient, scale, subtract


def _matches_full_batch(params: Any, solution: Any) -> bool:
    """SGD whose mini-batch gradient equals the full gradient would not test the mini-batch idea."""
    full = risk_gradient(params.data, range(1, len(params.data) + 1), params.w0)
    return full == tuple(solution.steps["gradient"])


class SgdMinibatchStep(DescentFamily):
    ID = "sgd-minibatch-step"
    TITLE = "One step of mini-batch SGD (squared loss, H(x) = w0 + w1 x)"
    TAGS = ("gradient descent", "SGD", "quiz-07", "lecture-14")
    DATA_SIZES = range(4, 7)
    BATCH_SIZES = range(2, 4)
    #: Bands of ``work`` (the worked solution's operations), each within 1.5× from end to end.
    WORK_BANDS = {"easy": (6, 9), "standard": (10, 15), "hard": (16, 24)}
    DEGENERATE = (
        *DescentFamily.DEGENERATE,
        ("mini-batch gradient equals the full-batch gradient", _matches_full_batch),
    )

    @dataclass(frozen=True)
    class Params:
        data: tuple[tuple[sympy.Rational, sympy.Rational], ...]
        w0: tuple[sympy.Rational, sympy.Rational]
        eta: sympy.Rational
        batch: tuple[int, ...]  # 1-based positions in data, ascending

    def parse_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        pinned = super().parse_params(raw)
        if "batch" in raw:
            pinned["batch"] = self._parse_batch(raw["batch"], pinned.get("data"))
        return pinned

    def _parse_batch(self, batch: Any, data: Sequence[Any] | None) -> tuple[int, ...]:
        sizes = self.BATCH_SIZES
        if (
            not isinstance(batch, list)
            or not sizes.start <= len(batch) < sizes.stop
            or not all(isinstance(p, int) and not isinstance(p, bool) for p in batch)
        ):
            raise ExamgenError(
                f"family {self.ID}: params.batch must be a list of {sizes.start}–{sizes.stop - 1} "
                f"1-based positions in the data set, got {batch!r}"
            )
        if len(set(batch)) != len(batch):
            raise ExamgenError(f"family {self.ID}: params.batch repeats a position: {batch!r}")
        n_max = len(data) if data is not None else self.DATA_SIZES.stop - 1
        out_of_range = [p for p in batch if not 1 <= p <= n_max]
        if out_of_range:
            raise ExamgenError(
                f"family {self.ID}: params.batch position {out_of_range[0]} is out of range; "
                f"positions run from 1 to {n_max}"
            )
        if data is not None and len(batch) >= len(data):
            raise ExamgenError(
                f"family {self.ID}: params.batch uses all {len(data)} points; a mini-batch must "
                "be smaller than the data set"
            )
        return tuple(sorted(batch))

    def draw(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> Params:
        batch = pinned.get("batch")
        data = pinned.get("data")
        if data is None:
            # A pinned batch needs a data set that holds its positions and at least one more.
            smallest = max(self.DATA_SIZES.start, *(batch or (0,)), len(batch or ()) + 1)
            data = self.draw_data(rng, range(smallest, self.DATA_SIZES.stop))
        if batch is None:
            m = int(rng.integers(self.BATCH_SIZES.start, min(self.BATCH_SIZES.stop, len(data))))
            picked = rng.choice(len(data), size=m, replace=False).tolist()
            batch = tuple(sorted(p + 1 for p in picked))
        w0 = pinned.get("w0") or self.draw_w0(rng, pinned)
        eta = pinned.get("eta") or self.draw_eta(rng)
        return self.Params(data, w0, eta, batch)

    def positions_used(self, params: Any) -> Sequence[int]:
        return params.batch

    @mistake(
        "full-batch",
        "This is what you get by averaging the gradient over every data point, as in gradient "
        "descent, instead of only over the mini-batch.",
    )
    def full_batch(self, params: Any, solution: Any) -> tuple[sympy.Rational, ...]:
        full = descent_step(params.data, range(1, len(params.data) + 1), params.w0, params.eta)
        return full.w1

    @mistake(
        "divided-by-n",
        "This is what you get by dividing the mini-batch's sum of gradients by $n$, the size of "
        "the whole data set, instead of by the mini-batch size.",
    )
    def divided_by_n(self, params: Any, solution: Any) -> tuple[sympy.Rational, ...]:
        steps = solution.steps
        average = scale(sympy.Rational(1, len(params.data)), steps["gradient_sum"])
        return subtract(steps["w0"], scale(steps["eta"], average))

    @mistake(
        "positions-from-zero",
        "This is what you get by counting the data points from 0: the mini-batch then holds the "
        "points one position after the ones it names.",
    )
    def positions_from_zero(self, params: Any, solution: Any) -> tuple[sympy.Rational, ...] | None:
        shifted = [p + 1 for p in params.batch]
        if max(shifted) > len(params.data):
            return None
        return descent_step(params.data, shifted, params.w0, params.eta).w1
