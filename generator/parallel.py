"""Work items run by several forked processes at once, their results in order.

A build without PDFs is pure Python (sampling, solving, rendering, writing), which one process
runs on one core; runs of students are independent (each variant depends only on the seed, the
student's ID and the spec), so worker processes share them and the results come back in roster
order, the files byte for byte the same as one process writes. ``examgen check`` shares a
family's variants the same way, its report folded from their outcomes in seed order.

The workers are forked, so they inherit the loaded spec, families and templates and nothing is
pickled but the work items and results. Where fork is not the safe default (macOS, Windows),
everything runs in the calling process, as it does for a single item or a single process.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from generator.errors import ExamgenError

T = TypeVar("T")
R = TypeVar("R")

#: Fork is the default and safe on Linux only.
CAN_FORK = sys.platform.startswith("linux")

_work: Callable[[Any], Any] | None = None


#: prctl's option to be sent a signal when the parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1


def worker_signals() -> None:
    """In a forked worker: Ctrl-C is the parent's to handle (it ends the workers), SIGTERM
    from the parent ends a worker at once (the command's raising handler is inherited), and so
    does the parent's death (``die_with_parent``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    die_with_parent()


#: The process that forks: set in it just before each fork, so a child knows its parent.
_forked_by = os.getpid()


def _before_fork() -> None:
    global _forked_by
    _forked_by = os.getpid()


os.register_at_fork(before=_before_fork)


def die_with_parent() -> None:
    """Linux: this process gets SIGTERM when the one that forked it dies, even by SIGKILL, which
    runs no cleanup: a killed `examgen scan` left its workers asleep for good, holding the
    parent's output pipe open (a caller reading it to the end waited for ever). A parent killed
    between the fork and this call sends nothing: the orphan, adopted by another, ends itself."""
    if not CAN_FORK:
        return
    import ctypes

    with suppress(OSError, AttributeError):  # no prctl: the workers end with their queue
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != _forked_by:
        os.kill(os.getpid(), signal.SIGTERM)


def _start_worker(work: Callable[[Any], Any]) -> None:
    """Each worker: the work to do, and ``worker_signals``."""
    global _work
    _work = work
    worker_signals()


def _run(item: Any) -> Any:
    assert _work is not None
    try:
        return _work(item)
    except ExamgenError as err:  # subclasses may not survive pickling; their message does
        raise ExamgenError(str(err)) from None
    except Exception as err:
        if _survives_pickling(err):
            raise
        # An exception the parent cannot rebuild (one whose __init__ takes other arguments
        # than it was given, or whose class the parent cannot import) kills the pool's result
        # thread, and the parent would wait for ever: its type and message come back instead.
        raise RuntimeError(f"{type(err).__name__}: {err}") from None


def _survives_pickling(err: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:
        return False
    return True


@contextmanager
def ordered_map(
    work: Callable[[T], R], items: Sequence[T], processes: int
) -> Iterator[Iterator[R]]:
    """An iterator of ``work(item)`` for ``items`` in order, computed by up to ``processes``
    forked workers; leaving the block ends every worker (an error or an interrupt included), so
    nothing writes after it."""
    workers = min(processes, len(items))
    if workers <= 1 or not CAN_FORK:
        yield map(work, items)
        return
    pool = multiprocessing.get_context("fork").Pool(workers, _start_worker, (work,))
    try:
        yield pool.imap(_run, items)
    finally:
        pool.terminate()
        pool.join()
