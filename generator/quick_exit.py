"""Ending the ``examgen`` program without tearing the interpreter down.

When a command has imported sympy and numpy, Python's own exit spends a third of a second or
more freeing every module's objects one by one (0.4 s after ``import generator.build`` here,
about 6% of a 1,000-student build without PDFs, all of it after the work is done and on one
core). Nothing of that reaches the disk: every file examgen writes is closed where it is written.
So a command that ran to its end leaves by ``os._exit``, once everything a normal exit would
still do for the program has been done: threads that keep the process alive are waited for
(else the normal exit is taken), exit handlers run (multiprocessing ends its workers,
temporary folders go) and the standard streams are flushed (a closed pipe then takes the
normal exit, which reports it as Python does).
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn


def exit_status(code: object) -> int:
    """The status Python gives ``SystemExit(code)``: none is 0, an int is itself, anything
    else is printed on standard error and gives 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _threads_alive() -> bool:
    threading = sys.modules.get("threading")
    if threading is None:
        return False
    main = threading.main_thread()
    return any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate())


def exit_quickly(code: object) -> NoReturn:
    """Leave the program as ``sys.exit(code)`` would, without the interpreter's teardown."""
    if _threads_alive():
        raise SystemExit(code)
    status = exit_status(code)
    # The exit handlers run once: atexit forgets them as it calls them, so the normal exit
    # taken below after a failed flush does not run them again.
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        raise SystemExit(status) from None
    os._exit(status)
