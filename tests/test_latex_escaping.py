"""User text in LaTeX: whatever a roster or spec holds, the ``text`` filter's output is inert.

Invariant: ``escape_latex(s)`` contains no character that LaTeX treats specially except inside
the escapes it emits itself; every control word it emits ends at a brace (so it cannot swallow
the letters after it); braces balance; and each non-ASCII character is either printed as itself,
from the T5 fonts, by accent commands, or by a visible ``U+XXXX`` stand-in that
``unprintable_characters`` reports. (tests/test_pdf.py checks the printed result with pdftotext.)
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from generator.render import escape_latex
from generator.tex_unicode import (
    ACCENTS,
    T5_SLOTS,
    in_t1,
    unicode_latex,
    unprintable_characters,
)


@pytest.mark.parametrize(
    ("char", "escaped"),
    [
        ("#", r"\#"),
        ("$", r"\$"),
        ("%", r"\%"),
        ("&", r"\&"),
        ("~", r"\textasciitilde{}"),
        ("_", r"\_"),
        ("^", r"\textasciicircum{}"),
        ("\\", r"\textbackslash{}"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("<", r"\textless{}"),
        (">", r"\textgreater{}"),
        ("|", r"\textbar{}"),
        ("'", r"\textquotesingle{}"),
        ("`", r"\textasciigrave{}"),
    ],
)
def test_every_special_character_has_its_escape(char: str, escaped: str) -> None:
    """The table every LaTeX escaper needs (nbconvert's test, extended): one entry per special."""
    assert escape_latex(char) == escaped
    assert escape_latex(f"a{char}b") == f"a{escaped}b"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a--b", "a-{}-b"),  # not an en dash
        ("a---b", "a-{}-{}-b"),
        (",,", ",{},"),  # not a low quote
        ("line\nbreak\ttab", "line break tab"),  # nothing can end a line (or a comment)
        (r"\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
    ],
)
def test_text_that_would_not_print_literally(text: str, escaped: str) -> None:
    assert escape_latex(text) == escaped


# What escape_latex may emit: escaped specials, and control words that end at a brace.
_EMITTED = re.compile(r"\\(?:[#$%&_{}]|[A-Za-z]+\{[0-9A-F]*\}|[A-Za-z]+(?=\{)|[`'^~=.\"](?=\{))")
_SPECIAL = set("\\#$%&~_^")


def assert_inert(escaped: str) -> None:
    assert not re.search(r"\\[A-Za-z]+(?![A-Za-z{])", escaped), escaped  # no command eats text
    rest = _EMITTED.sub("", escaped)
    assert not _SPECIAL & set(rest), escaped
    depth = 0
    for char in rest:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, escaped
    assert depth == 0, escaped


@given(st.text())
@example(r"\immediate\write18{touch /tmp/x}")
@example("}{\\end{document}")
@example("^^5cinput")  # TeX's ^^ notation for a backslash
@example("e\u0302\u0303 n\u0308 x\u031b \u0308")
def test_any_text_is_inert(text: str) -> None:
    """Property: no input, however hostile or exotic, yields live LaTeX."""
    assert_inert(escape_latex(text))


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("Zoë", "Zoë"),  # T1 has these: passed through for inputenc
        ("Łukasz", "Łukasz"),
        ("Nguyễn Văn An", r"Nguy\examgenTfive{185}n Văn An"),  # ễ from the T5 fonts
        ("Trương", r"Tr\examgenTfive{247}\examgenTfive{236}ng"),
        ("王", r"\examgenmissing{738B}"),  # no font: a visible code
        ("Zoe\u0308", "Zoë"),  # decomposed input (macOS) is composed first
        ("n\u0308", r"\"{n}"),  # no precomposed letter: T1 builds the accent
    ],
)
def test_unicode_names(name: str, printed: str) -> None:
    assert escape_latex(name) == printed


VIETNAMESE_VOWELS = {"a": ("", "CIRCUMFLEX", "BREVE"), "e": ("", "CIRCUMFLEX"), "i": ("",),
                     "o": ("", "CIRCUMFLEX", "HORN"), "u": ("", "HORN"), "y": ("",)}  # fmt: skip
