"""The responses CSV: key.csv's columns (``id,q1,q2,…``, ``name`` optional), typed in by TAs or
exported from a spreadsheet or an LMS.

Such files arrive with a BOM, semicolons for separators (European spreadsheets), unquoted vectors
that split one answer over two cells, IDs typed twice or mistyped, and columns from another exam.
Anything that could put a wrong score next to a student's name is an error naming the line and
the fix; anything that only leaves a score out (a student in the file but not in the key, an
unrelated column) is a warning, so it is seen but does not block grading the rest of the class.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import ExamgenError
from generator.roster import ID_COLUMNS, NAME_COLUMNS, find_column, read_csv_text

DELIMITERS = (",", ";", "\t")
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


def _rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for row in reader:
        if any(cell.strip() for cell in row):
            rows.append((reader.line_num, row))
    return rows


def _detect_delimiter(path: Path, text: str) -> tuple[str, list[tuple[int, list[str]]]]:
    """The separator whose header holds an ID column: ``,`` ``;`` or tab, never a guess."""
    found = []
    for delimiter in DELIMITERS:
        try:
            rows = _rows(text, delimiter)
        except csv.Error as err:
            raise ExamgenError(f"{path}: not a valid CSV file ({err})") from None
        if rows and find_column(rows[0][1], ID_COLUMNS) is not None and len(rows[0][1]) > 1:
            found.append((delimiter, rows))
    if not found:
        if not text.strip():
            raise ExamgenError(f"{path}: the file is empty; it needs key.csv's header id,q1,q2,…")
        raise ExamgenError(
            f"{path}: line 1: no student ID column; the header must name one of "
            f"{', '.join(ID_COLUMNS)} and the question columns q1, q2, … (as in key.csv)"
        )
    return found[0]


def read_responses(path: Path, numbers: Sequence[int]) -> ResponseTable:
    """Every response row, checked against the key's question ``numbers``."""
    path = Path(path)
    text = read_csv_text(path, "responses")
    delimiter, rows = _detect_delimiter(path, text)
    header = [h.strip() for h in rows[0][1]]
    table = ResponseTable(path, [])
    id_col = find_column(header, ID_COLUMNS)
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
    if missing:
        raise ExamgenError(
            f"{path}: line 1: no column for {', '.join(f'q{n}' for n in missing)}; the header "
            f"needs {header[id_col]},{','.join(f'q{n}' for n in numbers)} (key.csv's columns)"
        )

    first_line: dict[str, int] = {}
    for line, row in rows[1:]:
        extra = [cell for cell in row[len(header) :] if cell.strip()]
        if extra:
            hint = (
                'quote answers that contain the separator, e.g. "(4, 9)"'
                if delimiter == ","
                else "quote answers that contain the separator"
            )
            raise ExamgenError(
                f"{path}: line {line}: {len(row)} cells but the header has {len(header)} "
                f"columns, so an answer was split in two; {hint}"
            )
        cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
        student_id = cells[id_col]
        if not student_id:
            raise ExamgenError(
                f"{path}: line {line}: no student ID in column {header[id_col]!r}; every row "
                "with answers needs one"
            )
        if student_id in first_line:
            raise ExamgenError(
                f"{path}: line {line}: student {student_id!r} already has responses on line "
                f"{first_line[student_id]}; keep one row per student"
            )
        first_line[student_id] = line
        name = cells[name_col] if name_col is not None else ""
        answers = {number: cells[index] for number, index in columns.items()}
        table.rows.append(ResponseRow(line, student_id, name, answers))
    if not table.rows:
        raise ExamgenError(f"{path}: the file has a header but no responses")
    return table
