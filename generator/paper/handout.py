"""What the printed handout needs from Python: each question's work space and each student's QR
codes. The LaTeX layer (templates/latex) draws them; nothing here knows about pages."""

from __future__ import annotations

import re

from generator.families.base import Variant

#: Work space below a question when neither the spec slot (``space = "…"``) nor the family's
#: template (``answer_space``) says otherwise, by the kind of answer the family computes: a
#: vector takes a gradient per data point, an average and an update.
DEFAULT_SPACE = {"vector": "3.5in", "number": "2.5in", "choice": "0.4in", "bool": "0.3in"}
SPACE_RE = re.compile(r"\d+(\.\d+)?(in|cm|mm|pt|bp)")


def answer_kind(variant: Variant) -> str:
    """The kind of answer a student works out: a multiple-choice form of a computing family
    (``generator.choices.ChoiceForm``) needs the base family's work space."""
    free = variant.solution.steps.get("free_answer")
    return free.kind if free is not None else variant.solution.answer.kind


def work_space(variant: Variant) -> str:
    return DEFAULT_SPACE.get(answer_kind(variant), "2.5in")


def bubble_values(variant: Variant) -> list[str]:
    """The values a question's bubbles stand for, as key.csv writes them (none: a free answer)."""
    answer = variant.solution.answer
    if answer.kind == "choice":
        return [c.letter for c in variant.solution.steps["choices"]]
    if answer.kind == "bool":
        return ["True", "False"]
    return []
