"""Benchmark: a class's handouts end to end, against the two baselines the design is judged by.

    python bench/bench_pdf.py [--students 300] [--sample 20]

One run measures, on the same generated exams:
- end to end: a fresh Python process (imports included) building N students with PDFs
  (.tex, .md, keys, handouts.pdf, solutions.pdf, 2N per-student PDFs), and the time of each phase
  inside it (sampling and solving, rendering, LaTeX, splitting), with its peak memory;
- one bare pdflatex pass over the same pages (handouts.tex and solutions.tex, one after the other);
- one LaTeX process per student (exam and solutions), timed on ``--sample`` students and scaled.

Each of the first two is the best of ``--repeat`` runs, since the machine may be shared.
Targets (issue 4), reported, never asserted: at least 20x faster than a process per student.
Beside it, the ratio the batched build would reach with its LaTeX at its best (the bare pass
split evenly over the cores, nothing cut or joined): today's pages bound it, not the build.
The bare pass here is one process: ``bench_speed.py`` compares the build with pdflatex alone on
the same parts and cores (issue 13), and measures the whole process tree's memory.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The steps of generator.build.build, timed one by one, in a fresh process (imports included).
CHILD = """
import json, resource, sys, time
start = time.perf_counter()
from pathlib import Path
from generator import build as b
from generator.files import staged_directory
from generator.pdf import build_pdfs
from generator.roster import numbered_students
from generator.spec import DEFAULT_SPEC, load_spec
phases = {"python start + imports": time.perf_counter() - start}
def timed(items, label):
    t = time.perf_counter()
    yield from items
    phases[label] = phases.get(label, 0.0) + time.perf_counter() - t
