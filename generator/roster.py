"""Students: from a roster CSV (the DESIGN.md roster contract) or numbered ``s001…``.

A roster comes from a registrar, an LMS export or a spreadsheet, so this module is strict about
what would silently give two students the same variant or a nameless key row (duplicate or empty
IDs) and lenient about what does not matter (a BOM, the LMS's column names, extra columns).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.characters import bidi_control, shown_name, unprintable
from generator.csv_table import find_column, read_table
from generator.defaults import MAX_STUDENTS
from generator.errors import ExamgenError, some_of

# Canvas exports both its internal "ID" and the institution's "SIS User ID": the SIS ID wins
# (it is first here, and exact names are matched before case-insensitive ones).
#: In this order: Canvas's SIS User ID (its quiz reports' sis_id) before Canvas's own user id.
ID_COLUMNS = ("SIS User ID", "sis_id", "id", "student_id", "Student ID", "SID", "ID number")
NAME_COLUMNS = ("name", "Student", "Name", "Student Name")
#: A name in two columns, "First Last" (Gradescope; Moodle's, whose older exports say Surname).
FIRST_NAMES = ("First Name",)
LAST_NAMES = ("Last Name", "Surname")
#: Rows an LMS adds that are not students: Canvas's points row and its test student.
NOT_STUDENTS = {
    "Points Possible": "Canvas's Points Possible row",
    "Student, Test": "Canvas's test student",
    "Test Student": "Canvas's test student",
}
#: The longest name a fixed-layout header prints at a readable size (it scales a longer one down
#: to fit its height: a 400-character name printed at 3pt, a 20,000-character one not at all).
MAX_NAME_LENGTH = 150
#: Characters no roster cell may hold, each with what it does.
CELL_CHARACTERS = (
    (unprintable, "a control character no page or file can show (an escape sequence, say)"),
    (
        bidi_control,
        "an invisible direction control that shows the text after it reversed (in key.csv, a "
        "student's answers)",
    ),
)
#: Characters that do not show: zero-width spaces and joiners, bidi marks, soft hyphens, fillers.
_INVISIBLE_EXTRA = {"\u034f", "\u115f", "\u1160", "\u3164", "\uffa0"}


@dataclass(frozen=True)
class Student:
    id: str
    name: str


@dataclass
class Roster:
    students: list[Student]
    notes: list[str] = field(default_factory=list)  # one line each, for the user
    lines: list[int] = field(default_factory=list)  # each student's line in the file, if any


def numbered_students(count: int) -> list[Student]:
    """``s001 … sNNN``, for a quick build without a roster. Student i's ID does not depend on
    the class size (s999, then s1000), so a build for more students keeps everyone's variants:
    a width that grew with the count renamed every student at 1,000 (s0001)."""
    if not 1 <= count <= MAX_STUDENTS:
        raise ExamgenError(f"--count must be between 1 and {MAX_STUDENTS:,}, got {count}")
    return [Student(f"s{i:03d}", f"Student {i}") for i in range(1, count + 1)]


def identity(student_id: str) -> str:
    """What makes two IDs the same student: equal after NFC, invisible characters aside."""
    return "".join(
        c
        for c in unicodedata.normalize("NFC", student_id)
        if unicodedata.category(c) != "Cf" and c not in _INVISIBLE_EXTRA
    )


def loose_id(student_id: str) -> str:
    """An ID as a spreadsheet may have left it: case and leading zeros set aside, and what
    ``identity`` sets aside. Only for hints and warnings: "123" may be "00123" or another
    student's "0123", so it never matches a student."""
    return identity(student_id).casefold().lstrip("0")


def loosely_renamed(before: Iterable[str], after: Iterable[str]) -> list[tuple[str, str]]:
    """(old, new) for each ID only in ``after`` that reads as one only in ``before``
    (``loose_id``): one student, likely, whose ID a spreadsheet or an export changed, in the
    order of ``after``."""
    old, new = list(dict.fromkeys(before)), list(dict.fromkeys(after))
    kept = set(old) & set(new)
    gone: dict[str, list[str]] = {}
    for student_id in old:
        if student_id not in kept:
            gone.setdefault(loose_id(student_id), []).append(student_id)
    return [
        (was, student_id)
        for student_id in new
        if student_id not in kept
        for was in gone.get(loose_id(student_id), ())
    ]


def shown_ids(*student_ids: str) -> list[str]:
    """IDs quoted for one message. IDs that would print alike though they differ ('ﬁ' and
    'fi', or 'müller' composed and decomposed) are all shown with their non-ASCII
    characters escaped ('mu\\u0308ller'), so that the difference can be seen."""
    looks = {unicodedata.normalize("NFKC", identity(i)) for i in student_ids}
    if len(looks) < len(set(student_ids)):
        return [ascii(i) for i in student_ids]
    return [repr(i) for i in student_ids]


def same_id_as(student_id: str, first: str) -> str:
    """How ``student_id`` repeats ``first``, an ID of the same student (``identity``): said only
    when the two are written differently, with their difference shown (``shown_ids``)."""
    if first == student_id:
        return ""
    was = shown_ids(student_id, first)[1]
    return (
        f" as {was}, the same ID once Unicode normalisation and invisible characters are set aside"
    )


