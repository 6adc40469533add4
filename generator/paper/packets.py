"""Review packets: every student's written answer beside that student's own key.

With a different variant per student, a TA grading a written vector must otherwise look up each
student's answer. A packet is one PDF per free-answer question: per student (in key order, five
to a page) the answer boxes and the work above them, cropped from the student's scanned page
(registered by its corner marks exactly as ``examgen scan`` reads bubbles, so the crop is the
same region of the page however the scan is turned or scaled), and beside it the student's exact
answer, the decimals ``examgen grade`` also accepts, the worked solution's values in one line and
the variant's named mistakes with their values, so a written answer that is a known mistake is
seen at a glance. A student whose page was not scanned appears with "no scan", never dropped.

Beside the packets, ``marks.csv`` (``id,name,q3,q4,…``, one column per free-answer question,
empty cells) takes the TA's points for ``examgen grade --marks``.
"""

from __future__ import annotations

import io
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sympy

from generator.csv_table import student_csv
from generator.errors import ExamgenError
from generator.files import (
    file_start,
    output_errors,
    refuse_file_as_folder,
    refuse_replacing_unowned,
    write_atomic_set,
)
from generator.grading.grade import misconception_values, refuse_build_output
from generator.grading.hand_marks import holds_marks
from generator.grading.keyfile import Key, KeyQuestion, exam_folder, load_key, rebuild
from generator.paper.layout import load_sheets
from generator.paper.read import PageRead
from generator.paper.sources import PageRef, UnreadableScan, load
from generator.responses import DecimalRule

FREE_KINDS = ("vector", "number")
MARKS_NAME = "marks.csv"
#: Longest "ID   name" label a packet prints; a longer one would run into the key column.
NAME_CHARACTERS = 60
PER_PAGE = 5
#: Crops are made at this resolution (pixels per inch of the printed page): handwriting stays
#: readable and a class's packet stays a few megabytes.
CROP_DPI = 150
MARGIN = 8.0  # pt around the answer boxes
WORK_ABOVE = 120.0  # pt of work space above the boxes shown with them
PAGE_W, PAGE_H = 8.5, 11.0  # inches: US letter, as the handouts

Registered = dict[tuple[str, int], tuple[PageRef, np.ndarray]]


@dataclass(frozen=True)
class Entry:
    """One student's row of a packet."""

    student_id: str
    name: str
    lines: tuple[str, ...]  # the key side, one line each
    crop: np.ndarray | None  # grayscale; None when the page was not scanned


def packet_name(number: int) -> str:
    return f"q{number}.pdf"


def croppable(read: PageRead | str) -> bool:
    """Whether packets can crop from a scanned page: it was read, named and registered."""
    return not isinstance(read, str) and read.homography is not None and read.key is not None


def registered_pages(refs: Sequence[PageRef], reads: Sequence[PageRead | str]) -> Registered:
    """(student, sheet page) → the first scan of it that registered, and its homography."""
    found: Registered = {}
    for ref, read in zip(refs, reads, strict=True):
        if croppable(read):
            found.setdefault(read.key, (ref, read.homography))  # type: ignore[union-attr]
    return found


def unused_pages(reads: Sequence[PageRead | str]) -> Counter[str]:
    """Why scanned pages gave the packets nothing to crop, counted by the names scan's review
    gives them: a folder of the wrong exam's scans, or of unreadable files, would otherwise
    make packets of "no scan" students without a word."""
    return Counter(
        "unreadable" if isinstance(read, str) else read.problem or "not-registered"
        for read in reads
        if not croppable(read)
    )


def free_numbers(key: Key) -> list[int]:
    """The printed questions answered in writing (a vector or a number) by some student."""
    return sorted(
        {q.number for s in key.students for q in s.questions if q.answer.kind in FREE_KINDS}
    )


# --- the key side -------------------------------------------------------------------------------
def _exact(value: Any) -> str:
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_exact(v) for v in value) + ")"
    return str(value)


def rounded(value: sympy.Rational, places: int) -> str:
    """``value`` rounded half up to ``places`` decimals, exactly (no float)."""
    value = sympy.Rational(value)
    scaled = abs(value) * 10**places
    digits = str(int(sympy.floor(scaled + sympy.Rational(1, 2)))).rjust(places + 1, "0")
    sign = "-" if value < 0 and digits.strip("0") else ""
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits)