spec, seed, students = load_spec(DEFAULT_SPEC), 42, numbered_students(int(sys.argv[1]))
exams = b.generate_exams(spec, seed, students, timed)
with staged_directory(Path(sys.argv[2]) / b.exam_dir_name(spec, seed)) as staging:
    b.write_exam_files(staging, spec, seed, exams, timed)
    t = time.perf_counter()
    steps = build_pdfs(staging, b.pdf_students(exams))
    phases["PDFs (wall)"] = time.perf_counter() - t
    phases.update({f"  {step}": seconds for step, seconds in steps.items()})
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"phases": phases, "self_kb": rss}))
"""


def pdflatex(tex: Path) -> tuple[float, int]:
    """Seconds for one pdflatex run, and its peak resident memory in kB (polled from /proc:
    rusage would count the parent's pages that fork shares before exec)."""
    from generator.pdf import latex_command, latex_environment

    start = time.perf_counter()
    proc = subprocess.Popen(
        latex_command(tex), cwd=tex.parent, env=latex_environment(), stdout=subprocess.DEVNULL
    )
    peak = 0
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            hwm = re.search(r"VmHWM:\s+(\d+)", status.read_text())
            peak = max(peak, int(hwm.group(1))) if hwm else peak
        except OSError:
            pass
        time.sleep(0.02)
    if proc.returncode:
        raise SystemExit(f"pdflatex failed on {tex}")
    return time.perf_counter() - start, peak


def per_student_ceiling(
    python_s: float, per_student_latex_s: float, bare_s: float, cores: int
) -> float:
    """The ratio "per-student build / batched build" if the batched build's LaTeX took only the
    one-core bare pass split evenly over its cores (no part's preamble, no cutting, no join),
    the same Python work in both. A student's own pdflatex run pays a start and a preamble,
    but mostly their pages since one question per page and an answer sheet: the pages, which
    every build must typeset, bound the ratio, whatever the build does around them."""
    return (python_s + per_student_latex_s) / (python_s + bare_s / cores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument(
        "--repeat", type=int, default=3, help="best of R builds and bare passes (shared machines)"
    )
    args = parser.parse_args()
    from generator.pdf import available_cores, batch_document, student_parts, tex_available

    if not tex_available():
        print("bench_pdf: pdflatex not found; run scripts/install-tex")
        return
    n = args.students
    with tempfile.TemporaryDirectory(prefix="examgen-bench-") as tmp:
        tmp_path = Path(tmp)
        best = None
        for attempt in range(args.repeat):
            out = tmp_path / f"out{attempt}"
            start = time.perf_counter()
            child = subprocess.run(
                [sys.executable, "-c", CHILD, str(n), str(out)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            seconds = time.perf_counter() - start
            if best is None or seconds < best[0]:
                best = (seconds, json.loads(child.stdout.strip().splitlines()[-1]))
        end_to_end, report = best
        folder = out / "lecture-14-quiz-seed42"

        bare = tmp_path / "bare"
        bare.mkdir()
        bare_time, latex_kb = 0.0, 0
        for name, sub in (("handouts", "exams"), ("solutions", "solutions")):
            files = sorted((folder / sub).glob("*.tex"))
            batch = batch_document([f.read_text(encoding="utf-8") for f in files], files)
            (bare / f"{name}.tex").write_text(batch.text, encoding="utf-8")
            runs = [pdflatex(bare / f"{name}.tex") for _ in range(args.repeat)]
            bare_time += min(seconds for seconds, _ in runs)
            latex_kb = max(latex_kb, *(kb for _, kb in runs))

        single = tmp_path / "single"
        single.mkdir()
        sample = sorted((folder / "exams").glob("*.tex"))[: args.sample]
        per_student = 0.0
        for tex in sample:
            for sub in ("exams", "solutions"):
                copy = single / f"{sub}-{tex.name}"
                copy.write_text((folder / sub / tex.name).read_text(encoding="utf-8"), "utf-8")
                per_student += pdflatex(copy)[0]
        per_student_scaled = per_student / len(sample) * n

    phases = report["phases"]
    pdf_phase = phases["PDFs (wall)"]
    # What a process-per-student build would take: the same Python work, LaTeX per student.
    python_share = end_to_end - pdf_phase
    per_student_build = python_share + per_student_scaled
    # Python plus as many parts at once as there are cores (--jobs' default), each bounded by a
    # whole document's run.
    concurrent = min(2 * len(student_parts(n)), available_cores())
    peak_mb = (report["self_kb"] + concurrent * latex_kb) / 1024
    print(f"{n} students, handouts + solutions + {2 * n} per-student PDFs")
    for label, seconds in phases.items():
        print(f"  {label:<25} {seconds:7.2f} s")
    print(f"  end to end                {end_to_end:7.2f} s")
    print(f"  bare pdflatex pass        {bare_time:7.2f} s  (handouts.tex + solutions.tex)")
    print(
        f"  one process per student   {per_student_scaled:7.2f} s  LaTeX alone "
        f"({len(sample)} students x 2 documents timed, scaled to {n})"
    )
    print(
        f"  peak memory               {peak_mb:7.0f} MB (python {report['self_kb'] / 1024:.0f} MB"
        f" + {concurrent} x pdflatex at most {latex_kb / 1024:.0f} MB)"
    )
    print(
        f"end to end / 1-core bare pass:        {end_to_end / bare_time:5.2f}x  "
        "(not same-cores: bench_speed.py gives the honest ratio)"
    )
    print(
        f"per-student build / batched build:    {per_student_build / end_to_end:5.1f}x  "
        "(target >= 20x; end to end)"
    )
    ceiling = per_student_ceiling(python_share, per_student_scaled, bare_time, concurrent)
    print(
        f"  ceiling: its bare pass split over {concurrent} cores: {ceiling:5.1f}x  "
        "(the build's LaTeX at its best: no parts' preambles, no cutting)"
    )
    print(
        f"per-student LaTeX / batched PDF phase: {per_student_scaled / pdf_phase:5.1f}x  "
        "(LaTeX and cutting only)"
    )
    print(f"peak memory:                          {peak_mb:5.0f} MB (target < 300 MB)")


if __name__ == "__main__":
    main()
