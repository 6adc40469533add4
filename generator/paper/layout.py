"""sheets.json: where every page, mark, QR code, question, bubble and answer box of every
student's handout was typeset, for ``examgen scan`` and outside tools (a contract).

The handouts' LaTeX writes one line per object into ``<part>.pos`` as each page is shipped out
(``\\pdfsavepos``; see templates/latex/exam.tex.j2): ``KIND;fields…;x;y;page``, x and y in
scaled points from the page's lower-left corner, ``page`` counted from 1 in that part. Nothing is
guessed from the template's geometry. Here the parts are read back in document order and every
position becomes PDF points (1/72 in) from the page's top-left corner.

sheets.json::

    {"exam", "seed", "unit": "pt", "origin": "top-left", "pages": [
      {"document": "handouts.pdf", "page" (1-based in document), "student", "sheet_page"
       (1-based in the student's handout), "sheet_pages" (the student's page count),
       "width", "height", "qr" (payload),
       "qr_box": {x, y, w, h}, "marks": [{x, y, w, h}: top-left, top-right, bottom-left,
       bottom-right],
       "questions": [{"question", x, y, w, h}]  (each printed question's block),
       "bubbles": [{"question", "value", x, y, w, h}]  (value as key.csv writes it),
       "boxes": [{"question", "component", x, y, w, h}]  (free-answer boxes, component 1-based)}]}
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.errors import ExamgenError
from generator.paper.qr import Payload
from generator.roster import Student

SHEETS_NAME = "sheets.json"
DOCUMENT = "handouts.pdf"
SP_PER_PT = 65536 * 72.27 / 72  # TeX scaled points per PDF point (big point)


def _pt(sp: str) -> float:
    return round(int(sp) / SP_PER_PT, 2)


def _rect(x: str, y: str, w: str, h: str, height: float) -> dict[str, float]:
    """A box whose lower-left corner TeX saved at (x, y), as top-left-origin x, y, w, h."""
    return dict(zip(("x", "y", "w", "h"), _box(x, y, w, h, height), strict=True))


@lru_cache(maxsize=4096)
def _box(x: str, y: str, w: str, h: str, height: float) -> tuple[float, float, float, float]:
    """``_rect``'s numbers, remembered: every page has the same marks and QR box, and a fixed
    layout puts every student's bubbles and boxes at the same places."""
    width_pt, height_pt = _pt(w), _pt(h)
    return _pt(x), round(height - _pt(y) - height_pt, 2), width_pt, height_pt


_PLACED = ("M;", "Q;", "B;", "X;")


@lru_cache(maxsize=4096)
def _placed(record: str, height: float) -> tuple[str, dict[str, Any]]:
    """Where a mark, QR box, bubble or box line (``record``: the line without its page) goes
    on a page ``height`` pt tall, and its entry, remembered: every page repeats the marks and
    the QR box, and a fixed layout every student's bubbles and boxes (callers copy the entry,
    so no two pages share one)."""
    fields = record.split(";")
    kind = fields[0]
    if kind == "M":
        _, w, h, x, y = fields
        return "marks", _rect(x, y, w, h, height)
    if kind == "Q":
        _, w, h, x, y = fields
        return "qr_box", _rect(x, y, w, h, height)
    if kind == "B":
        _, question, value, w, h, x, y = fields
        return "bubbles", {"question": int(question), "value": value, **_rect(x, y, w, h, height)}
    _, question, component, w, h, x, y = fields
    rect = _rect(x, y, w, h, height)
    return "boxes", {"question": int(question), "component": int(component), **rect}


