"""Exact values: parsing user input into sympy Rationals and writing them back out.

Every value a family computes is a sympy ``Rational`` (or a tuple of them). These helpers are the
single place where such values cross a boundary: JSON in (pinned params), JSON out (the key),
LaTeX out (templates).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, is_dataclass
from functools import cache, lru_cache
from typing import Any

import sympy

from generator.errors import ExamgenError

Rational = sympy.Rational


def parse_rational(value: object, where: str) -> sympy.Rational:
    """An exact number from JSON: an int, or a string such as ``"-7/3"`` or ``"4"``.

    Floats are refused: ``0.1`` is not exactly one tenth, and a key must be exact.
    """
    if isinstance(value, bool):
        raise ExamgenError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int):
        return Rational(value)
    if isinstance(value, float):
        raise ExamgenError(
            f'{where}: {value!r} is a float; write it exactly, as an integer or a string like "1/2"'
        )
    if isinstance(value, str):
        text = value.strip()
        parts = text.split("/")
        try:
            if len(parts) == 1:
                return Rational(int(parts[0]))
            if len(parts) == 2:
                num, den = int(parts[0]), int(parts[1])
                if den == 0:
                    raise ExamgenError(f"{where}: {value!r} divides by zero")
                return Rational(num, den)
        except ValueError:
            pass
        raise ExamgenError(f'{where}: {value!r} is not an exact number; use e.g. 3, "-2" or "1/2"')
    raise ExamgenError(f"{where}: expected a number, got {type(value).__name__} {value!r}")


def exact_str(value: sympy.Rational | int) -> str:
    """sympy's ``str()`` of a Rational: ``"4"``, ``"-7/3"`` (the key.json contract). Written
    from the numerator and denominator, as sympy's printer writes a Rational in lowest terms
    (``plain_exact_str``), without the printer's dispatch: a key entry writes tens of them."""
    r = rational(value)
    return str(r.p) if r.q == 1 else f"{r.p}/{r.q}"


def plain_exact_str(value: sympy.Rational | int) -> str:
    """``exact_str`` through sympy's printer: what the shortcut must equal."""
    return str(Rational(value))


def to_json(value: Any) -> Any:
    """A JSON-ready copy: integers stay ints, other Rationals become exact strings."""
    kind = type(value)
    # Tuples, lists and sympy numbers first, converted as ``plain_to_json`` converts them (no
    # value is both a sympy number and a Python one): its case for any Sequence makes ABC
    # checks, and params are mostly such numbers.
    if kind is tuple or kind is list:
        return [to_json(v) for v in value]
    if isinstance(value, sympy.Rational):
        return int(value) if value.q == 1 else exact_str(value)
    return _converted(value, to_json)


def plain_to_json(value: Any) -> Any:
    """``to_json`` without its fast cases: what they must equal."""
    return _converted(value, plain_to_json)


def _converted(value: Any, inner: Callable[[Any], Any]) -> Any:
    """``value`` made JSON-ready, its items by ``inner``."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, sympy.Rational):
        return int(value) if value.q == 1 else exact_str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {name: inner(getattr(value, name)) for name in field_names(type(value))}
    if isinstance(value, Mapping):
        return {str(k): inner(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [inner(v) for v in value]
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


@cache
def field_names(dataclass: type) -> tuple[str, ...]:
    """A dataclass's field names, read once (``dataclasses.fields`` builds them on every call)."""
    return tuple(f.name for f in fields(dataclass))


def rational(value: sympy.Rational | int) -> sympy.Rational:
    """``value`` as a Rational; a Rational itself as it is. ``Rational(r)`` returns ``r`` too, but
    through sympy's argument cache: in the hot loops of solving and formatting that lookup costs
    more than the arithmetic."""
    return value if isinstance(value, Rational) else Rational(value)


def latex(value: sympy.Rational | int) -> str:
    """LaTeX for an exact number: ``4``, ``-\\frac{7}{3}``."""
    r = rational(value)
    if r.q == 1:
        return str(r.p)
    sign = "-" if r.p < 0 else ""
    return f"{sign}\\frac{{{abs(r.p)}}}{{{r.q}}}"


#: Results of exact arithmetic remembered (``product``, ``difference``, ``quotient``): the same
#: operands recur across a build's candidates (in a 1,000-student quiz build, 4 in 5 of a descent
#: step's η·∇R and w − η·∇R, and 9 in 10 of its averages, repeat an earlier one).
REMEMBERED_RESULTS = 16384
_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul,
    "-": operator.sub,
    "/": operator.truediv,
}


def product(a: sympy.Rational, b: sympy.Rational) -> sympy.Rational:
    """``a * b``, computed by sympy once per pair of values (``_result``)."""
    return _result("*", a.p, a.q, b.p, b.q)


def difference(a: sympy.Rational, b: sympy.Rational) -> sympy.Rational:
    """``a - b``, computed by sympy once per pair of values (``_result``)."""
    return _result("-", a.p, a.q, b.p, b.q)


def quotient(a: sympy.Rational, b: sympy.Rational | int) -> sympy.Rational:
    """``a / b``, computed by sympy once per pair of values (``_result``)."""
    if isinstance(b, int):  # a count: its own numerator, over 1
        return _result("/", a.p, a.q, b, 1)
    return _result("/", a.p, a.q, b.p, b.q)


@lru_cache(maxsize=REMEMBERED_RESULTS)
def integer(n: int) -> sympy.Integer:
    """``sympy.Integer(n)``, made once per value: a remembered one is returned without a Python
    call (sympy's own cache is reached through one)."""
    return sympy.Integer(n)


@lru_cache(maxsize=REMEMBERED_RESULTS)
def _result(operation: str, ap: int, aq: int, bp: int, bq: int) -> sympy.Rational:
    """sympy's ``a <operation> b`` for a = ap/aq and b = bp/bq, remembered by those Python ints:
    they hash in C, where a sympy number's hash is a Python call. sympy keeps a Rational in
    lowest terms with a positive denominator, so equal values give equal keys and the operands
    rebuilt from them are the values given; the result is sympy's own, of its own type."""
    return _OPERATIONS[operation](Rational(ap, aq), Rational(bp, bq))


def terminating_decimal(value: sympy.Rational | int) -> str | None:
    """``value`` as its exact decimal (``4.5``, ``-0.125``, ``3``), or ``None`` when its decimal
    never ends (``1/3``): from the integers, never a float."""
    value = sympy.Rational(value)
    q, twos, fives = int(value.q), 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    if q != 1:
        return None
    places = max(twos, fives)
    scaled = int(value * 10**places)
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), 10**places)
    return f"{sign}{whole}" + (f".{frac:0{places}d}" if places else "")


def points_text(value: sympy.Rational | int | float) -> str:
    """Points for a gradebook or an LMS: ``2``, ``1.5``, ``1.3333`` (exact when it fits in 4
    places, as a spec's points always do; ``:g`` kept 6 digits: 123.4567 became 123.457)."""
    value = sympy.Rational(str(value)) if isinstance(value, float) else sympy.Rational(value)
    if value.q == 1:
        return str(value.p)
    return f"{float(value):.4f}".rstrip("0").rstrip(".")
