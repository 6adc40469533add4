"""Fingerprints tell variants apart: equal exactly when the key params (and family) are equal,
computable from a key.json entry alone, the same on every machine and under any PYTHONHASHSEED,
and distinct for ≥ 99% of a 300-student class in every numeric family (issue 5, item 4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.families import registry
from generator.fingerprint import (
    digest,
    fingerprint,
    fingerprint_digest,
    fingerprint_of,
    note,
)
from generator.seeding import MAX_SEED, question_stream, stream

FAMILIES = list(registry().values())
NUMERIC_FAMILIES = [f for f in FAMILIES if f.BUDGET is not None]
seeds = st.integers(0, MAX_SEED)


def variant(family, seed):
    return family.generate(stream(seed, "fingerprint-test", family.ID))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.ID)
@given(seed=seeds)
def test_fingerprint_recomputes_from_key_json(family, seed):
    """Grading and `examgen diff` recompute fingerprints from key.json's params; they must agree
    with the one recorded at build time, after a trip through JSON text."""
    v = variant(family, seed)
    params = json.loads(json.dumps(v.key_params()))
    assert fingerprint_of(family.ID, params) == fingerprint(v)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.ID)
@given(a=seeds, b=seeds)
def test_fingerprints_equal_exactly_when_params_equal(family, a, b):
    """The fingerprint is an identity for the variant's answer-relevant content."""
    va, vb = variant(family, a), variant(family, b)
    same_params = va.key_params() == vb.key_params()
    assert (fingerprint(va) == fingerprint(vb)) == same_params
    assert (fingerprint_digest(fingerprint(va)) == fingerprint_digest(fingerprint(vb))) == (
        same_params
    )


def test_digest_covers_the_family_and_every_param():
    """Same params under another family, or one changed value, give another digest."""
    params = {"data": [[1, 3], [2, 3], [3, 6]], "w0": [0, 0], "eta": "1/2"}
    base = digest("gradient-descent-step", params)
    assert digest("sgd-minibatch-step", params) != base
    assert digest("gradient-descent-step", params | {"eta": "1/3"}) != base
    assert digest("gradient-descent-step", dict(reversed(params.items()))) == base


def test_note_is_one_readable_line():
    """The note shows the values a person compares (as STACK's question note does)."""
    params = {
        "data": [[1, 3], [2, 3], [3, 6]],
        "w0": [0, 0],
        "eta": "1/2",
        "statement": "a statement with spaces that goes on and on\nand on",
        "shuffle": True,
    }
    text = note(params)
    assert text.startswith("data=((1,3),(2,3),(3,6)) w0=(0,0) eta=1/2 statement=")
    assert text.endswith("shuffle=true")
    assert "\n" not in text
    full = fingerprint_of("x", params)
    assert "\n" not in full
    assert fingerprint_digest(full) == digest("x", params)


def test_fingerprint_ignores_pythonhashseed():
    """Fingerprints go into key.json, which must be byte-identical across processes."""
    code = (
        "from generator.families import registry\n"
        "from generator.fingerprint import fingerprint\n"
        "from generator.seeding import stream\n"
        "for f in registry().values():\n"
        "    for s in range(5):\n"
        "        print(fingerprint(f.generate(stream(s, 'x', f.ID))))\n"
    )
    root = Path(__file__).resolve().parent.parent
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env=os.environ | {"PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
        ).stdout
        for hash_seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1
    assert outputs.pop().count("#") == 5 * len(FAMILIES)


@pytest.mark.parametrize("family", NUMERIC_FAMILIES, ids=lambda f: f.ID)
@pytest.mark.parametrize("seed", [0, 1, 42, 2**40 + 7])
def test_class_of_300_gets_distinct_fingerprints(family, seed):
    """Students sitting side by side should not share a variant: the seeding contract forbids
    resampling on collision, so the family's space itself must be large enough."""
    fingerprints = [
        fingerprint(family.generate(question_stream(seed, f"s{i:03d}", 1))) for i in range(1, 301)
    ]
    assert len(set(fingerprints)) >= 297