def read_part(path: Path, students: Sequence[Student]) -> list[dict[str, Any]]:
    """The pages of one typeset part, in order; ``students`` are the part's students."""
    pages: dict[int, dict[str, Any]] = {}
    records: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ExamgenError(
            f"{path.name}: positions of the typeset handouts missing ({err})"
        ) from None
    for line in lines:
        if line.startswith("P;"):
            _, student, sheet_page, w, h, printed, _x, _y, page = line.split(";")
            pages[int(page)] = {
                "student": students[int(student) - 1].id,
                "sheet_page": int(sheet_page),
                "printed": printed,
                "width": _pt(w),
                "height": _pt(h),
                "qr_box": None,
                "marks": [],
                "questions": [],
                "bubbles": [],
                "boxes": [],
            }
        else:
            records.append(line)
    starts: dict[tuple[int, int], dict[str, Any]] = {}
    for line in records:
        record, _, number = line.rpartition(";")
        page = pages[int(number)]
        kind = record[:2]
        if kind in _PLACED:
            where, entry = _placed(record, page["height"])
            if where == "qr_box":
                page["qr_box"] = entry.copy()
            else:
                page[where].append(entry.copy())
        elif kind == "S;":
            height = page["height"]
            _, question, w, above, x, y = record.split(";")
            region = {
                "question": int(question),
                "x": _pt(x),
                "y": round(height - _pt(y) - _pt(above), 2),
                "w": _pt(w),
                "h": 0.0,
            }
            page["questions"].append(region)
            starts[(int(number), int(question))] = region
        elif kind == "E;":
            _, question, _x, y = record.split(";")
            region = starts[(int(number), int(question))]
            region["h"] = round(page["height"] - _pt(y) - region["y"], 2)
    return [pages[n] for n in sorted(pages)]


def part_sheets(
    exam: str, seed: int, path: Path, students: Sequence[Student], first: int
) -> list[dict[str, Any]]:
    """sheets.json's pages of one typeset part, numbered in the document from ``first`` + 1 (a
    student's pages are all in one part, so their count is known here)."""
    pages = read_part(path, students)
    counts: dict[str, int] = {}
    for page in pages:
        counts[page["student"]] = counts.get(page["student"], 0) + 1
    out = []
    for number, page in enumerate(pages, start=first + 1):
        payload = Payload(exam, seed, page["sheet_page"], page["student"], page["printed"]).text()
        out.append(
            {
                "document": DOCUMENT,
                "page": number,
                "student": page["student"],
                "sheet_page": page["sheet_page"],
                "sheet_pages": counts[page["student"]],
                "width": page["width"],
                "height": page["height"],
                "qr": payload,
                "qr_box": page["qr_box"],
                "marks": page["marks"],
                "questions": page["questions"],
                "bubbles": page["bubbles"],
                "boxes": page["boxes"],
            }
        )
    return out


#: How far (pt) a fixed layout's positions may differ between students.
FIXED_TOLERANCE = 1.0

Placements = dict[tuple, tuple[int, float, float]]


def placements(pages: Iterable[dict[str, Any]]) -> dict[str, Placements]:
    """student → {(question, what): (sheet page, x, y)} for every question's block top, bubble
    and box: what a fixed layout keeps the same for every student."""
    out: dict[str, Placements] = {}
    for page in pages:
        own = out.setdefault(page["student"], {})
        at = page["sheet_page"]
        for q in page["questions"]:
            own[(q["question"], "question")] = (at, q["x"], q["y"])
        for b in page["bubbles"]:
            own[(b["question"], "bubble", b["value"])] = (at, b["x"], b["y"])
        for b in page["boxes"]:
            own[(b["question"], "box", b["component"])] = (at, b["x"], b["y"])
    return out


#: How far above the paper's foot (pt) the footer's text starts ("Page N" and the variant code,
#: from 749 pt on a 792 pt page): a bubble or box reaching lower is written over it.
FOOTER_ROOM = 44.0


