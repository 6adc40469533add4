"""No data lost: whatever stops a build (SIGTERM, SIGHUP, a full disk, a SIGKILL before it, another
build finishing first) leaves ``out/`` as it was, and output honours the umask.

Full disks and unwritable folders are faked (an ``OSError`` raised where the write happens), so
the tests need neither a small file system nor a non-root user.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

import generator.build
from generator.characters import shown_name
from generator.cli import main

TARGET = "lecture-14-quiz-seed1"


def build_args(out: Path, *extra: str) -> list[str]:
    return ["build", "--seed", "1", "--count", "3", "--no-pdf", "-q", "--out", str(out), *extra]


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def one_line_error(result, fragment: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert fragment in lines[0], lines[0]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An output folder that already holds something the build must not lose."""
    folder = tmp_path / "out"
    (folder / "keep").mkdir(parents=True)
    (folder / "keep" / "notes.txt").write_text("previous term")
    return folder


SIGNAL_SCRIPT = """
import os, signal, sys
from generator import build
from generator.cli import main

original, calls = build.render_exam_document, [0]
def render_then_signal(*args, **kwargs):
    calls[0] += 1
    if calls[0] == 3:  # mid-build: some files are already in the staging folder
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))
    return original(*args, **kwargs)
build.render_exam_document = render_then_signal
main(["build", "--seed", "1", "--count", "3", "--no-pdf", "-q", "--out", sys.argv[2]])
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_sigterm_and_sighup_clean_up_like_ctrl_c(out: Path, name: str) -> None:
    """On main either signal killed the process and left the staging folder in out/; Ctrl-C
    (SIGINT) cleaned up but said only "Aborted!", not that out/ was as it was (README)."""
    before = listing(out)
    run = subprocess.run(
        [sys.executable, "-c", SIGNAL_SCRIPT, name, str(out)], capture_output=True, text=True
    )
    assert run.returncode == 128 + getattr(signal, name), run.stderr
    assert run.stderr.strip() == f"Stopped by {name}; nothing was written"
    assert listing(out) == before


START_SIGNAL_SCRIPT = """
import builtins, os, signal, sys
import click
from generator import build
from generator.__main__ import start

when, out = sys.argv[1], sys.argv[2]
stop = lambda: os.kill(os.getpid(), signal.SIGINT)
if when == "import":  # while Python imports the command line (click here)
    del sys.modules["click"]
    real_import = builtins.__import__
    def importing(name, *args, **kwargs):
        if name == "click" and "click" not in sys.modules:
            stop()
        return real_import(name, *args, **kwargs)
    builtins.__import__ = importing
elif when == "parse":  # while click reads the arguments
    real_parse = click.Group.parse_args
    def parsing(self, ctx, args):
        stop()
        return real_parse(self, ctx, args)
    click.Group.parse_args = parsing
