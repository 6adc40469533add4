"""The benchmark scripts' own helpers (the figures themselves are never asserted: timings on a
shared machine are noisy)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent


def bench_module(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_speed():
    return bench_module("bench_speed")


def test_the_disk_probe_times_file_creation_and_deletes_nothing(tmp_path: Path) -> None:
    """bench_speed reports what creating a file costs where the builds write (README); its
    files stay until the benchmark's folder goes (deleting them would slow the next build)."""
    cost = bench_speed().file_creation_ms(tmp_path / "probe", count=20)
    assert cost >= 0
    assert len(list((tmp_path / "probe").iterdir())) == 20


def test_bench_speed_builds_where_it_is_told() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_speed.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--dir" in result.stdout


def test_a_forked_childs_shared_pages_count_once_in_the_trees_memory() -> None:
    """A child forked before its ``exec`` shares its parent's pages: the tree's memory counts
    them once (proportional set sizes), not once per process as resident sizes would."""
    if not Path("/proc/self/smaps_rollup").exists():
        return
    script = (
        "import os, sys, time\n"
        "block = bytearray(64 * 1024 * 1024)\n"  # 64 MB the child shares after fork
        "for i in range(0, len(block), 4096): block[i] = 1\n"
        "if os.fork() == 0:\n"
        "    time.sleep(5); os._exit(0)\n"
        "print('ready', flush=True); time.sleep(5)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        module = bench_speed()
        resident = sum(
            int(line.split()[1])
            for pid in (proc.pid, *child_pids(proc.pid))
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        memory = module.tree_memory_kb(proc.pid)
        assert memory > 64 * 1024  # the block, once
        assert memory < resident - 48 * 1024  # not twice
    finally:
        proc.kill()
        proc.wait()


def child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in children.read_text().split()]


def test_make_bench_runs_bench_speed_first_then_every_other_benchmark(tmp_path: Path) -> None:
    """README: bench_speed runs before the benchmarks whose deleted files would slow its writes."""
    stamp = tmp_path / "installed"  # newer than pyproject.toml: nothing to install
    stamp.touch()
    result = subprocess.run(
        ["make", "-n", "-s", "bench", f"STAMP={stamp}"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    loop = next(line for line in result.stdout.splitlines() if "for f in" in line)
    listed = loop.split("for f in", 1)[1].split("; do", 1)[0].split()
    expected = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "bench").glob("bench_*.py"))
    assert listed[0] == "bench/bench_speed.py"
    assert sorted(listed) == expected


def test_bench_speed_times_examgen_byte_compiled_whatever_the_environment() -> None:
    """A timed process reads examgen's bytecode cache instead of compiling its modules, even
    with PYTHONDONTWRITEBYTECODE set (as on this project's machines), so the figures are those
    of an installed examgen."""
    assert bench_speed().compile_package()
    probe = (
        "import importlib._bootstrap_external as b, sys\n"
        "compiled = []\n"
        "original = b.SourceLoader.source_to_code\n"
        "def source_to_code(self, data, path, *args, **kwargs):\n"
        "    compiled.append(path)\n"
        "    return original(self, data, path, *args, **kwargs)\n"
        "b.SourceLoader.source_to_code = source_to_code\n"
        "import generator.build, generator.families\n"
        "generator.families.registry()\n"
        "print(len(sys.modules), [p for p in compiled if 'generator' in p])\n"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    modules, compiled = result.stdout.split(" ", 1)
    assert int(modules) > 100 and compiled.strip() == "[]"


def test_bench_speed_times_builds_with_their_templates_already_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After ``warm_templates`` a timed build loads every template from examgen's cache, as
    it would on a machine where examgen ran before: the first of the timed builds does not
    pay for compiling them alone."""
    from tests.test_template_cache import build_args, compiled_templates

    cache = str(tmp_path / "cache")
    monkeypatch.setenv("EXAMGEN_CACHE_DIR", cache)
    bench_speed().warm_templates(tmp_path / "warm")
    assert compiled_templates(build_args(tmp_path / "timed"), cache) == []
    assert compiled_templates(build_args(tmp_path / "cold"), cache + "-empty") != []


def blank_pdf(path: Path, pages: int) -> None:
    import pikepdf

    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.save(path)


def test_the_r_exams_rows_count_both_documents_pages(tmp_path: Path) -> None:
    """The R/exams rows name every page the build typeset: handouts and solutions."""
    for name, pages in (("handouts.pdf", 3), ("solutions.pdf", 5)):
        blank_pdf(tmp_path / name, pages)
    assert bench_speed().document_pages(tmp_path) == 8


def test_each_students_pages_are_their_handout_and_solutions_in_roster_order(
    tmp_path: Path,
) -> None:
    """The like-for-like R/exams row counts a student's pages in both documents."""
    for stem, handout, solutions in (("s002", 1, 4), ("s001", 2, 3), ("s010", 6, 1)):
        blank_pdf(tmp_path / "exams" / f"{stem}.pdf", handout)
        blank_pdf(tmp_path / "solutions" / f"{stem}.pdf", solutions)
    assert bench_speed().student_pages(tmp_path) == [5, 5, 7]


@given(st.lists(st.integers(0, 20), max_size=30), st.integers(1, 200))
def test_the_like_for_like_class_is_the_fewest_students_reaching_the_pages(
    pages: list[int], wanted: int
) -> None:
    module = bench_speed()
    if sum(pages) < wanted:
        with pytest.raises(SystemExit, match=f"fewer than {wanted}"):
            module.students_for_pages(pages, wanted)
        return
    count = module.students_for_pages(pages, wanted)
    assert sum(pages[:count]) >= wanted > sum(pages[: count - 1])


@pytest.mark.pdf
def test_bench_speeds_preloaded_bare_runs_start_from_the_formats_the_warm_build_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The like-for-like bare pass: after ``warm_templates(pdf=True)`` each part's format is in
    the cache, so no timed run dumps one, and the bare runs start from them and typeset what
    the build typeset; with the cache off there are none to start from, which it says."""
    module = bench_speed()
    cache = tmp_path / "cache"
    monkeypatch.setenv("EXAMGEN_CACHE_DIR", str(cache))
    module.warm_templates(tmp_path / "warm", pdf=True)
    made = sorted((cache / "formats").glob("*.fmt"))
    assert len(made) == 2  # handouts and solutions
    folder = tmp_path / "warm" / module.FOLDER
    parts = module.write_parts(folder, tmp_path / "parts")
    module.bare_pdflatex(parts, 2, preloaded=True)
    assert sorted((cache / "formats").glob("*.fmt")) == made
    for part in parts:
        log = part.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
        assert "(preloaded format=examgen-preamble " in log
    handouts = (tmp_path / "parts" / "handouts-1.pdf").read_bytes()
    assert handouts == (folder / "handouts.pdf").read_bytes()  # one part: the whole document
    monkeypatch.setenv("EXAMGEN_CACHE_DIR", "")
    with pytest.raises(SystemExit, match="cache"):
        module.bare_pdflatex(parts, 1, preloaded=True)


@pytest.mark.pdf  # with TeX in place, make bench's install-tex step does nothing
def test_make_bench_runs_every_benchmark_and_names_those_that_missed(tmp_path: Path) -> None:
    """One benchmark failing or missing its goal (bench_check exits 1) does not stop the others;
    make bench names it at the end and exits non-zero. Run with a stand-in interpreter that
    records each script and fails bench_check."""
    calls = tmp_path / "calls"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text(
        f'#!/bin/sh\necho "$1" >> {calls}\ncase "$1" in *bench_check.py) exit 1;; esac\n'
    )
    (fake / "python").chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "bench", f"BIN={fake}", "STAMP="],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    ran = calls.read_text().split()
    scripts = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bench").glob("bench_*.py"))
    assert ran[0] == "bench/bench_speed.py" and sorted(ran) == scripts
    assert "make bench: failed or missed a goal: bench/bench_check.py" in result.stdout


def test_bench_qr_runs_on_the_codes_the_build_draws() -> None:
    """bench_qr calls the build's own ``student_codes``: when its signature changed (the printed
    digest), the benchmark broke unnoticed, since make bench had stopped before it."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_qr.py"), "20"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bench_qr: 20 students × 10 codes")


