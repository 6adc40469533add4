"""Golden files for pinned variants of the concept families, the chain family and a choice form.

A diff in review shows what a change did to what students read. After an intended change, rewrite
them with ``EXAMGEN_UPDATE_GOLDEN=1 python3 -m pytest tests/test_concept_golden.py`` and review
the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.choices import with_form
from generator.families import get_family
from generator.render import EXTENSIONS, FORMATS, render_problem
from generator.seeding import stream
from tests.golden import assert_matches_golden

GOLDEN = Path(__file__).parent / "golden"
REFERENCE_156 = {"data": [[1, 3], [2, 3], [3, 6]], "w0": [0, 0], "eta": "1/2"}

CASES = {
    "reference-152": (
        "vanishing-gradient-definition",
        None,
        {
            "choices": [
                "exploding",
                "output-layer-vanishes",
                "far-from-output",
                "learning-rate-decay",
                "loss-reaches-zero",
            ],
        },
    ),
    "reference-155": ("vanishing-gradient-remedies", None, {"statement": "larger-eta"}),
    "reference-156-choice": (
        "gradient-descent-step",
        "choice",
        REFERENCE_156
        | {
            "choices": ["sum-not-average", "correct", "eta-not-applied", "sign-flipped"],
        },
    ),
    "reference-158": ("sgd-direction", None, {"statement": "steepest-descent-of-empirical-risk"}),
    "reference-159": ("sgd-iterations", None, {"statement": "fewer-iterations"}),
    "reference-160": (
        "initialization-convergence",
        None,
        {"statement": "networks-guaranteed-same"},
    ),
    "chain-relu": (
        "vanishing-gradient-chain",
        None,
        {
            "activation": "relu",
            "x": 2,
            "weights": ["1/2", 3, 1],
            "y": 1,
        },
    ),
    "chain-sigmoid": (
        "vanishing-gradient-chain",
        None,
        {
            "activation": "sigmoid",
            "x": 1,
            "weights": [2, -1, 3, 1],
        },
    ),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_pinned_variant_renders_as_its_golden_file(name, fmt):
    family_id, form, params = CASES[name]
    family = with_form(get_family(family_id), form)
    variant = family.variant_from_json(stream(0, "golden"), params)
    text = render_problem(fmt, variant)
    assert_matches_golden(text, GOLDEN / f"{name}.{EXTENSIONS[fmt]}")
