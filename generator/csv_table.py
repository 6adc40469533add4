"""The one CSV reader behind rosters and response files, strict about what shifts a row, and
the one writer of student CSVs (key.csv, scores, scanned responses, marks.csv).

Both kinds of file come from spreadsheets and LMS exports: a BOM, semicolons or tabs for
separators, blank lines at the end. Those are harmless and accepted. What is not harmless is a
row whose cells no longer line up with the header: a stray quote (``"Ann``) that swallows every
row after it into one cell, or an unquoted separator that pushes the cells one column right. Either
would put one student's data beside another's name, so each is an error naming the line where the
row starts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.errors import ExamgenError, not_utf8
from generator.input_file import read_input

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class Row:
    line: int  # where the row starts (1-based): a quoted cell may run over several lines
    cells: list[str]
    #: Empty cells past the header's columns that ``read_table`` dropped: trailing separators,
    #: or the room a cell split in two took (its caller judges which, ``response_file``).
    extra: int = 0


@dataclass(frozen=True)
class Table:
    path: Path
    delimiter: str
    header: list[str]  # stripped
    rows: list[Row]  # the rows after the header, blank ones dropped


def read_csv_text(path: Path, what: str) -> str:
    """A CSV file's text (UTF-8, BOM dropped), or one line saying why it cannot be read.

    ``what`` names the file for the user: ``"roster"``, ``"responses"``.
    """
    try:
        data = read_input(Path(path), f"{what} CSV")
        return data.decode("utf-8-sig")
    except FileNotFoundError:
        raise ExamgenError(f"{path}: {what} file not found; check the path") from None
    except UnicodeDecodeError as err:
        fix = f"save the {what} as UTF-8 CSV (in Excel: Save As, CSV UTF-8)"
        raise not_utf8(path, data, err, fix) from None


def find_column(header: list[str], names: tuple[str, ...]) -> int | None:
    """The first of ``names`` in ``header``: exact matches first, then ignoring case."""
    stripped = [h.strip() for h in header]
    for name in names:
        if name in stripped:
            return stripped.index(name)
    lowered = [h.lower() for h in stripped]
    for name in names:
        if name.lower() in lowered:
            return lowered.index(name.lower())
    return None


def _records(path: Path, text: str, delimiter: str) -> list[Row]:
    """Every non-blank record with the line it starts on; a quoting error names that line."""
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return rows
        except csv.Error as err:
            problem = (
                _long_cell_problem(text, start, delimiter, rows)
                if "field limit" in str(err)
                else _quote_problem(str(err))
            )
            raise ExamgenError(f"{path}: line {start}: {problem}") from None
        if any(cell.strip() for cell in cells):
            rows.append(Row(start, cells))


def _long_cell_problem(text: str, start: int, delimiter: str, rows: list[Row]) -> str:
    """What is wrong with the record at line ``start``, which has a cell longer than the csv
    reader takes (``csv.field_size_limit()``, 131,072 characters). Read again without that
    limit: a quote never closed, or a quoted cell running on over lines, is a quote problem; a
    cell on one line is text pasted where it does not belong, and is named as too long (on main
    it was a stray quote, sending the reader to look for one that is not there)."""
    limit = csv.field_size_limit()
    lines = io.StringIO(text, newline="").readlines()[start - 1 :]
    csv.field_size_limit(2**31 - 1)  # the largest every platform takes; put back at once
    try:
        cells = next(csv.reader(lines, delimiter=delimiter, strict=True))
    except csv.Error as err:
        return _quote_problem(str(err))
    finally:
        csv.field_size_limit(limit)
    column, cell = max(enumerate(cells), key=lambda found: len(found[1]))
    if "\n" in cell or "\r" in cell:
        return _quote_problem(f"a quoted cell runs on over {cell.count(chr(10)) + 1:,} lines")
    names = rows[0].cells if rows else []
    name = names[column].strip() if column < len(names) else ""
    return (
        f"{f'the {name} cell' if name else f'cell {column + 1}'} is {len(cell):,} characters "
        f"long, more than a CSV cell may hold ({limit:,}); no ID, name, answer or mark is that "
        "long: delete what was pasted into it"
    )


def _quote_problem(message: str) -> str:
    if "unexpected end of data" in message or "EOF" in message:
        return (
            'a quote (") opened here is never closed, so every line after it would be read as '
            'one cell; close the quote or remove the stray "'
        )
    return (
        f'a quote (") does not open or close a whole cell ({message}), so the rows after it '
        'would shift; quote whole cells ("…"), double a quote inside one (""), remove stray ones'
    )


def _header(text: str, delimiter: str) -> list[str]:
    """The first non-blank record under ``delimiter``, read leniently (only to pick the
    delimiter; the strict read comes after)."""
    for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if any(cell.strip() for cell in cells):
            return [cell.strip() for cell in cells]
    return []


def read_table(path: Path, what: str, id_columns: tuple[str, ...], hint: str = "") -> Table:
    """The rows of a CSV whose header names one of ``id_columns``, separated by comma,
    semicolon or tab (the first that gives such a header, preferring one with several columns).

    Every row must have the header's number of cells; extra cells that are empty (a spreadsheet's
    trailing separators) are dropped, and counted in ``Row.extra``.
    """
    path = Path(path)
    text = read_csv_text(path, what)
    if not text.strip():
        raise ExamgenError(f"{path}: the {what} file is empty; it needs a header row")
    candidates = []
    for delimiter in DELIMITERS:
        try:
            header = _header(text, delimiter)
        except csv.Error as err:
            _records(path, text, delimiter)  # names the line and what is wrong, when it can
            raise ExamgenError(f"{path}: not a valid CSV file ({err})") from None
        if find_column(header, id_columns) is not None:
            candidates.append((len(header) == 1, delimiter))
    if not candidates:
        found = [cell.strip() for cell in _header(text, DELIMITERS[0]) if cell.strip()]
        shown = ", ".join(repr(c) for c in found[:8]) + (", …" if len(found) > 8 else "")
        raise ExamgenError(
            f"{path}: line 1: no student ID column (it has {shown or 'none'}); the header must "
            f"name one of {', '.join(id_columns)}{hint}"
        )
    delimiter = min(candidates)[1]
    records = _records(path, text, delimiter)
    header = [cell.strip() for cell in records[0].cells]
    rows = []
    for record in records[1:]:
        cells = record.cells
        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        if extra or len(cells) < len(header):
            raise ExamgenError(
                f"{path}: line {record.line}: {len(cells)} cells but the header has "
                f"{len(header)} columns, so a cell was split in two or is missing; quote cells "
                f'that contain the separator ({DELIMITER_NAMES[delimiter]}), e.g. "(4, 9)" or '
                '"Smith, Jo", and keep one cell per column'
            )
        rows.append(Row(record.line, cells[: len(header)], len(cells) - len(header)))
    return Table(path, delimiter, header, rows)


# --- spreadsheet formulas -------------------------------------------------------------------------
#: A cell starting with one of these runs as a formula when a spreadsheet opens the CSV (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """An ID or name as text a spreadsheet shows and never runs: ``'`` before a formula start
    (and before a ``'`` that precedes one, so ``unformula`` restores every cell exactly).

    Only for IDs and names: an answer such as ``-7/3`` is written as it is."""
    return "'" + cell if cell.lstrip("'").startswith(FORMULA_STARTS) else cell


def unformula(cell: str) -> str:
    """The cell ``spreadsheet_safe`` was given."""
    escaped = cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS)
    return cell[1:] if escaped else cell


def student_csv(columns: Sequence[str], rows: Iterable[tuple[str, str, Sequence[str]]]) -> str:
    """A CSV of students as key.csv, scores, scanned responses and marks.csv all write it:
    ``id,name,<columns>``, one row per ``(id, name, cells)``, the ID and name spreadsheet-safe
    (the cells, answers and points, as they are), CRLF line ends (RFC 4180: any CR or LF inside
    a cell is quoted). Read back by ``read_table``, which undoes the escaping."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["id", "name", *columns])
    for student_id, name, cells in rows:
        writer.writerow([spreadsheet_safe(student_id), spreadsheet_safe(name), *cells])
    return buffer.getvalue()
