"""The whole quiz, built: what the key says is what each student's files show.

Invariant: for every student and every multiple-choice or true/false question, the key's letter
points at the choice whose printed text is the key's text (and, for computed choices, whose value
is the key's value), in the student's .md and .tex, exam and solutions alike; the exam never marks
the correct choice and the solutions mark exactly that one; no two printed choices are equal.
"""

from __future__ import annotations

import json
import re
import tempfile
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import build, file_stem
from generator.choices import LETTERS
from generator.roster import Student, numbered_students
from generator.spec import DEFAULT_SPEC, load_spec, shipped_specs

SPECS = {path.stem: load_spec(path) for path in shipped_specs()}

_NUMBER = re.compile(r"(-?)\\frac\{(\d+)\}\{(\d+)\}|(-?\d+)(?:/(\d+))?")


def numbers(text: str) -> list[Fraction]:
    """Every number in LaTeX (``-\\frac{7}{3}``) or key (``-7/3``) notation, in order."""
    values = []
    for sign, num, den, whole, over in _NUMBER.findall(text):
        if num:
            values.append(Fraction(int(num), int(den)) * (-1 if sign else 1))
        else:
            values.append(Fraction(int(whole), int(over or 1)))
    return values


def markdown_questions(text: str) -> dict[int, str]:
    parts = re.split(r"^### Question (\d+) .*$", text, flags=re.M)
    return {
        int(n): body.split("#### Solution")[0]
        for n, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def markdown_choices(section: str) -> list[tuple[str, str, bool]]:
    found = re.findall(r"^- \*\*([A-Z])\.\*\* (.*?)( \*\(correct\)\*)?$", section, flags=re.M)
    return [(letter, body, bool(mark)) for letter, body, mark in found]


def latex_questions(text: str) -> dict[int, str]:
    body = text.split(r"\begin{questions}")[1]
    return {
        n: part.split(r"\begin{solution}")[0]
        for n, part in enumerate(body.split(r"\question[")[1:], 1)
    }


def latex_choices(section: str, environment: str) -> list[tuple[str, str, bool]]:
    match = re.search(
        rf"\\begin{{{environment}}}\n(.*?)\\end{{{environment}}}", section, flags=re.S
    )
    if not match:
        return []
    lines = match.group(1).strip().splitlines()
    out = []
    for letter, line in zip(LETTERS, lines, strict=False):
        command, _, body = line.partition(" ")
        bubble = re.fullmatch(r"\\examgenchoice\{([A-Z])\}\{([01])\}", command)
        assert bubble and bubble.group(1) == letter, line
        out.append((letter, body, bubble.group(2) == "1"))
    return out


def latex_true_false(section: str) -> list[tuple[str, str, bool]]:
    """The True and False bubbles (``\\examgentruefalse{filled}{filled}``)."""
    match = re.search(r"\\examgentruefalse\{([01])\}\{([01])\}", section)
    if not match:
        return []
    return [("True", "True", match.group(1) == "1"), ("False", "False", match.group(2) == "1")]


def check_student(folder: Path, student: dict) -> None:
    stem = file_stem(student["id"])
    for part in ("exams", "solutions"):
        solutions = part == "solutions"
        md = markdown_questions((folder / part / f"{stem}.md").read_text(encoding="utf-8"))
        tex = latex_questions((folder / part / f"{stem}.tex").read_text(encoding="utf-8"))
        assert sorted(md) == sorted(tex) == [q["number"] for q in student["questions"]]
        for question in student["questions"]:
            answer, number = question["answer"], question["number"]
            if answer["kind"] == "choice":
                for choices in (
                    markdown_choices(md[number]),
                    latex_choices(tex[number], "examgenchoices"),
                ):
                    check_choices(choices, answer, solutions, question)
            elif answer["kind"] == "bool":
                boxes = latex_true_false(tex[number])
                assert [body for _, body, _ in boxes] == ["True", "False"]
                marked = [body for _, body, correct in boxes if correct]
                assert marked == ([str(answer["value"])] if solutions else [])
            else:
                assert (
                    not markdown_choices(md[number])
                    and r"\begin{examgenchoices}" not in tex[number]
                )


def check_choices(choices, answer, solutions, question) -> None:
    letters = [letter for letter, _, _ in choices]
    assert letters == list(LETTERS[: len(choices)]) and answer["value"] in letters
    bodies = {letter: body for letter, body, _ in choices}
    assert len(set(bodies.values())) == len(bodies), "two printed choices are equal"
    shown = bodies[answer["value"]]
    if question["family"] in ("vanishing-gradient-definition",):
        assert shown == answer["text"]
    else:
        assert numbers(shown) == numbers(answer["text"])
        values = [tuple(numbers(b)) for b in bodies.values()]
        assert len(set(values)) == len(values), "two printed choices have equal values"
    marked = [letter for letter, _, correct in choices if correct]
    assert marked == ([answer["value"]] if solutions else [])
    # The key names the source of every letter; exactly one is the correct one.
    sources = question["params"]["choices"]
    assert len(sources) == len(choices)


@given(seed=st.integers(0, 2**63 - 1), spec_name=st.sampled_from(sorted(SPECS)))
@settings(max_examples=25)
def test_key_letters_point_at_the_printed_correct_choice(seed, spec_name):
    spec = SPECS[spec_name]
    students = [Student("s1", "A"), Student("née-2", "B"), Student("x y/3", "C")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = build(spec, seed, students, Path(tmp))
        key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
        for student in key["students"]:
            check_student(folder, student)


def test_default_spec_builds_200_students_in_both_formats(tmp_path):
    spec = load_spec(DEFAULT_SPEC)
    folder = build(spec, 2024, numbered_students(200), tmp_path)
    for part in ("exams", "solutions"):
        for ext in ("md", "tex"):
            assert len(list((folder / part).glob(f"*.{ext}"))) == 200
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    assert len(key["students"]) == 200
    kinds = ["choice", "bool", "vector", "vector", "bool", "bool", "bool"]
    for student in key["students"]:
        assert [q["answer"]["kind"] for q in student["questions"]] == kinds
        assert [q["number"] for q in student["questions"]] == [
            q["slot"] for q in student["questions"]
        ]
    # Not everyone has the same true/false answers: the reference's "False" is no longer a pattern.
    patterns = {
        tuple(q["answer"]["value"] for q in s["questions"] if q["answer"]["kind"] == "bool")
        for s in key["students"]
    }
    assert len(patterns) >= 12
    for student in key["students"][:20]:
        check_student(folder, student)
    assert (folder / "key.csv").read_text(encoding="utf-8").count("\n") == 201
