"""``examgen show FAMILY``: what an instructor needs to use a family, and an author to check it.

Its parameters with type and range (each can be pinned with ``--params`` or a spec's
``params``), its forms, tags, named mistakes, budget, degenerate rules and whether it has an
independent re-check, all read from the family itself, so the text cannot drift from the code.
"""

from __future__ import annotations

import json

from generator.choices import choice_form, has_choice_form
from generator.families import MODULE_FILE
from generator.families.base import COMMON_DEGENERATE, Family
from generator.recheck import has_recheck


def forms_text(family: Family) -> str:
    forms = [f'{family.FORM} (its own)']
    if has_choice_form(family):
        forms.append(
            f'choice (form = "choice": {choice_form(family).DISTRACTORS} distractors from its '
            "named mistakes)"
        )
    return "; ".join(forms)


def family_text(family: Family) -> str:
    lines = [f"{family.ID}: {family.TITLE}", f"  folder:  {family.FOLDER}"]
    lines.append(f"  tags:    {', '.join(family.TAGS)}")
    lines.append(f"  forms:   {forms_text(family)}")
    descriptions = family.param_descriptions()
    lines.append("  parameters (pin any of them: --params JSON, or params = {…} in a spec):")
    width = max(map(len, descriptions), default=0)
    lines += [f"    {name.ljust(width)}  {text}" for name, text in descriptions.items()]
    mistakes = family.mistakes()
    if mistakes:
        lines.append("  named mistakes:")
        width = max(len(m.name) for m in mistakes)
        lines += [f"    {m.name.ljust(width)}  {m.explanation}" for m in mistakes]
    if family.BUDGET is not None:
        lines.append(
            f"  budget:  denominators ≤ {family.BUDGET.max_denominator}, |values| ≤ "
            f"{family.BUDGET.max_magnitude}, {family.max_tries()} tries"
        )
    if family.WORK_BANDS:  # a spec slot's difficulty = "name"
        bands = ", ".join(f"{n} ({low}…{high})" for n, (low, high) in family.WORK_BANDS.items())
        lines.append(f"  difficulty: {bands} operations of work")
    rules = [reason for reason, _ in (*family.DEGENERATE, *COMMON_DEGENERATE)]
    lines.append(f"  rejects: {'; '.join(rules)}")
    lines.append(f"  re-check: {'yes' if has_recheck(family) else 'none'}")
    lines.append(f"  preview: examgen preview {family.ID}{family.families_option()} --seed 0")
    return "\n".join(lines) + "\n"


def family_json(family: Family) -> dict[str, object]:
    return {
        "id": family.ID,
        "title": family.TITLE,
        "module": str(family.FOLDER / MODULE_FILE),
        "tags": list(family.TAGS),
        "forms": [family.FORM, *(["choice"] if has_choice_form(family) else [])],
        "parameters": family.param_descriptions(),
        "mistakes": {m.name: m.explanation for m in family.mistakes()},
        "recheck": has_recheck(family),
    }


def families_json(families: list[Family]) -> str:
    return json.dumps([family_json(f) for f in families], indent=2, ensure_ascii=False) + "\n"
