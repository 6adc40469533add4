"""Every registered family keeps the family contract (PrairieLearn's "test them all").

Discovered from the registry, so a new family is covered the moment its module exists: it samples,
solves, serialises to the key, and renders in both formats with and without solutions. The
registry includes a course folder (the guide's example family and every `examgen new` scaffold),
so course families are held to the same contract.
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass

import pytest
from hypothesis import given, settings

from generator.families import registry
from generator.families.base import Family
from generator.render import FORMATS, render_problem
from generator.seeding import stream
from tests.course import course_families_dir
from tests.strategies import seeds

COURSE = (course_families_dir(),)
FAMILIES = sorted(registry(COURSE))


def test_registry_finds_the_families():
    """Discovery works: the two core families are there, with unique slug IDs."""
    assert {"gradient-descent-step", "sgd-minibatch-step"} <= set(FAMILIES)
    for family_id in FAMILIES:
        assert family_id == family_id.lower() and " " not in family_id


@pytest.mark.parametrize("family_id", FAMILIES)
def test_family_declares_its_contract(family_id):
    family = registry(COURSE)[family_id]
    assert isinstance(family, Family)
    assert family.TITLE and family.TAGS
    assert is_dataclass(family.params_type) and family.params_type.__dataclass_params__.frozen
    assert [f.name for f in fields(family.params_type)] == list(family.param_names())
    # The family's folder, named after it, holds its module and its template.
    assert family.FOLDER.name == family_id
    assert (family.FOLDER / "family.py").is_file() and (family.FOLDER / "template.j2").is_file()


@pytest.mark.parametrize("family_id", FAMILIES)
@settings(max_examples=15)
@given(seed=seeds)
def test_sample_solve_render(family_id, seed):
    family = registry(COURSE)[family_id]
    variant = family.generate(stream(seed, "contract", family_id))
    # Same stream, same variant: sampling depends on the generator alone.
    again = family.generate(stream(seed, "contract", family_id))
    assert again.params == variant.params and again.solution == variant.solution
    key = {"params": variant.key_params(), "answer": variant.solution.answer.to_json()}
    assert json.loads(json.dumps(key)) == key
    assert key["answer"]["kind"] in {"vector", "number", "bool", "choice"}
    # Pinning every param from the key reproduces the variant exactly.
    pinned = family.variant_from_json(
        stream(seed + 1 if seed < 2**62 else 0, "other"), key["params"]
    )
    assert pinned.params == variant.params
    for fmt in FORMATS:
        student = render_problem(
            fmt,
            variant,
            number=3,
            points=2,
            show_solutions=False,
        )
        solved = render_problem(
            fmt,
            variant,
            number=3,
            points=2,
            show_solutions=True,
        )
        assert student.strip() and len(solved) > len(student)
        assert "(((" not in solved and "((*" not in solved
