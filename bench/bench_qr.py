"""Benchmark: the QR codes of a handout, milliseconds per student (goal: at most 0.4 ms).

Every student's part of a handout draws one QR code per possible page: ten for the default quiz's
seven questions (``student_codes``). This times them for a numbered class with the fast encoder
and, in the same run, with segno (``segno_tex_code``, the reference the fast encoder reproduces
byte for byte, checked here too), and prints both and the speedup. Each figure is the best of a
few rounds, the two measured in turn, so a shared machine's load weighs on both alike. Reported,
not asserted (a shared machine's speed varies): exits non-zero only if the codes differ.
Run from the project root: ``python3 bench/bench_qr.py [STUDENTS]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.paper.qr import (  # noqa: E402
    Payload,
    pages_bound,
    printed_digest,
    segno_tex_code,
    student_codes,
)
from generator.roster import numbered_students  # noqa: E402

GOAL_MS_PER_STUDENT = 0.4
EXAM = "lecture-14-quiz"
SEED = 42
QUESTIONS = 7
ROUNDS = 5
SEGNO_SHARE = 10  # segno is slow: it codes every tenth student


def printed(student: str) -> str:
    """A printed digest as the build makes one (here of the ID alone): every page's payload has
    one since the digest came in, 6 bytes longer than before."""
    return printed_digest([student])


def fast(students: list[str]) -> list[list[str]]:
    return [student_codes(EXAM, SEED, s, QUESTIONS, printed(s)) for s in students]


def reference(students: list[str]) -> list[list[str]]:
    return [
        [
            segno_tex_code(Payload(EXAM, SEED, page, student, printed(student)).text())
            for page in range(1, pages_bound(QUESTIONS) + 1)
        ]
        for student in students
    ]


def ms_per_student(encode, students: list[str]) -> float:
    started = time.perf_counter()
    encode(students)
    return (time.perf_counter() - started) * 1000 / len(students)


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    students = [s.id for s in numbered_students(count)]
    sample = students[::SEGNO_SHARE]
    if fast(sample) != reference(sample):
        print("bench_qr: FAILED, the fast codes differ from segno's")
        return 1
    fast_ms, segno_ms = [], []
    for _ in range(ROUNDS):
        fast_ms.append(ms_per_student(fast, students))
        segno_ms.append(ms_per_student(reference, sample))
    best, best_segno = min(fast_ms), min(segno_ms)
    print(
        f"bench_qr: {count} students × {pages_bound(QUESTIONS)} codes: "
        f"{best:.3f} ms per student (goal ≤ {GOAL_MS_PER_STUDENT} ms), "
        f"segno {best_segno:.2f} ms per student: {best_segno / best:.0f}× faster, "
        f"{count * best / 1000:.2f} s instead of {count * best_segno / 1000:.1f} s for the class"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
