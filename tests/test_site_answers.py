"""answers.js (the practice pages' answer check) agrees with generator.responses, the rule
`examgen grade` applies: on hypothesis-generated responses, in Chromium, the same reading or the
same reason for refusing it, the same credit, and the same named mistakes.

Inputs mix the grammar's pieces (signs, fractions, decimals near the answer, brackets,
separators, transposes, Unicode look-alikes and digits, invisible format characters) with
arbitrary text."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import assume, event, example, given
from hypothesis import strategies as st

from generator.exact import exact_str
from generator.responses import (
    DecimalRule,
    Unreadable,
    credit,
    matches,
    normalize,
    read_response,
)

pytestmark = pytest.mark.browser

PIECES = [
    "0", "1", "2", "3", "7", "9", "12", "-", "+", "/", ".", ",", ";", " ", "  ", "(", ")", "[",
    "]", "{", "}", "<", ">", "^T", "^{T}", "T", "'", "e", "E", "x", "true",
    "\u2212", "\u2013", "\u2044", "\u00f7", "\u27e8", "\u27e9", "\u00a0", "\u3000", "\t",
    "\uff13", "\uff0e", "\u0663", "\u0665", "\u0966", "\u00b2", "\u00bd", "\x00", "\x85", "\u2028",
]
#: Invisible format characters (Unicode's Cf) a paste brings: both readers set them aside, but
#: the direction embeddings, overrides and isolates, which both keep (so the answer is unreadable).
FORMAT = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f", "\u061c",
          "\u202a", "\u202e", "\u2066", "\u2069"]
PIECES += FORMAT
formats = st.sampled_from(FORMAT) | st.characters(categories=["Cf"])
rationals = st.builds(sympy.Rational, st.integers(-150, 150), st.integers(1, 12))
rules = st.builds(DecimalRule, st.integers(0, 4), st.integers(0, 4))


@st.composite
def decimal_near(draw, value: sympy.Rational) -> str:
    """A decimal at or next to a rounding of ``value``: where the rule's edges are."""
    places = draw(st.integers(0, 5))
    scaled = sympy.floor(value * 10**places) + draw(st.integers(-1, 2))
    sign = "-" if scaled < 0 else draw(st.sampled_from(["", "+"]))
    whole, frac = divmod(abs(int(scaled)), 10**places)
    text = f"{sign}{whole}" + (f".{frac:0{places}d}" if places else draw(st.sampled_from(["", "."])))
    return text + "0" * draw(st.integers(0, 2))


@st.composite
def rounded(draw, value: sympy.Rational) -> str:
    """``value`` rounded to a few places: right as far as it goes, often with fewer digits than
    the rule asks (the page's "close, but not precise enough")."""
    places = draw(st.integers(0, 3))
    scaled = int(sympy.floor(value * 10**places + sympy.Rational(1, 2)))
    whole, frac = divmod(abs(scaled), 10**places)
    return ("-" if scaled < 0 else "") + f"{whole}" + (f".{frac:0{places}d}" if places else "")


@st.composite
def number_text(draw, value: sympy.Rational) -> str:
    how = draw(st.sampled_from(["decimal"] * 3 + ["exact"] * 2 + ["fraction", "pieces", "long"] + ["rounded"] * 3))
    if how == "decimal":
        return draw(decimal_near(value))
    if how == "rounded":
        return draw(rounded(value))
    if how == "long":  # about MAX_NUMBER_LENGTH characters (an auditor's: the page said correct)
        text = draw(decimal_near(value))
        text += ("" if "." in text else ".") + "0" * draw(st.integers(190, 1100))
        return text[: draw(st.integers(195, 1100))].rstrip(".")
    if how == "exact":
        return exact_str(value)
    if how == "fraction":
        return draw(st.builds(lambda n, d: f"{n}/{d}", st.integers(-40, 40), st.integers(0, 13)))
    return "".join(draw(st.lists(st.sampled_from(PIECES), max_size=5)))


