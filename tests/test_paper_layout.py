"""Print-ready handouts and sheets.json: no question splits across pages, every choice has a
bubble and every free answer a box per component, every page carries marks and a QR code, and
every position in sheets.json is where the ink is in the PDF itself."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pypdfium2
import pytest
import zxingcpp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.paper import layout
from generator.paper.qr import Payload, printed_digest

pytestmark = pytest.mark.pdf
DPI = 144  # 2 pixels per point


def load(folder: Path) -> tuple[dict, dict]:
    return (
        json.loads((folder / "sheets.json").read_text(encoding="utf-8")),
        json.loads((folder / "key.json").read_text(encoding="utf-8")),
    )


def printed_of(folder: Path) -> dict[str, str]:
    """Each student's printed digest, computed again from the spec and the student's questions
    as the handout typesets them (``generator.build.printed_texts``)."""
    from generator.build import StudentPieces, generate_student, printed_texts
    from generator.roster import Student
    from generator.spec import SPECS_DIR, load_spec

    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    spec = load_spec(SPECS_DIR / f"{key['exam']}.toml")
    printed = {}
    for student in key["students"]:
        exam = generate_student(spec, key["seed"], Student(student["id"], student["name"]))
        questions = [q.text("latex", False) for q in StudentPieces.of(exam).questions]
        printed[student["id"]] = printed_digest(printed_texts(spec.printed_digest, exam, questions))
    return printed


@pytest.fixture(scope="module", params=["quiz", "practice"])
def build(request, paper_builds) -> Path:
    return paper_builds[request.param]


def test_sheets_list_every_page_of_every_student_in_order(build: Path) -> None:
    sheets, key = load(build)
    pdf = pypdfium2.PdfDocument(build / "handouts.pdf")
    assert [p["page"] for p in sheets["pages"]] == list(range(1, len(pdf) + 1))
    assert (sheets["exam"], sheets["seed"], sheets["unit"], sheets["origin"]) == (
        key["exam"],
        key["seed"],
        "pt",
        "top-left",
    )
    order, printed = [], printed_of(build)
    assert len(set(printed.values())) == len(printed)  # each student's handout prints otherwise
    for page in sheets["pages"]:
        if not order or order[-1] != page["student"]:
            order.append(page["student"])
        width, height = pdf[page["page"] - 1].get_size()
        assert (page["width"], page["height"]) == (round(width, 2), round(height, 2))
        assert Payload.parse(page["qr"]) == Payload(
            key["exam"], key["seed"], page["sheet_page"], page["student"], printed[page["student"]]
        )
        assert len(page["marks"]) == 4 and page["qr_box"]["w"] > 30
    assert order == [s["id"] for s in key["students"]]
    for student in key["students"]:
        own = [p for p in sheets["pages"] if p["student"] == student["id"]]
        assert [p["sheet_page"] for p in own] == list(range(1, len(own) + 1))
        assert {p["sheet_pages"] for p in own} == {len(own)} and len(own) % 2 == 0
        # Each student's own PDF is their pages of the handouts.
        stem_pdf = [f for f in (build / "exams").glob("*.pdf") if f.stem in (student["id"],)]
        for f in stem_pdf:
            assert len(pypdfium2.PdfDocument(f)) == len(own)


def test_no_question_splits_and_every_answer_has_its_bubbles_or_boxes(build: Path) -> None:
    sheets, key = load(build)
    for student in key["students"]:
        own = [p for p in sheets["pages"] if p["student"] == student["id"]]
        for q in student["questions"]:
            n, answer = q["number"], q["answer"]
            pages = [p for p in own if any(r["question"] == n for r in p["questions"])]
            assert len(pages) == 1, (student["id"], n)  # one block, on one page
            page = pages[0]
            (region,) = [r for r in page["questions"] if r["question"] == n]
            assert region["y"] + region["h"] < page["height"] - 36
            bubbles = [b["value"] for p in own for b in p["bubbles"] if b["question"] == n]
            boxes = [b["component"] for p in own for b in p["boxes"] if b["question"] == n]
            inside = [b for b in page["bubbles"] + page["boxes"] if b["question"] == n]
            assert all(region["y"] <= b["y"] <= region["y"] + region["h"] for b in inside)
            if answer["kind"] == "choice":
                letters = "ABCDEFGHIJ"[: len(q["params"]["choices"])]
                assert bubbles == list(letters) and not boxes
            elif answer["kind"] == "bool":
                assert bubbles == ["True", "False"] and not boxes
            elif answer["kind"] == "vector":
                assert boxes == list(range(1, len(answer["value"]) + 1)) and not bubbles
            else:
                assert boxes == [1] and not bubbles


def test_solutions_keep_each_question_with_its_solution(build: Path) -> None:
    text = subprocess.run(
        ["pdftotext", "-layout", str(build / "solutions.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for page in text.split("\f"):
        labels = re.findall(r"^\s*\d+\. \(\d+ points?\)", page, flags=re.M)
        assert len(labels) == page.count("Solution:"), page


def darkness(image: np.ndarray, box: dict, inset: float = 0.0) -> np.ndarray:
    s = DPI / 72
    x0, y0 = round((box["x"] + inset) * s), round((box["y"] + inset) * s)
    x1, y1 = round((box["x"] + box["w"] - inset) * s), round((box["y"] + box["h"] - inset) * s)
    return 1 - image[y0:y1, x0:x1] / 255


def test_every_position_is_where_the_ink_is(build: Path) -> None:
    """Render each page and look at the recorded spots: solid marks, a decodable QR code with
    the recorded payload, bubble outlines with white centres, answer-box frames."""
    sheets, _ = load(build)
    pdf = pypdfium2.PdfDocument(build / "handouts.pdf")
    for page in sheets["pages"]:
        image = pdf[page["page"] - 1].render(scale=DPI / 72, grayscale=True).to_numpy()
        for mark in page["marks"]:
            assert darkness(image, mark, 1).mean() > 0.95
            assert darkness(image, {**mark, "x": mark["x"] - 6, "w": 4}).mean() < 0.05
        qr = page["qr_box"]
        s = DPI / 72
        crop = image[
            round((qr["y"] - 8) * s) : round((qr["y"] + qr["h"] + 8) * s),
            round((qr["x"] - 8) * s) : round((qr["x"] + qr["w"] + 8) * s),
        ]
        read = zxingcpp.read_barcodes(crop, formats=zxingcpp.BarcodeFormat.QRCode)  # as scan
        assert [r.text for r in read] == [page["qr"]]
        for bubble in page["bubbles"]:
            assert darkness(image, bubble, 3).mean() < 0.02  # empty centre
            ring = darkness(
                image,
                {
                    **bubble,
                    "x": bubble["x"] - 1,
                    "y": bubble["y"] - 1,
                    "w": bubble["w"] + 2,
                    "h": bubble["h"] + 2,
                },
            )
            assert ring.mean() > 0.12
            # nothing else inked right beside it: the recorded spot is the bubble, not near it
            left = darkness(image, {**bubble, "x": bubble["x"] - 8, "w": 6})
            assert left.mean() < 0.02
        for box in page["boxes"]:
            inner = darkness(image, box, 3)
            frame = darkness(image, box)
            assert inner.mean() < 0.01 and frame[:, :2].mean() > 0.4 and frame[:2, :].mean() > 0.4


#: exam.tex.j2's right margin (0.8in): every question's text and boxes end before it.
RIGHT_MARGIN = 57.6
#: How far in from the paper's edge the corner marks start (22bp, 14bp wide).
MARK_INSET = 36


@settings(max_examples=4, deadline=None)
@example(points=1.5, layout="fixed")
@example(points=0.25, layout="flow")
@given(
    points=st.sampled_from([1, 2, 10, 1.5, 0.25, 999.9999, 1000]),
    layout=st.sampled_from(["fixed", "flow"]),
)
def test_no_question_reaches_past_the_right_margin(
    tmp_path_factory: pytest.TempPathFactory, points: float, layout: str
) -> None:
    """A question's block starts after the points the exam class prints and ends at the right
    margin, whatever the points: on 3aefcc7 it was as wide as the line, so it reached past the
    margin by the points' width (a 2-point question's text 0.1in from the paper's edge, where
    printers leave paper blank) and with 1.5 points past the page, which scan refused."""
    from generator.build import build
    from generator.roster import Student
    from generator.spec import load_spec

    folder = tmp_path_factory.mktemp("margin")
    questions = "".join(
        f'[[questions]]\nfamily = "{family}"\npoints = {points}\n{extra}\n'
        for family, extra in (
            ("gradient-descent-step", ""),
            ("sgd-minibatch-step", 'form = "choice"'),
            ("sgd-direction", ""),
        )
    )
    spec = folder / "margin.toml"
    spec.write_text(f'id = "margin"\ntitle = "Margins"\nlayout = "{layout}"\n{questions}')
    students = [Student("s001", "Student 1"), Student("s002", "Student 2")]
    built = build(load_spec(spec), 5, students, folder / "out", pdf=True)
    sheets, _ = load(built)
    for page in sheets["pages"]:
        for question in page["questions"]:
            # and ends there: it starts after the points (on 00ee9ca's parent a choice
            # question's number and points went to its first option, the block starting left)
            assert abs(question["x"] + question["w"] - (page["width"] - RIGHT_MARGIN)) < 0.5, question
    for name in ("handouts.pdf", "solutions.pdf"):
        for page in pypdfium2.PdfDocument(built / name):
            width, height = page.get_size()
            image = page.render(scale=DPI / 72, grayscale=True).to_numpy()
            beyond = {  # between the text's right edge and the corner marks, top to bottom
                "x": width - RIGHT_MARGIN + 1,
                "w": RIGHT_MARGIN - MARK_INSET - 2,
                "y": MARK_INSET + 4,
                "h": height - 2 * MARK_INSET - 8,
            }
            assert darkness(image, beyond).max() < 0.2, (name, points, layout)


#: Where the footer's text starts: nothing of a question may reach it (the text area ends at 720).
FOOTER_TOP = 748


def words_below(pdf: Path, top: float) -> list[tuple[int, float, str]]:
    """(page, bottom, word) of each word of ``pdf`` whose bottom lies below ``top`` (pt from
    the page's top) and that is not in the footer line."""
    text = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found, page = [], 0
    for line in text.splitlines():
        page += "<page " in line
        word = re.search(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', line)
        if word and float(word[2]) > top and not FOOTER_TOP <= float(word[1]) <= 770:
            found.append((page, float(word[2]), word[3]))
    return found


@settings(max_examples=3, deadline=None)
@example(paragraphs=7, layout="fixed")
@example(paragraphs=7, layout="flow")
@given(paragraphs=st.integers(1, 12), layout=st.sampled_from(["fixed", "flow"]))
def test_a_long_solution_runs_onto_the_next_page_never_off_the_paper(
    tmp_path_factory: pytest.TempPathFactory, paragraphs: int, layout: str
) -> None:
    """A worked solution longer than its page leaves continues on the next page, whole, and
    nothing of it reaches the footer. On 4b822ac the question and its solution were one
    unbreakable block: the solution ran over the footer and off the paper (the practice spec's
    multiple-choice solution for 11 of 20 students; a course family's last steps and its key's
    answer boxes were not printed at all), and no check saw it."""
    from generator.build import build
    from generator.roster import Student
    from generator.scaffold import new_family
    from generator.spec import load_spec

    tmp = tmp_path_factory.mktemp("long")
    template = new_family("long-vec", tmp / "families", "vector") / "template.j2"
    steps = "".join(
        f"\n\nStep {k} of the long solution: the chain rule and the sum rule, written out "
        "once more in words so that this paragraph takes several lines of the page.\n"
        "$$\\frac{\\partial f}{\\partial x} = 2 a x + b y$$"
        for k in range(1, paragraphs + 1)
    )
    text = template.read_text(encoding="utf-8")
    end = text.rindex("((* endblock *))")  # the solution's
    template.write_text(text[:end] + steps + "\n" + text[end:], encoding="utf-8")
    spec = tmp / "long.toml"
    spec.write_text(
        f'id = "long"\nlayout = "{layout}"\nfamilies_dir = "families"\n'
        '[[questions]]\nfamily = "long-vec"\n[[questions]]\nfamily = "sgd-direction"\n',
        encoding="utf-8",
    )
    students = [Student("s001", "Ann"), Student("s002", "Bo")]
    built = build(load_spec(spec), 3, students, tmp / "out", pdf=True)
    solutions = built / "solutions.pdf"
    assert words_below(solutions, 730) == []
    printed = subprocess.run(
        ["pdftotext", str(solutions), "-"], capture_output=True, text=True, check=True
    ).stdout
    for k in range(1, paragraphs + 1):
        assert printed.count(f"Step {k} of the long solution") == len(students), k


@given(
    st.lists(st.integers(-(2**30), 2**30), min_size=4, max_size=4),
    st.floats(0, 2000, allow_nan=False).map(lambda h: round(h, 2)),
)
def test_a_remembered_box_is_the_box_converted_afresh(sp, height):
    """Positions repeat on every page (marks, QR box, a fixed layout's bubbles): ``_rect``
    remembers their conversion, and gives what converting them afresh gives, dict and all."""
    x, y, w, h = map(str, sp)

    def pt(value: str) -> float:
        return round(int(value) / layout.SP_PER_PT, 2)

    afresh = {"x": pt(x), "y": round(height - pt(y) - pt(h), 2), "w": pt(w), "h": pt(h)}
    assert layout._rect(x, y, w, h, height) == afresh
    again = layout._rect(x, y, w, h, height)
    assert again == afresh and again is not layout._rect(x, y, w, h, height)  # fresh dicts
    assert layout._box.cache_info().maxsize is not None
