"""pdflatex runs that start with the preamble's class, packages and fonts already loaded.

Every pdflatex run of a build first loads the exam class, the packages and the fonts its
preamble names: about 0.06 s of the 0.5 s a 25-student part takes, in each of the 80 runs of a
1,000-student build. TeX can instead load them once and dump its memory to a *format*
(``pdflatex -ini`` … ``\\dump``), from which later runs start where the dump stopped. The runs
typeset the same bytes: what they typeset is the same source, and the state they reach after
the preamble is the same state. ``tests/test_preloaded_preamble.py`` compares the PDFs and the
positions files of both ways, byte for byte, for every layout; and on every machine a new format
first typesets a probe page both ways, and is kept only if the two are the same bytes (else it
is marked unusable, and not made again until a file it read changes).

What is dumped is the preamble's *preload*: its text up to its first line ``\\makeatletter``
(the class, the packages, font declarations, plain settings). In the format, ``\\documentclass``
skips that text when a run reads it, so every part's source is the file it would be without a
format, its lines numbered alike for error messages. Two kinds of line are not dumped:

- a line setting what a format does not keep (``PER_RUN``: the trailer ID of pdfTeX) is left out
  of the dump and run by that ``\\documentclass`` in every job;
- a preload that opens or writes files, or depends on the job (``NOT_DUMPABLE``), gets no
  format at all: its runs start from plain pdflatex.

Formats are kept in examgen's cache folder (``generator.template_cache.cache_dir``;
``EXAMGEN_CACHE_DIR=`` turns them off), named by the preload and by every file the dump read
(TeX's ``-recorder`` list: the class, the packages, the base format, ``texmf.cnf``) with its size
and time and where TeX finds its name now, and by the pdfTeX program's: a TeX Live update, or a
package installed in ``~/texmf``, makes a new one. Like the compiled
templates, a format is a convenience, never a condition: when one cannot be made or found, the
run starts from plain pdflatex, and the bytes are the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from generator.template_cache import cache_dir

#: The line that ends the preload: everything before it is dumped.
PRELOAD_ENDS = "\\makeatletter\n"
#: Control words whose setting a format does not keep: a preload line naming one runs per job.
PER_RUN = frozenset({"pdftrailerid"})
#: Control words a dump must not run (files opened or written, the job's name, PDF objects).
NOT_DUMPABLE = frozenset(
    {
        "jobname",
        "openin",
        "openout",
        "read",
        "write",
        "closeout",
        "immediate",
        "input",
        "include",
        "InputIfFileExists",
        "endinput",
        "special",
        "pdfobj",
        "pdfrefobj",
        "pdfinfo",
        "pdfcatalog",
        "pdfnames",
        "pdfoutline",
        "pdfdest",
        "pdfannot",
        "dump",
        "documentclass",
        "makeatletter",
        "everyjob",
    }
)
#: Formats kept at most (each about 6.5 MB); the oldest go when a new one is made.
KEPT_FORMATS = 6
#: The name every examgen format file starts with.
PREFIX = "examgen-"
#: The format's own name, which a log's first line shows ("preloaded format=examgen-preamble").
DUMP_NAME = "examgen-preamble"
_CONTROL_WORD = re.compile(r"\\([A-Za-z@]+)")
#: The page ``_typesets_alike`` typesets both ways: text, bold, math and a symbol font.
PROBE_PAGE = "Probe \\textbf{page} $\\frac{1}{2} \\le \\sqrt{x_1}$."
#: What marks a format made and found unusable, until a file it read changes.
UNUSABLE = ".unusable"
#: Where a dump runs (a new folder in the formats' folder), and how old one may be before it is
#: taken for the leftover of a build stopped while dumping (a dump takes under a second).
DUMP_FOLDER = ".dump-"
STALE_DUMP_SECONDS = 3600
#: Bumped when what a dump holds changes, so that formats of an older examgen are not used.
_DUMP_VERSION = "1"


def dump_source(preamble: str) -> str | None:
    """The ``pdflatex -ini`` source that dumps ``preamble``'s preload, or None when it has none
    (no ``\\documentclass`` first, no ``PRELOAD_ENDS`` line) or must not be dumped."""
    preload, found, _ = preamble.partition("\n" + PRELOAD_ENDS)
    if not found or not preload.startswith("\\documentclass"):
        return None
    dumped, per_run = [], []
    for number, line in enumerate(preload.splitlines()):
        words = set(_CONTROL_WORD.findall(line))
        if number:
            if words & NOT_DUMPABLE:
                return None
        elif words & NOT_DUMPABLE != {"documentclass"}:
            return None
        if words & PER_RUN:
            if "#" in line or "%" in line:  # it becomes part of a macro's body
                return None
            per_run.append(line.strip())
        else:
            dumped.append(line + "\n")
    # ``\long``: the skipped text may hold a blank line. The delimiter is the line that ends it.
    skip = "\\long\\def\\documentclass#1\\makeatletter{" + "".join(per_run) + "\\makeatletter}\n"
    return "".join(dumped) + skip + "\\dump\n"


class PreloadedPreambles:
    """The formats of one build's documents, each found (or made) once, by the first run that
    needs it; the others wait for it. Thread-safe: runs start from their own threads."""

    def __init__(self, folder: Path) -> None:
        # Runs name a format by its absolute path (``latex_command``): pdflatex runs in its own
        # folder, where a relative one names nothing.
        self.folder = folder.absolute()
        self.lock = threading.Lock()
        self.known: dict[str, tuple[threading.Lock, list[str | None]]] = {}

    @classmethod
    def in_cache(cls) -> PreloadedPreambles | None:
        """Formats in examgen's cache folder, or None when it has none."""
        base = cache_dir()
        return None if base is None else cls(base / "formats")

    def format_for(self, preamble: str) -> str | None:
        """The name of the format (a file ``<name>.fmt`` in ``self.folder``) to typeset a
        document with this preamble from, or None: plain pdflatex."""
        source = dump_source(preamble) if preamble else None
        if source is None:
            return None
        with self.lock:
            lock, found = self.known.setdefault(source, (threading.Lock(), []))
        with lock:
            if not found:
                name = self._find(source)
                found.append((self._make(source, preamble) if name is None else name) or None)
            return found[0]

    def forget(self, preamble: str) -> None:
        """Typeset ``preamble``'s documents without a format from now on, and delete the format
        (a damaged file): the next build makes it again."""
        source = dump_source(preamble)
        if source is None:
            return
        with self.lock:
            _, found = self.known.setdefault(source, (threading.Lock(), []))
            name = found[0] if found else None
            found[:] = [None]
        if name is not None:
            with contextlib.suppress(OSError):
                (self.folder / f"{name}.fmt").unlink(missing_ok=True)

    def _key(self, source: str) -> str:
        return hashlib.sha256(f"{_DUMP_VERSION}\0{source}".encode()).hexdigest()[:16]

    def _find(self, source: str) -> str | None:
        """The format made from ``source`` and from the files as they are now, if there is one;
        ``""`` if one was made from them and found unusable (``_typesets_alike``); else None."""
        key = self._key(source)
        try:
            paths = json.loads((self.folder / f"{key}.inputs").read_text(encoding="utf-8"))
            name = _format_name(key, paths)
        except (OSError, ValueError, TypeError):
            return None
        if name is None:
            return None
        if (self.folder / f"{name}{UNUSABLE}").is_file():
            return ""
        return name if (self.folder / f"{name}.fmt").is_file() else None

    def _make(self, source: str, preamble: str) -> str | None:
        """Dump ``source`` (``preamble``'s) into a new format; None when TeX or the cache folder
        will not, or a page typeset from it is not that of plain pdflatex."""
        key = self._key(source)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=DUMP_FOLDER, dir=self.folder))
        except OSError:
            return None
        try:
            (work / "dump.tex").write_text(source, encoding="utf-8")
            dump = ["pdflatex", "-ini", "-recorder", "-interaction=batchmode", "-halt-on-error"]
            if not _quiet_pdflatex([*dump, f"-jobname={DUMP_NAME}", "&pdflatex", "dump.tex"], work):
                return None
            if not (work / f"{DUMP_NAME}.fmt").is_file():
                return None
            paths = _inputs(work / f"{DUMP_NAME}.fls")
            name = _format_name(key, paths)
            if name is None:
                return None
            alike = _typesets_alike(work, preamble)
            if alike is None:  # no verdict (a probe run stopped, e.g. by Ctrl-C): none kept
                return None
            if alike:
                os.replace(work / f"{DUMP_NAME}.fmt", self.folder / f"{name}.fmt")
            else:  # remembered, so that later builds do not dump and probe it again
                (self.folder / f"{name}{UNUSABLE}").touch()
                name = None
            listing = work / "inputs"
            listing.write_text(json.dumps(paths), encoding="utf-8")
            os.replace(listing, self.folder / f"{key}.inputs")
        except (OSError, subprocess.SubprocessError, ValueError):
            return None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _prune(self.folder)
        return name


