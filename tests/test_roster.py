"""Rosters as registrars and LMSs export them: the contract's column names, BOMs, blank lines."""

from __future__ import annotations

import csv
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import ExamgenError
from generator.roster import MAX_STUDENTS, load_roster, numbered_students, read_roster


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("id,name", "7,Ann"),
        ("student_id,Name", "7,Ann"),
        ("SIS User ID,Student", "7,Ann"),
        ("Student,ID,SIS User ID,SID,Section", "Ann,99,7,7,2"),
        ("Student ID,Student Name", "7,Ann"),
    ],
)
def test_contract_columns(tmp_path, header, row):
    path = tmp_path / "r.csv"
    path.write_text(f"\ufeff{header}\r\n{row}\r\n\r\n", encoding="utf-8")
    [student] = load_roster(path)
    assert student.name == "Ann"
    assert student.id == "7"  # Canvas: SIS User ID, not its internal ID


def test_quoted_multiline_names_and_no_name_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('id,name\n1,"Smith,\nJo"\n2,Li\n', encoding="utf-8")
    assert [s.id for s in load_roster(path)] == ["1", "2"]
    path.write_text("SID\nx\ny\n", encoding="utf-8")
    assert [(s.id, s.name) for s in load_roster(path)] == [("x", ""), ("y", "")]


def test_empty_and_headless_rosters(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ExamgenError, match="empty"):
        load_roster(path)
    path.write_text("id,name\n", encoding="utf-8")
    with pytest.raises(ExamgenError, match="no students"):
        load_roster(path)


def test_numbered_students():
    assert [s.id for s in numbered_students(3)] == ["s001", "s002", "s003"]
    assert numbered_students(1000)[-1].id == "s1000"
    with pytest.raises(ExamgenError):
        numbered_students(0)


# --- issue 9: rows that no longer line up, identities, LMS exports ---------------------------------
def roster(tmp_path, text: str):
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_stray_quote_is_an_error_naming_its_line(tmp_path):
    """On main the quote swallowed the three rows after it into Ann's name: one student."""
    path = roster(tmp_path, 'id,name\na1,"Ann\na2,Bob\na3,Cid\na4,Dee\n')
    with pytest.raises(ExamgenError, match=r"line 2: a quote .* is never closed"):
        load_roster(path)
    path = roster(tmp_path, 'id,name\na1,Ann\na2,Bo"b\na3,"Cid"x\n')
    with pytest.raises(ExamgenError, match=r"line 4: a quote .* does not open or close a whole cell"):
        load_roster(path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("id,name\na1,Ann\na2,Smith, Bob\n", 3),  # unquoted separator: one cell too many
        ("id,name,section\na1,Ann,1\na2,Bob\n", 3),  # a cell missing
    ],
)
def test_a_row_with_the_wrong_number_of_cells_names_its_line(tmp_path, text, line):
    with pytest.raises(ExamgenError, match=rf"line {line}: \d cells but the header has"):
        load_roster(roster(tmp_path, text))


def test_trailing_empty_cells_are_fine(tmp_path):
    assert [s.id for s in load_roster(roster(tmp_path, "id,name\na1,Ann,,\na2,Bob,\n"))] == [
        "a1",
        "a2",
    ]


@pytest.mark.parametrize(
    "second",
    [
        "Jose\u0301",  # decomposed é: equal to the first after NFC
        "Jos\u200be\u0301",  # and a zero-width space
        "\u2060Jos\u00e9",  # word joiner in front
        "Jos\u00e9\u00ad",  # soft hyphen behind
    ],
)
def test_ids_equal_after_nfc_or_invisible_characters_are_duplicates(tmp_path, second):
    """Both IDs are shown escaped, so that the difference can be seen (the second was shown as
    typed, looking like the first, while the first was escaped: an outside review's)."""
    path = roster(tmp_path, f"id,name\nJos\u00e9,A\nx,B\n{second},C\n")
    with pytest.raises(ExamgenError, match=r"line 4: duplicate student ID .*\(first on line 2"):
        load_roster(path)
    with pytest.raises(ExamgenError) as raised:
        load_roster(path)
    assert f"duplicate student ID {ascii(second)} (first on line 2 as 'Jos\\xe9'" in str(
        raised.value
    )


CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (123)\n"
    "    Points Possible,,,,,10\n"
    '"Adams, Zoe",1001,S-17,zadams,Sec 1,9\n'
    '"Li, Bo",1002,S-18,bli,Sec 1,7\n'
    '"Student, Test",1003,,,Sec 1,0\n'
)


def test_canvas_gradebook_export(tmp_path):
    """SIS User ID wins over Canvas's own ID; the points row and the test student are skipped
    with one note (on main: 'empty student ID' on the points row)."""
    result = read_roster(roster(tmp_path, CANVAS))
    assert [(s.id, s.name) for s in result.students] == [("S-17", "Adams, Zoe"), ("S-18", "Li, Bo")]
    [note] = result.notes
    assert "Points Possible row (line 2)" in note and "test student (line 5)" in note


def test_gradescope_roster_names_are_first_last(tmp_path):
    path = roster(tmp_path, "First Name,Last Name,SID,Email\nZoe,Adams,17,z@x\nBo,,18,b@x\n")
    assert [(s.id, s.name) for s in load_roster(path)] == [("17", "Zoe Adams"), ("18", "Bo")]


def test_a_moodle_roster_with_surname_prints_the_whole_name(tmp_path):
    """Moodle's older exports call the last name Surname: the first name alone was printed."""
    path = roster(tmp_path, "First name,Surname,ID number,Email address\nJane,Doe,00123,j@x\n")
    assert [(s.id, s.name) for s in load_roster(path)] == [("00123", "Jane Doe")]


@given(st.integers(1, MAX_STUDENTS), st.integers(1, MAX_STUDENTS))
@settings(max_examples=30)
def test_a_larger_count_keeps_every_students_id(smaller: int, larger: int) -> None:
    """Student i is the same ID whatever the class size, so a build for more students keeps
    every earlier student's variants (at 1,000 every ID became s0001…, an auditor's)."""
    smaller, larger = sorted((smaller, larger))
    assert numbered_students(larger)[:smaller] == numbered_students(smaller)


def test_student_id_and_student_name_headers(tmp_path):
    path = roster(tmp_path, "Student Name,Student ID\nZoe Adams,17\n")
    assert [(s.id, s.name) for s in load_roster(path)] == [("17", "Zoe Adams")]


def test_id_and_name_column_options(tmp_path):
    path = roster(tmp_path, "Matrikel,Vollständiger Name,id\n4711,Zoë Adams,x\n")
    [student] = load_roster(path, id_column="Matrikel", name_column="vollständiger name")
    assert (student.id, student.name) == ("4711", "Zoë Adams")
    with pytest.raises(ExamgenError, match=r"line 1: no student ID column.*'?Nummer.*--id-column"):
        load_roster(path, id_column="Nummer")
    with pytest.raises(ExamgenError, match=r"no column 'Nom' \(--name-column\)"):
        load_roster(path, name_column="Nom")


@pytest.mark.parametrize("separator", [";", "\t"])
def test_semicolon_and_tab_rosters(tmp_path, separator):
    text = f"id{separator}name\n7{separator}Smith, Jo\n8{separator}Li\n"
    assert [(s.id, s.name) for s in load_roster(roster(tmp_path, text))] == [
        ("7", "Smith, Jo"),
        ("8", "Li"),
    ]


def test_counts_are_capped():
    with pytest.raises(ExamgenError, match="between 1 and 10,000"):
        numbered_students(MAX_STUDENTS + 1)


# CSV-shaped text: separators, quotes, line ends, BOMs, NULs, invisible and formula characters
# and the contract's column names, so that most draws get past the header.
_PIECES = st.sampled_from(
    [",", ";", "\t", '"', "\n", "\r\n", "\r", " ", "\x00", "\ufeff", "\u200b", "=", "'", "é",
     "a1", "A1", "id", "name", "SID", "First Name", "Last Name", "Points Possible", "id,name\n"]
)
_ROSTER_TEXT = st.one_of(st.lists(_PIECES, max_size=40).map("".join), st.text(max_size=60))


