"""Markdown escaping and math formatting: text prints literally, numbers print exactly.

(LaTeX escaping has its own table and properties in test_latex_escaping.py.)
"""

from __future__ import annotations

import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from generator.exact import latex
from generator.render import (
    column_tex,
    escape_markdown,
    join_and,
    ordinal,
    tex_paren,
    tex_term,
)


@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from("`*_[]<>#|$&\\"))))
@example("&amp; &lt;")  # a roster name
def test_markdown_escape_neutralises_markup(text):
    out = escape_markdown(text)
    unescaped = out.replace("\\\\", "")
    for ch in "`*_[]<>#|$&":  # & (on 248b4b9 a name &amp; showed as &)
        assert ch not in unescaped.replace("\\" + ch, "")


@given(st.fractions(max_denominator=50))
def test_latex_numbers_are_exact(value):
    r = sympy.Rational(value.numerator, value.denominator)
    text = latex(r)
    if r.q == 1:
        assert text == str(r.p)
    else:
        sign = "-" if r < 0 else ""
        assert text == f"{sign}\\frac{{{abs(r.p)}}}{{{r.q}}}"
    assert tex_paren(r) == (f"({text})" if r < 0 else text)
    assert tex_term(r) == (f"- {latex(-r)}" if r < 0 else f"+ {text}")


def test_column_and_words():
    assert column_tex([sympy.Integer(4), sympy.Rational(-9, 2)]) == (
        r"\begin{bmatrix}4\\ -\frac{9}{2}\end{bmatrix}"
    )
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
    ]
    assert join_and(["1st"]) == "1st"
    assert join_and(["1st", "4th"]) == "1st and 4th"
    assert join_and(["1st", "2nd", "4th"]) == "1st, 2nd and 4th"
