"""The seed quiz's own worked answers (reference problems #156 and #157), pinned exactly.

The numbers come from ../shared/reference/lecture-14-problems.txt; the rendered text of both
formats is pinned in tests/golden/ so a review diff shows what a template change did. To accept an
intended change, rerun with EXAMGEN_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

from generator.families import get_family
from generator.render import EXTENSIONS, render_problem
from generator.seeding import stream
from tests.golden import assert_matches_golden

GOLDEN = Path(__file__).parent / "golden"

REFERENCE = {
    "gradient-descent-step": {
        "params": {"data": [[1, 3], [2, 3], [3, 6]], "w0": [0, 0], "eta": "1/2"},
        "point_gradients": [(-6, -6), (-6, -12), (-12, -36)],
        "gradient_sum": (-24, -54),
        "gradient": (-8, -18),
        "answer": (4, 9),
    },
    "sgd-minibatch-step": {
        "params": {
            "data": [[1, 2], [3, 5], [2, 1], [4, 4], [5, 8]],
            "w0": [0, 0],
            "eta": "1/2",
            "batch": [1, 4],
        },
        "point_gradients": [(-4, -4), (-8, -32)],
        "gradient_sum": (-12, -36),
        "gradient": (-6, -18),
        "answer": (3, 9),
    },
}


def reference_variant(family_id):
    family = get_family(family_id)
    return family, family.variant_from_json(stream(0, "reference"), REFERENCE[family_id]["params"])


def ints(vector):
    return tuple(sympy.Integer(v) for v in vector)


@pytest.mark.parametrize("family_id", REFERENCE)
def test_reference_answer_and_intermediate_vectors(family_id):
    """The reference's answer and every vector of its worked solution, exactly."""
    expected = REFERENCE[family_id]
    _, variant = reference_variant(family_id)
    steps = variant.solution.steps
    assert [tuple(p["gradient"]) for p in steps["points"]] == [
        ints(g) for g in expected["point_gradients"]
    ]
    assert tuple(steps["gradient_sum"]) == ints(expected["gradient_sum"])
    assert tuple(steps["gradient"]) == ints(expected["gradient"])
    assert tuple(variant.solution.answer.value) == ints(expected["answer"])
    assert variant.solution.answer.to_json() == {
        "kind": "vector",
        "value": [str(v) for v in expected["answer"]],
    }


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
@pytest.mark.parametrize("family_id", REFERENCE)
def test_reference_golden_text(family_id, fmt):
    """The full rendered problem and solution for the reference params, in both formats."""
    _, variant = reference_variant(family_id)
    text = render_problem(fmt, variant, points=2)
    assert_matches_golden(text, GOLDEN / f"{family_id}.{EXTENSIONS[fmt]}")
    # The golden text states the reference's numbers, whatever the layout.
    expected = REFERENCE[family_id]
    gx, gy = expected["gradient"]
    assert f"\\begin{{bmatrix}}{gx}\\\\ {gy}\\end{{bmatrix}}" in text
    assert f"$({expected['answer'][0]}, {expected['answer'][1]})^T$" in text
    for g in expected["point_gradients"]:
        assert f"= ({g[0]}, {g[1]})^T$" in text
