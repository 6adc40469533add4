"""Scanned pages from the files a scanner or a phone leaves: PDFs (any number of pages) and
images (PNG, JPEG, TIFF, multi-page TIFF too, and HEIC: an iPhone's photos), as 8-bit
grayscale arrays.

A page is named by its file and its 1-based page in that file, so a review report can point at
it; a file that cannot be read is one bad page, not the end of the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2

#: PDFs are rendered at this resolution: enough for 11 pt bubbles and the QR code's modules.
PDF_DPI = 200
#: An iPhone's photos, unless it is set to "Most Compatible" (JPEG).
HEIF_SUFFIXES = (".heic", ".heif")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", *HEIF_SUFFIXES)
#: What a folder's scan files end in (in any case).
SCAN_SUFFIXES = (*IMAGE_SUFFIXES, ".pdf")
#: The most pixels a HEIC photo may have: OpenCV's own limit for the other images
#: (``CV_IO_MAX_IMAGE_PIXELS``); a phone's photo has a few tens of millions.
MAX_HEIF_PIXELS = 1 << 30
#: Larger scans (600 dpi) are read at about this resolution: the long side of a letter page at
#: 250 dpi. Reading is no more accurate above it, only slower.
MAX_LONG_SIDE = 2750


@dataclass(frozen=True)
class PageRef:
    path: Path
    index: int  # 1-based page in the file

    @property
    def name(self) -> str:
        return f"{self.path.name} p{self.index}"


class UnreadableScan(Exception):
    """A file (or a page of it) no reader can open; reported, never fatal."""


def page_refs(path: Path) -> list[PageRef]:
    """The pages of one scan file (a file that cannot be opened is one unreadable page)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            return [PageRef(path, i) for i in range(1, len(pypdfium2.PdfDocument(path)) + 1)]
        if suffix in (".tif", ".tiff"):
            count = cv2.imcount(str(path))
            return [PageRef(path, i) for i in range(1, max(count, 1) + 1)]
    except (pypdfium2.PdfiumError, cv2.error, OSError):
        pass
    return [PageRef(path, 1)]


def scan_files(paths: list[Path]) -> list[Path]:
    """The files ``paths`` name: a folder stands for the scan files in it (PDFs and images,
    sorted by name; other files are not read)."""
    files = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in SCAN_SUFFIXES))
        else:
            files.append(path)
    return files


def not_scans(paths: list[Path]) -> list[str]:
    """What the folders ``paths`` name hold that ``scan_files`` leaves out (hidden files
    aside), a folder's name ending in "/" (folders in them are not searched): what to name when
    they hold no scan at all."""
    return [
        p.name + "/" if p.is_dir() else p.name
        for path in paths
        if path.is_dir()
        for p in sorted(path.iterdir())
        if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() not in SCAN_SUFFIXES)
    ]


def expand(paths: list[Path]) -> list[PageRef]:
    """Every page of every scan file ``paths`` name (``scan_files``)."""
    return [r for f in scan_files(paths) for r in page_refs(f)]


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
            ok, pages = cv2.imreadmulti(
                str(ref.path), mats=None, start=ref.index - 1, count=1, flags=cv2.IMREAD_GRAYSCALE
            )
            if not ok or len(pages) != 1:
                raise UnreadableScan(f"{ref.name}: not a readable TIFF page")
            image = pages[0]
        elif ref.path.suffix.lower() in HEIF_SUFFIXES:
            image = _heif_image(ref)
        else:
            image = cv2.imread(str(ref.path), cv2.IMREAD_GRAYSCALE)
    except (pypdfium2.PdfiumError, cv2.error, OSError, ValueError, RuntimeError) as err:
        raise UnreadableScan(f"{ref.name}: cannot read ({err})") from None
    if image is None or image.size == 0:
        raise UnreadableScan(f"{ref.name}: not an image or PDF this reader knows")
    if image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    long_side = max(image.shape)
    if long_side > MAX_LONG_SIDE:
        f = MAX_LONG_SIDE / long_side
        image = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    return image


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
