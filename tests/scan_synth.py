"""Synthetic scans of a real build, made from its sheets.json: what a scanner and a class of
students would hand back, with the answer each question must read as.

Marks are drawn into a clean rendering of the page where sheets.json says each bubble is, then
the whole page is distorted the way a scanner feed does it (rotation, shift, scale, upside
down) or a phone's camera does (tilted, unevenly lit, on a desk), degraded (noise, blur, JPEG)
and saved as PNG, JPEG, a multi-page TIFF or a PDF of JPEGs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pypdfium2

# Darkness is 0 for paper and 1 for black ink.
CLEAR = (0.6, 1.0)  # pencil to pen: must be read
FAINT = (0.22, 0.32)  # too faint to call: must be flagged, never read
ERASED = (0.02, 0.09)  # a light erasure: must read as blank
SHAPES = ("filled", "tick", "cross")


@dataclass
class Expected:
    """What one question on one scanned page must read as: ``value`` ("" when blank or not
    readable) and ``problem`` (None, "double-mark" or "unclear-mark")."""

    value: str = ""
    problem: str | None = None


@dataclass
class Distortion:
    dpi: int = 200
    angle: float = 0.0  # degrees
    scale: float = 1.0
    shift: tuple[float, float] = (0.0, 0.0)  # pixels
    upside_down: bool = False
    noise: float = 0.0  # grey levels, standard deviation
    blur: float = 0.0  # pixels, Gaussian sigma
    jpeg: int | None = None  # quality
    # A phone's photo, not a scanner's image: the page tilted away from the camera (the top or,
    # negative, bottom edge shortened by this share of its length; then the left or right edge),
    # lit unevenly (darker by this share from one side to the other, the light falling off
    # toward ``light_angle`` degrees) and lying on a desk of grey ``surround``.
    tilt: tuple[float, float] = (0.0, 0.0)
    light: float = 0.0
    light_angle: float = 0.0
    surround: int = 255  # a scanner's lid
    bed: float = 0.3  # inches of scanner bed or desk around the page


@dataclass
class Page:
    image: np.ndarray
    student: str
    sheet_page: int
    expected: dict[int, Expected] = field(default_factory=dict)
    bubbles: int = 0  # bubbles on the page (every one is read)


def render(pdf: pypdfium2.PdfDocument, page: int, dpi: int) -> np.ndarray:
    image = pdf[page - 1].render(scale=dpi / 72, grayscale=True).to_numpy()
    return np.ascontiguousarray(image).copy()


def draw_mark(
    image: np.ndarray, bubble: dict, dpi: int, darkness: float, shape: str, rng: np.random.Generator
) -> None:
    """A mark over ``bubble``, darkening (never lightening) what is there."""
    f = dpi / 72
    cx, cy = (bubble["x"] + bubble["w"] / 2) * f, (bubble["y"] + bubble["h"] / 2) * f
    r = bubble["w"] / 2 * f
    layer = np.zeros_like(image, dtype=np.uint8)
    ink = int(round(255 * darkness))
    centre = (
        int(round(cx + rng.uniform(-0.1, 0.1) * r)),
        int(round(cy + rng.uniform(-0.1, 0.1) * r)),
    )
    if shape == "filled":
        axes = (int(r * rng.uniform(0.8, 1.15)), int(r * rng.uniform(0.8, 1.15)))
        cv2.ellipse(layer, centre, axes, rng.uniform(0, 180), 0, 360, ink, -1, cv2.LINE_AA)
    elif shape == "tick":
        k = rng.uniform(0.9, 1.15)
        points = np.array([[-0.6, 0.0], [-0.15, 0.55], [0.7, -0.75]]) * r * k + centre
        thickness = max(int(round(r * rng.uniform(0.32, 0.45))), 2)
        cv2.polylines(layer, [points.astype(np.int32)], False, ink, thickness, cv2.LINE_AA)
    else:  # cross
        k = rng.uniform(0.8, 1.1) * r
        thickness = max(int(round(r * rng.uniform(0.3, 0.42))), 2)
        for sign in (1, -1):
            a = (int(centre[0] - k), int(centre[1] - sign * k))
            b = (int(centre[0] + k), int(centre[1] + sign * k))
            cv2.line(layer, a, b, ink, thickness, cv2.LINE_AA)
    np.minimum(image, 255 - layer, out=image)


def draw_dot(
    image: np.ndarray, bubble: dict, dpi: int, diameter: float, offset: float, darkness: float
) -> None:
    """A round pen dot ``diameter`` pt across, its centre ``offset`` of the bubble's radius to the
    right of the bubble's: a pen rested there, no fill."""
    f = dpi / 72
    cx, cy = (bubble["x"] + bubble["w"] / 2) * f, (bubble["y"] + bubble["h"] / 2) * f
    cx += offset * bubble["w"] / 2 * f
    layer = np.zeros_like(image, dtype=np.uint8)
    sub = 16  # cv2's shift: a sixteenth of a pixel
    centre, radius = (int(round(cx * sub)), int(round(cy * sub))), int(round(diameter / 2 * f * sub))
    cv2.circle(layer, centre, radius, int(round(255 * darkness)), -1, cv2.LINE_AA, 4)
    np.minimum(image, 255 - layer, out=image)


