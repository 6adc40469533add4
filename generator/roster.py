"""Students: from a roster CSV (the DESIGN.md roster contract) or numbered ``s001…``.

A roster comes from a registrar, an LMS export or a spreadsheet, so this module is strict about
what would silently give two students the same variant or a nameless key row (duplicate or empty
IDs) and lenient about what does not matter (a BOM, the LMS's column names, extra columns).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from generator.errors import ExamgenError

ID_COLUMNS = ("id", "student_id", "SIS User ID", "SID")
NAME_COLUMNS = ("name", "Student", "Name")


@dataclass(frozen=True)
class Student:
    id: str
    name: str


def numbered_students(count: int) -> list[Student]:
    """``s001 … sNNN``, for a quick build without a roster."""
    if count < 1:
        raise ExamgenError(f"--count must be at least 1, got {count}")
    width = max(3, len(str(count)))
    return [Student(f"s{i:0{width}d}", f"Student {i}") for i in range(1, count + 1)]


def find_column(header: list[str], names: tuple[str, ...]) -> int | None:
    stripped = [h.strip() for h in header]
    for name in names:
        if name in stripped:
            return stripped.index(name)
    lowered = [h.lower() for h in stripped]
    for name in names:
        if name.lower() in lowered:
            return lowered.index(name.lower())
    return None


def read_csv_text(path: Path, what: str) -> str:
    """A CSV file's text (UTF-8, BOM dropped), or one line saying why it cannot be read.

    ``what`` names the file for the user: ``"roster"``, ``"responses"``.
    """
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ExamgenError(f"{path}: {what} file not found; check the path") from None
    except IsADirectoryError:
        raise ExamgenError(f"{path}: is a folder; give the {what} CSV file") from None
    except PermissionError:
        raise ExamgenError(f"{path}: cannot read the {what} (permission denied)") from None
    except UnicodeDecodeError as err:
        raise ExamgenError(
            f"{path}: byte {err.start} is not UTF-8; save the {what} as UTF-8 CSV"
        ) from None


def load_roster(path: Path) -> list[Student]:
    path = Path(path)
    text = read_csv_text(path, "roster")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as err:
        raise ExamgenError(f"{path}: not a valid CSV file ({err})") from None
    if not rows or not any(cell.strip() for cell in rows[0][1]):
        raise ExamgenError(f"{path}: the roster is empty; it needs a header row such as 'id,name'")
    header = rows[0][1]
    id_col = find_column(header, ID_COLUMNS)
    if id_col is None:
        raise ExamgenError(
            f"{path}: line 1: no student ID column; name one of: {', '.join(ID_COLUMNS)}"
        )
    name_col = find_column(header, NAME_COLUMNS)
    students: list[Student] = []
    first_line: dict[str, int] = {}
    for line_no, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue  # blank lines, common at the end of exported files
        student_id = row[id_col].strip() if id_col < len(row) else ""
        if not student_id:
            raise ExamgenError(
                f"{path}: line {line_no}: empty student ID in column '{header[id_col].strip()}'; "
                "every student needs an ID"
            )
        if student_id in first_line:
            raise ExamgenError(
                f"{path}: line {line_no}: duplicate student ID {student_id!r} "
                f"(first on line {first_line[student_id]}); IDs must be unique"
            )
        first_line[student_id] = line_no
        name = row[name_col].strip() if name_col is not None and name_col < len(row) else ""
        students.append(Student(student_id, name))
    if not students:
        raise ExamgenError(f"{path}: the roster has a header but no students")
    return students