def accepted(question: KeyQuestion, rule: DecimalRule) -> str:
    """The forms ``examgen grade`` accepts: the exact value or a decimal rounding of it."""
    values = question.answer.value
    values = values if isinstance(values, tuple) else (values,)
    if all(sympy.Rational(v).q == 1 for v in values):
        return "exact only (whole numbers)"
    decimals = [
        str(v) if sympy.Rational(v).q == 1 else rounded(v, rule.places_shown(v)) for v in values
    ]
    shown = decimals[0] if len(decimals) == 1 else "(" + ", ".join(decimals) + ")"
    return f"exact, or {shown} ({rule.describe()})"


def _is_exact(value: Any) -> bool:
    if isinstance(value, tuple):
        return bool(value) and all(_is_exact(v) for v in value)
    return isinstance(value, sympy.Rational | int) and not isinstance(value, bool)


def solution_line(steps: Mapping[str, Any]) -> str:
    """The worked solution in one line: its top-level exact values (gradient, step, …)."""
    return "; ".join(f"{name} = {_exact(v)}" for name, v in steps.items() if _is_exact(v))


def key_lines(question: KeyQuestion, rule: DecimalRule) -> tuple[str, ...]:
    lines = [f"Key: {_exact(question.answer.value)}", f"Accepts: {accepted(question, rule)}"]
    variant = rebuild(question)
    if variant is not None:
        lines.append(f"Work: {solution_line(variant.solution.steps)}")
    mistakes = misconception_values(question)
    if mistakes:
        named = ", ".join(f"{name} {_exact(v)}" for name, v in mistakes.items())
        lines.append(f"Named mistakes: {named}")
    return tuple(lines)


# --- the scan side ------------------------------------------------------------------------------
def crop_region(boxes: Sequence[Mapping[str, float]], region: Mapping[str, float] | None) -> tuple:
    """The page rectangle (x, y, w, h in pt) a packet shows: the answer boxes with a margin,
    and up to ``WORK_ABOVE`` of work above them within the question's own block."""
    x0 = min(b["x"] for b in boxes) - MARGIN
    x1 = max(b["x"] + b["w"] for b in boxes) + MARGIN
    top = min(b["y"] for b in boxes) - MARGIN
    y1 = max(b["y"] + b["h"] for b in boxes) + MARGIN
    y0 = top - WORK_ABOVE
    if region is not None:
        x0 = min(x0, region["x"])
        y0 = max(y0, min(region["y"], top))
    return (round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2))


def crop(image: np.ndarray, homography: np.ndarray, rect: tuple, dpi: int = CROP_DPI) -> Any:
    """The page rectangle ``rect`` (pt) of a registered scan, upright at ``dpi``."""
    import cv2

    x, y, w, h = rect
    s = dpi / 72
    to_page = np.array([[1 / s, 0, x], [0, 1 / s, y], [0, 0, 1]], dtype=np.float64)
    size = (int(round(w * s)), int(round(h * s)))
    return cv2.warpPerspective(
        image,
        homography @ to_page,
        size,
        flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
        borderValue=255,
    )


def _where(sheets: Mapping[str, Any], number: int) -> dict[str, tuple[int, tuple]]:
    """student → (sheet page, crop rectangle) of question ``number``'s answer boxes."""
    out = {}
    for page in sheets["pages"]:
        boxes = [b for b in page["boxes"] if b["question"] == number]
        if boxes:
            region = next((q for q in page["questions"] if q["question"] == number), None)
            out[page["student"]] = (page["sheet_page"], crop_region(boxes, region))
    return out


def entries(
    key: Key, sheets: Mapping[str, Any], number: int, registered: Registered
) -> list[Entry]:
    where = _where(sheets, number)
    images: dict[tuple[str, int], np.ndarray | None] = {}
    out = []
    for student in key.students:
        question = next((q for q in student.questions if q.number == number), None)
        if question is None or question.answer.kind not in FREE_KINDS:
            continue
        picture = None
        if student.id in where:
            page, rect = where[student.id]
            if (student.id, page) in registered:
                ref, h = registered[(student.id, page)]
                if (student.id, page) not in images:
                    try:
                        images[(student.id, page)] = load(ref)
                    except UnreadableScan:
                        images[(student.id, page)] = None
                image = images[(student.id, page)]
                picture = None if image is None else crop(image, h, rect)
        lines = (f"{question.family} ({question.points} pt)", *key_lines(question, key.rule))
        out.append(Entry(student.id, student.name, lines, picture))
    return out