def test_a_commands_cpu_counts_the_processes_it_starts() -> None:
    """The CPU row of bench_speed (README) counts the build's pdflatex runs: a command's CPU
    includes its children's, once it has waited for them."""
    module = bench_speed()
    module.CPU.clear()
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    parent = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {burn!r}])\n"
    module.run([sys.executable, "-c", parent], label="parent")
    (cpu,) = module.CPU["parent"]
    assert cpu >= 0.3


seconds = st.floats(0.01, 1000, allow_nan=False)


@given(seconds, seconds, seconds, st.integers(1, 64), st.floats(1, 10))
def test_no_batched_build_beats_bench_pdfs_ceiling(
    python_s: float, per_student_latex_s: float, bare_s: float, cores: int, slower: float
) -> None:
    """bench_pdf's ceiling for issue 4's ratio: a batched build whose LaTeX takes the bare pass
    split over its cores reaches it, one whose LaTeX takes longer stays below; a faster bare pass
    raises it."""
    ceiling = bench_module("bench_pdf").per_student_ceiling
    best = ceiling(python_s, per_student_latex_s, bare_s, cores)

    def achieved(batched_latex: float) -> float:
        return (python_s + per_student_latex_s) / (python_s + batched_latex)

    assert achieved(bare_s / cores) == pytest.approx(best, rel=1e-12)
    assert achieved(slower * bare_s / cores) <= best * (1 + 1e-12)
    assert ceiling(python_s, per_student_latex_s, bare_s / 2, cores) > best
