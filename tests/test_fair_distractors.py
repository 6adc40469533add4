"""Distractors leave the test-wise strategies at chance over a class, not just on average.

Invariant: a descent step's multiple-choice variant drawn with something left to draw has a set
of distractors on which no strategy of ``generator.testwise`` singles out the key (params without
one are drawn again: ``RESAMPLE_UNFAIR_CHOICES``, which the chain leaves off), so the strategies
that see a cue only sometimes (the mirror pair, the odd sign) never point at the key, and over a
class they score at most a blind guess; params pinned so that no other can be drawn still give
their variant.

Before, ``arrange_fairly`` gave such variants whichever set cost least, most often one with the
sign-flipped distractor beside the key and the other distractors on the key's side: the mirror
pair found the key in 31% of descent-step variants (chance 25%; examgen check passed it, its
margin being 15 points).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from generator.check import run
from generator.choices import (
    CORRECT,
    FAIR_TRIES_LEFT,
    NO_FAIR_SET,
    distinct_candidates,
    has_fair_set,
    with_form,
)
from generator.families import get_family
from generator.testwise import mirror_majority, odd_sign, options_of

DESCENT = ("gradient-descent-step", "sgd-minibatch-step")
#: The descent step whose every set of three distractors lets some strategy find the key: with
#: the sign-flipped distractor the mirror pair does, without it the longest option or the
#: options' centre does.
UNFAIR = {"data": [[0, -3], [3, 5], [6, 3]], "w0": [0, 0], "eta": "1/3"}


def singles_out_key(strategy, variant) -> bool:
    options, key = options_of(variant)
    picks = strategy(options)
    return key in picks and len(picks) < len(options)


def drawing_eta(family, eta) -> np.random.Generator:
    """A generator whose first draw, the learning rate when data and w0 are pinned, is ``eta``."""
    wanted = family.ETAS.index(eta)
    seed = next(
        s for s in range(1000) if np.random.default_rng(s).integers(len(family.ETAS)) == wanted
    )
    return np.random.default_rng(seed)


def candidate_values(family, params, solution):
    wrong = family.misconceptions(params, solution)
    kept = distinct_candidates(solution.answer.value, wrong)
    return {CORRECT: solution.answer.value} | {name: wrong[name] for name in kept}


@pytest.mark.parametrize("family_id", DESCENT)
def test_no_variant_lets_the_mirror_pair_or_the_odd_sign_find_the_key(family_id):
    form = with_form(get_family(family_id), "choice")
    for seed in range(40):
        variant = form.generate(np.random.default_rng(seed))
        assert not singles_out_key(mirror_majority, variant), (family_id, seed)
        assert not singles_out_key(odd_sign, variant), (family_id, seed)


def test_params_without_a_fair_set_are_drawn_again():
    family = get_family("gradient-descent-step")
    form = with_form(family, "choice")
    pinned = family.parse_params(UNFAIR)
    params = family.draw(np.random.default_rng(0), pinned)
    solution = family.solve(params)
    values = candidate_values(family, params, solution)
    assert not has_fair_set(CORRECT, values, form.DISTRACTORS, "vector", params.w0)
    # With eta left to draw, these params are marked and rejected, and the try is counted.
    partly = {k: v for k, v in pinned.items() if k != "eta"}
    tries = [form.UNFAIR_TRIES]
    marked = form.draw(drawing_eta(family, params.eta), partly | {FAIR_TRIES_LEFT: tries})
    assert marked.choices == (NO_FAIR_SET,) and tries == [form.UNFAIR_TRIES - 1]
    reason = form.rejection(marked, form.solve(marked))
    assert reason == "degenerate: every set of distractors lets a test-wise strategy find the key"
    # Once the tries are spent, the next params are taken as they are.
    taken = form.draw(drawing_eta(family, params.eta), partly | {FAIR_TRIES_LEFT: [0]})
    assert CORRECT in taken.choices and len(taken.choices) == form.DISTRACTORS + 1


def test_pinned_params_without_a_fair_set_still_give_their_variant():
    form = with_form(get_family("gradient-descent-step"), "choice")
    variant = form.generate(np.random.default_rng(3), form.parse_params(UNFAIR))
    assert variant.solution.answer.kind == "choice" and len(variant.params.choices) == 4
    assert CORRECT in variant.params.choices


def test_over_a_class_the_occasional_cues_score_at_most_a_blind_guess(tmp_path: Path):
    spec = tmp_path / "descent.toml"
    spec.write_text(
        "".join(f'[[questions]]\nfamily = "{f}"\nform = "choice"\n' for f in DESCENT),
        encoding="utf-8",
    )
    report = run(spec_path=spec, variants=200)
    assert report.ok, report.table()
    for family in report.families:
        tallies = {t.name: t for t in family.validity.tried()}
        for name in ("mirror pair, majority side", "odd one out by sign"):
            tally = tallies[name]
            assert tally.n == 200
            assert tally.score <= tally.chance, (family.target.label, name, tally.rate)
        assert tallies["mirror pair, majority side"].score < Fraction(1, 4) * 200