# --- the PDF ------------------------------------------------------------------------------------
#: What ``packet_pdf`` has put in every packet's document information since packets began:
#: the Creator examgen (no other examgen PDF says so) and matplotlib as the Producer (a packet a
#: TA annotated and saved from a PDF reader names that reader instead: it is theirs now).
PACKET_CREATOR, PACKET_PRODUCER = "examgen", "Matplotlib"


def packet_pdf(title: str, rows: Sequence[Entry]) -> bytes:
    """``PER_PAGE`` students a page: the crop left, the key right (text a PDF reader finds)."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    buffer = io.BytesIO()
    pages = [rows[i : i + PER_PAGE] for i in range(0, len(rows), PER_PAGE)] or [[]]
    style = {"pdf.fonttype": 42, "font.family": "DejaVu Sans"}
    with (
        matplotlib.rc_context(style),
        PdfPages(buffer, metadata={"CreationDate": None, "Creator": PACKET_CREATOR}) as pdf,
    ):
        for number, page in enumerate(pages, start=1):
            figure = Figure(figsize=(PAGE_W, PAGE_H))
            figure.text(
                0.04,
                0.975,
                f"{title}   page {number} of {len(pages)}",
                fontsize=10,
                weight="bold",
                va="top",
            )
            band = 0.93 / PER_PAGE
            for i, entry in enumerate(page):
                top = 0.955 - i * band
                _draw_entry(figure, entry, top, band)
            pdf.savefig(figure)
    return buffer.getvalue()


def _draw_entry(figure: Any, entry: Entry, top: float, band: float) -> None:
    left, width = 0.03, 0.56
    figure.add_artist(_rule(figure, top))  # a thin line between students
    figure.text(
        left, top - 0.006, _name_label(entry), fontsize=9, weight="bold", va="top", parse_math=False
    )
    image_top = top - 0.024
    if entry.crop is None:
        figure.text(
            left + 0.02, image_top - 0.04, "no scan", fontsize=14, color="#b00000", va="top"
        )
    else:
        h_px, w_px = entry.crop.shape
        height = min(band - 0.035, width * (h_px / w_px) * PAGE_W / PAGE_H)
        axes = figure.add_axes((left, image_top - height, width, height))
        axes.imshow(entry.crop, cmap="gray", vmin=0, vmax=255, interpolation="none", aspect="auto")
        axes.set_axis_off()
    family, answer, *rest = entry.lines
    figure.text(
        left + 0.3, top - 0.006, family, fontsize=8, va="top", color="#444444", parse_math=False
    )
    figure.text(
        left + width + 0.02,
        top - 0.006,
        answer,
        fontsize=10,
        weight="bold",
        va="top",
        parse_math=False,
    )
    size, text = key_text(rest)
    figure.text(
        left + width + 0.02,
        image_top,
        "\n".join(text),
        fontsize=size,
        va="top",
        linespacing=1.25,
        parse_math=False,
    )


#: The key column's text at its largest: points, characters a line, lines in a student's band.
KEY_FONT, KEY_CHARACTERS, KEY_LINES = 7.0, 52, 14
#: Smallest size the text shrinks to before it says what it leaves out.
KEY_FONT_SMALLEST = 5.0


def key_text(lines: Sequence[str]) -> tuple[float, list[str]]:
    """The key column's lines wrapped at the largest size that fits the student's band (the
    descent steps name some twenty mistakes: on main the list stopped mid-entry, no mark that
    it went on). Smaller type holds more characters a line and more lines; at the smallest, the
    last line says how many are left out."""
    size = KEY_FONT
    while True:
        scale = KEY_FONT / size
        wrapped = []
        for line in lines:
            wrapped.extend(
                textwrap.wrap(
                    line,
                    int(KEY_CHARACTERS * scale),
                    subsequent_indent="   ",
                    break_on_hyphens=False,  # a mistake's name whole on its line
                )
                or [""]
            )
        room = int(KEY_LINES * scale)
        if len(wrapped) <= room:
            return size, wrapped
        if size <= KEY_FONT_SMALLEST:
            kept = wrapped[: room - 1]
            return size, [*kept, f"… {len(wrapped) - len(kept)} more lines left out"]
        size = max(KEY_FONT_SMALLEST, size - 0.5)


def _name_label(entry: Entry) -> str:
    """The student's ID and name as the roster has them, never read as matplotlib math (a name
    may hold "$"), invisible and control characters shown as U+XXXX (as on the handouts), and
    cut short before it runs into the key column."""
    label = "".join(
        f"U+{ord(c):04X}" if unicodedata.category(c) in ("Cc", "Cf") else c
        for c in f"{entry.student_id}   {entry.name}"
    )
    return label if len(label) <= NAME_CHARACTERS else label[: NAME_CHARACTERS - 1] + "…"


def _rule(figure: Any, y: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D(
        [0.03, 0.97], [y, y], transform=figure.transFigure, color="#999999", linewidth=0.5
    )


def marks_csv(key: Key, numbers: Sequence[int]) -> str:
    return student_csv(
        [f"q{n}" for n in numbers], ((s.id, s.name, [""] * len(numbers)) for s in key.students)
    )


def written_by_packets(path: Path) -> bool:
    """Whether ``path`` is a packet PDF that packets wrote (by its document information): a
    q3.pdf of any other kind is the user's (their own notes on question 3, a chart, an annotated
    packet), which packets run into the folder again must not replace."""
    if not file_start(path, 8).startswith(b"%PDF-"):
        return False  # no PDF: not worth opening (a large file of the user's, any name)
    import pikepdf  # only here: a packet already in the folder is rare

    try:
        with pikepdf.open(path) as pdf:
            creator = str(pdf.docinfo.get("/Creator", ""))
            producer = str(pdf.docinfo.get("/Producer", ""))
    except (pikepdf.PdfError, OSError):
        return False
    return creator == PACKET_CREATOR and producer.startswith(PACKET_PRODUCER)


def check_packets_folder(folder: Path, option: str, key: Key) -> None:
    """Refuse a packets folder that is a file, an exam folder or inside what a build writes (a
    packet q3.pdf in exams/ replaced the exam of student q3), that holds a q<N>.pdf packets would
    write but did not write (the user's own file), or whose marks.csv holds any mark: packets
    run again (late scans) into the folder whose marks.csv a TA has filled in would lose the
    marks. An empty one (as packets write it, even for an earlier build) is replaced; one that
    cannot be read (a stray quote) is kept, and said. Run before the scans are read, so nothing
    is written and no time is lost."""
    refuse_file_as_folder(folder, option)
    refuse_build_output(folder, option)
    for number in free_numbers(key):
        refuse_replacing_unowned(folder / packet_name(number), written_by_packets, option, folder)
    path = folder / MARKS_NAME
    if not path.exists():
        return
    stop = "so that no mark is overwritten"
    try:
        marked = holds_marks(path)
    except ExamgenError as err:
        raise ExamgenError(
            f"{option} {folder}: {err}; so packets cannot tell whether it holds marks: fix "
            f"it or move it out of {folder} first, {stop}"
        ) from None
    if marked:
        raise ExamgenError(
            f"{option} {folder}: {path} holds marks; grade with it or move it first, {stop}"
        )


def write_packets(build: Path, key: Key, registered: Registered, folder: Path) -> list[Path]:
    """One packet PDF per free-answer question and an empty marks.csv, in ``folder``: all made
    first, then written as one set, so that a failure (an error in the third packet, a full
    disk) leaves the folder's earlier packets and marks.csv, never new packets beside old ones."""
    sheets = load_sheets(build)
    numbers = free_numbers(key)
    if not numbers:
        raise ExamgenError(f"{build}: the exam has no free-answer questions to review")
    files: dict[Path, str | bytes] = {
        folder / packet_name(number): packet_pdf(
            f"{key.exam}: question {number}", entries(key, sheets, number, registered)
        )
        for number in numbers
    }
    files[folder / MARKS_NAME] = marks_csv(key, numbers)
    with output_errors(folder):
        write_atomic_set(files)
    return list(files)


def packets(
    build: Path, scans: list[Path], folder: Path, jobs: int | None = None, progress: Any = None
) -> tuple[list[Path], Counter[str]]:
    """``examgen packets``: read the scans as ``examgen scan`` does, then write the packets;
    the files written and the ``unused_pages``."""
    from generator.paper.scan import examgens_folders, read_scans

    key = load_key(build)
    build = exam_folder(build)  # whichever of its files named it: sheets.json is there
    check_packets_folder(folder, "--out", key)
    skip = examgens_folders(build, folder)
    refs, reads = read_scans(build, key, scans, jobs, progress, skip)
    return write_packets(build, key, registered_pages(refs, reads), folder), unused_pages(reads)
