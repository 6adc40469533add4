"""Benchmark: examgen against the physical limit, pdflatex itself (issue 13).

    python bench/bench_speed.py [--students 1000] [--repeat 2] [--memory 3000 (0: skip)] [--dir D]

Every figure is a ratio of two timings taken back to back in the same run (the machine may be
shared, so each side is the best of ``--repeat``):

- 1,000 students with PDFs (a fresh ``examgen build`` process, imports included) ÷ pdflatex alone
  over the same pages on the same cores: the very ``.tex`` parts the build typesets
  (``generator.pdf.student_parts`` of the per-student files it wrote), run by bare pdflatex,
  ``available_cores()`` at a time, as ``build --jobs`` does by default. The build's runs start
  from formats of their preambles (``generator.preloaded_preamble``), which bare pdflatex does
  not have; so, for context, the same bare runs from those formats too: like for like;
- the same in CPU seconds of the whole process trees (the build and its pdflatex runs against the
  bare runs), for context: what the build does beyond typesetting, apart from how well the runs
  fill the cores, which a shared machine's other load shifts from run to run;
- peak memory of the whole process tree (the build and every pdflatex it starts), sampled from
  ``/proc``, for the same build and, with ``--memory N``, for an N-student build;
- 1,000 students without PDFs (``--jobs`` default: one process per core) ÷ one bare pdflatex
  pass over 300 pages;
- ``examgen --help`` in a fresh process;
- 100 students with PDFs against R/exams' ``exams2pdf`` as last measured side by side (72.2 s for
  the same seven questions and 600 pages; R is not a dependency, so that figure is recorded),
  and, for context: the ceiling, the ratio bare pdflatex alone would reach on the build's own
  parts (and from the build's formats: no build can beat that without typesetting other
  bytes), and like for like: today's fixed layout prints more pages (one question per page
  and an answer sheet: 1,600 for 100 students), so the whole-build ratio compares unequal work;
  the same questions built for the fewest students whose documents reach R/exams' 600 pages
  compare the same amount of typesetting, fixed costs (imports, formats) included, which a
  ratio per page would leave out.

examgen is byte-compiled first (``compile_package``), as an installed package is: pip compiles
what it installs, but not an editable install's source tree, and with ``PYTHONDONTWRITEBYTECODE``
set Python never writes the cache itself, so every timed process would compile examgen's modules
again (about 0.06 s of each start here). A one-student build then fills examgen's cache of
compiled templates and the formats of its preambles (``warm_templates``), as any earlier use of
examgen on the machine has: else the first timed build alone would compile them (about 0.09 s)
and dump the formats (about 0.4 s of CPU each).

Goals are printed beside the figures, never asserted: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import compileall
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXAMGEN = [sys.executable, "-m", "generator"]
R_EXAMS_SECONDS = 72.2  # exams2pdf, 100 students, 600 pages (issue 13, measured side by side)
R_EXAMS_PAGES = 600
FOLDER = "lecture-14-quiz-seed42"
_PSS = re.compile(rb"^Pss:\s+(\d+) kB", re.M)
_RSS = re.compile(rb"VmRSS:\s+(\d+) kB")


def tree_memory_kb(root: int) -> int:
    """Memory of ``root`` and all its descendants, in kB, from /proc: each process's proportional
    set size (a page shared by n processes counts 1/n to each), so the sum counts every page
    once. Resident sizes would count a page twice while a child forked to start pdflatex still
    shares the build's pages before its ``exec`` (a 1,000-student build sampled at 264 MB that
    way, two 114 MB "python" processes, where its memory was about 200 MB). Kernels without
    ``smaps_rollup`` give resident sizes."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_bytes()
        except OSError:
            continue
        fields = text[text.rfind(b")") + 2 :].split()
        parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [c for c, p in parents.items() if p == pid]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            match = _PSS.search(Path(f"/proc/{pid}/smaps_rollup").read_bytes())
        except OSError:
            match = None
        if match is None:
            try:
                match = _RSS.search(Path(f"/proc/{pid}/status").read_bytes())
            except OSError:
                continue
        total += int(match.group(1)) if match else 0
    return total


def compile_package() -> bool:
    """Write examgen's bytecode cache (its own families' modules included); True if every module
    compiled. Python reads the cache whatever ``PYTHONDONTWRITEBYTECODE`` says, and ignores an
    entry whose source has changed since."""
    return bool(compileall.compile_dir(ROOT / "generator", quiet=1))


def warm_templates(folder: Path, pdf: bool = False) -> None:
    """Every template a build renders compiled into examgen's template cache (see
    ``generator.template_cache``), by a one-student build into ``folder``; with ``pdf``, the
    formats of its documents' preambles made too (``generator.preloaded_preamble``)."""
    build(folder, 1, pdf=pdf)


