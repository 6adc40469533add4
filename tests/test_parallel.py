"""A build shares its students among processes and keeps text, not objects, per student.

Invariants: the files do not depend on ``--jobs`` (one process or several write the same bytes);
key.json and manifest.json assembled from per-student text are byte for byte what ``json.dumps``
writes of the whole; an error or a signal in a multi-process build ends every worker and leaves
``out/`` as it was.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import generator.build
from generator.build import build
from generator.errors import ExamgenError, NoAcceptableVariant
from generator.json_text import ListFile, item_text, plain_item_text
from generator.parallel import CAN_FORK, ordered_map
from generator.pdf import CHUNK
from generator.roster import Student, numbered_students
from generator.spec import load_spec
from tests.test_files import listing

needs_fork = pytest.mark.skipif(not CAN_FORK, reason="workers are forked on Linux only")

SPEC = load_spec(Path(__file__).resolve().parent.parent / "specs" / "lecture-14-quiz.toml")
STUDENTS = 2 * CHUNK + 3  # three runs of students: both workers get some

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(
    head=st.dictionaries(st.text().filter(lambda k: k != "students"), json_values, max_size=4),
    items=st.lists(json_values, max_size=5),
)
def test_list_file_is_json_dumps_of_the_whole(tmp_path_factory, head, items):
    whole = json.dumps({**head, "students": items}, indent=2, ensure_ascii=False) + "\n"
    folder = tmp_path_factory.mktemp("list")
    written = ListFile(folder / "key.json")
    for value in items:
        written.add(item_text(value))
    written.finish(head, "students")
    assert (folder / "key.json").read_bytes() == whole.encode("utf-8")
    assert [p.name for p in folder.iterdir()] == ["key.json"]  # the items file is gone


class Text(str):
    """A str subclass: ``item_text`` leaves it to ``json.dumps``."""


#: Every JSON value ``json.dumps`` writes, NaN, infinities, tuples and big integers included, and
#: some only ``json.dumps`` itself handles (non-string keys, subclasses).
any_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63)
    | st.floats()
    | st.text()
    | st.text().map(Text),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(), inner, max_size=4)
        | st.dictionaries(st.integers() | st.booleans() | st.none(), inner, max_size=2)
    ),
    max_leaves=16,
)


@given(value=any_json)
@example([float("nan"), float("inf"), float("-inf"), -0.0, 1e300, {}, [], ()])
@example({'é\n"\\': {"": [[{}], ({"a": None},)]}})
def test_item_text_is_json_dumps_of_the_item(value):
    """``item_text`` writes the plain JSON types itself, not through ``json.dumps``: the same
    text, for every value."""
    assert item_text(value) == plain_item_text(value)


def test_list_file_refuses_a_head_that_holds_the_list(tmp_path):
    written = ListFile(tmp_path / "key.json")
    with pytest.raises(ValueError, match="students"):
        written.finish({"students": 1}, "students")


def square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


@given(items=st.lists(st.integers(), max_size=12), processes=st.integers(1, 3))
def test_ordered_map_gives_results_in_order(items, processes):
    with ordered_map(square_and_pid, items, processes) as results:
        assert [r for r, _ in results] == [x * x for x in items]


@needs_fork
def test_ordered_map_runs_in_other_processes():
    with ordered_map(square_and_pid, list(range(8)), 2) as results:
        pids = {pid for _, pid in results}
    assert os.getpid() not in pids


def refuse_five(x: int) -> int:
    if x == 5:
        raise NoAcceptableVariant("family f: no acceptable variant for 5", {"budget": 3})
    return x


@pytest.mark.parametrize("processes", [1, 2])
def test_an_error_in_a_worker_reaches_the_caller_with_its_message(processes):
    with (
        pytest.raises(ExamgenError, match="no acceptable variant for 5"),
        ordered_map(refuse_five, list(range(8)), processes) as results,
    ):
        list(results)


class TwoPartError(Exception):
    """An exception pickle cannot rebuild: its __init__ takes two arguments, its args hold one."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} and {second}")


def raise_two_parts(x: int) -> int:
    if x == 5:
        raise TwoPartError("this", "that")
    return x


@contextmanager
def at_most(seconds: int):
    """A failure, not a test run that never ends, when the block hangs."""

    def stop(*_: object) -> None:
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@needs_fork
def test_an_error_pickle_cannot_rebuild_reaches_the_caller_by_name() -> None:
    """Such an error, sent back as it is, killed the pool's result thread: the caller (check
    with --jobs) waited for ever."""
    with (
        at_most(60),
        pytest.raises(RuntimeError, match=r"^TwoPartError: this and that$"),
        ordered_map(raise_two_parts, list(range(8)), 2) as results,
    ):
        list(results)


def test_files_do_not_depend_on_jobs(tmp_path):
    """One process and two processes (on Linux) write the same bytes, keys and manifest too."""
    students = numbered_students(STUDENTS)
    trees = []
    for jobs in (1, 2):
        folder = build(SPEC, 8, students, tmp_path / f"jobs{jobs}", jobs=jobs)
        trees.append({p.relative_to(folder): p.read_bytes() for p in folder.rglob("*.*")})
    assert len(trees[0]) == 4 * STUDENTS + 3  # tex, md for exams and solutions; keys; manifest
    assert trees[0] == trees[1]


