"""Parameters declared once: each declaration validates a pinned value, draws one, writes it to
the key and describes itself for ``examgen show``.

A family lists its parameters in ``PARAMS``; ``Family`` then builds the frozen ``Params``
dataclass and gives default ``parse_params``, ``draw`` and ``params_to_json`` from them, so a
simple family writes only ``solve`` (and its rules, mistakes and re-check)::

    PARAMS = (
        Integer("a", 1, 5, doc="curvature"),
        Rational("x0", -3, 3, denominators=(1, 2)),
        Choice("loss", ("squared", "absolute")),
        Vector("w0", Integer(low=-2, high=2), size=2),
    )

Drawing is uniform over the declared values (the resample loop in ``Family.generate`` then
rejects what breaks the budget or a degenerate rule). A pinned value (``--params``, a spec's
``params``, a key entry) must lie in the declared range or among the declared choices; a
rational's denominators only restrict drawing, so an instructor may pin ``"1/7"`` inside the range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from generator.errors import ExamgenError
from generator.exact import exact_str, parse_rational, to_json


@dataclass(frozen=True)
class Param:
    """One declared parameter. ``name`` is its field in ``Params`` and its key in key.json."""

    name: str = ""
    doc: str = field(default="", kw_only=True)

    #: The Python type of the value in ``Params`` (for the generated dataclass).
    annotation: Any = field(default=Any, init=False, repr=False)

    def parse(self, raw: Any, where: str) -> Any:
        raise NotImplementedError

    def draw(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        return to_json(value)

    def describe(self) -> str:
        raise NotImplementedError

    def example(self) -> Any:
        """A JSON value that ``parse`` accepts (for help texts and tests)."""
        raise NotImplementedError


def _exclusion(excluded: Sequence[Any]) -> str:
    return f", not {', '.join(exact_str(v) for v in excluded)}" if excluded else ""


@dataclass(frozen=True)
class Integer(Param):
    """An integer in ``low…high`` (both included), none of ``exclude``."""

    low: int = 0
    high: int = 0
    exclude: tuple[int, ...] = ()
    annotation: Any = field(default=sympy.Integer, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.values():
            raise ValueError(f"parameter {self.name!r}: no integer in {self.low}…{self.high}")

    def values(self) -> tuple[int, ...]:
        return tuple(v for v in range(self.low, self.high + 1) if v not in self.exclude)

    def parse(self, raw: Any, where: str) -> sympy.Integer:
        value = parse_rational(raw, where)
        if value.q != 1 or int(value) not in self.values():
            raise ExamgenError(f"{where} must be {self.describe()}, got {raw!r}")
        return sympy.Integer(int(value))

    def draw(self, rng: np.random.Generator) -> sympy.Integer:
        values = self.values()
        return sympy.Integer(values[int(rng.integers(len(values)))])

    def describe(self) -> str:
        return f"an integer {self.low}…{self.high}{_exclusion(self.exclude)}"

    def example(self) -> Any:
        return self.values()[0]


@dataclass(frozen=True)
class Rational(Param):
    """An exact number in ``[low, high]``: drawn with one of ``denominators`` (``choices``, if
    given, lists the exact values to draw from instead), never one of ``exclude``."""

    low: Any = None
    high: Any = None
    denominators: tuple[int, ...] = (1,)
    choices: tuple[Any, ...] | None = None
    exclude: tuple[Any, ...] = ()
    annotation: Any = field(default=sympy.Rational, init=False, repr=False)

    def __post_init__(self) -> None:
        # Left out, a range or the choices fell back to [0, 0]: the learning rate 0 for everyone.
        if self.choices is None and (self.low is None or self.high is None):
            raise ValueError(
                f"parameter {self.name!r}: give its range (low and high) or its choices"
            )
        if self.choices is not None and not self.choices:
            raise ValueError(
                f"parameter {self.name!r}: choices=() lists no value; list the values to draw"
            )
        if not self.values():
            raise ValueError(f"parameter {self.name!r}: declares no value to draw")

    def values(self) -> tuple[sympy.Rational, ...]:
        """Every value ``draw`` picks from, ascending (computed exactly with Fractions)."""
        excluded = {Fraction(str(v)) for v in self.exclude}
        if self.choices is not None:
            found = {Fraction(str(v)) for v in self.choices}
        else:
            low, high = Fraction(str(self.low)), Fraction(str(self.high))
            found = {
                Fraction(p, q)
                for q in self.denominators
                for p in range(int(low * q) - 1, int(high * q) + 2)
                if low <= Fraction(p, q) <= high
            }
        return tuple(sympy.Rational(v.numerator, v.denominator) for v in sorted(found - excluded))

    def bounds(self) -> tuple[sympy.Rational, sympy.Rational]:
        values = self.values()
        if self.choices is not None:
            return values[0], values[-1]
        return sympy.Rational(str(self.low)), sympy.Rational(str(self.high))

    def parse(self, raw: Any, where: str) -> sympy.Rational:
        value = parse_rational(raw, where)
        low, high = self.bounds()
        excluded = {sympy.Rational(str(v)) for v in self.exclude}
        if not low <= value <= high or value in excluded:
            raise ExamgenError(f"{where} must be {self.describe()}, got {raw!r}")
        return value

    def draw(self, rng: np.random.Generator) -> sympy.Rational:
        values = self.values()
        return values[int(rng.integers(len(values)))]

    def describe(self) -> str:
        low, high = self.bounds()
        if self.choices is not None:
            shown = ", ".join(exact_str(v) for v in self.values())
            return f"an exact number in [{low}, {high}] (drawn from {shown})"
        denominators = ", ".join(map(str, self.denominators))
        return (
            f"an exact number in [{low}, {high}] (drawn with denominators {denominators})"
            + _exclusion(self.exclude)
        )

    def example(self) -> Any:
        return to_json(self.values()[0])


@dataclass(frozen=True)
class Choice(Param):
    """One of ``options`` (strings or integers), as written."""

    options: tuple[Any, ...] = ()
    annotation: Any = field(default=Any, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.options:
            raise ValueError(f"parameter {self.name!r}: declares no options")

    def parse(self, raw: Any, where: str) -> Any:
        if isinstance(raw, bool) or raw not in self.options:
            raise ExamgenError(f"{where} must be {self.describe()}, got {raw!r}")
        return raw

    def draw(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def describe(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)

    def example(self) -> Any:
        return self.options[0]


@dataclass(frozen=True)
class Vector(Param):
    """``size`` values, each as ``element`` declares (an unnamed ``Integer`` or ``Rational``)."""

    element: Integer | Rational = field(default_factory=lambda: Integer(low=0, high=1))
    size: int = 2
    annotation: Any = field(default=tuple, init=False, repr=False)

    def parse(self, raw: Any, where: str) -> tuple[Any, ...]:
        if not isinstance(raw, list) or len(raw) != self.size:
            raise ExamgenError(f"{where} must be a list of {self.size} values, got {raw!r}")
        return tuple(self.element.parse(v, f"{where}[{i}]") for i, v in enumerate(raw))

    def draw(self, rng: np.random.Generator) -> tuple[Any, ...]:
        return tuple(self.element.draw(rng) for _ in range(self.size))

    def describe(self) -> str:
        return f"a list of {self.size} values, each {self.element.describe()}"

    def example(self) -> Any:
        return [self.element.example()] * self.size
