"""Scanned pages from the files a scanner or a phone leaves: PDFs (any number of pages) and
images (PNG, JPEG, TIFF, multi-page TIFF too, HEIC: an iPhone's photos, and the other kinds
OpenCV reads: WebP, AVIF, JPEG 2000, GIF, BMP, PNM), as 8-bit grayscale arrays.

A page is named by its file and its 1-based page in that file, so a review report can point at
it; a file that cannot be read is one bad page, not the end of the batch.

A folder stands for every scan file in it and in the folders in it: a stack saved a folder a day
(``scans/monday/``, ``scans/tuesday/``) is one stack, and a student left out of it would be left
out of responses.csv without a word. Its files are named by their path in it, so two days'
``scan001.pdf`` are two files in the review.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2

from generator.errors import ExamgenError

#: PDFs are rendered at this resolution: enough for 11 pt bubbles and the QR code's modules.
PDF_DPI = 200
#: An iPhone's photos, unless it is set to "Most Compatible" (JPEG).
HEIF_SUFFIXES = (".heic", ".heif")
#: Every image OpenCV reads (this build: tests/test_scan_files.py checks each), as well as HEIC.
#: A folder's files of other kinds are not read; on 8cb6922 these were among them, so a phone
#: app's WebP or JFIF photos were left out of a folder without a word (though read when named).
IMAGE_SUFFIXES = (
    *(".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".tif", ".tiff", ".bmp", ".dib"),
    *(".webp", ".avif", ".jp2", ".gif", ".pbm", ".pgm", ".ppm", ".pnm"),
    *HEIF_SUFFIXES,
)
#: What a folder's scan files end in (in any case).
SCAN_SUFFIXES = (*IMAGE_SUFFIXES, ".pdf")
#: The most pixels a HEIC photo may have: OpenCV's own limit for the other images
#: (``CV_IO_MAX_IMAGE_PIXELS``); a phone's photo has a few tens of millions.
MAX_HEIF_PIXELS = 1 << 30
#: Larger scans (600 dpi) are read at about this resolution: the long side of a letter page at
#: 250 dpi. Reading is no more accurate above it, only slower.
MAX_LONG_SIDE = 2750
#: The shortest side (pixels) of an image read as a page, once shrunk to ``MAX_LONG_SIDE``: a
#: narrower strip holds no page, and shrinking one (a 20000×3 image, a PDF page 200 in by a
#: point) made a side of 0 pixels, whose OpenCV error ended the whole batch on 8cb6922.
MIN_SIDE = 32


@dataclass(frozen=True)
class PageRef:
    path: Path
    index: int  # 1-based page in the file
    #: The file as the review names it: its path in the folder given (``monday/scan001.pdf``);
    #: empty for a file given by name, named by its name.
    shown: str = ""

    @property
    def file(self) -> str:
        return self.shown or self.path.name

    @property
    def name(self) -> str:
        return f"{self.file} p{self.index}"


class UnreadableScan(Exception):
    """A file (or a page of it) no reader can open; reported, never fatal."""


def page_refs(path: Path, shown: str = "") -> list[PageRef]:
    """The pages of one scan file (a file that cannot be opened is one unreadable page)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            count = len(pypdfium2.PdfDocument(path))
        elif suffix in (".tif", ".tiff"):
            with _opencv_quiet():
                count = max(cv2.imcount(str(path)), 1)
        else:
            count = 1
    except (pypdfium2.PdfiumError, cv2.error, OSError):
        count = 1
    return [PageRef(path, i, shown) for i in range(1, count + 1)]


def scan_files(paths: list[Path], skip: Iterable[Path] = ()) -> list[tuple[Path, str]]:
    """The files ``paths`` name, each with its name for the review: a folder stands for the
    scan files (PDFs and images; other files are not read) in it and in the folders in it, sorted
    and named by their path in it. Hidden files and folders are not read (a Mac's
    ``._scan001.pdf`` is no scan), nor the folders in ``skip`` met in a folder (examgen's own
    PDFs and images); one of those given is refused. A file given is named by its name, or by
    its path as given when another file given has the same name (two days' ``scan001.pdf``)."""
    skip = list(skip)
    own = {os.path.realpath(p) for p in skip}
    named = Counter(path.name for path in paths if not path.is_dir())
    files = []
    for path in paths:
        if path.is_dir():
            if os.path.realpath(path) in own:
                raise ExamgenError(
                    f"{path}: is examgen's own folder (the exam folder, or one this command "
                    "writes), whose pages would read as blank answers; give the scans' files or "
                    "the folder that holds them"
                )
            found = [(f, shown) for f, shown in _visible_files(path, skip) if _is_scan(f)]
            files.extend(sorted(found, key=lambda file: file[1]))
        else:  # named by its name, or as given when another file given has that name
            files.append((path, str(path) if named[path.name] > 1 else ""))
    return files


def not_scans(
    paths: list[Path], skip: Iterable[Path] = (), written: Iterable[Path] = ()
) -> list[str]:
    """What the folders ``paths`` name hold that ``scan_files`` leaves out (hidden files
    aside, and the files ``written``: the command's own), by path in the folder: what to name
    when they hold no scan at all, or beside the scans (a file of a kind no reader knows may be
    a student's page)."""
    own = {os.path.realpath(p) for p in written}
    return sorted(
        shown
        for path in paths
        if path.is_dir()
        for file, shown in _visible_files(path, skip)
        if not _is_scan(file) and os.path.realpath(file) not in own
    )