def mark_page(
    image: np.ndarray, sheet: dict, dpi: int, rng: np.random.Generator
) -> dict[int, Expected]:
    """Answer every question on the page in one of the ways a class does, and say how each must
    read."""
    expected = {}
    questions = sorted({b["question"] for b in sheet["bubbles"]})
    for q in questions:
        own = [b for b in sheet["bubbles"] if b["question"] == q]
        order = rng.permutation(len(own))
        case = rng.choice(["blank", "one", "one", "one", "double", "faint", "faint-and-one"])
        clear = {"one": 1, "double": 2, "faint-and-one": 1}.get(case, 0)
        faint = 1 if case.startswith("faint") else 0
        clear_bubbles = [own[i] for i in order[:clear]]
        faint_bubbles = [own[i] for i in order[clear : clear + faint]]
        rest = [own[i] for i in order[clear + faint :]]
        for b in clear_bubbles:
            draw_mark(image, b, dpi, rng.uniform(*CLEAR), str(rng.choice(SHAPES)), rng)
        for b in faint_bubbles:
            draw_mark(image, b, dpi, rng.uniform(*FAINT), "filled", rng)
        for b in rest:
            if rng.random() < 0.25:
                draw_mark(image, b, dpi, rng.uniform(*ERASED), "filled", rng)
        if faint:
            expected[q] = Expected("", "unclear-mark")
        elif clear == 2:
            expected[q] = Expected("", "double-mark")
        elif clear == 1:
            expected[q] = Expected(clear_bubbles[0]["value"])
        else:
            expected[q] = Expected()
    return expected


def distort(image: np.ndarray, d: Distortion, rng: np.random.Generator) -> np.ndarray:
    """The page as a scanner sees it: on a bed a little larger than the paper (``d.bed`` around
    it), turned, shifted and scaled, then noisy, blurred, JPEG-compressed; as a photo, also
    tilted and unevenly lit."""
    pad = int(d.bed * d.dpi)
    image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=d.surround)
    h, w = image.shape
    if d.tilt != (0.0, 0.0):
        image = tilted(image, d.tilt, d.surround)
    matrix = cv2.getRotationMatrix2D(
        (w / 2, h / 2), d.angle + (180 if d.upside_down else 0), d.scale
    )
    matrix[:, 2] += d.shift
    out = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=d.surround)
    if d.light:
        out = unevenly_lit(out, d.light, d.light_angle)
    if d.blur:
        out = cv2.GaussianBlur(out, (0, 0), d.blur)
    if d.noise:
        noise = np.empty(out.shape, np.int16)
        cv2.setRNGSeed(int(rng.integers(2**31)))
        cv2.randn(noise, 0, d.noise)
        out = cv2.add(out.astype(np.int16), noise).clip(0, 255).astype(np.uint8)
    if d.jpeg:
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, d.jpeg])
        out = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return out


def show_through(front: np.ndarray, back: np.ndarray, strength: float) -> np.ndarray:
    """``front`` scanned on thin paper: ``back``, the other side of the sheet, shows through it
    mirrored, ``strength`` as dark as it is printed."""
    shadow = 1 - strength * (255 - back[:, ::-1].astype(np.float32)) / 255
    return (front.astype(np.float32) * shadow).clip(0, 255).astype(np.uint8)


def tilted(image: np.ndarray, tilt: tuple[float, float], surround: int) -> np.ndarray:
    """``image`` seen in perspective: its top edge shortened by ``tilt[0]`` of its width (the
    bottom one when negative), its left edge by ``tilt[1]`` of its height (the right one)."""
    h, w = image.shape
    dx, dy = tilt[0] * w / 2, tilt[1] * h / 2
    # How far each edge's two corners move in along it.
    top, bottom, left, right = max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)
    source = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    seen = np.float32([[top, left], [w - top, right], [w - bottom, h - right], [bottom, h - left]])
    matrix = cv2.getPerspectiveTransform(source, seen)
    return cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=surround)


