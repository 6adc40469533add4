"""The fixed layout (Gradescope): every student's question N, its bubbles and its answer boxes on
the same page at the same place, within 1 pt, and the same page count, read from sheets.json of a
real build of the default quiz (bench/bench_layout.py checks a class of 300 the same way)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from generator.build import build
from generator.cli import main
from generator.errors import ExamgenError
from generator.paper.layout import check_fixed
from generator.roster import Student
from generator.spec import DEFAULT_SPEC, Spec, load_spec

pytestmark = pytest.mark.pdf
CLASS = 30


def one_statement_spec(folder: Path, head: str) -> Spec:
    """A spec of ``head`` (its title, course, layout…) asking one true/false question, written
    into ``folder``: for tests of what the page prints around the questions."""
    path = folder / "one.toml"
    path.write_text(f'{head}[[questions]]\nfamily = "sgd-direction"\n', encoding="utf-8")
    return load_spec(path)


def spread(sheets: dict) -> dict[tuple, float]:
    """(question, what) → the largest distance (pt) between two students' positions of it, and
    the number of distinct pages it is on; what: the block's top, a bubble by value, a box."""
    seen: dict[tuple, list[tuple[int, float, float]]] = {}
    for page in sheets["pages"]:
        at = page["sheet_page"]
        items = [((q["question"], "top"), q) for q in page["questions"]]
        items += [((b["question"], "bubble", b["value"]), b) for b in page["bubbles"]]
        items += [((b["question"], "box", b["component"]), b) for b in page["boxes"]]
        for what, r in items:
            seen.setdefault(what, []).append((at, r["x"], r["y"]))
    out = {}
    for what, places in seen.items():
        pages = {p for p, _, _ in places}
        xs, ys = [x for _, x, _ in places], [y for _, _, y in places]
        out[what] = (len(pages), max(max(xs) - min(xs), max(ys) - min(ys)), len(places))
    return out


@pytest.fixture(scope="module")
def fixed_build(tmp_path_factory) -> Path:
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex: run scripts/install-tex")
    students = [Student(f"s{i:03d}", f"Student {i}") for i in range(1, CLASS)]
    students.append(Student("x-long", "A Student Whose Name Is Long Enough To Wrap " * 6))
    return build(load_spec(DEFAULT_SPEC), 3, students, tmp_path_factory.mktemp("fixed"), pdf=True)


def test_the_default_quiz_puts_every_question_in_one_place_for_everyone(fixed_build) -> None:
    sheets = json.loads((fixed_build / "sheets.json").read_text(encoding="utf-8"))
    key = json.loads((fixed_build / "key.json").read_text(encoding="utf-8"))
    assert len({p["sheet_pages"] for p in sheets["pages"]}) == 1
    numbers = {q["number"] for s in key["students"] for q in s["questions"]}
    found = spread(sheets)
    assert {what[0] for what in found} == numbers
    for what, (pages, distance, count) in found.items():
        assert pages == 1 and distance <= 1.0, (what, pages, distance)
        if what[1] in ("top", "box"):
            assert count == len(key["students"]), what  # every student has it
    # free answers have boxes, choices and true/false bubbles: all of them checked above
    kinds = {what[1] for what in found}
    assert kinds == {"top", "bubble", "box"}


