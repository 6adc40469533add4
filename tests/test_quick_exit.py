"""The program ends without the interpreter's teardown (``generator.quick_exit``), and otherwise
exactly as Python would end it: the same status, every byte of its output, its exit handlers run,
and live threads waited for."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.quick_exit import exit_status

ROOT = Path(__file__).resolve().parents[1]

#: A module-level object whose finaliser prints: Python's teardown frees module globals.
TORN_DOWN = (
    "class Torn:\n    def __del__(self):\n        print('torn down', flush=True)\nkept = Torn()\n"
)


def program(prelude: str, *args: str, entry: str = "run") -> subprocess.CompletedProcess[str]:
    """``examgen ARGS`` as the installed script runs it (``generator.cli.run``), after
    ``prelude``, in a fresh interpreter; ``entry="main"``: ended by Python's own exit."""
    code = f"{prelude}\nimport sys\nsys.argv = ['examgen', *{list(args)!r}]\n"
    code += f"from generator.cli import {entry}\n{entry}()\n"
    # Buffered as on most machines (this one's environment may turn buffering off).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
    )


@given(st.integers(min_value=0, max_value=255))
def test_an_int_code_is_the_status(code: int) -> None:
    assert exit_status(code) == code


def test_no_code_is_success_and_text_is_failure(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_status(None) == 0
    assert exit_status("went wrong") == 1
    assert capsys.readouterr().err == "went wrong\n"


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["--version"], 0),
        (["list"], 0),
        (["no-such-command"], 2),  # click's usage error
        (["preview", "no-such-family"], 1),  # an ExamgenError's one line
    ],
)
def test_status_and_output_are_those_of_main(args: list[str], status: int) -> None:
    """Through a pipe, stdout is block-buffered: what stayed in the buffer must still arrive."""
    ran, normal = program("", *args), program("", *args, entry="main")
    assert ran.returncode == normal.returncode == status
    assert ran.stdout == normal.stdout and ran.stderr == normal.stderr
    assert ran.stdout or ran.stderr
    assert "Traceback" not in ran.stderr


def test_teardown_is_skipped() -> None:
    ran = program(TORN_DOWN, "--version")
    assert ran.returncode == 0 and "examgen" in ran.stdout
    assert "torn down" not in ran.stdout
    # The control: the same program ended by Python's own exit tears the module down.
    assert "torn down" in program(TORN_DOWN, "--version", entry="main").stdout


def test_exit_handlers_run() -> None:
    """What they print comes after click's last flush: it arrives only if flushed again."""
    ran = program("import atexit\natexit.register(print, 'handler ran')", "--version")
    assert ran.returncode == 0
    assert ran.stdout.splitlines()[-1] == "handler ran"


def test_a_live_thread_is_waited_for(tmp_path: Path) -> None:
    """A thread that keeps the process alive finishes its work, as under a normal exit."""
    done = tmp_path / "done"
    prelude = (
        "import threading, time\n"
        "def late():\n"
        "    time.sleep(0.3)\n"
        f"    open({str(done)!r}, 'w').close()\n"
        "threading.Thread(target=late).start()"
    )
    ran = program(prelude, "--version")
    assert ran.returncode == 0
    assert done.exists()


#: stdout's reader gone by the time the program ends: click's own writes went through (it
#: handles a pipe closed while a command writes), the last flush fails.
BROKEN_PIPE = (
    "import atexit, io, sys\n"
    "class Broken(io.StringIO):\n"
    "    def flush(self):\n"
    "        raise BrokenPipeError(32, 'Broken pipe')\n"
    "def reader_gone():\n"
    "    sys.stdout = Broken()\n"
    "    print('not delivered')\n"
    "atexit.register(reader_gone)"
)


def test_a_pipe_closed_before_the_last_flush_ends_as_under_a_normal_exit() -> None:
    """The status (120) and the message Python's own exit gives."""
    ran, normal = program(BROKEN_PIPE, "--version"), program(BROKEN_PIPE, "--version", entry="main")
    assert ran.returncode == normal.returncode == 120
    address = re.compile(r"0x[0-9a-f]+")
    assert address.sub("", ran.stderr) == address.sub("", normal.stderr)
    assert "BrokenPipeError" in ran.stderr
