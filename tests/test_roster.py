"""Rosters as registrars and LMSs export them: the contract's column names, BOMs, blank lines."""

from __future__ import annotations

import pytest

from generator.errors import ExamgenError
from generator.roster import load_roster, numbered_students


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("id,name", "7,Ann"),
        ("student_id,Name", "7,Ann"),
        ("SIS User ID,Student", "7,Ann"),
        ("Student,ID,SIS User ID,SID,Section", "Ann,99,7,7,2"),
    ],
)
def test_contract_columns(tmp_path, header, row):
    path = tmp_path / "r.csv"
    path.write_text(f"\ufeff{header}\r\n{row}\r\n\r\n", encoding="utf-8")
    [student] = load_roster(path)
    assert student.name == "Ann"
    assert student.id in {"7", "99"}


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
