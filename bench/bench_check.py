"""Benchmark: `examgen check --variants 1000` over every registered family.

The issue's goal is "well under a minute"; this prints the time per family and in total, and exits
non-zero if the check fails or the total exceeds GOAL_SECONDS, so `make bench` names it at the end
(after running every other benchmark). As `examgen check` does, one process per core available
checks each family's variants; the time per variant is the time one variant takes to generate.
Run from the project root: ``python3 bench/bench_check.py [VARIANTS]``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.check import check, targets_for  # noqa: E402
from generator.pdf import available_cores  # noqa: E402

GOAL_SECONDS = 60.0


def main() -> int:
    variants = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    started = time.perf_counter()
    report = check(targets_for(), variants=variants, seed=0)
    total = time.perf_counter() - started
    for family in report.families:
        print(
            f"  {family.target.label:<34} {family.seconds:6.2f} s"
            f"  ({family.ms_per_variant:.2f} ms/variant to generate, {family.tries} tries)"
        )
    status = "check OK" if report.ok else f"check FAILED ({len(report.failures)} failures)"
    goal = "met" if total < GOAL_SECONDS else "missed"
    print(
        f"bench_check: check --variants {variants} over {len(report.families)} families, "
        f"{available_cores()} processes: "
        f"{total:.1f} s (goal < {GOAL_SECONDS:.0f} s: {goal}); {status}"
    )
    return 0 if report.ok and total < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
