"""manifest.json makes an exam folder auditable, and `examgen diff` says who an erratum affects.

Invariants: the same inputs give a byte-identical manifest (any out folder, any PYTHONHASHSEED);
it records seed, versions, spec/templates/code digests and each question's fingerprint and answer,
agreeing with key.json; `examgen diff` lists exactly the students whose variants or answers differ
(recomputed here from key.json), plus added and removed students, and exits 0; a folder that is not
an exam folder is one clear error line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import build
from generator.cli import main
from generator.families.base import Answer
from generator.fingerprint import fingerprint_of
from generator.grading.diff import answer_text
from generator.manifest import LIBRARIES, tree_digest
from generator.render import templates_dir
from generator.roster import Student, numbered_students
from generator.spec import DEFAULT_SPEC, load_spec

ROOT = Path(__file__).resolve().parent.parent
QUIZ = """id = "erratum-quiz"
[[questions]]
family = "gradient-descent-step"
[[questions]]
family = "sgd-minibatch-step"
{pin}
"""


def build_quiz(tmp_path: Path, name: str, pin: str = "", students=None, seed: int = 11) -> Path:
    spec_path = tmp_path / f"{name}.toml"
    spec_path.write_text(QUIZ.format(pin=pin), encoding="utf-8")
    roster = students if students is not None else numbered_students(12)
    return build(load_spec(spec_path), seed, roster, tmp_path / name)


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


# --- manifest -----------------------------------------------------------------------------------
def test_manifest_is_byte_identical_for_the_same_inputs(tmp_path):
    """Same seed, roster and spec in two different out folders: the same manifest bytes."""
    spec = load_spec(DEFAULT_SPEC)
    students = numbered_students(6)
    a = build(spec, 42, students, tmp_path / "a")
    b = build(spec, 42, students, tmp_path / "nested" / "b")
    assert (a / "manifest.json").read_bytes() == (b / "manifest.json").read_bytes()
    assert (a / "key.json").read_bytes() == (b / "key.json").read_bytes()


def test_manifest_ignores_pythonhashseed(tmp_path):
    outputs = set()
    for hash_seed in ("0", "777"):
        out = tmp_path / hash_seed
        subprocess.run(
            [sys.executable, "-m", "generator", "build", "--seed", "5", "--count", "4"]
            + ["--out", str(out), "--quiet"],
            env=os.environ | {"PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        outputs.add((out / "lecture-14-quiz-seed5" / "manifest.json").read_bytes())
    assert len(outputs) == 1


def test_manifest_records_inputs_versions_and_fingerprints(tmp_path):
    folder = build_quiz(tmp_path, "m", pin='params = { eta = "1/2" }')
    manifest = read_json(folder / "manifest.json")
    key = read_json(folder / "key.json")
    spec_text = (tmp_path / "m.toml").read_text(encoding="utf-8")
    assert manifest["exam"] == "erratum-quiz" and manifest["seed"] == 11
    assert set(manifest["versions"]) == {"examgen", "python", *LIBRARIES}
    assert manifest["sha256"]["spec"] == hashlib.sha256(spec_text.encode()).hexdigest()
    assert manifest["sha256"]["templates"] == tree_digest(templates_dir())
    assert "timestamp" not in json.dumps(manifest) and str(tmp_path) not in json.dumps(manifest)
    cells = {row.split(",")[0]: row for row in (folder / "key.csv").read_text().splitlines()[1:]}
    assert [s["id"] for s in manifest["students"]] == [s["id"] for s in key["students"]]
    for entry, student in zip(manifest["students"], key["students"], strict=True):
        for recorded, question in zip(entry["questions"], student["questions"], strict=True):
            expected = fingerprint_of(question["family"], question["params"])
            assert recorded["fingerprint"] == question["fingerprint"] == expected
            assert recorded["number"] == question["number"]
            assert recorded["answer"] in cells[student["id"]]


def test_tree_digest_sees_every_change_and_nothing_else(tmp_path):
    """Edits, renames and new files change the digest; caches and hidden files do not."""
    root = tmp_path / "t"
    shutil.copytree(templates_dir(), root)
    base = tree_digest(root)
    assert tree_digest(root) == base
    (root / ".family.j2.swp").write_text("editor junk")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert tree_digest(root) == base
    macros = root / "latex" / "macros.j2"
    macros.write_text(macros.read_text() + " ")
    edited = tree_digest(root)
    assert edited != base
    macros.rename(root / "latex" / "macros2.j2")
    assert tree_digest(root) not in {base, edited}


# --- diff ---------------------------------------------------------------------------------------
def expected_changes(old: Path, new: Path) -> dict[str, list[int]]:
    """Who differs, from key.json alone: question numbers whose params or answer differ."""
    before = {s["id"]: s for s in read_json(old / "key.json")["students"]}
    out = {}
    for student in read_json(new / "key.json")["students"]:
        if student["id"] not in before:
            continue
        old_questions = {q["number"]: q for q in before[student["id"]]["questions"]}
        numbers = [
            q["number"]
            for q in student["questions"]
            if (q["family"], q["params"], q["answer"])
            != tuple(old_questions[q["number"]][k] for k in ("family", "params", "answer"))
        ]
        if numbers:
            out[student["id"]] = numbers
    return out


def test_diff_after_changing_the_spec_lists_exactly_the_affected(tmp_path):
    """Pinning η on question 2 changes the SGD variant of some students (not those already at
    η = 1/2, unless their resampling differs): diff names exactly the students whose key entries
    differ, and no one for question 1."""
    old = build_quiz(tmp_path, "old")
    new = build_quiz(tmp_path, "new", pin='params = { eta = "1/2" }')
    expected = expected_changes(old, new)
    assert expected and all(numbers == [2] for numbers in expected.values())
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {s["id"]: [q["number"] for q in s["questions"]] for s in report["changed"]} == expected
    assert report["unchanged"] == 12 - len(expected)
    assert report["added"] == [] and report["removed"] == []
    assert "spec changed" in report["inputs"]
    text = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert text.exit_code == 0
    for student_id in expected:
        assert f"  {student_id} (" in text.output


def test_diff_reports_answer_only_changes_added_and_removed(tmp_path):
    """An erratum in a family's solve changes answers, not variants: those students need
    regrading. Students are matched by ID: roster changes are added/removed, not shifts."""
    old = build_quiz(tmp_path, "old", students=numbered_students(5))
    roster = [Student("s002", "Student 2"), Student("s009", "New"), *numbered_students(5)[2:]]
    new = build_quiz(tmp_path, "new", students=roster)
    key = read_json(new / "key.json")
    key["students"][0]["questions"][1]["answer"]["value"] = ["99", "1/2"]  # s002, question 2
    (new / "key.json").write_text(json.dumps(key), encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (changed,) = report["changed"]
    assert changed["id"] == "s002"
    assert changed["questions"][0]["number"] == 2
    assert changed["questions"][0]["change"] == "answer"
    assert changed["questions"][0]["detail"].endswith("→ (99, 1/2)")
    assert report["added"] == [{"id": "s009", "name": "New"}]
    assert report["removed"] == [{"id": "s001", "name": "Student 1"}]
    assert report["unchanged"] == 3
    text = CliRunner().invoke(main, ["diff", str(old), str(new)]).output
    assert "s002 (Student 2)  q2 answer:" in text
    assert "only in new: s009 (New)" in text and "only in old: s001 (Student 1)" in text


_exact = st.fractions(max_denominator=1000).map(lambda f: sympy.Rational(f.numerator, f.denominator))


@given(
    st.one_of(
        _exact.map(lambda v: Answer("number", v)),
        st.lists(_exact, min_size=1, max_size=4).map(lambda v: Answer("vector", tuple(v))),
        st.booleans().map(lambda v: Answer("bool", v)),
        st.sampled_from("ABCDE").map(lambda v: Answer("choice", v, "(1, 2)")),
    )
)
def test_diff_writes_every_answer_as_key_csv_does(answer):
    """A number answer read ``{"kind": "number", "value": "3/64"}`` on 8cb6922 (a vector read
    ``(7/2, 19/2)``): diff writes each as key.csv does, a choice with its option's text."""
    text = answer_text(answer.to_json())
    assert text == (f"{answer.cell()} ({answer.text})" if answer.text else answer.cell())


