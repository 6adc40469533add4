"""Invariant: a student's variant depends only on (seed, student ID, spec).

Not on the roster position, other students, PYTHONHASHSEED, global random state or the machine;
and the same inputs give byte-identical files.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import build, generate_exams, generate_student, key_json
from generator.roster import Student, numbered_students
from generator.seeding import stream
from generator.spec import DEFAULT_SPEC, load_spec
from tests.strategies import seeds, student_ids

ROOT = Path(__file__).resolve().parent.parent


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def fingerprint_of(exam):
    return [(q.variant.family.ID, q.variant.key_params()) for q in exam.questions]


def test_streams_differ_by_every_label():
    """Labels are length-prefixed: ("ab", "c") and ("a", "bc") are different streams."""
    draw = lambda *labels: stream(7, *labels).integers(0, 2**62, size=4).tolist()  # noqa: E731
    assert draw("ab", "c") != draw("a", "bc")
    assert draw("s1", 1) != draw("s1", 2)
    assert draw("s1", 1) == draw("s1", 1)


@given(seed=seeds, ids=st.lists(student_ids, min_size=2, max_size=6, unique=True), data=st.data())
def test_variant_independent_of_roster_order_and_other_students(seed, ids, data):
    """Reordering the roster, or adding a student, leaves every other student's variant as is."""
    spec = load_spec(DEFAULT_SPEC)
    students = [Student(i, f"name {i}") for i in ids]
    alone = {s.id: fingerprint_of(generate_student(spec, seed, s)) for s in students}
    shuffled = data.draw(st.permutations(students))
    extra = Student("newcomer-" + "".join(ids)[:20], "New")
    exams = generate_exams(spec, seed, [*shuffled, extra])
    for exam in exams[:-1]:
        assert fingerprint_of(exam) == alone[exam.student.id]


#: The shipped families a spec may append (each one asked once more).
APPENDED = [
    "gradient-descent-step",
    "sgd-minibatch-step",
    "sgd-direction",
    "vanishing-gradient-chain",
    "initialization-convergence",
]


@settings(max_examples=20, deadline=None)
@given(seed=seeds, ids=st.lists(student_ids, min_size=1, max_size=5, unique=True), data=st.data())
def test_a_question_appended_to_the_spec_keeps_every_earlier_variant(seed, ids, data):
    """The README: add a question at the end of the spec and every earlier question keeps each
    student's variant; insert one and every question after it is drawn afresh."""
    text = DEFAULT_SPEC.read_text(encoding="utf-8")
    family = data.draw(st.sampled_from(APPENDED))
    added = f'\n[[questions]]\nfamily = "{family}"\n'
    students = [Student(i, f"name {i}") for i in ids]
    before = generate_exams(load_spec(DEFAULT_SPEC), seed, students)
    with tempfile.TemporaryDirectory() as tmp:
        appended = Path(tmp) / "appended.toml"
        appended.write_text(text + added, encoding="utf-8")
        after = generate_exams(load_spec(appended), seed, students)
    for old, new in zip(before, after, strict=True):
        assert fingerprint_of(new)[: len(old.questions)] == fingerprint_of(old)
        assert family == new.questions[-1].variant.family.ID


def test_a_question_inserted_first_draws_every_later_one_afresh(tmp_path):
    """... and inserted first, it moves every other question to the next slot, whose stream
    differs: most students' numeric questions change."""
    text = DEFAULT_SPEC.read_text(encoding="utf-8")
    first = text.index("[[questions]]")
    inserted = tmp_path / "inserted.toml"
    inserted.write_text(
        text[:first] + '[[questions]]\nfamily = "sgd-iterations"\n\n' + text[first:],
        encoding="utf-8",
    )
    students = numbered_students(20)
    before = generate_exams(load_spec(DEFAULT_SPEC), 42, students)
    after = generate_exams(load_spec(inserted), 42, students)
    descent = [k for k, q in enumerate(before[0].questions) if "descent" in q.variant.family.ID]
    changed = sum(
        fingerprint_of(old)[k] != fingerprint_of(new)[k + 1]
        for old, new in zip(before, after, strict=True)
        for k in descent
    )
    assert changed >= 0.9 * len(descent) * len(students)


