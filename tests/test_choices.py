"""The multiple-choice layer: the correct value among distinct, named distractors.

Invariant: every choice a student sees differs exactly (sympy Rationals) from every other; the
correct one is the free-response answer of the same params; each distractor is the value its
misconception produces, and the key names that misconception; a variant without enough distinct
distractors is rejected through the family's resample loop, never padded.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from generator.check import Target, check_target
from generator.choices import (
    CORRECT,
    LETTERS,
    NO_FAIR_SET,
    ChoiceForm,
    arrange,
    distinct_candidates,
    has_choice_form,
    same_value,
    with_form,
)
from generator.cli import main
from generator.errors import ExamgenError
from generator.families import registry
from generator.seeding import stream
from tests.course import course_families_dir

WITH_CHOICE_FORM = [f for f in registry((course_families_dir(),)).values() if has_choice_form(f)]
SEEDS = st.integers(0, 2**63 - 1)
fractions = st.fractions(max_denominator=12).map(
    lambda f: sympy.Rational(f.numerator, f.denominator)
)
vectors = st.tuples(fractions, fractions)


def test_the_numeric_families_have_choice_forms():
    """Every free-response family that names its mistakes (built-in or a course's) can be asked
    as multiple choice, unless it withholds the form (the chain: its distractors give the key
    away); a family that asks its own way (a bank) gains no second choice form."""
    families = registry((course_families_dir(),)).values()
    free_with_mistakes = {f.ID for f in families if f.FORM == "free" and f.mistakes()}
    withheld = {f.ID for f in families if f.CHOICE_FORM_WITHHELD}
    assert withheld == {"vanishing-gradient-chain"} and withheld <= free_with_mistakes
    assert {f.ID for f in WITH_CHOICE_FORM} == free_with_mistakes - withheld
    assert len(free_with_mistakes - withheld) >= 3


@given(a=fractions, b=fractions)
def test_same_value_is_exact_equality(a, b):
    assert same_value(a, b) == (Fraction(int(a.p), int(a.q)) == Fraction(int(b.p), int(b.q)))
    assert same_value((a, b), (a, b)) and not same_value((a, b), (a,))


@given(correct=vectors, candidates=st.dictionaries(st.sampled_from("pqrstu"), vectors))
def test_distinct_candidates_keep_one_of_each_value_other_than_the_answer(correct, candidates):
    kept = distinct_candidates(correct, candidates)
    values = [candidates[k] for k in kept]
    assert not any(same_value(v, correct) for v in values)
    assert not any(same_value(a, b) for i, a in enumerate(values) for b in values[i + 1 :])
    for name, value in candidates.items():
        assert (
            name in kept or same_value(value, correct) or any(same_value(value, v) for v in values)
        )


@given(
    seed=SEEDS, names=st.lists(st.sampled_from("pqrstuvw"), unique=True), count=st.integers(0, 9)
)
def test_arrange_shuffles_the_correct_source_among_picked_distractors(seed, names, count):
    order = arrange(stream(seed, "arrange"), CORRECT, names, count)
    assert order.count(CORRECT) == 1
    assert len(order) == 1 + min(count, len(names)) == len(set(order))
    assert set(order) - {CORRECT} <= set(names)


@pytest.mark.parametrize("base", WITH_CHOICE_FORM, ids=lambda f: f.ID)
@given(seed=SEEDS)
def test_choices_are_the_answer_and_named_misconceptions_all_distinct(base, seed):
    form = with_form(base, "choice")
    variant = form.generate(stream(seed, "choices", base.ID))
    choices = variant.solution.steps["choices"]
    assert len(choices) == ChoiceForm.DISTRACTORS + 1
    assert not any(
        same_value(a.value, b.value) for i, a in enumerate(choices) for b in choices[i + 1 :]
    )
    # Independently of the layer: re-solve the base family on the same params.
    base_params = form.base_params(variant.params)
    free = base.solve(base_params)
    wrong = base.misconceptions(base_params, free)
    for letter, choice in zip(LETTERS, choices, strict=False):
        assert choice.letter == letter
        expected = free.answer.value if choice.source == CORRECT else wrong[choice.source]
        assert same_value(choice.value, expected)
        assert choice.correct == (choice.source == CORRECT)
        assert (choice.note is None) == choice.correct
    answer = variant.solution.answer.to_json()
    correct = variant.params.choices.index(CORRECT)
    assert answer["kind"] == "choice" and answer["value"] == LETTERS[correct]
    assert answer["text"] == free.answer.cell()
    key = variant.key_params()
    assert key == base.params_to_json(base_params) | {"choices": list(variant.params.choices)}
    assert form.misconceptions(variant.params, variant.solution) == {
        c.source: c.letter for c in choices if not c.correct
    }


@pytest.mark.parametrize("base", WITH_CHOICE_FORM, ids=lambda f: f.ID)
@given(seed=SEEDS, other=SEEDS)
def test_key_params_pin_the_same_choices(base, seed, other):
    form = with_form(base, "choice")
    variant = form.generate(stream(seed, "choices", base.ID))
    again = form.variant_from_json(stream(other, "other"), variant.key_params())
    assert again.params == variant.params
    assert again.solution.answer == variant.solution.answer


@pytest.mark.parametrize("base", WITH_CHOICE_FORM, ids=lambda f: f.ID)
@given(seed=SEEDS)
def test_choice_form_draws_the_free_variant_when_it_is_acceptable(base, seed):
    """The choice form consumes the stream after the base draw, so a student whose free variant
    also has enough distractors gets the same numbers in either form."""
    free = base.generate(stream(seed, "same", base.ID))
    form = with_form(base, "choice")
    choice = form.generate(stream(seed, "same", base.ID))
    if not free.rejections and not choice.rejections:
        assert form.base_params(choice.params) == free.params


@pytest.mark.parametrize("base", WITH_CHOICE_FORM, ids=lambda f: f.ID)
def test_correct_position_is_spread_for_choice_forms(base):
    """Over 300 students each of the 4 letters is correct 25% of the time (s.d. 2.5%)."""
    report = check_target(Target(with_form(base, "choice")), variants=300)
    summary = report.to_json()
    assert not report.failures, summary
    assert set(report.answers.choices_shown) == {4}, summary
    for letter in "ABCD":
        assert 0.12 <= report.answers.share(letter) <= 0.38, summary


def test_reference_156_as_multiple_choice():
    """#156 pinned: w0 = 0 makes stale-weights equal the answer and step-without-w0 not apply, so
    neither is shown; the distractors are three other named mistakes, and the correct text is the
    reference's (4, 9)."""
    form = with_form(registry()["gradient-descent-step"], "choice")
    variant = form.variant_from_json(
        stream(1, "x"), {"data": [[1, 3], [2, 3], [3, 6]], "w0": [0, 0], "eta": "1/2"}
    )
    sources = set(variant.params.choices)
    assert len(sources) == 4 and CORRECT in sources
    assert not sources & {"stale-weights", "step-without-w0"}
    assert sources <= {CORRECT} | {m.name for m in form.base.mistakes()}
    assert variant.solution.answer.text == "(4, 9)"


class _TwoMistakes(type(registry()["gradient-descent-step"])):  # type: ignore[misc]
    """#156 with only two named mistakes: a choice form cannot have three distractors."""

    FOLDER = registry()["gradient-descent-step"].FOLDER

    def misconceptions(self, params, solution):
        wrong = super().misconceptions(params, solution)
        return {name: wrong[name] for name in ("sign-flipped", "sum-not-average")}


def test_too_few_distinct_distractors_is_rejected_not_padded():
    """With two distinct wrong answers, the pinned variant has no choice form: it is rejected,
    never padded with made-up values."""
    form = with_form(_TwoMistakes(), "choice")
    pinned = {"data": [[1, 3], [2, 3], [3, 6]], "w0": [0, 0], "eta": "1/3"}
    with pytest.raises(ExamgenError, match="fewer than 3 distinct distractors") as err:
        form.variant_from_json(stream(1, "x"), pinned)
    assert "in 1 tries" in str(err.value)


@pytest.mark.parametrize(
    "pinned, message",
    [
        (
            {"choices": ["correct", "no-such-mistake", "sign-flipped", "eta-not-applied"]},
            "no misconception named",
        ),
        ({"choices": ["sign-flipped", "eta-not-applied"]}, 'and "correct" once'),
        ({"choices": ["correct", "correct"]}, 'and "correct" once'),
    ],
)
def test_bad_pinned_choices_are_one_clear_line(pinned, message):
    form = with_form(registry()["gradient-descent-step"], "choice")
    raw = {"data": [[1, 3], [2, 3], [3, 6]], "w0": [0, 0], "eta": "1/2"} | pinned
    with pytest.raises(ExamgenError, match=message):
        form.variant_from_json(stream(1, "x"), raw)


@pytest.mark.parametrize(
    "family_id, form, message",
    [
        ("sgd-direction", "choice", "no multiple-choice form"),
        ("sgd-direction", "free", "has no 'free' form"),
        ("vanishing-gradient-definition", "free", "has no 'free' form"),
        ("gradient-descent-step", "true-false", "has no 'true-false' form"),
        ("gradient-descent-step", "essay", "form must be one of"),
    ],
)
def test_forms_a_family_cannot_take(family_id, form, message):
    with pytest.raises(ExamgenError, match=message):
        with_form(registry()[family_id], form)


def test_native_forms_are_left_alone():
    for family in registry().values():
        assert with_form(family, None) is family
        assert with_form(family, family.FORM) is family


def test_preview_shows_the_choice_form():
    result = CliRunner().invoke(
        main, ["preview", "sgd-minibatch-step", "--form", "choice", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "- **D.**" in result.output and "Why not the other choices:" in result.output
    listed = CliRunner().invoke(main, ["list"]).output
    assert "sgd-minibatch-step" in listed and 'form = "choice"' in listed


def test_preview_of_a_form_the_family_lacks_is_one_line():
    result = CliRunner().invoke(main, ["preview", "sgd-direction", "--form", "choice"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1


@pytest.mark.parametrize(
    "family_id, form, forms",
    [
        ("gradient-descent-step", "true-false", "--form free or --form choice"),
        ("sgd-direction", "choice", "--form true-false"),
        ("sgd-direction", "free", "--form true-false"),
        ("vanishing-gradient-definition", "free", "--form choice"),
    ],
)
def test_preview_of_a_form_the_family_lacks_names_the_forms_it_has(family_id, form, forms):
    """An auditor's: `preview gradient-descent-step --form true-false` said "drop form from the
    spec (or --form true-false)": there is no spec, and the flag named is the one that failed."""
    result = CliRunner().invoke(main, ["preview", family_id, "--form", form])
    assert result.exit_code == 1
    error = result.output
    assert f"has no {form!r} form" in error or "no multiple-choice form" in error, error
    assert f"use {forms}" in error and "spec" not in error and f"--form {form}" not in error, error


def test_a_spec_form_the_family_lacks_names_the_spec_only(tmp_path):
    """The spec's message speaks of the spec and of the forms the family has, not of --form."""
    spec = tmp_path / "quiz.toml"
    spec.write_text('id = "q"\n[[questions]]\nfamily = "gradient-descent-step"\nform = "true-false"\n')
    result = CliRunner().invoke(main, ["check", "--spec", str(spec), "--variants", "1"])
    assert result.exit_code == 1
    assert 'form = "free" or "choice"' in result.output and "--form" not in result.output, result.output


def test_preview_help_says_not_every_family_has_every_form():
    helped = CliRunner().invoke(main, ["preview", "--help"]).output
    assert "not every family has every form" in " ".join(helped.split()).lower()


@pytest.mark.parametrize("base", WITH_CHOICE_FORM, ids=lambda f: f.ID)
@given(seed=SEEDS)
def test_distractors_are_chosen_within_the_budget_and_never_give_themselves_away(base, seed):
    """Every distractor is within the family's budget, and none keeps an initial weight that
    every key moves (checked on the printed values)."""
    form = with_form(base, "choice")
    variant = form.generate(stream(seed, "offered", base.ID))
    base_params = form.base_params(variant.params)
    for choice in variant.solution.steps["choices"]:
        numbers = choice.value if isinstance(choice.value, tuple) else (choice.value,)
        assert all(
            x.q <= base.BUDGET.max_denominator and abs(x) <= base.BUDGET.max_magnitude
            for x in numbers
        )
        if base.ID in ("gradient-descent-step", "sgd-minibatch-step") and not choice.correct:
            kept = [Fraction(str(a)) == Fraction(str(b)) for a, b in zip(numbers, base_params.w0, strict=True)]
            assert not any(kept), choice.source


@pytest.mark.parametrize("family_id", ["gradient-descent-step", "sgd-minibatch-step"])
@given(seed=SEEDS)
def test_no_try_is_rejected_for_the_distractors_the_plan_drew(family_id, seed):
    """Whatever the base family accepts, its choice form shows: a try whose base variant passes
    the budget and the degenerate rules is rejected only for having no fair plan, never for the
    set the plan drew. A distractor over the budget is left out before the plan: when it was
    not, the tries it rejected left the sets shown simpler fractions than the plan weighed, and
    the option of the most complex fractions was the key in 35% (the plan's 21%)."""
    base = registry()[family_id]
    form = with_form(base, "choice")
    rng = stream(seed, "drawn", family_id)
    pinned = form.draw_once(rng, {})
    for _ in range(20):
        params = form.draw(rng, pinned)
        if params.choices in ((CORRECT,), (NO_FAIR_SET,)):
            continue
        solution = form.solve(params)
        assert base.rejection(form.base_params(params), base.solve(form.base_params(params))) is None
        assert form.rejection(params, solution) is None


@given(seed=SEEDS)
def test_a_family_names_the_wrong_answers_that_give_themselves_away(seed):
    """``gives_itself_away`` (docs/authoring.md) keeps a wrong answer out of every choice: here
    one that says every update moving uphill is ruled out on sight."""
    family = registry()["gradient-descent-step"]

    class Uphill(type(family)):  # type: ignore[misc]
        FOLDER = family.FOLDER

        def gives_itself_away(self, params, value):
            wrong = self.misconceptions(params, self.solve(params))
            return same_value(value, wrong["sign-flipped"]) or super().gives_itself_away(
                params, value
            )

    form = with_form(Uphill(), "choice")
    variant = form.generate(stream(seed, "away"))
    shown = {c.source for c in variant.solution.steps["choices"]}
    assert "sign-flipped" not in shown and len(shown) == ChoiceForm.DISTRACTORS + 1