SHUFFLED = """id = "shuffled-quiz"
shuffle_questions = true
[[questions]]
family = "gradient-descent-step"
[[questions]]
family = "sgd-minibatch-step"
[[questions]]
family = "sgd-direction"
[[questions]]
family = "initialization-convergence"
{more}
"""


@settings(max_examples=6, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    more=st.sampled_from(["", '[[questions]]\nfamily = "vanishing-gradient-chain"']),
    points=st.sampled_from([1, 2]),
)
def test_diff_matches_shuffled_questions_by_the_specs_slot(
    tmp_path_factory: pytest.TempPathFactory, seed: int, more: str, points: int
) -> None:
    """With shuffled questions, a question appended to the spec (or shuffling turned on) moves
    the others on each student's paper, but not their variants: diff says "moved" and where
    each was, and names the added question as added. On 3aefcc7 it compared questions by
    printed number: seven "variant" changes per student, and an old question called added."""
    tmp = tmp_path_factory.mktemp("shuffled")
    roster = numbered_students(8)
    folders = []
    changed = SHUFFLED.format(more=more).replace(
        'family = "sgd-direction"', f'family = "sgd-direction"\npoints = {points}'
    )
    for name, text in (("old", SHUFFLED.format(more="")), ("new", changed)):
        spec = tmp / f"{name}.toml"
        spec.write_text(text, encoding="utf-8")
        folders.append(build(load_spec(spec), seed, roster, tmp / name))
    old, new = folders
    report = json.loads(CliRunner().invoke(main, ["diff", str(old), str(new), "--json"]).output)
    # Expected from key.json alone, by slot.
    before = {
        s["id"]: {q["slot"]: q for q in s["questions"]}
        for s in read_json(old / "key.json")["students"]
    }
    expected = {}
    for student in read_json(new / "key.json")["students"]:
        changes = []
        for q in sorted(student["questions"], key=lambda q: q["number"]):
            was = before[student["id"]].get(q["slot"])
            if was is None:
                changes.append((q["number"], q["slot"], "added"))
            elif was["params"] != q["params"] or was["answer"] != q["answer"]:
                changes.append((q["number"], q["slot"], "variant"))
            elif was["points"] != q["points"]:
                changes.append((q["number"], q["slot"], "points"))
            elif was["number"] != q["number"]:
                changes.append((q["number"], q["slot"], "moved"))
        if changes:
            expected[student["id"]] = changes
    found = {s["id"]: s["questions"] for s in report["changed"]}
    assert {i: [(q["number"], q["change"]) for q in qs] for i, qs in found.items()} == {
        i: [(number, change) for number, _, change in changes] for i, changes in expected.items()
    }
    assert {i: [q["slot"] for q in qs] for i, qs in found.items()} == {
        i: [slot for _, slot, _ in changes] for i, changes in expected.items()
    }
    assert not any(c == "variant" for changes in expected.values() for _, _, c in changes)
    if more:  # every student has the new question, and most have others printed elsewhere
        assert len(expected) == len(roster)
        assert all((5, "added") in {(s, c) for _, s, c in changes} for changes in expected.values())
        assert any(c == "moved" for changes in expected.values() for _, _, c in changes)


