"""One scanned page: which page it is (its QR code), where it lies (the four registration
marks), and what each bubble holds (its fill against the paper around it and the page's ink).

Never a guess. A bubble is *marked* only when enough of its inside is clearly ink, reaching out
toward its outline (a dot in its centre is no fill), *blank* only when almost nothing is (a light
erasure stays blank), and *unclear* otherwise; a question is
answered only when exactly one bubble is marked and the others are blank. Everything else is
a problem for the review report, with the page's annotated image.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import zxingcpp

from generator.paper.qr import Payload

# Bubble fill, as darkness from 0 (this page's paper) to 1 (its printed marks), inside a disc of
# INNER times the bubble's radius (clear of the printed outline).
INNER = 0.62
INK = 0.5  # a pixel darker than this counts as ink for ``coverage``
# Both reached: a mark. A light pencil tick (darkness 0.6) covers about half the disc, mean 0.29;
# a faint fill (0.22-0.32) has no pixel past INK, so coverage, not the mean, tells them apart.
MARKED_COVERAGE, MARKED_MEAN = 0.3, 0.25
BLANK_COVERAGE, BLANK_MEAN = 0.06, 0.14  # both below: blank (paper, dust, a light erasure)
#: The ring (shares of the bubble's radius) a mark must reach into, besides the inner disc, still
#: clear of the printed outline (0.94 of the radius inside it). A pen rested in the bubble's
#: centre (a dot 3.5-5 pt across in an 11 pt bubble) covers a third of the inner disc and more,
#: as a mark does, but leaves this ring empty: it was read as the answer of a question left blank.
RING = (0.70, 0.85)
#: The ink share of ``RING`` below which a mark covers only the centre. A fill covers 0.7 of the
#: ring and more, a cross 0.25, a light pencil tick's long arm 0.05 at worst (tests/scan_synth.py's
#: marks, 150-300 dpi, blurred, JPEG, photos); a dot up to 6 pt across, near the centre, none.
RING_COVERAGE = 0.025
#: How far (in pt) from where the QR code and the marks found so far put it a registration mark
#: may be found.
MARK_SEARCH = 40.0
#: The same for a mark the first search missed.
WIDER_SEARCH = 2 * MARK_SEARCH
#: The half-side (in pt) of the square around a bubble whose paper it is judged against: an
#: inch, wider than a mark, a row of marks or a scribble over them, narrow enough that a
#: photo's light hardly changes across it.
LOCAL_PAPER = 72.0
#: Paper around a bubble darker than this share of the page's brightest paper is too dim to
#: judge (a shadow, or ink over the whole square): its bubbles are unclear, never blank.
DIMMEST_PAPER = 0.4

Rect = dict[str, float]


@dataclass
class Bubble:
    question: int
    value: str
    x: float  # centre in the image, pixels
    y: float
    radius: float
    mean: float = 0.0
    coverage: float = 0.0
    ring: float = 0.0  # the ink share of RING around the inner disc
    state: str = "blank"  # "marked", "blank" or "unclear"


@dataclass
class Answer:
    question: int
    value: str  # "" when blank or not readable
    problem: str | None = None  # "double-mark" or "unclear-mark"
    detail: str = ""


@dataclass
class PageRead:
    """What one scanned page says; ``problem`` is set when it could not be read at all."""

    payload: Payload | None = None
    #: "no-qr", "two-pages", "other-exam", "unknown-page", "other-build", "not-registered"
    problem: str | None = None
    detail: str = ""
    bubbles: list[Bubble] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    marks: list[tuple[float, float]] = field(default_factory=list)
    thumbnail: bytes = b""  # a small annotated PNG of the page
    #: Page points (top-left origin) → image pixels, from the registration marks; what review
    #: packets crop answer boxes with (``generator.paper.packets``).
    homography: np.ndarray | None = None

    @property
    def key(self) -> tuple[str, int] | None:
        return (self.payload.student, self.payload.page) if self.payload else None


@dataclass
class Code:
    """An examgen QR code found on a page."""

    payload: Payload
    text: str
    corners: np.ndarray  # TL TR BR BL, in pixels of the page


def find_qr(image: np.ndarray) -> tuple[list[Code], str]:
    """The examgen QR codes on the page (each text once), from the first of the copies made for
    hard pages (``_qr_attempts``) that shows one; with none, what was found instead. A mirrored
    code is no page's own: it is the back page's, seen through thin paper, and on a page fed
    upside down zxing read it first, naming the page after its back."""
    others, mirrored = [], False
    for scale, attempt in _qr_attempts(image):
        codes: dict[str, Code] = {}
        for result in zxingcpp.read_barcodes(attempt, formats=zxingcpp.BarcodeFormat.QRCode):
            payload = Payload.parse(result.text)
            if _mirrored(result):
                mirrored = mirrored or payload is not None
            elif payload is None:
                others.append(result.text)
            elif result.text not in codes:
                p = result.position
                points = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
                corners = np.array([[c.x, c.y] for c in points], dtype=np.float32) / scale
                codes[result.text] = Code(payload, result.text, corners)
        if codes:
            return list(codes.values()), ""
    if others:
        return [], f"QR code of something else: {others[0][:60]}"
    if mirrored:
        return [], "only a mirrored examgen QR code (a back page's seen through the paper?)"
    return [], "no QR code found"


def _format_codewords() -> list[int]:
    """The 32 format-information words a QR code may hold (ISO/IEC 18004: five bits of error
    correction level and mask, ten of BCH code, masked)."""
    words = []
    for data in range(32):
        remainder = data << 10
        for bit in range(14, 9, -1):
            if remainder >> bit & 1:
                remainder ^= 0x537 << (bit - 10)
        words.append((data << 10 | remainder) ^ 0x5412)
    return words


FORMAT_CODEWORDS = _format_codewords()


def _format_distance(modules: np.ndarray) -> int:
    """How few bits of either copy of the format information in ``modules`` (True: dark) differ
    from a valid word, read where a code that is not mirrored keeps them."""
    n = modules.shape[0]
    first = [*modules[8, :6], modules[8, 7], modules[8, 8], modules[7, 8], *modules[5::-1, 8]]
    second = [*modules[n - 1 : n - 8 : -1, 8], *modules[8, n - 8 :]]
    return min(
        bin(int("".join("1" if m else "0" for m in copy), 2) ^ word).count("1")
        for copy in (first, second)
        for word in FORMAT_CODEWORDS
    )


def _mirrored(result: Any) -> bool:
    """Whether zxing read ``result`` as a mirror image. zxingcpp (3.1) does not say so, but its
    modules as read (``to_image``) are then the code's transposed: the format information is
    valid only read across the diagonal."""
    modules = np.asarray(result.to_image(add_quiet_zones=False)) < 128
    if modules.ndim != 2 or modules.shape[0] != modules.shape[1] or modules.shape[0] < 21:
        return False
    return _format_distance(modules.T) < _format_distance(modules)


#: Pixels on the long side of a page scanned at about 200 dpi or less (A4's 11.7 in at 200 dpi).
LOW_RESOLUTION_SIDE = 2400


def _qr_attempts(image: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """The page, then copies (with their scale) for a QR code the plain read misses, each made
    only when the one before found nothing."""
    yield 1, image
    # A low-resolution or blurred scan: modules of two or three pixels.
    yield 2, cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    blurred = cv2.GaussianBlur(image, (0, 0), 1.0)
    yield (
        1,
        cv2.adaptiveThreshold(blurred, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 51, 10),
    )
    # A long student ID's code has smaller modules (``qr.MIN_MODULE``, 2.6 pixels at 150 dpi):
    # blurred at 150 dpi, only three times larger and sharpened (an unsharp mask) does it read.
    # Scans of 200 dpi and more read without (a page at 600 dpi would take 0.3 GB three times).
    if max(image.shape[:2]) <= LOW_RESOLUTION_SIDE:
        larger = cv2.resize(image, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
        smooth = cv2.GaussianBlur(larger, (0, 0), 3.0)
        # Sharpened as much again, then half as much: where JPEG noise and blur meet, one
        # amount reads a page the other misses (1 page in 100 of the synthetic scans).
        for amount in (1.0, 2.0, 0.5):
            yield 3, cv2.addWeighted(larger, 1.0 + amount, smooth, -amount, 0)


def _corners(rect: Rect) -> np.ndarray:
    x, y, w, h = rect["x"], rect["y"], rect["w"], rect["h"]
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32)


def _centre(rect: Rect) -> tuple[float, float]:
    return rect["x"] + rect["w"] / 2, rect["y"] + rect["h"] / 2


def _project(h: np.ndarray, points: list[tuple[float, float]]) -> np.ndarray:
    src = np.array(points, dtype=np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(src, h).reshape(-1, 2)


def _scale(h: np.ndarray, at: tuple[float, float]) -> float:
    """Pixels per point of ``h`` near ``at``."""
    a, b, c = _project(h, [at, (at[0] + 1, at[1]), (at[0], at[1] + 1)])
    (ux, uy), (vx, vy) = b - a, c - a
    return float(np.sqrt(abs(ux * vy - uy * vx)))


def find_mark(image: np.ndarray, guess: np.ndarray, side: float, search: float) -> Any:
    """The centre of the solid square nearest ``guess`` (pixels), or None."""
    x0, y0 = int(max(guess[0] - search, 0)), int(max(guess[1] - search, 0))
    x1 = int(min(guess[0] + search, image.shape[1]))
    y1 = int(min(guess[1] + search, image.shape[0]))
    if x1 - x0 < side or y1 - y0 < side:
        return None
    window = image[y0:y1, x0:x1]
    _, binary = cv2.threshold(window, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # Holes filled: a phone scanner app's black-and-white mode leaves a solid square hollow.
    outlines, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(binary, outlines, -1, 255, cv2.FILLED)
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    best, best_distance = None, None
    for i in range(1, count):
        x, y, w, h, area = stats[i]
        if not (0.6 * side <= w <= 1.5 * side and 0.6 * side <= h <= 1.5 * side):
            continue
        if not (0.5 * side * side <= area <= 1.6 * side * side and area >= 0.7 * w * h):
            continue
        if not _square(labels[y : y + h, x : x + w] == i, area):
            continue
        centre = centroids[i] + (x0, y0)
        distance = float(np.hypot(*(centre - guess)))
        if best_distance is None or distance < best_distance:
            best, best_distance = centre, distance
    return best


#: A square fills its smallest enclosing rectangle, turned as it is; a disc (a filled bubble,
#: which the wider search may reach) fills π/4 of it.
SQUARE_FILL = 0.88


def _square(component: np.ndarray, area: int) -> bool:
    """Whether the pixels of ``component`` fill their smallest enclosing rectangle as a
    square's do, whatever its angle."""
    rows, columns = np.nonzero(component)
    points = np.column_stack([columns, rows]).astype(np.float32)
    _, (width, height), _ = cv2.minAreaRect(points)
    return area >= SQUARE_FILL * (width + 1) * (height + 1)


