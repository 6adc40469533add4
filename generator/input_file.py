"""Reading a file the user names (a roster, a responses CSV, a spec, a statement bank).

``Path.read_bytes`` reads whatever the path is: ``--roster /dev/zero`` filled the memory until
the kernel killed the process, and a named pipe waited forever for a writer. An input is a
regular file of a sensible size; anything else is one line naming the path.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from generator.errors import ExamgenError

#: More bytes than any input holds (a 10,000-student roster is under a megabyte): past it, the
#: path is a mistake, and reading it would fill the memory.
MAX_INPUT_BYTES = 64 * 2**20


def read_input(path: Path, what: str) -> bytes:
    """The bytes of the ``what`` file at ``path``. Raises ``FileNotFoundError``,
    ``IsADirectoryError`` and ``PermissionError`` as reading would (callers word them), and an
    ``ExamgenError`` for a device, a pipe or a socket, or a file too large to be an input."""
    # Non-blocking: opening a named pipe would otherwise wait for a writer.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(info.st_mode):
            raise ExamgenError(
                f"{path}: is not a file but a device, pipe or socket; give the {what} file"
            )
        if info.st_size > MAX_INPUT_BYTES:
            raise ExamgenError(
                f"{path}: holds {info.st_size:,} bytes, more than any {what} "
                f"({MAX_INPUT_BYTES:,} at most); check the path"
            )
        with open(descriptor, "rb", closefd=False) as file:
            return file.read()
    finally:
        os.close(descriptor)
