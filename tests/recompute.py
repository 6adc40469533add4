"""An independent float recomputation of the descent families' answers, with numpy.

It shares no code with ``generator.linear_regression``: it reads the params as the problem text
states them and redoes the lecture's formula in floating point, so an error in the exact code (or
in how the params are passed to it) shows up as a mismatch.
"""

from __future__ import annotations

import numpy as np


def descent_update(data, w0, eta, positions=None) -> np.ndarray:
    """w − η · mean over the points used of 2(Aug(x)·w − y)·Aug(x), in floats."""
    rows = np.array([[float(x), float(y)] for x, y in data])
    if positions is not None:
        rows = rows[[p - 1 for p in positions]]
    features = np.column_stack([np.ones(len(rows)), rows[:, 0]])
    w = np.array([float(v) for v in w0])
    residuals = features @ w - rows[:, 1]
    gradient = (2 * residuals[:, None] * features).mean(axis=0)
    return w - float(eta) * gradient
