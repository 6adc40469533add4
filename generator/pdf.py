"""TeX Live driver: every student's exam in one pdflatex run, then cut into per-student PDFs.

One LaTeX process per student costs a fraction of a second each before it typesets anything
(loading the class and fonts), minutes for a large class. Instead the per-student ``.tex`` files
that the build already wrote are joined into two documents, ``handouts.tex`` and
``solutions.tex`` (one shared preamble, then each student's part in roster order). Each document
is typeset in parts of ``CHUNK`` students by roster position, ``--jobs`` parts at once (default:
the cores available), in a single pass (nothing in the template needs a second one); each part is
cut up as soon as it is done, and the parts are joined into ``handouts.pdf`` and
``solutions.pdf``. The parts do not depend on the number of cores, so neither do the bytes.
The exam template marks where each student starts with a named destination and pads each student
to an even page count, so ``handouts.pdf`` prints duplex with every student on a fresh sheet and
``generator.pdf_split`` cuts the per-student PDFs out of it by page range. Each run starts from
a TeX format with the preamble's class, packages and fonts already loaded
(``generator.preloaded_preamble``), typesetting the same bytes as a run that loads them itself.

pdflatex runs with shell escape off, in nonstop mode that halts on the first error, and may read
or write files only in its own folder (``openin_any``/``openout_any`` paranoid): defence in depth
behind the ``text`` filter, which already prints every user-supplied character literally. A LaTeX
error becomes one ``ExamgenError`` naming the student, question and source line, with the log
lines that explain it.
"""

from __future__ import annotations

import os
import queue
import re
import selectors
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from generator.errors import ExamgenError, some_of
from generator.ordered import InOrder
from generator.pdf_split import PartJoiner, cut_part, open_part
from generator.preloaded_preamble import PreloadedPreambles
from generator.roster import Student
from generator.tex_balance import printed_at
from generator.tex_unicode import unprintable_characters

T = TypeVar("T")
Progress = Callable[[Iterable[T], str], Iterable[T]]

DEBIAN_PACKAGES = (
    "texlive-latex-base",
    "texlive-latex-recommended",
    "texlive-latex-extra",
    "texlive-fonts-recommended",
    "lmodern",
    "latexmk",
    "poppler-utils",
)
INSTALL_HINT = (
    "install TeX Live (Debian/Ubuntu: sudo apt-get install --no-install-recommends "
    + " ".join(DEBIAN_PACKAGES)
    + "; macOS: MacTeX or BasicTeX from tug.org/mactex)"
)
SKIPPED_NOTICE = f"PDFs skipped: pdflatex not found; to print handouts, {INSTALL_HINT}"

# The two batched documents: (name, folder of the per-student files, label).
DOCUMENTS = (("handouts", "exams", "exam"), ("solutions", "solutions", "solutions"))
STUDENT_MARK = "% examgen-student"
QUESTION_MARK = "% examgen-question "
PROGRESS_MARK = "examgen-student"
BEGIN, END = "\\begin{document}\n", "\\end{document}"


def tex_available() -> bool:
    return shutil.which("pdflatex") is not None


