"""``examgen grade``: scores from typed responses against a build's key.

Invariants: the key's own answers, typed back in any accepted spelling, score full marks; each
named misconception typed as a response is reported under its name; a response file that could
put a wrong score next to a student's name is refused with one line naming the line and the fix,
and nothing is written; anything that only leaves a score out is warned about.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from generator.build import build, generate_exams, key_json
from generator.cli import main
from generator.errors import ExamgenError
from generator.exact import exact_str
from generator.families.base import Answer
from generator.grading.grade import grade, grade_files, scores_csv
from generator.grading.keyfile import load_key, parse_key
from generator.grading.response_file import ResponseRow, ResponseTable, read_responses
from generator.paper.packets import key_lines
from generator.partial_credit import PartialCredit, with_mistake_credit
from generator.responses import DecimalRule
from generator.roster import numbered_students
from generator.spec import DEFAULT_SPEC, load_spec
from tests.strategies import student_ids

#: The two descent families: vector answers with named misconceptions, whatever the default holds.
SPEC = load_spec(Path(__file__).parent / "data" / "descent-quiz.toml")
seeds = st.integers(0, 2**32)


def memory_key(seed: int, count: int = 8):
    """A key as a build writes it, parsed back, without touching the disk."""
    exams = generate_exams(SPEC, seed, numbered_students(count))
    data = json.loads(json.dumps(key_json(SPEC, seed, exams)))
    return parse_key(data, Path("key.json")), exams


def table(rows: dict[str, dict[int, str]]) -> ResponseTable:
    return ResponseTable(
        Path("responses.csv"),
        [ResponseRow(i + 2, sid, "", answers) for i, (sid, answers) in enumerate(rows.items())],
    )


def decimal_cell(values, places: int | None = None) -> str:
    """An answer typed as decimals, rounded by float formatting (independent of examgen), to
    ``places``, or else to the places the default rule needs for each value."""
    rule = DecimalRule()
    return (
        "("
        + ", ".join(
            f"{float(v):.{rule.places_needed(v) if places is None else places}f}" for v in values
        )
        + ")"
    )


@settings(max_examples=10)
@given(seeds)
def test_key_answers_score_full_marks(seed: int) -> None:
    """The key's own cells, and their decimal roundings to the places the rule needs (and one
    more), earn every point."""
    key, exams = memory_key(seed)
    for cell in (
        lambda a: a.cell(),
        lambda a: decimal_cell(a.value),
        lambda a: decimal_cell(a.value, 4) + "^T",
    ):
        responses = {
            e.student.id: {q.number: cell(q.variant.solution.answer) for q in e.questions}
            for e in exams
        }
        report = grade(key, table(responses))
        for e in exams:
            assert report.total(e.student.id) == sum(q.slot.points for q in e.questions)
        assert all(s.share_correct == 1 for s in report.stats)


@settings(max_examples=5)
@given(seeds)
def test_default_spec_key_answers_score_full_marks(seed: int) -> None:
    """The shipped quiz, whatever answer kinds its families have: key.csv's cells score full."""
    spec = load_spec(DEFAULT_SPEC)
    exams = generate_exams(spec, seed, numbered_students(5))
    key = parse_key(json.loads(json.dumps(key_json(spec, seed, exams))), Path("key.json"))
    responses = {
        e.student.id: {q.number: q.variant.solution.answer.cell() for q in e.questions}
        for e in exams
    }
    report = grade(key, table(responses))
    for e in exams:
        assert report.total(e.student.id) == sum(q.slot.points for q in e.questions)


@settings(max_examples=10)
@given(seeds)
def test_one_place_decimals_count_only_when_exact(seed: int) -> None:
    """Under the default rule (2 places), ``2.3`` for 7/3 is wrong, ``4.5`` for 9/2 right."""
    key, exams = memory_key(seed)
    responses = {
        e.student.id: {
            q.number: decimal_cell(q.variant.solution.answer.value, 1) for q in e.questions
        }
        for e in exams
    }
    report = grade(key, table(responses))
    for e in exams:
        for q in e.questions:
            value = q.variant.solution.answer.value
            right = sum(sympy.Rational(f"{float(v):.1f}") == v for v in value)
            expected = sympy.Rational(right, len(value)) * q.slot.points
            assert report.marks[e.student.id][q.number].points == expected


@settings(max_examples=10)
@given(seeds, st.sampled_from(["exact", "decimal"]))
def test_each_misconception_is_recognised(seed: int, spelling: str) -> None:
    """Every student types the value of one named misconception; the statistics report it by name
    for every student whose misconception value differs from the answer and from the others."""
    key, exams = memory_key(seed)
    names = {
        name
        for e in exams
        for q in e.questions
        for name in q.variant.family.misconceptions(q.variant.params, q.variant.solution)
    }
    assert names, "the descent families know misconceptions"
    exercised: set[str] = set()
    for name in sorted(names):
        responses: dict[str, dict[int, str]] = {}
        expected: dict[int, int] = {}
        for e in exams:
            responses[e.student.id] = {}
            for q in e.questions:
                wrong = q.variant.family.misconceptions(q.variant.params, q.variant.solution)
                if name not in wrong:
                    continue
                value = wrong[name]
                others = [v for n, v in wrong.items() if n != name]
                if spelling == "exact":
                    typed = Answer("vector", value).cell()
                else:  # 6 places keep distinct exact values apart when read back
                    typed = decimal_cell(value, 6)
                responses[e.student.id][q.number] = typed
                if tuple(value) != tuple(q.variant.solution.answer.value) and all(
                    tuple(value) != tuple(o) for o in others
                ):
                    expected[q.number] = expected.get(q.number, 0) + 1
        # A mistake may coincide with the answer for a whole small class (stale weights and a
        # prediction without w0 do whenever w0 = 0): such a name is checked, but exercises nothing.
        if sum(expected.values()) > 0:
            exercised.add(name)
        report = grade(key, table(responses))
        for stats in report.stats:
            assert stats.misconceptions.get(name, 0) == expected.get(stats.slot, 0), name
            for wrong_answer in stats.wrong_answers:
                if wrong_answer["misconception"] is not None:
                    assert name in str(wrong_answer["misconception"])
    assert len(exercised) >= len(names) // 2, sorted(names - exercised)


def test_partial_credit_per_component() -> None:
    key, exams = memory_key(5, count=1)
    e = exams[0]
    q = e.questions[0]
    w0, w1 = q.variant.solution.answer.value
    typed = f"({exact_str(w0)}, {exact_str(w1 + 1)})"
    report = grade(key, table({e.student.id: {q.number: typed}}))
    mark = report.marks[e.student.id][q.number]
    assert mark.status == "partial"
    assert mark.points == sympy.Rational(q.slot.points, 2)