def test_diff_names_a_students_new_name(tmp_path):
    """A name corrected on the roster reprints the student's exam with the same variants: diff
    lists them among the new sheets with the old name and the new. On 8c6220a it said only "a
    template, the wording or the title changed"."""
    roster = numbered_students(3)
    old = build_quiz(tmp_path, "old", students=roster)
    renamed = [roster[0], Student(roster[1].id, "Ann Lee"), roster[2]]
    new = build_quiz(tmp_path, "new", students=renamed)
    result = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "printed exam differs" in line)
    assert "the student's name changed" in line
    assert line.endswith("s002 (Student 2 → Ann Lee)")


def test_diff_of_identical_builds_is_empty(tmp_path):
    old = build_quiz(tmp_path, "a")
    new = build_quiz(tmp_path, "b")
    result = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == 0
    assert "No student's variants or answers differ (12 compared)." in result.output


def test_diff_lists_students_whose_printed_exam_changed_with_the_same_answers(tmp_path):
    """A wording change (here the question's space, which the exam prints; a template edit
    alike) gives the same variants and answers but new sheets: on main diff said "No student's
    variants or answers differ" and nothing more, though every copy printed differently."""
    old = build_quiz(tmp_path, "old")
    new = build_quiz(tmp_path, "new", pin='space = "2in"')
    report = json.loads(CliRunner().invoke(main, ["diff", str(old), str(new), "--json"]).output)
    assert report["changed"] == [] and report["unchanged"] == 12
    assert [s["id"] for s in report["reworded"]] == [f"s{i:03d}" for i in range(1, 13)]
    text = CliRunner().invoke(main, ["diff", str(old), str(new)]).output
    assert "No student's variants or answers differ (12 compared)." in text
    assert "12 student(s) whose printed exam differs, with the same variants and answers" in text
    same = build_quiz(tmp_path, "same")
    assert json.loads(
        CliRunner().invoke(main, ["diff", str(old), str(same), "--json"]).output
    )["reworded"] == []


