"""Reading a typeset part's positions (generator.paper.layout.read_part) remembers the lines
every page repeats (marks, the QR box, a fixed layout's bubbles and boxes): what it reads is what
reading every line afresh gives, and no two pages share an entry. The plain reading here is the
one the remembered lines replaced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from generator.paper import layout
from generator.roster import Student

STUDENTS = [Student("s1", ""), Student("s2", ""), Student("s3", "")]


def plain_read_part(path: Path, students: list[Student]) -> list[dict[str, Any]]:
    """Every line read afresh, nothing remembered."""

    def pt(sp: str) -> float:
        return round(int(sp) / layout.SP_PER_PT, 2)

    def rect(x: str, y: str, w: str, h: str, height: float) -> dict[str, float]:
        return {"x": pt(x), "y": round(height - pt(y) - pt(h), 2), "w": pt(w), "h": pt(h)}

    pages: dict[int, dict[str, Any]] = {}
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split(";")
        if fields[0] == "P":
            _, student, sheet_page, w, h, _x, _y, page = fields
            pages[int(page)] = {
                "student": students[int(student) - 1].id,
                "sheet_page": int(sheet_page),
                "width": pt(w),
                "height": pt(h),
                "qr_box": None,
                "marks": [],
                "questions": [],
                "bubbles": [],
                "boxes": [],
            }
        else:
            records.append(fields)
    starts: dict[tuple[int, int], dict[str, Any]] = {}
    for fields in records:
        kind, page = fields[0], pages[int(fields[-1])]
        height = page["height"]
        if kind == "M":
            _, w, h, x, y, _ = fields
            page["marks"].append(rect(x, y, w, h, height))
        elif kind == "Q":
            _, w, h, x, y, _ = fields
            page["qr_box"] = rect(x, y, w, h, height)
        elif kind == "B":
            _, question, value, w, h, x, y, _ = fields
            page["bubbles"].append(
                {"question": int(question), "value": value, **rect(x, y, w, h, height)}
            )
        elif kind == "X":
            _, question, component, w, h, x, y, _ = fields
            page["boxes"].append(
                {"question": int(question), "component": int(component), **rect(x, y, w, h, height)}
            )
        elif kind == "S":
            _, question, w, above, x, y, number = fields
            region = {
                "question": int(question),
                "x": pt(x),
                "y": round(height - pt(y) - pt(above), 2),
                "w": pt(w),
                "h": 0.0,
            }
            page["questions"].append(region)
            starts[(int(number), int(question))] = region
        elif kind == "E":
            _, question, _x, y, number = fields
            region = starts[(int(number), int(question))]
            region["h"] = round(height - pt(y) - region["y"], 2)
    return [pages[n] for n in sorted(pages)]


# Few distinct values, so that lines repeat across pages, and pages of different heights.
SP = st.sampled_from(["0", "723599", "920944", "1447182", "-65536", "37889856", "52099153"])
HEIGHT = st.sampled_from(["52099153", "51000000", "47362293"])


@st.composite
def position_files(draw: st.DrawFn) -> str:
    lines = []
    for page in range(1, draw(st.integers(1, 5)) + 1):
        student = draw(st.integers(1, len(STUDENTS)))
        lines.append(f"P;{student};{page};{draw(SP)};{draw(HEIGHT)};0;{draw(HEIGHT)};{page}")
        for _ in range(draw(st.integers(0, 6))):
            kind = draw(st.sampled_from("MQBXS"))
            question = draw(st.integers(1, 3))
            box = ";".join(draw(SP) for _ in range(4))
            if kind in "MQ":
                lines.append(f"{kind};{box};{page}")
            elif kind == "B":
                value = draw(st.sampled_from(["A", "B", "True", "1/2"]))
                lines.append(f"B;{question};{value};{box};{page}")
            elif kind == "X":
                lines.append(f"X;{question};{draw(st.integers(1, 2))};{box};{page}")
            else:
                lines.append(f"S;{question};{box};{page}")
                lines.append(f"E;{question};{draw(SP)};{draw(SP)};{page}")
    return "\n".join(draw(st.permutations(lines)) if draw(st.booleans()) else lines) + "\n"


def _entries(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [page["qr_box"] for page in pages if page["qr_box"] is not None]
    for page in pages:
        for where in ("marks", "questions", "bubbles", "boxes"):
            found += page[where]
    return found


@given(position_files())
def test_remembered_lines_read_as_every_line_read_afresh(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("pos") / "handouts-1.pos"
    path.write_text(text, encoding="utf-8")
    try:
        expected = plain_read_part(path, STUDENTS)
    except KeyError:  # an end line before its start (the permuted order): both refuse it
        try:
            layout.read_part(path, STUDENTS)
        except KeyError:
            return
        raise AssertionError("read_part read a file the plain reading refuses") from None
    pages = layout.read_part(path, STUDENTS)
    assert pages == expected
    assert json.dumps(pages) == json.dumps(expected)  # 1 == 1.0, but sheets.json tells them apart
    again = layout.read_part(path, STUDENTS)  # every line remembered now
    assert again == expected
    entries = _entries(pages) + _entries(again)
    assert len({id(entry) for entry in entries}) == len(entries)  # nothing shared
    assert layout._placed.cache_info().maxsize is not None
