"""Reference problem #156: one iteration of full-batch gradient descent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from generator.families._descent import DescentFamily


class GradientDescentStep(DescentFamily):
    ID = "gradient-descent-step"
    TITLE = "One step of gradient descent (squared loss, H(x) = w0 + w1 x)"
    TAGS = ("gradient descent", "quiz-07", "lecture-14")
    DATA_SIZES = range(3, 6)
    #: Bands of ``work`` (the worked solution's operations), each within 1.5× from end to end.
    WORK_BANDS = {"easy": (8, 12), "standard": (14, 20), "hard": (22, 32)}

    @dataclass(frozen=True)
    class Params:
        data: tuple[tuple[sympy.Rational, sympy.Rational], ...]
        w0: tuple[sympy.Rational, sympy.Rational]
        eta: sympy.Rational

    def draw(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> Params:
        data = pinned.get("data") or self.draw_data(rng, self.DATA_SIZES, ordered=True)
        w0 = pinned.get("w0") or self.draw_w0(rng, pinned)
        eta = pinned.get("eta") or self.draw_eta(rng)
        return self.Params(data, w0, eta)
