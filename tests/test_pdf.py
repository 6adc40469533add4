"""Real PDFs through TeX Live: each student's PDF is theirs alone, the batch is the sum of the
parts, hostile rosters print literally and run nothing, and a LaTeX failure changes nothing.

These need pdflatex and pdftotext (``@pytest.mark.pdf``: skipped locally without them, failing in
CI). Rosters are small so the whole file compiles a handful of short documents.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import subprocess
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import generator.build
import generator.pdf
import generator.pdf_split
from generator.build import render_exam_document
from generator.cli import main
from generator.pdf import latex_command, latex_environment, student_typeset_last
from generator.render import escape_latex
from generator.roster import Student
from generator.spec import DEFAULT_SPEC, load_spec
from generator.tex_unicode import T1_RANGES, T5_SLOTS
from tests.test_pdf_write import qpdf_cut

pytestmark = pytest.mark.pdf

SEED = 7


def pdf_text(path: Path, raw: bool = False) -> str:
    """pdftotext's reading of a PDF, composed (NFC) with whitespace runs folded to one space;
    ``raw``: in the order the PDF draws it, a hyphen that ends a line kept (pdftotext's own
    order drops it, joining "pytest-" and "521" of a name broken at its hyphen)."""
    command = ["pdftotext", *(["-raw"] if raw else []), str(path), "-"]
    out = subprocess.run(command, capture_output=True, check=True).stdout
    return " ".join(unicodedata.normalize("NFC", out.decode("utf-8")).split())


def write_roster(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name"])
        writer.writerows(rows)
    return path


def build(tmp: Path, rows: list[tuple[str, str]], *extra: str) -> tuple[Path, object]:
    roster = write_roster(tmp / "roster.csv", rows)
    result = CliRunner().invoke(
        main,
        ["build", "--seed", str(SEED), "--roster", str(roster), "--out", str(tmp / "out"), *extra],
    )
    return tmp / "out" / f"lecture-14-quiz-seed{SEED}", result


def data_points(question: dict) -> list[str]:
    """A question's data set as pdftotext shows it: "(2, 5)", minus signs as U+2212."""
    return [
        f"({x}, {y})".replace("-", "\u2212")
        for x, y in question["params"].get("data", [])
        if re.fullmatch(r"-?\d+", f"{x}{y}".replace("-", "", 1))
    ]


