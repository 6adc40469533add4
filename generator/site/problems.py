"""Which problems a practice site holds, and each one's variants with what a page checks them by.

A problem is a family (in the form it is asked: free, choice or true/false) with the params a spec
pins. Its draw k (k = 1, 2, …) comes from the stream ``(seed, "practice", family ID, k)``, with
the form and difficulty band before k when a spec asks for them (``practice_labels``), so the same
family asked twice draws twice: the same seeding as every build (``generator.seeding``), under
labels no student's exam uses, so a page is not the sequence of any quiz. A family with few
possible variants still shows the questions students get: with the default K a bank family shows
its whole bank, and a question with every param pinned is one question (``seen_on_site`` names
them for the instructor). Draws that repeat are kept once, and drawing goes on until K distinct
variants are kept or the family has shown it has no more.

What a page checks an answer by is computed here, in Python, from the family's own calls: the
exact answer, the named mistakes' values (``Family.misconceptions``) for free answers, and for
choices and true/false the message each wrong pick earns (a named mistake's explanation, the
choice's note, or the statement's explanation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy

from generator.choices import ChoiceForm
from generator.defaults import SITE_VARIANTS
from generator.errors import ExamgenError
from generator.exact import exact_str
from generator.families import registry
from generator.families._concepts import BankFamily
from generator.families.base import Family, Variant
from generator.fingerprint import fingerprint
from generator.seeding import check_seed, stream
from generator.spec import Spec

DEFAULT_VARIANTS = SITE_VARIANTS


@dataclass(frozen=True)
class Problem:
    family: Family
    pinned: Mapping[str, Any]
    variants: tuple[Variant, ...]

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.family.TAGS)


def families_for_tags(tags: Sequence[str], extra_dirs: Sequence[Path] = ()) -> list[Family]:
    """Every family carrying any of ``tags``, in registry order; an unknown tag is an error.
    ``extra_dirs``: course family folders besides ``EXAMGEN_FAMILIES``."""
    families = list(registry(extra_dirs).values())
    known = sorted({t for f in families for t in f.TAGS}, key=str.lower)
    for tag in tags:
        if tag not in known:
            raise ExamgenError(
                f"--tags: no family is tagged {tag!r}; tags in use: {', '.join(known)}"
            )
    return [f for f in families if any(t in f.TAGS for t in tags)]


def problem_key(family: Family, pinned: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two of a spec's questions one problem: the same family in the same form, with
    the same pins and the same difficulty band (the slot's family copy carries it,
    ``Family.with_difficulty``). One family asked easy and again hard is two problems, as it is
    two questions of the quiz."""
    return (family.ID, family.FORM, repr(sorted(pinned.items())), family.work_band)


def choices_from_spec(spec: Spec) -> list[tuple[Family, Mapping[str, Any]]]:
    """Each slot's family (every family of a pool) with its pinned params, repeats
    (``problem_key``) kept once."""
    found: dict[tuple[Any, ...], tuple[Family, Mapping[str, Any]]] = {}
    for slot in spec.slots:
        for family in slot.candidates:
            found.setdefault(problem_key(family, slot.pinned), (family, slot.pinned))
    return list(found.values())


#: Draws in a row that bring nothing new, per variant kept (plus one), before a family counts as
#: having no more: a true/false family draws a fair coin for the truth, then a statement of that
#: truth, so each of its n statements comes with chance at least 1/(2n); with n - 1 of them kept,
#: 80·n draws in a row all miss the last one with chance below e^-40.
REPEATS_PER_VARIANT = 80
#: ...but never more than this many in a row (a few seconds of draws), so a family with thousands
#: of variants and a K beyond them does not spend minutes on its rarest ones. Banks up to 50
#: statements keep the e^-40 above; a bank of 100 would miss a statement with chance e^-20.
MAX_REPEATS = 4000


def asked_as(family: Family) -> dict[str, Any]:
    """How a spec asked a family, where not as the family itself: its form, when not the
    family's own (``"form"``), and its difficulty band, when the spec gives one
    (``"difficulty"``: least and most work). Empty for the family as it is."""
    asked: dict[str, Any] = {}
    if isinstance(family, ChoiceForm):
        asked["form"] = family.FORM
    if family.work_band is not None:
        asked["difficulty"] = list(family.work_band)
    return asked


def practice_labels(family: Family) -> tuple[str | int, ...]:
    """The labels that tell a problem's streams from those of its family asked another way: the
    form, when not the family's own, and the difficulty band, when a spec gives one. On 410dd05
    a spec's typed problem and its multiple-choice twin drew from the same streams, so variant k
    of the one was variant k of the other (21 of 50), and the choice problem gave the typed
    one's answers away; two overlapping bands would share variants alike. The family's own form
    at any work has none: its streams, and the sites made of them, stay as they were."""
    asked = asked_as(family)
    labels: tuple[str | int, ...] = ()
    if "form" in asked:
        labels += ("form", asked["form"])
    if "difficulty" in asked:
        labels += ("band", *asked["difficulty"])
    return labels