@given(text=_ROSTER_TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
def test_any_roster_text_is_students_or_one_line(tmp_path_factory, text: str, encoding: str):
    """Whatever a roster file holds, reading it gives students with unique, non-empty IDs or one
    ExamgenError line naming the file; never a traceback. (No failure found: a guard.)"""
    path = tmp_path_factory.mktemp("roster") / "r.csv"
    path.write_bytes(text.encode(encoding, "replace"))
    try:
        students = load_roster(path)
    except ExamgenError as err:
        assert str(err).startswith(str(path)) and "\n" not in str(err), str(err)
    else:
        ids = [s.id for s in students]
        assert ids and all(ids) and len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "text", ["id,name,id\na1,Ann,b1\n", "id,name,name\na1,Ann,Bob\n", "SID,First Name,First Name\n1,A,B\n"]
)
def test_a_repeated_id_or_name_column_is_refused(tmp_path, text):
    """On main the first of two "id" columns was used without a word: with the other column
    meant, every student would get someone else's ID (and variant)."""
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExamgenError, match=r"r\.csv: line 1: column '.*' appears twice") as err:
        read_roster(path)
    assert "\n" not in str(err.value)


def test_repeated_columns_examgen_does_not_read_are_fine(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,name,Section,Section\na1,Ann,1,2\n", encoding="utf-8")
    assert [s.id for s in load_roster(path)] == ["a1"]


@given(
    where=st.sampled_from(["id", "name"]),
    # The last five reorder what follows them: a name's U+202E showed its key.csv row reversed.
    control=st.sampled_from(
        ["\x1b", "\x07", "\x7f", "\x85", "\ufffe", "\u202e", "\u202d", "\u202a", "\u2066", "\u2069"]
    ),
    before=st.text(st.characters(codec="utf-8", categories=("L", "N")), max_size=5),
)
def test_a_control_character_in_an_id_or_name_is_one_line(tmp_path_factory, where, control, before):
    """An escape sequence or other control character in a roster cell (a spreadsheet's) went into
    key.csv, the PDFs and the terminal as it was (an ESC recoloured the terminal); line breaks and
    tabs in a quoted cell stay accepted (test_quoted_multiline_names_and_no_name_column)."""
    path = tmp_path_factory.mktemp("roster") / "r.csv"
    cell = f"{before}{control}x"
    row = [f"s-{cell}", "Ann"] if where == "id" else ["s1", f"Ann {cell}"]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["id", "name"], row, ["s2", "Bo"]])
    with pytest.raises(ExamgenError) as raised:
        load_roster(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: line 2: the {'student ID' if where == 'id' else 'name'} ")
    assert f"U+{ord(control):04X}" in message and "\n" not in message and control not in message


@given(length=st.integers(100, 400))
@settings(max_examples=20)
def test_a_name_too_long_to_print_legibly_is_one_line(tmp_path_factory, length):
    """README: "a name longer than 150 characters" is refused: a 400-character name printed at
    3pt and a 20,000-character one not at all, without a word (an auditor's)."""
    from generator.roster import MAX_NAME_LENGTH

    assert MAX_NAME_LENGTH == 150
    path = tmp_path_factory.mktemp("roster") / "r.csv"
    name = ("Konstantinopoulou " * 30)[:length].strip() + "x"
    path.write_text(f"id,name\na1,Ann\nb2,{name}\n", encoding="utf-8")
    if len(name) <= MAX_NAME_LENGTH:
        assert [s.name for s in load_roster(path)] == ["Ann", name]
        return
    with pytest.raises(ExamgenError) as raised:
        load_roster(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: line 3: the name 'Konstantinopoulou")
    assert f"is {len(name):,} characters long" in message and "\n" not in message


def test_empty_names_are_noted_with_their_lines(tmp_path):
    """A name cell left empty printed a blank name line without a word (review of grading)."""
    result = read_roster(roster(tmp_path, "id,name\na,Ann\nb,\nc,  \n"))
    assert [(s.id, s.name) for s in result.students] == [("a", "Ann"), ("b", ""), ("c", "")]
    [note] = result.notes
    assert note.endswith("2 student(s) with an empty name (lines 3, 4): their pages show the ID alone")
    assert read_roster(roster(tmp_path, "id\na\nb\n")).notes == []  # no name column: by design


#: What a spreadsheet or another export does to an ID, and IDs it applies to.
ID_CHANGES = {
    "leading zeros dropped": lambda i: i.lstrip("0"),
    "case changed": str.swapcase,
    "Unicode decomposed": lambda i: unicodedata.normalize("NFD", i),
}
CHANGEABLE = {
    "leading zeros dropped": ["00123", "0789", "007x"],
    "case changed": ["abc", "Kim9", "XY-1"],
    "Unicode decomposed": ["müller", "İ01", "José"],
}


@settings(max_examples=12, deadline=None)
@given(change=st.sampled_from(sorted(ID_CHANGES)), data=st.data())
def test_a_rebuild_warns_when_ids_changed_only_as_a_spreadsheet_changes_them(
    tmp_path_factory, change, data
):
    """A roster saved by a spreadsheet lost its leading zeros (00123 → 123): the rebuild gave
    those students new variants without a word (on 8c6220a). Now it warns, naming each old
    and new ID (look-alikes escaped), once the build is in place; other students, added,
    dropped or kept, raise nothing."""
    from click.testing import CliRunner

    from generator.cli import main

    tmp = tmp_path_factory.mktemp("rebuild")
    changed = data.draw(st.lists(st.sampled_from(CHANGEABLE[change]), min_size=1, unique=True))
    kept = ["s1", "s2"]
    first = tmp / "first.csv"
    first.write_text("id,name\n" + "".join(f"{i},N\n" for i in [*changed, *kept, "gone"]))
    second = tmp / "second.csv"
    after = [ID_CHANGES[change](i) for i in changed]
    second.write_text("id,name\n" + "".join(f"{i},N\n" for i in [*after, *kept, "new"]))
    out = tmp / "out"
    args = ["build", "--seed", "3", "--no-pdf", "-q", "--out", str(out), "--roster"]
    assert CliRunner().invoke(main, [*args, str(first)]).exit_code == 0
    result = CliRunner().invoke(main, [*args, str(second)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1, result.output
    assert f"Warning: {len(changed)} student(s) have IDs that differ" in warnings[0]
    escaped = change == "Unicode decomposed"
    for before, now in zip(changed, after, strict=True):
        shown = f"{ascii(before)} → {ascii(now)}" if escaped else f"{before!r} → {now!r}"
        assert shown in warnings[0]
    assert "'s1'" not in warnings[0] and "'gone'" not in warnings[0]
    again = CliRunner().invoke(main, [*args, str(second)])
    assert again.exit_code == 0 and "Warning:" not in again.output


def test_a_cell_too_long_for_a_csv_reader_is_named_as_such(tmp_path):
    """A cell longer than Python's csv reader takes (131,072 characters: text pasted into the
    wrong cell) was reported on main as a stray quote ("does not open or close a whole cell
    (field larger than field limit …)"), sending the reader to look for a quote that is not
    there. A quote never closed in a file past the limit is still a quote never closed."""
    long = "x" * 200_000
    for text in (f'id,name\na1,Ann\na2,"{long}"\n', f"id,name\na1,Ann\na2,{long}\n"):
        path = roster(tmp_path, text)
        with pytest.raises(ExamgenError) as refused:
            load_roster(path)
        assert str(refused.value).startswith(
            f"{path}: line 3: the name cell is 200,000 characters long, more than a CSV cell "
            "may hold (131,072);"
        ), refused.value
        assert "quote" not in str(refused.value)
    path = roster(tmp_path, 'id,name\na1,"Ann\n' + "a2,Bob\n" * 30_000)
    with pytest.raises(ExamgenError, match=r"line 2: a quote .* is never closed"):
        load_roster(path)
