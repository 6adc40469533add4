"""Benchmark: `examgen scan` pages per second at 200 dpi (goal: at least 5 on 2 cores).

Builds the default quiz with PDFs for a class, marks every bubble question of every page the way
the scan tests do (tests/scan_synth.py), scans them at 200 dpi turned and shifted, half as JPEG
files and half as a PDF of JPEGs, and reads them back with one worker per core. Reported, not
asserted (a shared machine's speed varies): exits non-zero only if a page is misread.
Run from the project root: ``python3 bench/bench_scan.py [STUDENTS]``.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pypdfium2  # noqa: E402

from generator.build import build  # noqa: E402
from generator.paper.scan import scan  # noqa: E402
from generator.roster import numbered_students  # noqa: E402
from generator.spec import DEFAULT_SPEC, load_spec  # noqa: E402
from tests.scan_synth import random_distortion, save, sheets_of, synthetic_page  # noqa: E402

GOAL_PAGES_PER_SECOND = 5.0
DPI = 200


def main() -> int:
    if shutil.which("pdflatex") is None:
        print("bench_scan: skipped (pdflatex not found; run scripts/install-tex)")
        return 0
    students = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        folder = build(
            load_spec(DEFAULT_SPEC), 42, numbered_students(students), Path(tmp), pdf=True
        )
        rng = np.random.default_rng(0)
        pdf = pypdfium2.PdfDocument(folder / "handouts.pdf")
        pages = []
        for sheet in sheets_of(folder)["pages"]:
            d = random_distortion(rng, DPI)
            d.jpeg = None  # saved as JPEG below
            pages.append(synthetic_page(folder, pdf, sheet, d, rng))
        scans = Path(tmp) / "scans"
        half = len(pages) // 2
        save([p.image for p in pages[:half]], scans, "page", "jpg")
        save([p.image for p in pages[half:]], scans, "batch", "pdf")
        cores = os.cpu_count() or 1
        started = time.perf_counter()
        result = scan(folder, [scans], Path(tmp) / "responses.csv", jobs=cores)
        seconds = time.perf_counter() - started
        with open(result.responses, encoding="utf-8", newline="") as f:
            responses = {row["id"]: row for row in csv.DictReader(f)}
        flagged = {(r.student, r.question) for r in result.rows if r.question != ""}
        wrong = sum(
            1
            for p in pages
            for q, want in p.expected.items()
            if responses[p.student][f"q{q}"] != want.value
            or ((p.student, q) in flagged) != (want.problem is not None)
        )
    rate = len(pages) / seconds
    print(
        f"bench_scan: {len(pages)} pages at {DPI} dpi ({students} students) in {seconds:.1f} s "
        f"with {cores} workers: {rate:.1f} pages/s (goal >= {GOAL_PAGES_PER_SECOND:.0f}); "
        f"{wrong} questions read differently from how they were marked"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
