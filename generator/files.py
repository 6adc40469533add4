"""Writing output so that no data is lost: staging folders, atomic files, the umask, signals.

A build (and the practice site, and a new family's scaffold) writes into a staging folder beside
its target and moves it into place only when complete; the other commands write each file beside
its target and rename it over. Whatever stops them (an error, Ctrl-C, SIGTERM or SIGHUP, which
every command turns into an exception, a full disk) removes what they were writing and leaves
the target as it was. A SIGKILL cannot be caught: its staging folder is removed by the next build
into the same folder, and a file's hidden temporary by the next write of that file; each tells a
dead owner from a live one by the lock the owner holds.

Errors that come from the path the user gave (a file where a folder should be, a read-only or
full disk, a name too long) become one ``ExamgenError`` naming the path and the fix; any other
``OSError`` is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from generator.errors import ExamgenError, some_of

try:
    import fcntl
except ImportError:  # Windows: no flock, so leftovers are never judged stale
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".lock"
FULL_DISK = (errno.ENOSPC, errno.EDQUOT)
OLD_SUFFIX = ".old"
LINK_LOOP = "symbolic links that lead back to themselves; fix or remove the link"
#: What no path can be, whichever command or argument it came from (see ``path_problem``).
UNUSABLE_PATH = (errno.ENAMETOOLONG, errno.ELOOP)


#: Names Windows keeps for devices whatever follows a dot (``CON.tex`` is the console there).
_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", *(f"{port}{n}" for port in ("COM", "LPT") for n in range(10))]
)


def is_device_name(name: str) -> bool:
    """Whether Windows takes a file or folder of this name for a device (``con``, ``NUL.html``):
    a course's files are shared with Windows and macOS machines too."""
    return name.split(".", 1)[0].upper() in _DEVICES


# --- errors about the user's paths ----------------------------------------------------------------
def path_problem(err: OSError, path: Path, option: str) -> ExamgenError | None:
    """The one line for an ``OSError`` that the user's ``option`` path caused, or None."""
    where = f"{option} {path}" if option else str(path)
    code = err.errno
    if isinstance(err, IsADirectoryError):
        return ExamgenError(f"{where}: is a folder; give a file name")
    if isinstance(err, FileExistsError | NotADirectoryError):
        blocking = _not_a_folder(Path(err.filename or path))
        if blocking.is_symlink() and not blocking.exists():
            return ExamgenError(
                f"{where}: {blocking} is a symbolic link to {os.readlink(blocking)}, which does "
                "not exist; create that folder or remove the link"
            )
        return ExamgenError(f"{where}: {blocking} is a file, not a folder; give a folder path")
    if isinstance(err, PermissionError) or code == errno.EROFS:
        return ExamgenError(
            f"{where}: cannot write there ({os.strerror(code or errno.EACCES)}); "
            "choose a folder you can write to"
        )
    if code == errno.ENAMETOOLONG:
        return ExamgenError(f"{where}: a file name is too long for this file system; shorten it")
    if code == errno.ELOOP:
        return ExamgenError(f"{where}: {LINK_LOOP}")
    if code in FULL_DISK:
        return ExamgenError(
            f"{where}: the disk is full ({os.strerror(code)}); nothing was written, free some "
            "space and run again"
        )
    if code in _UNWRITABLE_PLACE:
        return ExamgenError(
            f"{where}: cannot write there ({os.strerror(code)}); choose a folder on an ordinary "
            "disk"
        )
    return None


#: What a place that takes no files says when one is created there: a pseudo file system
#: (``/proc/1``: ENOENT though the folder exists), a device gone or failing, a file system that
#: refuses the operation.
_UNWRITABLE_PLACE = frozenset(
    {errno.ENOENT, errno.EINVAL, errno.EIO, errno.ENODEV, errno.ENXIO, errno.EOPNOTSUPP}
)


def _not_a_folder(path: Path) -> Path:
    """What stops ``path`` from being made a folder: the first of it and its parents (from the
    top) that exists but is not a folder. ``mkdir`` names the path it was asked for, not the
    file or dangling link in the way."""
    for part in (*reversed(path.parents), path):
        if os.path.lexists(part) and not part.is_dir():
            return part
    return path