def _is_scan(path: Path) -> bool:
    return path.suffix.lower() in SCAN_SUFFIXES


def _visible_files(folder: Path, skip: Iterable[Path]) -> Iterator[tuple[Path, str]]:
    """Every file in ``folder`` and the folders in it, with its path in ``folder``, but for
    hidden ones and the folders ``skip`` names. A folder linked from inside itself is entered
    once."""
    skipped = {os.path.realpath(p) for p in skip}
    entered = {os.path.realpath(folder)}
    for top, folders, names in os.walk(folder, followlinks=True):
        inner = [
            (name, os.path.realpath(os.path.join(top, name)))
            for name in sorted(folders)
            if not name.startswith(".")
        ]
        folders[:] = [name for name, real in inner if real not in skipped | entered]
        entered.update(real for _, real in inner)
        for name in names:
            if not name.startswith("."):
                file = Path(top, name)
                yield file, file.relative_to(folder).as_posix()


def expand(paths: list[Path], skip: Iterable[Path] = ()) -> list[PageRef]:
    """Every page of every scan file ``paths`` name (``scan_files``)."""
    return [r for f, shown in scan_files(paths, skip) for r in page_refs(f, shown)]


def load(ref: PageRef) -> np.ndarray:
    """The page as a grayscale image, at most ``MAX_LONG_SIDE`` pixels long."""
    try:
        if ref.path.suffix.lower() == ".pdf":
            pdf = pypdfium2.PdfDocument(ref.path)
            page = pdf[ref.index - 1]
            # A page larger than paper (a poster, a hostile 200 in MediaBox) is rendered no
            # larger than twice the size it is shrunk to, not at 200 dpi (gigabytes).
            scale = min(PDF_DPI / 72, 2 * MAX_LONG_SIDE / max(*page.get_size(), 1))
            image = page.render(scale=scale, grayscale=True).to_numpy()
            image = np.ascontiguousarray(image)
        elif ref.path.suffix.lower() in (".tif", ".tiff"):
            # This page alone: decoding the whole file for each page of a class's one TIFF
            # would take N² decodes and N pages' memory.
            with _opencv_quiet():
                ok, pages = cv2.imreadmulti(
                    str(ref.path),
                    mats=None,
                    start=ref.index - 1,
                    count=1,
                    flags=cv2.IMREAD_GRAYSCALE,
                )
            if not ok or len(pages) != 1:
                raise UnreadableScan(f"{ref.name}: not a readable TIFF page")
            image = pages[0]
        elif ref.path.suffix.lower() in HEIF_SUFFIXES:
            image = _heif_image(ref)
        else:
            with _opencv_quiet():
                image = cv2.imread(str(ref.path), cv2.IMREAD_GRAYSCALE)
    except cv2.error as err:
        raise UnreadableScan(f"{ref.name}: {_opencv_problem(err)}") from None
    except (pypdfium2.PdfiumError, OSError, ValueError, RuntimeError) as err:
        raise UnreadableScan(f"{ref.name}: cannot read ({' '.join(str(err).split())})") from None
    if image is None or image.size == 0:
        raise UnreadableScan(f"{ref.name}: not an image or PDF this reader knows")
    if image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return _page_sized(image, ref)


def _page_sized(image: np.ndarray, ref: PageRef) -> np.ndarray:
    """``image`` shrunk to at most ``MAX_LONG_SIDE`` pixels long; an unreadable page if that
    leaves a side shorter than ``MIN_SIDE``."""
    height, width = image.shape[:2]
    f = min(MAX_LONG_SIDE / max(height, width), 1.0)
    if min(height, width) * f < MIN_SIDE:
        raise UnreadableScan(f"{ref.name}: a {width}×{height} image, too small to be a page")
    if f < 1:
        size = (max(round(width * f), 1), max(round(height * f), 1))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return image


@contextmanager
def _opencv_quiet() -> Iterator[None]:
    """OpenCV's own log lines (``[ERROR:0@0.26] global loadsave.cpp:568 imread_ …``) left out of
    the terminal: a file it cannot decode is examgen's to report, as an unreadable page."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def _opencv_problem(err: cv2.error) -> str:
    """OpenCV's refusal in examgen's words, on one line (its own text is a C++ assertion with
    a line break, which review.csv would hold inside a cell)."""
    if "CV_IO_MAX_IMAGE_PIXELS" in str(err):
        return "an image larger than any scan (over 2^30 pixels)"
    return "not an image this reader can decode"


def _heif_image(ref: PageRef) -> np.ndarray:
    """A HEIC photo's primary image in grey, decoded by libheif (``pi_heif``: its decoder only;
    OpenCV reads no HEIC). Its errors are ``ValueError``."""
    import pi_heif

    heif = pi_heif.open_heif(ref.path, convert_hdr_to_8bit=True)
    width, height = heif.size
    if width * height > MAX_HEIF_PIXELS:
        raise UnreadableScan(f"{ref.name}: a {width}×{height} photo is larger than any scan")
    pixels = np.asarray(heif)
    if pixels.ndim == 2:
        return np.ascontiguousarray(pixels)
    code = cv2.COLOR_RGBA2GRAY if pixels.shape[2] == 4 else cv2.COLOR_RGB2GRAY
    return cv2.cvtColor(pixels, code)