@given(
    ids=st.lists(st.from_regex(r"[A-Za-z0-9]{1,6}", fullmatch=True), min_size=1, max_size=5),
    seed=st.integers(0, 2**32),
    shuffled=st.booleans(),
)
def test_a_run_of_students_writes_the_files_each_student_would_alone(
    tmp_path_factory, ids, seed, shuffled
):
    """A run's variants are drawn slot by slot and its documents made one kind at a time, each
    kind's questions position by position, across the students (``generate_students``,
    ``write_students``): each file is the one its student's run of one writes, and the records
    are each student's, also where every student's questions print in their own order."""
    spec = replace(SPEC, shuffle_questions=True, layout="flow") if shuffled else SPEC
    students = [Student(i, f"Name {i}") for i in dict.fromkeys(ids)]
    stems = generator.build.file_stems([s.id for s in students])
    exams = generator.build.generate_students(spec, seed, students)
    for exam, student in zip(exams, students, strict=True):  # each slot's own draw, in print order
        printed = enumerate(spec.slots_for(seed, student.id), start=1)
        assert [(q.number, q.slot, q.variant.params) for q in exam.questions] == [
            (n, slot, slot.generate(seed, student.id).params) for n, slot in printed
        ]
    together, alone = tmp_path_factory.mktemp("run"), tmp_path_factory.mktemp("alone")
    for folder in (together, alone):
        generator.build._student_folders(folder)
    records = generator.build.write_students(together, spec, exams, stems)
    singles = [
        record
        for exam, stem in zip(exams, stems, strict=True)
        for record in generator.build.write_students(alone, spec, [exam], [stem])
    ]
    assert records == singles
    files = {p.relative_to(together): p.read_bytes() for p in together.rglob("*.*")}
    assert files == {p.relative_to(alone): p.read_bytes() for p in alone.rglob("*.*")}
    assert len(files) == 4 * len(students)


def test_a_build_freezes_what_is_loaded_only_while_it_runs(tmp_path, monkeypatch):
    """The heap loaded before a build is kept out of the collector's passes during it (gc.freeze)
    and handed back after, also when the build fails; so are the collector's thresholds."""
    frozen, thresholds = [], []
    before = gc.get_threshold()
    original = generator.build.write_students

    def note_frozen(folder, spec, exams, stems):
        frozen.append(gc.get_freeze_count())
        thresholds.append(gc.get_threshold())
        if any(exam.student.id == "s002" for exam in exams):
            raise ExamgenError("template broke for s002")
        return original(folder, spec, exams, stems)

    monkeypatch.setattr(generator.build, "write_students", note_frozen)
    with pytest.raises(ExamgenError, match="s002"):
        build(SPEC, 8, numbered_students(3), tmp_path / "out", jobs=1)
    assert len(frozen) == 1 and all(count > 0 for count in frozen)
    assert thresholds == [(10_000, *before[1:])]
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


@needs_fork
def test_an_error_in_a_worker_leaves_out_as_it_was(tmp_path, monkeypatch):
    """The failing student is in the second run, written by a forked worker."""
    out = tmp_path / "out"
    (out / "keep").mkdir(parents=True)
    before = listing(out)
    original = generator.build.write_students

    def fail_for_s030(folder, spec, exams, stems):
        if any(exam.student.id == "s030" for exam in exams):
            raise ExamgenError("template broke for s030")
        return original(folder, spec, exams, stems)

    monkeypatch.setattr(generator.build, "write_students", fail_for_s030)
    with pytest.raises(ExamgenError, match="s030"):
        build(SPEC, 8, numbered_students(STUDENTS), out, jobs=2)
    assert listing(out) == before


@needs_fork
def test_sigterm_ends_every_worker_and_leaves_out_as_it_was(tmp_path):
    out = tmp_path / "out"
    (out / "keep").mkdir(parents=True)
    before = listing(out)
    command = [sys.executable, "-m", "generator", "build", "--seed", "3", "--count", "400"]
    proc = subprocess.Popen(
        [*command, "--no-pdf", "-q", "--jobs", "2", "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the workers too
    )
    deadline = time.monotonic() + 60
    while not any(out.glob(".*staging*/exams/*.md")):  # students are being written
        assert proc.poll() is None and time.monotonic() < deadline, "the build ended too soon"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.strip() == "Stopped by SIGTERM; nothing was written"
    deadline = time.monotonic() + 20  # no process of the group is left (a loaded machine may
    while True:  # take a moment to end and reap them once the build has ended)
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "a worker outlived the stopped build"
        time.sleep(0.05)
    assert listing(out) == before



ORPHAN_SCRIPT = """
import os, sys, time
from generator import parallel
r, w = os.pipe()
if os.fork() == 0:  # the worker
    os.close(r)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # the caller's pipes are not held open
    os.dup2(null, 2)
    parent = os.getppid()
    os.write(w, str(os.getpid()).encode())
    os.close(w)
    while os.getppid() == parent:  # its parent is killed before it sets itself up
        time.sleep(0.01)
    parallel.worker_signals()
    time.sleep(60)  # a worker asleep on its queue
    os._exit(3)
os.close(w)
print(os.read(r, 100).decode(), flush=True)
os._exit(0)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # a zombie has ended; only its parent's wait is left


@pytest.mark.skipif(not CAN_FORK, reason="forked workers: Linux only")
def test_a_worker_whose_parent_died_before_it_started_ends_itself() -> None:
    """The parent's death signal (PR_SET_PDEATHSIG) is set by the worker itself, after the fork:
    a parent SIGKILLed in between sent none, and the worker slept on for good (the scan test's
    kill came that early once on a slow machine). The orphan now sees it was adopted, and ends."""
    proc = subprocess.run(
        [sys.executable, "-c", ORPHAN_SCRIPT], capture_output=True, text=True, timeout=30,
        cwd=Path(__file__).resolve().parent.parent,
    )
    pid = int(proc.stdout.strip())
    deadline = time.monotonic() + 10
    while not _gone(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the orphaned worker was still running 10 s after its parent died")
        time.sleep(0.02)
