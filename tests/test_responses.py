"""Typed responses are read exactly, and a decimal counts exactly when the rule says it does.

Invariants: every way ``examgen`` itself writes an answer (key.csv's cells) reads back to the same
exact value; lenient spellings (unicode minus, brackets, ``^T``, spaces) read the same as the plain
form; anything ambiguous is unreadable with a reason rather than read one way silently; and
``DecimalRule`` agrees with an independent check in floats/``fractions``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from generator.characters import bidi_control
from generator.errors import ExamgenError
from generator.families.base import Answer
from generator.responses import (
    DecimalRule,
    TypedNumber,
    Unreadable,
    credit,
    magnitude,
    read_bool,
    read_choice,
    read_number,
    read_response,
    read_vector,
    visible,
)

R = sympy.Rational
rationals = st.builds(lambda p, q: R(p, q), st.integers(-10_000, 10_000), st.integers(1, 1_000))


@pytest.mark.parametrize(
    "typed, value, places",
    [
        ("9/2", R(9, 2), None),
        ("4.5", R(9, 2), 1),
        ("-7/3", R(-7, 3), None),
        ("\u22127/3", R(-7, 3), None),  # unicode minus
        ("\u2013 7 / 3", R(-7, 3), None),  # en dash and spaces
        ("7\u20443", R(7, 3), None),  # fraction slash
        ("+4", R(4), None),
        (" 4 ", R(4), None),
        (".5", R(1, 2), 1),
        ("4.", R(4), 0),
        ("-0.25", R(-1, 4), 2),
        ("(9/2)", R(9, 2), None),
        ("\uff19/\uff12", R(9, 2), None),  # full-width digits
    ],
)
def test_numbers_read_exactly(typed: str, value: sympy.Rational, places: int | None) -> None:
    """Each spelling a TA might type reads to the exact value, remembering decimal places."""
    number = read_number(typed)
    assert number.value == value
    assert number.places == places


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("4,5", "comma"),  # four and a half, or two numbers? never guess
        ("1e-3", "scientific"),
        ("7/0", "zero"),
        ("abc", "not a number"),
        ("4.5/2", "not a number"),
        ("", "not a number"),
        ("--4", "not a number"),
    ],
)
def test_ambiguous_or_malformed_numbers_are_unreadable(typed: str, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        read_number(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "(4, 9)",
        "[4,9]",
        "4, 9",
        "4 9",
        "(4; 9)",
        "(4, 9)^T",
        "(4,9)\u1d40",  # superscript T
        "[4, 9]^{T}",
        "\u27e84, 9\u27e9",
        " ( 4 ,  9 ) ",
        "(4.00, 9.0)",
    ],
)
def test_vector_spellings(typed: str) -> None:
    assert [n.value for n in read_vector(typed, 2)] == [4, 9]


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("(4, 9, 1)", "has 3 numbers; expected 2"),
        ("4", "has 1 number; expected 2"),
        ("(4, x)", r"has component 2 \('x'\), which is not a number"),
        ("(4,5; 9)", "comma"),  # a decimal comma beside a semicolon separator
        ("()", "empty"),
        # On 1be3fcf: "component 1 ('(1') is not a number", blaming the number, not the bracket.
        ("(1,3.44", "^opens a bracket it does not close$"),
        ("[4, 9", "^opens a bracket it does not close$"),
        ("4, 9)", "^closes a bracket it does not open$"),
    ],
)
def test_malformed_vectors_are_unreadable(typed: str, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        read_vector(typed, 2)


@pytest.mark.parametrize(
    "typed, size, reason",
    [
        # An auditor's: "hello" was said to have "1 number; expected 2", and it has none.
        ("hello", 2, "^is not a vector of 2 numbers$"),
        ("1e5", 3, "^is not a vector of 3 numbers$"),
        ("4 and 9", 2, r"^has component 2 \('and'\), which is not a number"),
        ("(4, 9, x)", 2, r"^has component 3 \('x'\), which is not a number"),
        ("(4, 9)", 1, "^has 2 numbers; expected 1$"),
        ("()", 1, "^is empty inside the brackets; expected 1 number$"),
    ],
)
def test_a_vector_unreadable_message_counts_only_numbers(typed: str, size: int, reason: str) -> None:
    """A reason never calls text a number that is not one, and counts in the singular for one."""
    with pytest.raises(Unreadable, match=reason):
        read_vector(typed, size)


def test_negative_components_with_spaces() -> None:
    """``- 7/3`` is one number even inside a vector split on spaces."""
    assert [n.value for n in read_vector("(- 7/3  \u2212 1)", 2)] == [R(-7, 3), -1]


@pytest.mark.parametrize(
    "typed, value",
    [("T", True), ("true", True), ("TRUE", True), ("F", False), ("false", False), ("f.", False)],
)
def test_bools(typed: str, value: bool) -> None:
    assert read_bool(typed) is value


@pytest.mark.parametrize("typed", ["yes", "1", "TF", "maybe"])
def test_other_words_are_not_bools(typed: str) -> None:
    with pytest.raises(Unreadable):
        read_bool(typed)


@pytest.mark.parametrize("typed", ["b", "B", " b ", "(b)", "b)", "B.", "\uff42"])
def test_choice_letters(typed: str) -> None:
    assert read_choice(typed) == "B"


@pytest.mark.parametrize("typed", ["bc", "2", "option B", ""])
def test_not_choice_letters(typed: str) -> None:
    with pytest.raises(Unreadable):
        read_choice(typed)


@given(rationals)
def test_key_cells_read_back_exactly(value: sympy.Rational) -> None:
    """Whatever key.csv writes reads back to the same exact value, number or vector."""
    assert read_number(Answer("number", value).cell()).value == value
    vector = (value, -value)
    cell = Answer("vector", vector).cell()
    assert tuple(n.value for n in read_vector(cell, 2)) == vector


def _fraction_rule_accepts(text: str, exact: Fraction, decimals: int, significant: int) -> bool:
    """The rule restated with ``fractions`` and string handling, independent of the module."""
    typed = Fraction(text)
    if typed == exact:
        return True
    places = len(text.partition(".")[2]) if "." in text else None
    if places is None and decimals == 0:  # README: with no places asked for, 10 rounds 9.5625
        places = 0
    if places is None or places < decimals:
        return False
    if len(text.replace("-", "").replace(".", "").lstrip("0")) < significant:
        return False
    return abs(typed - exact) <= Fraction(1, 2 * 10**places)


@given(rationals, st.integers(0, 6), st.integers(0, 4), st.integers(-2, 2), st.integers(0, 3))
@example(R(1, 8), 2, 2, 0, 2)  # an exact tie: 0.125 → 0.12 and 0.13 both count
@example(R(1, 8), 2, 2, 1, 2)
@example(R(7, 3), 1, 2, 0, 2)  # 2.3 has too few places
@example(R(1, 512), 2, 2, 0, 2)  # 0.00 has no significant digit
@example(R(1, 512), 3, 2, 0, 2)  # 0.002 has one
@example(R(1, 512), 4, 2, 0, 2)  # 0.0020 has two
def test_decimal_rule_matches_an_independent_check(
    value: sympy.Rational, places: int, decimals: int, offset: int, significant: int
) -> None:
    """A decimal near the value (its rounding, nudged by ``offset`` units) counts exactly when an
    independent restatement of the rule says so."""
    scaled = int(sympy.floor(value * 10**places)) + offset
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), 10**places)
    text = f"{sign}{whole}" + (f".{frac:0{places}d}" if places else ".0")
    rule = DecimalRule(decimals, significant)
    exact = Fraction(int(value.p), int(value.q))
    expected = _fraction_rule_accepts(text, exact, decimals, significant)
    assert rule.accepts(read_number(text), value) is expected


@given(rationals, st.integers(0, 3))
@example(R(6, 625), 0)  # 0.0096: one place fewer rounds to 0.010, two significant digits again
@example(R(1, 512), 0)
def test_rounding_to_the_places_needed_counts(value: sympy.Rational, extra: int) -> None:
    """A float rounded (by Python's formatting, an independent rounding) to the places the rule
    says a value needs, or more, always counts: exact ties accept either neighbour, and a non-tie
    with denominator ≤ 1000 is far from the tie compared with float error."""
    rule = DecimalRule()
    places = rule.places_needed(value) + extra
    assert rule.accepts(read_number(f"{float(value):.{places}f}"), value)
    needed = places - extra
    if needed > 2:  # one place fewer than a small value needs: too few significant digits,
        fewer = f"{float(value):.{needed - 1}f}"  # unless rounding up carried into a new digit
        digits = len(fewer.replace("-", "").replace(".", "").lstrip("0"))
        expected = sympy.Rational(fewer) == value or digits >= 2
        assert rule.accepts(read_number(fewer), value) is expected


@given(rationals, st.integers(0, 4), st.integers(0, 4))
@example(R(1, 1024), 2, 2)  # 0.0010: rounding up to 4 places carries into a second digit
@example(R(977, 10_000), 2, 2)  # 0.10 for 0.0977
@example(R(-153, 16), 0, 2)  # -10 for -9.5625, no places asked for
@example(R(89, 9), 0, 2)  # 10 for 9.888…
def test_the_lms_tolerance_holds_every_rounding_grade_accepts(
    value: sympy.Rational, decimals: int, significant: int
) -> None:
    """An LMS numeric field accepts what lies within ``tolerance`` of the value: every decimal or
    whole number that counts under the rule (the independent restatement) must lie within it, or
    Moodle and Canvas mark wrong what ``examgen grade`` marks right (an auditor's: 0.0010 for
    1/1024); and ``places_needed`` is the fewest places a counting rounding has."""
    rule = DecimalRule(decimals, significant)
    exact = Fraction(int(value.p), int(value.q))
    counting = []
    for places in range(0, 12):
        scaled = exact * 10**places
        for c in {math.floor(scaled), math.ceil(scaled)}:
            whole, frac = divmod(abs(c), 10**places)
            text = f"{'-' if c < 0 else ''}{whole}" + (f".{frac:0{places}d}" if places else "")
            if Fraction(text) != exact and _fraction_rule_accepts(
                text, exact, decimals, significant
            ):
                counting.append((places, text))
    for _, text in counting:
        assert abs(Fraction(text) - exact) <= rule.tolerance(value), text
    if counting:  # else every counting decimal is the value itself (0.5), which an LMS matches
        assert rule.places_needed(value) == min(places for places, _ in counting)
    else:
        assert Fraction(f"{float(exact):.12f}") == exact


def test_rule_examples() -> None:
    rule = DecimalRule(2)
    seven_thirds = R(7, 3)
    assert rule.accepts(read_number("2.33"), seven_thirds)
    assert rule.accepts(read_number("2.333"), seven_thirds)
    assert not rule.accepts(read_number("2.3"), seven_thirds)
    assert not rule.accepts(read_number("2.34"), seven_thirds)
    assert rule.accepts(read_number("4.5"), R(9, 2))  # exact, however few places
    assert DecimalRule(3).accepts(read_number("2.333"), seven_thirds)
    assert not DecimalRule(3).accepts(read_number("2.33"), seven_thirds)
    assert rule.tolerance(seven_thirds) == R(1, 200)
    # Small values need more places for their two significant digits.
    assert not rule.accepts(read_number("0.00"), R(1, 512))
    assert not rule.accepts(read_number("0.002"), R(1, 512))
    assert rule.accepts(read_number("0.0020"), R(1, 512))
    assert rule.tolerance(R(1, 512)) == R(1, 20000)
    assert DecimalRule(2, 0).accepts(read_number("0.00"), R(1, 512))
    assert rule.describe() == "at least 2 decimal places and 2 significant digits"


@given(rationals.filter(lambda v: v != 0))
@example(R(1, 1000))
@example(R(-100))
def test_magnitude_is_the_decimal_exponent(value: sympy.Rational) -> None:
    e = magnitude(value)
    assert R(10) ** e <= abs(value) < R(10) ** (e + 1)
    log = math.log10(abs(float(value)))
    assert e == math.floor(log) or abs(log - round(log)) < 1e-9  # floats blur exact powers of 10


def test_vector_credit_is_per_component() -> None:
    rule = DecimalRule()
    value = (R(4), R(9))
    assert credit(read_response("(4, 9)", "vector", 2), "vector", value, rule) == 1
    assert credit(read_response("(4, 8)", "vector", 2), "vector", value, rule) == R(1, 2)
    assert credit(read_response("(9, 4)", "vector", 2), "vector", value, rule) == 0


def test_bool_and_choice_credit() -> None:
    rule = DecimalRule()
    assert credit(read_response("F", "bool"), "bool", False, rule) == 1
    assert credit(read_response("true", "bool"), "bool", False, rule) == 0
    assert credit(read_response("b", "choice"), "choice", "B", rule) == 1
    assert credit(read_response("c", "choice"), "choice", "B", rule) == 0


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"decimals": -1}, "from 0 to 15"),
        ({"decimals": "2"}, "whole number"),
        ({"significant": 1.5}, "significant: must be a whole number"),
        ({"decimals": True}, "whole number"),
        ({"places": 2}, "unknown field"),
        (3, "must be a table"),
    ],
)
def test_rule_validation(raw: object, message: str) -> None:
    with pytest.raises(ExamgenError, match=message):
        DecimalRule.from_json(raw, "spec.toml: grading")


def test_rule_defaults() -> None:
    assert DecimalRule.from_json(None, "x") == DecimalRule(2)
    assert DecimalRule.from_json({}, "x") == DecimalRule(2)
    assert DecimalRule.from_json({"decimals": 0}, "x") == DecimalRule(0, 2)
    assert DecimalRule.from_json({"significant": 3}, "x") == DecimalRule(2, 3)


def test_typed_number_prints_as_typed() -> None:
    assert str(read_number("2.50")) == "2.50"
    assert str(TypedNumber(R(-7, 3))) == "-7/3"


@example(numerator=-63, denominator=4, significant=1, offset=0)  # the review's -16 for -63/4
@given(
    numerator=st.integers(-2000, 2000),
    denominator=st.integers(1, 40),
    significant=st.integers(0, 4),
    offset=st.integers(-2, 2),
)
def test_with_no_places_asked_a_whole_number_is_a_rounding_to_none(
    numerator: int, denominator: int, significant: int, offset: int
) -> None:
    """``decimals = 0``: no places are asked for (the hint once said "at least 0 decimal places";
    ``DecimalRule.describe`` now leaves the count out), so ``-16`` is a correct
    rounding of -63/4 as ``-16.`` is (on 1be3fcf only the second counted, while an LMS export's
    tolerance took both). A fraction is still exact as written, and with places asked for a
    whole number still counts only when exact."""
    exact = R(numerator, denominator)
    typed = int(sympy.floor(exact + R(1, 2))) + offset
    digits = len(str(abs(typed)).lstrip("0"))
    close = abs(typed - exact) <= R(1, 2)
    rule = DecimalRule(0, significant)
    assert rule.accepts(read_number(str(typed)), exact) == (
        typed == exact or (close and digits >= significant)
    )
    assert rule.accepts(read_number(str(typed)), exact) == rule.accepts(
        read_number(f"{typed}."), exact
    )
    assert rule.accepts(read_number(f"{2 * typed}/2"), exact) == (typed == exact)
    assert DecimalRule(1, significant).accepts(read_number(str(typed)), exact) == (typed == exact)


#: Invisible format characters (Unicode's Cf) that ``visible`` sets aside: all but the direction
#: embeddings, overrides and isolates.
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u061c"]
DIRECTION = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]


@st.composite
def sprinkled(draw, text: str, characters: st.SearchStrategy[str]) -> str:
    """``text`` with a few of ``characters`` put anywhere in it."""
    chars = list(text)
    for _ in range(draw(st.integers(1, 4))):
        chars.insert(draw(st.integers(0, len(chars))), draw(characters))
    return "".join(chars)


@given(
    rationals,
    rationals,
    st.data(),
    st.sampled_from(INVISIBLE) | st.characters(categories=["Cf"]).filter(lambda c: not bidi_control(c)),
)
def test_invisible_characters_in_a_response_are_set_aside(x, y, data, invisible) -> None:
    """A zero-width space, joiner, word joiner, byte-order mark, soft hyphen or direction mark
    pasted with an answer shows nothing: on 793abf8 ``3 / 64 \u200b`` was unreadable, in
    ``examgen grade`` and on the practice page alike. Each reads as the answer without it."""
    forms = [("number", f"{x}", 0), ("number", f" {x} ", 0), ("vector", f"({x}, {y})^T", 2),
             ("bool", "True", 0), ("choice", "(b)", 0)]
    assert read_number("3 / 64 \u200b") == read_number("3/64")  # the reviewer's
    characters = st.sampled_from(INVISIBLE) | st.just(invisible)
    for kind, text, size in forms:
        typed = data.draw(sprinkled(text, characters))
        assert visible(typed) == text
        assert read_response(typed, kind, size) == read_response(text, kind, size), ascii(typed)


@given(rationals, st.data(), st.sampled_from(DIRECTION))
def test_a_direction_control_keeps_a_response_unreadable(x, data, control) -> None:
    """An embedding, override or isolate reverses how the text after it is shown (after U+202E
    "3/1" shows as "1/3"): grading it would grade what nobody saw, so it is not set aside."""
    assert bidi_control(control) == control
    typed = data.draw(sprinkled(f"{x}", st.just(control)))
    with pytest.raises(Unreadable):
        read_number(typed)