def _quiet_pdflatex(command: list[str], folder: Path, preloaded: bool = False) -> bool:
    """Whether ``command`` (pdflatex; ``preloaded``: from a format) ran to a clean end in
    ``folder``."""
    from generator.pdf import latex_environment

    done = subprocess.run(
        command,
        cwd=folder,
        env=latex_environment(preloaded),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )
    return done.returncode == 0


def _typesets_alike(work: Path, preamble: str) -> bool | None:
    """Whether a page typeset from the format just dumped in ``work`` is, byte for byte, the
    page plain pdflatex typesets from the same source: what the tests show for every layout,
    checked on this machine's TeX before the format is used (a package that sets up something
    a dump loses would show here). None when a page was not typeset (a run stopped or failed):
    no verdict, which ``_make`` must not remember, or a Ctrl-C during the probe would keep
    formats off until TeX's files change."""
    from generator.pdf import BEGIN, END, latex_command

    probe = f"{preamble}{BEGIN}{PROBE_PAGE}\n{END}\n"
    pages = []
    for name, preloaded in (("plain", None), ("preloaded", work / DUMP_NAME)):
        folder = work / name
        folder.mkdir()
        tex = folder / "probe.tex"
        tex.write_text(probe, encoding="utf-8")
        if not _quiet_pdflatex(latex_command(tex, preloaded), folder, preloaded is not None):
            return None
        pages.append((folder / "probe.pdf").read_bytes())
    return pages[0] == pages[1]