def _column(header: list[str], name: str, path: Path, option: str) -> int:
    index = find_column(header, (name,))
    if index is None:
        raise ExamgenError(
            f"{path}: line 1: no column {name!r} ({option}); the header has "
            f"{', '.join(repr(h) for h in header)}"
        )
    return index


def _name_columns(header: list[str], path: Path, name_column: str | None) -> Sequence[int]:
    if name_column is not None:
        return (_column(header, name_column, path, "--name-column"),)
    single = find_column(header, NAME_COLUMNS)
    if single is not None:
        return (single,)
    first, last = (find_column(header, names) for names in (FIRST_NAMES, LAST_NAMES))
    return tuple(c for c in (first, last) if c is not None)


def load_roster(
    path: Path, id_column: str | None = None, name_column: str | None = None
) -> list[Student]:
    return read_roster(path, id_column, name_column).students


def id_columns(id_column: str | None) -> tuple[tuple[str, ...], str]:
    """The ID columns a CSV of students is searched for (``--id-column``'s, else the contract's)
    and the hint a file without one is given."""
    if id_column is not None:
        return (id_column,), " (--id-column)"
    return ID_COLUMNS, "; or name it with --id-column"


def not_a_student(cell: str, line: int) -> str | None:
    """What a row an LMS adds is (Canvas's points row, its test student), named with its line,
    when ``cell`` (its name, or its ID) says it is one."""
    return f"{NOT_STUDENTS[cell]} (line {line})" if cell in NOT_STUDENTS else None


def skipped_text(path: Path, skipped: list[str]) -> str:
    return f"{path}: skipped {', '.join(skipped)}: not students"


def read_roster(path: Path, id_column: str | None = None, name_column: str | None = None) -> Roster:
    """The students of a roster CSV; ``id_column`` / ``name_column`` name columns the contract's
    names do not cover. Rows an LMS adds that are not students are skipped, with a note."""
    path = Path(path)
    ids, hint = id_columns(id_column)
    table = read_table(path, "roster", ids, hint)
    header = table.header
    id_col = find_column(header, ids)
    assert id_col is not None  # read_table found it
    name_cols = _name_columns(header, path, name_column)
    for col in (id_col, *name_cols):  # which of two same-named columns was meant is a guess
        if header.count(header[col]) > 1:
            raise ExamgenError(
                f"{path}: line 1: column {header[col]!r} appears twice, so which one holds the "
                f"{'ID' if col == id_col else 'name'} is unclear; rename or remove one"
            )
    roster = Roster([])
    first_line: dict[str, tuple[int, str]] = {}
    skipped: list[str] = []
    named_lines: list[int] = []  # each student's line
    for row in table.rows:
        cells = [cell.strip() for cell in row.cells]
        name = " ".join(cells[c] for c in name_cols if cells[c])
        lms_row = not_a_student(name, row.line)
        if lms_row is not None:
            skipped.append(lms_row)
            continue
        student_id = cells[id_col]
        if not student_id:
            raise ExamgenError(
                f"{path}: line {row.line}: empty student ID in column '{header[id_col]}'; "
                "every student needs an ID (--id-column names another column)"
            )
        for what, text in (("student ID", student_id), ("name", name)):
            for find, why in CELL_CHARACTERS:
                char = find(text)
                if char is not None:
                    raise ExamgenError(
                        f"{path}: line {row.line}: the {what} '{shown_name(text)}' holds "
                        f"U+{ord(char):04X}, {why}; remove it"
                    )
        if len(name) > MAX_NAME_LENGTH:
            raise ExamgenError(
                f"{path}: line {row.line}: the name '{shown_name(name[:40])}…' is "
                f"{len(name):,} characters long; a handout prints at most {MAX_NAME_LENGTH} "
                "legibly (did the cell take in other columns or notes?): shorten it"
            )
        same = identity(student_id)
        if same in first_line:
            line, first = first_line[same]
            how = same_id_as(student_id, first)
            shown = shown_ids(student_id, first)[0]  # escaped as the first is, if they look alike
            raise ExamgenError(
                f"{path}: line {row.line}: duplicate student ID {shown} (first on line "
                f"{line}{how}); IDs must be unique"
            )
        first_line[same] = (row.line, student_id)
        roster.students.append(Student(student_id, name))
        named_lines.append(row.line)
    if not roster.students:
        raise ExamgenError(f"{path}: the roster has a header but no students")
    if len(roster.students) > MAX_STUDENTS:
        raise ExamgenError(
            f"{path}: {len(roster.students):,} students; one build takes at most "
            f"{MAX_STUDENTS:,}, so split the roster"
        )
    if skipped:
        roster.notes.append(f"Note: {skipped_text(path, skipped)}")
    roster.lines = named_lines
    unnamed = [line for line, s in zip(named_lines, roster.students, strict=True) if not s.name]
    if name_cols and unnamed:
        roster.notes.append(
            f"Note: {path}: {len(unnamed)} student(s) with an empty name (lines "
            f"{some_of([str(n) for n in unnamed], 5)}): their pages show the ID alone"
        )
    return roster
