"""The ``examgen`` command: maps options onto library calls, and known errors onto one line.

No logic lives here. An ``ExamgenError`` becomes ``Error: …`` on standard error and exit code 1;
click's own usage errors (a bad option value, an unknown option) are one line too, and exit 2.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Sized
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar

import click

from generator import __version__
from generator.defaults import (
    ANSWERS,
    CHECK_CLASS_SIZE,
    CHECK_TYPESET,
    CHECK_VARIANTS,
    DEFAULT_SPEC,
    FORMS,
    MAX_SEED,
    MAX_STUDENTS,
    SITE_VARIANTS,
)
from generator.errors import ExamgenError, clip_words, some_of

# Each command imports what it runs (sympy, numpy, jinja2, pikepdf, opencv…) when it runs, so
# `examgen --help` and click's usage errors start in a fraction of the time.

if TYPE_CHECKING:
    from pathlib import Path

F = TypeVar("F", bound=Callable[..., Any])


class PathArgument:
    """click.Path's ``path_type``: a pathlib Path, with pathlib imported only when a command
    runs. ``examgen --help`` then skips it and what it imports (urllib.parse, ipaddress,
    fnmatch), about a sixth of its time; json and signal wait for their commands the same way.
    (click needs a type here: it checks ``isinstance`` before converting.)"""

    def __new__(cls, value: str) -> Path:  # type: ignore[misc]
        from pathlib import Path

        if not value:  # Path("") is the folder examgen runs in: `--out ""` wrote there
            raise click.BadParameter("an empty path; give a file or folder (. for this one)")
        return Path(value)


T = TypeVar("T")


def full_output(err: OSError) -> click.ClickException | None:
    """The one-line error for output (``> file``) on a full disk; ``None`` for any other."""
    from generator.files import FULL_DISK

    if err.errno not in FULL_DISK or err.filename is not None:
        return None
    return click.ClickException(
        f"the disk is full ({os.strerror(err.errno)}) where the output goes; free some space "
        "and run again"
    )


def reports_errors(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import signal

        from generator.files import (
            LINK_LOOP,
            UNUSABLE_PATH,
            Stopped,
            path_problem,
            signals_raise,
        )

        with suppress(ValueError):  # Ctrl-C raises KeyboardInterrupt again (see __main__)
            signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            with signals_raise():  # every command's writes clean up, not only a build's
                return command(*args, **kwargs)
        except ExamgenError as err:
            raise click.ClickException(clip_words(str(err))) from None
        except OSError as err:  # a path no command can use, whichever argument it came from
            full = full_output(err)
            if full is not None:
                raise full from None
            if err.errno not in UNUSABLE_PATH:
                raise
            where = PathArgument(err.filename if err.filename is not None else "a path")
            raise click.ClickException(str(path_problem(err, where, ""))) from None
        except RuntimeError as err:  # pathlib's resolve() meeting a loop of links (Python 3.11)
            if not str(err).startswith("Symlink loop from "):
                raise
            where = str(err).removeprefix("Symlink loop from ").strip("'")
            raise click.ClickException(f"{where}: {LINK_LOOP}") from None
        except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM / SIGHUP's Stopped: cleaned up
            signum = stop.signum if isinstance(stop, Stopped) else signal.SIGINT
            unchanged = getattr(stop, "unchanged", False)  # set by a build's staging folder
            done = "nothing was written" if unchanged else "no file was left half-written"
            click.echo(f"Stopped by {signal.Signals(signum).name}; {done}", err=True)
            sys.exit(128 + signum)

    return wrapper  # type: ignore[return-value]


def progress_bar(quiet: bool) -> Callable[[Iterable[T], str], Iterable[T]]:
    """A progress bar on a terminal; nothing when piped, logged or ``--quiet``."""

    def show(items: Iterable[T], label: str) -> Iterable[T]:
        if quiet or not sys.stderr.isatty():
            yield from items
            return
        # Sized iterables (a list, or LaTeX runs that report as they go) stream; others are listed.
        items = items if isinstance(items, Sized) else list(items)
        with click.progressbar(items, label=f"{label:<22}", file=sys.stderr) as bar:
            yield from bar

    return show


def kept_notice(folder: Path, owned: Collection[str]) -> None:
    """Say which of the instructor's files a rebuild kept in ``folder`` (see
    ``files.foreign_entries``), so that scores made for the earlier build are not taken for new."""
    from generator.characters import shown_name
    from generator.files import foreign_entries

    kept = foreign_entries(folder, owned)
    if kept:
        shown = some_of([shown_name(name) for name in kept], 5)
        click.echo(f"Kept what else was in {folder} (not written by examgen): {shown}", err=True)


class WholeNumber(click.IntRange):
    """click.IntRange whose error says what to give ("0 is out of range; give a whole number from
    1 to 1000"), not the range as code ("0 is not in the range 1<=x<=1000.")."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            number = click.INT.convert(value, param, ctx)  # not a number: click's own message
            wanted = f"from {self.min} to {self.max}"
            if self.max is None:
                wanted = f"of at least {self.min}"
            self.fail(f"{number} is out of range; give a whole number {wanted}", param, ctx)


class OneLineUsageError(click.UsageError):
    """A usage error shown as every other error of examgen is: ``Error: …`` alone."""

    def show(self, file: Any = None) -> None:
        click.ClickException.show(self, file)


def one_line(err: click.UsageError) -> str:
    """A usage error in one line: a bad value as ``--variants: 0 is out of range; give …``,
    anything else (an unknown option, a missing one) as click says it, with where to look."""
    param = err.param if isinstance(err, click.BadParameter) else None
    if param is not None and not isinstance(err, click.MissingParameter):
        name = param.human_readable_name
        if isinstance(param, click.Option):
            name = max(param.opts, key=len)  # --variants, not -v
        return f"{name}: {err.message.rstrip('.')}"
    where = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
    return f"{err.format_message()}{where}"


@contextmanager
def one_line_usage_errors() -> Iterator[None]:
    """Raise click's usage errors as ``OneLineUsageError``; one that shows itself otherwise (the
    help of ``examgen`` typed alone) is left as it is."""
    try:
        yield
    except click.UsageError as err:
        if type(err).show is not click.UsageError.show:
            raise
        raise OneLineUsageError(one_line(err), err.ctx) from None


class Commands(click.Group):
    """examgen's commands, whose usage errors are one line like its other errors: click prints
    its usage block, "Try … --help" and a blank line before the one that says what is wrong
    (``site --variants 0`` was four lines where every other mistake was one)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with one_line_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with one_line_usage_errors():
            return super().invoke(ctx)


SEED = WholeNumber(0, MAX_SEED)
FAMILIES_OPTION = click.option(
    "--families",
    "families_dirs",
    type=click.Path(path_type=PathArgument, file_okay=False),
    multiple=True,
    help="A course folder holding family folders (repeatable); adds to EXAMGEN_FAMILIES.",
)
#: examgen scan and examgen packets read the same scans the same way.
BUILD_DIR_ARGUMENT = click.argument("build_dir", type=click.Path(path_type=PathArgument))
SCANS_ARGUMENT = click.argument(
    "scans", nargs=-1, required=True, type=click.Path(path_type=PathArgument)
)


def jobs_option(help: str, most: int = 256) -> Callable[[F], F]:
    """``--jobs N``: processes at once, none given meaning one per core available."""
    return click.option("--jobs", type=WholeNumber(1, most), default=None, help=help)


SCAN_JOBS_OPTION = jobs_option("Pages read at once (default: one per core).", most=64)
SPEC_OPTION = click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=PathArgument),
    default=DEFAULT_SPEC,
    show_default="the lecture-14 quiz",
    help="Exam spec (TOML), or a shipped spec's name as `examgen list` shows it.",
)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="examgen")
def main() -> None:
    """Per-student variants of quiz problems, with exact answer keys and worked solutions."""


def run() -> None:
    """The program (the ``examgen`` script, ``python -m generator``): ``main``, ended without
    the interpreter's teardown (``generator.quick_exit``). Tests call ``main`` itself."""
    from generator.quick_exit import exit_quickly

    try:
        main()
    except SystemExit as stop:  # click ends every command with one, 0 included
        exit_quickly(stop.code)
    except OSError as err:  # --help and --version print before any command reports errors
        full = full_output(err)
        if full is None:
            raise
        full.show()
        exit_quickly(full.exit_code)
    exit_quickly(0)


def counted(number: int, noun: str) -> str:
    """``1 student``, ``2 students``: a class of one is not a plural."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@main.command()
@click.option("--seed", type=SEED, required=True, help="The exam's seed; same seed, same exams.")
@click.option(
    "--count",
    type=WholeNumber(1, MAX_STUDENTS),
    default=None,
    help=f"Number of students s001… (default 30, at most {MAX_STUDENTS:,}).",
)
@click.option(
    "--roster",
    type=click.Path(path_type=PathArgument),
    default=None,
    help="CSV (comma, semicolon or tab) with an ID column (id, student_id, SIS User ID, sis_id, "
    "Student ID, SID or ID number; SIS User ID and sis_id win) and a name column (name, Student, "
    "Name, Student Name, "
    f"or First Name + Last Name); at most {MAX_STUDENTS:,} students.",
)
@click.option("--id-column", default=None, help="The roster's ID column, if not one of those.")
@click.option("--name-column", default=None, help="The roster's name column, if not one of those.")
@SPEC_OPTION
@click.option(
    "--out",
    type=click.Path(path_type=PathArgument),
    default="out",
    show_default=True,
    help="Folder that receives <exam-id>-seed<SEED>/.",
)
@click.option(
    "--pdf/--no-pdf",
    default=None,
    help="PDFs (handouts.pdf, solutions.pdf, one per student) need TeX Live; "
    "default: build them when pdflatex is installed.",
)
@jobs_option(
    "Processes at once: pdflatex runs, or with --no-pdf the processes writing the "
    "students (default: the cores available); the files are the same for every value."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@reports_errors
def build(
    seed: int,
    count: int | None,
    roster: Path | None,
    id_column: str | None,
    name_column: str | None,
    spec_path: Path,
    out: Path,
    pdf: bool | None,
    jobs: int | None,
    quiet: bool,
) -> None:
    """Build every student's exam, solutions, key.json and key.csv.

    Each student's variant depends only on SEED, the student's ID and the spec.
    """
    from generator.build import (
        BUILD_ENTRIES,
        changed_ids_notice,
        exam_dir_name,
        refuse_own_folder_as_out,
    )
    from generator.build import build as build_exam
    from generator.grading.grade import refuse_build_output
    from generator.paper.handout import mixed_answer_places
    from generator.paper.qr import UnreadableCode
    from generator.pdf import unprintable_notice, want_pdfs
    from generator.roster import Roster, numbered_students, read_roster
    from generator.spec import load_spec

    if count is not None and roster is not None:
        raise ExamgenError("give either --count or --roster, not both")
    if roster is None and (id_column or name_column):
        raise ExamgenError("--id-column and --name-column need --roster")
    refuse_build_output(out, "--out", into_folder=True)
    spec = load_spec(spec_path)
    refuse_own_folder_as_out(out, spec, seed)
    if roster is not None:
        loaded = read_roster(roster, id_column, name_column)
    else:
        loaded = Roster(numbered_students(count or 30))
    students = loaded.students
    changed_ids = changed_ids_notice(out / exam_dir_name(spec, seed), [s.id for s in students])
    make_pdfs, skipped = want_pdfs(pdf)
    try:
        folder = build_exam(
            spec, seed, students, out, progress_bar(quiet), pdf=make_pdfs, jobs=jobs
        )
    except UnreadableCode as error:
        if roster is None:
            raise
        raise ExamgenError(f"{roster}: line {loaded.lines[error.index]}: {error}") from None
    # Each notice is one line; printed only once the build is in place.
    mixed = [f"Warning: {spec.path}: {note}" for note in mixed_answer_places(spec)]
    for notice in (*loaded.notes, skipped, unprintable_notice(students), changed_ids, *mixed):
        if notice:
            click.echo(notice, err=True)
    click.echo(
        f"Built {counted(len(students), 'student')} × {counted(len(spec.slots), 'question')} "
        f"in {folder}"
    )
    kept_notice(folder, BUILD_ENTRIES)


@main.command()
@click.argument("family")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed for the variant.")
@click.option(
    "--params",
    "params_json",
    default=None,
    help='Pinned params as JSON, e.g. \'{"data": [[1, 3], [2, 3], [3, 6]], "eta": "1/2"}\'.',
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "tex", "json"]),
    default="md",
    show_default=True,
    help="Markdown or LaTeX (statement and solution), or the key entry as JSON.",
)
@click.option(
    "--form",
    type=click.Choice(FORMS),
    default=None,
    help="Ask the family in this form (default: its own). Not every family has every form: "
    'each has its own, and those `examgen list` shows as "also as multiple choice" have choice '
    "too.",
)
@click.option(
    "--difficulty",
    default=None,
    help="Keep the work within a band, as a spec's difficulty does: a band name (standard) "
    "or LEAST-MOST (14-20).",
)
@FAMILIES_OPTION
@reports_errors
def preview(
    family: str,
    seed: int,
    params_json: str | None,
    fmt: str,
    form: str | None,
    difficulty: str | None,
    families_dirs: tuple[Path, ...],
) -> None:
    """Print one variant of FAMILY with its solution."""
    from generator.choices import with_form
    from generator.families import get_family
    from generator.preview import preview_text
    from generator.spec import band_value, work_band

    raw = _parse_params_option(params_json)
    chosen = with_form(get_family(family, families_dirs), form, source="--form")
    if difficulty is not None:
        try:
            chosen = chosen.with_difficulty(work_band(chosen, band_value(difficulty)))
        except ValueError as err:
            raise ExamgenError(f"--difficulty: {err}") from None
    click.echo(preview_text(chosen, seed, raw, fmt), nl=False)


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: with ``{"eta": "1/2", "eta": "1/3"}`` the
    last would silently win, and the preview would not be the problem the user meant."""
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ExamgenError(f"--params: {twice!r} is given twice; give each parameter once")
    return found


def _parse_params_option(params_json: str | None) -> dict[str, Any]:
    if params_json is None:
        return {}
    import json

    try:
        raw = json.loads(params_json, object_pairs_hook=_once_each)
    except json.JSONDecodeError as err:
        raise ExamgenError(
            f"--params: not valid JSON ({err.msg} at column {err.colno}); "
            'example: --params \'{"eta": "1/2"}\''
        ) from None
    except (ValueError, RecursionError):  # an integer of thousands of digits; deep nesting
        raise ExamgenError(
            "--params: a number or nesting far too large for a parameter; "
            'example: --params \'{"eta": "1/2"}\''
        ) from None
    if not isinstance(raw, dict):
        raise ExamgenError('--params: must be a JSON object such as {"eta": "1/2"}')
    return raw


@main.command()
@click.argument("families", nargs=-1)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=PathArgument),
    default=None,
    help="Check the questions of this spec, with its pinned params.",
)
@click.option(
    "--variants",
    type=WholeNumber(1, None),
    default=CHECK_VARIANTS,
    show_default=True,
    help="Variants per family.",
)
@click.option(
    "--seed",
    type=SEED,
    default=0,
    show_default=True,
    help="Variant i uses seed SEED+i, as `examgen preview FAMILY --seed SEED+i` shows it.",
)
@click.option(
    "--class-size",
    type=WholeNumber(2, None),
    default=CHECK_CLASS_SIZE,
    show_default=True,
    help="Warn when more than 1% of a class this size would share a variant.",
)
@click.option(
    "--typeset",
    type=WholeNumber(0, None),
    default=CHECK_TYPESET,
    show_default=True,
    help="Variants of each course family whose exam and solutions pdflatex typesets (in the "
    "background, when TeX Live is installed); 0: none.",
)
@FAMILIES_OPTION
@jobs_option(
    "Processes checking a family's variants at once (default: the cores available); the "
    "report is the same for every value."
)
@click.option("--json", "as_json", is_flag=True, help="A JSON report instead of the table.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@reports_errors
def check(
    families: tuple[str, ...],
    spec_path: Path | None,
    variants: int,
    seed: int,
    class_size: int,
    typeset: int,
    families_dirs: tuple[Path, ...],
    jobs: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Stress-test families: sample and prove many variants.

    Checks FAMILIES (default: every family) in every form they offer (free response and multiple
    choice), or the questions of --spec with their pinned params. Exits 1, naming the seed, if
    any variant fails to generate, breaks a budget or degenerate rule, fails to render, disagrees
    with its family's independent re-check or shows a distractor without an explanation, prints
    or names other mistakes in another process (PYTHONHASHSEED), or if a template holds the
    '((((' trap, computes, leaves a LaTeX brace open, prints a sign after a sign (x - -6) or
    math the practice pages cannot show. With TeX Live, pdflatex typesets the first --typeset
    variants of each course family. Warns when too many students of a class would share a
    variant (--class-size), of a family without a re-check, and of a mistake that only gives the
    key.
    """
    from generator import check as checking

    report = checking.run(
        families,
        spec_path,
        variants,
        seed,
        class_size,
        families_dirs,
        typeset=typeset,
        jobs=jobs,
        progress=progress_bar(quiet),
    )
    if as_json:
        import json

        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.table(), nl=False)
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("old", type=click.Path(path_type=PathArgument))
@click.argument("new", type=click.Path(path_type=PathArgument))
@click.option("--json", "as_json", is_flag=True, help="A JSON report instead of text.")
@reports_errors
def diff(old: Path, new: Path, as_json: bool) -> None:
    """Which students' variants or answers differ between builds.

    OLD and NEW are folders written by `examgen build`, e.g. before and after fixing an erratum:
    the students listed need a new exam or regrading. Students added or removed are listed too.
    """
    from generator.grading.diff import diff_folders

    result = diff_folders(old, new)
    if as_json:
        import json

        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(result.text(), nl=False)


@main.command(name="list")
@FAMILIES_OPTION
@reports_errors
def list_command(families_dirs: tuple[Path, ...]) -> None:
    """List the problem families (with their tags, forms and parameters) and the shipped specs.

    Course families come from EXAMGEN_FAMILIES and --families; `examgen show FAMILY` says more.
    """
    from generator.choices import has_choice_form
    from generator.families import registry
    from generator.spec import shipped_specs, spec_summary

    families = registry(families_dirs).values()  # a registry error before any output: one line
    click.echo("Families:")
    for family in families:
        click.echo(f"  {family.ID:<34} {family.TITLE}")
        also = '; also as multiple choice (form = "choice")' if has_choice_form(family) else ""
        click.echo(f"  {'':<34} tags: {', '.join(family.TAGS)}{also}")
        click.echo(f"  {'':<34} params: {', '.join(family.param_names())}")
    click.echo("Specs:")
    for path in shipped_specs():
        click.echo(f"  {path.stem:<34} {spec_summary(path)}")
        click.echo(f"  {'':<34} {path}")


@main.command()
@click.argument("family")
@FAMILIES_OPTION
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@reports_errors
def show(family: str, families_dirs: tuple[Path, ...], as_json: bool) -> None:
    """Describe FAMILY: parameters (type and range; each can be pinned), forms, tags, named
    mistakes, budget, degenerate rules and re-check."""
    from generator.families import get_family
    from generator.show import families_json, family_text

    found = get_family(family, families_dirs)
    click.echo(families_json([found]) if as_json else family_text(found), nl=False)


@main.command()
@click.argument("family_id")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=PathArgument, file_okay=False),
    default="families",
    show_default=True,
    help="The course folder that receives FAMILY_ID/.",
)
@click.option(
    "--answer",
    type=click.Choice(ANSWERS),
    default="number",
    show_default=True,
    help="The answer's kind: an exact number or vector (with named mistakes, so also multiple "
    "choice), or a true/false or multiple-choice question from a statement bank.",
)
@reports_errors
def new(family_id: str, directory: Path, answer: str) -> None:
    """Write a new family folder DIR/FAMILY_ID/ (family.py, template.j2, bank.toml for bank
    questions) that passes `examgen check` as written; its comments explain the contract."""
    from generator.scaffold import new_family

    folder = new_family(family_id, directory, answer)
    click.echo(f"Wrote {folder}/: " + ", ".join(sorted(p.name for p in folder.iterdir())))
    click.echo(
        f"Next: examgen check {family_id} --families {directory}   "
        f"(or set EXAMGEN_FAMILIES={directory}, or families_dir in a spec)"
    )


@main.command()
@click.argument("key_dir", type=click.Path(path_type=PathArgument))
@click.argument("responses", type=click.Path(path_type=PathArgument))
@click.option(
    "--out",
    type=click.Path(),  # as typed: Path("") is "." and Path("new/") drops the "/"
    default=None,
    help="Scores CSV (default: <RESPONSES name>.scores.csv beside RESPONSES); statistics, item "
    "analysis and a chart go to <out>.stats.json, <out>.report.md and <out>.mistakes.png. Never "
    "the responses, the key, a build folder's files or any file grade did not write.",
)
@click.option(
    "--decimals",
    type=WholeNumber(0, 15),
    default=None,
    help="Places an inexact decimal needs to count (default: the key's rule, else 2).",
)
@click.option(
    "--significant",
    type=WholeNumber(0, 15),
    default=None,
    help="Significant digits an inexact decimal needs (default: the key's rule, else 2).",
)
@click.option(
    "--marks",
    type=click.Path(),
    default=None,
    help="Hand marks (marks.csv from examgen packets: id,name,q3,…, points per cell) merged in: "
    "a mark scores its question instead of the response cell.",
)
@click.option(
    "--id-column",
    default=None,
    help="RESPONSES' student ID column, if not one of SIS User ID, sis_id, id, student_id, "
    "Student ID, SID or ID number (the first found wins, in that order).",
)
@FAMILIES_OPTION
@reports_errors
def grade(
    key_dir: Path,
    responses: Path,
    out: str | None,
    decimals: int | None,
    significant: int | None,
    marks: str | None,
    id_column: str | None,
    families_dirs: tuple[Path, ...],
) -> None:
    """Score RESPONSES (key.csv's columns: id,q1,q2,…) against KEY_DIR's key.json.

    Writes id,name,q1,…,total and per-question statistics; prints a summary and any warnings.
    """
    from generator.files import file_option
    from generator.grading.analysis import CHART, REPORT, companion_path
    from generator.grading.grade import grade_files, stats_path, summary_text

    out_path = None if out is None else file_option(out, "--out")
    marks_path = None if marks is None else file_option(marks, "--marks")
    report, path = grade_files(
        key_dir, responses, out_path, decimals, significant, families_dirs, marks_path, id_column
    )
    for warning in report.warnings:
        click.echo(clip_words(f"Warning: {warning}"), err=True)
    click.echo(summary_text(report), nl=False)
    written = [stats_path(path), companion_path(path, REPORT), companion_path(path, CHART)]
    click.echo(f"Wrote {path}, {', '.join(map(str, written))}")


@main.command()
@BUILD_DIR_ARGUMENT
@SCANS_ARGUMENT
@click.option(
    "--out",
    type=click.Path(),  # as typed: Path("") is "." and Path("new/") drops the "/"
    default="responses.csv",
    show_default=True,
    help="Responses CSV (key.csv's columns), ready for examgen grade. Never the scans, the "
    "key, a build folder's files or any file scan did not write.",
)
@click.option(
    "--review",
    type=click.Path(),
    default=None,
    help="Folder for review.csv, review.json and page images (default: <out>-review).",
)
@SCAN_JOBS_OPTION
@click.option(
    "--packets",
    "packets_dir",
    type=click.Path(),
    default=None,
    help="Also write review packets of the free answers and marks.csv into this folder "
    "(see examgen packets).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@reports_errors
def scan(
    build_dir: Path,
    scans: tuple[Path, ...],
    out: str,
    review: str | None,
    jobs: int | None,
    packets_dir: str | None,
    quiet: bool,
) -> None:
    """Read scanned handouts (SCANS: PDFs, PNG/JPEG/TIFF/HEIC/WebP/... images, or folders of
    them, folders in them included) of the exam in BUILD_DIR into a responses CSV for
    `examgen grade`.

    Pages may come in any order and any way up, scanned or photographed flat on a desk.
    Bubbles are read; free answers are left empty for hand entry. Pages that cannot be read,
    pages of other exams, duplicates, missing pages and double or unclear marks go to a review
    report; they never stop the batch.
    """
    from generator.files import file_option, folder_option
    from generator.paper.scan import scan as scan_pages
    from generator.paper.scan import summary as scan_summary

    responses = file_option(out, "--out")
    review_dir = None if review is None else folder_option(review, "--review")
    packets = None if packets_dir is None else folder_option(packets_dir, "--packets")
    result = scan_pages(
        build_dir, list(scans), responses, review_dir, jobs, progress_bar(quiet), packets=packets
    )
    click.echo(scan_summary(result))
    if packets_dir is not None:
        click.echo(f"Wrote review packets and marks.csv to {packets_dir}")


@main.command()
@BUILD_DIR_ARGUMENT
@SCANS_ARGUMENT
@click.option(
    "--out",
    type=click.Path(),  # as typed: Path("") is ".", the current folder
    default="packets",
    show_default=True,
    help="Folder for q<N>.pdf (one per free-answer question) and marks.csv; a q<N>.pdf there "
    "that packets did not write, or a marks.csv holding marks, stops packets before any scan is "
    "read.",
)
@SCAN_JOBS_OPTION
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@reports_errors
def packets(
    build_dir: Path, scans: tuple[Path, ...], out: str, jobs: int | None, quiet: bool
) -> None:
    """Review packets for grading written answers by hand: per free-answer question, one PDF
    with every student's answer boxes cropped from their scan (SCANS as for examgen scan)
    beside that student's own key, accepted decimals, worked values and named mistakes;
    and marks.csv (id,name,q3,…) for the points, for `examgen grade --marks`.
    """
    from generator.files import folder_option
    from generator.paper.packets import packets as write_packets

    folder = folder_option(out, "--out")
    written, unused = write_packets(build_dir, list(scans), folder, jobs, progress_bar(quiet))
    click.echo(f"Wrote {', '.join(p.name for p in written)} to {out}")
    if unused:
        counted = ", ".join(f"{n} {why}" for why, n in sorted(unused.items()))
        click.echo(
            f"Warning: {unused.total()} scanned page(s) gave nothing to crop ({counted}); "
            'their students show "no scan" unless another copy was read: examgen scan on the '
            "same scans lists each page in its review",
            err=True,
        )


@main.command(name="export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["moodle", "qti"]),
    required=True,
    help="Moodle XML (question categories) or Canvas QTI 1.2 zip (question groups).",
)
@click.option("--seed", type=SEED, required=True, help="The exam's seed, as for build.")
@SPEC_OPTION
@click.option(
    "--variants",
    type=WholeNumber(1, 10_000),
    default=30,
    show_default=True,
    help="Variants per question: those of students s001… in `build --count N`.",
)
@click.option(
    "--out",
    type=click.Path(path_type=PathArgument),
    default="out",
    show_default=True,
    help="Folder that receives <exam-id>-seed<SEED>-moodle.xml or -qti.zip, or the file itself "
    "(a name ending .xml or .zip).",
)
@reports_errors
def export_command(fmt: str, seed: int, spec_path: Path, variants: int, out: Path) -> None:
    """Export each question's variants for an LMS; each LMS student gets one per question.

    The variants are those `build --count N` gives students s001…sN with the same seed and spec.
    """
    from generator.export import export as export_lms
    from generator.export import partial_credit_notes
    from generator.grading.grade import refuse_build_output
    from generator.spec import load_spec

    refuse_build_output(out, "--out", into_folder=True)
    spec = load_spec(spec_path)
    path, pools = export_lms(spec, seed, fmt, variants, out)  # type: ignore[arg-type]
    for note in partial_credit_notes(spec, fmt):  # type: ignore[arg-type]
        click.echo(f"Warning: {spec.path}: {note}", err=True)
    sizes = ", ".join(f"q{p.number}: {len(p.variants)}" for p in pools)
    click.echo(f"Wrote {path} ({sizes} distinct variants)")


@main.command(name="site")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=PathArgument),
    default=None,
    help="The problems of this spec (pinned params and [grading] kept), one page per tag.",
)
@click.option(
    "--tags",
    multiple=True,
    help="A page for this tag (repeat, e.g. --tags lecture-14 --tags SGD); default: every tag.",
)
@click.option(
    "--variants",
    type=WholeNumber(1, 1000),
    default=SITE_VARIANTS,
    show_default=True,
    help="Pre-built variants per problem (repeats dropped): what 'Another variant' cycles through.",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the variants.")
@FAMILIES_OPTION
@click.option(
    "--out",
    type=click.Path(path_type=PathArgument),
    required=True,
    help="Folder for the site (index.html, tags/, assets/); replaces an earlier site there.",
)
@reports_errors
def site(
    spec_path: Path | None,
    tags: tuple[str, ...],
    variants: int,
    seed: int,
    families_dirs: tuple[Path, ...],
    out: Path,
) -> None:
    """Write practice pages: an index of tags and one page per tag listing its problems.

    Each problem has an answer box (or buttons) checked exactly as `examgen grade` checks, the
    named mistake a wrong answer matches, the worked solution, and "Another variant". Static
    files: open index.html directly or put the folder on any web host; nothing is fetched.
    """
    from generator.grading.grade import refuse_build_output
    from generator.site import INDEX, SITE_ENTRIES, site_for_spec, site_for_tags
    from generator.spec import load_spec

    if spec_path is not None and tags:
        raise ExamgenError("give either --spec or --tags, not both")
    refuse_build_output(out, "--out")
    if spec_path is not None and families_dirs:
        raise ExamgenError(
            "--families goes with --tags; a spec names its course folder itself (families_dir)"
        )
    if spec_path is not None:
        summary = site_for_spec(load_spec(spec_path), seed, variants, out)
    else:
        summary = site_for_tags(tags, seed, variants, out, extra_dirs=families_dirs)
    pages = ", ".join(f"{tag} ({n})" for tag, n in summary.pages.items())
    click.echo(f"Wrote {summary.folder / INDEX}: pages {pages}")
    if summary.note:
        click.echo(summary.note, err=True)
    kept_notice(summary.folder, SITE_ENTRIES)