ROSTER = [("A0001", "Zoë Adams"), ("A0002", "Nguyễn Văn An"), ("A0003", "Łukasz O'Brien")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, result = build(tmp_path_factory.mktemp("class"), ROSTER, "--pdf")
    assert result.exit_code == 0, result.output
    return folder


def test_a_pdf_builds_manifest_records_the_tex_and_pikepdf_that_made_its_pdfs(built: Path) -> None:
    """The same sources typeset by another TeX Live (or cut by another pikepdf) can give other
    PDF bytes: a PDF build's manifest says which made them, as `pdflatex --version` says."""
    versions = json.loads((built / "manifest.json").read_text(encoding="utf-8"))["versions"]
    said = subprocess.run(["pdflatex", "--version"], capture_output=True, text=True, check=True)
    assert versions["pdflatex"] == said.stdout.splitlines()[0] and "TeX" in versions["pdflatex"]
    assert versions["pikepdf"] == pikepdf.__version__


def test_without_pdflatex_its_version_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    assert generator.pdf.tex_version() == "unknown"


def test_each_students_pdf_shows_their_name_id_and_data_and_nobody_elses(built: Path) -> None:
    key = json.loads((built / "key.json").read_text(encoding="utf-8"))
    texts = {s["id"]: pdf_text(built / "exams" / f"{s['id']}.pdf") for s in key["students"]}
    for student in key["students"]:
        text = texts[student["id"]]
        assert student["name"] in text
        assert f"seed {SEED} id {student['id']}" in text  # the variant code in the footer
        own = [p for q in student["questions"] for p in data_points(q)]
        assert own and all(p in text for p in own)
        for other in key["students"]:
            if other is not student:
                assert other["name"] not in text and other["id"] not in text
                for question in other["questions"]:
                    data_set = ", ".join(data_points(question))
                    assert not data_set or data_set not in text


def test_batches_hold_every_student_padded_to_even_pages_in_roster_order(built: Path) -> None:
    for batch, sub in (("handouts", "exams"), ("solutions", "solutions")):
        parts = [PdfReader(built / sub / f"{sid}.pdf") for sid, _ in ROSTER]
        assert all(len(p.pages) % 2 == 0 for p in parts)
        whole = PdfReader(built / f"{batch}.pdf")
        assert len(whole.pages) == sum(len(p.pages) for p in parts)
        first_pages, page = [], 0
        for part in parts:
            first_pages.append(whole.pages[page].extract_text())
            page += len(part.pages)
        for (sid, _), text in zip(ROSTER, first_pages, strict=True):
            assert sid in text


def test_the_footer_numbers_each_page_without_a_page_count(built: Path) -> None:
    """README: the footer says "Page N" (not "of M"), on every page a question is printed on;
    only a duplex padding page at the end may go without."""
    for sid, _ in ROSTER:
        path = built / "exams" / f"{sid}.pdf"
        pages = len(PdfReader(path).pages)
        texts = [
            subprocess.run(
                ["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"],
                capture_output=True,
                check=True,
            ).stdout.decode("utf-8")
            for n in range(1, pages + 1)
        ]
        numbered = [n for n, t in enumerate(texts, 1) if re.search(rf"\bPage {n}\b", t)]
        assert numbered == list(range(1, len(numbered) + 1)) and len(numbered) >= pages - 1
        assert not any(re.search(r"Page \d+ of \d+", t) for t in texts)

def test_solutions_show_worked_answers_and_exams_do_not(built: Path) -> None:
    exam = pdf_text(built / "exams" / "A0001.pdf")
    solutions = pdf_text(built / "solutions" / "A0001.pdf")
    assert "Solution" in solutions and "update rule" in solutions
    assert "Solution: Answer:" not in solutions  # labelled once, by the exam class
    assert "update rule" not in exam
    assert "2 points" in exam  # points per question


def test_a_students_own_tex_file_compiles_to_their_pdf(built: Path, tmp_path: Path) -> None:
    """The per-student .tex files (for anyone who compiles one by hand) give the same pages as
    the batch."""
    tex = tmp_path / "A0002.tex"
    tex.write_bytes((built / "solutions" / "A0002.tex").read_bytes())
    run = subprocess.run(
        latex_command(tex), cwd=tmp_path, env=latex_environment(), capture_output=True
    )
    assert run.returncode == 0
    alone, cut = tex.with_suffix(".pdf"), built / "solutions" / "A0002.pdf"
    assert len(PdfReader(alone).pages) == len(PdfReader(cut).pages)
    # pdftotext may order the pieces of a big bracket differently (different font subsets)
    words = [Counter(re.findall(r"\w+", pdf_text(pdf))) for pdf in (alone, cut)]
    assert words[0] == words[1]


def test_pdfs_are_byte_identical_across_builds(built: Path, tmp_path: Path) -> None:
    """Same seed, IDs and spec: the same PDF bytes (no timestamps or random IDs inside)."""
    again, result = build(tmp_path, ROSTER, "--pdf")
    assert result.exit_code == 0
    for name in ("handouts.pdf", "solutions.pdf", "exams/A0002.pdf", "solutions/A0003.pdf"):
        assert (again / name).read_bytes() == (built / name).read_bytes(), name


def test_split_pages_are_the_batch_pages(built: Path) -> None:
    """Each per-student PDF holds exactly its page range of the batch: pdftotext of the part
    equals pdftotext of those pages of the batch, and the ranges tile the whole document."""
    source = built / "solutions.pdf"
    start = 1
    for sid, _ in ROSTER:
        part = built / "solutions" / f"{sid}.pdf"
        count = len(PdfReader(part).pages)
        pages = subprocess.run(
            ["pdftotext", "-f", str(start), "-l", str(start + count - 1), str(source), "-"],
            capture_output=True,
            check=True,
        ).stdout
        assert " ".join(pages.decode("utf-8").split()) == " ".join(
            subprocess.run(["pdftotext", str(part), "-"], capture_output=True, check=True)
            .stdout.decode("utf-8")
            .split()
        )
        assert sid in pages.decode("utf-8")
        start += count
    assert start - 1 == len(PdfReader(source).pages)


def test_each_students_pdf_is_what_qpdf_wrote_for_their_pages(built: Path) -> None:
    """The writer's per-student files are byte for byte qpdf's copy-and-save of the same pages
    of pdfTeX's output (three students are one part, kept whole as handouts.pdf), and the files
    qpdf checks clean."""
    for name, sub in (("handouts", "exams"), ("solutions", "solutions")):
        files = [(built / sub / f"{sid}.pdf").read_bytes() for sid, _ in ROSTER]
        assert files == qpdf_cut(built / f"{name}.pdf", len(ROSTER)), name
        for data in files:
            with pikepdf.open(io.BytesIO(data)) as pdf:
                assert pdf.check_pdf_syntax() == []


def test_hostile_roster_prints_literally_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    names = [
        "# $ % & ~ _ ^ \\ { } -- `` '' < > |",
        r"\input{/etc/passwd}",
        r"\immediate\write18{touch " + str(marker) + "}",
        r"\immediate\write18{touch /tmp/x}",
        "Q" * 100 + " " + "W" * 49,  # 150 characters, the most a roster name may have
        "",
        "Zoë Łukasz Nguyễn Văn An O'Brien",
        "^^5cinput{/etc/passwd} }\\end{document}",
    ]
    tmp_x_existed = Path("/tmp/x").exists()
    folder, result = build(tmp_path, [(f"h{i}", n) for i, n in enumerate(names)], "--pdf")
    assert result.exit_code == 0, result.output
    for i, name in enumerate(names):
        text = pdf_text(folder / "exams" / f"h{i}.pdf", raw=True)
        assert f"h{i}" in text
        assert name.replace(" ", "") in text.replace(" ", "")  # long words wrap over lines
        assert "root:" not in text
    assert not marker.exists()
    assert Path("/tmp/x").exists() == tmp_x_existed
    assert "Name:" in pdf_text(folder / "exams" / "h5.pdf")  # the empty name: a blank to fill


def test_unprintable_script_prints_a_visible_code_and_is_reported(tmp_path: Path) -> None:
    folder, result = build(tmp_path, [("c1", "王小明")], "--pdf")
    assert result.exit_code == 0, result.output
    assert "U+738B U+5C0F U+660E" in pdf_text(folder / "exams" / "c1.pdf")
    assert "c1 (王 U+738B, 小 U+5C0F, 明 U+660E)" in result.output  # the one-line note (stderr too)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(folder.rglob("*"))
    }


