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


# Each line's fields after its kind; the last field of every line is its page.
FIELDS = {
    "P": "student sheet_page w h printed _x _y",
    "M": "w h x y",
    "Q": "w h x y",
    "B": "question value w h x y",
    "X": "question component w h x y",
    "S": "question w above x y",
    "E": "question _x y",
}


def plain_read_part(path: Path, students: list[Student]) -> list[dict[str, Any]]:
    """Every line read afresh into named fields, nothing remembered."""

    def pt(sp: str) -> float:
        return round(int(sp) / layout.SP_PER_PT, 2)

    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        kind, *values, page = text.split(";")
        names = FIELDS[kind].split()
        assert len(names) == len(values)
        lines.append((kind, int(page), dict(zip(names, values, strict=True))))
    pages = {
        page: {
            "student": students[int(f["student"]) - 1].id,
            "sheet_page": int(f["sheet_page"]),
            "printed": f["printed"],
            "width": pt(f["w"]),
            "height": pt(f["h"]),
            "qr_box": None,
            **{where: [] for where in ("marks", "questions", "bubbles", "boxes")},
        }
        for kind, page, f in lines
        if kind == "P"
    }
    starts: dict[tuple[int, int], dict[str, Any]] = {}
    for kind, number, f in lines:
        if kind == "P":
            continue
        page = pages[number]
        top = page["height"] - pt(f["y"])
        if kind in "MQBX":
            entry = {"x": pt(f["x"]), "y": round(top - pt(f["h"]), 2), "w": pt(f["w"])}
            entry["h"] = pt(f["h"])
            if kind == "Q":
                page["qr_box"] = entry
            elif kind == "M":
                page["marks"].append(entry)
            elif kind == "B":
                page["bubbles"].append(
                    {"question": int(f["question"]), "value": f["value"]} | entry
                )
            else:
                own = {"question": int(f["question"]), "component": int(f["component"])}
                page["boxes"].append(own | entry)
        elif kind == "S":
            y = round(top - pt(f["above"]), 2)
            region = {"question": int(f["question"]), "x": pt(f["x"]), "y": y, "w": pt(f["w"])}
            region["h"] = 0.0
            page["questions"].append(region)
            starts[(number, int(f["question"]))] = region
        elif kind == "E":
            region = starts[(number, int(f["question"]))]
            region["h"] = round(top - region["y"], 2)
    return [pages[n] for n in sorted(pages)]


# Few distinct values, so that lines repeat across pages, and pages of different heights.
SP = st.sampled_from(["0", "723599", "920944", "1447182", "-65536", "37889856", "52099153"])
HEIGHT = st.sampled_from(["52099153", "51000000", "47362293"])


@st.composite
def position_files(draw: st.DrawFn) -> str:
    lines = []
    for page in range(1, draw(st.integers(1, 5)) + 1):
        student = draw(st.integers(1, len(STUDENTS)))
        printed = draw(st.sampled_from(["", "k7q2", "0000"]))
        lines.append(
            f"P;{student};{page};{draw(SP)};{draw(HEIGHT)};{printed};0;{draw(HEIGHT)};{page}"
        )
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
