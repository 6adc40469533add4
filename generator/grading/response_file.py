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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.csv_table import DELIMITER_NAMES, find_column, read_table, unformula
from generator.errors import ExamgenError
from generator.families.base import AnswerKind
from generator.responses import BRACKETS, Unreadable, normalize, read_number
from generator.roster import (
    NAME_COLUMNS,
    id_columns,
    identity,
    not_a_student,
    same_id_as,
    shown_ids,
    skipped_text,
)

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
    kinds: Callable[[str], Mapping[int, AnswerKind]] | None = None,
) -> ResponseTable:
    """Every response row, checked against the key's question ``numbers`` (a column for each
    unless not ``every_question``: hand marks have columns for the written answers only). A file
    with a header alone is a mistake, unless ``may_be_empty`` (hand marks grade every student,
    as for an exam of written answers only, whose scan found no bubbles). ``id_column`` names
    the ID column when it is none of ``ID_COLUMNS``; ``what`` names the file in errors.
    ``kinds`` gives a row's answer kinds by question from its student ID (``Key.answer_kinds``):
    with them, a vector typed without brackets and split over cells is told from answers."""
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
    extras: dict[int, int] = {}  # line → empty cells past the header's, for each student's row
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
            shown = shown_ids(student_id, first_id)[0]
            how = same_id_as(student_id, first_id)
            raise ExamgenError(
                f"{path}: line {line}: student {shown} already has responses on line "
                f"{first}{how}; keep one row per student"
            )
        first_line[same] = (line, student_id)
        name = unformula(cells[name_col]) if name_col is not None else ""
        own = kinds(student_id) if kinds else {}
        column_kinds = {columns[n]: kind for n, kind in own.items() if n in columns}
        refuse_split_vector(path, line, header, cells, csv_table.delimiter, column_kinds, row.extra)
        answers = {number: cells[index] for number, index in columns.items()}
        table.rows.append(ResponseRow(line, student_id, name, answers))
        extras[line] = row.extra
    refuse_uneven_rows(path, len(header), extras, csv_table.delimiter)
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


def refuse_uneven_rows(path: Path, columns: int, extras: Mapping[int, int], delimiter: str) -> None:
    """Rows with more (empty) cells past the header than other rows have. A spreadsheet or an
    LMS ends every row alike, so trailing separators that all rows share are harmless; a row
    with more than the others took them from a cell split at an unquoted separator (``2, 23/4``,
    ``Smith, Jo``) whose row ends in blank answers: every answer after the split would be
    graded in the next question's column, the blank last one scored as the answer before it."""
    if not extras:
        return
    fewest = min(extras, key=lambda line: extras[line])
    for line, extra in extras.items():
        if extra > extras[fewest]:
            name = DELIMITER_NAMES[delimiter]
            raise ExamgenError(
                f"{path}: line {line}: {columns + extra} cells, {extra - extras[fewest]} more than "
                f"line {fewest} (the extra ones empty): a vector or name split at an unquoted "
                f"{name}, with the row's last answers blank, would shift every later answer into "
                f"the next question's column; quote cells that hold a {name}, and remove any "
                f"{name} too many at the end of line {line}"
            )


def _open_brackets(cell: str) -> int:
    """Brackets a cell opens and does not close (negative: closes more than it opens), of
    those a vector may be typed in (look-alikes such as ⟨ ⟩ read as the brackets they are)."""
    text = normalize(cell)
    return sum(text.count(o) - text.count(c) for o, c in BRACKETS.items())


def _lone_number(cell: str) -> bool:
    """Whether a cell is one number, without brackets: half of a vector typed ``2, 23/4``."""
    text = normalize(cell)
    if not text or text[0] in BRACKETS:
        return False
    try:
        read_number(text)
    except Unreadable:
        return False
    return True


def _split_end(
    cells: Sequence[str], start: int, kinds: Mapping[int, AnswerKind], extra: int
) -> int | None:
    """The column where a vector that begins in column ``start`` ends, when it was split over
    cells: a cell opening a bracket, numbers, and a cell closing it (``(1/2``, ``4``, ``-3)``);
    or, in a vector's column, a lone number followed by another (``2``, ``23/4``), where the
    next column is a question asking for no number (so the second cannot be its answer) or the
    row has extra cells (room the split took, ``refuse_uneven_rows``). A vector never is one
    number, so the first cell scores 0 as it is: refusing it costs a fix, never a score."""
    depth = _open_brackets(cells[start])
    if depth > 0:
        for end in range(start + 1, len(cells)):
            depth += _open_brackets(cells[end])
            if depth <= 0:
                return end
            if not _lone_number(cells[end]):
                return None
        return None
    after = start + 1
    if (
        after < len(cells)
        and kinds.get(start) == "vector"
        and _lone_number(cells[start])
        and _lone_number(cells[after])
        and (kinds.get(after, "number") != "number" or extra > 0)
    ):
        return after
    return None


#: How to type a vector in one cell, by the file's separator.
_ONE_CELL = {
    ",": 'quote it ("(1, 2)") or separate its numbers with semicolons',
    ";": 'quote it ("(1; 2)") or separate its numbers with commas',
    "\t": "type it in one cell, (1, 2)",
}


def refuse_split_vector(
    path: Path,
    line: int,
    header: Sequence[str],
    cells: Sequence[str],
    delimiter: str = ",",
    kinds: Mapping[int, AnswerKind] | None = None,
    extra: int = 0,
) -> None:
    """A vector typed without quotes, ``(1, 31/9)`` or ``1, 31/9``, is two cells. When the row
    has one cell too many, the table refuses it; when it also ends in an empty cell (a blank
    last answer), the count matches and every later answer would be graded in the next
    question's column: a wrong score beside the student's name. So a vector split over cells
    (``_split_end``; ``kinds`` are the row's answer kinds by column, ``extra`` its empty cells
    past the header) is an error, whatever the count; the fix fits the file's ``delimiter``."""
    for start in range(len(cells) - 1):
        end = _split_end(cells, start, kinds or {}, extra)
        if end is not None:
            first = cells[start]
            # A lone number can also be all a student wrote of a vector: say how to keep it.
            alone = (
                ""
                if _open_brackets(first)
                else f" (if {first!r} is all the answer to {header[start]!r}, bracket it: "
                f"({first}))"
            )
            raise ExamgenError(
                f"{path}: line {line}: {first!r} in column {header[start]!r} and "
                f"{cells[end]!r} in column {header[end]!r} look like one vector split at a "
                f"{DELIMITER_NAMES[delimiter]}, which shifts the later answers into the wrong "
                f"columns; {_ONE_CELL[delimiter]}{alone}"
            )