def hand_key(tmp_path: Path, decimals: int | None = None) -> Path:
    """A key with every answer kind, for families this examgen may not have (concept families)."""
    data: dict = {
        "exam": "hand",
        "seed": 1,
        "students": [
            {
                "id": sid,
                "name": name,
                "questions": [
                    {
                        "number": 1,
                        "family": "some-tf",
                        "points": 1,
                        "params": {},
                        "answer": {"kind": "bool", "value": truth},
                    },
                    {
                        "number": 2,
                        "family": "some-mc",
                        "points": 1,
                        "params": {},
                        "answer": {"kind": "choice", "value": letter, "text": "…"},
                    },
                    {
                        "number": 3,
                        "family": "some-number",
                        "points": 2,
                        "params": {},
                        "answer": {"kind": "number", "value": "-7/3"},
                    },
                    {
                        "number": 4,
                        "family": "some-vector",
                        "points": 3,
                        "params": {},
                        "answer": {"kind": "vector", "value": ["1/2", "4", "-3"]},
                    },
                ],
            }
            for sid, name, truth, letter in (("a1", "Ann", True, "B"), ("b2", "Bo", False, "D"))
        ],
    }
    if decimals is not None:
        data["grading"] = {"decimals": decimals}
    folder = tmp_path / "hand-seed1"
    folder.mkdir()
    (folder / "key.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def run(*args: str):
    return CliRunner().invoke(main, [*args], catch_exceptions=False)


def read_scores(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_every_answer_kind(tmp_path: Path) -> None:
    """T/F, choice letters, a number and a 3-vector, in lenient spellings."""
    key = hand_key(tmp_path)
    responses = write(
        tmp_path / "r.csv",
        'id,q1,q2,q3,q4\na1,true,(b),\u22122.33,"[0.5, 4, -3]"\nb2,T,d,-7/3,"0.5; 4; 3"\n',
    )
    result = run("grade", str(key), str(responses))
    assert result.exit_code == 0, result.output
    assert read_scores(tmp_path / "r.scores.csv") == [
        ["id", "name", "q1", "q2", "q3", "q4", "total"],
        ["a1", "Ann", "1", "1", "2", "3", "7"],
        ["b2", "Bo", "0", "1", "2", "2", "5"],
    ]


def test_key_rule_and_override(tmp_path: Path) -> None:
    """The key's ``grading.decimals`` decides whether -2.3 counts for -7/3; --decimals overrides."""
    key = hand_key(tmp_path, decimals=1)
    responses = write(tmp_path / "r.csv", "id,q1,q2,q3,q4\na1,T,B,-2.3,\nb2,F,D,-2.3,\n")
    assert run("grade", str(key), str(responses)).exit_code == 0
    assert read_scores(tmp_path / "r.scores.csv")[1][4] == "2"
    assert run("grade", str(key), str(responses), "--decimals", "2").exit_code == 0
    assert read_scores(tmp_path / "r.scores.csv")[1][4] == "0"
    assert run("grade", str(key), str(responses), "--significant", "3").exit_code == 0
    assert read_scores(tmp_path / "r.scores.csv")[1][4] == "0"  # -2.3 has two significant digits


def test_build_records_the_spec_rule(tmp_path: Path) -> None:
    spec_path = tmp_path / "quiz.toml"
    spec_path.write_text(
        DEFAULT_SPEC.read_text(encoding="utf-8") + "\n[grading]\ndecimals = 3\n", encoding="utf-8"
    )
    folder = build(load_spec(spec_path), 3, numbered_students(2), tmp_path / "out")
    assert json.loads((folder / "key.json").read_text())["grading"] == {
        "decimals": 3,
        "significant": 2,
    }
    assert load_key(folder).rule == DecimalRule(3, 2)


def test_spec_rule_errors_name_the_field(tmp_path: Path) -> None:
    spec_path = tmp_path / "quiz.toml"
    spec_path.write_text(
        DEFAULT_SPEC.read_text(encoding="utf-8") + "\n[grading]\ndecimals = -2\n", encoding="utf-8"
    )
    with pytest.raises(ExamgenError, match=r"quiz.toml: grading.decimals: must be from 0 to 15"):
        load_spec(spec_path)


def test_key_without_rule_defaults_to_two_places(tmp_path: Path) -> None:
    assert load_key(hand_key(tmp_path)).rule == DecimalRule(2)


# --- a real build, graded through the CLI ---------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    return build(SPEC, 11, numbered_students(4), out)


def key_rows(folder: Path) -> list[list[str]]:
    return read_scores(folder / "key.csv")


def as_csv(rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def full_scores(folder: Path) -> list[list[str]]:
    spec_points = [str(s.points) for s in SPEC.slots]
    total = str(sum(s.points for s in SPEC.slots))
    return [["id", "name", "q1", "q2", "total"]] + [
        [row[0], row[1], *spec_points, total] for row in key_rows(folder)[1:]
    ]


def test_key_csv_as_responses(built: Path, tmp_path: Path) -> None:
    """key.csv itself (with its name column) is a valid responses file scoring full marks, and
    grade says it is the key (graded by mistake, it would pass for a perfect class); a copy of
    it elsewhere is the key too, and one changed answer is a class's responses."""
    out = tmp_path / "scores.csv"
    result = run("grade", str(built), str(built / "key.csv"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert read_scores(out) == full_scores(built)
    stats = json.loads((tmp_path / "scores.stats.json").read_text())
    assert [q["share_correct"] for q in stats["questions"]] == [1.0, 1.0]
    (warning,) = stats["warnings"]
    assert "key.csv" in warning and "full marks" in warning
    assert "own key.csv" in result.output
    # A spreadsheet's copy (LF line ends, semicolons, a BOM) is the key too; one answer changed
    # in that same copy is a class's responses.
    copy = tmp_path / "responses.csv"
    rows = key_rows(built)
    for changed in (False, True):
        if changed:
            rows[1][2] = "wrong"
        copy.write_text("\ufeff" + as_csv(rows, ";"), encoding="utf-8")
        result = run("grade", str(built), str(copy), "--out", str(tmp_path / f"{changed}.csv"))
        assert result.exit_code == 0, result.output
        assert ("own key.csv" in result.output) is not changed, result.output


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda rows: ("\ufeff" + as_csv(rows)).encode(), id="bom"),
        pytest.param(lambda rows: as_csv(rows, ";").encode(), id="semicolons"),
        pytest.param(lambda rows: ("\ufeff" + as_csv(rows, ";")).encode(), id="bom-semicolons"),
        pytest.param(lambda rows: as_csv(rows, "\t").encode(), id="tabs"),
        pytest.param(lambda rows: as_csv(rows).replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(
            lambda rows: as_csv(
                [[c.upper() if c == "q1" else c for c in r] for r in rows]
            ).encode(),
            id="upper-case-Q",
        ),
        pytest.param(lambda rows: (as_csv(rows) + "\n\n,,,\n").encode(), id="trailing-blank-rows"),
        pytest.param(
            lambda rows: as_csv([[r[0], r[3], r[2]] for r in rows]).encode(), id="columns-reordered"
        ),
    ],
)
def test_harmless_variations_score_the_same(built: Path, tmp_path: Path, encode) -> None:
    rows = [[r[0], r[1], r[2], r[3]] for r in key_rows(built)]
    responses = tmp_path / "r.csv"
    responses.write_bytes(encode(rows))
    result = run("grade", str(built), str(responses))
    assert result.exit_code == 0, result.output
    assert read_scores(tmp_path / "r.scores.csv") == full_scores(built)


def assert_refused(result, *fragments: str) -> None:
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize(
    "make, fragments",
    [
        (lambda rows: as_csv([r[:3] for r in rows]), ["no column for q2"]),
        (
            lambda rows: as_csv(
                [r + ["x"] for r in rows[:1]] + [r + [""] for r in rows[1:]]
            ).replace("x", "q3"),
            ["'q3' is not a question of this exam"],
        ),
        (
            lambda rows: as_csv([rows[0][:3] + ["q1"]] + [r[:3] + [r[2]] for r in rows[1:]]),
            ["'q1' appears twice"],
        ),
        (lambda rows: as_csv(rows + [rows[1]]), ["line 6", "already has responses on line 2"]),
        (lambda rows: as_csv(rows).replace('"', "", 2), ["line 2", "split in two", "quote"]),
        # The same vector unquoted with the next answer blank: the cell count matches the header
        # (a trailing empty cell is dropped), and on main the later answers were graded in the
        # next question's column.
        (
            lambda rows: as_csv(rows[:1]) + ",".join(rows[1][:3]) + ",\n",
            ["line 2", "in column 'q1' and", "split at a comma", "quote"],
        ),
        (
            lambda rows: as_csv([["student", "q1", "q2"], *[r[1:] for r in rows[1:]]]),
            ["no student ID column"],
        ),
        (lambda rows: as_csv(rows[:1]), ["no responses"]),
        (lambda rows: "", ["empty"]),
        (lambda rows: as_csv(rows + [["", "", "(1, 2)", "(1, 2)"]]), ["line 6", "no student ID"]),
    ],
    ids=[
        "missing-column",
        "extra-question-column",
        "duplicate-column",
        "duplicate-student",
        "unquoted-vector",
        "unquoted-vector-then-blank",
        "no-id-column",
        "header-only",
        "empty-file",
        "row-without-id",
    ],
)
def test_hostile_files_are_refused(built: Path, tmp_path: Path, make, fragments) -> None:
    """Each would risk a wrong score beside a name: one line naming the problem, nothing written."""
    responses = write(tmp_path / "r.csv", make(key_rows(built)))
    assert_refused(run("grade", str(built), str(responses)), *fragments)
    assert not (tmp_path / "r.scores.csv").exists()
    assert not (tmp_path / "r.scores.stats.json").exists()


#: The shipped quiz's kinds (choice, bool, two vectors, bools), for a key written by hand.
QUIZ_KINDS = ("choice", "bool", "vector", "vector", "bool", "bool", "bool")


def kinds_key(folder: Path, kinds: Sequence[str], answers: Sequence[Sequence[str]]) -> Path:
    """A key of one question per kind (1 point each), a student ``s<i>`` per answer list;
    ``answers`` as key.json holds them (a vector as "a, b", a bool as "True")."""

    def answer(kind: str, value: str) -> dict:
        if kind == "vector":
            return {"kind": kind, "value": value.split(", ")}
        if kind == "bool":
            return {"kind": kind, "value": value == "True"}
        return {"kind": kind, "value": value}

    students = [
        {
            "id": f"s{i}",
            "questions": [
                {"number": n, "family": f"some-{k}", "points": 1, "answer": answer(k, v)}
                for n, (k, v) in enumerate(zip(kinds, values, strict=True), start=1)
            ],
        }
        for i, values in enumerate(answers, start=1)
    ]
    folder.mkdir()
    (folder / "key.json").write_text(json.dumps({"students": students}), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        # The review's file: a vector split without brackets, the last answer blank; on main
        # q5 and q6 were graded as q6 and q7, and the blank q7 earned a point.
        (
            "id,name,q1,q2,q3,q4,q5,q6,q7\n"
            "s1,Ann,B,False,2, 23/4,(5/3; 2/3),True,True,\n"
            's2,Bo,C,True,"(2/3, 7/9)","(2, 32/3)",False,False,False\n',
            [
                "line 2: '2' in column 'q3' and '23/4' in column 'q4'",
                "split at a comma",
                'quote it ("(1, 2)") or separate its numbers with semicolons',
                "(if '2' is all the answer to 'q3', bracket it: (2))",
            ],
        ),
        # The same with semicolons: the advice is commas (on main: semicolons, which split it).
        (
            "id;name;q1;q2;q3;q4;q5;q6;q7\n"
            "s1;Ann;B;False;2; 23/4;(5/3, 2/3);True;True;\n"
            "s2;Bo;C;True;(2/3, 7/9);(2, 32/3);False;False;False\n",
            [
                "line 2: '2' in column 'q3' and '23/4' in column 'q4'",
                "split at a semicolon",
                'quote it ("(1; 2)") or separate its numbers with commas',
            ],
        ),
        (
            "id;q1;q2;q3;q4;q5;q6;q7\ns1;B;False;(5/8, -5/2);(3; 7/3);True;True;\n",
            [
                "line 2: '(3' in column 'q4' and '7/3)' in column 'q5'",
                "split at a semicolon",
                "separate its numbers with commas",
            ],
        ),
        # One row, which ends in the trailing separator every row has: q4 split into q5.
        (
            "id,q1,q2,q3,q4,q5,q6,q7\ns1,B,False,(1; 2),8/5, 31/5,True,True,\n",
            ["line 2: '8/5' in column 'q4' and '31/5' in column 'q5'"],
        ),
        # A name split at its comma, the last answer blank: only the count tells.
        (
            "id,name,q1,q2,q3,q4,q5,q6,q7\n"
            's1,Lee, Ann,B,False,"(1, 2)","(3, 4)",True,True,\n'
            's2,Bo,C,True,"(2/3, 7/9)","(2, 32/3)",False,False,False\n',
            [
                "line 2: 10 cells, 1 more than line 3 (the extra ones empty)",
                "quote cells that hold a comma",
            ],
        ),
    ],
    ids=["comma", "semicolon", "semicolon-bracketed", "one-row-trailing", "name-split"],
)
def test_answers_split_across_cells_are_refused_with_advice_for_the_separator(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    folder = kinds_key(
        tmp_path / "k", QUIZ_KINDS, [["B", "False", "1, 2", "3, 4", "True", "True", "True"]] * 2
    )
    responses = write(tmp_path / "r.csv", text)
    assert_refused(run("grade", str(folder), str(responses)), *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k", "r.csv"]


def test_a_lone_number_bracketed_in_a_vector_column_is_graded_as_typed(tmp_path: Path) -> None:
    """The way out the split error gives when a lone number was all a student wrote: in
    brackets it is one cell's answer (unreadable as a vector, listed), and the row grades."""
    folder = kinds_key(
        tmp_path / "k", QUIZ_KINDS, [["B", "False", "1, 2", "3, 4", "True", "True", "True"]]
    )
    responses = write(tmp_path / "r.csv", "id,q1,q2,q3,q4,q5,q6,q7\ns1,B,False,(2),5,True,True,\n")
    result = run("grade", str(folder), str(responses))
    assert result.exit_code == 0, result.output
    assert read_scores(tmp_path / "r.scores.csv")[1] == [
        "s1",
        "",
        "1",
        "1",
        "0",
        "0",
        "1",
        "1",
        "0",
        "4",
    ]
    assert "s1 q3: '(2)' has 1 number; expected 2" in result.output


_component = st.builds(
    lambda n, d: exact_str(sympy.Rational(n, d)), st.integers(-20, 20), st.integers(1, 9)
)
_answer = {
    "vector": st.lists(_component, min_size=2, max_size=3).map(", ".join),
    "number": _component,
    "bool": st.sampled_from(["True", "False"]),
    "choice": st.sampled_from("ABCD"),
}


@st.composite
def class_files(draw):
    """A key with random kinds (a vector among them) and a class's responses, each answer the
    key's or blank, typed as a TA does: vectors in one cell with the other separator, every
    row ending in the same number of trailing separators (as some LMS exports do)."""
    kinds = draw(st.lists(st.sampled_from(sorted(_answer)), min_size=2, max_size=6))
    spot = draw(st.integers(0, len(kinds)))
    kinds.insert(spot, "vector")
    count = draw(st.integers(1, 3))
    answers = [[draw(_answer[k]) for k in kinds] for _ in range(count)]
    typed = [[draw(st.sampled_from([a, a, ""])) for a in row] for row in answers]
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    trailing = draw(st.integers(0, 2))
    return kinds, answers, typed, delimiter, trailing


def typed_row(
    sid: str,
    kinds: Sequence[str],
    cells: Sequence[str],
    delimiter: str,
    split: Mapping[int, tuple[str, str]],
) -> str:
    """A row as typed: a vector in one cell, its numbers separated so that it needs no quotes;
    one in ``split`` (question index → its brackets, ``"()"``, ``"[]"``, ``"()^T"`` or none, and
    the space after each separator) typed with the file's separator instead, so that it falls
    into two or three cells."""
    out = [sid]
    for index, (kind, cell) in enumerate(zip(kinds, cells, strict=True)):
        if kind == "vector" and cell:
            numbers = cell.split(", ")
            if index in split:
                brackets, space = split[index]
                cell = brackets[:1] + (delimiter + space).join(numbers) + brackets[1:]
            else:
                cell = "(" + ("; " if delimiter == "," else ", ").join(numbers) + ")"
        out.append(cell)
    return delimiter.join(out)


@settings(max_examples=40, deadline=None)
@given(files=class_files(), data=st.data())
def test_a_vector_split_across_cells_never_grades_silently(
    tmp_path_factory: pytest.TempPathFactory, files, data: st.DataObject
) -> None:
    """Whatever the kinds around it, the blanks after it, the separator and the trailing
    separators every row has: a vector typed unquoted with the file's separator, so that it
    falls into two or three cells, stops grading with one line naming a row it split, and
    nothing is written (on main: a blank last answer hid the extra cell, and the answers after
    the split were graded in the next question's column). The same class with each vector in
    one cell grades as the spreadsheet's quoted file does: trailing separators every row has
    are no reason to refuse."""
    kinds, answers, typed, delimiter, trailing = files
    tmp = tmp_path_factory.mktemp("split")
    folder = kinds_key(tmp / "k", kinds, answers)
    columns = ["id", *(f"q{n}" for n in range(1, len(kinds) + 1))]
    ids = [f"s{i}" for i in range(1, len(typed) + 1)]
    end = delimiter * trailing + "\n"

    def responses(name: str, split: Mapping[tuple[int, int], tuple[str, str]]) -> Path:
        rows = [
            typed_row(sid, kinds, cells, delimiter, {q: v for (r, q), v in split.items() if r == i})
            for i, (sid, cells) in enumerate(zip(ids, typed, strict=True))
        ]
        return write(tmp / name, delimiter.join(columns) + "\n" + "".join(r + end for r in rows))

    rows = [[sid, *cells] for sid, cells in zip(ids, typed, strict=True)]
    quoted = write(tmp / "quoted.csv", as_csv([columns, *rows]))
    expected, _ = grade_files(folder, quoted)
    report, _ = grade_files(folder, responses("whole.csv", {}))
    assert {s: report.total(s) for s in report.marks} == {
        s: expected.total(s) for s in expected.marks
    }

    vectors = [
        (r, q)
        for r, cells in enumerate(typed)
        for q, kind in enumerate(kinds)
        if kind == "vector" and cells[q]
    ]
    assume(vectors)
    chosen = data.draw(st.lists(st.sampled_from(vectors), min_size=1, unique=True))
    how = st.tuples(st.sampled_from(["", "()", "[]", "()^T"]), st.sampled_from(["", " "]))
    split = responses("split.csv", {c: data.draw(how) for c in chosen})
    with pytest.raises(ExamgenError) as refused:
        grade_files(folder, split)
    message = str(refused.value)
    assert "\n" not in message
    assert any(f"line {r + 2}:" in message for r, _ in chosen), message
    assert not (tmp / "split.scores.csv").exists()


def test_not_utf8(built: Path, tmp_path: Path) -> None:
    responses = write(tmp_path / "r.csv", "id,q1,q2\ns001,Zoë,(1, 2)\n", encoding="latin-1")
    assert_refused(run("grade", str(built), str(responses)), "not UTF-8")


def test_output_would_overwrite_responses(built: Path, tmp_path: Path) -> None:
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    assert_refused(run("grade", str(built), str(responses), "--out", str(responses)), "overwrite")
    assert responses.read_text() == as_csv(key_rows(built))


def test_missing_and_bad_keys(tmp_path: Path) -> None:
    responses = write(tmp_path / "r.csv", "id,q1\na,1\n")
    assert_refused(run("grade", str(tmp_path / "nowhere"), str(responses)), "not found")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "key.json").write_text(
        json.dumps(
            {
                "students": [
                    {
                        "id": "a",
                        "questions": [
                            {
                                "number": 1,
                                "family": "f",
                                "points": 1,
                                "answer": {"kind": "vector", "value": ["1", "0.5"]},
                            }
                        ],
                    }
                ]
            }
        )
    )
    assert_refused(
        run("grade", str(bad), str(responses)), "students[0].questions[0].answer.value[1]"
    )


@pytest.mark.parametrize("renamed", [1, 3, 4])
def test_many_names_that_differ_from_the_key_are_one_warning(
    built: Path, tmp_path: Path, renamed: int
) -> None:
    """A responses file whose names are written otherwise gave one warning per student (20
    lines for 20 students): up to NAME_WARNINGS are listed a line each, more as one line."""
    rows = key_rows(built)
    body = [
        [row[0], f"Other {i}" if i < renamed else row[1], *row[2:]]
        for i, row in enumerate(rows[1:])
    ]
    responses = write(tmp_path / "r.csv", as_csv([rows[0], *body]))
    result = CliRunner().invoke(main, ["grade", str(built), str(responses)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "differ" in line and "key's" in line]
    if renamed <= 3:
        assert len(lines) == renamed and all("check the ID" in line for line in lines)
    else:
        assert len(lines) == 1 and f"{renamed} names differ from the key's" in lines[0]
        assert "'Other 0'" in lines[0] and "and 1 more" in lines[0]


def test_warnings_leave_scores_out_but_grade_the_rest(built: Path, tmp_path: Path) -> None:
    """Unknown student, mistyped name, unrelated column, blank cell, missing student."""
    rows = key_rows(built)
    header = ["id", "name", "q1", "q2", "email"]
    body = [
        [rows[1][0], rows[1][1], rows[1][2], rows[1][3], "a@x"],
        [rows[2][0], "Somebody Else", rows[2][2], "", ""],
        ["S003", "", rows[3][2], rows[3][3], ""],  # case changed by a spreadsheet
    ]
    responses = write(tmp_path / "r.csv", as_csv([header, *body]))
    result = CliRunner().invoke(main, ["grade", str(built), str(responses)])
    assert result.exit_code == 0, result.output
    output = result.output
    assert "column 'email' is not a question; ignored" in output
    assert "'S003' is not in the key (did you mean 's003'?)" in output
    assert "name 'Somebody Else' differs from the key's" in output
    assert "2 students in the key have no responses and no score: s003, s004" in output
    assert "q2: 1 blank response" in output
    scores = read_scores(tmp_path / "r.scores.csv")
    assert [r[0] for r in scores[1:]] == ["s001", "s002", "s003", "s004"]  # key order, no S003
    assert scores[2] == ["s002", "Student 2", "2", "0", "2"]
    assert scores[3] == ["s003", "Student 3", "", "", ""]
    assert scores[4] == ["s004", "Student 4", "", "", ""]
    stats = json.loads((tmp_path / "r.scores.stats.json").read_text())
    assert stats["missing"] == ["s003", "s004"] and stats["unknown"] == ["S003"]
    assert stats["questions"][1]["counts"] == {"correct": 1, "blank": 1}


def test_unreadable_responses_score_zero_and_are_listed(built: Path, tmp_path: Path) -> None:
    rows = key_rows(built)
    body = [[rows[1][0], "(4,5; 1)", rows[1][3]], [rows[2][0], rows[2][2], "(1, 2, 3)"]]
    responses = write(tmp_path / "r.csv", as_csv([["id", "q1", "q2"], *body]))
    result = run("grade", str(built), str(responses))
    assert result.exit_code == 0
    assert "Unreadable responses (scored 0): 2" in result.output
    stats = json.loads((tmp_path / "r.scores.stats.json").read_text())
    assert [(u["id"], u["question"]) for u in stats["unreadable"]] == [
        ("s001", "q1"),
        ("s002", "q2"),
    ]
    assert "comma" in stats["unreadable"][0]["reason"]
    assert "has 3 numbers; expected 2" in stats["unreadable"][1]["reason"]
    scores = read_scores(tmp_path / "r.scores.csv")
    assert scores[1][2] == "0" and scores[2][3] == "0"


def test_an_unreadable_response_too_long_to_read_is_listed_by_its_ends(
    built: Path, tmp_path: Path
) -> None:
    """A 100,000-character cell was listed whole, on one line of the report; so was an ID in
    a warning."""
    rows = key_rows(built)
    cell, stranger = "7" * 100_000, "X" * 100_000  # and a student the key does not have
    body = [[rows[1][0], cell, rows[1][3]], [stranger, "1", "1"]]
    responses = write(tmp_path / "r.csv", as_csv([["id", "q1", "q2"], *body]))
    result = run("grade", str(built), str(responses))
    assert result.exit_code == 0
    (line,) = [x for x in result.output.splitlines() if x.startswith(f"    {rows[1][0]} q1: '7")]
    assert len(line) < 600 and "…[99,8" in line and " more characters]…77" in line
    (warning,) = [x for x in result.output.splitlines() if "'XXXX" in x]
    assert len(warning) < 600 and re.search(r"more characters\]…X+' is not in the key", warning)


def test_scores_are_deterministic(built: Path) -> None:
    key = load_key(built)
    responses = read_responses(built / "key.csv", key.numbers())
    assert scores_csv(grade(key, responses)) == scores_csv(grade(key, responses))


def test_statistics_of_a_realistic_class(built: Path, tmp_path: Path) -> None:
    """Mean and share correct recomputed by hand from the written scores."""
    key = load_key(built)
    rows = key_rows(built)
    body = []
    for i, row in enumerate(rows[1:]):
        body.append([row[0], row[2] if i % 2 == 0 else "(0, 0)", row[3]])
    responses = write(tmp_path / "r.csv", as_csv([["id", "q1", "q2"], *body]))
    assert run("grade", str(built), str(responses)).exit_code == 0
    scores = read_scores(tmp_path / "r.scores.csv")[1:]
    q1 = [float(r[2]) for r in scores]
    stats = json.loads((tmp_path / "r.scores.stats.json").read_text())["questions"][0]
    assert stats["mean"] == pytest.approx(sum(q1) / len(q1))
    assert stats["share_correct"] == pytest.approx(sum(v == 2 for v in q1) / len(q1))
    assert len(key.students) == len(scores)


def test_an_unknown_id_is_suggested_every_key_id_that_reads_alike(tmp_path: Path) -> None:
    """On main a key holding both 'ABC' and 'abc' suggested one of them for 'Abc' (whichever
    came last). IDs that print alike though they differ show their difference."""
    folder = tmp_path / "k"
    folder.mkdir()
    question = {"number": 1, "family": "f", "points": 1, "answer": {"kind": "bool", "value": True}}
    ids = ("ABC", "abc", "s001", "file")
    key = {"students": [{"id": sid, "questions": [question]} for sid in ids]}
    (folder / "key.json").write_text(json.dumps(key))
    typed = ["Abc", "ABC", "\ufb01le"]  # the ligature fi, as a PDF copy may give it
    responses = write(tmp_path / "r.csv", "id,q1\n" + "".join(f"{i},T\n" for i in typed))
    result = CliRunner().invoke(main, ["grade", str(folder), str(responses)])
    assert result.exit_code == 0, result.output
    assert "'Abc' is not in the key (did you mean 'ABC' or 'abc'?)" in result.output
    assert "student '\\ufb01le' is not in the key (did you mean 'file'?)" in result.output


def tf_key(folder: Path, ids: Sequence[str]) -> Path:
    """A key of one true/false question (answer True) for each of ``ids``."""
    folder.mkdir()
    question = {"number": 1, "family": "f", "points": 1, "answer": {"kind": "bool", "value": True}}
    key = {"students": [{"id": sid, "questions": [question]} for sid in ids]}
    (folder / "key.json").write_text(json.dumps(key), encoding="utf-8")
    return folder


#: How a copy changes an ID's code points but not the student: decomposed accents (a Mac's file
#: names, some keyboards), zero-width spaces and joiners (a copy from a web page).
retyped = st.sampled_from(
    [
        lambda sid: unicodedata.normalize("NFD", sid),
        lambda sid: sid + "\u200b",
        lambda sid: "\u2060" + unicodedata.normalize("NFD", sid),
    ]
)


@settings(max_examples=25)
@given(
    ids=st.lists(
        st.sampled_from(["müller", "José", "Nguyễn", "s001", "ÅSA", "Zoë-1"]),
        min_size=1,
        max_size=4,
        unique=True,
    ),
    retype=retyped,
)
def test_an_id_typed_in_another_unicode_form_is_the_key_s_student(
    tmp_path_factory: pytest.TempPathFactory, ids: list[str], retype
) -> None:
    """The build treats IDs equal after NFC, invisible characters aside, as one student
    (``roster.identity``); on main grade did not match them, warned "student 'müller' is not
    in the key (did you mean 'müller'?)" and left the student ungraded."""
    folder = tf_key(tmp_path_factory.mktemp("forms") / "k", ids)
    responses = write(folder.parent / "r.csv", "id,q1\n" + "".join(f"{retype(i)},T\n" for i in ids))
    result = CliRunner().invoke(main, ["grade", str(folder), str(responses)])
    assert result.exit_code == 0, result.output
    assert "not in the key" not in result.output
    scores = read_scores(folder.parent / "r.scores.csv")
    assert [row[0] for row in scores[1:]] == ids  # the key's own spelling
    assert all(row[-1] == "1" for row in scores[1:]), scores


def test_one_student_typed_in_two_unicode_forms_is_a_duplicate_shown_apart(
    tmp_path: Path,
) -> None:
    """Two rows for one student (NFC and NFD) would give one score from either: refused, with
    the two spellings escaped so that the user sees why they are one ID."""
    folder = tf_key(tmp_path / "k", ["m\u00fcller"])
    responses = write(tmp_path / "r.csv", "id,q1\nm\u00fcller,T\nmu\u0308ller,F\n")
    assert_refused(
        run("grade", str(folder), str(responses)),
        "line 3: student 'mu\\u0308ller' already has responses on line 2 as 'm\\xfcller'",
    )


def test_hand_marks_for_an_id_in_another_unicode_form_are_the_key_student_s(
    tmp_path: Path,
) -> None:
    """On main the marks of 'müller' typed decomposed were "not used", and the student was
    left without a score."""
    folder = tf_key(tmp_path / "k", ["m\u00fcller", "s002"])
    responses = write(tmp_path / "r.csv", "id,q1\ns002,T\n")
    marks = write(tmp_path / "marks.csv", "id,name,q1\nmu\u0308ller,,1\n")
    result = run("grade", str(folder), str(responses), "--marks", str(marks))
    assert result.exit_code == 0, result.output
    assert read_scores(tmp_path / "r.scores.csv")[1] == ["m\u00fcller", "", "1", "1"]


@pytest.mark.parametrize(
    ("typed", "fragments"),
    [
        # Excel drops the leading zeros of 00123 (on main: a warning, exit 0, and 00123's
        # written question scored 0 beside a total).
        ("123", ["line 3: student '123' is not in the key", "(did you mean '00123'?)", "text"]),
        ("ABC", ["line 3: student 'ABC' is not in the key", "(did you mean 'abc'?)"]),
        # No key ID reads alike: the marks were still meant for someone, who would score 0.
        ("s999", ["line 3: student 's999' is not in the key", "write the ID of the student"]),
    ],
)
def test_hand_marks_for_a_student_not_in_the_key_stop_grading(
    tmp_path: Path, typed: str, fragments: list[str]
) -> None:
    folder = tf_key(tmp_path / "k", ["00123", "abc", "s002"])
    responses = write(tmp_path / "r.csv", "id,q1\ns002,T\n")
    marks = write(tmp_path / "marks.csv", f'id,name,q1\ns002,,1\n{typed},"Lee, Ann",1\n')
    result = run("grade", str(folder), str(responses), "--marks", str(marks))
    assert_refused(result, str(marks), "or delete the row", *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k", "marks.csv", "r.csv"]


def test_a_marks_row_without_marks_for_a_student_not_in_the_key_is_no_error(
    tmp_path: Path,
) -> None:
    """A row with every cell empty gives no student a mark: nothing would be lost."""
    folder = tf_key(tmp_path / "k", ["00123", "s002"])
    responses = write(tmp_path / "r.csv", "id,q1\ns002,T\n00123,T\n")
    marks = write(tmp_path / "marks.csv", "id,name,q1\n123,,\n")
    assert run("grade", str(folder), str(responses), "--marks", str(marks)).exit_code == 0


def test_a_key_holding_one_id_in_two_unicode_forms_is_refused(tmp_path: Path) -> None:
    """A hand-edited key with both spellings: which one a typed ID names would be a guess."""
    folder = tf_key(tmp_path / "k", ["m\u00fcller", "mu\u0308ller"])
    responses = write(tmp_path / "r.csv", "id,q1\nm\u00fcller,T\n")
    assert_refused(
        run("grade", str(folder), str(responses)),
        "students[1]: student 'mu\\u0308ller' appears twice as 'm\\xfcller', the same ID",
    )


def test_leading_zeros_dropped_by_a_spreadsheet(tmp_path: Path) -> None:
    folder = tmp_path / "k"
    folder.mkdir()
    question = {"number": 1, "family": "f", "points": 1, "answer": {"kind": "bool", "value": True}}
    key = {"students": [{"id": sid, "questions": [question]} for sid in ("00123", "00456")]}
    (folder / "key.json").write_text(json.dumps(key))
    responses = write(tmp_path / "r.csv", "id,q1\n123,T\n00456,T\n")
    result = CliRunner().invoke(main, ["grade", str(folder), str(responses)])
    assert result.exit_code == 0, result.output
    assert "'123' is not in the key (did you mean '00123'?)" in result.output
    scores = read_scores(tmp_path / "r.scores.csv")
    assert scores[1] == ["00123", "", "", ""] and scores[2][0] == "00456"


key_ids = st.lists(student_ids, min_size=1, max_size=3, unique=True)


@settings(max_examples=25)
@given(key_students=key_ids, typed=st.lists(student_ids, min_size=1, max_size=4, unique=True))
def test_responses_none_of_whose_students_is_in_the_key_are_refused(
    tmp_path_factory: pytest.TempPathFactory, key_students: list[str], typed: list[str]
) -> None:
    """A responses file graded against another exam's key (or whose IDs a spreadsheet mangled
    throughout) is one line naming both files, the first row and the fix, exit 1 and no files
    (on main: exit 0 and a scores file with nobody graded)."""
    # one line each (a line break inside an ID is another error, tested with the reader)
    typed = [t for t in typed if t not in key_students and t.splitlines() == [t] and "\0" not in t]
    assume(typed)
    folder = tmp_path_factory.mktemp("nomatch")
    question = {"number": 1, "family": "f", "points": 1, "answer": {"kind": "bool", "value": True}}
    key = {"students": [{"id": sid, "questions": [question]} for sid in key_students]}
    (folder / "key.json").write_text(json.dumps(key), encoding="utf-8")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([["id", "q1"], *([t, "T"] for t in typed)])
    responses = write(folder / "r.csv", buffer.getvalue())
    result = CliRunner().invoke(main, ["grade", str(folder), str(responses)])
    if result.exit_code == 0:  # the reader took some row as a student of the key: not this case
        read = read_responses(responses, [1]).rows
        assert {row.student_id for row in read} & set(key_students), result.output
        return
    lines = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert f"{responses}: none of its" in lines[0] and str(folder / "key.json") in lines[0]
    assert "grade it against its own exam's key" in lines[0]
    assert sorted(p.name for p in folder.iterdir()) == ["key.json", "r.csv"]


def test_choice_and_true_false_statistics(tmp_path: Path) -> None:
    """A wrong letter is named by the key's ``choices`` sources (issue 3's multiple-choice form);
    statistics are per slot even when a shuffled exam printed it under different numbers."""

    def entry(number, slot, answer, params=None):
        return {
            "number": number,
            "slot": slot,
            "family": "fam",
            "points": 1,
            "params": params or {},
            "answer": answer,
        }

    sources = ["sign-flipped", "correct", "sum-not-average", "eta-not-applied"]
    students = []
    for i, (typed_mc, typed_tf) in enumerate([("A", "T"), ("A", "F"), ("C", "T"), ("B", "T")]):
        swap = i % 2 == 1  # odd students saw the questions in the other order
        mc = entry(2 if swap else 1, 1, {"kind": "choice", "value": "B"}, {"choices": sources})
        tf = entry(1 if swap else 2, 2, {"kind": "bool", "value": False}, {"statement": "s"})
        students.append(
            {
                "id": f"s{i}",
                "questions": [mc, tf],
                "typed": {mc["number"]: typed_mc, tf["number"]: typed_tf},
            }
        )
    folder = tmp_path / "k"
    folder.mkdir()
    (folder / "key.json").write_text(
        json.dumps({"students": [{k: v for k, v in s.items() if k != "typed"} for s in students]})
    )
    rows = [["id", "q1", "q2"]] + [[s["id"], s["typed"][1], s["typed"][2]] for s in students]
    responses = write(tmp_path / "r.csv", as_csv(rows))
    result = run("grade", str(folder), str(responses))
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "r.scores.stats.json").read_text())["questions"]
    mc, tf = stats
    assert mc["slot"] == 1 and mc["columns"] == ["q1", "q2"]
    assert mc["misconceptions"] == {"sign-flipped": 2, "sum-not-average": 1}
    assert mc["wrong_answers"][0] == {
        "answer": "A",
        "count": 2,
        "misconception": "sign-flipped",
        "students": ["s0", "s1"],
    }
    assert tf["share_correct"] == 0.25 and tf["wrong_answers"][0]["answer"] == "True"
    assert "slot 1 (q1/q2)" in result.output


# --- issue 9: no data lost ------------------------------------------------------------------------
def test_a_stray_quote_in_responses_is_an_error_naming_its_line(
    built: Path, tmp_path: Path
) -> None:
    """On main the quote swallowed the later rows (only 'no responses' warnings)."""
    rows = key_rows(built)
    text = as_csv(rows[:2]) + f'{rows[2][0]},"{rows[2][1]},{rows[2][2]}\n' + as_csv(rows[3:])
    responses = write(tmp_path / "r.csv", text)
    assert_refused(
        run("grade", str(built), str(responses)), "line 3", "does not open or close a whole cell"
    )
    assert not (tmp_path / "r.scores.csv").exists()


def test_a_cell_too_long_for_a_csv_reader_is_named_as_such(built: Path, tmp_path: Path) -> None:
    """On main a 200,000-digit answer was "a quote (") does not open or close a whole cell",
    though its quotes were fine."""
    rows = key_rows(built)
    rows[1][2] = "1" * 200_000 + "/7"
    responses = write(tmp_path / "r.csv", as_csv(rows))
    result = run("grade", str(built), str(responses))
    assert_refused(result, "line 2: the q1 cell is 200,002 characters long", "(131,072)")
    assert "quote" not in result.output


@pytest.mark.parametrize("name", ["key.json", "key.csv", "manifest.json", "exams/s001.md"])
def test_grade_never_writes_over_a_build_file(built: Path, tmp_path: Path, name: str) -> None:
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    target = built / name
    before = target.read_bytes()
    assert_refused(run("grade", str(built), str(responses), "--out", str(target)), "overwrite")
    assert target.read_bytes() == before


def test_grade_may_rewrite_its_own_scores_inside_a_build_folder(built: Path, tmp_path: Path):
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    out = built / "graded" / "scores.csv"
    for _ in range(2):
        assert run("grade", str(built), str(responses), "--out", str(out)).exit_code == 0
    assert read_scores(out) == full_scores(built)


def test_two_response_files_in_one_folder_get_their_own_scores(built: Path, tmp_path: Path) -> None:
    """On main both went to scores.csv: the second silently replaced the first."""
    rows = key_rows(built)
    morning = write(tmp_path / "morning.csv", as_csv(rows[:3]))
    evening = write(tmp_path / "evening.csv", as_csv(rows[:1] + rows[3:]))
    assert run("grade", str(built), str(morning)).exit_code == 0
    assert run("grade", str(built), str(evening)).exit_code == 0
    graded = {r[0] for r in read_scores(tmp_path / "morning.scores.csv")[1:] if r[-1]}
    assert graded == {rows[1][0], rows[2][0]}
    graded = {r[0] for r in read_scores(tmp_path / "evening.scores.csv")[1:] if r[-1]}
    assert graded == {r[0] for r in rows[3:]}
    assert (tmp_path / "evening.scores.stats.json").exists()


@pytest.mark.parametrize(("first", "second"), [("quiz7.csv", "quiz7.tsv"), ("quiz7", "quiz7.csv")])
def test_two_response_files_named_alike_never_share_default_scores(
    built: Path, tmp_path: Path, first: str, second: str
) -> None:
    """On main quiz7.csv and quiz7.tsv both wrote quiz7.scores.csv: the second replaced the
    first's scores without a word. Now it stops, names the file whose scores are there and
    the --out to give; grading the first again still replaces its own scores."""
    rows = key_rows(built)
    morning = write(tmp_path / first, as_csv(rows[:3]))
    evening = write(tmp_path / second, as_csv(rows[:1] + rows[3:], "\t"))
    assert run("grade", str(built), str(morning)).exit_code == 0
    scores = tmp_path / "quiz7.scores.csv"
    before = {p.name: p.read_bytes() for p in tmp_path.glob("quiz7.scores.*")}
    assert len(before) == 4
    own = tmp_path / f"quiz7-{Path(second).suffix.lstrip('.')}.scores.csv"
    assert_refused(
        run("grade", str(built), str(evening)),
        f"{evening}: its scores would go to {scores}, which holds the scores of {first}",
        f"--out {own}",
    )
    assert {p.name: p.read_bytes() for p in tmp_path.glob("quiz7.scores.*")} == before
    assert run("grade", str(built), str(evening), "--out", str(own)).exit_code == 0
    graded = {r[0] for r in read_scores(own)[1:] if r[-1]}
    assert graded == {r[0] for r in rows[3:]}
    assert run("grade", str(built), str(morning)).exit_code == 0


def test_scores_name_each_student(built: Path, tmp_path: Path) -> None:
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    assert run("grade", str(built), str(responses)).exit_code == 0
    scores = read_scores(tmp_path / "r.scores.csv")
    assert scores[0][:2] == ["id", "name"]
    assert [r[:2] for r in scores[1:]] == [r[:2] for r in key_rows(built)[1:]]


def test_grade_out_that_cannot_be_written_is_one_line(built: Path, tmp_path: Path) -> None:
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    (tmp_path / "folder").mkdir()
    for out, fragment in ((tmp_path / "folder", "is a folder"), (responses / "s.csv", "is a file")):
        result = CliRunner().invoke(main, ["grade", str(built), str(responses), "--out", str(out)])
        assert_refused(result, fragment)


@pytest.mark.parametrize("suffix", [".stats.json", ".report.md", ".mistakes.png"])
def test_a_companion_that_is_a_folder_is_named_and_nothing_is_written(
    built: Path, tmp_path: Path, suffix: str
) -> None:
    """On main the scores CSV was written, then the error named --out (not the folder in the
    way) and the statistics, report and chart were missing."""
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    (tmp_path / f"s{suffix}").mkdir()
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(main, ["grade", str(built), str(responses), "--out", str(out)])
    assert_refused(result, f"s{suffix} is a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", f"s{suffix}"]


def test_a_number_of_ten_thousand_digits_is_unreadable_for_that_cell_only(
    tmp_path: Path,
) -> None:
    """On main int() raised ValueError (over 4,300 digits) and no student was graded."""
    key = hand_key(tmp_path)
    huge = "1" + "0" * 10_000 + "/3"
    responses = write(tmp_path / "r.csv", f"id,q1,q2,q3,q4\na1,T,B,{huge},\nb2,F,D,-7/3,\n")
    result = run("grade", str(key), str(responses))
    assert result.exit_code == 0, result.output
    scores = read_scores(tmp_path / "r.scores.csv")
    assert scores[1][2:6] == ["1", "1", "0", "0"] and scores[2][2:5] == ["1", "1", "2"]
    [unreadable] = json.loads((tmp_path / "r.scores.stats.json").read_text())["unreadable"]
    assert unreadable["question"] == "q3" and "characters long" in unreadable["reason"]


@pytest.mark.parametrize("dropped", [0, 2, 3])
@pytest.mark.parametrize("student", [0, 1])
def test_a_key_whose_students_were_asked_different_questions_is_refused(
    tmp_path: Path, dropped: int, student: int
) -> None:
    """An auditor's (65172e0): a key.json edited to drop one student's question made grade
    drop that student's response to it without a word."""
    key = hand_key(tmp_path) / "key.json"
    data = json.loads(key.read_text(encoding="utf-8"))
    del data["students"][student]["questions"][dropped]
    key.write_text(json.dumps(data), encoding="utf-8")
    responses = write(tmp_path / "r.csv", "id,q1,q2,q3,q4\na1,T,B,1,\nb2,F,D,-7/3,\n")
    asked = "q1, q2, q3, q4"
    left = ", ".join(f"q{n}" for n in range(1, 5) if n != dropped + 1)
    says = (
        f"students[1] ('b2') has questions {left} where students[0] has {asked}"
        if student
        else f"students[1] ('b2') has questions {asked} where students[0] has {left}"
    )
    for command in (
        ["grade", str(key), str(responses)],
        ["diff", str(key.parent), str(key.parent)],
    ):
        assert_refused(CliRunner().invoke(main, command), says, "rebuild the exam")


@pytest.mark.parametrize(
    "text",
    [
        '{"students": [{"id": "a", "questions": [{"number": 1, "family": "f", "points": Infinity,'
        ' "answer": {"kind": "bool", "value": true}}]}]}',
        '{"students": [{"id": "a", "questions": [{"number": 1, "family": "f", "points": 1e999,'
        ' "answer": {"kind": "bool", "value": true}}]}]}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["Infinity", "overflow", "nested"],
)
def test_tampered_keys_are_one_line(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "k"
    folder.mkdir()
    (folder / "key.json").write_text(text)
    responses = write(tmp_path / "r.csv", "id,q1\na,T\n")
    result = CliRunner().invoke(main, ["grade", str(folder), str(responses)])
    assert_refused(result, "key.json")
    result = CliRunner().invoke(main, ["diff", str(folder), str(folder)])
    assert_refused(result, "key.json")


def test_formula_cells_are_written_as_text_and_still_grade(tmp_path: Path) -> None:
    """IDs and names a spreadsheet would run (=, +, -, @; OWASP) get a leading ' in key.csv and
    the scores; answers such as -7/3 do not; key.csv graded as responses still scores full."""
    roster = write(
        tmp_path / "roster.csv",
        'id,name\n=1+1,@SUM(A1)\n+33,-Bob\n-x,"=HYPERLINK(""http://evil"")"\nplain,Ann\n',
    )
    out = tmp_path / "out"
    result = run("build", "--seed", "3", "--roster", str(roster), "--out", str(out), "--no-pdf")
    assert result.exit_code == 0, result.output
    [folder] = out.iterdir()
    rows = read_scores(folder / "key.csv")
    assert [r[:2] for r in rows[1:]] == [
        ["'=1+1", "'@SUM(A1)"],
        ["'+33", "'-Bob"],
        ["'-x", '\'=HYPERLINK("http://evil")'],
        ["plain", "Ann"],
    ]
    assert not any(cell.startswith("'") for r in rows[1:] for cell in r[2:])  # answers as they are
    key_ids = [s["id"] for s in json.loads((folder / "key.json").read_text())["students"]]
    assert key_ids == ["=1+1", "+33", "-x", "plain"]
    scores_path = tmp_path / "scores.csv"
    result = run("grade", str(folder), str(folder / "key.csv"), "--out", str(scores_path))
    assert result.exit_code == 0, result.output
    assert "Graded 4 of 4 students" in result.output
    scores = read_scores(scores_path)
    assert [r[:2] for r in scores[1:]] == [r[:2] for r in rows[1:]]
    total = scores[1][-1]
    assert all(r[-1] == total for r in scores[1:])


# --- partial credit by named mistake ([grading.partial]) ------------------------------------------
CREDITS = {"sign-flipped": sympy.Rational(1, 2), "sum-not-average": sympy.Rational(1, 4)}


def partial_spec(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "quiz.toml"
    base = (Path(__file__).parent / "data" / "descent-quiz.toml").read_text(encoding="utf-8")
    path.write_text(base + "\n[grading]\ndecimals = 2\n\n[grading.partial]\n" + table, "utf-8")
    return path


@pytest.mark.parametrize(
    "table, message",
    [
        ("sgn-flipped = 0.5\n", r"grading\.partial\.sgn-flipped: no family in this spec names"),
        ("sign-flipped = 1.5\n", r"grading\.partial\.sign-flipped: the credit must be .* 1\.5"),
        ("sign-flipped = -1\n", r"grading\.partial\.sign-flipped: the credit must be"),
        ('sign-flipped = "half"\n', r"grading\.partial\.sign-flipped: the credit must be"),
        ("sign-flipped = true\n", r"grading\.partial\.sign-flipped: the credit must be"),
        ('sign-flipped = "1/0"\n', r"grading\.partial\.sign-flipped: the credit must be .*1/0"),
        ('sign-flipped = "0/0"\n', r"grading\.partial\.sign-flipped: the credit must be"),
        (
            "loss-factor-dropped = 0.5\n",
            r"grading\.partial\.loss-factor-dropped: no family .*sign-flipped",
        ),
    ],
)
def test_partial_credit_errors_name_the_field(tmp_path: Path, table: str, message: str) -> None:
    """A credit outside [0, 1], or a mistake none of the spec's families names (the chain's
    mistakes are not the descent families'), is refused in one line naming the field."""
    with pytest.raises(ExamgenError, match=r"quiz\.toml: " + message) as err:
        load_spec(partial_spec(tmp_path, table))
    assert "\n" not in str(err.value)


@given(st.one_of(st.text(), st.from_regex(r"\A-?\d{0,3}(/|\.)?\d{0,3}\Z")))
def test_any_partial_credit_cell_is_a_credit_or_one_line(value: str) -> None:
    """Whatever a hand-written credit (in a spec or an edited key.json) holds, it is a credit
    from 0 to 1 or an ExamgenError naming the field, never a traceback."""
    try:
        partial = PartialCredit.from_json({"sign-flipped": value}, "quiz.toml: grading.partial")
    except ExamgenError as err:
        assert str(err).startswith("quiz.toml: grading.partial.sign-flipped: ")
        assert "\n" not in str(err)
    else:
        assert 0 <= partial.credits[0][1] <= 1


def test_partial_credit_travels_in_the_key(tmp_path: Path) -> None:
    """The table goes into key.json's grading object exactly; a spec without one leaves the key
    as it was."""
    spec = load_spec(partial_spec(tmp_path, 'sign-flipped = 0.5\nsum-not-average = "1/4"\n'))
    assert spec.partial.to_json() == {"sign-flipped": "1/2", "sum-not-average": "1/4"}
    folder = build(spec, 3, numbered_students(2), tmp_path / "out")
    grading = json.loads((folder / "key.json").read_text())["grading"]
    assert grading == {
        "decimals": 2,
        "significant": 2,
        "partial": {"sign-flipped": "1/2", "sum-not-average": "1/4"},
    }
    assert load_key(folder).partial == spec.partial
    assert (
        "partial" not in key_json(SPEC, 3, generate_exams(SPEC, 3, numbered_students(1)))["grading"]
    )


@settings(max_examples=10)
@given(seeds, st.data())
def test_partial_credit_for_a_named_mistake(seed: int, data: st.DataObject) -> None:
    """A response that is, in full, a named mistake's value earns the table's credit for it (the
    best, if several mistakes give that value), or its per-component credit if that is more; the
    mark names the mistake credited."""
    exams = generate_exams(SPEC, seed, numbered_students(6))
    raw = key_json(SPEC, seed, exams)
    raw["grading"]["partial"] = {name: str(c) for name, c in CREDITS.items()}
    key = parse_key(json.loads(json.dumps(raw)), Path("key.json"))
    responses: dict[str, dict[int, str]] = {}
    expected: dict[tuple[str, int], sympy.Rational] = {}
    for e in exams:
        responses[e.student.id] = {}
        for q in e.questions:
            variant = q.variant
            wrong = variant.family.misconceptions(variant.params, variant.solution)
            name = data.draw(st.sampled_from(sorted(wrong)))
            typed = tuple(wrong[name])
            exact = st.sampled_from(["exact", "decimal"])
            spelled = data.draw(exact)
            responses[e.student.id][q.number] = (
                Answer("vector", typed).cell() if spelled == "exact" else decimal_cell(typed, 6)
            )
            answer = tuple(variant.solution.answer.value)
            same = sum(t == a for t, a in zip(typed, answer, strict=True))
            component = sympy.Rational(same, len(answer))
            shown = [n for n, v in wrong.items() if tuple(v) == typed and typed != answer]
            expected[e.student.id, q.number] = max(
                [component, *(CREDITS.get(n, sympy.Integer(0)) for n in shown)]
            )
    report = grade(key, table(responses))
    for (sid, number), credit in expected.items():
        mark = report.marks[sid][number]
        assert mark.credit == credit, (sid, number, mark)
        if mark.credited:
            assert CREDITS[mark.credited] == credit and mark.credited in mark.misconceptions
            assert mark.status == "partial"


CHAIN_SPEC = """id = "q3"
title = "Chain"

[[questions]]
family = "vanishing-gradient-chain"
points = 2

[grading.partial]
sigmoid-slope-one = 0.5
sigmoid-input-dropped = 0.5
input-dropped = 0.5
"""


def test_a_sigmoid_chain_earns_partial_credit_without_a_warning(tmp_path: Path) -> None:
    """The reviewer's repro: seed 11's s005 has a sigmoid chain (x = 1, weights -3, -1, 1, key
    1/64), whose key has no target ``y``. Its slope-one mistake (1) earns half the points, as
    s001's dropped input (21/2) does for a ReLU chain; before, rebuild refused the key for the
    missing target, so s005 scored 0 with a warning that examgen had changed since the build,
    and packets showed neither the work nor the named mistakes."""
    spec = write(tmp_path / "q3.toml", CHAIN_SPEC)
    out = tmp_path / "out"
    built = run(
        "build", "--seed", "11", "--count", "5", "--no-pdf", "--spec", str(spec), "--out", str(out)
    )
    assert built.exit_code == 0, built.output
    folder = out / "q3-seed11"
    entry = json.loads((folder / "key.json").read_text(encoding="utf-8"))["students"][4]
    q1 = entry["questions"][0]
    assert entry["id"] == "s005" and "y" not in q1["params"], q1
    assert q1["params"]["activation"] == "sigmoid" and q1["answer"]["value"] == "1/64"
    rows = key_rows(folder)
    rows[1][2], rows[5][2] = "21/2", "1"  # s001 input-dropped, s005 sigmoid-slope-one
    responses = write(tmp_path / "r.csv", as_csv(rows))
    result = run("grade", str(folder), str(responses))
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output and "no longer gives" not in result.output
    assert "sigmoid-slope-one" in result.output
    scores = read_scores(tmp_path / "r.scores.csv")
    assert [r[2] for r in scores[1:]] == ["1", "2", "2", "2", "1"], scores
    sigmoid = load_key(folder).students[4].questions[0]
    lines = key_lines(sigmoid, DecimalRule())
    assert any(line.startswith("Work: ") for line in lines), lines
    named = [line for line in lines if line.startswith("Named mistakes: ")]
    assert named and "sigmoid-slope-one 1," in named[0], lines


def test_partial_credit_takes_the_best_of_coinciding_mistakes() -> None:
    """Two mistakes with one value: the larger credit counts, never more than the response's own
    per-component credit would lose."""
    table = PartialCredit((("a", sympy.Rational(1, 4)), ("b", sympy.Rational(1, 2))))
    assert table.award(["a", "b"]) == ("b", sympy.Rational(1, 2))
    assert table.award(["c"]) is None
    assert with_mistake_credit(sympy.Rational(2, 3), ["b"], table) == (sympy.Rational(2, 3), "")
    assert with_mistake_credit(sympy.Rational(1, 3), ["a", "b"], table) == (
        sympy.Rational(1, 2),
        "b",
    )


def test_every_student_csv_writes_ids_and_names_formula_safe(tmp_path):
    """Scanned responses and marks.csv carry the roster's IDs and names as key.csv and scores do:
    a spreadsheet shows ``=HYPERLINK(…)`` as text, and grade reads the real ID back."""
    from types import SimpleNamespace

    from generator.grading.response_file import read_responses
    from generator.paper.packets import marks_csv
    from generator.paper.scan import write_responses

    students = [SimpleNamespace(id="=HYPERLINK(1)", name="@Ann"), SimpleNamespace(id="b", name="B")]
    key = SimpleNamespace(students=students, numbers=lambda: [1, 2])
    write_responses(tmp_path / "responses.csv", key, {"=HYPERLINK(1)": {1: "A"}, "b": {}})
    (tmp_path / "marks.csv").write_text(marks_csv(key, [2]), encoding="utf-8", newline="")
    for name in ("responses.csv", "marks.csv"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "'=HYPERLINK(1),'@Ann" in text and "\n=" not in text and ",@" not in text
        table = read_responses(tmp_path / name, [1, 2], every_question=False)
        assert [row.student_id for row in table.rows] == ["=HYPERLINK(1)", "b"]


def test_scan_review_csv_writes_ids_and_file_names_formula_safe(tmp_path):
    """review.csv is opened in a spreadsheet too: a roster ID, a scan's file name or a QR
    code's student that a spreadsheet would run is written with a leading ', as in key.csv
    (review.json keeps the real text)."""
    from generator.paper.scan import ReviewRow, write_review

    rows = [
        ReviewRow("missing-page", student="=HYPERLINK(1)", sheet_page=2, detail="not scanned"),
        ReviewRow("unreadable", file="@SUM(1).pdf", file_page=1, detail="no QR code found"),
        ReviewRow("unknown-page", file="+1.png", student="-2+3", detail="student -2+3 page 1"),
    ]
    write_review(tmp_path / "review", rows, {})
    with open(tmp_path / "review" / "review.csv", encoding="utf-8", newline="") as f:
        cells = [cell for row in list(csv.reader(f))[1:] for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    assert {"'=HYPERLINK(1)", "'@SUM(1).pdf", "'+1.png", "'-2+3"} <= set(cells)
    data = json.loads((tmp_path / "review" / "review.json").read_text(encoding="utf-8"))
    assert [r["student"] for r in data["rows"]] == ["=HYPERLINK(1)", "", "-2+3"]


def test_a_stopped_grade_leaves_the_old_files_or_the_new_ones_never_a_mix(
    built: Path, tmp_path: Path, monkeypatch
) -> None:
    """SIGTERM arriving as the scores replace the last run's: on main the new scores.csv stood
    beside the last run's .stats.json, report and chart, and examgen said no file was left
    half-written. Now the signal waits for the whole set to be in place."""
    import os
    import signal

    from generator import files
    from generator.grading.grade import grade_files

    rows = key_rows(built)
    responses = write(tmp_path / "r.csv", as_csv(rows))
    with files.signals_raise():
        _, out = grade_files(built, responses)
    companions = sorted(out.parent.glob("r.scores*"))
    assert len(companions) == 4
    before = {p: p.read_bytes() for p in companions}
    wrong = [rows[0]] + [[r[0], r[1], "(0, 0)", "(0, 0)"] for r in rows[1:]]
    write(responses, as_csv(wrong))
    original, replaced = os.replace, []

    def signal_after_first(src, dst):
        original(src, dst)
        replaced.append(dst)
        if len(replaced) == 1:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(files.os, "replace", signal_after_first)
    with pytest.raises(files.Stopped), files.signals_raise():
        grade_files(built, responses)
    assert sorted(replaced) == companions  # every one, though the signal came after the first
    changed = {p.name for p in companions if p.read_bytes() != before[p]}
    assert {"r.scores.csv", "r.scores.stats.json"} <= changed


@pytest.mark.parametrize(
    ("header", "row", "extra_rows", "options"),
    [
        # Canvas's gradebook: its own user ID beside the SIS User ID, the points row first and
        # its test student last (on main: "line 2: no student ID in column 'SIS User ID'").
        (
            ["Student", "ID", "SIS User ID", "Section", "q1", "q2"],
            lambda r: [r[1], "123", r[0], "S1", r[2], r[3]],
            [["    Points Possible", "", "", "", "2", "2"], ["Student, Test", "9", "", "", "", ""]],
            [],
        ),
        # Canvas's quiz report: name,id,sis_id,… (on main its internal id was read as the ID).
        (
            ["name", "id", "sis_id", "section", "q1", "q2"],
            lambda r: [r[1], "4567", r[0], "S1", r[2], r[3]],
            [],
            [],
        ),
        # Moodle's grades export: ID number.
        (["Surname", "ID number", "q1", "q2"], lambda r: [r[1], r[0], r[2], r[3]], [], []),
        # Any other column, named.
        (["Matrikel", "q1", "q2"], lambda r: [r[0], r[2], r[3]], [], ["--id-column", "Matrikel"]),
    ],
    ids=["canvas-gradebook", "canvas-quiz-report", "moodle", "id-column"],
)
def test_lms_exports_grade_unedited_but_for_the_question_columns(
    built: Path, tmp_path: Path, header, row, extra_rows, options
) -> None:
    rows = key_rows(built)
    body = [row(r) for r in rows[1:]]
    if extra_rows:
        body = [extra_rows[0], *body, *extra_rows[1:]]
    responses = write(tmp_path / "r.csv", as_csv([header, *body]))
    result = CliRunner().invoke(main, ["grade", str(built), str(responses), *options])
    assert result.exit_code == 0, result.output
    scores = read_scores(tmp_path / "r.scores.csv")
    assert [s[0] for s in scores[1:]] == [r[0] for r in rows[1:]]
    assert all(s[-1] == "4" for s in scores[1:]), scores  # every answer right: 2 + 2 points
    if extra_rows:
        assert "skipped Canvas's Points Possible row (line 2), Canvas's test student" in (
            result.output
        )


@pytest.mark.parametrize(
    ("last_row", "skipped"),
    [
        # Moodle's responses export ends with it (on main: "line 6: no student ID in column
        # 'ID number'; every row with answers needs one", though it has no answers).
        (["Overall average", "", "", "", "4.00", "", ""], "Moodle's Overall average row (line 6)"),
        (["", "", "", "", "exported 1 May", "", ""], "a row with no ID and no answers (line 6)"),
    ],
)
def test_a_row_with_no_id_and_no_answers_is_skipped_with_a_note(
    built: Path, tmp_path: Path, last_row: list[str], skipped: str
) -> None:
    header = ["Surname", "First name", "ID number", "Email address", "Grade/4.00", "q1", "q2"]
    rows = key_rows(built)[1:]
    body = [["Doe", r[1], r[0], "x@y", "4.00", r[2], r[3]] for r in rows]
    responses = write(tmp_path / "r.csv", as_csv([header, *body, last_row]))
    result = CliRunner().invoke(main, ["grade", str(built), str(responses)])
    assert result.exit_code == 0, result.output
    assert f"skipped {skipped}: not students" in result.output
    scores = read_scores(tmp_path / "r.scores.csv")
    assert [s[0] for s in scores[1:]] == [r[0] for r in rows]
    assert all(s[-1] == "4" for s in scores[1:]), scores


def test_a_file_without_an_id_column_names_the_columns_it_has(built: Path, tmp_path: Path) -> None:
    responses = write(tmp_path / "r.csv", "Nachname,Matrikel,q1,q2\nA,s001,1,2\n")
    result = CliRunner().invoke(main, ["grade", str(built), str(responses)])
    assert result.exit_code == 1
    assert "no student ID column (it has 'Nachname', 'Matrikel', 'q1', 'q2')" in result.output
    assert "--id-column" in result.output


# --- review: grade's outputs never replace another file ------------------------------------------
@pytest.mark.parametrize(
    "name, text",
    [
        ("myroster.csv", "id,name\ns001,Ann Lee\n"),
        ("notes.stats.json", '{"mine": "my notes on the class"}\n'),
        ("notes.report.md", "# My notes\n"),
        ("old.csv", "id,name,q1,q2\ns001,Ann,1,2\n"),
    ],
)
def test_grade_never_replaces_a_file_it_did_not_write(
    built: Path, tmp_path: Path, name: str, text: str
) -> None:
    """On main `--out myroster.csv` replaced the roster, and `--out notes.csv` the user's
    notes.stats.json, without a word: only files grade wrote (a scores CSV, by its header
    id,name,q…,total; its statistics, report, chart by how they begin) are written over."""
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    kept = write(tmp_path / name, text)
    out = tmp_path / (name.split(".")[0] + ".csv")
    result = CliRunner().invoke(main, ["grade", str(built), str(responses), "--out", str(out)])
    assert_refused(result, "--out", name, "choose another --out or move the file")
    assert kept.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["r.csv", name])


@pytest.mark.parametrize(
    "name, start",
    [
        ("mybook.csv", b"id,name,q1,q2,q3,q4,q5,q6,q7,total\r\n"),  # the scores' own header
        ("mine.report.md", b"# Item analysis\n\nmy notes\n"),
        ("mine.mistakes.png", b"\x89PNG\r\n\x1a\nmy picture"),
    ],
)
def test_grade_never_replaces_a_file_that_only_begins_like_its_own(
    built: Path, tmp_path: Path, name: str, start: bytes
) -> None:
    """On main grade knew its files by how they begin, so a gradebook with the scores' header,
    or any real PNG beside the scores, was replaced without a word: only files its statistics
    record, as they recorded them, are its own."""
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    kept = tmp_path / name
    kept.write_bytes(start)
    out = tmp_path / (name.split(".")[0] + ".csv")
    result = CliRunner().invoke(main, ["grade", str(built), str(responses), "--out", str(out)])
    assert_refused(result, "--out", name, "choose another --out or move the file")
    assert kept.read_bytes() == start


@pytest.mark.parametrize("edited", ["scores", "report"])
def test_grading_again_keeps_scores_corrected_by_hand(
    built: Path, tmp_path: Path, edited: str
) -> None:
    """On main grading the same responses again put the computed scores back over a TA's hand
    correction without a word. Grading again over untouched outputs still replaces them."""
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    argv = ["grade", str(built), str(responses)]
    assert CliRunner().invoke(main, argv).exit_code == 0
    assert CliRunner().invoke(main, argv).exit_code == 0  # its own files, as written: replaced
    scores = tmp_path / "r.scores.csv"
    stats = json.loads((tmp_path / "r.scores.stats.json").read_text(encoding="utf-8"))
    assert sorted(stats["files"]) == sorted(
        ["r.scores.csv", "r.scores.report.md", "r.scores.mistakes.png"]
    )
    target = scores if edited == "scores" else tmp_path / "r.scores.report.md"
    changed = target.read_bytes() + b"\nchecked by hand: s002 q3 is right\n"
    target.write_bytes(changed)
    result = CliRunner().invoke(main, argv)
    assert_refused(result, str(target), "was changed after grade wrote it", "another --out")
    assert target.read_bytes() == changed


@pytest.mark.parametrize("where", ["exams/x.csv", "solutions/scores.csv", "exams/new/x.csv"])
def test_grade_never_writes_into_what_a_build_writes(
    built: Path, tmp_path: Path, where: str
) -> None:
    """On main a new file in exams/ was written, and the next build into the folder stopped at
    it (a file in a student folder that its manifest does not list)."""
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    out = built / where
    result = CliRunner().invoke(main, ["grade", str(built), str(responses), "--out", str(out)])
    assert_refused(result, "--out", "of the exam folder", "choose a path outside it")
    assert not out.exists() and not (built / "exams" / "new").exists()


def test_empty_or_folder_paths_are_one_line_naming_the_option(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On main `--out ''` was a traceback, `--out new/` wrote a file named new, and
    `--marks ''` blamed the responses file."""
    responses = write(tmp_path / "r.csv", as_csv(key_rows(built)))
    folder = tmp_path / "folder"
    folder.mkdir()
    monkeypatch.chdir(folder)  # where `--out ''` would write
    base = ["grade", str(built), str(responses)]
    for options, fragments in (
        (["--out", ""], ["--out is empty", "give a file name"]),
        (["--out", f"{tmp_path / 'newdir'}/"], ["--out", "names a folder", "give a file name"]),
        (["--marks", ""], ["--marks is empty", "give a file name"]),
        (["--marks", str(folder)], [str(folder), "give the marks CSV file"]),
        # On 8cb6922 comma-separated scores under a tab-separated or Excel name.
        (["--out", str(tmp_path / "ok.tsv")], ["ok.tsv", "comma-separated", "ok.csv"]),
        (["--out", str(tmp_path / "scores.xlsx")], ["name the file scores.csv"]),
    ):
        assert_refused(CliRunner().invoke(main, [*base, *options]), *fragments)
        assert list(folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["r.csv"]
    assert not (tmp_path / "newdir").exists()


def test_a_letter_beyond_the_options_is_unreadable(tmp_path: Path) -> None:
    """README: "Unreadable answers score 0 and are listed". On main `F` or `Z` on a question
    of options A–D was graded as an ordinary wrong answer (in the wrong answers, not listed)."""
    sources = ["sign-flipped", "correct", "sum-not-average", "eta-not-applied"]
    question = {
        "number": 1,
        "family": "fam",
        "points": 1,
        "params": {"choices": sources},
        "answer": {"kind": "choice", "value": "B"},
    }
    typed = {"s0": "F", "s1": "z", "s2": "D", "s3": "B"}
    folder = tmp_path / "k"
    folder.mkdir()
    students = [{"id": sid, "questions": [question]} for sid in typed]
    (folder / "key.json").write_text(json.dumps({"students": students}))
    responses = write(tmp_path / "r.csv", as_csv([["id", "q1"], *map(list, typed.items())]))
    result = run("grade", str(folder), str(responses))
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "r.scores.stats.json").read_text())
    assert [(u["id"], u["response"]) for u in stats["unreadable"]] == [("s0", "F"), ("s1", "z")]
    assert all("options A–D" in u["reason"] for u in stats["unreadable"])
    [q1] = stats["questions"]
    assert q1["counts"] == {"correct": 1, "wrong": 1, "unreadable": 2}
    assert [w["answer"] for w in q1["wrong_answers"]] == ["D"]
    assert [r[-1] for r in read_scores(tmp_path / "r.scores.csv")[1:]] == ["0", "0", "0", "1"]


@pytest.mark.parametrize("named_by", ["key.csv", "key.json", "manifest.json"])
def test_a_file_the_build_wrote_names_its_exam(built: Path, tmp_path: Path, named_by: str) -> None:
    """``grade out/quiz-seed42/key.csv responses.csv``, the graders' table for the key, said
    "not valid JSON": any file the build wrote beside key.json names that key, and grades as
    the folder does."""
    responses = tmp_path / "r.csv"
    responses.write_text(as_csv([[r[0], r[2], r[3]] for r in key_rows(built)]), encoding="utf-8")
    by_folder, by_file = tmp_path / "folder.csv", tmp_path / "file.csv"
    assert run("grade", str(built), str(responses), "--out", str(by_folder)).exit_code == 0
    result = run("grade", str(built / named_by), str(responses), "--out", str(by_file))
    assert result.exit_code == 0, result.output
    assert by_file.read_bytes() == by_folder.read_bytes()
    assert read_scores(by_file) == full_scores(built)


def test_a_file_that_is_no_key_says_what_to_give(built: Path, tmp_path: Path) -> None:
    """Any other file is read as a key, and its error says what to give instead (a key.json that
    is no JSON: rebuild)."""
    responses = tmp_path / "r.csv"
    responses.write_text(as_csv(key_rows(built)), encoding="utf-8")
    for named, fix in (
        (next((built / "exams").iterdir()), "give the exam folder"),
        (tmp_path / "key.json", "rebuild the exam"),
    ):
        if named.name == "key.json":
            named.write_text("{not json", encoding="utf-8")
        result = CliRunner().invoke(main, ["grade", str(named), str(responses)])
        assert_refused(result, f"{named}: not valid JSON", fix)


# --- responses that are not this build's --------------------------------------------------------
@settings(max_examples=5)
@given(seeds, seeds)
def test_another_seeds_answers_are_told_apart_from_a_class(seed: int, other: int) -> None:
    """Another seed's key.csv (or its class's answers) graded against this build: on 8cb6922
    every student scored near zero with nothing said. Grade now warns in one line; a class that
    gets any number answer right, or a file too small to tell, gets no such warning."""
    assume(seed != other)
    key, exams = memory_key(seed, 10)
    _, others = memory_key(other, 10)

    def theirs() -> dict[str, dict[int, str]]:
        return {
            e.student.id: {q.number: q.variant.solution.answer.cell() for q in e.questions}
            for e in others
        }

    def warned(rows: dict[str, dict[int, str]]) -> list[str]:
        return [w for w in grade(key, table(rows)).warnings if "another build" in w]

    (warning,) = warned(theirs())
    assert warning.startswith("responses.csv: none of its 20 number and vector answers is right")
    # One student of the class right on one question: a class, not another build.
    one_right = theirs()
    one_right[exams[0].student.id][1] = exams[0].questions[0].variant.solution.answer.cell()
    assert not warned(one_right)
    # Fewer answers than tell (19 of them): no warning.
    fewer = theirs()
    del fewer[exams[0].student.id][1]
    assert not warned(fewer)


def test_many_students_not_in_the_key_are_summed_up_in_one_line() -> None:
    """A wrong file of many rows: on 8cb6922 one warning line per row (200,000 lines, 21 s).
    The first ten are named, with hints; the rest is one line."""
    key, exams = memory_key(3, 2)
    rows = {e.student.id: {} for e in exams} | {f"x{i:05d}": {} for i in range(5000)}
    warnings = [w for w in grade(key, table(rows)).warnings if "not in the key" in w]
    assert len(warnings) == 11
    assert warnings[0] == "responses.csv: line 4: student 'x00000' is not in the key; not graded"
    assert warnings[-1].startswith(
        "responses.csv: 4990 more students are not in the key (lines 14, 15, 16, 17, 18 and 4985 "
        "more); not graded"
    )


@given(st.text(alphabet="\u200b\u200c\u200d\u2060\ufeff \t", max_size=6))
def test_a_cell_of_invisible_characters_is_blank(cell: str) -> None:
    """A zero-width space alone (a paste from a PDF or a chat): on 8cb6922 grade called it an
    unreadable answer while the practice page called it blank. Both say blank now."""
    key, exams = memory_key(5, 1)
    report = grade(key, table({exams[0].student.id: {1: cell}}))
    assert report.marks[exams[0].student.id][1].status == "blank"
