"""Benchmark: cutting per-student PDFs out of typeset parts, and joining the parts (issue 13).

    python bench/bench_cut.py [--parts 120] [--repeat 5]

Before and after are measured back to back in one run, on the same parts:
- before: what the build did until now, qpdf through pikepdf (a new document per student, its
  pages copied in and saved; the join opened every part, copied all pages into one document and
  saved it to memory before writing it);
- after: ``generator.pdf_split`` (each part's objects serialised once for its students, a join
  that reads one part at a time and writes as it goes).

Figures: CPU per student of the cut (this process's user + system time; each part's least of
``--repeat`` cuts, since the machine may be shared), and the peak resident memory and CPU of
joining ``--parts`` parts (a 3,000-student class is 120 parts of 25) in a fresh process
each. The parts are real: a 50-student class typeset once (2 parts of handouts, 2 of
solutions), reused in turn to make up ``--parts``.
Goals, printed, never asserted: the cut at least 3x less CPU per student; the join's memory flat
in the number of parts (the build's whole process tree under 300 MB at 3,000 students).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pikepdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_speed import EXAMGEN, FOLDER, bare_pdflatex, write_parts  # noqa: E402

from generator.pdf import CHUNK  # noqa: E402
from generator.pdf_split import join_pdfs, split_pdf, student_ranges  # noqa: E402, F401


def qpdf_split(path: Path, dests: Sequence[Path]) -> None:
    """The cut before: one new document per student, saved by qpdf."""
    with pikepdf.open(path) as pdf:
        for pages, dest in zip(student_ranges(pdf, len(dests)), dests, strict=True):
            student = pikepdf.new()
            student.pages.extend(pdf.pages[pages.start : pages.stop])
            buffer = io.BytesIO()
            student.save(buffer, deterministic_id=True)
            with buffer.getbuffer() as view:
                dest.write_bytes(view)


def qpdf_join(parts: Sequence[Path], dest: Path) -> None:
    """The join before: every part open at once, one document in memory."""
    sources = [pikepdf.open(part) for part in parts]
    whole = pikepdf.new()
    for source in sources:
        whole.pages.extend(source.pages)
    buffer = io.BytesIO()
    whole.save(buffer, deterministic_id=True)
    with buffer.getbuffer() as view:
        dest.write_bytes(view)


# Joins ``parts`` (one path a line on stdin) with the named method in a fresh process.
CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[3], sys.argv[3] + "/bench"]
import bench_cut
join = bench_cut.qpdf_join if sys.argv[1] == "before" else bench_cut.join_pdfs
parts = [Path(line) for line in sys.stdin.read().splitlines()]
start = time.process_time()
join(parts, Path(sys.argv[2]))
seconds = time.process_time() - start
print(json.dumps({"kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "cpu": seconds}))
"""


def cut_cpu(
    split: Callable[[Path, Sequence[Path]], object], parts: list[Path], out: Path, repeat: int
) -> float:
    """CPU seconds per student to cut the parts into fresh files: for each part the least of
    ``repeat`` cuts (other processes only ever add time), summed."""
    total = 0.0
    for part in parts:
        samples = []
        for attempt in range(repeat):
            folder = out / f"{part.stem}-{attempt}"
            folder.mkdir(parents=True)
            start = time.process_time()
            split(part, [folder / f"{k}.pdf" for k in range(CHUNK)])
            samples.append(time.process_time() - start)
        total += min(samples)
    return total / (CHUNK * len(parts))


def join_child(method: str, parts: list[Path], dest: Path) -> dict[str, float]:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, method, str(dest), str(ROOT)],
        input="\n".join(map(str, parts)),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(child.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=120, help="parts joined (120: 3,000 students)")
    parser.add_argument("--repeat", type=int, default=5, help="best of R (shared machines)")
    args = parser.parse_args()
    from generator.pdf import available_cores, tex_available

    if not tex_available():
        print("bench_cut: pdflatex not found; run scripts/install-tex")
        return
    with tempfile.TemporaryDirectory(prefix="examgen-cut-") as tmp:
        tmp_path = Path(tmp)
        command = [*EXAMGEN, "build", "--seed", "42", "--count", str(2 * CHUNK), "--no-pdf", "-q"]
        subprocess.run(
            [*command, "--out", str(tmp_path / "class")],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        sources = write_parts(tmp_path / "class" / FOLDER, tmp_path / "parts")
        bare_pdflatex(sources, available_cores())
        parts = [tex.with_suffix(".pdf") for tex in sources]

        cut_before = cut_cpu(qpdf_split, parts, tmp_path / "before", args.repeat)
        cut_after = cut_cpu(split_pdf, parts, tmp_path / "after", args.repeat)
        same = all(
            (tmp_path / "before" / f"{part.stem}-0" / f"{k}.pdf").read_bytes()
            == (tmp_path / "after" / f"{part.stem}-0" / f"{k}.pdf").read_bytes()
            for part in parts
            for k in range(CHUNK)
        )

        handouts = [p for p in parts if p.name.startswith("handouts")]
        joined = [handouts[k % len(handouts)] for k in range(args.parts)]
        small = joined[: max(2, args.parts // 10)]
        joins = {
            (method, len(chosen)): join_child(method, chosen, tmp_path / f"{method}.pdf")
            for method in ("before", "after")
            for chosen in (small, joined)
        }

    print(f"cut, CPU per student ({len(parts)} parts of {CHUNK}, each the best of {args.repeat})")
    print(f"  before (qpdf copy and save)   {cut_before * 1000:6.2f} ms")
    print(f"  after (generator.pdf_split)   {cut_after * 1000:6.2f} ms")
    print(f"  before / after                {cut_before / cut_after:6.2f}x   goal >= 3x")
    print(f"  per-student files byte-identical before and after: {'yes' if same else 'NO'}")
    print("join, peak memory of a fresh process (CPU)")
    for count in (len(small), len(joined)):
        b, a = joins["before", count], joins["after", count]
        print(
            f"  {count:4d} parts ({count * CHUNK:5d} students)  before {b['kb'] / 1024:6.0f} MB "
            f"({b['cpu']:5.1f} s)   after {a['kb'] / 1024:5.0f} MB ({a['cpu']:4.1f} s)   "
            f"before / after {b['kb'] / a['kb']:4.1f}x"
        )
    growth = joins["after", len(joined)]["kb"] / joins["after", len(small)]["kb"]
    print(f"  after: {len(joined)} parts / {len(small)} parts peak {growth:.2f}x   goal: flat")


if __name__ == "__main__":
    main()