def unevenly_lit(image: np.ndarray, light: float, angle: float) -> np.ndarray:
    """``image`` under light that falls off by ``light`` across it toward ``angle`` degrees."""
    h, w = image.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    toward = np.cos(np.radians(angle)) * xx / w + np.sin(np.radians(angle)) * yy / h
    toward = (toward - toward.min()) / max(float(toward.max() - toward.min()), 1e-9)
    return (image.astype(np.float32) * (1 - light * toward)).clip(0, 255).astype(np.uint8)


def random_distortion(rng: np.random.Generator, dpi: int) -> Distortion:
    return Distortion(
        dpi=dpi,
        angle=float(rng.uniform(-3, 3)),
        scale=float(rng.uniform(0.97, 1.03)),
        shift=(float(rng.uniform(-0.15, 0.15) * dpi), float(rng.uniform(-0.15, 0.15) * dpi)),
        upside_down=bool(rng.random() < 0.25),
        noise=float(rng.uniform(0, 8)),
        blur=float(rng.choice([0, 0.6, 1.0])),
        jpeg=int(rng.choice([30, 50, 90])) if rng.random() < 0.6 else None,
    )


#: How far a photo is turned (degrees), tilted (either way, on either axis: the README's 8 %)
#: and darkened on one side, at most.
PHOTO_ANGLE, PHOTO_TILT, PHOTO_LIGHT = 6.0, 0.08, 0.5


def random_photo(rng: np.random.Generator, dpi: int) -> Distortion:
    """A phone's photo of the page on a desk: held askew, tilted, lit from one side."""
    d = random_distortion(rng, dpi)
    d.angle = float(rng.uniform(-PHOTO_ANGLE, PHOTO_ANGLE))
    d.tilt = (
        float(rng.uniform(-PHOTO_TILT, PHOTO_TILT)),
        float(rng.uniform(-PHOTO_TILT, PHOTO_TILT)),
    )
    d.light, d.light_angle = float(rng.uniform(0, PHOTO_LIGHT)), float(rng.uniform(0, 360))
    d.surround = int(rng.integers(30, 256))
    d.bed = 1.0  # the whole page in the picture, turned and tilted
    return d


#: The share of a batch's pages that are photos, not scans.
PHOTOS = 0.25


def class_distortion(rng: np.random.Generator, dpi: int) -> Distortion:
    """A page of a class's stack: mostly scanned, some photographed."""
    return random_photo(rng, dpi) if rng.random() < PHOTOS else random_distortion(rng, dpi)


def sheets_of(folder: Path) -> dict:
    return json.loads((folder / "sheets.json").read_text(encoding="utf-8"))


def synthetic_page(
    folder: Path,
    pdf: pypdfium2.PdfDocument,
    sheet: dict,
    d: Distortion,
    rng: np.random.Generator,
    marked: bool = True,
) -> Page:
    image = render(pdf, sheet["page"], d.dpi)
    expected = mark_page(image, sheet, d.dpi, rng) if marked else {}
    return Page(
        distort(image, d, rng),
        sheet["student"],
        sheet["sheet_page"],
        expected,
        len(sheet["bubbles"]),
    )


