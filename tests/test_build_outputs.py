"""What each version of a student's exam may contain: the exam nothing of the key, the solutions
every answer. A student who is handed their own .tex or .md cannot read the answers out of it."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

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


SMALL_SPEC = (
    'id = "p"\ntitle = "P"\n[[questions]]\nfamily = "gradient-descent-step"\n{params}'
    '[[questions]]\nfamily = "sgd-direction"\n[grading.partial]\nsign-flipped = {credit}\n'
)


def _handouts_and_key(tmp_path, name: str, text: str) -> tuple[dict[str, bytes], dict]:
    from generator.spec import load_spec

    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    folder = build(load_spec(path), 1, numbered_students(20), tmp_path / name)
    handouts = {p.stem: p.read_bytes() for p in (folder / "exams").glob("*.tex")}
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    return handouts, {s["id"]: s["questions"] for s in key["students"]}


def test_what_prints_nothing_leaves_the_handouts_as_they_were(tmp_path):
    """A handout's QR codes carry a digest of what it prints. On 60c4de8 that took in the whole
    spec, so partial credit set after printing (which needs a rebuild: it lives in key.json)
    made every printed copy unreadable by scan, and pinning a param in one slot did the same to
    students whose questions it left alone. A handout is now the same bytes exactly when its
    questions are."""
    plain, key = _handouts_and_key(tmp_path, "a", SMALL_SPEC.format(params="", credit="0.5"))
    regraded, regraded_key = _handouts_and_key(
        tmp_path, "b", SMALL_SPEC.format(params="", credit="0.25")
    )
    assert regraded == plain and regraded_key == key
    pinned, pinned_key = _handouts_and_key(
        tmp_path, "c", SMALL_SPEC.format(params="params = { eta = \"1/2\" }\n", credit="0.5")
    )
    same = {sid for sid in key if pinned_key[sid] == key[sid]}
    assert 0 < len(same) < len(key)  # eta 1/2 is one of the six it draws
    assert {sid for sid in key if pinned[sid] == plain[sid]} == same


@settings(max_examples=6, deadline=None)
@given(
    course=st.sampled_from(["", "DSC 140B"]),
    date=st.sampled_from(["", "2026-12-01"]),
    title=st.sampled_from(["Quiz 7", "Practice & review"]),
)
def test_a_markdown_exams_header_is_blocks_apart(tmp_path_factory, course, date, title):
    """Title, course line and the name list are blocks apart, as Markdown other than CommonMark
    (pandoc's) needs: on 4b822ac the title's and the course line's line breaks were lost to the
    template's tags, and pandoc ran course, name, ID and variant into one paragraph."""
    tmp = tmp_path_factory.mktemp("md")
    spec = tmp / "quiz.toml"
    spec.write_text(
        f'id = "md"\ntitle = "{title}"\ncourse = "{course}"\ndate = "{date}"\n'
        '[[questions]]\nfamily = "sgd-direction"\n',
        encoding="utf-8",
    )
    folder = build(load_spec(spec), 1, numbered_students(1), tmp / "out")
    for sub in ("exams", "solutions"):
        lines = (folder / sub / "s001.md").read_text(encoding="utf-8").split("\n")
        name = lines.index(next(line for line in lines if line.startswith("- **Name:**")))
        assert lines[0].startswith("# ") and lines[1] == ""
        assert lines[name - 1] == "" and all(lines[k] for k in range(name, name + 3))
        header = [line for line in lines[:name] if line]
        assert header[1:] == ([course + (f" · {date}" if date else "")] if course else [])