def break_handout(monkeypatch: pytest.MonkeyPatch, student_id: str, latex: str) -> None:
    """The student's question 2 in the handout ends with ``latex`` (bad LaTeX) in later builds."""
    real = generator.build.student_context

    def broken(fmt, exam, show_solutions, *shared):
        context = real(fmt, exam, show_solutions, *shared)
        if fmt == "latex" and exam.student.id == student_id and not show_solutions:
            context["questions"][1] += latex
        return context

    monkeypatch.setattr(generator.build, "student_context", broken)


def test_latex_failure_leaves_out_as_it_was_and_names_student_and_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [("B1", "First"), ("B2", "Second"), ("B3", "Third")]
    folder, result = build(tmp_path, rows, "--no-pdf")
    assert result.exit_code == 0
    before = snapshot(tmp_path / "out")

    break_handout(monkeypatch, "B2", "\n\\undefinedcommand\n")
    folder, result = build(tmp_path, rows, "--pdf")
    assert result.exit_code == 1
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    family = next(s for s in key["students"] if s["id"] == "B2")["questions"][1]["family"]
    assert f"B2 (Second), question 2 ({family})" in result.output
    assert "Undefined control sequence" in result.output and "\\undefinedcommand" in result.output
    assert "Traceback" not in result.output
    assert snapshot(tmp_path / "out") == before