@st.composite
def cases(draw):
    kind = draw(st.sampled_from(["number", "vector"]))
    size = draw(st.integers(2, 3)) if kind == "vector" else 0
    value = draw(st.lists(rationals, min_size=size, max_size=size) if size else rationals)
    # Named mistakes: the right value's shape, a scalar for a vector, a vector of another size.
    shapes = [st.lists(rationals, min_size=size, max_size=size) if size else rationals, rationals,
              st.lists(rationals, min_size=1, max_size=4)]
    mistakes = draw(st.lists(st.one_of(*shapes), max_size=3))
    # What the student aims at: the answer, or a named mistake's value of the right shape.
    aims = [value] + [m for m in mistakes if isinstance(m, list) == bool(size) and (not size or len(m) == size)]
    aim = draw(st.sampled_from(aims[1:])) if len(aims) > 1 and draw(st.booleans()) else value
    if kind == "number":
        text = draw(number_text(aim))
    else:
        parts = [draw(number_text(v)) for v in aim]
        if draw(st.integers(0, 5)) == 0:
            parts.append(draw(number_text(aim[0])))
        sep = draw(st.sampled_from([", ", ",", "; ", " ", ",  "]))
        left, right = draw(st.sampled_from([("(", ")"), ("[", "]"), ("", ""), ("\u27e8", "\u27e9"), ("(", "")]))
        text = left + sep.join(parts) + right + draw(st.sampled_from(["", "^T", " ^{T}", "'", "T"]))
    how = draw(st.sampled_from(["aimed"] * 4 + ["pasted", "pieces", "any"]))
    if how == "pasted":  # the aimed text with invisible characters anywhere in it
        chars = list(text)
        for _ in range(draw(st.integers(1, 3))):
            chars.insert(draw(st.integers(0, len(chars))), draw(formats))
        text = "".join(chars)
    elif how == "pieces":
        text = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=12)))
    elif how == "any":
        text = draw(st.text(st.characters(max_codepoint=0x7FF, exclude_categories=["Cs"]), max_size=10))
    return kind, size, value, text, mistakes, draw(rules)


def as_json(value):
    return [exact_str(v) for v in value] if isinstance(value, list) else exact_str(value)


def too_short(typed, exact: sympy.Rational, rule: DecimalRule) -> bool:
    """The page's "close, but not precise enough": a decimal the rule refuses that is a correct
    rounding of the answer to the places it has (accepts's own test), so only its precision fell
    short, and what it confirms are digits the student typed."""
    if rule.accepts(typed, exact):
        return False
    places = typed.places
    if places is None and rule.decimals == 0 and "/" not in typed.text:
        places = 0
    return places is not None and abs(typed.value - exact) * 2 * 10**places <= 1


def python_verdict(text, kind, size, value, mistakes, rule):
    try:
        reading = read_response(text, kind, size)
    except Unreadable as err:
        return {"status": "unreadable", "share": "0", "reason": str(err), "mistakes": [], "short": []}
    share = credit(reading, kind, value, rule)
    status = "correct" if share == 1 else "partial" if share > 0 else "wrong"
    names = [] if status == "correct" else [
        f"m{i}" for i, wrong in enumerate(mistakes) if matches(reading, kind, wrong, rule)
    ]
    readings, values = (reading, value) if kind == "vector" else ([reading], [value])
    short = [] if status == "correct" else [
        i for i, (typed, exact) in enumerate(zip(readings, values, strict=True), 1) if too_short(typed, exact, rule)
    ]
    return {"status": status, "share": str(share), "reason": "", "mistakes": names, "short": short}


CHECK = """
const r = examgenAnswers.check(arguments[0], arguments[1], arguments[2]);
return {status: r.status, right: r.right, outOf: r.outOf, reason: r.reason, mistakes: r.mistakes,
        short: r.short.map(s => s.component)};
"""


@pytest.fixture(scope="module")
def answers_page(chromium, lecture14_site):
    chromium.get((lecture14_site / "tags" / "lecture-14.html").as_uri())
    return chromium


