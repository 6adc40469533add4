"""Independent re-checks of answers: a second computation that shares no code with the family.

A family computes its answer exactly with sympy; its re-check (``Family.recheck``, declared in the
family itself) recomputes it another way (for the numeric families: floats and numpy's matrix form
of the gradient; for bank families: the bank's truth table) from the key.json entry alone,
``params`` and ``answer`` as JSON, and says what disagrees. A bug in the family's arithmetic, its
solution path or its JSON form then shows up as a disagreement instead of being checked against
itself. ``examgen check`` runs the re-check of every family that has one and reports those that
have none; tests call the same functions. This module holds what every re-check shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from generator.families.base import Family, Recheck

#: Floats from exact inputs of this size agree with the exact answer to far better than this.
TOLERANCE = 1e-9


def has_recheck(family: Family) -> bool:
    from generator.choices import ChoiceForm
    from generator.families.base import Family

    base = family.base if isinstance(family, ChoiceForm) else family
    return type(base).recheck is not Family.recheck


def recheck_for(family: Family) -> Recheck | None:
    """The family's re-check, or ``None`` when it declares none (reported by ``examgen check``);
    it also re-checks the family's multiple-choice form."""
    from generator.choices import ChoiceForm

    if not has_recheck(family):
        return None
    base = family.base if isinstance(family, ChoiceForm) else family
    return _with_choice_form(_said(base.recheck))


def _said(base: Recheck) -> Recheck:
    """A re-check held to its contract: ``None`` when the key is right, else a sentence. An
    author's ``return key == mine`` gave True for a right key, reported as "re-check: True",
    and False for a wrong one, which passed as no problem."""

    def check(params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
        said = base(params, answer)
        if said is None or (isinstance(said, str) and said):
            return said
        return (
            f"recheck returned {said!r}; it returns None when the key is right and a sentence "
            "saying what differs otherwise (not True or False)"
        )

    return check


def _with_choice_form(base: Recheck) -> Recheck:
    """A numeric family asked as multiple choice (``params.choices`` names each letter's source):
    the key's letter must mark the ``correct`` source, and that choice's text must pass the base
    re-check as a free-response answer."""

    def check(params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
        sources = params.get("choices")
        if answer.get("kind") != "choice" or not isinstance(sources, list):
            return base(params, answer)
        if "correct" not in sources:
            return base(params, answer)  # the choices are the family's own (e.g. a bank's)
        letter = str(answer.get("value", ""))
        index = ord(letter) - ord("A") if len(letter) == 1 else -1
        if not 0 <= index < len(sources) or sources[index] != "correct":
            return f"letter {letter!r} does not mark the correct choice among {sources}"
        text = str(answer.get("text", "")).strip()
        free = {k: v for k, v in params.items() if k != "choices"}
        if text.startswith("("):
            values = [v.strip() for v in text.strip("()").split(",")]
            return base(free, {"kind": "vector", "value": values})
        return base(free, {"kind": "number", "value": text})

    return check


def recheck(family: Family, params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
    """Re-check one key entry; ``"no re-check"`` for a family without one."""
    function = recheck_for(family)
    if function is None:
        return "no re-check"
    return function(params, answer)


def as_float(value: int | str) -> float:
    """A key.json exact value (``3`` or ``"-7/3"``) as a float, without sympy."""
    return float(Fraction(value))


def disagrees(a: np.ndarray, b: np.ndarray) -> bool:
    return not np.allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE)


def show(vector: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in vector) + ")"