def test_pinning_a_param_may_change_the_questions_other_params(tmp_path):
    """The README: pinning a param may change the question's other params, even for a student
    who already had the pinned value. On 8c6220a the README said such a student's handout is
    read as before; a reviewer found all 15 of a class changed."""
    text = DEFAULT_SPEC.read_text(encoding="utf-8")
    slot = 'family = "gradient-descent-step"           # reference problem #156\n'
    assert slot in text
    pinned = tmp_path / "pinned.toml"
    pinned.write_text(text.replace(slot, slot + 'params = { eta = "1/2" }\n'), encoding="utf-8")
    students = numbered_students(40)
    before = generate_exams(load_spec(DEFAULT_SPEC), 42, students)
    after = generate_exams(load_spec(pinned), 42, students)
    at = next(
        k for k, q in enumerate(before[0].questions) if q.variant.family.ID == "gradient-descent-step"
    )
    had = [
        (old.questions[at].variant.params, new.questions[at].variant.params)
        for old, new in zip(before, after, strict=True)
        if old.questions[at].variant.params.eta == after[0].questions[at].variant.params.eta
    ]
    assert had  # some students had η = 1/2 already
    assert any(old.data != new.data for old, new in had)


def test_global_random_state_does_not_matter():
    spec = load_spec(DEFAULT_SPEC)
    student = Student("s001", "A")
    random.seed(1)
    np.random.seed(1)
    first = fingerprint_of(generate_student(spec, 42, student))
    random.seed(2)
    np.random.seed(2)
    random.random()
    np.random.random(10)
    assert fingerprint_of(generate_student(spec, 42, student)) == first


def test_same_seed_same_bytes(tmp_path):
    """Two builds with the same seed and students are byte-identical, file by file."""
    spec = load_spec(DEFAULT_SPEC)
    students = numbered_students(5)
    a = build(spec, 42, students, tmp_path / "a")
    b = build(spec, 42, students, tmp_path / "b")
    assert tree_digest(a) == tree_digest(b)
    c = build(spec, 43, students, tmp_path / "c")
    assert (a / "key.json").read_bytes() != (c / "key.json").read_bytes()


def test_same_bytes_under_any_pythonhashseed(tmp_path):
    """A fresh interpreter with a different hash salt writes the same files."""
    digests = []
    for hashseed in ("0", "12345"):
        out = tmp_path / hashseed
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "build",
                "--seed",
                "9",
                "--count",
                "3",
                "--out",
                str(out),
                "--quiet",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        digests.append(tree_digest(out))
    assert digests[0] == digests[1] and digests[0]


def test_hundred_students_get_at_least_95_distinct_variants():
    """Numeric questions differ between students (banks of a few statements cannot, and need not:
    their polarity and choice order vary instead); so do whole exams."""
    spec = load_spec(DEFAULT_SPEC)
    exams = generate_exams(spec, 2026, numbered_students(100))
    numeric = [s for s in spec.slots if s.family is not None and s.family.BUDGET is not None]
    assert numeric
    for slot in numeric:
        variants = {
            repr(q.variant.key_params())
            for exam in exams
            for q in exam.questions
            if q.slot.number == slot.number
        }
        assert len(variants) >= 95, (slot.family.ID, len(variants))
    assert len({repr(key_json(spec, 2026, [e])["students"][0]["questions"]) for e in exams}) >= 95


def plain_stream(seed, *labels):
    """``stream`` as first written: the label key and its digest's words built step by step."""
    key = "".join(f"{len(str(label))}:{label};" for label in labels)
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    entropy = [seed & 0xFFFFFFFF, seed >> 32, *words]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


@given(seeds, st.lists(st.text() | st.integers(-(2**70), 2**70), max_size=5))
def test_a_stream_is_seeded_as_first_written(seed, labels):
    """The key and its digest's words are read in one pass (``struct``) and handed over as a
    uint32 array: the same state."""
    assert (
        stream(seed, *labels).bit_generator.state == plain_stream(seed, *labels).bit_generator.state
    )