TONES = ("", "GRAVE", "ACUTE", "TILDE", "HOOK ABOVE", "DOT BELOW")


def vietnamese_letters() -> set[str]:
    """All 146 letters of Vietnamese (12 vowels × 6 tones × 2 cases, and đ), by Unicode name."""
    letters = {"đ", "Đ"}
    for base, shapes in VIETNAMESE_VOWELS.items():
        for shape in shapes:
            for tone in TONES:
                marks = " AND ".join(m for m in (shape, tone) if m)
                marks = f" WITH {marks}" if marks else ""
                for case in ("CAPITAL", "SMALL"):
                    letters.add(unicodedata.lookup(f"LATIN {case} LETTER {base.upper()}{marks}"))
    return letters


def test_t5_table_holds_exactly_the_vietnamese_letters_t1_lacks() -> None:
    """Every Vietnamese letter prints: from T1 if it has the letter, else from T5."""
    letters = vietnamese_letters()
    assert len(letters) == 146
    assert {c for c in letters if not in_t1(c)} == set(T5_SLOTS)
    assert all(unprintable_characters(c) == [] for c in letters)


@pytest.mark.parametrize("name", ["Ψυχή Ελένη", "Плавт Иван", "王小明", "김민준", "たなか"])
def test_names_in_non_latin_scripts_print_as_codes(name: str) -> None:
    """README: "The fonts cover Latin scripts only: a Greek, Cyrillic, Chinese, Japanese or Korean
    name prints as `U+XXXX` codes" (each letter, the spaces aside)."""
    assert set(unprintable_characters(name)) == set(name) - {" "}
    assert escape_latex(name).count(r"\examgenmissing{") == len(name.replace(" ", ""))


def test_unprintable_characters_reports_only_stand_ins() -> None:
    assert unprintable_characters("Zoë Nguyễn n\u0308") == []
    assert unprintable_characters("王小明 王") == ["王", "小", "明"]
    assert unprintable_characters("x\u031b") == ["\u031b"]  # a horn on x: no font builds it


@given(st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x2FFF)))
@example("\u0300")
def test_stand_ins_are_reported(text: str) -> None:
    """Every ``\\examgenmissing`` the escaper emits is a character ``unprintable_characters``
    names, so the build's notice is complete."""
    text = unicodedata.normalize("NFC", text)
    codes = re.findall(r"\\examgenmissing\{([0-9A-F]+)\}", unicode_latex(text))
    assert {chr(int(c, 16)) for c in codes} == set(unprintable_characters(text))


def test_accents_are_combining_marks() -> None:
    assert all(unicodedata.combining(mark) for mark in ACCENTS)


def test_long_words_can_wrap() -> None:
    """A 300-letter name wraps inside the header instead of running off the page."""
    escaped = escape_latex("X" * 300)
    assert escaped.replace(r"\allowbreak{}", "") == "X" * 300
    assert all(len(chunk) <= 24 for chunk in escaped.split(r"\allowbreak{}"))


def test_a_hyphenated_name_breaks_at_its_hyphens() -> None:
    """TeX may break a line after a hyphen, so no break goes inside a part of a hyphenated name
    shorter than a long word ("Konstantinopoulou-Vander" / "bilt-…" printed, an outside
    review's); a long part still gets its own."""
    name = "Konstantinopoulou-Vanderbilt-Featherstonehaugh"
    assert escape_latex(name) == name
    long_part = "Ann-" + "X" * 30
    assert escape_latex(long_part) == "Ann-" + "X" * 24 + r"\allowbreak{}" + "X" * 6


@pytest.mark.parametrize("before", [23, 24, 47])
def test_a_long_name_never_breaks_between_a_letter_and_its_combining_mark(before):
    """On main a break went in after every 24th code point, so ``q`` + U+0303 (no precomposed
    form, so NFC leaves it as two) could be split and the tilde printed as a U+ code."""
    name = "x" * before + "q\u0303" + "y" * 30
    escaped = escape_latex(name)
    assert r"\~{q}" in escaped
    assert "U+0303" not in escaped
    assert escaped.count(r"\allowbreak{}") == (len(name) - 1) // 24  # still breakable