def children_cpu() -> float:
    """CPU seconds (user and kernel) of every process this one has waited for, and theirs: a
    build's pdflatex runs count in the build's figure once the build ends."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: CPU seconds of the process trees run by ``run`` and ``bare_pdflatex``, by label, in run order.
CPU: dict[str, list[float]] = {}


def run(
    command: Sequence[str], cwd: Path | None = None, memory: bool = False, label: str = ""
) -> tuple[float, int]:
    """Wall seconds of ``command`` and (with ``memory``) its process tree's peak memory in kB;
    its tree's CPU seconds go to ``CPU[label]`` (by default, the command line)."""
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd or ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    if memory:
        while proc.poll() is None:
            peak = max(peak, tree_memory_kb(proc.pid))
            time.sleep(0.05)
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    CPU.setdefault(label or " ".join(command), []).append(children_cpu() - cpu)
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{err.decode(errors='replace')}")
    return seconds, peak


def build(out: Path, students: int, pdf: bool, memory: bool = False) -> tuple[float, int]:
    flag = "--pdf" if pdf else "--no-pdf"
    command = [*EXAMGEN, "build", "--seed", "42", "--count", str(students), flag, "-q"]
    return run([*command, "--out", str(out)], memory=memory, label=build_label(students, pdf))


def build_label(students: int, pdf: bool) -> str:
    return f"build {students} {'pdf' if pdf else 'no-pdf'}"


def write_parts(folder: Path, work: Path) -> list[Path]:
    """The build's own pdflatex inputs: each batched document cut into ``student_parts``."""
    from generator.pdf import DOCUMENTS, batch_document, student_parts

    stems = sorted(p.stem for p in (folder / "exams").glob("*.tex"))
    work.mkdir()
    parts = []
    for name, sub, _ in DOCUMENTS:
        for part, members in enumerate(student_parts(len(stems)), start=1):
            files = [folder / sub / f"{stems[i]}.tex" for i in members]
            batch = batch_document([f.read_text(encoding="utf-8") for f in files], files)
            tex = work / f"{name}-{part}.tex"
            tex.write_text(batch.text, encoding="utf-8")
            parts.append(tex)
    return parts