def check_on_paper(
    pages: Iterable[dict[str, Any]], space_field: Callable[[str, int], str] | None = None
) -> None:
    """Every bubble and answer box lies on its page, above its footer: a work space (the spec's
    ``space``, or a family's) taller than a page leaves room has LaTeX set them over the footer
    or below the paper's edge, where no one can write and no scan can read. Every student alike,
    so ``FixedLayout`` cannot see it.
    ``space_field`` names the spec's field that sets a student's question's space (its slot's
    ``questions[N].space`` in the spec file), for the fix."""
    for page in pages:
        foot = page["height"] - FOOTER_ROOM
        for where, kind in (("boxes", "answer box"), ("bubbles", "bubble")):
            for b in page[where]:
                off = _off_page(b["x"], b["y"], b["w"], b["h"], page["width"], page["height"])
                if off or b["y"] + b["h"] > foot:
                    field = (
                        space_field(page["student"], b["question"])
                        if space_field
                        else 'space = "…" in the spec'
                    )
                    where_to = "falls off" if off else "runs into the footer of"
                    raise ExamgenError(
                        f"question {b['question']} of student {page['student']}: its {kind} "
                        f"{where_to} page {page['sheet_page']} (at y = {b['y']} pt; the footer "
                        f"starts at {foot:g} pt of the page's {page['height']:g}): its text and "
                        f"work space are taller than the page leaves; give the question less "
                        f"space ({field}), or a shorter statement (a course family's template)"
                    )


class FixedLayout:
    """Every student's questions, bubbles and boxes where the first student has them, on as many
    pages: otherwise a variant outgrew its page and the layout is not fixed (an error, never a
    silently shifted sheet that Gradescope would grade in the wrong place). Fed a part at a time,
    so only the first student's placements are kept."""

    def __init__(self) -> None:
        self.first: tuple[str, Placements, int] | None = None

    def add(self, pages: Sequence[dict[str, Any]]) -> None:
        counts = {p["student"]: p["sheet_pages"] for p in pages}
        for student, own in placements(pages).items():
            if self.first is None:
                self.first = (student, own, counts[student])
            self._compare(student, own, counts[student])

    def _compare(self, student: str, own: Placements, count: int) -> None:
        assert self.first is not None
        first, first_own, first_count = self.first
        for what, (page, x, y) in own.items():
            if what not in first_own:
                continue  # a value only some variants have (a fifth option)
            page0, x0, y0 = first_own[what]
            if page != page0 or max(abs(x - x0), abs(y - y0)) > FIXED_TOLERANCE:
                raise ExamgenError(
                    f'layout = "fixed": question {what[0]} of student {student} is on page '
                    f"{page} at ({x}, {y}), not where student {first} has it (page {page0}, "
                    f"({x0}, {y0})): a variant outgrew its page; give the question less space "
                    'or use layout = "flow"'
                )
        if count != first_count:
            raise ExamgenError(
                f'layout = "fixed": student {student} has {count} pages, student '
                f'{first} {first_count}; use layout = "flow"'
            )


def check_fixed(data: dict[str, Any]) -> None:
    """``FixedLayout``'s check of a whole sheets.json."""
    FixedLayout().add(data["pages"])


class SheetsFile:
    """sheets.json with one page per line (small for a large class, and diffs read by page),
    written a part at a time as the handouts' parts are typeset (``add``, in document order), so
    memory does not grow with the class (a 3,000-student class has 24,000 pages) and nothing is
    left to do once the last part is typeset. ``fixed``: the spec asked for a fixed layout,
    checked as the parts come (``FixedLayout``)."""

    def __init__(
        self,
        folder: Path,
        exam: str,
        seed: int,
        fixed: bool = False,
        space_field: Callable[[str, int], str] | None = None,
    ) -> None:
        self.path = folder / SHEETS_NAME
        self.space_field = space_field
        self.exam, self.seed = exam, seed
        self.check = FixedLayout() if fixed else None
        self.written = 0
        self.out = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (see close)
        head = json.dumps(
            {"exam": exam, "seed": seed, "unit": "pt", "origin": "top-left"}, ensure_ascii=False
        )
        self.out.write(f'{head[:-1]}, "pages": [\n')

    def add(self, positions: Path, students: Sequence[Student]) -> None:
        """The next part of the handouts: its position file and its students."""
        pages = part_sheets(self.exam, self.seed, positions, students, self.written)
        check_on_paper(pages, self.space_field)
        if self.check is not None:
            self.check.add(pages)
        for page in pages:
            self.out.write((",\n" if self.written else "") + json.dumps(page, ensure_ascii=False))
            self.written += 1

    def close(self) -> Path:
        """Finish the file (after the last part)."""
        self.out.write("\n]}\n")
        self.out.close()
        return self.path

    def discard(self) -> None:
        """Close an unfinished file (a failed build: its folder goes anyway)."""
        self.out.close()


