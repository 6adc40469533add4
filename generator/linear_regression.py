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

from generator.exact import difference, integer, product, quotient, rational

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


#: Gradient terms remembered, by point and weights: the descent families draw x from 0…6, y from
#: −3…9 and w from 25 pairs, 2,275 combinations in all, so nearly every point of a build is a
#: repeat (a mini-batch step's points recur in the full-batch step its family compares it with,
#: and a multiple-choice form solves each candidate twice).
REMEMBERED_POINTS = 4096
#: Point gradients remembered with their position too: the same point recurs at a few positions
#: (a 1,000-student quiz build meets about 8,000 of them), and a remembered one is returned
#: whole, without building it again from its remembered terms.
REMEMBERED_POSITIONED_POINTS = 16384


def squared_loss_gradient(
    position: int, x: sympy.Rational, y: sympy.Rational, w: Vector
) -> PointGradient:
    x, y, (a, b) = rational(x), rational(y), (rational(v) for v in w)
    return _point(position, x.p, x.q, y.p, y.q, a.p, a.q, b.p, b.q)


@lru_cache(maxsize=REMEMBERED_POSITIONED_POINTS)
def _point(
    position: int, xp: int, xq: int, yp: int, yq: int, ap: int, aq: int, bp: int, bq: int
) -> PointGradient:
    """The point (x, y) = (xp/xq, yp/yq) at ``position`` with weights w = (ap/aq, bp/bq)."""
    return PointGradient(position, *_terms(xp, xq, yp, yq, ap, aq, bp, bq))


@lru_cache(maxsize=REMEMBERED_POINTS)
def _terms(
    xp: int, xq: int, yp: int, yq: int, ap: int, aq: int, bp: int, bq: int
) -> tuple[
    sympy.Rational, sympy.Rational, Vector, sympy.Rational, sympy.Rational, sympy.Rational, Vector
]:
    """x, y, Aug(x), Aug(x)·w, the residual, its factor 2(Aug(x)·w − y) and the gradient, for
    the point and weights given as numerators and denominators, remembered by those Python ints:
    they hash in C, where a sympy number's hash is a Python call (four per point, tens of
    thousands of points per build). sympy keeps a Rational in lowest terms with a positive
    denominator, so equal values give equal keys, and the numbers rebuilt from them are the
    values given, of the same sympy type (an Integer when the denominator is 1)."""
    x, y = sympy.Rational(xp, xq), sympy.Rational(yp, yq)
    w = (sympy.Rational(ap, aq), sympy.Rational(bp, bq))
    aug = augment(x)
    prediction = dot(aug, w)
    residual = rational(prediction - y)
    factor = TWO * residual  # an Integer times a Rational: sympy's quick path, not 2's sympify
    return x, y, aug, prediction, residual, factor, scale(factor, aug)


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


def point_gradients(
    data: Sequence[tuple[sympy.Rational, sympy.Rational]],
    positions: Sequence[int],
    w: Sequence[sympy.Rational],
) -> tuple[PointGradient, ...]:
    """The squared-loss gradient at each of the 1-based ``positions`` of ``data`` (sympy
    Rationals, as every exact value is): ``squared_loss_gradient`` of each, inlined."""
    a, b = (rational(v) for v in w)
    points = []
    for p in positions:
        x, y = data[p - 1]
        points.append(_point(p, x.p, x.q, y.p, y.q, a.p, a.q, b.p, b.q))
    return tuple(points)


def gradient_sum(points: Sequence[PointGradient]) -> Vector:
    """Σ of the points' gradients, component by component (Aug(x) has two: 1 and x).

    Integer gradients (every drawn data set's, with integer weights) are summed as Python ints
    and the totals made sympy Integers once: sympy adds two Integers as ``Integer(p + q)``, so
    the totals are the Integers it would reach, without an Integer built per term. Any other
    gradient is summed by sympy itself.
    """
    first = second = 0
    for point in points:
        a, b = point.gradient
        if a.q != 1 or b.q != 1:
            return _rational_sum(points)
        first += a.p
        second += b.p
    return (integer(first), integer(second))


def _rational_sum(points: Sequence[PointGradient]) -> Vector:
    total: Vector = (sympy.Integer(0), sympy.Integer(0))
    for point in points:
        total = add(total, point.gradient)
    return total


def risk_gradient(
    data: Sequence[tuple[sympy.Rational, sympy.Rational]],
    positions: Sequence[int],
    w: Sequence[sympy.Rational],
) -> Vector:
    """∇R(w) averaged over the 1-based ``positions``: ``descent_step(...).gradient`` without the
    step (what comparing a mini-batch's gradient with the full batch's needs)."""
    points = point_gradients(data, positions, w)
    return average(gradient_sum(points), len(points))


def average(total: Vector, count: int) -> Vector:
    """``total`` divided by ``count`` (what ``scale(Rational(1, count), total)`` reaches, in one
    remembered division per component)."""
    return (quotient(total[0], count), quotient(total[1], count))


def descent_step(
    data: Sequence[tuple[sympy.Rational, sympy.Rational]],
    positions: Sequence[int],
    w0: Sequence[sympy.Rational],
    eta: sympy.Rational,
) -> DescentStep:
    """One (mini-batch) gradient step using the 1-based ``positions`` of ``data``."""
    first, second = w0
    w0, eta = (rational(first), rational(second)), rational(eta)
    points = point_gradients(data, positions, w0)
    total = gradient_sum(points)
    gradient = average(total, len(points))
    step = (product(eta, gradient[0]), product(eta, gradient[1]))
    w1 = (difference(w0[0], step[0]), difference(w0[1], step[1]))
    return DescentStep(w0, eta, points, total, len(points), gradient, step, w1)