def _inputs(recorder: Path) -> list[str]:
    """Every file a dump read (its ``-recorder`` list; its own source aside), and the pdfTeX
    program, which reads formats only of its own making."""
    paths = {
        line[len("INPUT ") :]
        for line in recorder.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
        if line.startswith("INPUT ") and os.path.isabs(line[len("INPUT ") :])
    }
    program = shutil.which("pdflatex")
    if program is None:
        raise ValueError("pdflatex is gone")
    paths.add(os.path.realpath(program))
    return sorted(paths)


def _format_name(key: str, paths: list[str]) -> str | None:
    """The name of the format of ``key`` made from ``paths`` as they are now: each file's size
    and time go into it, so a file changed since names a format that does not exist yet; and
    so does where pdflatex finds each file's name now (``_found_now``)."""
    if not isinstance(paths, list) or not paths:
        return None
    digest = hashlib.sha256()
    for path in paths:
        try:
            info = os.stat(path)
        except (OSError, TypeError, ValueError):
            return None
        digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0".encode(errors="replace"))
    found = _found_now(paths)
    if found is None:
        return None
    digest.update(found)
    return f"{PREFIX}{key}-{digest.hexdigest()[:16]}"


def _found_now(paths: list[str]) -> bytes | None:
    """Where pdflatex's search (kpathsea's) finds the files' names now: a file put where it
    looks first (a package installed in TEXMFHOME, a TEXINPUTS set, a new ls-R) shadows a file
    the dump read without changing it, and a plain run reads the new one. None: no kpsewhich."""
    from generator.pdf import latex_environment

    names = sorted({os.path.basename(path) for path in paths})
    try:
        done = subprocess.run(
            ["kpsewhich", "-engine=pdftex", "-progname=pdflatex", *names],
            cwd=os.sep,  # not the caller's folder: "." is on TeX's search path
            env=latex_environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    # Not every name is found (the pdfTeX program's is not a TeX file): the exit status says so.
    return f"{done.returncode}\0".encode() + done.stdout


def _prune(folder: Path) -> None:
    """Keep the ``KEPT_FORMATS`` newest formats, or marks of unusable ones (and the lists of the
    files they read): the others belong to an older TeX Live or an older examgen (a format still
    in use is made again when next needed). A dump's folder older than ``STALE_DUMP_SECONDS``
    was left by a build stopped while dumping. Whatever cannot be removed (a folder of the
    user's with such a name) is left, and the rest is still pruned."""
    try:
        made = [*folder.glob(f"{PREFIX}*.fmt"), *folder.glob(f"{PREFIX}*{UNUSABLE}")]
        listings = list(folder.glob("*.inputs"))
        dumps = list(folder.glob(f"{DUMP_FOLDER}*"))
    except OSError:
        return
    made.sort(key=_modified, reverse=True)
    kept = {path.stem[len(PREFIX) :].split("-")[0] for path in made[:KEPT_FORMATS]}
    old = made[KEPT_FORMATS:] + [path for path in listings if path.stem not in kept]
    stale = time.time() - STALE_DUMP_SECONDS
    for path in old + [path for path in dumps if _modified(path) < stale * 1e9]:
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                if path.name.startswith(DUMP_FOLDER):
                    shutil.rmtree(path)
            else:
                path.unlink()


def _modified(path: Path) -> float:
    """When ``path`` last changed (ns), or 0 when it is gone."""
    try:
        return path.lstat().st_mtime_ns
    except OSError:
        return 0
