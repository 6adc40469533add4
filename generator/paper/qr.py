"""The QR code printed on every page of a handout, and how the LaTeX template draws it.

The payload names the exam, the seed, the page within the student's handout and the student:
``EG:<exam>:<seed>:<page>:<student id>`` (the ID last, so it may hold any character; exam
IDs are letters, digits, ``-``, ``_`` and ``.``). The page a question lands on is known only
while TeX typesets, and one pdflatex pass is the rule, so each student's part of the document
defines one code per possible page (``pages_bound``) and the page background picks the one for
the page being shipped out.

The codes are drawn by TeX from a run-length string per row (``tex_code``): no image files, no
TeX QR encoder (LaTeX's ``qrcode`` package takes a quarter of a second per code).
"""

from __future__ import annotations

from dataclasses import dataclass

import segno

PREFIX = "EG"  # short: a smaller code has larger modules, which read better at 150 dpi
#: Fixed mask and error level: the mask search is most of segno's time, and these codes are
#: printed on white paper next to nothing else, so any mask reads.
ERROR_LEVEL = "l"
MASK = 0


@dataclass(frozen=True)
class Payload:
    exam: str
    seed: int
    page: int  # 1-based page of the student's handout (sheets.json's ``sheet_page``)
    student: str

    def text(self) -> str:
        return f"{PREFIX}:{self.exam}:{self.seed}:{self.page}:{self.student}"

    @classmethod
    def parse(cls, text: str) -> Payload | None:
        """The payload a QR code holds, or ``None`` when it is not an examgen page."""
        parts = text.split(":", 4)
        if len(parts) != 5 or parts[0] != PREFIX:
            return None
        try:
            return cls(parts[1], int(parts[2]), int(parts[3]), parts[4])
        except ValueError:
            return None


def pages_bound(questions: int) -> int:
    """How many pages a student's handout can have: a question never splits, so at most one
    page per question, plus the first page's header, the answer sheet and the duplex padding."""
    return questions + 3


def _runs(row: list[int]) -> str:
    """One row as run lengths, alternately light and dark starting with light, each run a
    character ``@`` (0) to ``Z`` (26); longer runs are split by an empty run of the other colour."""
    out: list[int] = []
    colour, length = 0, 0
    for module in row:
        if module == colour:
            length += 1
        else:
            out.append(length)
            colour, length = module, 1
    out.append(length)
    text = []
    for n in out:
        while n > 26:
            text.append("Z@")
            n -= 26
        text.append(chr(64 + n))
    return "".join(text)


def tex_code(payload: str) -> str:
    """The QR code of ``payload`` as ``\\examgen@qr`` draws it: rows of runs joined by ``/``."""
    qr = segno.make_qr(payload, error=ERROR_LEVEL, mask=MASK, boost_error=False)
    return "/".join(_runs([int(bool(m)) for m in row]) for row in qr.matrix)


def student_codes(exam: str, seed: int, student: str, questions: int) -> list[str]:
    return [
        tex_code(Payload(exam, seed, page, student).text())
        for page in range(1, pages_bound(questions) + 1)
    ]