# A right value with too few digits: 0.07 for 9/128 (two significant digits asked), 2.3 for 7/3
# (two places), one component of a vector; a wrong rounding (2.4) or too-short truncation (0.6 for
# 2/3) is not "close".
@example(case=("number", 0, sympy.Rational(9, 128), "0.07", [], DecimalRule(2, 2)))
@example(case=("number", 0, sympy.Rational(7, 3), "2.3", [], DecimalRule(2, 2)))
@example(case=("number", 0, sympy.Rational(7, 3), "2.4", [], DecimalRule(2, 2)))
@example(case=("number", 0, sympy.Rational(2, 3), "0.6", [], DecimalRule(2, 2)))
@example(case=("number", 0, sympy.Rational(-63, 4), "-16", [], DecimalRule(0, 3)))
@example(case=("vector", 2, [sympy.Rational(7, 3), 3], "(2.3, 3)", [], DecimalRule(2, 2)))
# A whole number with no places asked for (decimals = 0): a rounding to none, here and in grade.
@example(case=("number", 0, sympy.Rational(-63, 4), "-16", [], DecimalRule(0, 1)))
@example(case=("vector", 2, [sympy.Rational(7, 2), 3], "(4, 3)", [], DecimalRule(0, 2)))
@example(case=("vector", 2, [sympy.Rational(1), 3], "(1,3.44", [], DecimalRule()))
@example(case=("vector", 2, [sympy.Rational(1), 3], "1, 3)^T", [], DecimalRule()))
@example(case=("vector", 2, [sympy.Rational(1), 3], "(1, x)", [], DecimalRule()))
# Counted only as numbers: "hello" has none (an auditor's: "it has 1 number; expected 2").
@example(case=("vector", 2, [sympy.Rational(1), 3], "hello", [], DecimalRule()))
@example(case=("vector", 3, [sympy.Rational(1), 3, 4], "(1, 3, x, 4)", [], DecimalRule()))
@example(case=("vector", 2, [sympy.Rational(1), 3], "(1, 2, 3)", [], DecimalRule()))
@example(case=("number", 0, sympy.Rational(7, 3), "2." + "3" * 250, [], DecimalRule(2, 2)))
@example(case=("number", 0, sympy.Rational(7, 3), "2." + "3" * 198, [], DecimalRule(2, 2)))
@example(case=("number", 0, sympy.Rational(7, 3), "2." + "3" * 1998, [], DecimalRule(2, 2)))
# A zero-width space pasted with an answer (an auditor's: unreadable on 793abf8, in both); a
# direction override stays unreadable in both.
@example(case=("number", 0, sympy.Rational(3, 64), "3 / 64 \u200b", [], DecimalRule()))
@example(case=("vector", 2, [sympy.Rational(1), 3], "\ufeff(1,\u2060 3)\u200d", [], DecimalRule()))
@example(case=("number", 0, sympy.Rational(3, 64), "\u202e3/64", [], DecimalRule()))
@given(case=cases())
def test_answers_js_agrees_with_the_grading_rule(answers_page, case):
    kind, size, value, text, mistakes, rule = case
    assume(normalize(text) != "")
    question = {
        "kind": kind,
        "size": size,
        "value": as_json(value),
        "mistakes": [{"name": f"m{i}", "value": as_json(m)} for i, m in enumerate(mistakes)],
    }
    js = answers_page.execute_script(CHECK, text, question, rule.to_json())
    expected = python_verdict(text, kind, size, value, mistakes, rule)
    event(f"{expected['status']}{' with a named mistake' if expected['mistakes'] else ''}")
    if expected["short"]:
        event("a component too short")
    got = {
        "status": js["status"],
        "share": str(sympy.Rational(js["right"], js["outOf"])),
        "reason": js["reason"],
        "mistakes": js["mistakes"],
        "short": js["short"],
    }
    assert got == expected, text


@given(rule=rules)
def test_the_page_words_the_rule_as_grading_does(answers_page, rule):
    """The "not precise enough" message says what the rule asks in the hint's own words."""
    assert answers_page.execute_script("return examgenAnswers.describe(arguments[0])", rule.to_json()) == rule.describe()
