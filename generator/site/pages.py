"""The practice site's pages: an index of tags and one page per tag, from templates/html/site/.

Every problem text comes from the family's own template through ``render_problem`` in the
``html`` format (the layer the LMS export uses), with its math made MathML here; the page
templates only lay the pieces out. A problem carries all its variants as ``<template>`` elements
(the first one also shown), each with its params and what answers.js checks an answer by.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from generator.errors import ExamgenError
from generator.families.base import Family, Variant
from generator.files import is_device_name
from generator.htmlmath import text_to_html
from generator.mathml import html_with_mathml
from generator.render import environment, render_html_part
from generator.responses import DecimalRule
from generator.site.problems import Problem, free_check, mistake_names, pick_notes


@dataclass(frozen=True)
class VariantView:
    params: str  # JSON: the variant's params as key.json writes them
    check: str  # JSON: what answers.js checks a typed answer by ("" for choices and true/false)
    statement: str
    options: tuple[tuple[str, str], ...]  # (value, HTML) of each choice or True/False button
    correct: str  # the value of the correct button ("" for a free answer)
    notes: tuple[tuple[str, str], ...]  # (value, HTML): what a wrong pick is told
    solution: str


@dataclass(frozen=True)
class ProblemView:
    anchor: str
    family: str
    title: str
    tags: tuple[str, ...]
    kind: str  # the answer kind: vector, number, bool or choice
    another: str  # what "Another variant" brings: "new numbers", "a new statement", "new choices"
    variants: tuple[VariantView, ...]
    mistakes: tuple[tuple[str, str], ...]  # (name, HTML explanation) for free answers


def math_html(text: str) -> str:
    """Plain text with ``$…$`` math (a note, an explanation) as HTML with MathML."""
    return html_with_mathml(text_to_html(text))


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


@cache
def _choice_macros() -> Any:
    return environment("html").get_template("families/_choices.j2").module


def _part(variant: Variant, part: str) -> str:
    return html_with_mathml(render_html_part(variant, part))


def variant_view(variant: Variant) -> VariantView:
    answer = variant.solution.answer
    options: tuple[tuple[str, str], ...] = ()
    notes: tuple[tuple[str, str], ...] = ()
    check = correct = ""
    if answer.kind == "choice":
        options = tuple(
            (c.letter, math_html(str(_choice_macros().body(c)).strip()))
            for c in variant.solution.steps["choices"]
        )
    elif answer.kind == "bool":
        options = (("True", "True"), ("False", "False"))
    else:
        check = compact_json(free_check(variant))
    if answer.kind in ("choice", "bool"):
        correct = answer.cell()
        notes = tuple((value, math_html(text)) for value, text in pick_notes(variant).items())
    return VariantView(
        params=compact_json(variant.key_params()),
        check=check,
        statement=_part(variant, "statement"),
        options=options,
        correct=correct,
        notes=notes,
        solution=_part(variant, "solution"),
    )


def problem_view(problem: Problem, anchor: str) -> ProblemView:
    """The problem's page view; an error in its math names the family (a template's own error
    already does)."""
    try:
        return _problem_view(problem, anchor)
    except ExamgenError as err:
        prefix = f"family {problem.family.ID}: "
        raise ExamgenError(str(err) if str(err).startswith(prefix) else prefix + str(err)) from None


#: What "Another variant" brings, in the order a page's intro names them.
NEW_NUMBERS, NEW_STATEMENT, NEW_CHOICES = "new numbers", "a new statement", "new choices"


def another_brings(family: Family, kind: str) -> str:
    """What the next variant of a problem changes, as the page says it: a family with numbers
    (a ``BUDGET`` to keep them within) new numbers; one without (a bank's statements) a new
    statement, or as multiple choice new choices. On 410dd05 every problem said "new numbers",
    true/false ones too."""
    if family.BUDGET is not None:
        return NEW_NUMBERS
    return NEW_CHOICES if kind == "choice" else NEW_STATEMENT


def intro_brings(problems: Iterable[ProblemView]) -> str:
    """What "Another variant" gives on a page of these problems, for its intro: "new numbers",
    or "new numbers or a new statement"…"""
    found = {p.another for p in problems}
    named = [what for what in (NEW_NUMBERS, NEW_STATEMENT, NEW_CHOICES) if what in found]
    return " or ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)


def _problem_view(problem: Problem, anchor: str) -> ProblemView:
    family = problem.family
    kind = problem.variants[0].solution.answer.kind
    return ProblemView(
        anchor=anchor,
        family=family.ID,
        title=family.TITLE,
        tags=problem.tags,
        kind=kind,
        another=another_brings(family, kind),
        variants=tuple(variant_view(v) for v in problem.variants),
        mistakes=tuple(
            (name, math_html(family.mistake_explanation(name))) for name in mistake_names(problem)
        ),
    )


#: Characters of a slug: a tag's file name or a problem's anchor stays well inside the 255 bytes a
#: file name may have, whatever a course family's tag holds.
SLUG_LENGTH = 80


def slug(text: str, fallback: str) -> str:
    """``text`` as lowercase letters, digits and hyphens (``vanishing-gradients``): safe as a file
    name and as an HTML ``id``, whatever a course family's ID or tag holds (``"``, ``<``, ``/``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower())[:SLUG_LENGTH].strip("-") or fallback


def unique(stem: str, taken: Sequence[str], suffix: str = "") -> str:
    """``stem + suffix``, or ``stem-2 + suffix``…, unique among ``taken`` whatever the file
    system's case rules."""
    used = {t.lower() for t in taken}
    name, n = f"{stem}{suffix}", 1
    while name.lower() in used:
        n += 1
        name = f"{stem}-{n}{suffix}"
    return name


def tag_order(tags: Iterable[str]) -> list[str]:
    """Every tag once, in the order of the index: ignoring case, then by case, so that "SGD" and
    a course's "sgd" come in one order whatever the order they were found in (a set's order
    changes with PYTHONHASHSEED, and the first of them gets ``sgd.html``, the other
    ``sgd-2.html``)."""
    return sorted(set(tags), key=lambda tag: (tag.lower(), tag))


def tag_file(tag: str, taken: Sequence[str] = ()) -> str:
    """A file name for a tag's page: ``vanishing-gradients.html``; unique among ``taken``, and
    never a name Windows keeps for a device (``con.html``)."""
    stem = slug(tag, "tag")
    return unique(f"{stem}-tag" if is_device_name(stem) else stem, taken, ".html")


def answer_hint(kind: str, rule: DecimalRule) -> str:
    shape = "a vector as (4, 9)" if kind == "vector" else "a number"
    return (
        f"Type {shape}: exact fractions such as -7/3, or decimals rounded to "
        f"{rule.describe()}. Press Enter to check."
    )


def render_page(template: str, **context: Any) -> str:
    text = environment("html").get_template(f"site/{template}").render(**context)
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"