@pytest.mark.parametrize("points", ["3", "0.5", "1.25"])
def test_diff_lists_a_question_whose_points_changed(tmp_path, points):
    """The same variants and answers worth other points score differently: every student's
    question is listed for regrading with its points, old and new; on main diff said "No
    student's variants or answers differ" and then "a new sheet, the same key"."""
    old = build_quiz(tmp_path, "old")
    new = build_quiz(tmp_path, "new", pin=f"points = {points}")
    report = json.loads(CliRunner().invoke(main, ["diff", str(old), str(new), "--json"]).output)
    assert report["unchanged"] == 0 and len(report["changed"]) == 12
    for student in report["changed"]:
        assert student["questions"] == [
            {"number": 2, "slot": 2, "change": "points", "detail": f"1 → {points.rstrip('0')}"}
        ]
    text = CliRunner().invoke(main, ["diff", str(old), str(new)]).output
    assert f"  s012 (Student 12)  q2 points: 1 → {points.rstrip('0')}" in text
    assert "the same key" not in text


def test_diff_names_other_grading_rules(tmp_path):
    """Another decimal rule or partial credit changes the scores of the same answers: diff
    says so among the inputs and does not call the key the same."""
    old = build_quiz(tmp_path, "old")
    new = build_quiz(
        tmp_path, "new", pin='space = "2in"\n[grading]\ndecimals = 4\n[grading.partial]\nsign-flipped = 0.5'
    )
    report = json.loads(CliRunner().invoke(main, ["diff", str(old), str(new), "--json"]).output)
    assert report["changed"] == [] and report["unchanged"] == 12
    (line,) = [i for i in report["inputs"] if i.startswith("grading:")]
    assert '"decimals": 4' in line and "sign-flipped" in line and "regrade every student" in line
    text = CliRunner().invoke(main, ["diff", str(old), str(new)]).output
    assert "the same key" not in text and "a new sheet, the same answers" in text
    same = json.loads(
        CliRunner().invoke(main, ["diff", str(old), str(build_quiz(tmp_path, "same")), "--json"]).output
    )
    assert not [i for i in same["inputs"] if i.startswith("grading:")]


def test_diff_names_another_seed_as_the_cause(tmp_path):
    old = build_quiz(tmp_path, "a", seed=1)
    new = build_quiz(tmp_path, "b", seed=2)
    report = json.loads(CliRunner().invoke(main, ["diff", str(old), str(new), "--json"]).output)
    assert "seed: 1 → 2" in report["inputs"]
    assert len(report["changed"]) == 12


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "no such folder"),
        (lambda p: p, "not an exam folder (no key.json"),
        (lambda p: (p / "key.json").write_text("{not json") and p, "key.json: not valid JSON"),
        (lambda p: (p / "key.json").write_text("[]") and p, "key.json: a key is a JSON object"),
        (
            lambda p: (
                (p / "key.json").write_text('{"students": [{"id": "a", "questions": [{}]}]}') and p
            ),
            "students[0].questions[0]: missing field",
        ),
    ],
)
def test_diff_rejects_what_is_not_an_exam_folder(tmp_path, make, message):
    good = build_quiz(tmp_path, "good", students=numbered_students(1))
    bad = tmp_path / "bad"
    bad.mkdir()
    bad = make(bad)
    for argv in (["diff", str(bad), str(good)], ["diff", str(good), str(bad)]):
        result = CliRunner().invoke(main, argv)
        assert result.exit_code == 1
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert "Traceback" not in result.output


