"""The responses CSV: key.csv's columns (``id,q1,q2,…``, ``name`` optional), typed in by TAs or
exported from a spreadsheet or an LMS.

Such files arrive with a BOM, semicolons for separators (European spreadsheets), unquoted vectors
that split one answer over two cells, IDs typed twice or mistyped, and columns from another exam.
Anything that could put a wrong score next to a student's name is an error naming the line and
the fix; anything that only leaves a score out (a student in the file but not in the key, an
unrelated column) is a warning, so it is seen but does not block grading the rest of the class.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.csv_table import find_column, read_table, unformula
from generator.errors import ExamgenError
from generator.grading.keyfile import shown_ids
from generator.roster import NAME_COLUMNS, id_columns, identity, not_a_student, skipped_text

_QUESTION_COLUMN = re.compile(r"[Qq](\d+)")


@dataclass(frozen=True)
class ResponseRow:
    line: int
    student_id: str
    name: str
    answers: dict[int, str]  # question number → the cell as typed ("" when blank)


@dataclass
class ResponseTable:
    path: Path
    rows: list[ResponseRow]
    warnings: list[str] = field(default_factory=list)


def read_responses(
    path: Path,
    numbers: Sequence[int],
    every_question: bool = True,
    may_be_empty: bool = False,
    id_column: str | None = None,
    what: str = "responses",
) -> ResponseTable:
    """Every response row, checked against the key's question ``numbers`` (a column for each
    unless not ``every_question``: hand marks have columns for the written answers only). A file
    with a header alone is a mistake, unless ``may_be_empty`` (hand marks grade every student,
    as for an exam of written answers only, whose scan found no bubbles). ``id_column`` names
    the ID column when it is none of ``ID_COLUMNS``; ``what`` names the file in errors."""
    path = Path(path)
    ids, hint = id_columns(id_column)
    csv_table = read_table(
        path, what, ids, f" and the question columns q1, q2, … (as in key.csv){hint}"
    )
    header = csv_table.header
    table = ResponseTable(path, [])
    id_col = find_column(header, ids)
    name_col = find_column(header, NAME_COLUMNS)
    assert id_col is not None

    columns: dict[int, int] = {}  # question number → column index
    for index, title in enumerate(header):
        if index in (id_col, name_col):
            continue
        match = _QUESTION_COLUMN.fullmatch(title)
        if match is None:
            if title:
                table.warnings.append(f"{path}: column {title!r} is not a question; ignored")
            continue
        number = int(match.group(1))
        if number in columns:
            raise ExamgenError(f"{path}: line 1: column {title!r} appears twice")
        if number not in numbers:
            raise ExamgenError(
                f"{path}: line 1: column {title!r} is not a question of this exam "
                f"(it has q{min(numbers)}–q{max(numbers)}); are these responses to another exam?"
            )
        columns[number] = index
    missing = [n for n in numbers if n not in columns]
    if missing and (every_question or not columns):
        raise ExamgenError(
            f"{path}: line 1: no column for {', '.join(f'q{n}' for n in missing)}; the header "
            f"needs {header[id_col]},{','.join(f'q{n}' for n in numbers)} (key.csv's columns)"
        )

    first_line: dict[str, tuple[int, str]] = {}  # identity → (line, ID as typed)
    skipped = []
    for row in csv_table.rows:
        line = row.line
        cells = [c.strip() for c in row.cells]
        # Canvas's points row and test student, as in a roster.
        lms_row = not_a_student(cells[name_col if name_col is not None else id_col], line)
        if lms_row is not None:
            skipped.append(lms_row)
            continue
        student_id = unformula(cells[id_col])
        if not student_id and not any(cells[index] for index in columns.values()):
            skipped.append(summary_row(cells, line))
            continue
        if not student_id:
            raise ExamgenError(
                f"{path}: line {line}: no student ID in column {header[id_col]!r}; every row "
                "with answers needs one"
            )
        same = identity(student_id)  # as the build tells students apart
        if same in first_line:
            first, first_id = first_line[same]
            shown, was = shown_ids(student_id, first_id)
            how = (
                ""
                if first_id == student_id
                else f" as {was}, the same ID once Unicode normalisation and invisible "
                "characters are set aside"
            )
            raise ExamgenError(
                f"{path}: line {line}: student {shown} already has responses on line "
                f"{first}{how}; keep one row per student"
            )
        first_line[same] = (line, student_id)
        name = unformula(cells[name_col]) if name_col is not None else ""
        refuse_split_vector(path, line, header, cells)
        answers = {number: cells[index] for number, index in columns.items()}
        table.rows.append(ResponseRow(line, student_id, name, answers))
    if skipped:
        table.warnings.append(skipped_text(path, skipped))
    if not table.rows and not may_be_empty:
        raise ExamgenError(f"{path}: the file has a header but no responses")
    return table


#: Rows an LMS adds below the students, with no ID and no answers, by their first cell.
SUMMARY_ROWS = {"Overall average": "Moodle's Overall average row"}


def summary_row(cells: Sequence[str], line: int) -> str:
    """What a row with no ID and no answer is, named with its line: an LMS's summary row
    (Moodle's "Overall average", whose only figure is the mean grade), or else an unnamed one.
    It grades no one, so it is skipped with a note, as Canvas's Points Possible row is."""
    label = next((cell for cell in cells if cell), "")
    what = SUMMARY_ROWS.get(label, "a row with no ID and no answers")
    return f"{what} (line {line})"


def _open_brackets(cell: str) -> int:
    """Brackets a cell opens and does not close (negative: closes more than it opens)."""
    return cell.count("(") + cell.count("[") - cell.count(")") - cell.count("]")


def refuse_split_vector(path: Path, line: int, header: Sequence[str], cells: Sequence[str]) -> None:
    """A vector typed without quotes, ``(1, 31/9)``, is two cells, ``(1`` and ``31/9)``. When the
    row has one cell too many, the table refuses it; when it also ends in an empty cell (a blank
    last answer), the count matches and every later answer would be graded in the next
    question's column: a wrong score beside the student's name. A cell that opens a bracket
    followed by one that closes it is that split, whatever the count."""
    for index in range(len(cells) - 1):
        first, second = cells[index], cells[index + 1]
        if _open_brackets(first) > 0 and _open_brackets(second) < 0:
            raise ExamgenError(
                f"{path}: line {line}: {first!r} in column {header[index]!r} and {second!r} in "
                f"column {header[index + 1]!r} look like one vector split at its comma, which "
                'shifts the later answers into the wrong columns; quote it ("(1, 2)") or '
                "separate its numbers with semicolons"
            )