def test_a_flow_layout_keeps_bubbles_beside_the_options(tmp_path) -> None:
    """The property above is the fixed layout's doing: packed, the bubbles of different
    students' variants are in different places."""
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex")
    spec = tmp_path / "flow.toml"
    spec.write_text(
        DEFAULT_SPEC.read_text(encoding="utf-8").replace('date = ""', 'date = ""\nlayout = "flow"'),
        encoding="utf-8",
    )
    students = [Student(f"s{i:03d}", f"Student {i}") for i in range(1, 9)]
    folder = build(load_spec(spec), 3, students, tmp_path / "out", pdf=True)
    found = spread(json.loads((folder / "sheets.json").read_text(encoding="utf-8")))
    assert any(pages > 1 or distance > 1.0 for pages, distance, _ in found.values())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('shuffle_questions = true\nlayout = "fixed"', "exclude each other"),
        ('layout = "grid"', 'must be "fixed" or "flow"'),
    ],
)
def test_bad_layouts_are_one_line_errors(tmp_path, extra, message) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(
        DEFAULT_SPEC.read_text(encoding="utf-8").replace('date = ""', f'date = ""\n{extra}'),
        encoding="utf-8",
    )
    with pytest.raises(ExamgenError, match=message) as err:
        load_spec(spec)
    assert "layout" in str(err.value) and "\n" not in str(err.value)
    result = CliRunner().invoke(main, ["build", "--seed", "1", "--spec", str(spec), "--no-pdf"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1


def test_the_layout_defaults_to_fixed_unless_questions_are_shuffled(tmp_path) -> None:
    assert load_spec(DEFAULT_SPEC).layout == "fixed"
    spec = tmp_path / "shuffled.toml"
    spec.write_text(
        DEFAULT_SPEC.read_text(encoding="utf-8").replace(
            'date = ""', 'date = ""\nshuffle_questions = true'
        ),
        encoding="utf-8",
    )
    assert load_spec(spec).layout == "flow"


def test_a_variant_out_of_place_stops_a_fixed_build(fixed_build) -> None:
    """What the build checks before writing sheets.json: one student's box 2 pt lower (a
    variant that outgrew its page) is an error naming the question and the student."""
    sheets = json.loads((fixed_build / "sheets.json").read_text(encoding="utf-8"))
    check_fixed(sheets)  # the real build passes
    page = next(p for p in reversed(sheets["pages"]) if p["boxes"])
    page["boxes"][0]["y"] += 2.0
    with pytest.raises(ExamgenError, match=f"question {page['boxes'][0]['question']} of student "):
        check_fixed(sheets)


def test_a_student_out_of_place_in_a_later_part_stops_the_build_and_leaves_out_as_it_was(
    tmp_path, monkeypatch
) -> None:
    """sheets.json is written part by part as pdflatex finishes each part (issue 13): a student of
    the third part placed 2 pt lower stops the build with the one-line error, out/ untouched."""
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex: run scripts/install-tex")
    import generator.paper.layout as layout
    import generator.pdf

    monkeypatch.setattr(generator.pdf, "CHUNK", 2)
    original = layout.part_sheets

    def lower_s005(*args, **kwargs):
        pages = original(*args, **kwargs)
        for page in pages:
            if page["student"] == "s005" and page["boxes"]:
                page["boxes"][0]["y"] += 2.0
        return pages

    monkeypatch.setattr(layout, "part_sheets", lower_s005)
    out = tmp_path / "out"
    (out / "keep").mkdir(parents=True)
    students = [Student(f"s{i:03d}", "") for i in range(1, 7)]
    with pytest.raises(ExamgenError, match="of student s005 "):
        build(load_spec(DEFAULT_SPEC), 3, students, out, pdf=True)
    assert sorted(p.name for p in out.iterdir()) == ["keep"]


@pytest.mark.parametrize(
    ("layout", "space", "where"),
    [
        ("fixed", "8.5in", "falls off page"),
        ("flow", "8.5in", "falls off page"),
        # On 48687ef these built: the answer boxes over the footer's "Page 1" and variant code.
        ("fixed", "6.9in", "runs into the footer of page 1"),
        ("flow", "7.5in", "runs into the footer of page 2"),
    ],
)
def test_answer_boxes_pushed_off_the_page_stop_the_build(tmp_path, layout, space, where) -> None:
    """A work space that leaves no room for the answer boxes on the page (here 8.5in, below a
    question's text) is a one-line error naming the student, question and fix, with out/ left as
    it was: every student alike, the fixed layout's comparison cannot see it, and on main the
    boxes were typeset below the paper's edge, where no one can write and no scan can read."""
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex: run scripts/install-tex")
    spec = tmp_path / "tall.toml"
    spec.write_text(
        f'id = "tall"\nlayout = "{layout}"\n[[questions]]\nfamily = "gradient-descent-step"\n'
        f'space = "{space}"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    (out / "keep").mkdir(parents=True)
    with pytest.raises(ExamgenError) as err:
        build(load_spec(spec), 3, [Student("s001", "Ann")], out, pdf=True)
    message = str(err.value)
    assert "\n" not in message
    assert "student s001" in message and "question 1" in message and "less space" in message
    assert f"its answer box {where}" in message
    assert "or a shorter statement" in message  # the text may be what is too tall
    assert f'(questions[1].space = "{space}" in {spec})' in message  # on 248b4b9: no file, field
    assert sorted(p.name for p in out.iterdir()) == ["keep"]


def test_a_space_too_tall_names_its_slot_in_the_spec_whatever_order_it_prints_in(
    tmp_path,
) -> None:
    """Shuffled, the too-tall question prints first or second, but the fix names the spec's
    own field for it: questions[2].space, with the file."""
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex: run scripts/install-tex")
    spec = tmp_path / "shuffled.toml"
    spec.write_text(
        'id = "tall"\nshuffle_questions = true\n[[questions]]\nfamily = "sgd-direction"\n'
        '[[questions]]\nfamily = "gradient-descent-step"\nspace = "8.5in"\n',
        encoding="utf-8",
    )
    loaded = load_spec(spec)
    printed = set()
    for student in ("s001", "s002", "s003", "s004", "s005", "s006"):
        with pytest.raises(ExamgenError) as err:
            build(loaded, 3, [Student(student, "")], tmp_path / student, pdf=True)
        message = str(err.value)
        assert f'(questions[2].space = "8.5in" in {spec})' in message, message
        printed.add(message.split(" of student")[0])
    assert printed == {"question 1", "question 2"}  # both orders were seen


def test_a_long_title_never_prints_over_the_course_or_date(tmp_path) -> None:
    """The page header's three parts keep apart: on main an 80-character title ran over the
    course and the date ("DSC 140Quiz …", "Qui2026-12-01"); now a part wider than its share is
    scaled down, whole."""
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex: run scripts/install-tex")
    import pypdfium2

    title = ("Quiz on gradient descent and friends " * 3)[:80].strip()
    spec = one_statement_spec(
        tmp_path, f'id = "long"\ntitle = "{title}"\ncourse = "DSC 140B"\ndate = "2026-12-01"\n'
    )
    folder = build(spec, 3, [Student("s001", "Ann")], tmp_path / "out", pdf=True)
    page = pypdfium2.PdfDocument(folder / "exams" / "s001.pdf")[0]
    text = page.get_textpage()
    chars = text.get_text_range()

    def span(part: str) -> tuple[float, float]:
        start = chars.index(part)
        boxes = [text.get_charbox(i) for i in range(start, start + len(part))]
        return min(b[0] for b in boxes), max(b[2] for b in boxes)

    course, middle, date = span("DSC 140B"), span(title[:20]), span("2026-12-01")
    assert course[1] < middle[0] and span(title[-10:])[1] < date[0], (course, middle, date)


def test_a_long_name_on_the_answer_sheet_moves_no_bubble(tmp_path) -> None:
    """The answer sheet prints the name and ID beside its title. A name too long for that line
    is scaled down to fit it, printed whole: it wrapped, moved every bubble below it, and the
    build stopped blaming question 1 ("a variant outgrew its page")."""
    spec = tmp_path / "sheet.toml"
    spec.write_text(
        DEFAULT_SPEC.read_text(encoding="utf-8").replace(
            'date = ""', 'date = ""\nanswer_sheet = true'
        ),
        encoding="utf-8",
    )
    long_name = "Ngọc " + "A" * 300
    students = [Student("s1", "Ann"), Student("s2", long_name)]
    folder = build(load_spec(spec), 1, students, tmp_path / "out", pdf=True)
    sheets = json.loads((folder / "sheets.json").read_text(encoding="utf-8"))
    for what, (pages, distance, _) in spread(sheets).items():
        assert pages == 1 and distance <= 1.0, (what, pages, distance)
    pdf = folder / "exams" / "s2.pdf"
    texts = [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, 1 + len(PdfReader(pdf).pages))
    ]
    [sheet] = [t for t in texts if "Answer sheet" in t]
    assert "A" * 300 in re.sub(r"\s", "", sheet)


#: First lines of a true/false statement, some taller than a line of text.
FIRST_LINES = (
    "plain words, nothing tall.",
    "the number $x^3$ is a cube.",
    r"$\frac{1}{2}$ is one half.",
    r"$\sum_{i=1}^{n} x_i^2$ is a sum of squares.",
    r"$\sqrt{x}$ is a square root.",
    r"$\hat{w}^{(0)}$ is an initial weight.",
    r"$\left(\frac{a}{b}\right)^2$ is a square.",
)


@settings(max_examples=3, deadline=None)
@example(texts=["plain words, nothing tall.", "the number $x^3$ is a cube."], layout="fixed")
@given(
    texts=st.lists(st.sampled_from(FIRST_LINES), min_size=2, max_size=5, unique=True),
    layout=st.sampled_from(["fixed", "flow"]),
)
def test_a_tall_first_line_moves_no_question(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str], layout: str
) -> None:
    """A question's first line may be taller than text ($x^3$, a fraction): the block still
    starts and ends where every other student's does. On 3e8d335, `examgen new --answer bool`'s
    own scaffold stopped a fixed build ("a variant outgrew its page"): its x^3 statement moved
    the question's baseline down and its bubbles up, by 1.6pt."""
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex: run scripts/install-tex")
    from generator.scaffold import new_family

    tmp = tmp_path_factory.mktemp("tall")
    folder = new_family("tall-tf", tmp / "families", "bool")
    statements = "".join(
        f'[[statements]]\nid = "s{k}"\ntruth = {"true" if k % 2 else "false"}\n'
        f"text = '{text}'\nexplanation = 'Because.'\n\n"
        for k, text in enumerate(texts)
    )
    (folder / "bank.toml").write_text(statements, encoding="utf-8")
    spec = tmp / "tall.toml"
    spec.write_text(
        f'id = "tall"\nlayout = "{layout}"\nfamilies_dir = "families"\n'
        '[[questions]]\nfamily = "tall-tf"\n[[questions]]\nfamily = "tall-tf"\n',
        encoding="utf-8",
    )
    students = [Student(f"s{k}", f"Student {k}") for k in range(12)]
    built = build(load_spec(spec), 7, students, tmp / "out", pdf=True)
    key = json.loads((built / "key.json").read_text(encoding="utf-8"))
    drawn = {q["params"]["statement"] for s in key["students"] for q in s["questions"]}
    assert len(drawn) > 1  # the students' first lines differ
    sheets = json.loads((built / "sheets.json").read_text(encoding="utf-8"))
    tops = {}  # the fixed layout places every question; flow, the first (the rest follow it)
    for page in sheets["pages"]:
        for question in page["questions"]:
            if layout == "fixed" or question["question"] == 1:
                tops.setdefault((page["sheet_page"], question["question"]), set()).add(
                    (question["x"], question["y"])
                )
    assert tops and all(len(places) == 1 for places in tops.values()), tops
    if layout == "fixed":
        for what, (pages, distance, _) in spread(sheets).items():
            assert pages == 1 and distance <= 0.01, (what, pages, distance)


def test_with_an_answer_sheet_the_options_follow_their_question(tmp_path) -> None:
    """With the bubbles on the answer sheet, a fixed block has no row of bubbles at its foot:
    its stretch went to the skips between the options, which sank to the page's foot, 3.7in
    below their question (on 4b822ac). Now no gap between two lines of a page's text is taller
    than a few lines."""
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    spec = tmp_path / "sheet.toml"
    spec.write_text(
        DEFAULT_SPEC.read_text(encoding="utf-8").replace(
            'date = ""', 'date = ""\nanswer_sheet = true'
        ),
        encoding="utf-8",
    )
    folder = build(load_spec(spec), 1, [Student("s1", "Ann")], tmp_path / "out", pdf=True)
    text = subprocess.run(
        ["pdftotext", "-bbox", str(folder / "exams" / "s1.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for number, page in enumerate(text.split("<page ")[1:], start=1):
        lines = sorted({float(y) for y in re.findall(r'yMin="([\d.]+)"', page) if float(y) < 700})
        gaps = [b - a for a, b in zip(lines, lines[1:], strict=False)]
        if "A." in page or "True or False" in page:
            assert max(gaps, default=0) < 90, (number, max(gaps))


def _words(pdf: Path, page: int) -> list[tuple[float, float, float, float, str]]:
    """(x0, y0, x1, y1, word) of each word on ``page`` of ``pdf`` (pt, top-left origin)."""
    text = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pattern = r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<'
    return [(*map(float, w[:4]), w[4]) for w in re.findall(pattern, text)]


@pytest.mark.parametrize("length", [40, 90, 149])
def test_a_long_id_overprints_nothing_and_its_footer_is_one_line(tmp_path, length) -> None:
    """A long student ID wrapped in the fixed header's fixed height and ran over the
    instructions, and the footer's variant code wrapped onto three lines, the last 3pt from the
    paper's edge (on 4b822ac, a 149-character ID). Now the ID and the code each keep to one
    line, scaled down when they must be."""
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    long_id = ("UNIVERSITY-OF-EXAMPLE-DSC140B-WINTER2026-SECTION-A01-STUDENT-" * 3)[:length]
    folder = build(
        load_spec(DEFAULT_SPEC), 1, [Student(long_id, "Ann")], tmp_path / "out", pdf=True
    )
    (pdf,) = (folder / "exams").glob("*.pdf")
    words = _words(pdf, 1)
    for k, (x0, y0, x1, y1, word) in enumerate(words):
        for a0, b0, a1, b1, other in words[k + 1 :]:
            overlap = min(x1, a1) - max(x0, a0) > 0.5 and min(y1, b1) - max(y0, b0) > 0.5
            assert not overlap, (word, other)
    footer = [w for w in words if w[1] > 740]
    assert footer and max(w[3] for w in footer) - min(w[1] for w in footer) < 12, footer  # a line
    assert max(w[3] for w in footer) < 772


def test_a_long_id_stays_on_one_line_in_the_flow_layout_too(tmp_path) -> None:
    """In the flow layout a 51-character ID wrapped after its 48th character, which a grader
    copying IDs could read as two (an outside review's); one that fits at half size or more is
    now fitted to one line there too, and a longer one still wraps rather than shrink further."""
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    spec = one_statement_spec(tmp_path, 'id = "flow"\nlayout = "flow"\n')
    ids = [("A1234567890" * 5)[:51], ("B1234567890" * 14)[:149]]
    folder = build(spec, 1, [Student(i, "Ann") for i in ids], tmp_path / "out", pdf=True)
    for student, one_line in zip(ids, (True, False), strict=True):
        (pdf,) = [p for p in (folder / "exams").glob("*.pdf") if p.stem.startswith(student[:8])]
        words = [w[4] for w in _words(pdf, 1) if w[1] < 200]  # the header, not the footer
        assert (student in words) is one_line, words[:12]
        assert "".join(w for w in words if len(w) > 2 and w in student) == student  # whole


@pytest.mark.parametrize("layout", ["fixed", "flow"])
def test_a_title_the_header_shrinks_is_printed_whole_on_page_one(tmp_path, layout) -> None:
    """A 139-character title and a 62-character course were scaled to 4pt type in the page
    header, and printed nowhere else (on 48687ef). Now one the header scales below three
    quarters of its size is printed again, at full size, at the top of page 1; the shipped
    quiz's title, which fits, is not."""
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    title = ("Quiz on gradient descent, stochastic gradient descent and the vanishing "
             "gradient problem " * 2)[:139].strip()
    course = ("Data Science 140B: Representation Learning " * 2)[:62].strip()
    spec = one_statement_spec(
        tmp_path, f'id = "long"\ntitle = "{title}"\ncourse = "{course}"\nlayout = "{layout}"\n'
    )
    folder = build(spec, 7, [Student("s1", "Ann")], tmp_path / "out", pdf=True)
    for sub in ("exams", "solutions"):
        words = _words(folder / sub / "s1.pdf", 1)
        legible = " ".join(w[4] for w in words if w[3] - w[1] >= 9)
        assert " ".join(title.split()) in legible and " ".join(course.split()) in legible
    shipped = build(load_spec(DEFAULT_SPEC), 7, [Student("s1", "Ann")], tmp_path / "q", pdf=True)
    text = " ".join(w[4] for w in _words(shipped / "exams" / "s1.pdf", 1))
    assert text.count("Vanishing") == 1  # in the header only