def refuse_file_as_folder(path: Path, option: str, fix: str = "give a folder path") -> None:
    """A folder to write into that is a file, said before anything is written (the OS would
    say it only on the first write, with other outputs already done)."""
    if path.exists() and not path.is_dir():
        raise ExamgenError(f"{option} {path}: is a file, not a folder; {fix}")


def file_option(value: str, option: str) -> Path:
    """The file an option names, as typed: refused when empty (``Path("")`` is ``.``, the
    current folder) or ending in a separator (a folder; ``Path`` drops the separator, and a
    file of the folder's name would be written)."""
    if not value:
        raise ExamgenError(f"{option} is empty; give a file name")
    if value.endswith(("/", os.sep)):
        raise ExamgenError(
            f"{option} {value}: ends in {value[-1]!r}, so it names a folder; give a file name "
            f"(a file in that folder: {value}NAME.csv)"
        )
    return Path(value)


def folder_option(value: str, option: str) -> Path:
    """The folder an option names, as typed: refused when empty, which ``Path`` would read as
    the current folder and fill without a word (``.`` says so)."""
    if not value:
        raise ExamgenError(f"{option} is empty; give a folder (. for the current one)")
    return Path(value)


@contextmanager
def output_errors(
    path: Path, option: str = "--out", full_disk_only: bool = False
) -> Iterator[None]:
    """``OSError`` from writing under the user's ``path`` as one line (see ``path_problem``);
    with ``full_disk_only``, only a full disk (inside a folder examgen made, anything else is a
    bug)."""
    try:
        yield
    except OSError as err:
        if full_disk_only and err.errno not in FULL_DISK:
            raise
        problem = path_problem(err, path, option)
        if problem is None:
            raise
        raise problem from None


