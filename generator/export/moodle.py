"""Moodle XML: one question category per slot, holding that slot's variants.

A quiz built with "Add a random question" from each category gives every student one variant per
slot. Question types by answer kind: a number → ``numerical``; a vector → ``cloze`` (multianswer)
with one NUMERICAL blank per component, each worth the same, so partial credit is per component
as in ``examgen grade``; true/false → ``truefalse``; a choice → ``multichoice`` (options in the
variant's order, not reshuffled, so the letters match the key). Numeric answers carry the
tolerance of the grading rule: half a unit in the last decimal place the rule requires for that
value (its ``decimals``, or more for a small value that needs them for its significant digits).

Feedback (``generator.export.feedback``): each named mistake's value is an answer of a numerical
question or cloze blank, with the mistake's explanation as its feedback; a wrong option of a
multiple-choice question says why it is wrong; both carry the spec's ``[grading.partial]`` credit
for the mistake, as ``examgen grade`` gives it (``moodle_share``: Moodle takes only its own list
of shares; a cloze blank stays at 0%, since grade credits a mistake's vector only whole); both
answers of a true/false question explain the statement; the worked solution is every question's
general feedback. Moodle sizes a cloze blank from its longest stored answer, so every number a
blank stores is written ``CLOZE_WIDTH`` characters long: the blank's size says nothing about the
answer.

Each question's name ends with the variant's fingerprint in brackets, and its ``idnumber`` is
the fingerprint too (or, past Moodle's 100 characters, its digest); Moodle 4.5 keeps both on
import, cloze questions included.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sympy

from generator.exact import exact_str, points_text
from generator.export.feedback import (
    MistakeValue,
    component_mistakes,
    mistake_values,
    option_feedback,
    statement_feedback,
)
from generator.export.pools import (
    ExportVariant,
    Pool,
    choice_options,
    decimal_text,
    entry_hint,
    fixed_width,
    serialise,
    xml_safe,
)
from generator.files import file_start
from generator.fingerprint import fingerprint_digest
from generator.htmlmath import escape_html
from generator.partial_credit import PartialCredit
from generator.responses import DecimalRule
from generator.spec import Spec


def _text(parent: ET.Element, tag: str, text: str, fmt: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = text
    return element


def category_path(spec: Spec, seed: int, pool: Pool) -> str:
    return f"$course$/top/{spec.id}-seed{seed}/q{pool.number}"


NAME_LIMIT = 255  # Moodle's question name column
IDNUMBER_LIMIT = 100  # Moodle's idnumber column


def question_name(item: ExportVariant) -> str:
    """``q1 s001 [<fingerprint>]``; a note too long for Moodle is cut, keeping the digest."""
    head = f"q{item.slot.number} {item.label} ["
    room = NAME_LIMIT - len(head) - 1
    fp = item.fingerprint
    if len(fp) > room:
        tail = " #" + fingerprint_digest(fp)
        fp = fp[: room - len(tail) - 1] + "…" + tail
    return f"{head}{fp}]"


def question_idnumber(item: ExportVariant) -> str:
    """The fingerprint when it fits Moodle's ID number, else its digest (unique all the same)."""
    fp = item.fingerprint
    return fp if len(fp) <= IDNUMBER_LIMIT else fingerprint_digest(fp)


def _header(question: ET.Element, item: ExportVariant, text: str, grade: bool = True) -> None:
    _text(question, "name", question_name(item))
    _text(question, "questiontext", text, "html")
    _text(question, "generalfeedback", item.solution, "html")
    if grade:
        ET.SubElement(question, "defaultgrade").text = points_text(item.slot.points)
    ET.SubElement(question, "penalty").text = "0"
    ET.SubElement(question, "hidden").text = "0"
    ET.SubElement(question, "idnumber").text = question_idnumber(item)


#: The shares of a question's mark Moodle lets an answer give (``question_bank::fraction_options``:
#: p/q for q ≤ 6, p/10, 1/q for q ≤ 10, and 1/20); its import refuses a question with any other.
MOODLE_SHARES = tuple(
    sorted(
        {sympy.Rational(p, q) for q in range(1, 7) for p in range(q + 1)}
        | {sympy.Rational(p, 10) for p in range(11)}
        | {sympy.Rational(1, q) for q in range(1, 11)}
        | {sympy.Rational(1, 20)}
    )
)


