"""The variants an LMS export holds: per question slot, a pool of distinct variants as HTML.

Variant k of a slot is the variant the numbered student ``s00k`` gets in ``examgen build --count N``
with the same seed and spec (same seeding, same code path: ``generate_student``), so an export and
a build agree variant for variant, and each exported variant's fingerprint finds its key entry.
Variants whose fingerprints repeat within a slot (a small family) are exported once: an LMS
category must not hold the same question twice.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

import sympy

from generator.build import generate_student
from generator.characters import unprintable
from generator.errors import ExamgenError
from generator.exact import terminating_decimal
from generator.families.base import Answer, Variant
from generator.fingerprint import fingerprint
from generator.htmlmath import text_to_html
from generator.render import render_html_part, tex_inline, tuple_tex
from generator.responses import DecimalRule, read_number
from generator.roster import numbered_students
from generator.seeding import check_seed
from generator.spec import Slot, Spec


@dataclass(frozen=True)
class ExportVariant:
    slot: Slot
    label: str  # the numbered student whose variant this is: "s001"
    variant: Variant
    fingerprint: str
    statement: str  # HTML: the question text
    solution: str  # HTML: the worked solution, the LMS's general feedback

    @property
    def answer(self) -> Answer:
        return self.variant.solution.answer


@dataclass(frozen=True)
class Pool:
    slot: Slot
    variants: tuple[ExportVariant, ...]
    requested: int

    @property
    def number(self) -> int:
        return self.slot.number

    @property
    def points(self) -> int | float:
        return self.slot.points


def _html(variant: Variant, slot: Slot, part: str) -> str:
    return render_html_part(variant, part, number=slot.number, points=slot.points)


def build_pools(spec: Spec, seed: int, count: int) -> list[Pool]:
    """``count`` variants per slot (fewer if some repeat), in student order."""
    check_seed(seed)
    if count < 1:
        raise ExamgenError(f"--variants must be at least 1, got {count}")
    found: dict[int, dict[str, ExportVariant]] = {slot.number: {} for slot in spec.slots}
    for student in numbered_students(count):
        for question in generate_student(spec, seed, student).questions:
            pool = found[question.slot.number]
            fp = fingerprint(question.variant)
            if fp in pool:
                continue
            pool[fp] = ExportVariant(
                slot=question.slot,
                label=student.id,
                variant=question.variant,
                fingerprint=fp,
                statement=_html(question.variant, question.slot, "statement"),
                solution=_html(question.variant, question.slot, "solution"),
            )
    return [Pool(slot, tuple(found[slot.number].values()), count) for slot in spec.slots]


def xml_safe(element: ET.Element, item: ExportVariant) -> ET.Element:
    """An item's question element, if XML 1.0 can hold all of its text. ElementTree writes a
    control character as it is, which no XML parser (Moodle's, Canvas's) reads; the texts come
    from the family (its template, bank or mistake explanations), so the family is named."""
    for node in element.iter():
        for text in (node.text, node.tail, *node.attrib.values()):
            char = unprintable(text or "")
            if char is not None:
                at = text.index(char)
                raise ExamgenError(
                    f"family {item.variant.family.ID}: the variant of question {item.slot.number} "
                    f"for {item.label} holds U+{ord(char):04X}, which XML (Moodle, Canvas) cannot "
                    f"hold, in {text[max(0, at - 30) : at + 30]!r}; remove it from the "
                    "family's template, bank or mistake explanations"
                )
    return element


def serialise(root: ET.Element) -> bytes:
    """The XML file of ``root``, indented. A carriage return in text (a spec's title may hold
    one) is written as ``&#13;``: ElementTree writes it as it is, and every XML parser reads a
    literal one back as a line feed (in attributes ElementTree escapes it itself)."""
    ET.indent(root)
    written = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return written.replace(b"\r", b"&#13;") + b"\n"


# --- answers as an LMS wants them -----------------------------------------------------------------
def decimal_text(value: sympy.Rational, digits: int = 15, rounding: str = ROUND_HALF_EVEN) -> str:
    """A number for an LMS numeric field: exact when the decimal terminates (``4.5``), else
    ``digits`` significant digits (``2.33333333333333``), close enough to recover the fraction;
    ``rounding``: ``decimal``'s, e.g. outward for the ends of a range (``range_texts``)."""
    value = sympy.Rational(value)
    exact = terminating_decimal(value)
    if exact is not None:
        return exact
    with localcontext() as context:
        context.prec, context.rounding = digits, rounding
        return format(Decimal(int(value.p)) / Decimal(int(value.q)), "f")