def register(
    image: np.ndarray, sheet: dict[str, Any], qr_corners: np.ndarray
) -> tuple[np.ndarray | None, list[tuple[float, float]], str]:
    """Page points → image pixels from the registration marks (the QR code only says roughly
    where to look); ``None`` and why when fewer than three marks are found."""
    qr_points = _corners(sheet["qr_box"])
    # A similarity (rotation, scale, shift) from the QR code's corners: a perspective fit to a
    # small square extrapolates badly to the page's corners.
    similarity, _ = cv2.estimateAffinePartial2D(qr_points, qr_corners)
    if similarity is None:
        return None, [], "the QR code's corners give no position"
    estimate = np.vstack([similarity, [0, 0, 1]])
    # The marks nearest the QR code first, each one found refining where the next is looked
    # for: across a photo, whose perspective shrinks the far side of the page, the QR code's
    # similarity missed the far corners by up to twice MARK_SEARCH.
    qr_centre = np.array(_centre(sheet["qr_box"]))
    marks = sorted(
        sheet["marks"], key=lambda m: float(np.hypot(*(np.array(_centre(m)) - qr_centre)))
    )
    page_points, found = [], []
    # A second round looks again, farther, for a mark the first missed, from the fit of those
    # found after it: with only the marks along one edge, the far side of a tilted page may be
    # a tenth larger or smaller than they say.
    rounds = [(mark, MARK_SEARCH) for mark in marks] + [(mark, WIDER_SEARCH) for mark in marks]
    for mark, search in rounds:
        centre = _centre(mark)
        if centre in page_points:
            continue
        scale = _scale(estimate, centre)
        guess = _project(estimate, [centre])[0]
        spot = find_mark(image, guess, mark["w"] * scale, search * scale)
        if spot is not None:
            page_points.append(centre)
            found.append(spot)
            estimate = _fit(qr_points, qr_corners, page_points, found)
    if len(found) < 3:
        return None, [tuple(p) for p in found], f"{len(found)} of 4 registration marks found"
    if len(found) == 4:
        h = cv2.getPerspectiveTransform(
            np.array(page_points, np.float32), np.array(found, np.float32)
        )
    else:  # three marks, and the QR code's corners for the perspective
        h = estimate
    # The marks must agree with the QR code about where the QR code is.
    error = np.abs(_project(h, [tuple(p) for p in qr_points]) - qr_corners).max()
    if error > 0.25 * sheet["qr_box"]["w"] * _scale(h, _centre(sheet["qr_box"])):
        return None, [tuple(p) for p in found], "the marks and the QR code disagree"
    return h.astype(np.float64), [tuple(map(float, p)) for p in found], ""