def practice_variants(
    family: Family, pinned: Mapping[str, Any], seed: int, count: int
) -> tuple[Variant, ...]:
    """``count`` distinct variants, or every one the family has when it has fewer (a true/false
    family's bank): draw k comes from the stream (seed, "practice", ID, *labels, k), k = 1, 2, …
    (``practice_labels``: none for the family's own form and any work), repeats
    are dropped, and drawing goes on past ``count`` until ``count`` are kept or draws stop
    bringing new ones. A family with ``count`` distinct variants in its first ``count`` draws
    shows exactly those, as it did when only ``count`` were drawn."""
    check_seed(seed)
    if count < 1:
        raise ExamgenError(f"--variants must be at least 1, got {count}")
    kept: dict[str, Variant] = {}
    labels = practice_labels(family)
    k = repeats = 0
    while len(kept) < count and repeats < min(MAX_REPEATS, REPEATS_PER_VARIANT * (len(kept) + 1)):
        k += 1
        variant = family.generate(stream(seed, "practice", family.ID, *labels, k), pinned)
        found = fingerprint(variant)
        repeats = repeats + 1 if found in kept else 0
        kept.setdefault(found, variant)
    return tuple(kept.values())


def build_problems(
    chosen: Iterable[tuple[Family, Mapping[str, Any]]], seed: int, count: int
) -> list[Problem]:
    return [
        Problem(family, pinned, practice_variants(family, pinned, seed, count))
        for family, pinned in chosen
    ]


# --- what the quiz shares with the site -----------------------------------------------------------
PINNED = "all params pinned"
WHOLE_BANK = "whole bank shown"


def shown_whole(problem: Problem) -> str | None:
    """Why every question a student can get of this problem is on the site, word for word with
    its answer, or ``None`` when it is not: its params are all pinned (one question for every
    student), or it is a bank family and the site shows each statement of the bank (with the
    default K, every true/false and definition family)."""
    family = problem.family
    if set(family.param_names()) <= set(problem.pinned):
        return PINNED
    if isinstance(family, BankFamily):
        shown: set[str] = set()
        for variant in problem.variants:
            params = variant.key_params()
            shown.update([params["statement"]] if "statement" in params else params["choices"])
        if shown >= set(family.bank().ids):
            return WHOLE_BANK
    return None


def seen_on_site(spec: Spec, problems: Sequence[Problem]) -> str:
    """A one-line note naming the spec's questions whose students will find their very question
    on the site (``shown_whole``), or "" when there are none: an instructor who publishes the
    site before the quiz has to be told."""
    by_key = {problem_key(p.family, p.pinned): p for p in problems}
    items = []
    for slot in spec.slots:
        why: dict[str, list[str]] = {}
        for family in slot.candidates:
            reason = shown_whole(by_key[problem_key(family, slot.pinned)])
            if reason is not None:
                why.setdefault(reason, []).append(family.ID)
        # A pool's student gets one of its families ("or"); a pool pins nothing, so its
        # families share the one reason.
        named = "; ".join(f"{' or '.join(ids)} ({reason})" for reason, ids in why.items())
        if named:
            items.append(f"questions[{slot.number}] {named}")
    if not items:
        return ""
    return (
        f"Note: students will see {'this question' if len(items) == 1 else 'these questions'} "
        f"of the spec on the site word for word, with the answer: {', '.join(items)}. Publish "
        "the site after the quiz, or make it from a spec without them."
    )


# --- what a page checks a variant by --------------------------------------------------------------
def _exact(value: Any) -> Any:
    """An answer value as key.json writes it, or ``None`` for a value a typed number cannot be."""
    if isinstance(value, bool | str):
        return None
    if isinstance(value, int | sympy.Rational):
        return exact_str(value)
    if (
        isinstance(value, Sequence)
        and value
        and all(isinstance(v, int | sympy.Rational) and not isinstance(v, bool) for v in value)
    ):
        return [exact_str(v) for v in value]
    return None


def free_check(variant: Variant) -> dict[str, Any]:
    """A free answer: the exact value and every named mistake's value, for answers.js."""
    answer = variant.solution.answer
    wrong = variant.family.misconceptions(variant.params, variant.solution)
    mistakes = [
        {"name": name, "value": value}
        for name, value in ((n, _exact(v)) for n, v in wrong.items())
        if value is not None
    ]
    return {
        "kind": answer.kind,
        "size": len(answer.value) if answer.kind == "vector" else 0,
        "value": _exact(answer.value),
        "mistakes": mistakes,
    }


def pick_notes(variant: Variant) -> dict[str, str]:
    """For choice and true/false: what a wrong pick is told (LaTeX-in-``$`` text), by value."""
    answer = variant.solution.answer
    family, steps = variant.family, variant.solution.steps
    named = family.misconceptions(variant.params, variant.solution)
    if answer.kind == "bool":
        statement = steps.get("statement")
        wrong = "False" if answer.value else "True"
        explanation = getattr(statement, "explanation", None)
        return {wrong: explanation} if explanation else {}
    notes: dict[str, str] = {}
    for choice in steps.get("choices", ()):
        if choice.correct:
            continue
        names = [name for name, value in named.items() if value == choice.letter]
        texts = [family.mistake_explanation(name) for name in names]
        if not texts and choice.note:
            texts = [choice.note]
        if texts:
            notes[choice.letter] = " ".join(texts)
    return notes


def mistake_names(problem: Problem) -> list[str]:
    """Every mistake name a free problem's variants can report, in first-seen order."""
    names: dict[str, None] = {}
    for variant in problem.variants:
        if variant.solution.answer.kind in ("vector", "number"):
            for mistake in free_check(variant)["mistakes"]:
                names.setdefault(mistake["name"])
    return list(names)
