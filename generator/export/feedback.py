"""What an LMS tells a student about the answer they gave: the named mistake behind a wrong value,
why a distractor is wrong, why a statement is true or false.

Everything here is asked of the family (``Family.misconceptions`` for the values,
``Family.mistake_explanation`` for the sentences) or read from the statement bank the variant came
from, so a family that names a new mistake gets its feedback online without any change here. The
sentences are LaTeX-math-in-prose; they come out as HTML with ``\\( … \\)`` math, one ``<p>`` each
(Canvas keeps only the first paragraph of an answer's comment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from generator.choices import same_value
from generator.families.base import Variant
from generator.htmlmath import text_to_html


@dataclass(frozen=True)
class MistakeValue:
    """A wrong value one or more named mistakes produce, with what to tell the student."""

    names: tuple[str, ...]
    value: Any  # a Rational, or a tuple of them for a vector answer
    explanation: str  # HTML, inline: the mistakes' sentences

    @property
    def html(self) -> str:
        return f"<p>{self.explanation}</p>"


def inline(sentences: Sequence[str]) -> str:
    """Bank or mistake sentences (``$…$`` math) as inline HTML."""
    return " ".join(text_to_html(s) for s in sentences)


def paragraph(sentences: Sequence[str]) -> str:
    """Bank or mistake sentences as one HTML paragraph."""
    return f"<p>{inline(sentences)}</p>"


def _grouped(correct: Any, named: dict[str, Any], explain: Any) -> list[MistakeValue]:
    """Values that differ from ``correct``, each once, with every mistake that leads to it (in the
    family's declared order, so the result is deterministic)."""
    groups: list[tuple[Any, list[str]]] = []
    for name, value in named.items():
        if same_value(value, correct):
            continue
        for seen, names in groups:
            if same_value(seen, value):
                names.append(name)
                break
        else:
            groups.append((value, [name]))
    return [
        MistakeValue(tuple(names), value, inline([explain(n) for n in names]))
        for value, names in groups
    ]


def mistake_values(variant: Variant) -> list[MistakeValue]:
    """A free-answer variant's named wrong answers (numbers or vectors), apart from the answer."""
    answer = variant.solution.answer
    if answer.kind not in ("number", "vector"):
        return []
    family = variant.family
    named = dict(family.misconceptions(variant.params, variant.solution))
    return _grouped(answer.value, named, family.mistake_explanation)


def component_mistakes(variant: Variant, index: int) -> list[MistakeValue]:
    """For one blank of a vector answer: the component values the named mistakes give there."""
    answer = variant.solution.answer
    family = variant.family
    named = {
        name: sympy.Rational(value[index])
        for name, value in family.misconceptions(variant.params, variant.solution).items()
        if isinstance(value, Sequence) and len(value) == len(answer.value)
    }
    return _grouped(answer.value[index], named, family.mistake_explanation)


def option_feedback(variant: Variant) -> dict[str, str]:
    """Letter → why that wrong option is wrong, for every wrong option of a choice question: the
    named mistake's explanation (a numeric family asked as multiple choice) or the bank's."""
    family = variant.family
    named = family.misconceptions(variant.params, variant.solution)
    feedback = {}
    for choice in variant.solution.steps.get("choices", ()):
        if choice.correct:
            continue
        if choice.source in named:
            sentence = family.mistake_explanation(choice.source)
        else:
            sentence = choice.note
        if sentence:
            feedback[choice.letter] = paragraph([sentence])
    return feedback


def statement_feedback(variant: Variant) -> str:
    """Why a true/false statement is true or false (its bank explanation), or "" if it has none."""
    statement = variant.solution.steps.get("statement")
    explanation = getattr(statement, "explanation", "")
    return paragraph([explanation]) if explanation else ""
