"""What each version of a student's exam may contain: the exam nothing of the key, the solutions
every answer. A student who is handed their own .tex or .md cannot read the answers out of it."""

from __future__ import annotations

import json

from hypothesis import given, settings

from generator.build import build
from generator.roster import numbered_students
from generator.spec import DEFAULT_SPEC, SPECS_DIR, load_spec
from tests.strategies import seeds

SOLUTION_MARKERS = {
    # Filled bubbles (\examgenchoice{B}{1}, \examgentruefalse{0}{1}) and filled answer boxes too.
    "tex": ("}{1} ", "truefalse{1}", "{0}{1}\n", "}{$", "\\textbf{", "Why not the other choices"),
    "md": ("(correct)", "Answer:", "#### Solution", "Why not the other choices"),
}
#: How each format opens a question's answer line: the exam class already labels the LaTeX
#: solution "Solution:", so the answer follows it in bold, unlabelled, as in the reference.
ANSWER_LINE = {"tex": "\\textbf{", "md": "**Answer:**"}


def _body(text: str) -> str:
    return text.split("\\begin{document}", 1)[-1]


@settings(max_examples=5)
@given(seed=seeds)
def test_exams_hold_no_key_and_solutions_hold_every_answer(tmp_path_factory, seed):
    for spec_path in (DEFAULT_SPEC, SPECS_DIR / "lecture-14-practice.toml"):
        spec = load_spec(spec_path)
        folder = build(spec, seed, numbered_students(4), tmp_path_factory.mktemp("out"))
        key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
        for student in key["students"]:
            for ext, markers in SOLUTION_MARKERS.items():
                # The body only: the shared LaTeX preamble defines the markup both use.
                exam = _body((folder / "exams" / f"{student['id']}.{ext}").read_text("utf-8"))
                solutions = _body(
                    (folder / "solutions" / f"{student['id']}.{ext}").read_text("utf-8")
                )
                assert not any(marker in exam for marker in markers), (student["id"], ext)
                assert solutions.count(ANSWER_LINE[ext]) == len(student["questions"])
