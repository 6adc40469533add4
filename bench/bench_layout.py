"""Benchmark and check: the fixed layout for a class of 300 (the issue's "done when").

Builds the default quiz (layout "fixed") with PDFs for 300 students and checks, with the same
reading of sheets.json as tests/test_fixed_layout.py, that every question's block, bubbles and
answer boxes sit on one page at one position (within 1 pt) for every student, and that every
student has as many pages. Reports the build time; exits non-zero if a position differs.
Run from the project root: ``python3 bench/bench_layout.py [STUDENTS]``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import build  # noqa: E402
from generator.roster import numbered_students  # noqa: E402
from generator.spec import DEFAULT_SPEC, load_spec  # noqa: E402
from tests.test_fixed_layout import spread  # noqa: E402


def main() -> int:
    if shutil.which("pdflatex") is None:
        print("bench_layout: skipped (pdflatex not found; run scripts/install-tex)")
        return 0
    students = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        folder = build(
            load_spec(DEFAULT_SPEC), 42, numbered_students(students), Path(tmp), pdf=True
        )
        seconds = time.perf_counter() - start
        sheets = json.loads((folder / "sheets.json").read_text(encoding="utf-8"))
    counts = {p["sheet_pages"] for p in sheets["pages"]}
    found = spread(sheets)
    bad = {w: v for w, v in found.items() if v[0] != 1 or v[1] > 1.0}
    print(
        f"bench_layout: {students} students built in {seconds:.1f} s; {len(found)} positions "
        f"(question blocks, bubbles, boxes) checked; page counts {sorted(counts)}; "
        f"{len(bad)} differ"
    )
    for what, (pages, distance, _) in sorted(bad.items())[:10]:
        print(f"  {what}: on {pages} pages, {distance:.2f} pt apart")
    return 1 if bad or len(counts) != 1 else 0


if __name__ == "__main__":
    sys.exit(main())
