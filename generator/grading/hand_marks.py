"""Hand marks: the points a TA gave written answers (``marks.csv`` beside the review packets,
``id,name,q3,q4,…``), for ``examgen grade --marks``.

A mark is points, not an answer: a whole number, a decimal or a fraction from 0 to the
question's points for that student. Anything else would put a wrong score next to a name, so it
is an error naming the file, the line, the student and the column; an empty cell is no mark.
So is a mark for a student the key does not have (``unknown_student``): it was meant for one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sympy

from generator.csv_table import find_column, read_csv_text, read_table
from generator.errors import ExamgenError
from generator.grading.keyfile import Key
from generator.grading.response_file import read_responses
from generator.responses import Unreadable, read_number
from generator.roster import ID_COLUMNS, NAME_COLUMNS

WHAT = "marks"


@dataclass(frozen=True)
class HandMarks:
    path: Path
    points: Mapping[str, Mapping[int, sympy.Rational]]  # student ID → question → points given
    warnings: tuple[str, ...] = ()


def read_hand_marks(path: Path, key: Key) -> HandMarks:
    table = read_responses(Path(path), key.numbers(), every_question=False, what=WHAT)
    warnings = list(table.warnings)
    points: dict[str, dict[int, sympy.Rational]] = {}  # by the key's ID
    for row in table.rows:
        given = {n: cell for n, cell in row.answers.items() if cell}
        if not given:
            continue
        student = key.student(row.student_id)
        if student is None:
            raise ExamgenError(unknown_student(table.path, row.line, row.student_id, key))
        asked = {q.number: q for q in student.questions}
        own = points.setdefault(student.id, {})
        for number, cell in given.items():
            where = f"{table.path}: line {row.line}, student {row.student_id!r}, column q{number}"
            try:
                value = read_number(cell).value
            except Unreadable as err:
                raise ExamgenError(
                    f"{where}: mark {cell!r} {err}; write points like 2 or 1.5"
                ) from None
            question = asked.get(number)
            if question is None:
                raise ExamgenError(f"{where}: this student has no question {number}")
            if not 0 <= value <= question.points:
                raise ExamgenError(
                    f"{where}: mark {cell} is outside 0 to {question.points}, the question's points"
                )
            own[number] = sympy.Rational(value)
    return HandMarks(table.path, points, tuple(warnings))


def unknown_student(path: Path, line: int, student_id: str, key: Key) -> str:
    """Why marks for a student the key does not have stop grading. packets writes marks.csv
    with the key's own IDs, so such a row was edited (a spreadsheet drops leading zeros:
    "00123" → "123") or typed: its marks were meant for a student of the key, whose written
    answers would score 0 beside a total that looks complete. A response row is only warned
    about: its student is left without a score, which is seen, not given a wrong one."""
    shown, hint = key.unknown_id(student_id)
    fix = (
        "write the key's ID (a spreadsheet drops leading zeros: format the ID column as text)"
        if hint
        else "write the ID of the student the marks are for (as packets wrote it)"
    )
    return (
        f"{path}: line {line}: student {shown} is not in the key {key.path}{hint}, so the "
        f"student these marks are for would score 0 on them; {fix}, or delete the row"
    )


def holds_marks(path: Path) -> bool:
    """Whether a marks.csv holds any mark (or anything else typed beside a name), read by the
    reader ``read_hand_marks`` uses: comma, semicolon or tab separated, as a spreadsheet in any
    locale saves it. An empty file holds none; one that cannot be read is an ``ExamgenError``
    naming the line, since it may hold marks all the same. Packets run again use it so as never
    to replace a TA's points."""
    if not read_csv_text(path, WHAT).strip():
        return False
    table = read_table(path, WHAT, ID_COLUMNS)
    names = {find_column(table.header, ID_COLUMNS), find_column(table.header, NAME_COLUMNS)}
    return any(
        cell.strip()
        for row in table.rows
        for index, cell in enumerate(row.cells)
        if index not in names
    )