@pytest.mark.parametrize("field", ["sha256", "versions"])
@pytest.mark.parametrize("value", [True, [], "abc", 3])
def test_diff_of_a_hand_edited_manifest_is_one_line(tmp_path, field, value):
    """On main a manifest.json whose sha256 or versions was not an object raised TypeError
    ("'bool' object is not iterable") or AttributeError."""
    good = build_quiz(tmp_path, "good", students=numbered_students(1))
    edited = tmp_path / "edited"
    shutil.copytree(good, edited)
    manifest = json.loads((edited / "manifest.json").read_text(encoding="utf-8"))
    manifest[field] = value
    (edited / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for argv in (["diff", str(edited), str(good)], ["diff", str(good), str(edited)]):
        result = CliRunner().invoke(main, argv)
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and f"manifest.json: {field} must be an object" in lines[0], lines


def test_diff_of_a_file_says_it_is_not_a_folder(tmp_path):
    """A file the build wrote beside key.json names its exam folder, as for grade and scan
    (``diff out/a/key.csv out/b``); any other file is refused as no folder."""
    good = build_quiz(tmp_path, "good", students=numbered_students(1))
    by_folder = CliRunner().invoke(main, ["diff", str(good), str(good), "--json"])
    assert by_folder.exit_code == 0, by_folder.output
    for name in ("key.json", "key.csv", "manifest.json"):
        result = CliRunner().invoke(main, ["diff", str(good / name), str(good), "--json"])
        assert result.exit_code == 0, result.output
        assert result.output == by_folder.output
    exam = next((good / "exams").iterdir())
    result = CliRunner().invoke(main, ["diff", str(exam), str(good)])
    assert result.exit_code == 1 and f"{exam}: is a file, not a folder" in result.output


def test_diff_points_into_an_out_folder(tmp_path):
    """Giving out/ instead of out/<exam>-seed<S>/ is a common slip: the error names the fix."""
    folder = build_quiz(tmp_path, "o", students=numbered_students(1))
    result = CliRunner().invoke(main, ["diff", str(folder.parent), str(folder)])
    assert result.exit_code == 1
    assert f"did you mean {folder}?" in result.output


@pytest.mark.parametrize(
    "file, edit",
    [
        ("key.json", lambda d: d["students"][0].update(name="Zo\udce9")),
        ("key.json", lambda d: d["students"][0]["questions"][0].update(family="\ud800")),
        ("manifest.json", lambda d: d["versions"].update(python="3.\udfff")),
    ],
)
def test_a_lone_surrogate_in_a_folders_json_is_one_line(tmp_path, file, edit):
    """``"\\ud800"`` is valid JSON whose string no UTF-8 file or terminal can hold: on main diff
    and grade ended in a UnicodeEncodeError traceback when they printed or wrote it. A pair
    spelled as two escapes (an emoji) is one character and reads as it is."""
    good = build_quiz(tmp_path, "good", students=numbered_students(1))
    edited = tmp_path / "edited"
    shutil.copytree(good, edited)
    data = read_json(edited / file)
    edit(data)
    (edited / file).write_text(json.dumps(data), encoding="utf-8")  # escapes: \ud800
    responses = tmp_path / "responses.csv"
    responses.write_text('id,q1,q2\ns001,1,"(1, 2)"\n', encoding="utf-8")
    runs = [["diff", str(edited), str(good)], ["diff", str(good), str(edited), "--json"]]
    if file == "key.json":
        runs.append(["grade", str(edited), str(responses)])
    for argv in runs:
        result = CliRunner().invoke(main, argv)
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), argv
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {edited}"), lines
        assert "surrogate" in lines[0]
    key = read_json(good / "key.json")
    key["students"][0]["name"] = "Zoë \U0001f600"
    (edited / "key.json").write_text(json.dumps(key), encoding="utf-8")
    shutil.copy(good / "manifest.json", edited / "manifest.json")
    result = CliRunner().invoke(main, ["diff", str(edited), str(good)])
    assert result.exit_code == 0 and "No student's variants or answers differ" in result.output


def test_diff_shows_each_student_on_one_line_whatever_the_name(tmp_path):
    """A roster name from a spreadsheet cell may hold a newline (Alt-Enter) or an escape
    sequence: on main diff's listing printed them raw, a student over two lines, the terminal
    recoloured. The JSON report keeps the names as they are."""
    students = [Student("s1", "Ann\nLee"), Student("s2", "Bob\x1b[31mRed")]
    old = build_quiz(tmp_path, "old", students=students, seed=1)
    new = build_quiz(tmp_path, "new", students=students, seed=2)
    result = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    listed = [line.split()[:2] for line in result.output.splitlines() if line.startswith("  s")]
    assert [who for who in listed if who[0] != "seed:"] == [
        ["s1", "(Ann\\nLee)"],
        ["s2", "(Bob\\x1b[31mRed)"],
    ]
    report = json.loads(CliRunner().invoke(main, ["diff", str(old), str(new), "--json"]).output)
    assert [s["name"] for s in report["changed"]] == ["Ann\nLee", "Bob\x1b[31mRed"]


