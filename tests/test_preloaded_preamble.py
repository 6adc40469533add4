"""pdflatex runs from a dumped preamble (generator.preloaded_preamble): the same bytes as plain
pdflatex, a format made once and found again, made anew when TeX's files change, and never a
condition (no TeX, no cache folder, a damaged format: plain pdflatex, the same files)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import generator.pdf
import generator.preloaded_preamble as preloaded
from generator.build import build
from generator.preloaded_preamble import (
    KEPT_FORMATS,
    NOT_DUMPABLE,
    PER_RUN,
    PREFIX,
    UNUSABLE,
    PreloadedPreambles,
    _format_name,
    _prune,
    dump_source,
)
from generator.roster import Student
from generator.spec import DEFAULT_SPEC, load_spec

SEED = 7
# Accents and Vietnamese (the T5 fonts, loaded while typesetting, not in the dump).
STUDENTS = [Student("P1", "Đặng Thị Ngọc"), Student("P2", "José Núñez"), Student("P3", "Zoë")]
# Top-level settings that change the preamble past its preload or the pages: every layout.
SETTINGS = {
    "fixed": "",
    "flow-answer-sheet": 'layout = "flow"\nanswer_sheet = true\n',
    "shuffled": "shuffle_questions = true\n",
}


def spec_with(tmp: Path, settings: str) -> Path:
    text = DEFAULT_SPEC.read_text(encoding="utf-8").replace(
        '\ndate = ""\n', f'\ndate = ""\n{settings}'
    )
    path = tmp / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def typeset(
    tmp: Path, spec: Path, monkeypatch: pytest.MonkeyPatch, formats: bool
) -> tuple[dict[str, bytes], list[list[str]]]:
    """Every file of a build with PDFs, and the pdflatex commands it ran."""
    commands: list[list[str]] = []
    real = generator.pdf.latex_command

    def recorded(tex: Path, preloaded: str | None = None) -> list[str]:
        command = real(tex, preloaded)
        if tex.name != "probe.tex":  # a new format's probe page (``_typesets_alike``)
            commands.append(command)
        return command

    with monkeypatch.context() as patch:
        patch.setattr(generator.pdf, "latex_command", recorded)
        if not formats:
            patch.setattr(PreloadedPreambles, "in_cache", classmethod(lambda cls: None))
        out = tmp / ("with" if formats else "without")
        folder = build(load_spec(spec), SEED, STUDENTS, out, pdf=True, jobs=2)
    return files_of(folder), commands


def from_format(command: list[str]) -> bool:
    return any(arg.startswith("-fmt=") for arg in command)


@pytest.mark.pdf
@pytest.mark.parametrize("settings", list(SETTINGS), ids=list(SETTINGS))
def test_runs_from_a_format_write_the_bytes_of_plain_pdflatex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: str
) -> None:
    """Handouts, solutions, per-student PDFs and the typeset positions (sheets.json): byte for
    byte those of runs that load the preamble themselves, for every layout; every run of the
    build started from a format (the shipped template's preload is dumpable)."""
    monkeypatch.setenv("EXAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    spec = spec_with(tmp_path, SETTINGS[settings])
    plain, plain_runs = typeset(tmp_path, spec, monkeypatch, formats=False)
    dumped, dumped_runs = typeset(tmp_path, spec, monkeypatch, formats=True)
    assert plain_runs and not any(map(from_format, plain_runs))
    assert len(dumped_runs) == len(plain_runs) and all(map(from_format, dumped_runs))
    assert dumped.keys() == plain.keys()
    assert [name for name in plain if dumped[name] != plain[name]] == []
    assert len(list((tmp_path / "cache" / "formats").glob("*.fmt"))) == 2  # handouts, solutions


def handout_preamble(tmp: Path) -> str:
    folder = build(load_spec(DEFAULT_SPEC), SEED, STUDENTS[:1], tmp / "src")
    return (
        (folder / "exams" / "P1.tex").read_text(encoding="utf-8").partition("\\begin{document}")[0]
    )


def counting_dumps(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    dumps: list[list[str]] = []
    real = subprocess.run

    def run(command, **kwargs):
        if "-ini" in command:
            dumps.append(command)
        return real(command, **kwargs)

    monkeypatch.setattr(preloaded.subprocess, "run", run)
    return dumps


@pytest.mark.pdf
def test_a_format_is_made_once_and_made_anew_when_a_file_it_read_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later build finds the format without dumping again; a changed file among those the dump
    read (a TeX Live update: here a file of ours put in the list) names a format not made yet,
    and it is made."""
    preamble = handout_preamble(tmp_path)
    folder = tmp_path / "formats"
    dumps = counting_dumps(monkeypatch)
    first = PreloadedPreambles(folder).format_for(preamble)
    assert first is not None and len(dumps) == 1
    assert PreloadedPreambles(folder).format_for(preamble) == first and len(dumps) == 1

    # The format as if it had been made while reading ``package`` too.
    package = tmp_path / "package.sty"
    package.write_text("% 1\n", encoding="utf-8")
    [listing] = folder.glob("*.inputs")
    paths = json.loads(listing.read_text(encoding="utf-8")) + [str(package)]
    listing.write_text(json.dumps(paths), encoding="utf-8")
    key = listing.stem
    with_package = _format_name(key, paths)
    assert with_package is not None
    (folder / f"{first}.fmt").rename(folder / f"{with_package}.fmt")
    assert PreloadedPreambles(folder).format_for(preamble) == with_package and len(dumps) == 1

    # A build stopped while dumping left its folder: gone once it is older than any dump takes.
    left, running = folder / ".dump-left", folder / ".dump-running"
    for work in (left, running):
        work.mkdir()
        (work / "examgen-preamble.log").write_text("", encoding="utf-8")
    hours_ago = time.time() - 2 * 3600
    os.utime(left, (hours_ago, hours_ago))

    package.write_text("% 2, updated\n", encoding="utf-8")
    remade = PreloadedPreambles(folder).format_for(preamble)
    assert len(dumps) == 2 and remade is not None and remade != with_package
    assert (folder / f"{remade}.fmt").is_file()
    assert sorted(folder.glob(".dump-*")) == [running]  # its own dump's folder is gone too


@pytest.mark.pdf
def test_a_file_put_where_tex_looks_first_makes_a_new_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class installed in TEXMFHOME after the format was made changes no file the dump read,
    but plain pdflatex reads it instead: the format found must be one that read it too."""
    preamble = handout_preamble(tmp_path)
    monkeypatch.setenv("TEXMFHOME", str(tmp_path / "texmf"))
    folder = tmp_path / "formats"
    dumps = counting_dumps(monkeypatch)
    first = PreloadedPreambles(folder).format_for(preamble)
    assert first is not None and len(dumps) == 1
    system = subprocess.run(
        ["kpsewhich", "exam.cls"], capture_output=True, text=True, check=True
    ).stdout.strip()
    installed = tmp_path / "texmf" / "tex" / "latex" / "exam" / "exam.cls"
    installed.parent.mkdir(parents=True)
    installed.write_bytes(Path(system).read_bytes())
    again = PreloadedPreambles(folder).format_for(preamble)
    assert len(dumps) == 2 and again is not None and again != first
    [listing] = folder.glob("*.inputs")
    assert str(installed) in json.loads(listing.read_text(encoding="utf-8"))


@pytest.mark.pdf
def test_a_relative_or_oddly_named_cache_folder_has_formats_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``EXAMGEN_CACHE_DIR=.cache``: pdflatex runs in its own folder, where a relative formats
    folder names nothing; and TeX would read a folder list (TEXFORMATS) with ":", ";", "$" and
    "{a,b}" of its own. The format must still be found by the probe and by every run."""
    preamble = handout_preamble(tmp_path)
    monkeypatch.chdir(tmp_path)
    odd = "a:b;{c,d}$e/.cache"
    monkeypatch.setenv("EXAMGEN_CACHE_DIR", odd)
    formats = PreloadedPreambles.in_cache()
    assert formats is not None
    made = formats.format_for(preamble)
    assert made is not None and (tmp_path / odd / "formats" / f"{made}.fmt").is_file()


@pytest.mark.pdf
def test_a_format_whose_page_is_not_plain_pdflatexs_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each new format typesets a probe page both ways first: with the trailer ID's line dumped
    (as if ``PER_RUN`` missed it, so the dump loses it), the pages differ and no format is kept."""
    preamble = handout_preamble(tmp_path)
    monkeypatch.setattr(preloaded, "PER_RUN", frozenset())
    dumps = counting_dumps(monkeypatch)
    probes: list[Path] = []
    real = preloaded._typesets_alike

    def probed(work: Path, text: str) -> bool:
        alike = real(work, text)
        probes.extend(sorted(work.glob("*/probe.pdf")))
        return alike

    monkeypatch.setattr(preloaded, "_typesets_alike", probed)
    folder = tmp_path / "formats"
    assert PreloadedPreambles(folder).format_for(preamble) is None
    assert len(dumps) == 1 and len(probes) == 2  # dumped, and its page typeset both ways
    assert not list(folder.glob("*.fmt")) and not list(folder.glob(".dump-*"))
    # Remembered: the next build does not dump and probe it again (until TeX's files change).
    assert PreloadedPreambles(folder).format_for(preamble) is None
    assert len(dumps) == 1


@pytest.mark.pdf
def test_a_probe_stopped_midway_is_no_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A probe page's run that does not end cleanly (Ctrl-C reaches pdflatex too) says nothing
    about the format: it is not kept, and not marked unusable either, so the next build makes
    it (a remembered mark would keep formats off until a file TeX read changes)."""
    preamble = handout_preamble(tmp_path)
    real = preloaded._quiet_pdflatex

    def interrupted(command: list[str], folder: Path, from_format: bool = False) -> bool:
        if command[-1] == "probe.tex" and from_format:
            return False  # as pdflatex stopped by SIGINT returns
        return real(command, folder, from_format)

    folder = tmp_path / "formats"
    with monkeypatch.context() as patch:
        patch.setattr(preloaded, "_quiet_pdflatex", interrupted)
        assert PreloadedPreambles(folder).format_for(preamble) is None
    assert not list(folder.glob(f"*{UNUSABLE}")) and not list(folder.glob("*.fmt"))
    assert not list(folder.glob(".dump-*"))
    made = PreloadedPreambles(folder).format_for(preamble)
    assert made is not None and (folder / f"{made}.fmt").is_file()


@pytest.mark.pdf
def test_a_damaged_format_is_typeset_without_and_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A format that pdflatex cannot load (a damaged file): the build typesets from plain
    pdflatex, writes the same files, and deletes the file, which the next build makes again."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("EXAMGEN_CACHE_DIR", str(cache))
    spec = DEFAULT_SPEC
    first = files_of(build(load_spec(spec), SEED, STUDENTS, tmp_path / "a", pdf=True))
    formats = sorted((cache / "formats").glob("*.fmt"))
    assert len(formats) == 2
    for path in formats:
        path.write_bytes(path.read_bytes()[:5000])
    again, runs = typeset(tmp_path, spec, monkeypatch, formats=True)
    assert again == first
    # Each document's run tried its format, then ran again without; none used it after.
    assert len(runs) == 4 and sum(map(from_format, runs)) == 2
    assert not any(path.exists() for path in formats)
    build(load_spec(spec), SEED, STUDENTS, tmp_path / "b", pdf=True)
    assert sorted((cache / "formats").glob("*.fmt")) == formats


@pytest.mark.parametrize(("returncode", "damaged"), [(1, True), (-2, False), (-9, False)])
def test_only_a_run_that_ended_itself_without_a_log_finds_its_format_damaged(
    tmp_path: Path, returncode: int, damaged: bool
) -> None:
    """pdflatex that cannot load its format exits 1 before writing a log; one killed while
    loading it (Ctrl-C: SIGINT; ``LatexRuns.stop``: SIGKILL) also leaves no log, but the format
    is sound and must not be deleted (the next build would dump it again)."""
    from generator.pdf import Batch, Job, LatexRuns

    preamble = "\\documentclass{exam}\n\\makeatletter\n"
    formats = PreloadedPreambles(tmp_path / "formats")
    formats.folder.mkdir()
    name = f"{PREFIX}key-0"
    (formats.folder / f"{name}.fmt").write_bytes(b"format")
    source = dump_source(preamble)
    assert source is not None
    formats.known[source] = (threading.Lock(), [name])
    runs = LatexRuns(lambda job, tick: None, preambles=formats)
    tex = tmp_path / "handouts-1.tex"
    runs.jobs.append(Job("handouts", "exams", tex, Batch("", (), ()), range(0), preamble=preamble))
    runs.returncodes.append(returncode)  # how the run (never started) ended
    assert runs._format_failed(0) is damaged
    assert (formats.folder / f"{name}.fmt").exists() is not damaged
    assert formats.format_for(preamble) == (None if damaged else name)


def test_the_newest_formats_and_their_lists_are_kept(tmp_path: Path) -> None:
    """Formats of an older TeX Live or examgen go when a new one is made, oldest first."""
    count = KEPT_FORMATS + 3
    names = []
    for i in range(count):  # every third one a mark of an unusable format
        (tmp_path / f"key{i}.inputs").write_text("[]", encoding="utf-8")
        names.append(f"{PREFIX}key{i}-{i:016x}" + (UNUSABLE if i % 3 == 0 else ".fmt"))
        (tmp_path / names[-1]).write_bytes(b"format")
        os.utime(tmp_path / names[-1], ns=(i * 10**9, i * 10**9))
    # Neither a folder named like an old format nor a dump's leftover file stops pruning.
    (tmp_path / f"{PREFIX}aaa-0.fmt").mkdir()
    os.utime(tmp_path / f"{PREFIX}aaa-0.fmt", ns=(0, 0))
    (tmp_path / ".dump-file").write_text("", encoding="utf-8")
    os.utime(tmp_path / ".dump-file", ns=(0, 0))
    _prune(tmp_path)
    newest = range(count - KEPT_FORMATS, count)
    left = sorted(p.name for p in tmp_path.glob(f"{PREFIX}*"))
    assert left == sorted([f"{PREFIX}aaa-0.fmt", *(names[i] for i in newest)])
    assert sorted(p.name for p in tmp_path.glob("*.inputs")) == [f"key{i}.inputs" for i in newest]
    assert not (tmp_path / ".dump-file").exists()


def test_without_pdflatex_or_a_cache_folder_there_is_no_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preamble = "\\documentclass{exam}\n\\usepackage{amsmath}\n\\makeatletter\n"
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    assert PreloadedPreambles(not_a_folder / "formats").format_for(preamble) is None
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert PreloadedPreambles(tmp_path / "formats").format_for(preamble) is None
    assert not list((tmp_path / "formats").iterdir())  # nothing half-made left
    monkeypatch.setenv("EXAMGEN_CACHE_DIR", "")
    assert PreloadedPreambles.in_cache() is None


# --- what is dumped -----------------------------------------------------------------------------
SAFE_LINES = [
    "\\usepackage{amsmath}",
    "\\usepackage[margin=1in]{geometry}",
    "\\tracinglostchars=3",
    "\\newcommand\\examgenx[1]{{\\bfseries #1}}",
    "\\printanswers",
    "\\ifdefined\\pdfinfoomitdate\\pdfinfoomitdate=1 \\fi",
]
PER_RUN_LINES = ["\\pdftrailerid{}", "\\ifdefined\\pdftrailerid\\pdftrailerid{}\\fi"]
UNSAFE_LINES = [
    "\\immediate\\write18{ls}",
    "\\newwrite\\f \\openout\\f=\\jobname.pos",
    "\\input{extra}",
    "\\pdfinfo{/Title (x)}",
    "\\special{header=x.ps}",
    "\\everyjob{\\relax}",
    "\\documentclass{article}",
    "\\pdftrailerid{#}",  # would be a macro's parameter in the skip macro
]


@given(st.lists(st.sampled_from(SAFE_LINES + PER_RUN_LINES + UNSAFE_LINES), max_size=8))
def test_a_preload_is_dumped_unless_a_line_opens_writes_or_names_the_job(lines: list[str]) -> None:
    """The dump holds the preload's lines in order but those of ``PER_RUN``, which its
    ``\\documentclass`` runs in every job while it skips the preload; a line naming a control
    word of ``NOT_DUMPABLE`` means no format."""
    preamble = "\\documentclass[11pt]{exam}\n" + "".join(f"{line}\n" for line in lines)
    source = dump_source(preamble + "\\makeatletter\n\\def\\x{}\n")
    if any(line in UNSAFE_LINES for line in lines):
        assert source is None
        return
    assert source is not None
    dumped = [line for line in lines if line not in PER_RUN_LINES]
    per_run = "".join(line for line in lines if line in PER_RUN_LINES)
    assert source == (
        "\\documentclass[11pt]{exam}\n"
        + "".join(f"{line}\n" for line in dumped)
        + f"\\long\\def\\documentclass#1\\makeatletter{{{per_run}\\makeatletter}}\n\\dump\n"
    )


def test_only_a_preload_that_starts_with_its_class_and_ends_at_makeatletter_is_dumped() -> None:
    assert dump_source("\\documentclass{exam}\n\\usepackage{x}\n\\begin{document}\n") is None
    assert dump_source("\\usepackage{x}\n\\documentclass{exam}\n\\makeatletter\n") is None
    assert dump_source("\\documentclass{exam}\\jobname\n\\makeatletter\n") is None
    assert dump_source("\\documentclass{exam}\n\\makeatletter\n") is not None
    assert {"jobname", "openout", "write"} <= NOT_DUMPABLE and "pdftrailerid" in PER_RUN
