"""What the printed handout needs from Python: each question's work space and each student's QR
codes. The LaTeX layer (templates/latex) draws them; nothing here knows about pages."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from generator.errors import ExamgenError
from generator.families.base import Variant
from generator.seeding import question_stream

if TYPE_CHECKING:
    from generator.spec import Spec

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


def answer_place(variant: Variant) -> tuple[tuple[str, ...], int]:
    """What a fixed-layout page prints a question's answer as, at the foot of its page: its
    bubbles (their values) and its boxes (one per number of a typed answer)."""
    answer = variant.solution.answer
    boxes = len(answer.value) if answer.kind == "vector" else int(answer.kind == "number")
    return tuple(bubble_values(variant)), boxes


def _place_words(place: tuple[tuple[str, ...], int]) -> str:
    bubbles, boxes = place
    if bubbles:
        return " ".join(bubbles) + " bubbles"
    return f"{boxes} answer box{'' if boxes == 1 else 'es'}"


def mixed_answer_places(spec: Spec) -> list[str]:
    """A note per pool of a fixed-layout spec whose families answer in different places (True
    False bubbles for one, two boxes or A-E for another): the promise of one place per question
    for every student, which a Gradescope template needs, cannot hold for that question. Each
    family's place is read off one variant of it. The caller names the spec, as it does for
    ``partial_credit_notes``."""
    if spec.layout != "fixed":
        return []
    lines = []
    for slot in spec.slots:
        places: dict[tuple[tuple[str, ...], int], str] = {}
        for family in slot.candidates:
            try:
                variant = family.generate(question_stream(0, "layout", slot.number), slot.pinned)
            except ExamgenError:
                continue
            places.setdefault(answer_place(variant), family.ID)
        if len(places) > 1:
            shown = "; ".join(f"{_place_words(p)} for {f}" for p, f in places.items())
            lines.append(
                f"questions[{slot.number}]: its families answer in "
                f"different places ({shown}), so no one Gradescope template fits every "
                "student's page; give the pool families of one kind, if you use Gradescope"
            )
    return lines
