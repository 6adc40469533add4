"""Review packets from synthetic scans (tests/scan_synth.py): each student's written answer box,
cropped from their registered scan, beside their own key; a page not scanned shows "no scan";
marks.csv beside them; and hand marks plus scanned bubbles grade into one scores.csv."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pypdf
import pypdfium2
import pytest
import sympy
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.grading.grade import grade_files
from generator.grading.keyfile import load_key
from generator.paper.packets import CROP_DPI, crop_region, free_numbers
from tests.scan_synth import class_distortion, save, sheets_of, written_page

pytestmark = pytest.mark.pdf


def _component(index: int) -> int:
    """Which answer box the index-th student writes in (alternating, so a crop shifted to a
    neighbour's would show the wrong box written)."""
    return index % 2 + 1


@pytest.fixture(scope="module")
def packets(paper_builds, tmp_path_factory):
    """(build, key, scans folder, packets folder, dropped (student, question)) after
    ``examgen scan … --packets``: every page scanned but one holding the last free answer of
    the last student."""
    build = paper_builds["quiz"]
    key = load_key(build)
    sheets = sheets_of(build)
    last = key.students[-1].id
    drop = next(p for p in reversed(sheets["pages"]) if p["student"] == last and p["boxes"])
    dropped = (last, drop["boxes"][0]["question"])
    order = {s.id: i for i, s in enumerate(key.students)}
    rng = np.random.default_rng(15)
    pdf = pypdfium2.PdfDocument(build / "handouts.pdf")
    images = []
    for sheet in sheets["pages"]:
        if sheet is drop:
            continue
        components = {b["question"]: _component(order[sheet["student"]]) for b in sheet["boxes"]}
        d = class_distortion(rng, int(rng.choice([150, 200])))
        images.append(written_page(pdf, sheet, components, d, rng))
    root = tmp_path_factory.mktemp("packets")
    save(images, root / "scans", "class", "pdf")
    out = root / "packets"
    result = CliRunner().invoke(
        main,
        [
            "scan",
            str(build),
            str(root / "scans"),
            "--out",
            str(root / "responses.csv"),
            "--packets",
            str(out),
            "--jobs",
            "2",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    return build, key, root, out, dropped


def _rows(key, number):
    return [s for s in key.students for q in s.questions if q.number == number]


def test_each_student_is_beside_their_own_exact_answer_in_roster_order(packets) -> None:
    build, key, _, out, dropped = packets
    numbers = free_numbers(key)
    assert numbers and sorted(p.name for p in out.glob("*.pdf")) == sorted(
        f"q{n}.pdf" for n in numbers
    )
    for number in numbers:
        text = "\n".join(
            page.extract_text() for page in pypdf.PdfReader(out / f"q{number}.pdf").pages
        )
        starts = []
        for student in _rows(key, number):
            question = next(q for q in student.questions if q.number == number)
            answer = "(" + ", ".join(str(v) for v in question.answer.value) + ")"
            found = re.search(re.escape(student.id) + r"\s+" + re.escape(student.name), text)
            assert found, (student.id, text[:300])
            at = found.start()
            starts.append(at)
            block = text[at : at + 400]
            assert f"Key: {answer}" in block, (student.id, block)
            assert ("no scan" in block) == ((student.id, number) == dropped), block
        assert starts == sorted(starts)  # roster order


def test_every_named_mistake_of_each_student_is_in_the_packet(packets) -> None:
    """The README's promise: the variant's named mistakes with their values. On main the key
    column stopped at 14 lines, mid-entry (``last-point-only-sign-flipped (2/3,``), and the
    descent steps' last four mistakes were missing, with no mark that the list went on."""
    from generator.grading.grade import misconception_values

    build, key, _, out, _ = packets
    for number in free_numbers(key):
        text = "\n".join(
            page.extract_text() for page in pypdf.PdfReader(out / f"q{number}.pdf").pages
        )
        students = _rows(key, number)
        starts = [text.index(s.id) for s in students]
        for student, start, end in zip(students, starts, [*starts[1:], len(text)], strict=True):
            question = next(q for q in student.questions if q.number == number)
            block = " ".join(text[start:end].split())
            names = misconception_values(question)
            assert len(names) >= 15
            for name in names:
                assert f"{name} (" in block or f"{name} " in block, (student.id, name, block)
            assert "left out" not in block


def _darkness(picture: np.ndarray, box: dict, rect: tuple) -> float:
    s = CROP_DPI / 72
    x0, y0 = (box["x"] - rect[0]) * s, (box["y"] - rect[1]) * s
    w, h = box["w"] * s, box["h"] * s
    inner = picture[int(y0 + 0.35 * h) : int(y0 + 0.65 * h), int(x0 + 0.3 * w) : int(x0 + 0.7 * w)]
    return float(1 - inner.mean() / 255)


def test_each_crop_shows_that_students_own_written_box(packets) -> None:
    build, key, _, out, dropped = packets
    sheets = sheets_of(build)
    order = {s.id: i for i, s in enumerate(key.students)}
    for number in free_numbers(key):
        # matplotlib gives every page the document's whole image dictionary: I1, I2, … in
        # drawing order, so the images are read once, by name; it stores rows bottom-up
        images = {}
        for page in pypdf.PdfReader(out / f"q{number}.pdf").pages:
            for image in page.images:
                images.setdefault(int(re.sub(r"\D", "", image.name)), image)
        pictures = [np.asarray(images[n].image.convert("L"))[::-1] for n in sorted(images)]
        shown = [s for s in _rows(key, number) if (s.id, number) != dropped]
        assert len(pictures) == len(shown)
        for student, picture in zip(shown, pictures, strict=True):
            (sheet,) = [
                p
                for p in sheets["pages"]
                if p["student"] == student.id and any(b["question"] == number for b in p["boxes"])
            ]
            boxes = [b for b in sheet["boxes"] if b["question"] == number]
            region = next(q for q in sheet["questions"] if q["question"] == number)
            rect = crop_region(boxes, region)
            assert abs(picture.shape[1] - rect[2] * CROP_DPI / 72) <= 1
            for box in boxes:
                dark = _darkness(picture, box, rect)
                if box["component"] == _component(order[student.id]):
                    assert dark > 0.6, (student.id, number, box["component"], dark)
                else:
                    assert dark < 0.25, (student.id, number, box["component"], dark)


def test_marks_csv_lists_every_student_with_an_empty_cell_per_free_answer(packets) -> None:
    _, key, _, out, _ = packets
    with open(out / "marks.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["id", "name", *(f"q{n}" for n in free_numbers(key))]
    assert [r[:2] for r in rows[1:]] == [[s.id, s.name] for s in key.students]
    assert all(cell == "" for r in rows[1:] for cell in r[2:])


# --- hand marks + scanned bubbles → one scores.csv ----------------------------------------------
def _write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _grade(build, responses, marks, out):
    return CliRunner().invoke(
        main, ["grade", str(build), str(responses), "--marks", str(marks), "--out", str(out)]
    )


def _scores(path):
    with open(path, encoding="utf-8", newline="") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def test_hand_marks_grade_students_when_no_page_was_scanned(packets, tmp_path) -> None:
    """README: "A student with marks but no scanned page is graded too", also when no page was
    scanned at all (the responses file a header alone): on main that stopped grading."""
    build, key, root, _, _ = packets
    numbers = free_numbers(key)
    with open(root / "responses.csv", encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    responses = tmp_path / "responses.csv"
    _write(responses, [header])
    marks = tmp_path / "marks.csv"
    _write(marks, [["id", "name", *(f"q{n}" for n in numbers)]]
           + [[s.id, s.name, *("1" for _ in numbers)] for s in key.students])
    result = _grade(build, responses, marks, tmp_path / "scores.csv")
    assert result.exit_code == 0, result.output
    scores = _scores(tmp_path / "scores.csv")
    assert {sid: row["total"] for sid, row in scores.items()} == {
        s.id: str(len(numbers)) for s in key.students
    }
    alone = CliRunner().invoke(main, ["grade", str(build), str(responses)])
    assert alone.exit_code == 1 and "has a header but no responses" in alone.output


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hand_marks_and_scanned_bubbles_grade_into_one_scores_csv(packets, tmp_path, data) -> None:
    build, key, root, out, _ = packets
    numbers = free_numbers(key)
    # the last student's pages were not scanned: only hand marks can grade them
    with open(root / "responses.csv", encoding="utf-8", newline="") as f:
        scanned_rows = [r for r in csv.reader(f) if r[0] != key.students[-1].id]
    responses = tmp_path / "responses.csv"
    _write(responses, scanned_rows)
    bubbles_only, _ = grade_files(build, responses, tmp_path / "bubbles.csv")
    assert key.students[-1].id not in bubbles_only.marks
    given: dict[str, dict[int, sympy.Rational]] = {}
    rows = [["id", "name", *(f"q{n}" for n in numbers)]]
    for student in key.students:
        cells = []
        for n in numbers:
            points = next(q.points for q in student.questions if q.number == n)
            halves = data.draw(st.one_of(st.none(), st.integers(0, int(2 * points))))
            if halves is None:
                cells.append("")
                continue
            value = sympy.Rational(halves, 2)
            given.setdefault(student.id, {})[n] = value
            cells.append(data.draw(st.sampled_from([str(value), f"{float(value):g}"])))
        rows.append([student.id, student.name, *cells])
    marks = tmp_path / "marks.csv"
    _write(marks, rows)
    result = _grade(build, responses, marks, tmp_path / "scores.csv")
    assert result.exit_code == 0, result.output
    scores = _scores(tmp_path / "scores.csv")
    for student in key.students:
        row = scores[student.id]
        own = given.get(student.id, {})
        scanned = student.id in bubbles_only.marks
        if not scanned and not own:
            assert row["total"] == ""
            continue
        total = sympy.Integer(0)
        for q in student.questions:
            if q.number in own:
                expected = own[q.number]
            elif scanned:
                expected = bubbles_only.marks[student.id][q.number].points
            else:
                expected = sympy.Integer(0)
            assert sympy.Rational(row[f"q{q.number}"]) == expected, (student.id, q.number)
            total += expected
        assert sympy.Rational(row["total"]) == total
    stats = json.loads((tmp_path / "scores.stats.json").read_text(encoding="utf-8"))
    assert stats["graded"] == len(
        [s for s in key.students if s.id in bubbles_only.marks or s.id in given]
    )


@pytest.mark.parametrize(
    ("cell", "problem"),
    [("9", "outside 0 to"), ("-1", "outside 0 to"), ("two", "mark 'two'"), ("1,5", "mark '1,5'")],
)
def test_a_bad_mark_is_a_one_line_error_naming_the_cell(packets, tmp_path, cell, problem) -> None:
    build, key, root, _, _ = packets
    number = free_numbers(key)[-1]
    student = key.students[1]
    marks = tmp_path / "marks.csv"
    _write(
        marks, [["id", "name", f"q{number}"], [key.students[0].id, "", "1"], [student.id, "", cell]]
    )
    result = _grade(build, root / "responses.csv", marks, tmp_path / "scores.csv")
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ") and str(marks) in line and problem in line
    assert f"line 3, student {student.id!r}, column q{number}" in line
    assert not (tmp_path / "scores.csv").exists()


def test_a_mark_over_a_typed_response_wins_with_a_warning(packets, tmp_path) -> None:
    build, key, root, _, _ = packets
    number = free_numbers(key)[0]
    student = key.students[0]
    with open(root / "responses.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    column = rows[0].index(f"q{number}")
    for row in rows[1:]:
        if row[0] == student.id:
            row[column] = "(1, 2)"
    responses = tmp_path / "responses.csv"
    _write(responses, rows)
    marks = tmp_path / "marks.csv"
    _write(marks, [["id", "name", f"q{number}"], [student.id, student.name, "1.5"]])
    result = _grade(build, responses, marks, tmp_path / "scores.csv")
    assert result.exit_code == 0, result.output
    assert f"q{number} of {student.id!r}: the hand mark 1.5 is used" in result.output
    assert _scores(tmp_path / "scores.csv")[student.id][f"q{number}"] == "1.5"


def test_examgen_packets_writes_the_same_packets_as_scan(packets, tmp_path) -> None:
    """``examgen packets`` reads the scans as ``examgen scan --packets`` does: the same bytes."""
    build, key, root, out, _ = packets
    result = CliRunner().invoke(
        main, ["packets", str(build), str(root / "scans"), "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    for name in names:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


@pytest.mark.parametrize("named_by", ["key.csv", "key.json", "sheets.json"])
def test_a_file_the_build_wrote_names_its_exam_for_scan_and_packets(
    packets, tmp_path, named_by
) -> None:
    """``scan out/quiz-seed42/key.json …``, as the key's own error suggests, looked for
    ``key.json/sheets.json``, and ``key.csv`` said "not valid JSON": any file the build wrote
    beside key.json names its exam, for the responses and the packets alike."""
    build, _, root, out, _ = packets
    given = str(build / named_by)
    responses = tmp_path / "responses.csv"
    args = ["scan", given, str(root / "scans"), "--out", str(responses), "-q"]
    scanned = CliRunner().invoke(main, [*args, "--packets", str(tmp_path / "scanned")])
    assert scanned.exit_code == 0, scanned.output
    assert responses.read_bytes() == (root / "responses.csv").read_bytes()
    written = CliRunner().invoke(
        main, ["packets", given, str(root / "scans"), "--out", str(tmp_path / "packets"), "-q"]
    )
    assert written.exit_code == 0, written.output
    names = sorted(p.name for p in out.iterdir())
    for folder in (tmp_path / "scanned", tmp_path / "packets"):
        assert sorted(p.name for p in folder.iterdir()) == names
        for name in names:
            assert (folder / name).read_bytes() == (out / name).read_bytes(), name


def test_packets_say_which_scanned_pages_gave_nothing_to_crop(packets, tmp_path) -> None:
    """A page packets cannot use (an unreadable file, a page of another exam) leaves its student
    "no scan"; on main packets wrote every student as "no scan" for a folder of unreadable
    files without a word, where scan lists them for review."""
    build, _, root, _, _ = packets
    (tmp_path / "bad.pdf").write_bytes(b"garbage")
    (tmp_path / "zero.png").write_bytes(b"")
    out = tmp_path / "out"
    args = ["packets", str(build), str(root / "scans"), str(tmp_path / "bad.pdf")]
    result = CliRunner().invoke(main, [*args, str(tmp_path / "zero.png"), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert "2 scanned page(s) gave nothing to crop (2 unreadable)" in warning
    clean = CliRunner().invoke(
        main, ["packets", str(build), str(root / "scans"), "--out", str(tmp_path / "c"), "-q"]
    )
    assert clean.exit_code == 0 and "Warning" not in clean.stderr, clean.output


def test_packets_again_never_overwrite_marks_a_ta_typed(packets, tmp_path) -> None:
    """Late scans arrive after the TA filled in marks.csv, and packets (or scan --packets) run
    again into the same folder: on main the marks were replaced by empty cells without a word.
    Now that is a one-line error before any scan is read, and the marks stay; a marks.csv
    without marks (as packets wrote it, for this build or an earlier one) is written again."""
    build, key, root, out, _ = packets
    folder = tmp_path / "packets"
    folder.mkdir()
    empty = (out / "marks.csv").read_bytes()
    (folder / "marks.csv").write_bytes(empty)
    args = [str(build), str(root / "scans"), "-q"]
    again = CliRunner().invoke(main, ["packets", *args, "--out", str(folder)])
    assert again.exit_code == 0, again.output
    (folder / "marks.csv").write_text("id,name,q3\nzzz,Z,\n")  # an earlier build's, empty
    again = CliRunner().invoke(main, ["packets", *args, "--out", str(folder)])
    assert again.exit_code == 0 and (folder / "marks.csv").read_bytes() == empty, again.output
    filled = empty.replace(b",,", b",2,", 1)
    (folder / "marks.csv").write_bytes(filled)
    for command in (
        ["packets", *args, "--out", str(folder)],
        ["scan", *args, "--out", str(tmp_path / "r.csv"), "--packets", str(folder)],
    ):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "marks.csv" in lines[0] and "move it" in lines[0], lines
        assert (folder / "marks.csv").read_bytes() == filled
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize(
    "name",
    ["Bill $\\undefinedcmd{$ Smith", "$x^2$ Jo", "A$AP $", "x\x00y \u202eevil", "Zoë Ünal 😀"],
)
def test_a_roster_name_prints_in_a_packet_exactly_as_written(name: str) -> None:
    """Names reach the packet as text, never as matplotlib math: on main a name holding two
    dollar signs was parsed as math (``$x^2$`` printed as a formula) or stopped packets and
    scan --packets with a ParseFatalException traceback. A control character shows as U+XXXX
    (on main: a "Glyph 0 missing" warning on standard error)."""
    import warnings

    from generator.paper.packets import Entry, packet_pdf

    entry = Entry("s001", name, ("family (2 pt)", "Key: 7/3", "worked: 1"), None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = packet_pdf("quiz: question 3", [entry])
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    shown = name.replace("\x00", "U+0000").replace("\u202e", "U+202E")
    assert f"s001 {shown}" in " ".join(text.split()), text


def test_a_long_name_leaves_the_key_readable() -> None:
    """A 5,000-character name ran across the key column (the key's text under the name's)."""
    from generator.paper.packets import NAME_CHARACTERS, Entry, packet_pdf

    entry = Entry("s001", "Wolfeschlegelsteinhausenbergerdorff " * 140, ("f", "Key: 7/3"), None)
    data = packet_pdf("quiz: question 3", [entry])
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    line = next(line for line in text.splitlines() if line.startswith("s001"))
    assert line.endswith("…") and len(line) <= NAME_CHARACTERS + 1 and "Key: 7/3" in text


# --- review: packets never overwrite what they cannot read, nor a build's files ----------------
def _one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize(
    "text, fragments",
    [
        # A European-locale spreadsheet saves with semicolons; grade --marks reads it.
        ("id;name;q3;q4\r\ns001;Student 1;1.5;2\r\n", ["holds marks", "move it"]),
        ('id,name,q3,q4\r\ns001,"Student 1,1.5,2\r\n', ["line 2", "fix it or move it"]),
    ],
    ids=["semicolons", "stray-quote"],
)
def test_packets_again_keep_a_marks_csv_they_cannot_read_as_empty(
    packets, tmp_path, text, fragments
) -> None:
    """On main marks.csv was read as comma CSV alone, leniently: marks saved with semicolons,
    or after a stray quote, looked like no marks and were replaced by empty cells."""
    build, _, root, _, _ = packets
    folder = tmp_path / "packets"
    folder.mkdir()
    (folder / "marks.csv").write_text(text, encoding="utf-8", newline="")
    before = (folder / "marks.csv").read_bytes()
    args = [str(build), str(root / "scans"), "-q"]
    for command in (
        ["packets", *args, "--out", str(folder)],
        ["scan", *args, "--out", str(tmp_path / "r.csv"), "--packets", str(folder)],
    ):
        _one_line_error(CliRunner().invoke(main, command), "marks.csv", *fragments)
        assert (folder / "marks.csv").read_bytes() == before
        assert [p.name for p in folder.iterdir()] == ["marks.csv"]
    assert not (tmp_path / "r.csv").exists()


def _tree(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("inside", ["", "exams", "solutions"])
def test_packets_never_write_into_the_build(packets, inside) -> None:
    """On main `--out BUILD/exams` wrote q3.pdf over the exam of a student whose ID is q3 and
    left files that stopped the next build."""
    build, _, root, _, _ = packets
    before = _tree(build)
    folder = build / inside if inside else build
    args = [str(build), str(root / "scans"), "-q"]
    for command in (
        ["packets", *args, "--out", str(folder)],
        ["scan", *args, "--out", str(root / "r2.csv"), "--packets", str(folder)],
    ):
        _one_line_error(CliRunner().invoke(main, command), str(folder), "exam folder")
        assert _tree(build) == before
    assert not (root / "r2.csv").exists()


def test_an_empty_packets_folder_is_one_line(packets, tmp_path, monkeypatch) -> None:
    """On main `--out ''` (Path("") is ".") wrote the packets into the current folder."""
    build, _, root, _, _ = packets
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    args = [str(build), str(root / "scans"), "-q"]
    for command, fragment in (
        (["packets", *args, "--out", ""], "--out is empty"),
        (["scan", *args, "--out", str(tmp_path / "r.csv"), "--packets", ""], "--packets is empty"),
    ):
        _one_line_error(CliRunner().invoke(main, command), fragment)
        assert list(cwd.iterdir()) == []
    assert not (tmp_path / "r.csv").exists()


# --- packets never replace a file of the user's, and write their files as one set -----------------
def _foreign_file(kind: str, out) -> bytes:
    """A q<N>.pdf that packets did not write, of the kinds a packets folder may hold."""
    import pikepdf
    from matplotlib.figure import Figure

    if kind == "chart":  # the instructor's own plot of question 3: a matplotlib PDF too
        buffer = io.BytesIO()
        Figure().savefig(buffer, format="pdf")
        return buffer.getvalue()
    # a packet a TA annotated and saved from a PDF reader, which names itself the producer
    buffer = io.BytesIO()
    with pikepdf.open(out / sorted(p.name for p in out.glob("q*.pdf"))[0]) as pdf:
        pdf.docinfo["/Producer"] = "macOS Version 14.4 Quartz PDFContext"
        pdf.save(buffer)
    return buffer.getvalue()


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_packets_never_replace_a_packet_name_they_did_not_write(
    packets, tmp_path_factory, data
) -> None:
    """On main `packets --out notes/` replaced a q3.pdf of the user's (their notes on question 3,
    a chart, a packet a TA annotated and saved from a PDF reader) with a packet, without a word.
    Now that is one line naming the option, the file and the fix, before any scan is read, and
    nothing is written; the packets packets wrote (their document information says so) are
    replaced as before."""
    from generator.paper.packets import written_by_packets

    build, key, root, out, _ = packets
    assert all(written_by_packets(p) for p in out.glob("q*.pdf"))
    folder = tmp_path_factory.mktemp("mine")
    mine = folder / f"q{data.draw(st.sampled_from(free_numbers(key)), label='number')}.pdf"
    content = data.draw(
        st.one_of(
            st.binary(max_size=64),
            st.binary(max_size=64).map(lambda tail: b"%PDF-1.4\n" + tail),
            st.sampled_from(["chart", "annotated"]).map(lambda kind: _foreign_file(kind, out)),
            st.just((build / "exams" / "s001.pdf").read_bytes()),  # a student's exam
        ),
        label="content",
    )
    mine.write_bytes(content)
    option, command = data.draw(
        st.sampled_from(
            [
                ("--out", ["packets", "--out", str(folder)]),
                ("--packets", ["scan", "--out", str(folder / "r.csv"), "--packets", str(folder)]),
            ]
        ),
        label="command",
    )
    run = CliRunner().invoke(main, [command[0], str(build), str(root / "scans"), *command[1:]])
    _one_line_error(
        run, f"{option} {folder}: would overwrite {mine}", f"choose another {option} or move"
    )
    assert _tree(folder) == {mine.relative_to(folder): content}


@pytest.mark.parametrize(
    "failure", ["error in packet 2", "disk full at file 2", "disk full at file 3"]
)
def test_a_failure_midway_leaves_the_earlier_packets_whole(
    packets, tmp_path, monkeypatch, failure
) -> None:
    """On main packets were written one by one: an error while making the second packet, or a
    disk that filled up, left the new first packet beside the earlier run's others (and
    marks.csv for either). Now every packet is made first and all are written as one set, so
    the folder holds the earlier set, with no temporary file left beside it."""
    import errno
    import os

    from generator import files
    from generator.errors import ExamgenError
    from generator.paper import packets as module

    build, key, _, _, _ = packets
    numbers = free_numbers(key)
    assert len(numbers) >= 2  # packets, then marks.csv: at least three files in the set
    folder = tmp_path / "packets"
    folder.mkdir()
    for n in numbers:
        (folder / f"q{n}.pdf").write_bytes(module.packet_pdf(f"an earlier run: q{n}", []))
    (folder / "marks.csv").write_bytes(b"id,name\r\n")
    before = _tree(folder)
    at = int(failure.split()[-1])
    calls = []
    if failure.startswith("error"):
        real_pdf = module.packet_pdf

        def failing_pdf(title, rows):
            calls.append(title)
            if len(calls) == at:
                raise RuntimeError("a bug in this packet")
            return real_pdf(title, rows)

        monkeypatch.setattr(module, "packet_pdf", failing_pdf)
        expected = RuntimeError
    else:
        real_umask = files.honour_umask

        def full_disk(path, folder=False):  # after each file's bytes are written
            calls.append(path)
            if len(calls) == at:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            real_umask(path, folder)

        monkeypatch.setattr(files, "honour_umask", full_disk)
        expected = ExamgenError
    with pytest.raises(expected):
        module.write_packets(build, key, {}, folder)
    assert len(calls) == at
    assert _tree(folder) == before