else:  # mid-build, as in SIGNAL_SCRIPT
    real_render = build.render_exam_document
    calls = [0]
    def rendering(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 3:
            stop()
        return real_render(*args, **kwargs)
    build.render_exam_document = rendering
sys.argv = ["examgen", "build", "--seed", "1", "--count", "3", "--no-pdf", "-q", "--out", out]
start()
"""


@pytest.mark.parametrize("when", ["import", "parse", "build"])
def test_ctrl_c_at_any_moment_of_the_examgen_script_is_one_line(out: Path, when: str) -> None:
    """Ctrl-C while the command line loaded gave a KeyboardInterrupt traceback, and while click
    read the arguments "Aborted!" with status 1 (an auditor's); mid-build it must still clean
    up (the start's handler gives way to Python's as the command starts)."""
    before = listing(out)
    run = subprocess.run(
        [sys.executable, "-c", START_SIGNAL_SCRIPT, when, str(out)], capture_output=True, text=True
    )
    assert run.returncode == 128 + signal.SIGINT, run.stderr
    assert run.stderr.strip() == "Stopped by SIGINT; nothing was written"
    assert listing(out) == before


WRITE_SIGNAL_SCRIPT = """
import os, signal, sys
from generator import files
from generator.cli import main

original = files.os.replace
def signal_then_replace(src, dst):
    if os.path.basename(src).startswith("." + os.path.basename(dst) + "."):  # write_atomic's
        os.kill(os.getpid(), signal.SIGTERM)
    return original(src, dst)
files.os.replace = signal_then_replace
main(sys.argv[1:])
"""


def export_with_notes(tmp_path: Path) -> tuple[Path, list[str]]:
    """A folder holding the instructor's notes, and an export into it."""
    out = tmp_path / "exports"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    return out, ["export", "--format", "moodle", "--seed", "1", "--variants", "2", "--out", str(out)]


def run_stopped(script: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    """The command ``args`` run in a fresh Python by ``script``, which stops it at its rename."""
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)


def test_sigterm_while_a_command_writes_a_file_leaves_no_part_of_it(tmp_path: Path) -> None:
    """Every command, not only build, turns SIGTERM into a clean stop: on main export died at
    once and left its temporary file beside the target. A signal that arrives at the rename
    takes effect once the file is in place (``write_atomic_set``): whole, and nothing else."""
    import xml.etree.ElementTree as ET

    out, args = export_with_notes(tmp_path)
    run = run_stopped(WRITE_SIGNAL_SCRIPT, args)
    assert run.returncode == 128 + signal.SIGTERM, run.stderr
    assert run.stderr.strip() == "Stopped by SIGTERM; no file was left half-written"
    assert listing(out) == ["lecture-14-quiz-seed1-moodle.xml", "notes.txt"]
    ET.parse(out / "lecture-14-quiz-seed1-moodle.xml")  # whole


WRITE_KILL_SCRIPT = WRITE_SIGNAL_SCRIPT.replace("signal.SIGTERM", "signal.SIGKILL")


def test_a_file_whose_writer_was_killed_is_swept_by_the_next_write(tmp_path: Path) -> None:
    """A SIGKILL cannot be caught: it left export's hidden temporary file beside the target for
    good. The next write of that file removes it (nobody holds its lock any more)."""
    out, args = export_with_notes(tmp_path)
    killed = run_stopped(WRITE_KILL_SCRIPT, args)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    leftovers = [name for name in listing(out) if name.startswith(".")]
    assert len(leftovers) == 1  # what the kill left: the temporary file, hidden
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert listing(out) == ["lecture-14-quiz-seed1-moodle.xml", "notes.txt"]


def test_a_temporary_file_a_live_writer_holds_is_kept(tmp_path: Path) -> None:
    """Only a dead writer's temporary file goes: one whose lock is held (another process still
    writing the same file) stays, and so does every other name, hidden or not."""
    from generator.files import remove_dead_temporaries, write_atomic

    target = tmp_path / "key.csv"
    dead, live = tmp_path / ".key.csv.abcd_123", tmp_path / ".key.csv.efgh4567"
    others = [tmp_path / ".key.csv.notes", tmp_path / ".key.csv.abcdefghi", tmp_path / "key.csv.x"]
    for path in [dead, live, *others]:
        path.write_text("partial")
    holder = os.open(live, os.O_RDWR)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        assert remove_dead_temporaries(target) == [dead]
        write_atomic(target, "id,answer\n")
        assert live.exists() and all(path.exists() for path in others)
    finally:
        os.close(holder)
    assert target.read_text() == "id,answer\n"
    assert remove_dead_temporaries(target) == [live]  # its writer gone: the lock is free


def test_every_command_stops_cleanly_on_sigterm() -> None:
    """What the export test shows holds for every command: each runs inside ``reports_errors``,
    which turns SIGTERM and SIGHUP into ``Stopped`` while the command runs."""
    from generator import cli

    for name, command in cli.main.commands.items():
        assert command.callback is not None
        assert command.callback.__code__ is cli.reports_errors(lambda: None).__code__, name


class StopAtCall:
    """A stand-in for ``os.replace`` or ``shutil.rmtree`` that raises ``Stopped`` (as SIGTERM's
    handler does) instead of its call number ``at``."""

    def __init__(self, original: Any, at: int) -> None:
        self.original, self.at, self.calls = original, at, 0

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        if self.calls == self.at:
            from generator.files import Stopped

            raise Stopped(signal.SIGTERM)
        self.original(*args, **kwargs)


@pytest.mark.parametrize(
    ("stopped_at", "content", "unchanged"),
    [
        ("replace", 1, True),  # before the previous output goes aside
        ("replace", 2, True),  # between the two renames: on main both outputs were removed
        ("rmtree", 1, False),  # the new output in place, the previous one being removed
    ],
)
def test_a_stop_during_the_final_move_keeps_one_whole_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stopped_at: str, content: int, unchanged: bool
) -> None:
    """The previous output goes aside, the new one moves in, the previous one is removed: a
    stop anywhere leaves one whole output in place, and says whether it is the new one."""
    from generator import files

    target = tmp_path / "exam"
    target.mkdir()
    (target / "key.json").write_text("previous")
    module = files.os if stopped_at == "replace" else files.shutil
    monkeypatch.setattr(module, stopped_at, StopAtCall(getattr(module, stopped_at), content))
    with pytest.raises(files.Stopped) as stop, files.staged_directory(target) as staging:
        (staging / "key.json").write_text("new")
    assert stop.value.unchanged is unchanged
    assert (target / "key.json").read_text() == ("previous" if unchanged else "new")
    assert listing(tmp_path) == ["exam", "exam/key.json"]


def test_a_build_killed_between_its_two_renames_gets_its_previous_output_back(out: Path) -> None:
    """A SIGKILL after the target went aside and before the new folder moved in leaves the only
    copy of the target in ``.old``: the next build into the same folder puts it back before
    removing the dead build's leftovers (on main it removed it)."""
    from generator.files import remove_stale_staging

    target = out / TARGET
    base = f".{TARGET}.staging-99999-dead"
    (out / f"{base}.old").mkdir()
    (out / f"{base}.old" / "key.json").write_text("previous")
    (out / base).mkdir()
    (out / base / "key.json").write_text("new, never moved in")
    (out / f"{base}.lock").touch()
    remove_stale_staging(target)
    assert (target / "key.json").read_text() == "previous"
    assert listing(out) == sorted(["keep", "keep/notes.txt", TARGET, f"{TARGET}/key.json"])


def test_signal_handlers_are_restored_after_a_build(out: Path) -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    assert CliRunner().invoke(main, build_args(out)).exit_code == 0
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_a_killed_builds_staging_folder_is_removed_by_the_next_build(out: Path) -> None:
    """Leftovers whose owner is gone (no lock, or an unheld one) go; a folder whose lock a
    running build holds, and other exams' folders, stay (on main nothing was ever removed)."""
    dead = out / f".{TARGET}.staging-99999-dead"
    (dead / "exams").mkdir(parents=True)
    (dead / "exams" / "s001.md").write_text("half written")
    dead.with_name(dead.name + ".lock").touch()
    (out / f".{TARGET}.staging-99999-dead.old").mkdir()
    unlocked = out / f".{TARGET}.staging-k2j3hx9a"  # as main named them: no lock at all
    unlocked.mkdir()
    live = out / f".{TARGET}.staging-{os.getpid()}-live"
    live.mkdir()
    lock = os.open(live.with_name(live.name + ".lock"), os.O_CREAT | os.O_RDWR)
    other = out / ".other-exam-seed1.staging-99999-x"
    other.mkdir()
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert CliRunner().invoke(main, build_args(out)).exit_code == 0
    finally:
        os.close(lock)
    leftovers = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert leftovers == sorted([live.name, live.name + ".lock", other.name])
    assert (out / TARGET / "key.json").exists()


def test_a_users_folder_named_like_a_staging_folder_is_not_removed(out: Path) -> None:
    """Only a build's leftovers go: a lock names them, or the eight random characters of the
    lockless staging folders older versions made. On main the next build deleted a user's
    ``.<exam>.staging-backup`` whole, and moved a ``….staging-mine.old`` in as the exam folder."""
    from generator.files import remove_stale_staging

    target = out / TARGET
    target.mkdir()
    (target / "key.json").write_text("current")
    mine = [out / f".{TARGET}.staging-backup", out / f".{TARGET}.staging-mine.old"]
    for folder in mine:
        folder.mkdir()
        (folder / "notes.txt").write_text("the instructor's")
    remove_stale_staging(target)
    assert [(folder / "notes.txt").read_text() for folder in mine] == ["the instructor's"] * 2
    assert (target / "key.json").read_text() == "current"


@given(text=st.text())
def test_a_student_file_has_the_bytes_write_text_gives(tmp_path_factory, text: str) -> None:
    """``_write`` encodes the text itself rather than through a text layer: the same bytes,
    line ends (``\\r``, ``\\r\\n``) untouched."""
    folder = tmp_path_factory.mktemp("write")
    generator.build._write(folder / "fast", text)
    (folder / "plain").write_text(text, encoding="utf-8", newline="\n")
    assert (folder / "fast").read_bytes() == (folder / "plain").read_bytes()


def test_a_student_file_is_opened_binary_where_the_platform_has_text_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows' ``os.open`` translates line ends unless told ``O_BINARY``: ``_write`` asks for
    it wherever the platform defines it, so a file's bytes do not depend on the machine."""
    binary = 0x8000  # Windows' value; only its being passed matters here
    real_open = os.open
    opened: list[int] = []

    def recording_open(path: Any, flags: int, *args: Any) -> int:
        opened.append(flags)
        return real_open(path, flags & ~binary, *args)

    monkeypatch.setattr(os, "O_BINARY", binary, raising=False)
    monkeypatch.setattr(os, "open", recording_open)
    generator.build._write(tmp_path / "file", "a\nb")
    monkeypatch.undo()
    assert opened and all(flags & binary for flags in opened)
    assert (tmp_path / "file").read_bytes() == b"a\nb"


def test_a_full_disk_while_writing_is_one_line_and_leaves_nothing(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On main: OSError with a traceback."""
    original, calls = generator.build._write, [0]

    def write_until_full(path: Path, text: str) -> None:
        calls[0] += 1
        if calls[0] > 5:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        original(path, text)

    monkeypatch.setattr(generator.build, "_write", write_until_full)
    before = listing(out)
    one_line_error(CliRunner().invoke(main, build_args(out)), "the disk is full")
    assert listing(out) == before


def test_out_that_is_a_file_or_under_one_is_one_line(tmp_path: Path) -> None:
    """On main: FileExistsError / NotADirectoryError tracebacks."""
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a folder")
    for bad in (a_file, a_file / "sub"):
        one_line_error(CliRunner().invoke(main, build_args(bad)), "is a file, not a folder")
    assert a_file.read_text() == "not a folder"


def test_a_rebuild_into_a_symlinked_exam_folder_replaces_what_the_link_points_to(
    tmp_path: Path,
) -> None:
    """out/<exam>-seed1 a link to a shared drive's folder: the rebuild lands there and the link
    stays. On main: an OSError traceback (rmtree on a symbolic link) after the link had been
    swapped for a real folder, and a stale ``.old`` link left beside it."""
    shared = tmp_path / "shared"
    five = [*build_args(shared)[:4], "5", *build_args(shared)[5:]]
    assert CliRunner().invoke(main, five).exit_code == 0  # s005's files: an older build's
    (shared / TARGET / "notes.txt").write_text("the instructor's")
    out = tmp_path / "out"
    out.mkdir()
    (out / TARGET).symlink_to(shared / TARGET, target_is_directory=True)
    result = CliRunner().invoke(main, [*build_args(out)[:4], "4", *build_args(out)[5:]])
    assert result.exit_code == 0 and result.exception is None, result.output
    assert sorted(p.name for p in out.iterdir()) == [TARGET] and (out / TARGET).is_symlink()
    key = json.loads((shared / TARGET / "key.json").read_text(encoding="utf-8"))
    assert len(key["students"]) == 4 and not (shared / TARGET / "exams" / "s005.md").exists()
    assert (shared / TARGET / "notes.txt").read_text() == "the instructor's"
    assert sorted(p.name for p in shared.iterdir()) == [TARGET]


def test_a_failed_build_from_a_canvas_roster_is_one_line(tmp_path: Path) -> None:
    """The roster's note (Canvas's Points Possible row skipped) comes with a finished build, not
    before an error: on main a failed build printed the note, then the error."""
    roster = tmp_path / "canvas.csv"
    roster.write_text("Student,ID,SIS User ID\n    Points Possible,,\nAnn,1,a1\n")
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a folder")
    result = CliRunner().invoke(
        main, ["build", "--seed", "1", "--roster", str(roster), "--no-pdf", "--out", str(a_file)]
    )
    one_line_error(result, "is a file, not a folder")
    done = CliRunner().invoke(
        main, ["build", "--seed", "1", "--roster", str(roster), "--no-pdf", "--out", str(tmp_path)]
    )
    assert done.exit_code == 0 and "skipped Canvas's Points Possible row" in done.output


def test_an_exam_folder_that_is_a_file_is_one_line_and_kept(tmp_path: Path) -> None:
    """out/<exam>-seed1 is a file: on main a NotADirectoryError traceback after the build had
    moved the file to a hidden ``.old`` name and put its folder in its place."""
    out = tmp_path / "out"
    out.mkdir()
    (out / TARGET).write_text("my notes")
    one_line_error(CliRunner().invoke(main, build_args(out)), "is a file, not a folder")
    assert listing(out) == [TARGET] and (out / TARGET).read_text() == "my notes"


def test_out_that_is_a_dangling_symlink_is_one_line(tmp_path: Path) -> None:
    """A link to a folder that is gone (an unmounted drive): on main the practice site raised
    NotADirectoryError from its final rename."""
    link = tmp_path / "site"
    link.symlink_to(tmp_path / "unmounted" / "site", target_is_directory=True)
    args = ["site", "--tags", "SGD", "--variants", "1", "--out", str(link)]
    one_line_error(CliRunner().invoke(main, args), "does not exist")
    assert link.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["site"]


@pytest.mark.parametrize("blocker", ["file", "dangling link"])
@pytest.mark.parametrize(
    "command",
    [
        ["export", "--format", "moodle", "--seed", "1", "--variants", "1"],
        ["export", "--format", "qti", "--seed", "1", "--variants", "1"],
        ["build", "--seed", "1", "--count", "1", "--no-pdf"],
    ],
)
def test_out_below_a_file_or_dangling_link_names_what_is_in_the_way(
    tmp_path: Path, command: list[str], blocker: str
) -> None:
    """``--out notes.txt/sub`` or ``--out gone/sub``: on main export said "notes.txt/sub is a
    file", a path that does not exist, and a link to a gone folder was called a file."""
    in_the_way = tmp_path / "in-the-way"
    if blocker == "file":
        in_the_way.write_text("mine")
    else:
        in_the_way.symlink_to(tmp_path / "unmounted", target_is_directory=True)
    result = CliRunner().invoke(main, [*command, "--out", str(in_the_way / "sub" / "deeper")])
    expected = (
        f"{in_the_way} is a file, not a folder"
        if blocker == "file"
        else f"{in_the_way} is a symbolic link to {tmp_path / 'unmounted'}, which does not exist"
    )
    one_line_error(result, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in-the-way"]


def test_out_that_is_the_folder_you_are_in_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cd site && examgen site --out .``: on main an OSError traceback (EBUSY: ``.`` cannot be
    renamed). A folder replaced from under the shell (``--out ..`` from its tags/) would leave
    the shell in a deleted folder that looks empty; an exam folder likewise."""
    site = tmp_path / "site"
    args = ["site", "--tags", "SGD", "--variants", "1", "--out"]
    assert CliRunner().invoke(main, [*args, str(site)]).exit_code == 0
    before = listing(site)
    monkeypatch.chdir(site)
    one_line_error(CliRunner().invoke(main, [*args, "."]), "is the folder you are in")
    monkeypatch.chdir(site / "tags")
    one_line_error(CliRunner().invoke(main, [*args, ".."]), "is the folder you are in")
    assert listing(site) == before
    out = tmp_path / "out"
    assert CliRunner().invoke(main, build_args(out)).exit_code == 0
    monkeypatch.chdir(out / TARGET / "exams")
    one_line_error(CliRunner().invoke(main, build_args(Path("../.."))), "is the folder you are in")
    gone = tmp_path / "gone"  # a shell left in a deleted folder still builds with absolute paths
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert CliRunner().invoke(main, build_args(out)).exit_code == 0


def test_out_that_is_read_only_is_one_line(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real chmod does not stop root (CI runs as root), so the refusal is faked where the
    build first creates something in ``out`` (on main: a PermissionError traceback)."""
    for name in ("mkstemp", "mkdtemp"):
        real = getattr(tempfile, name)

        def refused(*args, real=real, **kwargs):
            if Path(kwargs.get("dir", "")) == out:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(out))
            return real(*args, **kwargs)

        monkeypatch.setattr(tempfile, name, refused)
    one_line_error(CliRunner().invoke(main, build_args(out)), f"--out {out / TARGET}: cannot write")
    # The site's --out is the folder itself: the error names it, not its parent (on 1be3fcf
    # "--out imm: cannot write there" for --out imm/site).
    site = ["site", "--tags", "lecture-14", "--variants", "1", "--out", str(out / "site")]
    one_line_error(CliRunner().invoke(main, site), f"--out {out / 'site'}: cannot write there")


def test_two_builds_finishing_at_once_the_loser_says_so(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another build moves its folder into place between this build's check and its rename
    (on main: OSError ENOTEMPTY)."""
    real_replace = os.replace

    def other_build_wins(src, dst):
        if Path(dst) == out / TARGET and not Path(dst).exists():
            (out / TARGET).mkdir()
            (out / TARGET / "key.json").write_text('{"winner": true}')
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", other_build_wins)
    one_line_error(CliRunner().invoke(main, build_args(out)), "another build finished")
    assert json.loads((out / TARGET / "key.json").read_text()) == {"winner": True}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("refusal", [errno.EPERM, errno.ENOTEMPTY])
def test_a_replaced_copy_that_will_not_go_leaves_a_finished_build_and_a_warning(
    out: Path, monkeypatch: pytest.MonkeyPatch, refusal: int
) -> None:
    """Deleting the copy a rebuild replaced can fail after the new folder is in place: an
    immutable file (EPERM), a PDF held open on a network drive, where the folder stays "not
    empty" (ENOTEMPTY). An auditor's: a traceback and exit 1, or "this build's were discarded"
    while they were in place, and the hidden copy stayed for good. The build succeeds with one
    warning, and the next build removes the copy."""
    assert CliRunner().invoke(main, build_args(out)).exit_code == 0
    real_rmdir = os.rmdir

    def refused(path, *args, **kwargs):
        if str(path).endswith(".old"):  # the replaced copy itself, emptied but for a file
            raise OSError(refusal, os.strerror(refusal), str(path))
        return real_rmdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", refused)
    more = ["build", "--seed", "1", "--count", "4", "--no-pdf", "-q", "--out", str(out)]
    result = CliRunner().invoke(main, more)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert len(lines) == 1 and os.strerror(refusal) in lines[0], result.output
    assert "discarded" not in result.output
    assert len((out / TARGET / "key.csv").read_text().splitlines()) == 5  # this build's 4
    assert (out / "keep" / "notes.txt").exists()
    assert [p for p in out.iterdir() if p.name.startswith(".")]  # left, as the warning says
    monkeypatch.setattr(os, "rmdir", real_rmdir)
    assert CliRunner().invoke(main, build_args(out)).exit_code == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_output_honours_the_umask(tmp_path: Path, umask: int) -> None:
    """On main the exam folder was 0700 (mkdtemp) and scores and exports 0600 (mkstemp)."""
    previous = os.umask(umask)
    try:
        out = tmp_path / "out"
        assert CliRunner().invoke(main, build_args(out)).exit_code == 0
        folder = out / TARGET
        graded = CliRunner().invoke(
            main, ["grade", str(folder), str(folder / "key.csv"), "--out", str(tmp_path / "s.csv")]
        )
        assert graded.exit_code == 0, graded.output
        exported = CliRunner().invoke(
            main,
            ["export", "--format", "moodle", "--seed", "1", "--variants", "2", "--out", str(out)],
        )
        assert exported.exit_code == 0, exported.output
        created = CliRunner().invoke(main, ["new", "umask-probe", "--dir", str(tmp_path / "fam")])
        assert created.exit_code == 0, created.output
    finally:
        os.umask(previous)
    family = tmp_path / "fam" / "umask-probe"
    folders = [folder, family, *(p for p in folder.rglob("*") if p.is_dir())]
    files = [p for p in [*folder.rglob("*"), *family.rglob("*")] if p.is_file()]
    files += [tmp_path / f"s{suffix}" for suffix in (".csv", ".stats.json", ".report.md")]
    files += [tmp_path / "s.mistakes.png", out / f"{TARGET}-moodle.xml"]
    assert {oct(p.stat().st_mode & 0o777) for p in folders} == {oct(0o777 & ~umask)}
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(0o666 & ~umask)}


# --- the instructor's files in an exam folder survive a rebuild ------------------------------------
# Names as an instructor or a tool leaves them beside the build's files: hidden ones (.git,
# .DS_Store), the build's names with another case or suffix, anything a file system takes.
user_names = st.text(
    st.characters(codec="utf-8", exclude_characters="/\\\0"), min_size=1, max_size=30
).filter(
    lambda name: (
        name not in (".", "..")
        and name not in generator.build.BUILD_ENTRIES
        and len(name.encode()) < 200
    )
)


@given(
    entries=st.dictionaries(
        user_names, st.one_of(st.binary(max_size=50), st.none()), min_size=1, max_size=4
    )
)
# Control characters in a name: on main the notice printed them raw (a "\r" or "\n" broke its
# line, an escape sequence recoloured the terminal).
@example(entries={"\r": None, "a\nb": b"x", "\x1b[31mred": b""})
def test_a_rebuild_keeps_what_the_build_did_not_write(entries: dict[str, bytes | None]) -> None:
    """Whatever the instructor put in the exam folder (grade's scores beside key.csv, scans, a TA's
    packets, a .git) moves into the rebuilt folder untouched; the build's own files are replaced,
    a stale PDF of an earlier build with PDFs included (on main the folder was replaced whole:
    every such file was deleted)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        target = out / TARGET
        runner = CliRunner()
        assert runner.invoke(main, build_args(out)).exit_code == 0
        fresh = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
        fresh_names = {p.name for p in target.iterdir()}
        four = [*build_args(out)[:4], "4", *build_args(out)[5:]]
        assert runner.invoke(main, four).exit_code == 0  # s004: a student since dropped
        for name, content in entries.items():
            if content is None:  # a folder with a file in it
                (target / name).mkdir()
                (target / name / "marks.csv").write_bytes(b"s001,2\n")
            else:
                (target / name).write_bytes(content)
        (target / "key.json").write_text("edited by hand")
        # A stale PDF of the last build, one with PDFs: its manifest names pdflatex.
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        manifest["versions"]["pdflatex"] = "pdfTeX 3.141592653-2.6-1.40.25 (TeX Live 2023)"
        (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        (target / "handouts.pdf").write_text("from an earlier build with PDFs")
        result = runner.invoke(main, build_args(out))
        assert result.exit_code == 0, result.output
        for name, content in entries.items():
            if content is None:
                assert (target / name / "marks.csv").read_bytes() == b"s001,2\n"
            else:
                assert (target / name).read_bytes() == content
        rebuilt = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
        assert {p: rebuilt[p] for p in fresh} == fresh
        assert {p.name for p in target.iterdir()} == fresh_names | set(entries)
        assert not (target / "handouts.pdf").exists()
        assert not (target / "exams" / "s004.md").exists()
        assert [p.name for p in out.iterdir()] == [TARGET]  # no staging folder left
        shown = [shown_name(name) for name in sorted(entries)[:5]]
        assert f"Kept what else was in {target} (not written by examgen): " in result.output
        assert ", ".join(shown) in result.output.splitlines()[-1]  # one line, whatever the names


def test_a_read_only_folder_of_the_instructors_stops_a_rebuild_before_it_starts(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scans folder made read-only to protect the originals: POSIX moves a folder to another
    parent only with write permission on it, so the rebuild could not carry it over. On main
    the swap was done first: an OSError traceback, the rebuilt folder without the scans, the
    scans in a hidden ``.old`` folder, and every later build the same traceback. Root ignores
    the permission (CI runs as root), so the refusal is faked as a user meets it."""
    assert CliRunner().invoke(main, build_args(out)).exit_code == 0
    scans = out / TARGET / "scans"
    scans.mkdir()
    (scans / "page1.png").write_bytes(b"scan")
    real_access, real_replace = os.access, os.replace

    def access(path, mode, **kwargs):
        return False if Path(path).name == "scans" and mode & os.W_OK else real_access(path, mode)

    def replace(src, dst, **kwargs):
        if Path(src).name == "scans" and Path(src).parent != Path(dst).parent:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(src))
        return real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(os, "replace", replace)
    before = listing(out)
    one_line_error(CliRunner().invoke(main, build_args(out)), "scans cannot move into the")
    assert listing(out) == before


def test_every_name_a_build_writes_is_its_own(paper_builds: dict[str, Any]) -> None:
    """``BUILD_ENTRIES`` lists all a build writes, with PDFs and without: a name it missed would
    be taken for the instructor's and kept, stale, by the next build."""
    from generator.files import foreign_entries

    with tempfile.TemporaryDirectory() as tmp:
        assert CliRunner().invoke(main, build_args(Path(tmp))).exit_code == 0
        assert foreign_entries(Path(tmp) / TARGET, generator.build.BUILD_ENTRIES) == []
    for folder in paper_builds.values():
        assert foreign_entries(folder, generator.build.BUILD_ENTRIES) == []
        assert {p.name for p in folder.iterdir()} == generator.build.BUILD_ENTRIES


def test_every_path_a_build_writes_is_in_its_record(paper_builds: dict[str, Any]) -> None:
    """``BUILD_RECORD`` lists every path a build wrote, PDFs and cleaned-up IDs included: a path
    it missed would be taken for the instructor's and stop every rebuild."""
    with tempfile.TemporaryDirectory() as tmp:
        assert CliRunner().invoke(main, build_args(Path(tmp))).exit_code == 0
        folders = [Path(tmp) / TARGET, *paper_builds.values()]
        for folder in folders:
            wrote = generator.build.BUILD_RECORD.earlier(folder)
            assert wrote is not None
            assert {p.relative_to(folder).as_posix() for p in folder.rglob("*")} <= wrote


#: The PDFs and sheets.json of a build with PDFs, where an instructor may also put their own.
TYPESET_PLACES = [
    "exams/s001.pdf",
    "solutions/s002.pdf",
    "handouts.pdf",
    "solutions.pdf",
    "sheets.json",
]


@settings(max_examples=len(TYPESET_PLACES), deadline=None)
@given(place=st.sampled_from(TYPESET_PLACES))
def test_a_rebuild_never_deletes_a_pdf_that_a_build_without_pdfs_did_not_write(
    tmp_path_factory: pytest.TempPathFactory, one_build: Path, place: str
) -> None:
    """After a build without PDFs, a PDF in the exam folder is the instructor's (an exam they
    typeset themselves): a rebuild stops, naming it. On 410dd05 every rebuild counted such
    names as its own and deleted them without a word, once the .aux and .log were moved."""
    out = tmp_path_factory.mktemp("out")
    target = out / TARGET
    shutil.copytree(one_build, target)
    (target / place).write_bytes(b"%PDF-1.5 the instructor's")
    before = {p: p.read_bytes() if p.is_file() else None for p in out.rglob("*")}
    for pdf in ("--no-pdf", "--pdf"):
        args = ["build", "--seed", "1", "--count", "3", pdf, "-q", "--out", str(out)]
        result = CliRunner().invoke(main, args)
        one_line_error(result, f"{place} is not what examgen wrote there")
        assert {p: p.read_bytes() if p.is_file() else None for p in out.rglob("*")} == before


def test_a_rebuild_replaces_the_pdfs_of_a_build_with_pdfs(paper_builds: dict[str, Any]) -> None:
    """The PDFs a build with PDFs wrote are its own: a rebuild without PDFs removes them."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / paper_builds["quiz"].name
        shutil.copytree(paper_builds["quiz"], target)
        assert (target / "exams" / "s001.pdf").is_file()
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        seed, count = str(manifest["seed"]), str(len(manifest["students"]))
        args = ["build", "--seed", seed, "--count", count, "--no-pdf", "-q", "--out", tmp]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert not [p for p in target.rglob("*.pdf")] and not (target / "sheets.json").exists()


@pytest.fixture(scope="module")
def one_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("one-build")
    assert CliRunner().invoke(main, build_args(out)).exit_code == 0
    return out / TARGET


#: Where an instructor may put a file of their own inside what a build replaces.
USERS_PLACES = [
    "solutions/drafts/ta-notes.tex",
    "exams/notes.txt",
    "solutions/s001-marked.pdf",
    "exams/.DS_Store",
    "key.json/marks.csv",
]


@settings(max_examples=12, deadline=None)
@given(
    place=st.sampled_from(USERS_PLACES),
    manifest=st.sampled_from(["as written", "missing", "unreadable", "without students"]),
)
def test_a_rebuild_never_deletes_a_file_inside_what_it_replaces(
    tmp_path_factory: pytest.TempPathFactory, one_build: Path, place: str, manifest: str
) -> None:
    """A rebuild replaces exams/, solutions/ and key.json whole: a TA's notes in solutions/, or an
    exam folder that another program wrote (no readable manifest.json), would go with them. It
    stops before writing anything, naming what it would delete; on 1be3fcf it deleted them and
    said nothing."""
    out = tmp_path_factory.mktemp("out")
    target = out / TARGET
    shutil.copytree(one_build, target)
    if place.startswith("key.json/"):
        (target / "key.json").unlink()
        (target / "key.json").mkdir()
    (target / place).parent.mkdir(parents=True, exist_ok=True)
    (target / place).write_text("the instructor's")
    if manifest == "missing":
        (target / "manifest.json").unlink()
    elif manifest == "unreadable":
        (target / "manifest.json").write_text("{")
    elif manifest == "without students":
        (target / "manifest.json").write_text('{"manifest": 1}')
    before = {p: p.read_bytes() if p.is_file() else None for p in out.rglob("*")}
    result = CliRunner().invoke(main, build_args(out))
    if manifest == "as written":
        # A folder where examgen wrote a file (key.json/) is the user's whole.
        yours = next(
            (top for top in ("solutions/drafts", "key.json") if place.startswith(f"{top}/")), place
        )
        one_line_error(result, f"{yours} is not what examgen wrote there")
    else:
        one_line_error(result, "but no readable manifest.json: examgen did not write this folder")
    assert {p: p.read_bytes() if p.is_file() else None for p in out.rglob("*")} == before
    assert sorted(p.name for p in out.iterdir()) == [TARGET]  # no staging folder left


def test_an_exam_folder_of_the_instructors_without_a_builds_names_is_built_into(
    tmp_path: Path,
) -> None:
    """No manifest.json but none of the names a build writes either: nothing to lose, so the
    build goes ahead and keeps what is there."""
    target = tmp_path / TARGET
    target.mkdir()
    (target / "responses.csv").write_text("id,q1\n")
    result = CliRunner().invoke(main, build_args(tmp_path))
    assert result.exit_code == 0, result.output
    assert (target / "responses.csv").read_text() == "id,q1\n" and (target / "key.json").exists()


@pytest.mark.parametrize("stop_at", [3, 4])  # the first or the second file carried over
def test_a_stop_while_carrying_the_instructors_files_over_loses_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop_at: int
) -> None:
    """Replacing a folder renames it aside, renames the new one in, then moves the instructor's
    files across one by one: a stop in the middle still moves the rest before anything is
    removed."""
    from generator import files

    target = tmp_path / "exam"
    target.mkdir()
    (target / "key.json").write_text("previous")
    for name in ("a-scores.csv", "b-scans"):
        (target / name).write_text(name)
    monkeypatch.setattr(files.os, "replace", StopAtCall(files.os.replace, stop_at))
    with pytest.raises(files.Stopped), files.staged_directory(target, owned={"key.json"}) as new:
        (new / "key.json").write_text("new")
    assert listing(tmp_path) == ["exam", "exam/a-scores.csv", "exam/b-scans", "exam/key.json"]
    assert [(target / n).read_text() for n in ("a-scores.csv", "b-scans", "key.json")] == [
        "a-scores.csv",
        "b-scans",
        "new",
    ]


def test_a_build_killed_while_carrying_files_over_has_them_carried_by_the_next(
    out: Path,
) -> None:
    """A SIGKILL after the new folder moved in, with the instructor's files still in ``.old``:
    the next build moves them in before removing the leftovers."""
    from generator.files import remove_stale_staging

    target = out / TARGET
    (target / "exams").mkdir(parents=True)
    base = f".{TARGET}.staging-99999-dead"
    (out / f"{base}.old" / "exams").mkdir(parents=True)
    (out / f"{base}.old" / "responses.csv").write_text("id,q1\ns001,A\n")
    (out / f"{base}.lock").touch()
    remove_stale_staging(target, generator.build.BUILD_ENTRIES)
    assert (target / "responses.csv").read_text() == "id,q1\ns001,A\n"
    assert sorted(p.name for p in out.iterdir()) == ["keep", TARGET]


def test_a_name_both_folders_have_stays_aside_rather_than_be_deleted(tmp_path: Path) -> None:
    """A writer that writes a name it did not declare its own would clash with the instructor's
    file of that name: the new folder keeps its file, the instructor's stays in the old folder
    beside it, and neither is deleted."""
    from generator import files

    target = tmp_path / "exam"
    target.mkdir()
    (target / "notes.txt").write_text("the instructor's")
    with files.staged_directory(target, owned={"key.json"}) as new:
        (new / "notes.txt").write_text("undeclared")
    assert (target / "notes.txt").read_text() == "undeclared"
    aside = [p for p in tmp_path.iterdir() if p.name.endswith(files.OLD_SUFFIX)]
    assert [(p / "notes.txt").read_text() for p in aside] == ["the instructor's"]
    files.remove_stale_staging(target, {"key.json"})  # the next build: still kept aside
    assert [(p / "notes.txt").read_text() for p in aside] == ["the instructor's"]


SITE_ARGS = ["site", "--tags", "SGD", "--variants", "1", "--out"]


def test_out_that_is_a_mount_point_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mount point cannot be renamed (EBUSY), and a site's --out is replaced by a rename (on
    248b4b9: an OSError traceback for an empty tmpfs or a container's volume). Said before
    anything is written; a bind mount that ``ismount`` cannot tell is said at the rename, with
    the earlier site and nothing else left."""
    volume = tmp_path / "volume"
    volume.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(volume)], capture_output=True)
    try:
        if mounted.returncode != 0:  # no CAP_SYS_ADMIN here: the kernel's answer, faked
            real_ismount = os.path.ismount
            monkeypatch.setattr(
                os.path, "ismount", lambda p: Path(p) == volume or real_ismount(p)
            )
        one_line_error(CliRunner().invoke(main, [*SITE_ARGS, str(volume)]), "is a mount point")
        assert list(volume.iterdir()) == []
        assert sorted(p.name for p in tmp_path.iterdir()) == ["volume"]
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", str(volume)], check=True)

    site = tmp_path / "site"
    assert CliRunner().invoke(main, [*SITE_ARGS, str(site)]).exit_code == 0
    before = listing(site)
    real_replace = os.replace

    def busy(src, dst):
        if Path(src) == site:
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(src))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", busy)
    one_line_error(CliRunner().invoke(main, [*SITE_ARGS, str(site)]), "is a mount point")
    assert listing(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "volume"]


def test_an_empty_out_folder_in_a_parent_examgen_cannot_write_names_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty web root in a root-owned parent: the folder is writable, but the new site is
    written beside it. On 248b4b9 "--out …/site: cannot write there", which the user could
    disprove with touch. Faked: a chmod does not stop root."""
    parent = tmp_path / "par"
    (parent / "site").mkdir(parents=True)
    real = tempfile.mkstemp

    def refused(*args, **kwargs):
        if Path(kwargs.get("dir", "")) == parent:
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), str(parent))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    one_line_error(
        CliRunner().invoke(main, [*SITE_ARGS, str(parent / "site")]),
        f"cannot write in {parent} (",
    )
    assert listing(parent) == ["site"]


@pytest.mark.parametrize("command", ["site", "build"])
def test_a_file_of_the_users_where_examgen_wrote_a_folder_stops_the_rebuild(
    tmp_path: Path, command: str
) -> None:
    """``rm -r site/tags; echo notes > site/tags``: on 248b4b9 the rebuild replaced the file
    with the folder without a word (the record lists ``tags``, and only folders were looked
    into). The rebuild stops naming it, and nothing changes."""
    if command == "site":
        folder, args, owned = tmp_path / "site", [*SITE_ARGS, str(tmp_path / "site")], "tags"
    else:
        folder, args, owned = tmp_path / "out" / TARGET, build_args(tmp_path / "out"), "exams"
    assert CliRunner().invoke(main, args).exit_code == 0
    shutil.rmtree(folder / owned)
    (folder / owned).write_text("my notes")
    before = listing(folder)
    one_line_error(CliRunner().invoke(main, args), f"{owned} is not what examgen wrote there")
    assert listing(folder) == before
    assert (folder / owned).read_text() == "my notes"


def test_out_on_a_file_system_that_takes_no_files_is_one_line() -> None:
    """/proc/1 exists but takes no new file (ENOENT from the kernel): on 248b4b9 a
    FileNotFoundError traceback from the staging lock's mkstemp."""
    proc = Path("/proc/1")
    if not proc.is_dir():
        pytest.skip("no /proc on this system")
    for args in ([*SITE_ARGS, str(proc / "examgen-site")], build_args(proc / "examgen-out")):
        one_line_error(CliRunner().invoke(main, args), "cannot write there")


def test_a_build_given_its_own_exam_folder_as_out_says_to_give_the_folder_above(
    one_build: Path, tmp_path: Path
) -> None:
    """``--out out/lecture-14-quiz-seed1`` for seed 1 wrote a second exam folder inside the
    first (on 8c6220a), which the next build into out/ carried over as the instructor's. Now it
    is one line naming the folder to give; the folder stays as it was. Another seed's build
    into an exam folder is a new folder beside its files, as before."""
    out = tmp_path / "out"
    shutil.copytree(one_build, out / TARGET)
    before = listing(out)
    result = CliRunner().invoke(main, build_args(out / TARGET))
    one_line_error(result, f"is the folder of this exam and seed, which a build writes inside --out; give --out {out.resolve()}")
    assert listing(out) == before
    other = ["build", "--seed", "2", "--count", "1", "--no-pdf", "-q", "--out", str(out / TARGET)]
    assert CliRunner().invoke(main, other).exit_code == 0
    assert (out / TARGET / TARGET.replace("seed1", "seed2") / "key.json").is_file()