def range_texts(value: sympy.Rational, tolerance: sympy.Rational) -> tuple[str, str]:
    """The ends of ``value`` ± ``tolerance`` for an LMS numeric field, each rounded outward: to
    the nearest, both ends of a narrow range (15 places asked for) could round to one number
    that ``examgen grade`` refuses, and shut out the right rounding."""
    return (
        decimal_text(value - tolerance, rounding=ROUND_FLOOR),
        decimal_text(value + tolerance, rounding=ROUND_CEILING),
    )


def fixed_width(value: sympy.Rational, width: int) -> str:
    """``value`` as a decimal exactly ``width`` characters long (``4.0000…``, ``-2.3333…``),
    rounded half up in its last place; longer only if its whole part alone does not fit."""
    value = sympy.Rational(value)
    sign = "-" if value < 0 else ""
    places = max(1, width - len(f"{sign}{int(abs(value))}."))
    while True:
        p, q = int(abs(value).p) * 10**places, int(abs(value).q)
        whole, frac = divmod((2 * p + q) // (2 * q), 10**places)
        text = f"{sign if whole or frac else ''}{whole}.{frac:0{places}d}"
        if len(text) <= width or places == 1:
            return text
        places -= 1  # rounding carried into the whole part (9.99… → 10.00…)


def entry_hint(rule: DecimalRule, fractions: bool) -> str:
    """How a question's answer field takes numbers, in the words every export uses: a numeric
    field (Moodle, Canvas) refuses fractions; a Canvas blank takes either."""
    how = (
        "as a fraction such as 7/3 or as a decimal"
        if fractions
        else "as a decimal (a fraction such as 7/3 is not accepted)"
    )
    return f"<p><em>Enter each number {how}, rounded to {rule.describe()}.</em></p>\n"


def accepted_texts(value: sympy.Rational, rule: DecimalRule, extra_places: int = 2) -> list[str]:
    """Every way to type ``value`` that the rule accepts, up to ``extra_places`` places past
    those its size asks for (``places_shown``): for an LMS that matches answers as text (Canvas
    fill-in-the-blank).

    The ways: the fraction in lowest terms (an integer as itself) and each accepted decimal, with
    and without the leading zero of a value below 1 (``0.89``, ``.89``)."""
    value = sympy.Rational(value)
    texts = [str(value)]
    # From the rule's own places (none: a whole number, 10 for 31/3), not only from those the
    # value's size asks for: rounding up may carry into a new digit (0.10 for 0.0977).
    for places in range(rule.decimals, rule.places_shown(value) + extra_places + 1):
        scaled = value * 10**places
        for c in dict.fromkeys((sympy.floor(scaled), sympy.ceiling(scaled))):
            sign = "-" if c < 0 else ""
            whole, frac = divmod(abs(int(c)), 10**places)
            text = f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"
            if rule.accepts(read_number(text), value):
                texts.append(text)
                if whole == 0 and places:  # ".89", "-.89": grade reads them, so the blank does
                    texts.append(f"{sign}.{frac:0{places}d}")
    return list(dict.fromkeys(texts))


def choice_options(variant: Variant) -> list[tuple[str, str]]:
    """A choice question's options as (letter, HTML), in the order the student sees them: the
    ``generator.choices.Choice`` objects every choice family keeps in ``steps["choices"]``."""
    choices = variant.solution.steps.get("choices")
    if not choices:
        raise ExamgenError(
            f"family {variant.family.ID}: a choice answer needs its options in "
            'solution.steps["choices"] to be exported'
        )
    return [(choice.letter, option_html(choice.kind, choice.value)) for choice in choices]


def option_html(kind: str, value: Any) -> str:
    """One option's text as HTML: a vector as \\((4, 9)^T\\), a number as math, prose as is."""
    if kind == "vector":
        return r"\(" + tuple_tex(value) + r"^T\)"
    if kind == "number":
        return r"\(" + tex_inline(value) + r"\)"
    return text_to_html(str(value))