#: How much more a registration mark's centre counts than a QR code corner in ``_fit``: the
#: marks are what the page is registered by, the QR code's corners only fill in.
MARK_WEIGHT = 4


def _fit(
    qr_points: np.ndarray,
    qr_corners: np.ndarray,
    page_points: list[tuple[float, float]],
    found: list[np.ndarray],
) -> np.ndarray:
    """Page points → image pixels fitted (least squares) to the QR code's corners and the marks
    found so far: a similarity (turned, scaled, shifted) until three marks are found, which is
    all that points along one edge of the page tell; a perspective map from then on."""
    src = np.vstack([qr_points, *[np.array(page_points, np.float64)] * MARK_WEIGHT])
    dst = np.vstack([qr_corners, *[np.array(found, np.float64)] * MARK_WEIGHT])
    if len(found) >= 3:
        h, _ = cv2.findHomography(src, dst, 0)
        if h is not None:
            return h
    # x' = a x - b y + tx, y' = b x + a y + ty
    ones, zeros = np.ones(len(src)), np.zeros(len(src))
    rows = np.vstack(
        [
            np.column_stack([src[:, 0], -src[:, 1], ones, zeros]),
            np.column_stack([src[:, 1], src[:, 0], zeros, ones]),
        ]
    )
    (a, b, tx, ty), *_ = np.linalg.lstsq(rows, np.concatenate([dst[:, 0], dst[:, 1]]), rcond=None)
    return np.array([[a, -b, tx], [b, a, ty], [0, 0, 1]])