def bare_pdflatex(parts: Sequence[Path], workers: int, preloaded: bool = False) -> float:
    """Wall seconds for bare pdflatex over ``parts``, ``workers`` processes at once; with
    ``preloaded``, each run starts from the format of its preamble that the build uses (made
    beforehand, in examgen's cache) as the build's runs do."""
    from generator.pdf import BEGIN, latex_command, latex_environment
    from generator.preloaded_preamble import PreloadedPreambles

    preambles = PreloadedPreambles.in_cache() if preloaded else None
    formats: dict[Path, Path | None] = {}
    for tex in parts:
        preamble = tex.read_text(encoding="utf-8").partition(BEGIN)[0]
        name = preambles.format_for(preamble) if preambles else None
        if preloaded and name is None:
            raise SystemExit(f"no format for {tex}: is examgen's cache turned off?")
        formats[tex] = preambles.folder / name if preambles and name else None

    pending = list(parts)
    lock = threading.Lock()
    failed: list[Path] = []

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                tex = pending.pop(0)
            code = subprocess.call(
                latex_command(tex, formats[tex]),
                cwd=tex.parent,
                env=latex_environment(preloaded),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
            if code:
                failed.append(tex)

    cpu = children_cpu()
    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise SystemExit(f"pdflatex failed on {failed[0]}")
    seconds = time.perf_counter() - start
    CPU.setdefault(bare_label(parts, preloaded), []).append(children_cpu() - cpu)
    return seconds


def bare_label(parts: Sequence[Path], preloaded: bool) -> str:
    return f"bare {parts[0].parent.name} {'preloaded' if preloaded else 'plain'}"


def page_count(pdf: Path) -> int:
    import pikepdf

    with pikepdf.open(pdf) as doc:
        return len(doc.pages)


def document_pages(folder: Path) -> int:
    """Pages of a build's handouts and solutions: the fixed layout (one question per page, an
    answer sheet) prints more pages than the build R/exams was measured against."""
    return sum(page_count(folder / name) for name in ("handouts.pdf", "solutions.pdf"))


def student_pages(folder: Path, documents: Sequence[str] = ("exams", "solutions")) -> list[int]:
    """Pages of each student's ``documents`` together (by default handout and solutions), in
    roster order (the order of a ``--count`` build's IDs, s001 on): what the first ``k``
    students of a ``--count k`` build print, since a student's variants do not depend on the
    class."""
    stems = sorted(pdf.name for pdf in (folder / "exams").glob("*.pdf"))
    return [sum(page_count(folder / sub / stem) for sub in documents) for stem in stems]


def students_for_pages(pages: Sequence[int], wanted: int) -> int:
    """The fewest first students whose pages reach ``wanted``: a class that typesets as many
    pages as R/exams did (``R_EXAMS_PAGES``), the same questions on the same amount of paper."""
    total = 0
    for count, student in enumerate(pages, start=1):
        total += student
        if total >= wanted:
            return count
    raise SystemExit(f"{sum(pages)} pages from {len(pages)} students: fewer than {wanted}")


def pages_pass(folder: Path, work: Path, pages: int) -> Path:
    """One document of the first handouts that together make ``pages`` pages or just more."""
    from generator.pdf import batch_document

    count = students_for_pages(student_pages(folder, ("exams",)), pages)
    files = sorted((folder / "exams").glob("*.tex"))[:count]
    batch = batch_document([f.read_text(encoding="utf-8") for f in files], files)
    work.mkdir()
    tex = work / "pages.tex"
    tex.write_text(batch.text, encoding="utf-8")
    return tex


def file_creation_ms(probe: Path, count: int = 500) -> float:
    """CPU milliseconds (this process, kernel time included) to create and write a 20 KB file in
    the new folder ``probe``: a build creates six per student (four sources, two PDFs), and some
    disks take twenty times longer than others. On ext4 without a journal, allocating an inode
    skips every inode of the group deleted in the last minute or more (the kernel's
    ``recently_deleted``), one by one, so after thousands of deletions (a test run, another
    benchmark) creating a file took 0.3–0.8 ms where it takes 0.03 on a quiet disk or a tmpfs.
    The files stay until the benchmark's folder goes: deleting them here would slow the builds
    that follow."""
    probe.mkdir()
    data = b"x" * 20_000
    start = time.process_time()
    for k in range(count):
        (probe / f"{k}.tex").write_bytes(data)
    seconds = time.process_time() - start
    return 1000 * seconds / count


def best(samples: list[tuple[float, int]]) -> tuple[float, int]:
    return min(s for s, _ in samples), max(kb for _, kb in samples)


def spread(samples: Sequence[float]) -> str:
    return f"best of {len(samples)}, spread {max(samples) / min(samples) - 1:.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2, help="best of R (shared machines)")
    parser.add_argument(
        "--memory",
        type=int,
        default=3000,
        help="also the peak memory of an N-student build (the issue's goal: 3,000; 0 skips it)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where the builds and bare runs write (default: the system's temporary folder)",
    )
    args = parser.parse_args()
    from generator.pdf import available_cores, tex_available

    if not tex_available():
        print("bench_speed: pdflatex not found; run scripts/install-tex")
        return
    if not compile_package():
        raise SystemExit("bench_speed: examgen's modules do not compile")
    n, cores = args.students, available_cores()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="examgen-speed-", dir=args.dir) as tmp:
        tmp_path = Path(tmp)
        creation_ms = file_creation_ms(tmp_path / "disk-before")
        warm_templates(tmp_path / "warm", pdf=True)
        help_times = [run([*EXAMGEN, "--help"])[0] for _ in range(5)]

        # With PDFs against bare pdflatex on the same parts and cores, back to back.
        builds, bares, preloaded_bares = [], [], []
        parts: list[Path] = []
        for attempt in range(args.repeat):
            out = tmp_path / f"pdf{attempt}"
            builds.append(build(out, n, pdf=True, memory=True))
            if not parts:
                parts = write_parts(out / FOLDER, tmp_path / "parts")
            for runs, preloaded in ((bares, False), (preloaded_bares, True)):
                for stale in (tmp_path / "parts").glob("*.pdf"):
                    stale.unlink()
                runs.append(bare_pdflatex(parts, cores, preloaded))
        build_s, build_kb = best(builds)
        bare_s, preloaded_bare_s = min(bares), min(preloaded_bares)

        # Without PDFs against one bare 300-page pass.
        plain = [build(tmp_path / f"plain{k}", n, pdf=False)[0] for k in range(args.repeat)]
        page_tex = pages_pass(tmp_path / "pdf0" / FOLDER, tmp_path / "pages", 300)
        passes = [bare_pdflatex([page_tex], 1) for _ in range(args.repeat)]

        small = [build(tmp_path / f"small{k}", 100, pdf=True)[0] for k in range(args.repeat)]
        small_pages = document_pages(tmp_path / "small0" / FOLDER)
        like_count = students_for_pages(student_pages(tmp_path / "small0" / FOLDER), R_EXAMS_PAGES)
        like = [build(tmp_path / f"like{k}", like_count, pdf=True)[0] for k in range(args.repeat)]
        like_pages = document_pages(tmp_path / "like0" / FOLDER)
        small_parts = write_parts(tmp_path / "small0" / FOLDER, tmp_path / "small-parts")
        small_bare, small_preloaded = [], []
        for _ in range(args.repeat):
            for runs, preloaded in ((small_bare, False), (small_preloaded, True)):
                for stale in (tmp_path / "small-parts").glob("*.pdf"):
                    stale.unlink()
                runs.append(bare_pdflatex(small_parts, cores, preloaded))
        big_kb = 0
        if args.memory:
            big_kb = build(tmp_path / "big", args.memory, pdf=True, memory=True)[1]
        creation_end_ms = file_creation_ms(tmp_path / "disk-after")

    rows.append(
        (
            f"{n} students with PDFs ÷ pdflatex alone ({len(parts)} parts, {cores} cores)",
            f"{build_s / bare_s:.2f}x  ({build_s:.2f} s vs {bare_s:.2f} s)",
            "<= 1.3x",
        )
    )
    rows.append(
        (
            "  the same ÷ pdflatex alone from the build's preloaded preambles",
            f"{build_s / preloaded_bare_s:.2f}x  ({preloaded_bare_s:.2f} s)",
            "(context)",
        )
    )
    build_cpu = min(CPU[build_label(n, pdf=True)])
    bare_cpu = min(CPU[bare_label(parts, preloaded=False)])
    preloaded_cpu = min(CPU[bare_label(parts, preloaded=True)])
    rows.append(
        (
            "  CPU of the process trees: the build ÷ pdflatex alone, plain / preloaded",
            f"{build_cpu / bare_cpu:.2f}x / {build_cpu / preloaded_cpu:.2f}x  ({build_cpu:.0f} s)",
            "(context)",
        )
    )
    rows.append(
        (
            f"peak memory of the process tree, {n} students with PDFs",
            f"{build_kb / 1024:.0f} MB",
            "< 300 MB",
        )
    )
    if args.memory:
        rows.append(
            (
                f"peak memory of the process tree, {args.memory} students with PDFs",
                f"{big_kb / 1024:.0f} MB",
                "< 300 MB, flat",
            )
        )
    rows.append(
        (
            f"{n} students without PDFs ÷ one bare 300-page pdflatex pass",
            f"{min(plain) / min(passes):.2f}  ({min(plain):.2f} s vs {min(passes):.2f} s)",
            "<= 2",
        )
    )
    rows.append(("examgen --help", f"{min(help_times):.3f} s", "< 0.1 s"))
    rows.append(
        (
            "100 students with PDFs vs R/exams exams2pdf (72.2 s, recorded)",
            f"{R_EXAMS_SECONDS / min(small):.0f}x faster  ({min(small):.2f} s)",
            ">= 40x",
        )
    )
    rows.append(
        (
            f"  ceiling: pdflatex alone on the same {len(small_parts)} parts, {cores} cores",
            f"{R_EXAMS_SECONDS / min(small_bare):.0f}x  ({min(small_bare):.2f} s)",
            "(context)",
        )
    )
    rows.append(
        (
            "  ceiling from the build's preloaded preambles",
            f"{R_EXAMS_SECONDS / min(small_preloaded):.0f}x  ({min(small_preloaded):.2f} s)",
            "(context)",
        )
    )
    rows.append(
        (
            f"  like for like: the same questions on R/exams' {R_EXAMS_PAGES} pages "
            f"({like_count} students, {like_pages} pages; 100 students print {small_pages})",
            f"{R_EXAMS_SECONDS / min(like):.0f}x faster  ({min(like):.2f} s)",
            "(context)",
        )
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'figure':<34}  goal")
    for label, figure, goal in rows:
        print(f"{label:<{width}}  {figure:<34}  {goal}")
    print(
        f"disk: creating a 20 KB file in {tmp_path.parent} costs {creation_ms:.3f} ms of CPU "
        f"before the builds, {creation_end_ms:.3f} ms after "
        "(the build creates 6 per student; bare pdflatex 5 per part)"
    )
    print(
        f"noise: build {spread([s for s, _ in builds])}; bare {spread(bares)}, "
        f"preloaded {spread(preloaded_bares)}; "
        f"no-PDF {spread(plain)}; 300-page pass {spread(passes)}; --help {spread(help_times)}; "
        f"100 students {spread(small)}, their bare parts {spread(small_bare)}; "
        f"like for like {spread(like)}"
    )


if __name__ == "__main__":
    main()