def load_sheets(folder: Path) -> dict[str, Any]:
    path = Path(folder) / SHEETS_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExamgenError(
            f"{path}: not found; build the exam with PDFs (examgen build --pdf) to print sheets "
            "that can be scanned"
        ) from None
    except (OSError, ValueError) as err:
        raise ExamgenError(f"{path}: cannot read ({err})") from None
    problem = _sheets_problem(data)
    if problem is not None:
        raise ExamgenError(
            f"{path}: {problem}; sheets.json is written by `examgen build --pdf`: build the exam "
            "again (same seed, roster and spec) rather than edit it"
        )
    return data


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


#: What each kind of entry of a page holds besides its rectangle, and whether the rectangle
#: must lie whole on the page (a question's block may run past its bottom).
_ENTRIES = {
    "questions": ({"question": _is_int}, False),
    "bubbles": ({"question": _is_int, "value": lambda v: isinstance(v, str)}, True),
    "boxes": ({"question": _is_int, "component": _is_int}, True),
}


def _sheets_problem(data: Any) -> str | None:
    """What makes ``data`` no sheets.json the scanner can use (hand-edited, damaged), or None:
    checked once here, so that no bad value reaches OpenCV as a traceback."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if not isinstance(data.get("exam"), str) or not _is_int(data.get("seed")):
        return "exam (text) and seed (an integer) missing"
    if not isinstance(data.get("pages"), list):
        return "pages must be a list"
    for i, page in enumerate(data["pages"]):
        problem = _page_problem(page)
        if problem is not None:
            return f"pages[{i}]{problem}"
    return None


def _page_problem(page: Any) -> str | None:
    if not isinstance(page, dict):
        return ": not an object"
    if not isinstance(page.get("student"), str) or not _is_int(page.get("sheet_page")):
        return ": student (text) and sheet_page (an integer) missing"
    width, height = page.get("width"), page.get("height")
    if not (_is_number(width) and _is_number(height) and width > 0 and height > 0):
        return ": width and height must be positive numbers"
    marks = page.get("marks")
    if not isinstance(marks, list) or not marks:
        return ".marks must be a list of boxes"
    rects = [(".qr_box", page.get("qr_box"), True)]
    rects += [(f".marks[{k}]", mark, True) for k, mark in enumerate(marks)]
    for name, (fields, whole) in _ENTRIES.items():
        entries = page.get(name)
        if not isinstance(entries, list):
            return f".{name} must be a list"
        for k, entry in enumerate(entries):
            where = f".{name}[{k}]"
            if not isinstance(entry, dict):
                return f"{where}: not an object"
            for field, valid in fields.items():
                if not valid(entry.get(field)):
                    return f"{where}.{field}: missing or of the wrong type"
            rects.append((where, entry, whole))
    for where, rect, whole in rects:
        problem = _rect_problem(rect, width, height, whole)
        if problem is not None:
            return f"{where}: {problem}"
    return None


def _rect_problem(rect: Any, width: float, height: float, whole: bool) -> str | None:
    if not isinstance(rect, dict) or not all(_is_number(rect.get(k)) for k in "xywh"):
        return "x, y, w and h must be numbers"
    x, y, w, h = (rect[k] for k in "xywh")
    if w < 0 or h < 0 or _off_page(x, y, w, h if whole else 0, width, height, slack=1):
        return f"({x}, {y}, {w}, {h}) is not on the {width} × {height} pt page"
    return None


def _off_page(
    x: float, y: float, w: float, h: float, width: float, height: float, slack: float = 0
) -> bool:
    """Whether the box at ``x, y`` (top-left origin) leaves the page by more than ``slack``."""
    return x < -slack or y < -slack or x + w > width + slack or y + h > height + slack
