"""Reading a file the user names (a roster, a responses CSV, a spec, a statement bank).

``Path.read_bytes`` reads whatever the path is: ``--roster /dev/zero`` filled the memory until
the kernel killed the process, and a named pipe waited forever for a writer. An input is a
regular file or a pipe, of a sensible size; anything else is one line naming the path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from generator.errors import ExamgenError
from generator.files import UNUSABLE_PATH, path_problem

#: More bytes than any input holds (a 10,000-student roster is under a megabyte): past it, the
#: path is a mistake, and reading it would fill the memory.
MAX_INPUT_BYTES = 64 * 2**20


def read_input(path: Path, what: str) -> bytes:
    """The bytes of the ``what`` file at ``path``. Raises ``FileNotFoundError`` as reading would
    (callers word it: each knows where its file should be), and for anything else that stops
    the reading an ``ExamgenError``, the same line for every input: a folder, a file it may not
    read, a device or a socket, more bytes than an input holds, a name too long, a loop of
    links, a disk's error (the spec's said only "[Errno 21] Is a directory: '.'"). A pipe
    (``--roster <(…)``, ``/dev/stdin``) is read to its end: one without a writer is empty."""
    try:
        return _read(path, what)
    except FileNotFoundError:
        raise
    except PermissionError:  # Windows refuses to open a folder so
        if os.path.isdir(path):
            raise _a_folder(path, what) from None
        raise ExamgenError(
            f"{path}: cannot read the {what} (permission denied); make it readable or copy it "
            "somewhere you can read"
        ) from None
    except OSError as err:
        problem = path_problem(err, path, "") if err.errno in UNUSABLE_PATH else None
        if problem is not None:
            raise problem from None
        reason = os.strerror(err.errno) if err.errno else str(err)
        raise ExamgenError(f"{path}: cannot read the {what} ({reason}); check the path") from None


def _read(path: Path, what: str) -> bytes:
    # Non-blocking: opening a named pipe would otherwise wait for a writer.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise _a_folder(path, what)
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            raise ExamgenError(
                f"{path}: is not a file but a device or socket; give the {what} file"
            )
        if info.st_size > MAX_INPUT_BYTES:
            raise _too_large(path, what, f"{info.st_size:,} bytes")
        os.set_blocking(descriptor, True)  # a pipe's writer may not have written yet
        with open(descriptor, "rb", closefd=False) as file:
            data = file.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:  # a pipe that does not end (``<(yes)``)
            raise _too_large(path, what, f"more than {MAX_INPUT_BYTES:,} bytes")
        return data
    finally:
        os.close(descriptor)


def _a_folder(path: Path, what: str) -> ExamgenError:
    return ExamgenError(f"{path}: is a folder; give the {what} file")


def _too_large(path: Path, what: str, size: str) -> ExamgenError:
    return ExamgenError(
        f"{path}: holds {size}, more than any {what} ({MAX_INPUT_BYTES:,} at most); check the path"
    )
