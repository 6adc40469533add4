"""What ``build`` and ``preview`` refuse to publish of a course family's variant.

``check`` proves a family's variants before an exam is built, but an author may build without
running it, or change the family since. On 8cb6922 a build published solutions whose answer line
read -16/3 beside a key.csv of -13/3 (or that never said the answer), and a named mistake giving
a float, which then stopped ``grade --families`` for every response. So a course family's variant
is refused with check's own tests: every named mistake gives a value a student could type
(``Family.misconceptions``), and the Markdown solution's answer line shows the key's answer
(``generator.answer_line.shown_answer_problem``). Examgen's own families are proved by their
tests, and are not looked at again.

Each question is looked at once per distinct text (``render``'s key of its texts), as a build
renders it once: a bank family's handful of variants are not checked again for every student.
"""

from __future__ import annotations

from functools import lru_cache

from generator.answer_line import shown_answer_problem
from generator.errors import ExamgenError
from generator.render import REMEMBERED_PROBLEMS, ProblemKey, QuestionTexts


def unpublishable(question: QuestionTexts) -> str | None:
    """Why a course family's question must not be published, without the ``family ID:`` its
    callers name it by, or ``None``; ``None`` for examgen's own families."""
    if question.variant.family.course_module() is None:
        return None
    if question.key is None:  # no value to remember it by (``QuestionTexts.text`` renders it)
        return _problem(question)
    return _remembered(ProblemKey(question, "markdown", True))


@lru_cache(maxsize=REMEMBERED_PROBLEMS)
def _remembered(key: ProblemKey) -> str | None:
    return _problem(key.question)


def _problem(question: QuestionTexts) -> str | None:
    variant = question.variant
    family = variant.family
    try:  # a course family's checks its values (``refuse_misshapen``)
        family.misconceptions(variant.params, variant.solution)
    except ExamgenError as err:
        return str(err).removeprefix(f"family {family.ID}: ")
    return shown_answer_problem(variant, question.text("markdown", True))
