"""Partial credit by named mistake: a spec's ``[grading.partial]``, e.g. ``sign-flipped = 0.5``.

A student whose typed response is, in full, the value a named mistake produces for their variant
(``Family.misconceptions``; for a vector, the whole vector) did most of the work: the table gives
that response a share of the question's points. The response is compared exactly, under the same
decimal rule as the right answer (so ``-2.33`` is the sign-flipped ``-7/3``); a vector that matches
no mistake in full keeps its per-component credit, and one that does gets the larger of the two.

The table is checked when the spec loads, every name against the mistakes the spec's families
name (``Family.mistake_explanation``), and travels in key.json's ``grading`` object
(``"partial": {"sign-flipped": "1/2"}``), so ``examgen grade`` needs only the build folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import sympy

from generator.errors import ExamgenError
from generator.exact import exact_str
from generator.families.base import Family
from generator.responses import DecimalRule
from generator.seeding import stream

PARTIAL = "partial"
GRADING_FIELDS = ("decimals", "significant", PARTIAL)
#: How many variants of a family are asked for the mistakes' names an error message lists (a family
#: may name some mistakes only for some variants, e.g. a ReLU chain and a sigmoid chain).
NAME_SAMPLES = 64


@dataclass(frozen=True)
class PartialCredit:
    """Mistake name → the share of a question's points a response showing that mistake earns."""

    credits: tuple[tuple[str, sympy.Rational], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.credits)

    def names(self) -> list[str]:
        return [name for name, _ in self.credits]

    def award(self, mistakes: Iterable[str]) -> tuple[str, sympy.Rational] | None:
        """The best credit among the mistakes a response shows (the first of equals), if any."""
        table = dict(self.credits)
        found = [(table[m], -i, m) for i, m in enumerate(mistakes) if m in table]
        if not found:
            return None
        credit, _, name = max(found)
        return name, credit

    def to_json(self) -> dict[str, str]:
        return {name: exact_str(credit) for name, credit in self.credits}

    @classmethod
    def from_json(cls, raw: Any, where: str) -> PartialCredit:
        """Read ``{name: credit}``; a credit is a number from 0 to 1 (``0.5``, ``"1/3"``)."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise ExamgenError(
                f"{where}: must be a table of mistake = credit, e.g. {{ sign-flipped = 0.5 }}"
            )
        credits = []
        for name, value in raw.items():
            credit = _credit(value)
            if credit is None or not 0 <= credit <= 1:
                raise ExamgenError(
                    f"{where}.{name}: the credit must be a number from 0 to 1 (0.5 or "
                    f'"1/3"), got {value!r}'
                )
            credits.append((str(name), credit))
        return cls(tuple(credits))


def _credit(value: Any) -> sympy.Rational | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = str(value)  # a TOML 0.1 is the decimal written, not the nearest binary float
    if not isinstance(value, str):
        return None
    try:
        credit = sympy.Rational(value.strip())
    except (TypeError, ValueError, SyntaxError, ZeroDivisionError):  # "1/0" too
        return None
    return credit if credit.is_Rational else None


def parse_grading(raw: Any, where: str) -> tuple[DecimalRule, PartialCredit]:
    """A ``[grading]`` table (a spec's, or key.json's ``grading``): its decimal rule and its
    partial-credit table."""
    if isinstance(raw, Mapping):
        unknown = sorted(set(raw) - set(GRADING_FIELDS))
        if unknown:
            raise ExamgenError(
                f"{where}.{unknown[0]}: unknown field; expected: {', '.join(GRADING_FIELDS)}"
            )
        partial = PartialCredit.from_json(raw.get(PARTIAL), f"{where}.{PARTIAL}")
        raw = {k: v for k, v in raw.items() if k != PARTIAL}
    else:
        partial = PartialCredit()
    return DecimalRule.from_json(raw, where), partial


def grading_json(rule: DecimalRule, partial: PartialCredit) -> dict[str, Any]:
    """key.json's ``grading``: the rule, and the partial-credit table when there is one (a key
    without it reads exactly as before)."""
    return rule.to_json() | ({PARTIAL: partial.to_json()} if partial else {})


@cache
def sampled_mistakes(family: Family) -> frozenset[str]:
    """The mistake names sample variants of a family produce (from a fixed stream): the names an
    error message suggests."""
    rng = stream(0, "mistake-names", family.ID, family.FORM)
    names: set[str] = set()
    for _ in range(NAME_SAMPLES):
        variant = family.generate(rng)
        names.update(family.misconceptions(variant.params, variant.solution))
    return frozenset(names)


def _explains(family: Family, name: str) -> bool:
    try:
        family.mistake_explanation(name)
    except ExamgenError:
        return False
    return True


def check_names(partial: PartialCredit, families: Iterable[Family], where: str) -> None:
    """Every name in the table is a mistake some family of the spec names (and explains)."""
    if not partial:
        return  # nothing to check, and no variants to sample
    families = list(families)
    for name in partial.names():
        if not any(_explains(f, name) for f in families):
            known = sorted(set().union(*(sampled_mistakes(f) for f in families)))
            hint = f"known: {', '.join(known)}" if known else "its families name none"
            raise ExamgenError(f"{where}.{name}: no family in this spec names this mistake; {hint}")


def with_mistake_credit(
    share: sympy.Rational, mistakes: Iterable[str], partial: PartialCredit
) -> tuple[sympy.Rational, str]:
    """The credit a response earns once its named mistakes count, and the mistake credited
    ("" when the table gives it no more than ``share``)."""
    award = partial.award(mistakes)
    if award is None or award[1] <= share:
        return share, ""
    return award[1], award[0]