def moodle_share(credit: sympy.Rational) -> sympy.Rational:
    """The largest share Moodle can give that is not above ``credit``: an answer never earns
    more online than ``examgen grade`` gives it."""
    return max(share for share in MOODLE_SHARES if share <= credit)


def percent_text(share: sympy.Rational) -> str:
    """A share as a Moodle answer's ``fraction``, in percent to five places as Moodle writes it
    (``33.33333``; its import matches a share to within 0.00001)."""
    whole, part = divmod(int(sympy.floor(share * 10**7 + sympy.Rational(1, 2))), 10**5)
    return f"{whole}.{part:05d}".rstrip("0").rstrip(".")


def mistake_share(partial: PartialCredit, names: Sequence[str]) -> sympy.Rational:
    """What an answer showing the mistakes ``names`` earns in Moodle: their best credit."""
    award = partial.award(names)
    return moodle_share(award[1]) if award else sympy.Integer(0)


def partial_notes(partial: PartialCredit) -> list[str]:
    """The credits Moodle cannot give as they are, and what the export gives instead."""
    return [
        f"grading.partial.{name} = {exact_str(credit)}: Moodle gives an answer only one of its "
        f"fixed shares of the mark, so the export gives {exact_str(moodle_share(credit))}, the "
        "nearest below (examgen grade gives the spec's); choose a share such as 1/2, 1/3, 1/4, "
        "3/10 or 1/20 to have both agree"
        for name, credit in partial.credits
        if credit not in MOODLE_SHARES
    ]


def _answer(
    question: ET.Element,
    text: str,
    fraction: sympy.Rational | int,
    fmt: str = "moodle_auto_format",
    feedback: str = "",
    **extra: str,
) -> None:
    attributes = {"fraction": percent_text(sympy.Rational(fraction)), "format": fmt}
    answer = ET.SubElement(question, "answer", attributes)
    ET.SubElement(answer, "text").text = text
    for tag, value in extra.items():
        ET.SubElement(answer, tag).text = value
    _text(answer, "feedback", feedback, "html")


#: The length of every number a cloze blank stores (Moodle sizes the blank from the longest).
CLOZE_WIDTH = 18
# Inside a cloze blank, Moodle's parser ends a feedback at ``~`` or ``}``, decodes HTML entities,
# then turns ``\}`` and ``\#`` into ``}`` and ``#``. Writing the special characters (``&`` too) as
# entities keeps any HTML intact; the two LaTeX commands that would be mangled are spelled
# ``\rbrace`` and ``\unicode{35}`` instead, which MathJax reads the same.
_CLOZE_ESCAPES = str.maketrans(
    {"&": "&amp;", "{": "&#123;", "}": "&#125;", "~": "&#126;", "\\": "&#92;", "#": "&#35;"}
)


def cloze_feedback(html: str) -> str:
    """Inline HTML (no ``<p>``: the blank sits inside the question's own paragraph) as a cloze
    answer's feedback: Moodle's import stores it as written, math the same."""
    html = html.replace("\\}", "\\rbrace ").replace("\\#", "\\unicode{35}")
    return html.translate(_CLOZE_ESCAPES)


#: What Moodle's cloze import takes for a blank (``{1:NUMERICAL:=42}``, ``{:SA:…}``) or for a
#: blank's place (``{#1}``) wherever it stands in the question's text, math included.
_CLOZE_SYNTAX = re.compile(r"\{(?=[0-9]*:|#)")


def cloze_statement(html: str) -> str:
    """A statement as the text around cloze blanks: a brace that would open Moodle's blank
    syntax written as an entity, which the browser, and so MathJax, reads as the brace."""
    return _CLOZE_SYNTAX.sub("&#123;", html)


def cloze_blank(value: sympy.Rational, mistakes: list[MistakeValue], rule: DecimalRule) -> str:
    """``{1:NUMERICAL:=answer:tol~%0%mistake:tol#why~…}``, every number CLOZE_WIDTH long."""
    alternatives = [f"={fixed_width(value, CLOZE_WIDTH)}:{decimal_text(rule.tolerance(value))}"]
    for mistake in mistakes:
        alternatives.append(
            f"%0%{fixed_width(mistake.value, CLOZE_WIDTH)}:"
            f"{decimal_text(rule.tolerance(mistake.value))}#{cloze_feedback(mistake.explanation)}"
        )
    return "{1:NUMERICAL:" + "~".join(alternatives) + "}"


NO_PARTIAL = PartialCredit()


