"""Concept families: per-student statements instead of one shared "False".

Invariant: a student's true/false statement, or multiple-choice arrangement, comes only from the
question's stream; over many students each truth value and each choice position is common (so no
answer pattern beats knowing the material); the key's params name the statement or choices, and
pinning them reproduces the variant; the solution explains the statement the student got.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.check import Target, check_target
from generator.choices import LETTERS
from generator.errors import ExamgenError
from generator.families import registry
from generator.families._concepts import BankChoiceFamily, TrueFalseFamily
from generator.render import render_problem
from generator.seeding import stream
from tests.course import course_families_dir

TRUE_FALSE = [f for f in registry((course_families_dir(),)).values() if isinstance(f, TrueFalseFamily)]
BANK_CHOICE = [f for f in registry((course_families_dir(),)).values() if isinstance(f, BankChoiceFamily)]
SEEDS = st.integers(0, 2**63 - 1)

REFERENCE_TAGS = {
    "vanishing-gradient-definition": {
        "vanishing gradients",
        "quiz-07",
        "lecture-14",
        "neural networks",
    },
    "vanishing-gradient-remedies": {
        "vanishing gradients",
        "quiz-07",
        "lecture-14",
        "neural networks",
    },
    "sgd-direction": {"quiz-07", "SGD", "neural networks", "gradient descent", "lecture-14"},
    "sgd-iterations": {"quiz-07", "SGD", "neural networks", "gradient descent", "lecture-14"},
    "initialization-convergence": {"gradient descent", "quiz-07", "lecture-14", "neural networks"},
}


@pytest.mark.parametrize("family_id, tags", REFERENCE_TAGS.items())
def test_concept_families_carry_the_reference_tags(family_id, tags):
    family = registry()[family_id]
    assert set(family.TAGS) == tags
    assert family.BUDGET is None


@pytest.mark.parametrize("family", TRUE_FALSE, ids=lambda f: f.ID)
def test_polarity_is_balanced_over_1000_seeds(family):
    """The reference answer is always "False"; a student answering "False" to everything must
    not pass. Each truth value appears 35–65% of the time (a fair coin: 50% ± 1.6% s.d.)."""
    report = check_target(Target(family), variants=1000)
    summary = report.to_json()
    assert not report.failures, summary
    assert 0.35 <= report.answers.share(True) <= 0.65, summary
    assert 0.35 <= report.answers.share(False) <= 0.65, summary
    # Every statement in the bank is reachable, not just one per truth value.
    seen = {
        family.generate(stream(seed, "stress", family.ID)).params.statement for seed in range(200)
    }
    assert seen == set(family.bank().ids), summary


@pytest.mark.parametrize("family", BANK_CHOICE, ids=lambda f: f.ID)
def test_correct_position_is_spread_over_all_positions(family):
    """Over 1000 students the correct letter lands on every position about equally (20% each
    for 5 choices, s.d. 1.3%); no position gets under 12% or over 28%."""
    report = check_target(Target(family), variants=1000)
    summary = report.to_json()
    assert not report.failures, summary
    assert set(report.answers.choices_shown) == {family.DISTRACTORS + 1}, summary
    for letter in LETTERS[: family.DISTRACTORS + 1]:
        assert 0.12 <= report.answers.share(letter) <= 0.28, summary


@pytest.mark.parametrize("family", BANK_CHOICE, ids=lambda f: f.ID)
@given(seed=SEEDS)
def test_choice_variant_has_one_correct_description_and_distinct_choices(family, seed):
    variant = family.generate(stream(seed, "concept", family.ID))
    choices = variant.solution.steps["choices"]
    ids = variant.params.choices
    assert [c.source for c in choices] == list(ids)
    assert len(set(ids)) == len(ids) == family.DISTRACTORS + 1
    assert len({c.text for c in choices}) == len(choices)
    truths = [family.bank().get(i).truth for i in ids]
    assert truths.count(True) == 1
    answer = variant.solution.answer.to_json()
    correct = truths.index(True)
    assert answer == {
        "kind": "choice",
        "value": LETTERS[correct],
        "text": family.bank().get(ids[correct]).text,
    }
    assert variant.key_params() == {"choices": list(ids)}


@pytest.mark.parametrize("family", TRUE_FALSE, ids=lambda f: f.ID)
@given(seed=SEEDS)
def test_true_false_key_names_the_statement_and_its_truth(family, seed):
    variant = family.generate(stream(seed, "concept", family.ID))
    statement = family.bank().get(variant.params.statement)
    assert variant.key_params() == {"statement": statement.id}
    assert variant.solution.answer.to_json() == {"kind": "bool", "value": statement.truth}


@pytest.mark.parametrize("family", TRUE_FALSE + BANK_CHOICE, ids=lambda f: f.ID)
@given(seed=SEEDS, other=SEEDS)
def test_key_params_pin_the_same_variant(family, seed, other):
    """key.json's params identify the variant: pinning them reproduces it from any stream."""
    variant = family.generate(stream(seed, "concept", family.ID))
    again = family.variant_from_json(stream(other, "other"), variant.key_params())
    assert again.params == variant.params
    assert again.solution.answer == variant.solution.answer


@pytest.mark.parametrize("family", TRUE_FALSE + BANK_CHOICE, ids=lambda f: f.ID)
@pytest.mark.parametrize("fmt", ["latex", "markdown"])
@given(seed=SEEDS)
def test_solution_shows_the_explanation_of_the_students_statement(family, fmt, seed):
    variant = family.generate(stream(seed, "concept", family.ID))
    text = render_problem(fmt, variant)
    statement = variant.solution.steps["statement"]
    assert statement.text in text
    assert statement.explanation.splitlines()[0] in text
    if isinstance(family, TrueFalseFamily):
        assert f"Answer:{'}' if fmt == 'latex' else '**'} {statement.truth}." in text


@pytest.mark.parametrize(
    "family_id, params, message",
    [
        ("sgd-direction", {"statement": "no-such-statement"}, "params.statement"),
        ("sgd-direction", {"statement": 3}, "params.statement"),
        ("sgd-direction", {"truth": True}, "unknown parameter 'truth'"),
        (
            "vanishing-gradient-definition",
            {"choices": ["exploding", "weights-shrink"]},
            "exactly one correct",
        ),
        (
            "vanishing-gradient-definition",
            {"choices": ["far-from-output", "far-from-output"]},
            "repeats",
        ),
        ("vanishing-gradient-definition", {"choices": "far-from-output"}, "params.choices"),
        (
            "vanishing-gradient-definition",
            {"choices": ["far-from-output", "nope"]},
            "params.choices[1]",
        ),
    ],
)
def test_bad_pinned_params_are_one_clear_line(family_id, params, message):
    with pytest.raises(ExamgenError) as err:
        registry()[family_id].parse_params(params)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_pinned_reference_statement_reproduces_problem_155():
    """The reference's own statement, pinned: its answer is the reference's "False"."""
    family = registry()["vanishing-gradient-remedies"]
    variant = family.variant_from_json(stream(0, "x"), {"statement": "larger-eta"})
    assert variant.solution.answer.to_json() == {"kind": "bool", "value": False}
    assert "increase the learning rate" in variant.solution.steps["statement"].text
