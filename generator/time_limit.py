"""A time limit on a course family's code, per variant.

An endless loop in a course family's ``solve`` (``while params.x == 7: pass``, for the params
that reach it) hung ``check``, ``preview`` and ``build`` without a word on 8cb6922, where
pdflatex's endless macros are stopped after 60 s (``generator.pdf``). A family's Python takes
milliseconds per variant, so a variant whose family code runs for ``COURSE_SECONDS`` is stopped,
and the error says where it was (``Family.hang_error``). Examgen's own families are proved by
their tests and run with no timer.

The limit is ``SIGALRM`` from ``setitimer(ITIMER_REAL)``, set on the main thread of each process
(a forked worker's too): Python runs a signal's handler there, between two bytecodes of the loop.
Elsewhere (Windows has no ``setitimer``; another thread cannot set a handler) there is no limit.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import FrameType

#: Seconds a course family's code may take for one variant (all its tries, or its mistakes):
#: a thousand times what a family's variant takes, short enough that a hang is told, not waited
#: out.
COURSE_SECONDS = 10.0

#: Whether a limit is running: a course family's call inside another's (the multiple-choice
#: form's draw computes the family's mistakes) is under the outer limit already.
_limiting = False


def can_limit() -> bool:
    """Whether this thread can set a time limit: the main thread, on a platform with
    ``setitimer``."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(
    seconds: float, expired: Callable[[FrameType | None, float], BaseException]
) -> Iterator[None]:
    """Stop the block after ``seconds`` by raising ``expired(frame, seconds)`` (``frame``: where
    it was running) from inside it. The handler and timer found are restored after it (a caller's
    earlier deadline stands in its place); nested, and where ``can_limit`` says no, it does
    nothing."""
    global _limiting
    if _limiting or not can_limit():
        yield
        return
    outer, interval = signal.getitimer(signal.ITIMER_REAL)
    if 0 < outer <= seconds:  # the caller's own timer ends first: it stands
        yield
        return

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise expired(frame, seconds)

    previous = signal.signal(signal.SIGALRM, alarm)
    started = time.monotonic()
    _limiting = True
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _limiting = False
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        if outer:
            left = outer - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), interval)


def course_time_limit(
    expired: Callable[[FrameType | None, float], BaseException],
) -> AbstractContextManager[None]:
    """``time_limit`` of ``COURSE_SECONDS`` (read when called: a test makes it short)."""
    return time_limit(COURSE_SECONDS, expired)