def _zones(radius: float) -> tuple[np.ndarray, np.ndarray, int]:
    """The inner disc and the ring (``INNER``, ``RING``) of a bubble of ``radius`` pixels, as
    masks of the square of half-side ``half`` around its centre."""
    half = int(np.ceil(RING[1] * radius))
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1]
    distance = np.hypot(xx, yy) / max(radius, 1e-9)
    return distance <= INNER, (distance > RING[0]) & (distance <= RING[1]), half


def read_bubbles(
    image: np.ndarray, sheet: dict[str, Any], h: np.ndarray, marks: list[tuple[float, float]]
) -> list[Bubble]:
    """Every bubble's fill, against the paper around it (``local_paper`` of the square reaching
    ``LOCAL_PAPER`` around it, scaled to the page's) and the page's ink (the inside of its
    registration marks)."""
    small = image[::4, ::4]
    paper = float(np.percentile(small, 90))
    scale = _scale(h, _centre(sheet["qr_box"]))
    core = max(int(sheet["marks"][0]["w"] * scale / 4), 1)
    inks = [
        float(
            np.median(image[int(y) - core : int(y) + core + 1, int(x) - core : int(x) + core + 1])
        )
        for x, y in marks
    ]
    ink = min(inks)
    span = max(paper - ink, 40.0)
    bubbles = []
    for b in sheet["bubbles"]:
        cx, cy = _project(h, [_centre(b)])[0]
        pixels_per_pt = _scale(h, _centre(b))
        radius = b["w"] / 2 * pixels_per_pt
        bubble = Bubble(b["question"], b["value"], float(cx), float(cy), float(radius))
        inner, ring, half = _zones(radius)
        x, y = int(round(cx)), int(round(cy))
        patch = image[y - half : y + half + 1, x - half : x + half + 1]
        if patch.shape != inner.shape:
            bubble.state = "unclear"  # off the scanned image
            bubbles.append(bubble)
            continue
        # Scaled to the paper around the bubble, not judged against the page's: under uneven
        # light (a lamp, a phone's shadow) a blank bubble in the dim corner of a photo read as
        # grey ink, and every such question went to review.
        around = local_paper(image, x, y, LOCAL_PAPER * pixels_per_pt)
        if around < DIMMEST_PAPER * paper:
            bubble.state = "unclear"
        else:
            values = patch.astype(np.float32) * (paper / around)
            darkness = np.clip((paper - values) / span, 0, 1)
            bubble.mean = float(darkness[inner].mean())
            bubble.coverage = float((darkness[inner] > INK).mean())
            bubble.ring = float((darkness[ring] > INK).mean())
            bubble.state = classify(bubble.mean, bubble.coverage, bubble.ring)
        bubbles.append(bubble)
    return bubbles


