"""Squared-loss gradients for H(x) = w0 + w1·x, in exact arithmetic.

These are the formulas of the lecture: the gradient of the squared loss at one point is
2(Aug(x)·w − y)·Aug(x), and the gradient of the risk is the average of those over the points used
(every point for gradient descent, the mini-batch for SGD). Each intermediate quantity is kept so a
worked solution can show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import sympy

from generator.exact import rational

Vector = tuple[sympy.Rational, ...]
TWO = sympy.Integer(2)


def augment(x: sympy.Rational) -> Vector:
    """Aug(x) = (1, x): the feature vector that turns w0 into an intercept."""
    return (sympy.Integer(1), rational(x))


def dot(u: Sequence[sympy.Rational], v: Sequence[sympy.Rational]) -> sympy.Rational:
    return rational(sum((a * b for a, b in zip(u, v, strict=True)), sympy.Integer(0)))


def scale(c: sympy.Rational, v: Sequence[sympy.Rational]) -> Vector:
    return tuple(rational(c * a) for a in v)


def add(u: Sequence[sympy.Rational], v: Sequence[sympy.Rational]) -> Vector:
    return tuple(rational(a + b) for a, b in zip(u, v, strict=True))


def subtract(u: Sequence[sympy.Rational], v: Sequence[sympy.Rational]) -> Vector:
    return tuple(rational(a - b) for a, b in zip(u, v, strict=True))


@dataclass(frozen=True)
class PointGradient:
    """The squared-loss gradient at one data point, with every factor a solution shows."""

    position: int  # 1-based, as the problem text numbers the data set
    x: sympy.Rational
    y: sympy.Rational
    aug: Vector
    prediction: sympy.Rational  # Aug(x)·w
    residual: sympy.Rational  # Aug(x)·w − y
    factor: sympy.Rational  # 2(Aug(x)·w − y)
    gradient: Vector


#: Point gradients remembered: a mini-batch step's points recur in the full-batch step its
#: family compares it with, and a multiple-choice form solves each candidate twice.
REMEMBERED_POINTS = 256


@lru_cache(maxsize=REMEMBERED_POINTS, typed=True)
def squared_loss_gradient(
    position: int, x: sympy.Rational, y: sympy.Rational, w: Vector
) -> PointGradient:
    aug = augment(x)
    prediction = dot(aug, w)
    residual = rational(prediction - y)
    factor = TWO * residual  # an Integer times a Rational: sympy's quick path, not 2's sympify
    return PointGradient(position, x, y, aug, prediction, residual, factor, scale(factor, aug))


@dataclass(frozen=True)
class DescentStep:
    """One iteration w ← w − η·∇R(w), where ∇R is averaged over ``points``."""

    w0: Vector
    eta: sympy.Rational
    points: tuple[PointGradient, ...]
    gradient_sum: Vector
    count: int
    gradient: Vector  # the average of the per-point gradients
    step: Vector  # η·∇R
    w1: Vector


def descent_step(
    data: Sequence[tuple[sympy.Rational, sympy.Rational]],
    positions: Sequence[int],
    w0: Sequence[sympy.Rational],
    eta: sympy.Rational,
) -> DescentStep:
    """One (mini-batch) gradient step using the 1-based ``positions`` of ``data``."""
    w0 = tuple(w0)
    points = tuple(squared_loss_gradient(p, *data[p - 1], w0) for p in positions)
    total: Vector = (sympy.Integer(0), sympy.Integer(0))
    for point in points:
        total = add(total, point.gradient)
    gradient = scale(sympy.Rational(1, len(points)), total)
    step = scale(eta, gradient)
    return DescentStep(w0, eta, points, total, len(points), gradient, step, subtract(w0, step))
