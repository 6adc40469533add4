"""One exception type for every mistake a user can make.

The CLI turns an ``ExamgenError`` into a single line and exit code 1; anything else is a bug in
examgen and is allowed to show its traceback.
"""


class ExamgenError(Exception):
    """A problem with the user's input or environment, phrased as what was wrong and the fix."""