def tex_version() -> str:
    """The first line of ``pdflatex --version`` (e.g. ``pdfTeX 3.141592653-2.6-1.40.24 (TeX Live
    2022/Debian)``), or ``unknown`` if pdflatex does not say."""
    try:
        done = subprocess.run(
            ["pdflatex", "--version"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=latex_environment(),
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return lines[0].strip() if done.returncode == 0 and lines and lines[0].strip() else "unknown"


def want_pdfs(requested: bool | None) -> tuple[bool, str | None]:
    """Whether to build PDFs for ``--pdf`` (True), ``--no-pdf`` (False) or neither (None, which
    builds them when TeX is installed), and the one-line notice to show when they are skipped."""
    if requested is False:
        return False, None
    if tex_available():
        return True, None
    if requested:
        raise ExamgenError(f"--pdf: pdflatex not found; {INSTALL_HINT}, or drop --pdf")
    return False, SKIPPED_NOTICE


def unprintable_notice(students: Sequence[Student]) -> str | None:
    """One line naming the students whose name or ID has characters no installed font shows."""
    affected = [(s, chars) for s in students if (chars := unprintable_characters(s.name + s.id))]
    if not affected:
        return None
    shown = some_of([f"{s.id} ({_codes(chars)})" for s, chars in affected], 5)
    return (
        f"Note: {len(affected)} student(s) have characters the PDF fonts cannot show, printed as "
        f"U+ codes instead: {shown}"
    )


def _codes(chars: Sequence[str], most: int = 3) -> str:
    """``И U+0418, в U+0432, …``: each character beside the code it prints as (run together,
    the characters read like a garbled name)."""
    shown = ", ".join(f"{c} U+{ord(c):04X}" for c in chars[:most])
    return shown + (", …" if len(chars) > most else "")


@dataclass(frozen=True)
class PdfStudent:
    """What the PDF phase needs of a student: file stem, who, and each question's family."""

    stem: str
    student: Student
    families: tuple[str, ...]
    #: Each question's family template, to name the line a LaTeX error comes from.
    templates: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.student.id} ({self.student.name})" if self.student.name else self.student.id


# --- the batched document -----------------------------------------------------------------------
@dataclass(frozen=True)
class Batch:
    """A batched document's source and, per student, the line its part starts on (1-based) and
    the line of the same text in the student's own file."""

    text: str
    starts: tuple[int, ...]
    own_starts: tuple[int, ...]


def batch_document(sources: Sequence[str], where: Sequence[str]) -> Batch:
    """One document holding every student's part of ``sources`` (their own complete documents,
    all with the same preamble) in order."""
    preamble = None
    parts = []
    own_starts = []
    for source, name in zip(sources, where, strict=True):
        head, sep, rest = source.partition(BEGIN)
        body, sep2, _ = rest.rpartition(END)
        if not sep or not sep2:
            raise ExamgenError(f"{name}: no \\begin{{document}} … \\end{{document}} to batch")
        if preamble is None:
            preamble = head + BEGIN
        elif head + BEGIN != preamble:
            raise ExamgenError(
                f"{name}: its LaTeX preamble differs from the first student's; batched PDFs need "
                "a template whose preamble is the same for every student"
            )
        parts.append(body)
        own_starts.append(head.count("\n") + 2)
    assert preamble is not None
    starts = []
    line = preamble.count("\n") + 1
    for body in parts:
        starts.append(line)
        line += body.count("\n")
    return Batch(preamble + "".join(parts) + END + "\n", tuple(starts), tuple(own_starts))


# --- running pdflatex ---------------------------------------------------------------------------
def latex_command(tex: Path, preloaded: Path | None = None) -> list[str]:
    """pdflatex on ``tex``, from the format ``preloaded`` (``generator.preloaded_preamble``: its
    file's absolute path without ``.fmt``) when one is given. A path, not a name looked up on
    TEXFORMATS: kpathsea reads ":", ";" and "{a,b}" in a folder list as its own."""
    return [
        "pdflatex",
        *([f"-fmt={preloaded}"] if preloaded else []),
        "-no-shell-escape",
        "-interaction=nonstopmode",
        "-halt-on-error",
        "-file-line-error",
        tex.name,
    ]


def latex_environment(preloaded: bool = False) -> dict[str, str]:
    """pdflatex's environment; ``preloaded``: for a run from one of examgen's formats."""
    return {
        **os.environ,
        # A format not found is an error, not one for TeX Live to make (mktexfmt).
        **({"MKTEXFMT": "0"} if preloaded else {}),
        "openin_any": "p",  # no reading outside the working folder (e.g. /etc/passwd)
        "openout_any": "p",
        "shell_escape": "f",
        "max_print_line": "10000",  # unwrapped log lines: parseable errors and progress marks
        "error_line": "254",
        "half_error_line": "238",
    }


@dataclass
class Job:
    """One pdflatex run: a contiguous part (``students``, indices into the roster) of one
    batched document, the folder of its per-student files, its source."""

    name: str
    folder: str
    tex: Path
    batch: Batch
    students: range
    part: int = 1  # its number among the document's parts, from 1
    preamble: str = ""  # what its source has before \begin{document}
    seconds: dict[str, float] = field(default_factory=dict)


#: Students per pdflatex run. Fixed, so that the parts (and so every byte of the PDFs) are the
#: same whatever the number of cores; large enough that a run's start-up (about 0.2 s) is small
#: beside its typesetting.
CHUNK = 25


def student_parts(count: int) -> list[range]:
    """Roster positions cut into runs of ``CHUNK`` students, in order."""
    return [range(a, min(a + CHUNK, count)) for a in range(0, count, CHUNK)]


def available_cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


#: How long pdflatex may go without beginning another student's pages before it is taken for a
#: template that loops: ``\\def\\x{\\x}\\x`` runs forever and prints nothing, and hung the build
#: (and ``check``) with it. A student's pages take a fraction of a second.
STALL_SECONDS = 60.0


def stalled(whose: str = "one student's") -> str:
    """Why ``follow`` stopped a run, for the one-line errors of the build and ``check``."""
    return (
        f"pdflatex spent over {STALL_SECONDS:g} s on {whose} pages and was stopped: a macro "
        "there loops forever (such as \\def\\x{\\x}\\x)"
    )


class LatexProcess:
    """pdflatex (or any ``command``) with its terminal output readable as it is written:
    through a pseudo-terminal where the system has them, which C's stdio writes line by line.
    Through a pipe, TeX's line naming the student it begins waited in a buffer until a page
    shipped out, so a student whose first page looped was blamed on the one before."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        writer: int | None = None
        try:
            import pty

            self.output, writer = pty.openpty()
        except (ImportError, OSError):  # no pseudo-terminals: a pipe
            pass
        try:
            self.proc = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if writer is None else writer,
                stderr=subprocess.STDOUT,
            )
        except BaseException:
            if writer is not None:
                os.close(self.output)
            raise
        finally:
            if writer is not None:
                os.close(writer)
        if writer is None:
            assert self.proc.stdout is not None
            self.output = self.proc.stdout.fileno()

    def close(self) -> None:
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        else:
            os.close(self.output)


def cpu_seconds(pid: int) -> float | None:
    """The CPU time process ``pid`` has used (Linux's ``/proc``); None where it cannot be told."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def follow(latex: LatexProcess, begun: Callable[[int], None] = lambda k: None) -> int | None:
    """Read the run's terminal output to its end, calling ``begun(K)`` as it begins the K-th
    student's pages (``examgen-student K``). None: it ran to its end. Else it began no student for
    ``STALL_SECONDS`` (counted from its start, then from the last) and was killed: the index (from
    0) of the student whose pages it was on, -1 if it had begun none. Progress is the measure, not
    output, as a loop may print endlessly too. A run that was stopped (Ctrl-Z, a suspended machine)
    is not a loop: time this process spent stopped does not count, and past the limit the run must
    still be using the processor (a loop does) to be killed; where the system does not say, the
    limit alone decides."""
    deadline = time.monotonic() + STALL_SECONDS
    probed: float | None = None  # the run's CPU time when it passed the limit
    pending, last = b"", 0
    with selectors.DefaultSelector() as selector:
        selector.register(latex.output, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            wait = min(1.0, max(0.0, deadline - now))
            ready = selector.select(wait)
            overslept = time.monotonic() - now - wait
            if overslept > 1.0:  # this process was stopped meanwhile: so was the run
                deadline += overslept
            try:
                chunk = os.read(latex.output, 1 << 16) if ready else b""
            except OSError:  # a pseudo-terminal whose every writer has ended
                chunk, ready = b"", [True]
            if ready and not chunk:
                return None
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                number = line[len(PROGRESS_MARK) :].strip()
                if line.startswith(PROGRESS_MARK.encode()) and number.isdigit():
                    last = int(number)
                    begun(last)
                    deadline, probed = time.monotonic() + STALL_SECONDS, None
            if time.monotonic() < deadline:
                continue
            probe = min(5.0, STALL_SECONDS / 4)
            used = cpu_seconds(latex.proc.pid)
            if used is not None and probed is None:  # past the limit: is it running?
                deadline, probed = time.monotonic() + probe, used
            elif used is not None and used - probed < probe / 10:  # stopped: wait again
                deadline, probed = time.monotonic() + STALL_SECONDS, None
            else:
                latex.proc.kill()
                return last - 1


class LatexRuns:
    """pdflatex on the jobs' documents, ``workers`` at a time, started in the order they were
    added; each is cut into per-student PDFs (``after``) as soon as it is typeset, while others
    may still be compiling. ``add`` queues a job at any time (a part whose source was just
    written). Iterating yields once per student typeset and once per student cut (for a progress
    bar; ``total`` says how many when jobs are still to come) and ends when every job added so
    far is done."""

    def __init__(
        self,
        after: Callable[[Job, Callable[[], None]], None],
        workers: int = 1,
        total: int = 0,
        preambles: PreloadedPreambles | None = None,
    ) -> None:
        self.jobs: list[Job] = []
        self.preambles = preambles
        self.queued: deque[int] = deque()
        self.workers, self.running = max(1, workers), 0
        self.lock = threading.Lock()
        self.after = after
        self.total = total
        self.events: queue.Queue[int | None] = queue.Queue()
        self.procs: list[tuple[int, subprocess.Popen[bytes]]] = []  # each run, with its job
        self.returncodes: list[int | None] = []
        self.errors: list[BaseException | None] = []
        #: Per job, the index of the student whose pages pdflatex began last when it stalled
        #: (-1: none yet; None: it did not stall).
        self.stalled: list[int | None] = []
        self.threads: list[threading.Thread] = []
        self.cancelled = threading.Event()

    def __len__(self) -> int:
        return self.total

    def add(self, job: Job) -> None:
        with self.lock:
            self.queued.append(len(self.jobs))
            self.jobs.append(job)
            self.returncodes.append(None)
            self.errors.append(None)
            self.stalled.append(None)
        self._dispatch()

    def _dispatch(self) -> None:
        """Start the jobs waiting longest while fewer than ``workers`` run. (Each job used to
        wait on a semaphore in its own thread: a job added just as a run ended could take its
        place, and the woken waiter queued again at the back, so one part could wait most of a
        3,000-student build while every later part of its document waited open for the join,
        doubling the build's memory.) Once cancelled, what waits never starts: it ends at once."""
        with self.lock:
            while self.queued and (self.cancelled.is_set() or self.running < self.workers):
                index = self.queued.popleft()
                if self.cancelled.is_set():
                    self.events.put(None)  # this job's end
                    continue
                self.running += 1
                thread = threading.Thread(target=self._run, args=(index,), daemon=True)
                self.threads.append(thread)
                thread.start()

    def _run(self, index: int) -> None:
        """Run and watch job ``index``'s pdflatex, then cut it with its place already given to
        the next job: cutting is Python, which shares the interpreter lock with the thread
        writing students, and a place held while it waits would leave a core without pdflatex."""
        job = self.jobs[index]
        try:
            try:
                preloaded = self.preambles.format_for(job.preamble) if self.preambles else None
                if not self._typeset(index, preloaded):
                    return
                if preloaded and self._format_failed(index) and not self._typeset(index, None):
                    return
            finally:
                with self.lock:
                    self.running -= 1
                self._dispatch()
            if self.returncodes[index] == 0:
                started = time.perf_counter()
                self.after(job, lambda: self._tick(index))
                job.seconds["split"] = time.perf_counter() - started
        except BaseException as err:  # re-raised by build_pdfs in the main thread
            self.errors[index] = err
        finally:
            self.events.put(None)  # this job's end

    def _tick(self, index: int) -> None:
        if self.cancelled.is_set():  # stop cutting: the staging folder is about to go
            raise InterruptedError("PDF build cancelled")
        self.events.put(index)

    def _format_failed(self, index: int) -> bool:
        """Whether job ``index`` failed without a log, which pdflatex writes as soon as its
        format is loaded: the format is damaged, or was deleted since it was found (by another
        build making room). Then it is forgotten, and the job runs again without one. A run
        killed by a signal (Ctrl-C, or ``stop``) while loading its format says nothing of it."""
        job, returncode = self.jobs[index], self.returncodes[index]
        if not returncode or returncode < 0 or job.tex.with_suffix(".log").exists():
            return False
        assert self.preambles is not None
        self.preambles.forget(job.preamble)
        return True

    def _typeset(self, index: int, preloaded: str | None) -> bool:
        """Run job ``index``'s pdflatex (from the format ``preloaded``, when it is given) to its
        end; False when cancelled before it started."""
        job, started = self.jobs[index], time.perf_counter()
        path = self.preambles.folder / preloaded if preloaded and self.preambles else None
        with self.lock:
            if self.cancelled.is_set():
                return False
            latex = LatexProcess(
                latex_command(job.tex, path), job.tex.parent, latex_environment(path is not None)
            )
            proc = latex.proc
            self.procs.append((index, proc))
        try:
            self.stalled[index] = follow(latex, lambda k: self.events.put(index))
        finally:
            latex.close()
        if self.stalled[index] is not None:
            self._abandon(index)  # every other part would wait out its own loop in turn
        self.returncodes[index] = proc.wait()
        job.seconds["latex"] = time.perf_counter() - started
        return True

    def _abandon(self, stalled: int) -> None:
        """Job ``stalled`` looped, so the build has failed: start no other run, and end those of
        later jobs now. A run of an earlier job goes on to its end or its own stall, for the
        build names the first job (in the order they were added) that stalls: which runs are
        still going when one stalls is a matter of timing (both documents' first parts loop and
        either may stall first), the first job that would stall is not, and it has started."""
        with self.lock:
            self.cancelled.set()
            procs = list(self.procs)
        for job, proc in procs:
            if job > stalled and proc.poll() is None:
                proc.kill()

    def __iter__(self) -> Iterator[int]:
        with self.lock:
            remaining = len(self.jobs)
        while remaining:
            event = self.events.get()
            if event is None:
                remaining -= 1
            else:
                yield event

    def stop(self) -> None:
        """End whatever still runs (an interrupted or failed build) and wait for it to end, so
        nothing writes into the staging folder after this returns; what waits never starts."""
        with self.lock:
            self.cancelled.set()
            procs = list(self.procs)
        self._dispatch()
        for _, proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for thread in self.threads:
            thread.join()


_FILE_LINE_RE = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<message>.*)$")
_LINE_RE = re.compile(r"^l\.(?P<line>\d+)")
MEMORY_STATS = "Here is how much of TeX's memory you used"


def log_excerpt(log: str, tex_name: str) -> tuple[int | None, list[str]]:
    """The source line of the first error in a pdflatex log and the lines that explain it."""
    lines = log.splitlines()
    for i, text in enumerate(lines):
        m = _FILE_LINE_RE.match(text)
        if text.startswith("!") or (m and not text.startswith("(")):
            excerpt = [t for t in lines[i : i + 12] if t.strip()]
            # TeX's memory statistics (an error with no source line, such as a runaway
            # argument, ends the log with them) explain nothing, and differ with a format.
            stats = next((k for k, t in enumerate(excerpt) if t.startswith(MEMORY_STATS)), None)
            excerpt = excerpt[:stats]
            cut = next((k for k, t in enumerate(excerpt) if _LINE_RE.match(t)), None)
            if cut is not None:  # keep "l.N <source>" and its continuation line, if any
                more = excerpt[cut + 1 : cut + 2]
                excerpt = excerpt[: cut + 1] + [t for t in more if t.startswith(" ")]
            number = None
            if m and Path(m["file"]).name == tex_name:
                number = int(m["line"])
            else:
                number = next((int(mm["line"]) for t in excerpt if (mm := _LINE_RE.match(t))), None)
            return number, excerpt[:10]
    return None, [t for t in lines[-8:] if t.strip()]


def locate(batch: Batch, line: int | None) -> tuple[int, int]:
    """(student index, question number) whose source holds batch line ``line``; -1 if none."""
    if line is None:
        return -1, -1
    student = max((k for k, start in enumerate(batch.starts) if start <= line), default=-1)
    if student < 0:
        return -1, -1
    source = batch.text.splitlines()
    question = -1
    for text in source[batch.starts[student] - 1 : line]:
        if text.startswith(QUESTION_MARK):
            question = int(text[len(QUESTION_MARK) :])
    return student, question


_STUDENT_STARTED = re.compile(rf"^{PROGRESS_MARK} (\d+)$", re.M)


def student_typeset_last(log: str, count: int) -> int:
    """The index of the part's student whose pages TeX had begun when it stopped at its first
    error (the template prints ``examgen-student K`` as each begins), or -1: an error that names
    no line (a runaway argument) still has a student to blame."""
    error = log.find("\n!")
    started = _STUDENT_STARTED.findall(log[: error if error >= 0 else len(log)])
    k = int(started[-1]) - 1 if started else -1
    return k if 0 <= k < count else -1


@dataclass(frozen=True)
class FailedRun:
    """What a failed pdflatex run's log says: its first error's batch line (None: TeX named
    none) and the log lines that explain it, and the part's student and question it is in
    (-1: none)."""

    log: str
    line: int | None
    excerpt: list[str]
    student: int
    question: int
    printed: str  # the source line TeX stopped on ("" when it named none)

    @property
    def message(self) -> str:
        """TeX's message for the error, without the file and line it prefixes."""
        for text in self.excerpt:
            m = _FILE_LINE_RE.match(text)
            message = (m["message"] if m else text).removeprefix("! ").strip()
            if message:
                return message
        return "pdflatex stopped without an error message"


def failed_run(tex: Path, batch: Batch, count: int) -> FailedRun:
    """Read the log of ``tex``'s failed run, a batch of ``count`` students' parts."""
    log_path = tex.with_suffix(".log")
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    line, excerpt = log_excerpt(log, tex.name)
    if not batch.text and tex.exists():
        batch = replace(batch, text=tex.read_text(encoding="utf-8"))
    k, question = locate(batch, line)
    if k < 0 and line is None:
        k = student_typeset_last(log, count)
    source = batch.text.splitlines()
    printed = source[line - 1] if line and line <= len(source) else ""
    return FailedRun(log, line, excerpt, k, question, printed)


def latex_error(
    name: str, folder: str, tex: Path, batch: Batch, students: Sequence[PdfStudent]
) -> ExamgenError:
    """One line: the document, the student and question, and the template line when a family's
    template printed the line TeX stopped on. The build keeps nothing of a failed run, so the
    student's ``.tex`` file named is the one ``build --no-pdf`` writes."""
    failed = failed_run(tex, batch, len(students))
    if "I can't write on file" in failed.log or "No space left on device" in failed.log:
        return ExamgenError(
            f"{tex.parent.parent.parent}: pdflatex cannot write {name}.pdf; is the disk full? "
            "Nothing was written; free some space and build again"
        )
    line, k, question = failed.line, failed.student, failed.question
    at = ""  # the family template's file and line that printed the line TeX stopped on
    if k < 0:
        where = f"in the preamble of {name}.tex (the exam template)"
    elif line is None:
        where = (
            f"for student {students[k].label}, in {folder}/{students[k].stem}.tex (TeX names no "
            "line: an argument or a brace left open there runs on to the end)"
        )
    else:
        who = students[k]
        own_line = batch.own_starts[k] + line - batch.starts[k]
        where = f"for student {who.label}"
        if 1 <= question <= len(who.families):
            where += f", question {question} ({who.families[question - 1]})"
            if question <= len(who.templates):
                at = printed_at(Path(who.templates[question - 1]), failed.printed)
        where += f", at {folder}/{who.stem}.tex line {own_line}"
    own = _PACKAGE_ERROR.match(failed.message)
    if own is not None:  # the template's own check: what it means and the fix, in one line
        fix = next((f for says, f in PACKAGE_ERROR_FIXES.items() if says in own["what"]), None)
        if fix is not None:
            return ExamgenError(f"LaTeX stopped {name}.pdf {where}: {own['what']}; {fix}")
    fix = (
        "fix that line of the family's template (`examgen check` typesets a course family's "
        "variants, to find such errors before a build)"
        if at
        else "`examgen build --no-pdf` writes the .tex files to look at"
    )
    return ExamgenError(
        f"LaTeX failed on {name}.pdf {where}: {at}{failed.message.rstrip('.')}"
        f"{_tex_read(failed.excerpt)}; nothing was written; {fix}"
    )


def stall_error(name: str, student: PdfStudent | None) -> ExamgenError:
    """One line for a run ``follow`` stopped: TeX's log, cut off by the kill, names no line, but
    the student whose pages it was on narrows the loop to their questions' templates."""
    if student is None:
        where = f"in the preamble of {name}.tex (the exam template)"
    else:
        families = ", ".join(dict.fromkeys(student.families))
        where = f"for student {student.label}, in one of their families' templates ({families})"
    return ExamgenError(
        f"LaTeX stopped on {name}.pdf {where}: {stalled()}; nothing was written; fix the "
        "template (`examgen check FAMILY` typesets a course family's variants and names the "
        "family that loops)"
    )


#: How much of the source TeX had read when it stopped a message quotes.
READ_SHOWN = 40


def _tex_read(excerpt: Sequence[str]) -> str:
    """`` (TeX read "…text")``: the end of TeX's ``l.N text`` line, which stops where TeX did
    (after ``\\lamda``, the undefined command); ``""`` when the log shows none."""
    for text in excerpt:
        m = _LINE_RE.match(text)
        if m is not None:
            read = text[m.end() :].strip()
            if read:
                shown = read if len(read) <= READ_SHOWN else "…" + read[-READ_SHOWN:]
                return f' (TeX read "{shown}")'
    return ""


_PACKAGE_ERROR = re.compile(r"Package examgen Error: (?P<what>.*?)\.?$")
#: The exam template's ``\PackageError``s (``templates/latex/exam.tex.j2``), by what they say,
#: and the fix (TeX stops at the first error before it would print the help it carries).
PACKAGE_ERROR_FIXES = {
    "has more pages than QR codes": (
        "a page overflowed, so the exam runs past the pages examgen planned for it: the spec's "
        "instructions or a question (its statement and work space) is longer than a page; "
        'shorten the instructions, or give the question less space (space = "…" in the spec)'
    ),
}


# --- the PDF phase ------------------------------------------------------------------------------
def _no_progress(items: Iterable[T], label: str) -> Iterable[T]:
    return items


class Positions(Protocol):
    """Takes the handouts' parts in document order as they are typeset (``add``: each part's
    position file, ``.pos``, written by the template as pages are shipped out, and its
    students), then ``close`` after the last (``generator.paper.layout.SheetsFile``)."""

    def add(self, positions: Path, students: Sequence[Student]) -> None: ...

    def close(self) -> Any: ...

    def discard(self) -> None: ...


def build_pdfs(
    folder: Path,
    students: Sequence[PdfStudent],
    progress: Progress[Any] = _no_progress,
    jobs: int | None = None,
    positions: Positions | None = None,
) -> dict[str, float]:
    """From the per-student ``.tex`` files in ``folder``, write ``handouts.pdf``,
    ``solutions.pdf`` and each student's ``exams/<stem>.pdf`` and ``solutions/<stem>.pdf``,
    running ``jobs`` pdflatex processes at once (default: the cores available); hand the
    handouts' typeset positions to ``positions``; return the seconds each document took to
    typeset and to cut (for the benchmark).

    The parts are fixed runs of ``CHUNK`` students whatever ``jobs`` is, so the files are
    byte-identical for every ``jobs``."""
    phase = PdfPhase(folder, students, jobs, positions)
    try:
        for members in student_parts(len(students)):
            phase.add(members)
        return phase.finish(progress)
    finally:
        phase.stop()


class PdfPhase:
    """``build_pdfs`` fed part by part, so typesetting overlaps whatever writes the sources: a
    build calls ``add`` as soon as the ``.tex`` files of a ``student_parts`` run are written
    (pdflatex starts on them at once), ``finish`` when all are, and ``stop`` in any case (an
    error or an interrupt ends every pdflatex before the staging folder goes). The parts and
    their sources are the same as ``build_pdfs``', so are the bytes."""

    def __init__(
        self,
        folder: Path,
        students: Sequence[PdfStudent],
        jobs: int | None = None,
        positions: Positions | None = None,
    ) -> None:
        self.folder, self.students, self.positions = folder, list(students), positions
        self.work = folder / ".latex"
        self.work.mkdir()
        self.parts = 0
        total = 2 * len(DOCUMENTS) * len(students)
        preambles = PreloadedPreambles.in_cache()
        self.runs = LatexRuns(self._cut, jobs or available_cores(), total, preambles)
        count = len(student_parts(len(students)))
        self.joiners = {name: PartJoiner(folder / f"{name}.pdf", count) for name, _, _ in DOCUMENTS}
        self.sheets = (
            InOrder(lambda part: positions.add(*part), count) if positions is not None else None
        )

    def add(self, members: range, known: Sequence[PdfStudent] = ()) -> None:
        """Typeset the next run of students, whose per-student ``.tex`` files are written;
        ``known`` replaces what the phase knew of them (their families, known only now)."""
        for i, student in zip(members, known, strict=False):
            self.students[i] = student
        self.parts += 1
        for name, sub, _ in DOCUMENTS:
            paths = [self.folder / sub / f"{self.students[i].stem}.tex" for i in members]
            batch = batch_document(
                [path.read_text(encoding="utf-8") for path in paths],
                [f"{sub}/{path.name}" for path in paths],
            )
            tex = self.work / f"{name}-{self.parts}.tex"
            tex.write_text(batch.text, encoding="utf-8")
            # The source stays on disk (latex_error reads it back): holding every part's text
            # made the build's memory grow with the class (about 170 MB at 3,000 students).
            preamble = batch.text.partition(BEGIN)[0]
            self.runs.add(
                Job(name, sub, tex, replace(batch, text=""), members, self.parts, preamble)
            )

    def _cut(self, job: Job, tick: Callable[[], None]) -> None:
        def ticking(items: Iterable[T], label: str) -> Iterator[T]:
            for item in items:
                yield item
                tick()

        members = [self.students[i] for i in job.students]
        dests = [self.folder / job.folder / f"{s.stem}.pdf" for s in members]
        part = open_part(job.tex.with_suffix(".pdf"))
        try:
            counts = cut_part(part, dests, ticking)
            odd = [s.label for s, n in zip(members, counts, strict=True) if n % 2]
            if odd:  # the template pads every student; an odd count means it was changed
                raise ExamgenError(
                    f"{job.name}.pdf: odd page count for {odd[0]}; keep \\examgenendstudent"
                )
        except BaseException:
            part.close()
            raise
        # Joined (the part as the cut read it), and the handouts' positions read, while later
        # parts typeset: the last part's are all that follows them.
        self.joiners[job.name].add(job.part, part)
        if self.sheets is not None and job.name == DOCUMENTS[0][0]:
            self.sheets.add(job.part, (job.tex.with_suffix(".pos"), [s.student for s in members]))

    def stop(self) -> None:
        self.runs.stop()
        for joiner in self.joiners.values():
            joiner.close()
        if self.positions is not None:
            self.positions.discard()

    def finish(self, progress: Progress[Any] = _no_progress) -> dict[str, float]:
        """Wait for every part, check them, finish the positions."""
        runs = self.runs
        try:
            for _ in progress(runs, "Typesetting PDFs"):
                pass
        finally:
            runs.stop()
        # A loop first, in the order the jobs were added (see ``LatexRuns._abandon``): later runs
        # were ended for it, and say nothing.
        for i, stalled in enumerate(runs.stalled):
            if stalled is not None:
                job = runs.jobs[i]
                who = self.students[job.students[stalled]] if stalled >= 0 else None
                raise stall_error(job.name, who)
        # Jobs in document order (handouts' parts, then solutions'), whatever order they ran in.
        order = [i for name, _, _ in DOCUMENTS for i, j in enumerate(runs.jobs) if j.name == name]
        for i in order:
            error = runs.errors[i]
            if error is not None and runs.returncodes[i] in (None, 0):  # no start, or cut failed
                raise _qpdf_error(error, self.folder)
        for i in order:
            job = runs.jobs[i]
            if runs.returncodes[i] != 0 or not job.tex.with_suffix(".pdf").exists():
                members = [self.students[k] for k in job.students]
                raise latex_error(job.name, job.folder, job.tex, job.batch, members)
        latex_jobs = [runs.jobs[i] for i in order]
        unjoined = [name for name, joiner in self.joiners.items() if not joiner.complete]
        if unjoined:  # every part was typeset and cut, so each was handed to its joiner
            raise AssertionError(f"{unjoined[0]}.pdf: parts typeset but not joined")
        if self.positions is not None and self.sheets is not None:
            if not self.sheets.complete:
                raise AssertionError("handouts' parts typeset but their positions not read")
            self.positions.close()
        shutil.rmtree(self.work)
        return {f"{step} {j.tex.stem}": t for j in latex_jobs for step, t in j.seconds.items()}


#: Free space under which a PDF qpdf cannot read is taken for a full disk's truncated file.
LOW_DISK_BYTES = 64 * 2**20


def _qpdf_error(error: BaseException, folder: Path) -> BaseException:
    """qpdf's own errors as one line: a truncated file on a full disk, or else a PDF that the
    TeX installation's pdflatex wrote wrong (it exited 0); others as they are."""
    import pikepdf  # loaded by the first cut already (see generator.pdf_split)

    if not isinstance(error, pikepdf.PdfError):
        return error
    try:
        full = shutil.disk_usage(folder).free < LOW_DISK_BYTES
    except OSError:
        full = True
    if full:
        return ExamgenError(
            f"{folder.parent}: cannot write the PDFs ({error}); is the disk full? Nothing was "
            "written; free some space and build again"
        )
    return ExamgenError(
        f"{folder.parent}: pdflatex ({shutil.which('pdflatex')}) wrote a PDF that cannot be read "
        f"({error}); nothing was written; check the TeX installation (`pdflatex --version`) or "
        "build with --no-pdf"
    )