def save(pages: list[np.ndarray], folder: Path, stem: str, kind: str) -> list[Path]:
    """Write page images as one file per page (png, jpg, and HEIC, as an iPhone names it:
    ``IMG-1.HEIC``, in colour) or one file for all (tiff, pdf)."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind in ("png", "jpg", "HEIC"):
        paths = []
        for i, image in enumerate(pages, start=1):
            path = folder / f"{stem}-{i}.{kind}"
            if kind == "HEIC":
                import pillow_heif  # a test dependency: examgen's pi-heif only decodes

                colour = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
                size = (colour.shape[1], colour.shape[0])
                pillow_heif.from_bytes("RGB", size, colour.tobytes()).save(path, quality=90)
            else:
                # PNG and TIFF stored uncompressed: lossless either way, and a noisy page took
                # a tenth of a second to compress (a third of the scan tests' time).
                png = [cv2.IMWRITE_PNG_COMPRESSION, 0] if kind == "png" else []
                cv2.imwrite(str(path), image, png)
            paths.append(path)
        return paths
    path = folder / f"{stem}.{kind}"
    if kind == "tiff":
        cv2.imwritemulti(str(path), pages, [cv2.IMWRITE_TIFF_COMPRESSION, 1])
        return [path]
    pdf = pypdfium2.PdfDocument.new()
    for image in pages:
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        jpeg = folder / f".{stem}.tmp.jpg"
        jpeg.write_bytes(data.tobytes())
        h, w = image.shape
        page = pdf.new_page(w * 72 / 200, h * 72 / 200)
        obj = pypdfium2.PdfImage.new(pdf)
        obj.load_jpeg(str(jpeg), inline=True)
        obj.set_matrix(pypdfium2.PdfMatrix().scale(w * 72 / 200, h * 72 / 200))
        page.insert_obj(obj)
        page.gen_content()
        jpeg.unlink()
    pdf.save(path)
    return [path]


# --- a batch: one scanner run over a class's pages ----------------------------------------------
DPIS, DPI_WEIGHTS = (150, 200, 300), (0.55, 0.33, 0.12)
FORMATS = ("png", "jpg", "tiff", "pdf")


@dataclass
class Batch:
    folder: Path  # the scans
    pages: list[Page]  # the class's pages in it, each once (extras not included)
    dropped: list[tuple[str, int]] = field(default_factory=list)  # (student, sheet page) left out
    extras: dict[str, str] = field(default_factory=dict)  # problem → file name holding it
    duplicate: tuple[str, int] | None = None  # (student, sheet page) scanned twice


def make_batch(build: Path, other: Path, folder: Path, seed: int, full: bool) -> Batch:
    """A shuffled batch of scans (and photos) of ``build``'s handouts, marked and distorted, in
    mixed file formats. ``full``: every page, plus a blank page, a page of the ``other`` build, a
    duplicate, and one page with bubbles left out; otherwise only the pages with bubbles."""
    rng = np.random.default_rng(seed)
    sheets = sheets_of(build)
    pdf = pypdfium2.PdfDocument(build / "handouts.pdf")
    chosen = [s for s in sheets["pages"] if full or s["bubbles"]]
    batch = Batch(folder, [])
    if full:
        drop = next(s for s in reversed(chosen) if s["bubbles"])
        chosen.remove(drop)
        batch.dropped.append((drop["student"], drop["sheet_page"]))
    for sheet in chosen:
        dpi = int(rng.choice(DPIS, p=DPI_WEIGHTS))
        batch.pages.append(synthetic_page(build, pdf, sheet, class_distortion(rng, dpi), rng))
    images = [p.image for p in batch.pages]
    if full:
        duplicate = batch.pages[len(batch.pages) // 2]
        d = random_distortion(rng, 150)
        blank = distort(np.full((1650, 1275), 255, np.uint8), d, rng)
        other_sheet = sheets_of(other)["pages"][0]
        other_pdf = pypdfium2.PdfDocument(other / "handouts.pdf")
        foreign = synthetic_page(other, other_pdf, other_sheet, d, rng, marked=False).image
        for problem, image in (("no-qr", blank), ("other-exam", foreign)):
            path = save([image], folder, problem, "png")[0]
            batch.extras[problem] = path.name
        path = save([duplicate.image], folder, "again", "jpg")[0]
        batch.extras["duplicate"] = path.name
        batch.duplicate = (duplicate.student, duplicate.sheet_page)
    order = rng.permutation(len(images))
    chunks = np.array_split(order, 4)
    for kind, chunk in zip(FORMATS, chunks, strict=True):
        if len(chunk):
            save([images[i] for i in chunk], folder, f"scan-{kind}", kind)
    return batch


# --- written answers: what a packet must show beside each student's key --------------------------
def write_in_box(image: np.ndarray, box: dict, dpi: int, darkness: float = 0.9) -> None:
    """A dark scribble filling the inside of an answer box (handwriting, for the packets' crops:
    a crop of the right student's right box is dark exactly there)."""
    f = dpi / 72
    x0, y0 = int((box["x"] + 0.15 * box["w"]) * f), int((box["y"] + 0.2 * box["h"]) * f)
    x1, y1 = int((box["x"] + 0.85 * box["w"]) * f), int((box["y"] + 0.8 * box["h"]) * f)
    ink = int(round(255 * (1 - darkness)))
    cv2.rectangle(image, (x0, y0), (x1, y1), ink, -1)


def written_page(
    pdf: pypdfium2.PdfDocument, sheet: dict, components: dict[int, int], d: Distortion, rng
) -> np.ndarray:
    """A scanned page with, for each question on it, its answer box ``components[question]``
    (1-based) written in."""
    image = render(pdf, sheet["page"], d.dpi)
    for box in sheet["boxes"]:
        if components.get(box["question"]) == box["component"]:
            write_in_box(image, box, d.dpi)
    return distort(image, d, rng)
