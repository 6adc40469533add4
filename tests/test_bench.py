"""The benchmark scripts' own helpers (the figures themselves are never asserted: timings on a
shared machine are noisy)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench_speed():
    spec = importlib.util.spec_from_file_location("bench_speed", ROOT / "bench" / "bench_speed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_disk_probe_times_file_creation_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """bench_speed reports what creating a file costs where the builds write (README)."""
    cost = bench_speed().file_creation_ms(tmp_path, count=20)
    assert cost >= 0
    assert list(tmp_path.iterdir()) == []


def test_bench_speed_builds_where_it_is_told() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_speed.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--dir" in result.stdout