#: The square around a bubble is judged as PAPER_CELLS × PAPER_CELLS cells.
PAPER_CELLS = 4


def local_paper(image: np.ndarray, x: int, y: int, half: float) -> float:
    """The paper's brightness in the square of half-side ``half`` (pixels) around (x, y): the
    median of its cells' bright percentiles, which the marks, printed text and ink in a cell
    stay below. One percentile of the whole square lay toward its brightest side: under a
    photo's light, falling off across the square, the paper at the bubble was darker than that,
    and an erased mark's grey read as unclear (a case hypothesis found once the handouts' text
    wrapped otherwise). A cell's percentile is as far toward its own bright side, a quarter of
    the way; their median is near the middle, and a few cells of ink do not move it."""
    r = max(int(half), 1)
    window = image[max(y - r, 0) : y + r + 1, max(x - r, 0) : x + r + 1]
    step = max(r // 16, 1)
    sample = window[::step, ::step]
    rows, cols = (size // PAPER_CELLS * PAPER_CELLS for size in sample.shape)
    if rows == 0 or cols == 0:  # at the image's edge: too few pixels for cells
        return max(float(np.percentile(sample, 90)), 1.0)
    cells = sample[:rows, :cols].reshape(PAPER_CELLS, rows // PAPER_CELLS, PAPER_CELLS, -1)
    bright = np.percentile(cells.transpose(0, 2, 1, 3).reshape(PAPER_CELLS**2, -1), 90, axis=1)
    return max(float(np.median(bright)), 1.0)


def classify(mean: float, coverage: float, ring: float) -> str:
    """A bubble's state from its inner disc's darkness (``mean``, ``coverage``) and how far the
    ink reaches out (``ring``): ink only in the centre is no fill, and not the student's to
    have chosen (a pen rested there while deciding), so it is unclear, never marked."""
    if coverage >= MARKED_COVERAGE and mean >= MARKED_MEAN:
        return "marked" if ring >= RING_COVERAGE else "unclear"
    if coverage < BLANK_COVERAGE and mean < BLANK_MEAN:
        return "blank"
    return "unclear"


def answers(bubbles: list[Bubble]) -> list[Answer]:
    """One answer per question: a value only when exactly one bubble is marked and no other is
    unclear."""
    out = []
    for question in sorted({b.question for b in bubbles}):
        own = [b for b in bubbles if b.question == question]
        marked = [b.value for b in own if b.state == "marked"]
        unclear = [b.value for b in own if b.state == "unclear"]
        if len(marked) > 1:
            out.append(Answer(question, "", "double-mark", "marked: " + ", ".join(marked)))
        elif unclear:
            detail = "unclear: " + ", ".join(unclear)
            if marked:
                detail += "; marked: " + marked[0]
            out.append(Answer(question, "", "unclear-mark", detail))
        else:
            out.append(Answer(question, marked[0] if marked else ""))
    return out


COLOURS = {"marked": (0, 160, 0), "unclear": (0, 140, 255), "blank": (170, 170, 170)}
THUMBNAIL_WIDTH = 520
#: And at most this tall: a page as narrow as a strip (``sources.MIN_SIDE``) drawn 520 pixels
#: wide was 40,000 pixels tall.
THUMBNAIL_HEIGHT = 2 * THUMBNAIL_WIDTH


def thumbnail(image: np.ndarray, read: PageRead) -> bytes:
    """The page, small, with what was found drawn on it: registration marks in blue, bubbles
    green (marked), orange (unclear) or grey (blank), red around a double mark, and the problem
    written on top."""
    height, width = image.shape[:2]
    f = min(THUMBNAIL_WIDTH / width, THUMBNAIL_HEIGHT / height)
    size = (max(round(width * f), 1), max(round(height * f), 1))
    small = cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_AREA), cv2.COLOR_GRAY2BGR)
    for x, y in read.marks:
        cv2.rectangle(
            small,
            (int(x * f) - 6, int(y * f) - 6),
            (int(x * f) + 6, int(y * f) + 6),
            (255, 0, 0),
            2,
        )
    doubles = {a.question for a in read.answers if a.problem == "double-mark"}
    for b in read.bubbles:
        colour = (0, 0, 255) if b.question in doubles and b.state == "marked" else COLOURS[b.state]
        cv2.circle(small, (int(b.x * f), int(b.y * f)), max(int(b.radius * f) + 2, 3), colour, 2)
    text = read.problem or ", ".join(
        f"q{a.question} {a.problem}" for a in read.answers if a.problem
    )
    label = "  ".join(filter(None, (read.payload.text() if read.payload else "", text)))
    cv2.putText(small, label[:70], (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 200), 1)
    ok, png = cv2.imencode(".png", small, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    return png.tobytes() if ok else b""


def read_page(
    image: np.ndarray,
    exam: str,
    seed: int,
    pages: dict[tuple[str, int], dict[str, Any]],
    always_thumbnail: bool = False,
) -> PageRead:
    """Everything one scanned page says, against the build's sheets (``pages`` by student and
    sheet page); the annotated thumbnail only for a page with a problem (it costs more than
    reading the page) unless ``always_thumbnail``."""
    read = PageRead()
    codes, seen = find_qr(image)
    payload = read.payload = codes[0].payload if len(codes) == 1 else None
    if payload is None:
        read.problem = "two-pages" if codes else "no-qr"
        read.detail = _two_pages(codes) if codes else seen
    elif (payload.exam, payload.seed) != (exam, seed):
        read.problem = "other-exam"
        read.detail = f"page of {payload.exam} seed {payload.seed}"
    elif (payload.student, payload.page) not in pages:
        read.problem = "unknown-page"
        read.detail = f"student {payload.student} page {payload.page} is not in sheets.json"
    elif codes[0].text != pages[(payload.student, payload.page)]["qr"]:
        read.problem = "other-build"
        read.detail = (
            "printed by another build of this exam and seed (the student's questions or layout "
            "differ); scan it against the build that printed it"
        )
    else:
        sheet = pages[(payload.student, payload.page)]
        h, read.marks, why = register(image, sheet, codes[0].corners)
        if h is None:
            read.problem, read.detail = "not-registered", why
        else:
            read.homography = h
            read.bubbles = read_bubbles(image, sheet, h, read.marks)
            read.answers = answers(read.bubbles)
    if always_thumbnail or read.problem or any(a.problem for a in read.answers):
        read.thumbnail = thumbnail(image, read)
    return read


def _two_pages(codes: list[Code]) -> str:
    """Which pages' QR codes one image shows (a page of one, photographed on another?)."""
    pages = "; ".join(
        f"{c.payload.exam} seed {c.payload.seed} {c.payload.student} page {c.payload.page}"
        for c in codes
    )
    return f"QR codes of {len(codes)} pages ({pages}): which it is is not examgen's to guess"
