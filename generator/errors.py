"""One exception type for every mistake a user can make.

The CLI turns an ``ExamgenError`` into a single line and exit code 1; anything else is a bug in
examgen and is allowed to show its traceback.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def some_of(items: Sequence[str], limit: int = 10) -> str:
    """The first ``limit`` items and how many more: a message names enough of a long list to act
    on and stays one line."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


#: The longest word (a run without spaces) a message repeats whole: a 5,000-character student ID
#: or response cell, named whole, made a one-line error 5 KB long. A path is kept whole (a word
#: with a "/" and no quote: an ID or a cell is quoted where a message names it).
LONGEST_WORD = 300
#: The longest line a message keeps whole: a cell of short words ("x x x …") is one line too.
LONGEST_LINE = 2000
_LONG_WORD_RE = re.compile(rf"\S{{{LONGEST_WORD + 1},}}")


def _cut(text: str, head: int, tail: int) -> str:
    return f"{text[:head]}…[{len(text) - head - tail:,} more characters]…{text[-tail:]}"


def clip_words(message: str) -> str:
    """``message`` with each word longer than ``LONGEST_WORD`` (but a path) cut in the middle,
    its start and end kept (they say what it is: a quoted ID, a cell) and how much was left
    out; then each line longer than ``LONGEST_LINE`` the same way."""

    def clip(word: re.Match[str]) -> str:
        text = word[0]
        if "/" in text and not any(quote in text for quote in "'\""):
            return text
        return _cut(text, 80, 40)

    lines = _LONG_WORD_RE.sub(clip, message).split("\n")
    return "\n".join(_cut(x, 1500, 300) if len(x) > LONGEST_LINE else x for x in lines)


class ExamgenError(Exception):
    """A problem with the user's input or environment, phrased as what was wrong and the fix."""


#: How to mend a spec or bank (``what``) that is not UTF-8.
TOML_UTF8_FIX = "save the {what} as UTF-8 (in your editor: Save with Encoding, UTF-8)"


#: How a zip file begins (.xlsx, .ods), and an old Office file (.xls): no text file does.
ZIP_SIGNATURE = b"PK\x03\x04"
OFFICE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def not_utf8(path: object, data: bytes, err: UnicodeDecodeError, fix: str) -> ExamgenError:
    """A file examgen reads as UTF-8 (a roster, a spec, a bank) that is not: where (a UTF-16
    file, a workbook, as such, else the line and byte of the first bad byte) and ``fix``, how to
    save it."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return ExamgenError(f"{path}: the file is UTF-16, not UTF-8; {fix}")
    if data.startswith(ZIP_SIGNATURE):  # roster.xlsx: said "line 1: byte 15 is not UTF-8"
        return ExamgenError(
            f"{path}: is a zip file (as an Excel .xlsx or LibreOffice .ods workbook is), not "
            f"text; {fix}"
        )
    if data.startswith(OFFICE_SIGNATURE):
        return ExamgenError(
            f"{path}: is an Office file (as an Excel .xls workbook is), not text; {fix}"
        )
    line = data.count(b"\n", 0, err.start) + 1
    return ExamgenError(f"{path}: line {line}: byte {err.start} is not UTF-8; {fix}")


def parse_toml(path: object, source: str, what: str) -> dict[str, Any]:
    """A spec's or bank's (``what``) TOML, or one line saying what keeps it from being read:
    a syntax error, nesting deeper than Python's stack, or a number of more digits than Python
    converts (4300), which ``tomllib`` raises as bare ``ValueError`` and ``RecursionError``."""
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as err:
        raise ExamgenError(f"{path}: TOML syntax error: {err}") from None
    except RecursionError:
        raise ExamgenError(
            f"{path}: arrays or tables nested too deeply to be {what}; flatten them"
        ) from None
    except ValueError:  # int() refuses a number this long
        digits = sys.get_int_max_str_digits()
        long = re.search(rf"\d{{{digits + 1}}}", source)
        line = f" line {source.count(chr(10), 0, long.start()) + 1}:" if long else ""
        raise ExamgenError(
            f"{path}:{line} holds a number of more than {digits} digits, longer than {what} has "
            "any use for; shorten it"
        ) from None


class NoAcceptableVariant(ExamgenError):
    """A family's resample loop gave up: every candidate broke its budget or a degenerate rule.

    Carries the count of each rejection reason, so ``examgen check`` can report them.
    """

    def __init__(self, message: str, rejections: Mapping[str, int]) -> None:
        super().__init__(message)
        self.rejections = dict(rejections)


def innermost_frame(err: BaseException, wanted: Callable[[str], bool]) -> tuple[str, int] | None:
    """The file and line of the innermost traceback frame of ``err`` whose file name is
    ``wanted``: where in an author's family module or template an error happened, so that it can
    be named in one line instead of a traceback. Jinja rewrites its frames to the template's own
    file and line."""
    found = None
    tb = err.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if wanted(filename):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