def question_element(
    item: ExportVariant, rule: DecimalRule, partial: PartialCredit = NO_PARTIAL
) -> ET.Element:
    answer = item.answer
    if answer.kind == "number":
        question = ET.Element("question", {"type": "numerical"})
        _header(question, item, item.statement + entry_hint(rule, fractions=False))
        tolerance = decimal_text(rule.tolerance(answer.value))
        _answer(question, decimal_text(answer.value), 1, tolerance=tolerance)
        # Moodle takes the first answer a response is within tolerance of: the right one first,
        # then the mistakes by their credit, least first, so that a response within tolerance of
        # two (a coarse rule) earns no more than grade gives the one it is (the larger of two).
        mistakes = mistake_values(item.variant)
        shares = {m.names: mistake_share(partial, m.names) for m in mistakes}
        for mistake in sorted(mistakes, key=lambda m: shares[m.names]):
            tolerance = decimal_text(rule.tolerance(mistake.value))
            _answer(
                question,
                decimal_text(mistake.value),
                shares[mistake.names],
                feedback=mistake.html,
                tolerance=tolerance,
            )
        ET.SubElement(question, "unitgradingtype").text = "0"
        ET.SubElement(question, "showunits").text = "3"  # no units
        return question
    if answer.kind == "vector":
        question = ET.Element("question", {"type": "cloze"})
        blanks = ", ".join(
            cloze_blank(v, component_mistakes(item.variant, i), rule)
            for i, v in enumerate(answer.value)
        )
        hint = entry_hint(rule, fractions=False)
        text = cloze_statement(item.statement) + hint + f"<p>Answer: ( {blanks} )</p>\n"
        _header(question, item, text, grade=False)  # Moodle sums the blanks' weights
        return question
    if answer.kind == "bool":
        question = ET.Element("question", {"type": "truefalse"})
        _header(question, item, item.statement)
        why = statement_feedback(item.variant)
        _answer(question, "true", 1 if answer.value else 0, feedback=why)
        _answer(question, "false", 0 if answer.value else 1, feedback=why)
        return question
    question = ET.Element("question", {"type": "multichoice"})
    _header(question, item, item.statement)
    settings: dict[str, Any] = {
        "single": "true",
        "shuffleanswers": "false",  # the letters must stay those of the key
        "answernumbering": "ABCD",
        "showstandardinstruction": "0",
    }
    for tag, value in settings.items():
        ET.SubElement(question, tag).text = value
    for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        _text(question, tag, "", "html")
    why = option_feedback(item.variant)
    sources = {c.letter: c.source for c in item.variant.solution.steps.get("choices", ())}
    named = item.variant.family.misconceptions(item.variant.params, item.variant.solution)
    for letter, html in choice_options(item.variant):
        if letter == str(answer.value).upper():
            share: sympy.Rational | int = 1
        else:  # a wrong option a named mistake gives earns that mistake's credit, as in grade
            source = sources.get(letter)
            share = mistake_share(partial, [source]) if source in named else 0
        _answer(question, html, share, "html", feedback=why.get(letter, ""))
    return question


#: How examgen's Moodle XML begins (``serialise``'s declaration, then the first slot's category):
#: ``is_moodle_export`` knows an earlier export by it. Moodle's own export writes its declaration
#: in double quotes and a comment before the first question.
MOODLE_START = b"<?xml version='1.0' encoding='utf-8'?>\n<quiz>\n  <question type=\"category\">\n"


def is_moodle_export(path: Path) -> bool:
    return file_start(path, len(MOODLE_START)) == MOODLE_START


def moodle_xml(spec: Spec, seed: int, pools: list[Pool]) -> bytes:
    quiz = ET.Element("quiz")
    for pool in pools:
        category = ET.SubElement(quiz, "question", {"type": "category"})
        _text(category, "category", category_path(spec, seed, pool))
        ids = sorted({item.variant.family.ID for item in pool.variants})
        families = escape_html(", ".join(ids))
        _text(
            category,
            "info",
            f"{escape_html(spec.title)}, question {pool.number} ({families}): "
            f"{len(pool.variants)} variants, seed {seed}. Worth {points_text(pool.points)} "
            f"point{'s' * (pool.points != 1)}: give the quiz slot that mark "
            "(Moodle gives a random question 1 by default).",
            "html",
        )
        for item in pool.variants:
            quiz.append(xml_safe(question_element(item, spec.grading, spec.partial), item))
    return serialise(quiz)