def test_diff_of_builds_with_and_without_pdfs_says_what_was_not_used(paper_builds, tmp_path):
    """A build without PDFs records no pdflatex or pikepdf version: diff said "→ None"."""
    from tests.conftest import PAPER_SEED

    with_pdfs = paper_builds["quiz"]
    key = json.loads((with_pdfs / "key.json").read_text(encoding="utf-8"))
    students = [Student(s["id"], s["name"]) for s in key["students"]]
    without = build(load_spec(DEFAULT_SPEC), PAPER_SEED, students, tmp_path, pdf=False)
    result = CliRunner().invoke(main, ["diff", str(with_pdfs), str(without)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.strip().startswith("pdflatex: ") and line.endswith("→ not used") for line in lines)
    assert any(line.strip().startswith("pikepdf: ") and line.endswith("→ not used") for line in lines)
    assert "None" not in result.output


def test_diff_of_a_manifest_holding_an_endless_number_is_one_line(tmp_path):
    """An auditor's (65172e0): a seed of 5,000 digits typed into manifest.json raised int()'s
    ValueError through a traceback."""
    good = build_quiz(tmp_path, "good", students=numbered_students(1))
    edited = tmp_path / "edited"
    shutil.copytree(good, edited)
    text = (edited / "manifest.json").read_text(encoding="utf-8")
    (edited / "manifest.json").write_text(re.sub(r'"seed": \d+', '"seed": ' + "9" * 5000, text))
    result = CliRunner().invoke(main, ["diff", str(good), str(edited)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        f"Error: {edited}: not an exam folder (manifest.json holds a number too long to read); "
        "give a folder written by `examgen build`, such as out/<exam-id>-seed<SEED>"
    ]


@pytest.mark.parametrize("deleted", ["s002.tex", "s002.md", "*"])
@pytest.mark.parametrize("side", ["old", "new"])
def test_diff_names_students_whose_printed_exam_is_missing(tmp_path, deleted, side):
    """An auditor's (65172e0): with a student's exams/ files deleted, diff counted them as
    "unchanged", though their printed exam was never compared."""
    old = build_quiz(tmp_path, "old", students=numbered_students(3))
    new = tmp_path / "new"
    shutil.copytree(old, new)
    for path in ({"old": old, "new": new}[side] / "exams").glob(deleted):
        path.unlink()
    report = json.loads(CliRunner().invoke(main, ["diff", str(old), str(new), "--json"]).output)
    missing = ["s001", "s002", "s003"] if deleted == "*" else ["s002"]
    assert [s["id"] for s in report["unprinted"]] == missing
    assert report["reworded"] == [] and report["unchanged"] == 3
    text = CliRunner().invoke(main, ["diff", str(old), str(new)]).output
    assert f"{len(missing)} student(s) whose printed exam is missing from a folder" in text
    assert "s002 (Student 2)" in text


def test_diff_pairs_ids_that_differ_only_as_a_spreadsheet_changes_them(tmp_path):
    """An ID whose leading zeros a spreadsheet dropped, or saved decomposed (macOS), is a new
    student to diff: on 8c6220a it printed "only in new: İ01" and "only in old: İ01", which look
    the same. Now such pairs get a line of their own, look-alikes escaped."""
    old_ids = [Student("00123", "A"), Student("İ01", "B"), Student("s9", "C")]
    new_ids = [Student("123", "A"), Student(unicodedata.normalize("NFD", "İ01"), "B")]
    old = build_quiz(tmp_path, "old", students=old_ids)
    new = build_quiz(tmp_path, "new", students=[*new_ids, Student("s10", "D")])
    result = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "differ only in leading" in line)
    assert line.startswith("2 of them differ only in leading zeros, case or Unicode form")
    assert "'00123' → '123'" in line
    assert f"{ascii('İ01')} → {ascii(unicodedata.normalize('NFD', 'İ01'))}" in line
    report = json.loads(CliRunner().invoke(main, ["diff", str(old), str(new), "--json"]).output)
    assert {(p["old"], p["new"]) for p in report["alike"]} == {
        (o.id, n.id) for o, n in zip(old_ids, new_ids, strict=False)
    }
