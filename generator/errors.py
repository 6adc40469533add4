"""One exception type for every mistake a user can make.

The CLI turns an ``ExamgenError`` into a single line and exit code 1; anything else is a bug in
examgen and is allowed to show its traceback.
"""

from __future__ import annotations

from collections.abc import Mapping


class ExamgenError(Exception):
    """A problem with the user's input or environment, phrased as what was wrong and the fix."""


class NoAcceptableVariant(ExamgenError):
    """A family's resample loop gave up: every candidate broke its budget or a degenerate rule.

    Carries the count of each rejection reason, so ``examgen check`` can report them.
    """

    def __init__(self, message: str, rejections: Mapping[str, int]) -> None:
        super().__init__(message)
        self.rejections = dict(rejections)