def build_course_family(tmp_path: Path, block: str, latex: str) -> tuple[Path, int, Any]:
    """Build two students' PDFs of a course family whose template's ``block`` (statement or
    solution) begins with ``latex``: its template, the line, and what the build said."""
    course = tmp_path / "course"
    assert CliRunner().invoke(main, ["new", "slope", "--dir", str(course)]).exit_code == 0
    template = course / "slope" / "template.j2"
    lines = template.read_text(encoding="utf-8").splitlines()
    number = lines.index(f"((* block {block} *))") + 2 + (block == "solution") * 2
    lines[number - 1] = latex + lines[number - 1]
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'id = "t"\nfamilies_dir = "{course.as_posix()}"\n[[questions]]\nfamily = "slope"\n',
        encoding="utf-8",
    )
    roster = write_roster(tmp_path / "roster.csv", [("s1", "One"), ("s2", "Two")])
    args = ["build", "--seed", "3", "--spec", str(spec), "--roster", str(roster), "--pdf", "-q"]
    return template, number, CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])


@pytest.mark.parametrize(
    ("block", "typo", "version"),
    [("statement", "\\lamda", "handouts"), ("solution", "\\cdott", "solutions")],
)
def test_a_latex_error_in_a_course_template_is_one_line_naming_its_line(
    tmp_path: Path, block: str, typo: str, version: str
) -> None:
    """An auditor's (65172e0): a misspelt command in a course family's template stopped the
    build with four lines naming a .tex file the failed build never wrote; ``check`` names the
    template's line, so the build does too, and says where to look."""
    template, number, result = build_course_family(tmp_path, block, f"We write ${typo} x$ here. ")
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: LaTeX failed on {version}.pdf for student s1 (One), question 1 (slope), at ")
    assert f": {template}:{number}: Undefined control sequence (TeX read " in line
    assert f'{typo}"); nothing was written; fix that line of the family' in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_template_that_loops_stops_the_build_in_one_line_naming_the_student(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A macro that calls itself (``\\def\\x{\\x}\\x``) kept pdflatex, and the build, running
    for good: it prints nothing and never runs out of memory."""
    monkeypatch.setattr(generator.pdf, "STALL_SECONDS", 5.0)
    _, _, result = build_course_family(tmp_path, "statement", "We have $\\def\\x{\\x}\\x$. ")
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line == (
        "Error: LaTeX stopped on handouts.pdf for student s1 (One), in one of their families' "
        "templates (slope): pdflatex spent over 5 s on one student's pages and was stopped: a "
        "macro there loops forever (such as \\def\\x{\\x}\\x); nothing was written; fix the "
        "template (`examgen check FAMILY` typesets a course family's variants and names the "
        "family that loops)"
    )
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


FAKE_PDFLATEX = """#!/bin/sh
for a in "$@"; do case "$a" in *.tex) echo garbage > "$(basename "$a" .tex).pdf";; esac; done
echo "This is pdfTeX, Version 3.141592653-2.6-1.40.24 (TeX Live 2022/Debian)"
exit 0
"""


@pytest.mark.parametrize("free", [None, 2**20])
def test_an_unreadable_pdf_from_pdflatex_is_not_blamed_on_the_disk_unless_it_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free: int | None
) -> None:
    """An auditor's (65172e0): a pdflatex that exits 0 with a damaged PDF was "is the disk
    full?" on a disk with room to spare."""
    import shutil

    fake = tmp_path / "bin" / "pdflatex"
    fake.parent.mkdir()
    fake.write_text(FAKE_PDFLATEX, encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("EXAMGEN_CACHE_DIR", "")
    if free is not None:
        usage = shutil.disk_usage(tmp_path)
        monkeypatch.setattr(
            generator.pdf.shutil, "disk_usage", lambda path: usage._replace(free=free)
        )
    folder, result = build(tmp_path, [("B1", "First")], "--pdf", "-q")
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    if free is None:
        assert f"pdflatex ({fake}) wrote a PDF that cannot be read" in line
        assert line.endswith("check the TeX installation (`pdflatex --version`) or build with --no-pdf")
    else:
        assert "cannot write the PDFs" in line and "is the disk full?" in line
    assert not (tmp_path / "out").exists()


def test_a_latex_error_naming_no_line_blames_the_student_typeset_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A brace left open (a runaway argument) makes TeX read on to the end of the file and stop
    there, naming no line: the message names the student whose pages TeX had begun (it blamed
    the exam template's preamble), in the one line and the log's excerpt."""
    rows = [("B1", "First"), ("B2", "Second"), ("B3", "Third")]
    break_handout(monkeypatch, "B2", "\n\\textbf{left open\n")
    _, result = build(tmp_path, rows, "--pdf")
    assert result.exit_code == 1
    assert "LaTeX failed on handouts.pdf for student B2 (Second), in exams/B2.tex" in result.output
    assert "File ended while scanning use of \\textbf" in result.output
    assert "preamble" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("log", "count", "student"),
    [
        ("examgen-student 1\nexamgen-student 2\n! File ended while scanning", 3, 1),
        ("examgen-student 1\n! Undefined control sequence.\nexamgen-student 2\n", 3, 0),
        ("! Emergency stop.\n", 3, -1),  # before any student: the preamble
        ("examgen-student 4\n! File ended\n", 3, -1),  # not a student of this part
        ("examgen-student 2\nexamgen-student 12x\n", 3, 1),  # no error line: the last begun
    ],
)
def test_the_student_typeset_last_is_the_last_begun_before_the_error(
    log: str, count: int, student: int
) -> None:
    assert student_typeset_last(log, count) == student


def test_an_interrupted_pdf_build_leaves_nothing_behind(tmp_path: Path) -> None:
    """Ctrl-C while LaTeX runs: pdflatex is stopped, the staging folder removed, out/ as before."""
    out = tmp_path / "out"
    (out / "keep").mkdir(parents=True)

    def interrupt(items, label):
        for item in items:
            yield item
            if label == "Typesetting PDFs":
                raise KeyboardInterrupt

    students = [Student(f"I{i}", f"Name {i}") for i in range(3)]
    with pytest.raises(KeyboardInterrupt):
        generator.build.build(load_spec(DEFAULT_SPEC), SEED, students, out, interrupt, pdf=True)
    assert sorted(p.name for p in out.iterdir()) == ["keep"]
    assert not list((out / "keep").iterdir())


def test_every_character_the_escaper_passes_through_compiles(tmp_path: Path) -> None:
    """T1_RANGES and the T5 slots were measured on TeX Live 2022; recompile them all, in upright,
    italic, bold and typewriter, with missing glyphs as errors (the template sets that)."""
    spec = load_spec(DEFAULT_SPEC)
    exam = generator.build.generate_student(spec, SEED, Student("x", "x"))
    preamble = render_exam_document("latex", spec, [exam], False).partition("\\begin{document}")[0]
    chars = [chr(c) for start, end in T1_RANGES for c in range(start, end + 1)]
    chars += sorted(T5_SLOTS)
    text = escape_latex("".join(c for c in chars if not unicodedata.category(c).startswith("Z")))
    body = "\n".join(
        rf"{{{font} {text}}}\par" for font in ("", r"\itshape", r"\bfseries", r"\ttfamily")
    )
    tex = tmp_path / "chars.tex"
    tex.write_text(preamble + "\\begin{document}\n" + body + "\n\\end{document}\n", "utf-8")
    run = subprocess.run(
        latex_command(tex), cwd=tmp_path, env=latex_environment(), capture_output=True
    )
    assert run.returncode == 0, run.stdout.decode("utf-8", "replace")[-2000:]
    printed = pdf_text(tex.with_suffix(".pdf"))
    assert all(c in printed for c in T5_SLOTS)


def page_images(pdf: Path, where: Path) -> list[bytes]:
    """Every page rendered to a small grey bitmap: what prints, independent of how pdftotext
    orders the pieces of a fraction or a bracket."""
    where.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(where / "p")], check=True)
    return [page.read_bytes() for page in sorted(where.glob("p-*.pgm"))]


def test_documents_typeset_in_parts_join_in_roster_order(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class larger than a part is typeset in parts; the joined handouts and the per-student
    PDFs then print exactly what one part gives (same pages, same pixels, roster order), and
    every file is byte-identical whatever the number of jobs (issue 9: the parts followed
    ``os.cpu_count()``, so the bytes depended on the machine)."""
    monkeypatch.setattr(generator.pdf, "CHUNK", 2)
    assert len(generator.pdf.student_parts(len(ROSTER))) == 2
    monkeypatch.setattr(generator.pdf, "available_cores", lambda: 3)
    (tmp_path / "default").mkdir()
    (tmp_path / "one").mkdir()
    parted, result = build(tmp_path / "default", ROSTER, "--pdf")
    assert result.exit_code == 0, result.output
    one_job, result = build(tmp_path / "one", ROSTER, "--pdf", "--jobs", "1")
    assert result.exit_code == 0, result.output
    files = sorted(str(p.relative_to(parted)) for p in parted.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(one_job)) for p in one_job.rglob("*") if p.is_file())
    for name in files:
        assert (parted / name).read_bytes() == (one_job / name).read_bytes(), name
    pdfs = ["handouts.pdf", "solutions.pdf"]
    pdfs += [f"{sub}/{sid}.pdf" for sid, _ in ROSTER for sub in ("exams", "solutions")]
    for k, name in enumerate(pdfs):
        one = page_images(built / name, tmp_path / f"one{k}")
        assert one and page_images(parted / name, tmp_path / f"parts{k}") == one, name


def test_student_parts_tile_the_roster_in_fixed_chunks() -> None:
    for count in (1, 24, 25, 26, 300, 1000):
        parts = generator.pdf.student_parts(count)
        assert [i for part in parts for i in part] == list(range(count))
        assert all(len(p) == generator.pdf.CHUNK for p in parts[:-1])
        assert 1 <= len(parts[-1]) <= generator.pdf.CHUNK


def test_a_roster_change_leaves_every_other_students_files_and_printed_pages(
    built: Path, tmp_path: Path
) -> None:
    """The README's promise, exactly: adding a student and reordering the roster leaves each
    other student's .tex, .md and key entry byte-identical and their PDFs' pages identical when
    rendered (the PDF bytes may differ: font subsets are shared within a part)."""
    changed = [("A0004", "Dana New"), *reversed(ROSTER)]
    folder, result = build(tmp_path, changed, "--pdf")
    assert result.exit_code == 0, result.output
    before = {s["id"]: s for s in json.loads((built / "key.json").read_bytes())["students"]}
    after = {s["id"]: s for s in json.loads((folder / "key.json").read_bytes())["students"]}
    for k, (sid, _) in enumerate(ROSTER):
        assert after[sid] == before[sid]
        for sub in ("exams", "solutions"):
            for ext in ("tex", "md"):
                name = f"{sub}/{sid}.{ext}"
                assert (folder / name).read_bytes() == (built / name).read_bytes(), name
            name = f"{sub}/{sid}.pdf"
            old = page_images(built / name, tmp_path / f"old-{sub}{k}")
            assert old and page_images(folder / name, tmp_path / f"new-{sub}{k}") == old, name


class FullDisk(io.RawIOBase):
    """A file on a full disk: every write fails as the kernel fails it."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def write_to_full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator.pdf_split, "open", lambda *a, **k: FullDisk(), raising=False)


def qpdf_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def truncated(*args, **kwargs):
        raise pikepdf.PdfError("read error: unexpected EOF (a part cut short by a full disk)")

    monkeypatch.setattr(pikepdf, "open", truncated)


@pytest.mark.parametrize("failure", [write_to_full_disk, qpdf_fails], ids=["ENOSPC", "qpdf-error"])
def test_a_full_disk_while_writing_pdfs_is_one_line_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure
) -> None:
    """On main a full disk made qpdf abort the process (rc 134) and left the staging folder;
    here the per-student PDFs' writes fail as on a full disk, or qpdf cannot read a part."""
    out = tmp_path / "out"
    (out / "keep").mkdir(parents=True)
    failure(monkeypatch)
    _, result = build(tmp_path, ROSTER[:1], "--pdf")
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "disk" in lines[0] and "full" in lines[0], result.output
    assert [p.name for p in out.iterdir()] == ["keep"]


def test_the_streamed_build_writes_the_files_of_the_phase_by_phase_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``build`` starts pdflatex on each part as soon as its sources are written (issue 13); every
    file is byte for byte what writing every source first and then typesetting gives."""
    from generator.build import exam_dir_name, generate_exams, write_exam_files
    from generator.paper.layout import SheetsFile

    monkeypatch.setattr(generator.pdf, "CHUNK", 2)
    spec = load_spec(DEFAULT_SPEC)
    students = [Student(sid, name) for sid, name in ROSTER]
    streamed = generator.build.build(spec, SEED, students, tmp_path / "streamed", pdf=True)
    phased = tmp_path / "phased" / exam_dir_name(spec, SEED)
    phased.mkdir(parents=True)
    exams = generate_exams(spec, SEED, students)
    write_exam_files(phased, spec, SEED, exams, typeset=True)
    generator.pdf.build_pdfs(
        phased,
        generator.build.pdf_students(exams),
        positions=SheetsFile(phased, spec.id, SEED),
    )
    files = sorted(str(p.relative_to(streamed)) for p in streamed.rglob("*") if p.is_file())
    assert "sheets.json" in files and "exams/A0001.pdf" in files
    assert files == sorted(str(p.relative_to(phased)) for p in phased.rglob("*") if p.is_file())
    for name in files:
        assert (streamed / name).read_bytes() == (phased / name).read_bytes(), name


def test_an_exam_that_overflows_its_pages_is_one_line_with_the_fix(tmp_path: Path) -> None:
    """Instructions of 5,000 words run the first page on past the pages the exam has QR codes
    for: on 248b4b9 nine lines of TeX's dump ("Type H <return> for immediate help") and no
    fix, since TeX stops before printing the help the template gives."""
    spec = tmp_path / "long.toml"
    words = " ".join(["word"] * 5000)
    spec.write_text(
        f'id = "long"\ntitle = "T"\ninstructions = "{words}"\n'
        '[[questions]]\nfamily = "sgd-direction"\n'
    )
    _, result = build(tmp_path, [("B1", "First")], "--pdf", "--spec", str(spec))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: LaTeX stopped handouts.pdf"), lines
    assert "student B1 (First)" in lines[0] and "more pages than QR codes" in lines[0]
    assert "shorten the instructions" in lines[0]
    assert not (tmp_path / "out").exists()
