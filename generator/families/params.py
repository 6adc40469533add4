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

import numbers
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


#: The most values an ``Integer`` draws from: ``rng.integers`` takes a count below 2**63.
MAX_INTEGER_VALUES = 2**63 - 1
#: The most candidates a ``Rational``'s range may list: its values are listed once (denominators
#: such as 2 and 4 give equal values, and each is drawn as often as any other), so a range like
#: ``0…10**30`` would fill the memory.
MAX_RATIONAL_VALUES = 100_000


def is_whole(value: Any, least: int | None = None) -> bool:
    """Whether a declared value is a whole number (not a bool), from ``least`` up if given."""
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    return whole and (least is None or value >= least)


def _who(name: str) -> str:
    """What an error calls a declaration: its parameter, or, unnamed, a ``Vector``'s element
    (declared without a name) or a parameter whose name was left out."""
    if name:
        return f"parameter {name!r}"
    return "an unnamed declaration (a Vector's element, or a parameter missing its name)"


def _declared(name: str, attribute: str, value: Any, expected: str) -> ValueError:
    """A declaration's field holding what it cannot: one line naming the parameter, the field
    and what it takes (an author's typo was a bare TypeError or ZeroDivisionError)."""
    return ValueError(f"{_who(name)}: {attribute} = {value!r}; {expected}")


def _sequence(name: str, attribute: str, value: Any) -> tuple[Any, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | set | frozenset):
        raise _declared(name, attribute, value, f"write a tuple, e.g. {attribute}=(1, 2)")
    return tuple(value)


def _fraction(name: str, attribute: str, value: Any) -> Fraction:
    """An exact number as a declaration may write it: an int, a string such as ``"1/2"``, a
    sympy or ``fractions`` rational (what ``Fraction(str(value))`` reads)."""
    try:
        if isinstance(value, bool):
            raise ValueError
        return Fraction(str(value))
    except (ValueError, TypeError, ZeroDivisionError):
        raise _declared(
            name, attribute, value, 'write an exact number, e.g. 3, "-2" or "1/2"'
        ) from None


@dataclass(frozen=True)
class Integer(Param):
    """An integer in ``low…high`` (both included), none of ``exclude``.

    Its values are counted and indexed arithmetically, never listed, so a wide range costs no
    more than a narrow one; the draw is the one ``rng.integers(count)`` it always was, so the
    variants of existing declarations stay the same."""

    low: int = 0
    high: int = 0
    exclude: tuple[int, ...] = ()
    annotation: Any = field(default=sympy.Integer, init=False, repr=False)
    #: The excluded values inside the range, ascending: what counting and indexing skip.
    _skipped: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for attribute in ("low", "high"):
            value = getattr(self, attribute)
            if not is_whole(value):
                raise _declared(self.name, attribute, value, "write a whole number, e.g. 1")
        for i, value in enumerate(_sequence(self.name, "exclude", self.exclude)):
            if not is_whole(value):
                raise _declared(self.name, f"exclude[{i}]", value, "write a whole number")
        skipped = sorted({int(v) for v in self.exclude if self.low <= v <= self.high})
        object.__setattr__(self, "_skipped", tuple(skipped))
        count = self.count()
        if count < 1 and skipped:
            raise ValueError(
                f"{_who(self.name)}: exclude takes out every integer in {self.low}…{self.high}; "
                "widen the range or exclude fewer"
            )
        if count < 1:
            raise ValueError(f"{_who(self.name)}: no integer in {self.low}…{self.high}")
        if count > MAX_INTEGER_VALUES:
            raise ValueError(
                f"{_who(self.name)}: {self.low}…{self.high} holds {count} integers; "
                f"examgen draws from at most 2**63 - 1, narrow the range"
            )

    def count(self) -> int:
        """How many values ``draw`` picks from."""
        return max(0, int(self.high) - int(self.low) + 1 - len(self._skipped))

    def value_at(self, index: int) -> int:
        """The ``index``-th value (from 0), ascending: ``values()[index]`` without the list."""
        value = int(self.low) + index
        for excluded in self._skipped:
            if excluded > value:
                break
            value += 1
        return value

    def values(self) -> tuple[int, ...]:
        """Every value, ascending (a list: for small ranges and tests; drawing never lists)."""
        return tuple(self.value_at(i) for i in range(self.count()))

    def parse(self, raw: Any, where: str) -> sympy.Integer:
        value = parse_rational(raw, where)
        inside = value.q == 1 and self.low <= int(value) <= self.high
        if not inside or int(value) in self._skipped:
            raise ExamgenError(f"{where} must be {self.describe()}, got {raw!r}")
        return sympy.Integer(int(value))

    def draw(self, rng: np.random.Generator) -> sympy.Integer:
        return sympy.Integer(self.value_at(int(rng.integers(self.count()))))

    def describe(self) -> str:
        return f"an integer {self.low}…{self.high}{_exclusion(self.exclude)}"

    def example(self) -> Any:
        return self.value_at(0)


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
    #: Every value ``draw`` picks from, listed once (``_list_values``).
    _listed: tuple[sympy.Rational, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Left out, a range or the choices fell back to [0, 0]: the learning rate 0 for everyone.
        if self.choices is None and (self.low is None or self.high is None):
            raise ValueError(f"{_who(self.name)}: give its range (low and high) or its choices")
        if self.choices is not None and not self.choices:
            raise ValueError(
                f"{_who(self.name)}: choices=() lists no value; list the values to draw"
            )
        name = self.name
        if self.choices is not None:
            for i, value in enumerate(_sequence(name, "choices", self.choices)):
                _fraction(name, f"choices[{i}]", value)
        else:
            low, high = _fraction(name, "low", self.low), _fraction(name, "high", self.high)
            denominators = _sequence(name, "denominators", self.denominators)
            if not denominators:
                raise _declared(name, "denominators", self.denominators, "list at least one")
            for i, q in enumerate(denominators):
                if not is_whole(q) or q < 1:
                    raise _declared(
                        name, f"denominators[{i}]", q, "each is a whole number from 1 up"
                    )
            listed = sum((high - low) * q + 3 for q in denominators)
            if listed > MAX_RATIONAL_VALUES:
                raise ValueError(
                    f"{_who(name)}: [{self.low}, {self.high}] with denominators "
                    f"{tuple(denominators)} lists about {int(listed)} values; examgen draws a "
                    f"rational from at most {MAX_RATIONAL_VALUES}: narrow the range, or list "
                    "choices"
                )
        for i, value in enumerate(_sequence(name, "exclude", self.exclude)):
            _fraction(name, f"exclude[{i}]", value)
        # Listed once: every draw picks from them.
        object.__setattr__(self, "_listed", self._list_values())
        if not self.values():
            raise ValueError(f"{_who(self.name)}: declares no value to draw")

    def values(self) -> tuple[sympy.Rational, ...]:
        """Every value ``draw`` picks from, ascending (computed exactly with Fractions)."""
        return self._listed

    def _list_values(self) -> tuple[sympy.Rational, ...]:
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
            raise ValueError(f"{_who(self.name)}: declares no options")

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

    def __post_init__(self) -> None:
        if not is_whole(self.size) or self.size < 1:  # () is no answer a student can give
            raise _declared(self.name, "size", self.size, "write how many values, 1 or more")

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
