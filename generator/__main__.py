"""``python -m generator`` and the ``examgen`` script: examgen's command line (``generator.cli``).

Ctrl-C before a command starts (while Python imports the command line, or click reads the
arguments) stops at once, in the words and with the status a command's own Ctrl-C has: nothing
is written by then. It gave a traceback, or click's "Aborted!" and status 1. A command puts
Python's own handler back as it starts, so that its Ctrl-C cleans up (``cli.reports_errors``).
"""

import os
import signal
import sys
from types import FrameType


def _stopped(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write(f"Stopped by {signal.Signals(signum).name}; nothing was written\n")
    sys.stderr.flush()
    os._exit(128 + signum)


def start() -> None:
    signal.signal(signal.SIGINT, _stopped)
    from generator.cli import run

    run()


if __name__ == "__main__":
    start()
