"""Benchmark: Python CPU time per student of sampling/solving and of rendering (issue 13).

    python bench/bench_render.py [--students 300] [--repeat 3] [--spec specs/lecture-14-quiz.toml]

Two figures (and their sum), each in milliseconds of CPU per student, for the default quiz at
seed 42, the best of ``--repeat`` runs over successive students of one class:

- generate: ``build.generate_student`` (draw, solve, choices) for every student;
- render: the four documents a build writes per student (exam and solutions, LaTeX and
  Markdown, ``build.render_exam_document``) with the QR codes left out (``build.student_codes``
  replaced by a constant list: QR codes are benchmarked on their own).

Each figure is printed beside the baseline recorded on main before the speed-up of issue 13 (at
f7d8fdc, measured with this script on the same 2-core machine), as a ratio. Timings on a shared
machine are noisy: the ratios are reported, never asserted. To measure another revision side by
side, run this script from that revision's tree (``git archive REV | tar -x -C DIR``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

T = TypeVar("T")

#: ms of CPU per student on main before the speed-up (f7d8fdc), measured with this script (best
#: of 3 × 300 students) on the 2-core build machine, alternating with the sped-up code.
BASELINE_MS = {"generate": 2.12, "render": 3.15, "total": 5.30}
SEED = 42


def cpu_ms_per_student(run: Callable[[], T], count: int) -> tuple[float, T]:
    start = time.process_time()
    out = run()
    return (time.process_time() - start) * 1000 / count, out


def measure(spec: Any, students: list[Any]) -> dict[str, float]:
    """ms of CPU per student for generating ``students`` and for rendering their documents."""
    from generator import build
    from generator.render import FORMATS

    generate_ms, exams = cpu_ms_per_student(
        lambda: [build.generate_student(spec, SEED, s) for s in students], len(students)
    )

    def render_all() -> int:
        size = 0
        for exam in exams:
            for fmt in FORMATS:
                for show_solutions in (False, True):
                    size += len(build.render_exam_document(fmt, spec, [exam], show_solutions))
        return size

    render_ms, _ = cpu_ms_per_student(render_all, len(students))
    return {"generate": generate_ms, "render": render_ms, "total": generate_ms + render_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    parser.add_argument("--spec", default=str(ROOT / "specs" / "lecture-14-quiz.toml"))
    args = parser.parse_args()

    from generator import build
    from generator.roster import numbered_students
    from generator.spec import load_spec

    spec = load_spec(args.spec)
    build.student_codes = lambda *codes: ["qr"] * len(spec.slots)  # type: ignore[assignment]
    # Warm up (imports, banks, compiled templates) on a student of its own; then each run takes
    # the next students of the class, as a build goes on through a class.
    students = numbered_students(args.students * args.repeat + 1)
    measure(spec, students[-1:])
    runs = [
        measure(spec, students[i * args.students : (i + 1) * args.students])
        for i in range(args.repeat)
    ]
    best = {name: min(run[name] for run in runs) for name in runs[0]}

    print(f"CPU per student, best of {args.repeat} × {args.students} students, {spec.id}:")
    for name, value in best.items():
        before = BASELINE_MS[name]
        print(
            f"  {name:<9} {value:6.2f} ms  (main before: {before:.2f} ms: {before / value:.2f}×)"
        )


if __name__ == "__main__":
    main()