def file_start(path: Path, size: int = 4096) -> bytes:
    """How ``path`` begins (at most ``size`` bytes); empty if it cannot be read. A command knows
    its own earlier output by it (a header, a signature), to replace that and nothing else."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def content_digest(data: str | bytes) -> str:
    """The SHA-256 of what a command writes (text as UTF-8), recorded beside it so that the
    next run knows its own output as written from a copy edited by hand since (scan's
    responses, grade's scores)."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def file_digest(path: Path) -> str | None:
    """``content_digest`` of the file at ``path``; ``None`` if it cannot be read."""
    try:
        return content_digest(path.read_bytes())
    except OSError:
        return None


def refuse_replacing_unowned(
    target: Path, own: Callable[[Path], bool], option: str, given: Path
) -> None:
    """Refuse to replace an existing ``target`` that ``own`` does not know for the command's
    earlier output: whatever else has its name is the user's (notes.csv, a q3.pdf of their own),
    and a rename over it would lose it without a word. ``given`` is the path as ``option`` gave
    it (the file, or the folder the file is written into). Said before anything is written."""
    if target.exists() and not own(target):
        raise ExamgenError(
            f"{option} {given}: would overwrite {target}, which examgen did not write there; "
            f"choose another {option} or move the file"
        )


# --- modes ----------------------------------------------------------------------------------------
def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def honour_umask(path: Path, folder: bool = False) -> None:
    """Give ``path`` the mode a plain ``open``/``mkdir`` would have (``mkstemp`` and ``mkdtemp``
    make 0600 and 0700, which hides the output from the course's other graders)."""
    os.chmod(path, (0o777 if folder else 0o666) & ~current_umask())


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` only once the new content is complete; the mode follows the umask.

    The temporary file is locked (flock) until it has replaced ``path``, so that the next write
    of ``path`` can tell one a SIGKILL left behind (removed: nobody holds its lock) from one
    another process is still writing (kept)."""
    write_atomic_set({path: data})


def write_atomic_set(files: Mapping[Path, str | bytes], remove: Iterable[Path] = ()) -> None:
    """``write_atomic`` for files that belong together (scores and their statistics, a review
    folder's images and its report): every one is written whole first, then all replace their
    targets with Ctrl-C and SIGTERM held back, so an interrupted run leaves either the old set or
    the new one, never new scores beside the last run's statistics. ``remove`` names files of
    the old set that the new one lacks (an earlier review's images): they go in the same moment,
    so they never stand beside the new set, nor is the old set left without them. (Only SIGKILL,
    between two renames of a microsecond, could split them.)"""
    written: list[tuple[Path, Path, Any]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            remove_dead_temporaries(path)
            fd, tmp = tempfile.mkstemp(prefix=_temporary_prefix(path), dir=path.parent)
            handle = os.fdopen(fd, "wb")
            written.append((path, Path(tmp), handle))
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            honour_umask(Path(tmp))
        with signals_held():
            for path, tmp, _ in written:
                os.replace(tmp, path)
            for path in remove:
                if path not in files:
                    path.unlink(missing_ok=True)
    finally:
        for _, tmp, handle in written:
            handle.close()
            tmp.unlink(missing_ok=True)  # gone once replaced


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


#: ``tempfile.mkstemp``'s names: the prefix, then 8 of these characters.
_TEMPORARY_SUFFIX = re.compile(r"[a-z0-9_]{8}")


def remove_dead_temporaries(path: Path) -> list[Path]:
    """Remove ``write_atomic``'s temporary files for ``path`` whose writer is gone (a SIGKILL,
    a power cut): hidden files beside it that nobody holds the lock of. Returns those removed.
    (Without flock, on Windows, none is judged dead.)"""
    if fcntl is None:
        return []
    prefix = _temporary_prefix(path)
    removed = []
    names = sorted(
        name
        for name in os.listdir(path.parent)
        if name.startswith(prefix) and _TEMPORARY_SUFFIX.fullmatch(name[len(prefix) :])
    )
    for name in names:
        candidate = path.parent / name
        if candidate.is_symlink() or not candidate.is_file():
            continue
        fd = _lock(candidate, blocking=False)
        if fd is None:
            continue  # a live writer holds it (or it is gone)
        try:
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
        finally:
            os.close(fd)
    return removed


# --- signals --------------------------------------------------------------------------------------
class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: raised like Ctrl-C's KeyboardInterrupt, so every cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        #: Set by ``staged_directory``: the target is as it was (the staged output never moved
        #: in). Otherwise files already complete stay, and none is left half-written.
        self.unchanged = False


STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


@contextmanager
def _handlers(signals: Iterable[int], handler: Any) -> Iterator[dict[int, Any] | None]:
    """``handler`` for ``signals`` while the block runs, the previous handlers back after; yields
    those, or ``None`` off the main thread (only it may set handlers: the block runs as it is)."""
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield previous
    finally:
        for sig, before in previous.items():
            signal.signal(sig, before)


@contextmanager
def signals_raise() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise ``Stopped``; the previous handlers come
    back after. Only the main thread may set handlers; elsewhere the block runs as it is."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    with _handlers(STOP_SIGNALS, stop):
        yield


@contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP that arrive in the block take effect after it, as they would
    have (``Stopped``, ``KeyboardInterrupt``, or the default action). Held by handlers, not by
    the thread's signal mask: another thread of the process would take a masked signal."""
    arrived: list[int] = []
    held = (signal.SIGINT, *STOP_SIGNALS)
    with _handlers(held, lambda signum, _: arrived.append(signum)) as previous:
        yield
    for signum in arrived[:1]:
        assert previous is not None  # handlers were set: a signal arrived through one
        handler = previous[signum]
        if callable(handler):
            handler(signum, None)
        elif handler == signal.SIG_DFL:
            os.kill(os.getpid(), signum)


# --- staging folders ------------------------------------------------------------------------------
def staging_prefix(target: Path) -> str:
    return f".{target.name}.staging-"


#: What followed the prefix in the staging folders of examgen versions that took no lock
#: (``tempfile.mkdtemp``'s eight characters): a name without a lock that is not one of them is
#: the user's (a copy kept as ``.quiz-seed42.staging-backup``), never a leftover to remove.
_UNLOCKED_STAGING = re.compile(r"[a-z0-9_]{8}")


def _lock(path: Path, blocking: bool) -> int | None:
    """An open descriptor holding an exclusive flock on ``path``, or None if another holds it
    (or the file is gone)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    if fcntl is None:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def foreign_entries(folder: Path, owned: Collection[str]) -> list[str]:
    """The names in ``folder`` (top level) that are not ``owned``, the names its writer writes:
    what the user put there (grade's scores beside the key, a site's ``.git`` or ``CNAME``),
    which a rebuild keeps."""
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(name for name in names if name not in owned)


def _carry_over(old: Path, new: Path, owned: Collection[str] | None) -> bool:
    """Move what is not ``owned`` from the replaced folder ``old`` into its replacement ``new``
    (the same file system: both are beside the target); True if ``old`` now holds nothing of
    the user's. A name ``new`` has already stays in ``old`` (it cannot happen while ``owned``
    lists every name the writer writes), so nothing of the user's is deleted."""
    if owned is None:
        return True
    kept = True
    for name in foreign_entries(old, owned):
        if os.path.lexists(new / name):
            kept = False
        else:
            os.replace(old / name, new / name)
    return kept


def remove_stale_staging(target: Path, owned: Collection[str] | None = None) -> list[Path]:
    """Remove the staging folders of builds into ``target`` whose owner is gone (a SIGKILL, a
    power cut); a folder whose lock a running build holds is left alone. Returns those removed.
    An owner killed between moving ``target`` aside and moving its own folder in left the only
    copy of ``target`` aside: it goes back first; one killed just after left the user's files
    (what is not ``owned``) aside: they join ``target``."""
    if fcntl is None:
        return []
    removed = []
    prefix = staging_prefix(target)
    bases = {
        entry.name.removesuffix(LOCK_SUFFIX).removesuffix(OLD_SUFFIX)
        for entry in target.parent.glob(f"{prefix}*")
    }
    for base in sorted(bases):
        folder = target.parent / base
        lock = folder.with_name(base + LOCK_SUFFIX)
        fd = None
        if lock.exists():
            fd = _lock(lock, blocking=False)
            if fd is None and lock.exists():
                continue  # a running build owns it
        elif not _UNLOCKED_STAGING.fullmatch(base.removeprefix(prefix)):
            continue  # no build of any version made it: the user's, whatever its name
        try:
            old = folder.with_name(base + OLD_SUFFIX)
            if old.exists() and not target.exists():  # killed between its two renames
                os.replace(old, target)
            elif old.exists() and not _carry_over(old, target, owned):
                continue
            for leftover in (folder, old):
                if leftover.exists():
                    shutil.rmtree(leftover, ignore_errors=True)
                    removed.append(leftover)
            if not (folder.exists() or old.exists()):  # else tried again next time
                lock.unlink(missing_ok=True)
        finally:
            if fd is not None:
                os.close(fd)
    return removed


@dataclass(frozen=True)
class WriterRecord:
    """How a writer tells what it wrote into a folder from what the user keeps there: the JSON
    file it writes into every folder it makes, and from that file's data every path it wrote
    (relative, with ``/``, top-level names and folders included). A rebuild replaces each owned
    name whole, so a file of the user's inside an owned folder, or an owned name in a folder
    some other program wrote, would be lost with it."""

    name: str  # manifest.json, examgen-site.json
    paths: Callable[[Any], Collection[str]]

    def earlier(self, folder: Path) -> Collection[str] | None:
        """What the writer wrote into ``folder``, or None when no readable record says."""
        try:
            data = json.loads((folder / self.name).read_text(encoding="utf-8"))
            return set(self.paths(data))
        except (OSError, UnicodeDecodeError, ValueError, LookupError, TypeError, AttributeError):
            return None


def _not_written(folder: Path, name: str, wrote: Collection[str]) -> Iterator[str]:
    """The topmost paths at or under ``name`` in ``folder`` that ``wrote`` does not list: a
    folder of the user's once, not every file in it. A link is not followed."""
    if name not in wrote:
        yield name
        return
    top = folder / name
    if top.is_symlink():
        return  # replaced as a link; where it points is not touched
    if top.is_dir() != any(path.startswith(f"{name}/") for path in wrote):
        yield name  # a file of the user's where examgen wrote a folder (or the other way round)
        return
    if not top.is_dir():
        return
    for root, dirs, files in os.walk(top):
        here = Path(root).relative_to(folder).as_posix()
        ours = []
        for entry in sorted([*dirs, *files]):
            path = f"{here}/{entry}"
            if path not in wrote:
                yield path
            elif entry in dirs:
                ours.append(entry)
        dirs[:] = ours


def refuse_replacing_users_files(
    target: Path, owned: Collection[str], record: WriterRecord, option: str
) -> None:
    """Stop before anything is written when replacing ``owned`` in ``target`` would delete what
    ``record`` does not list: said now, the user moves the files; found later, they were gone."""
    present = sorted(name for name in owned if os.path.lexists(target / name))
    if not present:
        return
    wrote = record.earlier(target)
    if wrote is None:
        raise ExamgenError(
            f"{option} {target}: holds {some_of(present, 5)}, which examgen would replace, but no "
            f"readable {record.name}: examgen did not write this folder; move them out of it or "
            f"choose another {option}"
        )
    foreign = [path for name in present for path in _not_written(target, name, wrote)]
    if foreign:
        one = len(foreign) == 1
        raise ExamgenError(
            f"{option} {target}: {some_of(foreign, 5)} {'is' if one else 'are'} not what examgen "
            f"wrote there (its {record.name} does not list {'it' if one else 'them'}) and would be "
            f"lost when examgen replaces what it wrote; move {'it' if one else 'them'} out of "
            f"{target}, and run again"
        )


@contextmanager
def staged_directory(
    target: Path,
    option: str = "--out",
    owned: Collection[str] | None = None,
    record: WriterRecord | None = None,
) -> Iterator[Path]:
    """Yield an empty staging folder that replaces ``target`` only if the block completes.
    With ``owned`` (every top-level name the block may write), whatever else ``target`` holds
    is the user's and moves into the new folder (``foreign_entries``); without, ``target`` is
    replaced whole. With ``record`` too, replacing an owned name that holds anything the last
    writer did not write stops before the block starts (``refuse_replacing_users_files``).

    The staging folder ``.<target>.staging-<pid>-<random>`` is owned through an flock on the file
    of the same name plus ``.lock``, held until the folder is gone, so that the next build can
    tell a dead owner's leftovers (removed) from a running build's folder (kept).

    A ``target`` that is a symbolic link (an exam folder kept on a shared drive) is replaced
    where it points, staged beside that folder, and the link stays."""
    if target.is_symlink():
        if not target.exists():
            raise ExamgenError(
                f"{option} {target}: a symbolic link to {os.readlink(target)}, which does not "
                "exist; create that folder or remove the link"
            )
        target = target.resolve()
    refuse_file_as_folder(target, option, f"move the file or choose another {option}")
    _refuse_unmovable(target, owned, option)
    if owned is not None and record is not None:
        refuse_replacing_users_files(target, owned, record, option)
    whole = target.resolve()
    if target.exists() and whole in _working_folders():
        # ``.`` cannot be renamed (EBUSY), and a folder renamed from under a shell leaves the
        # shell in a deleted folder that looks empty.
        raise ExamgenError(
            f"{option}: {target} is the folder you are in, or holds it, and is replaced whole; "
            f"run examgen from outside it, e.g. from {whole.parent}"
        )
    if target.is_dir() and os.path.ismount(target):
        raise _mount_point(target, option)
    parent = target.parent
    created_parent = not parent.exists()
    with output_errors(target, option):
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(target, owned)
        try:
            fd, lock_name = tempfile.mkstemp(
                prefix=f"{staging_prefix(target)}{os.getpid()}-", suffix=LOCK_SUFFIX, dir=parent
            )
        except OSError as err:
            if not (isinstance(err, PermissionError) or err.errno == errno.EROFS) or (
                not target.is_dir()
            ):
                raise
            # The folder itself may be writable (an empty web root in a root-owned parent).
            raise ExamgenError(
                f"{option} {target}: examgen writes the new folder beside it and swaps the two, "
                f"but cannot write in {parent} ({os.strerror(err.errno or errno.EACCES)}); give "
                f"a folder whose parent you can write to, or write permission on {parent}"
            ) from None
    lock = Path(lock_name)
    moving = False
    staging = lock.with_name(lock.name.removesuffix(LOCK_SUFFIX))
    old = staging.with_name(staging.name + OLD_SUFFIX)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        with output_errors(target, option):
            staging.mkdir()  # mode 0777 & ~umask, as any folder the user makes
        yield staging
        moving = True
        _move_into_place(staging, target, old, owned, option)
    except BaseException as err:
        if old.exists() and not target.exists():  # stopped between the two renames
            os.replace(old, target)
        if isinstance(err, KeyboardInterrupt):  # Ctrl-C, or SIGTERM / SIGHUP's Stopped
            # os.replace is all or nothing
            err.unchanged = not moving or staging.exists()  # type: ignore[attr-defined]
        shutil.rmtree(staging, ignore_errors=True)
        if _carry_over(old, target, owned):  # stopped after the renames: the user's files move in
            shutil.rmtree(old, ignore_errors=True)
        if created_parent:
            with suppress(OSError):
                lock.unlink()
            shutil.rmtree(parent, ignore_errors=True)
        raise
    finally:
        if not old.exists():  # else kept, so that the next build knows it for a leftover
            lock.unlink(missing_ok=True)
        os.close(fd)


def _working_folders() -> tuple[Path, ...]:
    """The folder examgen runs in and those holding it; none when it was deleted (a shell left
    in a removed folder can still run examgen with absolute paths)."""
    try:
        here = Path.cwd()
    except FileNotFoundError:
        return ()
    return (here, *here.parents)


def _refuse_unmovable(target: Path, owned: Collection[str] | None, option: str) -> None:
    """The user's folders in ``target`` move into the rebuilt folder: POSIX moves a folder to
    another parent only with write permission on it (its ``..`` changes). Said before anything
    is written; found after the swap, the rebuilt folder would lack them and a hidden ``.old``
    folder hold them."""
    if owned is None:
        return
    stuck = [
        name
        for name in foreign_entries(target, owned)
        if (target / name).is_dir()
        and not (target / name).is_symlink()
        and not os.access(target / name, os.W_OK)
    ]
    if stuck:
        raise ExamgenError(
            f"{option} {target}: {some_of(stuck, 5)} cannot move into the rebuilt folder (a "
            "folder without write permission cannot be moved); give it write permission "
            "(chmod u+w) or move it out of the folder, and run again"
        )


def _mount_point(target: Path, option: str) -> ExamgenError:
    """A mount point (a tmpfs, a container's volume, a bind mount) cannot be renamed, and the
    new folder is written beside the target, then swapped in by renames."""
    return ExamgenError(
        f"{option} {target}: is a mount point, which examgen cannot replace (it writes the new "
        f"folder beside it and swaps the two); give a new folder inside it"
    )


def _move_into_place(
    staging: Path, target: Path, old: Path, owned: Collection[str] | None, option: str
) -> None:
    replacing = target.exists()
    try:
        if replacing:
            try:
                os.replace(target, old)
            except OSError as err:
                if err.errno == errno.EBUSY:  # a bind mount on the same file system
                    raise _mount_point(target, option) from None
                raise
        os.replace(staging, target)
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        raise ExamgenError(
            f"{target}: another build finished into this folder at the same time and its files "
            "are in place; this build's were discarded (run it again to replace them)"
        ) from None
    if replacing and _carry_over(old, target, owned):
        _remove_replaced(old, target)


def _remove_replaced(old: Path, target: Path) -> None:
    """Delete the copy a build replaced. The new one is in place, so the build has succeeded
    whatever happens here: a file that will not go (a PDF held open on a network drive, where
    the folder stays "not empty"; an immutable file) is left, with a warning, for the next build
    to remove (``remove_stale_staging``), rather than failing a finished build."""
    failures: list[BaseException] = []
    shutil.rmtree(old, onerror=lambda function, path, info: failures.append(info[1]))
    if old.exists():
        reason = next((f for f in failures if isinstance(f, OSError)), None)
        why = os.strerror(reason.errno) if reason is not None and reason.errno else "in use"
        print(
            f"Warning: {target}: is in place, but its replaced copy {old.name} could not be "
            f"removed entirely ({why}); the next run into {target.parent} removes it, or delete "
            "it yourself",
            file=sys.stderr,
        )
