"""Typed responses, read leniently but exactly, and the rule that says when one counts.

A TA types ``9/2``, ``4.5``, ``−7/3``, ``(4, 9)^T``, ``[4,9]``, ``4, 9``, ``T``, ``false`` or ``b``;
each is read into exact values (a decimal ``2.33`` becomes the Rational 233/100 and remembers it
was written with two places). Nothing is ever guessed: text that could mean two things (``4,5``
where one number is expected: four-and-a-half with a decimal comma, or two numbers?) is
*unreadable*, with the reason, so it is listed for a human instead of scored silently.

Whether a reading counts is a separate, stated rule (``DecimalRule``): an exact value always
counts; a decimal counts when it is a correct rounding of the exact value to the places written,
with at least ``decimals`` places (default 2: ``7/3`` accepts ``2.33`` and ``2.333``, not ``2.3``
or ``2.34``) and at least ``significant`` significant digits (default 2). The second condition
keeps small answers honest: ``0.00`` is the 2-place rounding of 1/512 but says nothing about it;
``0.0020`` does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from generator.characters import bidi_control
from generator.errors import ExamgenError
from generator.exact import exact_str
from generator.families.base import AnswerKind

DEFAULT_DECIMALS = 2
DEFAULT_SIGNIFICANT = 2
MAX_DECIMALS = 15


class Unreadable(ValueError):
    """A response that cannot be read as an answer of the expected kind; the message says why."""


@dataclass(frozen=True)
class TypedNumber:
    """One number as typed: its exact value and, for a decimal, how many places were written."""

    value: sympy.Rational
    places: int | None = None  # None: an integer or a fraction, so exact as written
    text: str = ""  # the numeral as typed (normalised), for reports
    significant: int = 0  # significant digits written: 0.0020 → 2, 2.33 → 3, 0.00 → 0, 160 → 3

    def __str__(self) -> str:
        return self.text or exact_str(self.value)


#: What a response reads as, by answer kind: a number, a tuple of numbers, a truth value, a letter.
Reading = TypedNumber | tuple[TypedNumber, ...] | bool | str


@dataclass(frozen=True)
class DecimalRule:
    """When a decimal response counts for an exact answer (the spec's ``[grading]`` table)."""

    decimals: int = DEFAULT_DECIMALS
    significant: int = DEFAULT_SIGNIFICANT

    def accepts(self, typed: TypedNumber, exact: sympy.Rational) -> bool:
        if typed.value == exact:  # sympy's == is structural, and exact for Rationals
            return True
        places = typed.places
        if places is None and self.decimals == 0 and "/" not in typed.text:
            places = 0  # no places asked for: a whole number is a rounding to none (-16 for -63/4)
        if places is None or places < self.decimals:
            return False
        if typed.significant < self.significant:
            return False
        # A correct rounding to k places lies within half a unit of the k-th place (ties: either).
        return bool(abs(typed.value - exact) * 2 * 10**places <= 1)

    def places_shown(self, exact: sympy.Rational) -> int:
        """The places of a rounding of ``exact`` that has the rule's significant digits without
        carrying into a new leading digit: the decimal a key shows (0.00098 for 1/1024)."""
        if exact == 0 or not self.significant:
            return self.decimals
        return max(self.decimals, self.significant - 1 - magnitude(exact))

    def places_needed(self, exact: sympy.Rational) -> int:
        """The fewest decimal places a counting rounding of ``exact`` has under this rule: those
        ``places_shown``, or one fewer where rounding up there carries into a new leading digit
        and so gains one (0.0010 for 1/1024, 0.10 for 0.0977, 10 for 9.5625 with no places asked
        for); never two fewer, since one carry adds one digit."""
        places = self.places_shown(exact)
        if places == self.decimals:
            return places
        fewer = places - 1
        scaled = abs(sympy.Rational(exact)) * 10**fewer
        up = sympy.ceiling(scaled)  # a carry comes from rounding up
        if (up - scaled) * 2 <= 1 and len(str(up)) >= self.significant:
            return fewer
        return places

    def tolerance(self, exact: sympy.Rational) -> sympy.Rational:
        """Half a unit of the fewest places a counting rounding has: the margin an LMS numeric
        answer gets (an LMS compares numbers, not the digits typed), wide enough for every
        rounding ``accepts`` takes, and so a little wider than the rule."""
        return sympy.Rational(1, 2 * 10 ** self.places_needed(exact))

    def describe(self) -> str:
        """The rule in words, for a student entering decimals: what follows "rounded to" in the
        practice pages' hint, the exports and the grade report. A count of 0 is no requirement,
        so it is left out rather than read as "at least 0 decimal places"; 1 is singular."""
        wanted = ((self.decimals, "decimal place"), (self.significant, "significant digit"))
        counts = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in wanted if n]
        if not counts:
            return "any number of decimal places, whole numbers included"
        return "at least " + " and ".join(counts)

    def to_json(self) -> dict[str, Any]:
        return {"decimals": self.decimals, "significant": self.significant}

    @classmethod
    def from_json(cls, raw: Any, where: str) -> DecimalRule:
        """Read ``{"decimals": D, "significant": S}`` (a spec's ``[grading]`` table or key.json's
        ``grading``); a missing field takes its default."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise ExamgenError(f"{where}: must be a table such as {{ decimals = 2 }}, got {raw!r}")
        unknown = sorted(set(raw) - {"decimals", "significant"})
        if unknown:
            raise ExamgenError(
                f"{where}.{unknown[0]}: unknown field; expected: decimals, significant"
            )
        counts = []
        for name, default in (("decimals", DEFAULT_DECIMALS), ("significant", DEFAULT_SIGNIFICANT)):
            value = raw.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ExamgenError(f"{where}.{name}: must be a whole number, got {value!r}")
            if not 0 <= value <= MAX_DECIMALS:
                raise ExamgenError(f"{where}.{name}: must be from 0 to {MAX_DECIMALS}, got {value}")
            counts.append(value)
        return cls(*counts)


def magnitude(value: sympy.Rational) -> int:
    """The exponent e with 10**e ≤ |value| < 10**(e+1), found exactly (``value`` ≠ 0)."""
    value = abs(sympy.Rational(value))
    e = len(str(int(value))) - 1 if value >= 1 else -1
    while sympy.Rational(10) ** e > value:
        e -= 1
    while sympy.Rational(10) ** (e + 1) <= value:
        e += 1
    return e


# --- normalising ----------------------------------------------------------------------------------
# Characters word processors and phones put in place of ASCII ones (NFKC handles full-width forms
# and the superscript T of a transpose).
_LOOKALIKES = str.maketrans(
    {
        "\u2212": "-",  # minus sign
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\ufe63": "-",  # small hyphen-minus
        "\u2044": "/",  # fraction slash
        "\u2215": "/",  # division slash
        "\u00f7": "/",  # division sign
        "\u27e8": "(",  # mathematical angle brackets
        "\u27e9": ")",
        "\u2019": "'",
    }
)
_SPACES = re.compile(r"\s+")


def visible(text: str) -> str:
    """``text`` without the invisible format characters (Unicode's ``Cf``) a paste from a PDF, a
    chat or a spreadsheet brings along: a zero-width space or joiner, a word joiner, a byte-order
    mark, a soft hyphen, the left-to-right mark some locales write before a minus. Each made a
    correct answer unreadable, though nothing of it shows.

    The direction embeddings, overrides and isolates (``characters.bidi_control``) stay, so a
    response holding one stays unreadable: they reverse how the rest of it is shown (after U+202E
    "3/1" shows as "1/3"), so what would be graded is not what the student or the TA saw; the
    roster and exports refuse them for the same reason."""
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf" or bidi_control(c))


def normalize(text: str) -> str:
    """Invisible characters set aside (``visible``), Unicode look-alikes folded to ASCII, runs of
    white space to one space, ends trimmed."""
    text = unicodedata.normalize("NFKC", visible(text)).translate(_LOOKALIKES)
    text = _SPACES.sub(" ", text).strip()
    # "9 / 2" and "- 7/3" are one number each.
    text = re.sub(r" ?/ ?", "/", text)
    return re.sub(r"(^|[(\[,; ])([+-]) (?=[\d.])", r"\1\2", text)


# --- reading --------------------------------------------------------------------------------------
_FRACTION = re.compile(r"[+-]?\d+(/\d+)?")
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+)")
#: The brackets a vector may be typed in, opening → closing.
BRACKETS = {"(": ")", "[": "]", "{": "}", "<": ">"}
_CLOSING = frozenset(BRACKETS.values())
_TRANSPOSE = re.compile(r"(?<=[)\]}>]) ?(\^ ?\{?[Tt]\}?|T|')$")


def _unwrap(text: str) -> str:
    """``(…)`` → ``…``: one pair of matching outer brackets removed, if there is one."""
    if len(text) >= 2 and BRACKETS.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


#: More characters than any answer has; a longer number would only cost time (and past 4,300
#: digits Python refuses to convert it).
MAX_NUMBER_LENGTH = 200


def read_number(text: str) -> TypedNumber:
    text = _unwrap(normalize(text))
    if len(text) > MAX_NUMBER_LENGTH:
        raise Unreadable(
            f"is {len(text):,} characters long; no answer has more than {MAX_NUMBER_LENGTH}"
        )
    if _FRACTION.fullmatch(text):
        num, _, den = text.partition("/")
        if den and int(den) == 0:
            raise Unreadable("divides by zero")
        value = sympy.Rational(int(num), int(den or 1))
        whole = "" if den else re.sub(r"[^0-9]", "", num).lstrip("0")
        return TypedNumber(value, None, text, len(whole))
    if _DECIMAL.fullmatch(text):
        places = len(text.partition(".")[2])
        digits = re.sub(r"[^0-9]", "", text).lstrip("0")
        return TypedNumber(sympy.Rational(text), places, text, len(digits))
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        raise Unreadable("has a comma: write a decimal with a point (4.5), or a vector in brackets")
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+", text):
        raise Unreadable("is in scientific notation: write a fraction or a decimal")
    raise Unreadable("is not a number (write e.g. 9/2, -7/3 or 4.5)")


def read_vector(text: str, size: int) -> tuple[TypedNumber, ...]:
    text = _unwrap(_TRANSPOSE.sub("", normalize(text)))
    if not text:
        raise Unreadable(f"is empty inside the brackets; expected {_numbers(size)}")
    if (text[0] in BRACKETS) != (text[-1] in _CLOSING):  # "(1, 3.44": not component 1's fault
        raise Unreadable(
            "opens a bracket it does not close"
            if text[0] in BRACKETS
            else "closes a bracket it does not open"
        )
    # A semicolon wins over commas so that "4,5; 9" reads as a decimal comma, and is refused.
    for separator in (";", ","):
        if separator in text:
            parts = [p.strip() for p in text.split(separator)]
            break
    else:
        parts = text.split(" ")
    numbers = []
    for i, part in enumerate(parts, start=1):
        try:
            numbers.append(read_number(part))
        except Unreadable as err:
            # Counted only once they are numbers: "hello" has no number, not "1 number".
            if len(parts) == 1 != size:
                raise Unreadable(f"is not a vector of {_numbers(size)}") from None
            raise Unreadable(f"has component {i} ({part!r}), which {err}") from None
    if len(parts) != size:
        raise Unreadable(f"has {_numbers(len(parts))}; expected {size}")
    return tuple(numbers)


def _numbers(count: int) -> str:
    return f"{count} number{'s' * (count != 1)}"


_TRUE = {"t", "true"}
_FALSE = {"f", "false"}


def read_bool(text: str) -> bool:
    word = _unwrap(normalize(text)).lower().rstrip(".")
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise Unreadable("is not true or false (write T, F, True or False)")


_LETTER = re.compile(r"\(?([A-Za-z])[).:]?")


def read_choice(text: str) -> str:
    match = _LETTER.fullmatch(normalize(text))
    if not match:
        raise Unreadable("is not a choice letter (write e.g. B)")
    return match.group(1).upper()


def read_response(text: str, kind: AnswerKind, size: int = 0) -> Reading:
    """Read one non-blank response as an answer of ``kind`` (``size``: a vector's length)."""
    if kind == "vector":
        return read_vector(text, size)
    if kind == "number":
        return read_number(text)
    if kind == "bool":
        return read_bool(text)
    if kind == "choice":
        return read_choice(text)
    raise ValueError(f"unknown answer kind {kind!r}")


def reading_text(reading: Reading) -> str:
    """A reading written back canonically: ``(2.33, 9)``, ``-7/3``, ``True``, ``B``."""
    if isinstance(reading, tuple):
        return "(" + ", ".join(str(n) for n in reading) + ")"
    if isinstance(reading, bool):
        return "True" if reading else "False"
    return str(reading)


# --- matching -------------------------------------------------------------------------------------
def credit(reading: Reading, kind: AnswerKind, value: Any, rule: DecimalRule) -> sympy.Rational:
    """The share of the answer a reading earns: 0 or 1, or per component for a vector."""
    if kind == "vector":
        components: Sequence[TypedNumber] = reading  # type: ignore[assignment]
        if len(components) != len(value):
            return sympy.Integer(0)
        right = sum(rule.accepts(t, v) for t, v in zip(components, value, strict=True))
        return sympy.Rational(right, len(value))
    if kind == "number":
        return sympy.Integer(int(rule.accepts(reading, value)))  # type: ignore[arg-type]
    if kind == "bool":
        return sympy.Integer(int(reading is bool(value)))
    return sympy.Integer(int(reading == str(value).upper()))


def matches(reading: Reading, kind: AnswerKind, value: Any, rule: DecimalRule) -> bool:
    """Whether a reading is, in full, this value (a misconception's, say)."""
    try:
        return credit(reading, kind, value, rule) == 1
    except (TypeError, AttributeError):
        return False  # a value of another shape (a family's misconception in another form)
