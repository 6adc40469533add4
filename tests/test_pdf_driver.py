"""The PDF phase's logic that needs no TeX: when PDFs are built or skipped, how the batched
document maps back to each student's own file, and how a LaTeX log becomes one clear error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import generator.pdf
from generator.build import generate_student, render_exam_document
from generator.cli import main
from generator.errors import ExamgenError
from generator.pdf import (
    DEBIAN_PACKAGES,
    PdfStudent,
    batch_document,
    latex_error,
    locate,
    log_excerpt,
    unprintable_notice,
    want_pdfs,
)
from generator.roster import Student
from generator.spec import DEFAULT_SPEC, load_spec

ROOT = Path(__file__).resolve().parent.parent


def run_build(tmp_path: Path, *extra: str):
    return CliRunner().invoke(
        main, ["build", "--seed", "3", "--count", "2", "--out", str(tmp_path / "out"), *extra]
    )


@pytest.fixture
def no_tex(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator.pdf.shutil, "which", lambda name: None)


def test_without_tex_the_build_writes_sources_and_says_so_in_one_line(
    tmp_path: Path, no_tex: None
) -> None:
    result = run_build(tmp_path)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "lecture-14-quiz-seed3"
    assert (folder / "exams" / "s001.tex").exists() and (folder / "key.csv").exists()
    assert not list(folder.rglob("*.pdf"))
    notes = [line for line in result.output.splitlines() if "PDFs skipped" in line]
    assert len(notes) == 1
    assert "apt-get install" in notes[0] and "MacTeX" in notes[0]


def test_pdf_flag_makes_missing_tex_an_error(tmp_path: Path, no_tex: None) -> None:
    result = run_build(tmp_path, "--pdf")
    assert result.exit_code == 1
    assert result.output.startswith("Error: --pdf: pdflatex not found")
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_no_pdf_skips_quietly(tmp_path: Path) -> None:
    result = run_build(tmp_path, "--no-pdf")
    assert result.exit_code == 0
    assert "PDF" not in result.output
    assert not list((tmp_path / "out").rglob("*.pdf"))


@pytest.mark.parametrize(
    ("requested", "tex", "expected"),
    [(None, True, True), (None, False, False), (True, True, True), (False, True, False)],
)
def test_want_pdfs(
    monkeypatch: pytest.MonkeyPatch, requested: bool | None, tex: bool, expected: bool
) -> None:
    monkeypatch.setattr(generator.pdf, "tex_available", lambda: tex)
    make, notice = want_pdfs(requested)
    assert make is expected
    assert (notice is not None) == (requested is None and not tex)


def test_install_script_installs_the_packages_the_driver_names() -> None:
    script = (ROOT / "scripts" / "install-tex").read_text(encoding="utf-8")
    listed = re.search(r'^PACKAGES="([^"]*)"', script, re.M)
    assert listed and tuple(listed.group(1).split()) == DEBIAN_PACKAGES


def test_unprintable_notice_is_one_line_naming_the_students() -> None:
    students = [Student("a", "Zoë"), Student("b", "王小明"), Student("c", "Nguyễn")]
    notice = unprintable_notice(students)
    assert notice is not None and "\n" not in notice
    assert "b (王 U+738B, 小 U+5C0F, 明 U+660E)" in notice
    assert "a (" not in notice and "c (" not in notice
    many = unprintable_notice([Student("d", "Иван Петров")])
    assert many is not None and "d (И U+0418, в U+0432, а U+0430, …)" in many
    assert unprintable_notice(students[:1]) is None


# --- the batched document ---------------------------------------------------------------------
def sources(ids: list[str], show_solutions: bool = False) -> list[str]:
    spec = load_spec(DEFAULT_SPEC)
    return [
        render_exam_document(
            "latex", spec, [generate_student(spec, 5, Student(i, i))], show_solutions
        )
        for i in ids
    ]


@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4, unique=True))
def test_batch_lines_map_back_to_each_students_own_file(ids: list[str]) -> None:
    """Every line of a student's part in the batch is the same line of their own file, at the
    offset the error report uses; parts appear in roster order."""
    own = sources(ids)
    batch = batch_document(own, ids)
    lines = batch.text.splitlines()
    for k, text in enumerate(own):
        own_lines = text.splitlines()
        body_length = text.rpartition("\\end{document}")[0].count("\n") - batch.own_starts[k] + 1
        for j in range(body_length):
            assert lines[batch.starts[k] - 1 + j] == own_lines[batch.own_starts[k] - 1 + j]
    assert lines[-1] == "\\end{document}"
    assert batch.text.count("\\begin{document}") == 1
    assert [s for s in ids if f"id {s}" in batch.text] == ids


def test_batch_refuses_student_specific_preambles() -> None:
    first, second = sources(["a", "b"])
    second = second.replace("\\begin{document}", "% b only\n\\begin{document}")
    with pytest.raises(ExamgenError, match="preamble differs"):
        batch_document([first, second], ["exams/a.tex", "exams/b.tex"])


LOG = """This is pdfTeX, Version 3.141592653-2.6-1.40.24 (TeX Live 2022/Debian)
(./handouts.tex
LaTeX2e <2022-11-01> patch level 1
./handouts.tex:{line}: Undefined control sequence.
l.{line} \\undefinedcommand

Here is how much of TeX's memory you used:
"""


def test_latex_error_names_student_question_and_own_line(tmp_path: Path) -> None:
    ids = ["a", "b", "c"]
    batch = batch_document(sources(ids, True), ids)
    lines = batch.text.splitlines()
    target = next(
        n
        for n, text in enumerate(lines, start=1)
        if n > batch.starts[1] and text.startswith("% examgen-question 2")
    )
    tex = tmp_path / "solutions.tex"
    tex.with_suffix(".log").write_text(LOG.format(line=target + 3), encoding="utf-8")
    students = [PdfStudent(i, Student(i, f"Name {i}"), ("f1", "f2")) for i in ids]
    message = str(latex_error("solutions", "solutions", tex, batch, students))
    own_line = batch.own_starts[1] + target + 3 - batch.starts[1]
    assert message.startswith(
        f"LaTeX failed on solutions.pdf for student b (Name b), question 2 (f2), "
        f"at solutions/b.tex line {own_line}:"
    )
    assert "\n" not in message
    assert ': Undefined control sequence (TeX read "\\undefinedcommand"); nothing was written;' in message
    assert "memory" not in message


RUNAWAY_LOG = """! File ended while scanning use of \\textbf .
<inserted text>
                \\par
<*> handouts-1.tex

Here is how much of TeX's memory you used:
 {strings} strings out of 478051
 72104 string characters out of 5840942
 1876330 words of memory out of 5000000

!  ==> Fatal error occurred, no output PDF file produced!
"""


def test_an_error_without_a_source_line_leaves_out_tex_memory_statistics() -> None:
    """A runaway argument's error has no ``l.N`` line: its excerpt used to run on into TeX's
    memory statistics, which differ between a run from a format and a plain one (so the same
    error read differently with ``EXAMGEN_CACHE_DIR=``)."""
    plain = log_excerpt(RUNAWAY_LOG.format(strings=4904), "handouts-1.tex")
    preloaded = log_excerpt(RUNAWAY_LOG.format(strings=802), "handouts-1.tex")
    assert plain == preloaded
    assert plain[1][0] == "! File ended while scanning use of \\textbf ."
    assert not any("memory" in line or "strings" in line for line in plain[1])


def test_errors_outside_any_student_blame_the_template() -> None:
    batch = batch_document(sources(["a"]), ["a"])
    assert locate(batch, 3) == (-1, -1)
    assert log_excerpt("no errors here\n", "x.tex")[0] is None


# --- the order pdflatex runs start in ----------------------------------------------------------
FAKE_LATEX = "import sys, time; time.sleep(float(sys.argv[1]))"


def test_runs_start_in_the_order_parts_were_added(tmp_path: Path, monkeypatch) -> None:
    """Parts start in the order the build adds them, however adds and ends interleave: a part
    overtaken for most of a build kept every later part of its document open for the join
    (a 3,000-student build's memory doubled). The runs are stand-ins for pdflatex that sleep.
    Parts handed out together (one per free worker) each start in their own thread, so on a
    loaded machine the second may call Popen a moment before the first: no part starts more than
    ``workers - 1`` places out of order (strict order failed now and then under load)."""
    import threading
    import time

    from generator.pdf import Job, LatexRuns

    started: list[int] = []
    original_popen = generator.pdf.subprocess.Popen

    def popen(command, **kwargs):
        started.append(int(Path(kwargs["cwd"]).name))
        return original_popen(command, **kwargs)

    monkeypatch.setattr(generator.pdf.subprocess, "Popen", popen)
    monkeypatch.setattr(
        generator.pdf,
        "latex_command",
        lambda tex, preloaded=None: [
            __import__("sys").executable,
            "-c",
            FAKE_LATEX,
            tex.read_text(),
        ],
    )
    workers, count = 2, 40
    runs = LatexRuns(lambda job, tick: None, workers=workers)

    def add_parts() -> None:  # parts keep arriving while earlier ones end
        for number in range(count):
            folder = tmp_path / str(number)
            folder.mkdir()
            (folder / "part.tex").write_text("0.03" if number % 3 else "0.01")
            runs.add(Job("handouts", "exams", folder / "part.tex", None, range(0)))  # type: ignore[arg-type]
            time.sleep(0.004)

    adder = threading.Thread(target=add_parts)
    adder.start()
    adder.join()
    list(runs)
    runs.stop()
    assert sorted(started) == list(range(count))
    assert all(abs(number - place) < workers for place, number in enumerate(started)), started
    assert runs.returncodes == [0] * count


def test_stopped_runs_start_nothing_more_and_end_their_events(tmp_path: Path, monkeypatch) -> None:
    """An interrupted build's waiting parts never start, and the progress events still end."""
    import sys
    import time

    from generator.pdf import Job, LatexRuns

    monkeypatch.setattr(
        generator.pdf,
        "latex_command",
        lambda tex, preloaded=None: [sys.executable, "-c", FAKE_LATEX, "30"],
    )
    runs = LatexRuns(lambda job, tick: None, workers=1)
    for number in range(5):
        folder = tmp_path / str(number)
        folder.mkdir()
        runs.add(Job("handouts", "exams", folder / "part.tex", None, range(0)))  # type: ignore[arg-type]
    deadline = time.monotonic() + 30
    while not runs.procs and time.monotonic() < deadline:  # the first run has started
        time.sleep(0.01)
    runs.stop()  # kills it (a 30-second stand-in)
    assert list(runs) == []
    assert len(runs.procs) == 1 and runs.procs[0][1].returncode != 0
    assert runs.returncodes[1:] == [None] * 4


def test_a_build_loads_pikepdf_only_when_it_first_cuts_a_part() -> None:
    """pikepdf (0.04 s to import) is not on the way to a build's first pdflatex run: the
    modules a build imports leave it to ``open_part``, which runs once a part is typeset."""
    from tests.processes import python_output

    probe = (
        "import sys, generator.build, generator.pdf, generator.pdf_split, generator.pdf_write\n"
        "print('pikepdf' in sys.modules)\n"
        "import generator.pdf_split as s, pathlib\n"
        "try:\n"
        "    s.open_part(pathlib.Path('/nonexistent.pdf'))\n"
        "except Exception:\n"
        "    pass\n"
        "print('pikepdf' in sys.modules)\n"
    )
    assert python_output(probe).split() == [b"False", b"True"]


#: Stand-ins for pdflatex's terminal output: what each prints (then it ends or not), whether it
#: ran to its end, and the students it began.
FOLLOWED = {
    "ends": (
        "say('examgen-student 1'); say('(a.sty) [1] [2]'); say('examgen-student 2')",
        True,
        [1, 2],
    ),
    # Not running (stopped, or blocked), past the limit: no loop, so it is not killed.
    "stopped": (
        "say('examgen-student 1'); time.sleep(4); say('examgen-student 2')",
        True,
        [1, 2],
    ),
    "slow but steady": (  # 2 s in all, under 1.5 s a student
        "for k in (1, 2, 3): say(f'examgen-student {k}'); time.sleep(1)",
        True,
        [1, 2, 3],
    ),
    "stalls": ("say('examgen-student 1'); say('examgen-student 2')\nwhile True: pass", False, [1, 2]),
    "prints forever": (
        "say('examgen-student 1')\nwhile True: say('x' * 70)",
        False,
        [1],
    ),
    "splits a mark": (
        "out.write('examgen-stu'); out.flush(); time.sleep(0.2); say('dent 3')",
        True,
        [3],
    ),
    "marks nothing": (
        "say('examgen-student-3'); say('examgen-student x')\nwhile True: pass",
        False,
        [],
    ),
}


@pytest.mark.parametrize("name", sorted(FOLLOWED))
def test_follow_counts_students_begun_and_stops_a_run_that_begins_none(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template that loops (``\\def\\x{\\x}\\x``) hung the build and ``check`` for good: the
    run is stopped when it begins no student's pages for ``STALL_SECONDS``, even while it prints."""
    import os
    import sys

    from generator.pdf import LatexProcess, follow

    script, finishes, students = FOLLOWED[name]
    if name == "stopped" and generator.pdf.cpu_seconds(os.getpid()) is None:
        pytest.skip("the system does not tell a process's CPU time")
    monkeypatch.setattr(generator.pdf, "STALL_SECONDS", 1.5)
    code = (
        "import sys, time\nout = sys.stdout\n"
        "def say(line): out.write(line + '\\n'); out.flush()\n" + script
    )
    latex = LatexProcess([sys.executable, "-c", code], Path.cwd(), dict(os.environ))
    begun: list[int] = []
    try:
        stalled_on = follow(latex, begun.append)
        assert (stalled_on is None) is finishes
        if not finishes:  # the student begun last, from 0; -1: none
            assert stalled_on == (students[-1] - 1 if students else -1)
    finally:
        latex.close()
    assert begun == students
    assert (latex.proc.wait() == 0) is finishes  # a stopped run was killed


def test_a_run_begun_by_a_student_is_blamed_on_them_though_no_page_shipped(tmp_path) -> None:
    """An auditor's: through a pipe, pdflatex's ``examgen-student K`` waited in its buffer until
    a page shipped out, so a student whose first page looped was blamed on the one before.
    Real pdflatex, looping in student 2's first page."""
    import os

    from generator.pdf import LatexProcess, follow, latex_command, latex_environment

    tex = tmp_path / "loop.tex"
    tex.write_text(
        "\\documentclass{article}\n\\begin{document}\n\\typeout{examgen-student 1}\nOne\\newpage\n"
        "\\typeout{examgen-student 2}\nTwo $\\def\\x{\\x}\\x$\n\\end{document}\n",
        encoding="utf-8",
    )
    if not generator.pdf.tex_available():
        pytest.skip("pdflatex is not installed")
    try:  # without pseudo-terminals (a bare container) a pipe is all there is
        for end in os.openpty():
            os.close(end)
    except OSError:
        pytest.skip("no pseudo-terminals here")
    generator.pdf.STALL_SECONDS, before = 3.0, generator.pdf.STALL_SECONDS
    latex = LatexProcess(latex_command(tex), tmp_path, latex_environment())
    begun: list[int] = []
    try:
        assert follow(latex, begun.append) == 1  # student 2's pages
    finally:
        latex.close()
        generator.pdf.STALL_SECONDS = before
        latex.proc.wait()
    assert begun == [1, 2], os.listdir(tmp_path)


def test_time_this_process_spent_stopped_is_not_the_runs(monkeypatch) -> None:
    """An auditor's: Ctrl-Z for longer than the limit, then fg, killed a build that was fine as
    "loops forever". The process's clock jumps as a stopped one's does, here."""
    import os
    import sys
    import time

    from generator.pdf import LatexProcess, follow

    monkeypatch.setattr(generator.pdf, "STALL_SECONDS", 3.0)
    real = time.monotonic
    jumps = {"at": real() + 0.5, "by": 10.0, "done": False}

    def clock() -> float:  # 10 s pass in an instant, as for a process stopped 10 s
        now = real()
        if now >= jumps["at"] and not jumps["done"]:
            jumps["done"] = True
            real_offset = jumps["by"]
            monkeypatch.setattr(generator.pdf.time, "monotonic", lambda: real() + real_offset)
            return now + real_offset
        return now

    # Student 2 begins 2.5 s after student 1 (under the limit); meanwhile, 10 s "pass".
    code = "import time\nfor k in (1, 2, 3):\n    print(f'examgen-student {k}', flush=True); time.sleep(2.5 * (k == 1))"
    latex = LatexProcess([sys.executable, "-c", code], Path.cwd(), dict(os.environ))
    monkeypatch.setattr(generator.pdf.time, "monotonic", clock)
    begun: list[int] = []
    try:
        assert follow(latex, begun.append) is None
    finally:
        latex.close()
    assert begun == [1, 2, 3] and latex.proc.wait() == 0


def test_the_readme_and_the_guide_give_the_time_a_looping_template_is_allowed() -> None:
    limit = f"{generator.pdf.STALL_SECONDS:g} s"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    assert f"is stopped when pdflatex has spent {limit} on one variant's" in readme
    assert f"is stopped after {limit} on one variant" in " ".join(guide.split())


def _stalling_runs(tmp_path: Path, monkeypatch, scripts: dict[str, str], default: str, jobs: int):
    """``jobs`` stand-in pdflatex runs, two at a time, with ``STALL_SECONDS`` at 2: job K runs
    the Python script ``scripts[str(K)]`` (``default`` where there is none), run to the end."""
    import sys

    from generator.pdf import Job, LatexRuns

    monkeypatch.setattr(generator.pdf, "STALL_SECONDS", 2.0)
    monkeypatch.setattr(
        generator.pdf,
        "latex_command",
        lambda tex, preloaded=None: [sys.executable, "-c", scripts.get(tex.parent.name, default)],
    )
    runs = LatexRuns(lambda job, tick: None, workers=2)
    for number in range(jobs):
        folder = tmp_path / str(number)
        folder.mkdir()
        runs.add(Job("handouts", "exams", folder / "part.tex", None, range(0)))  # type: ignore[arg-type]
    list(runs)
    runs.stop()
    return runs


def test_a_run_that_stalls_ends_every_other_run(tmp_path: Path, monkeypatch) -> None:
    """An auditor's: a template that loops in every part was waited out part after part,
    ``STALL_SECONDS`` each (300 students: 12 minutes to fail). The first stall ends the rest."""
    busy = "import time\nfor k in range(1, 200):\n    print(f'examgen-student {k}', flush=True)\n    time.sleep(0.2)"
    scripts = {"0": "while True: pass"}  # the first part begins no student, and loops
    runs = _stalling_runs(tmp_path, monkeypatch, scripts, busy, 5)
    assert runs.stalled[0] == -1 and runs.stalled[1:] == [None] * 4
    assert runs.returncodes[1] is not None and runs.returncodes[1] < 0  # killed, not run out
    assert runs.returncodes[2:] == [None] * 3  # never started


def test_the_first_job_that_stalls_is_named_whichever_stalls_first(tmp_path: Path, monkeypatch) -> None:
    """CI's: both documents' first parts looped, and the build named handouts or solutions as
    either stalled first. A later job's stall now waits for the earlier runs still going: here
    the second job stalls first, and the first one, which loops only after its third student,
    is the one named (its student too); no later job starts."""
    late = (
        "import time\nfor k in range(1, 4):\n    print(f'examgen-student {k}', flush=True)\n"
        "    time.sleep(0.8)\nwhile True: pass"
    )
    runs = _stalling_runs(tmp_path, monkeypatch, {"0": late, "1": "while True: pass"}, "", 4)
    assert runs.stalled[:2] == [2, -1] and runs.returncodes[2:] == [None] * 2
