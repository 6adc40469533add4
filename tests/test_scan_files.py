"""Scan files as found, not as hoped: a hostile or mistaken PDF page must not cost gigabytes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PDF = (
    "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 {w} {h}]>>endobj\n"
    "trailer<</Root 1 0 R>>\n%%EOF\n"
)
# The peak of this process's own memory (VmHWM; ru_maxrss would include the forking parent's).
LOAD = """
import sys
from pathlib import Path
from generator.paper.sources import PageRef, load
image = load(PageRef(Path(sys.argv[1]), int(sys.argv[2])))
status = Path("/proc/self/status").read_text()
peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
print(*image.shape, peak // 1024)
"""


def load_in_a_process(path: Path, page: int = 1) -> tuple[int, int, int]:
    """(height, width, peak MB) of loading the page in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(path), str(page)],
        capture_output=True,
        text=True,
        check=True,
    )
    height, width, peak = map(int, done.stdout.split())
    return height, width, peak


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_a_poster_sized_pdf_page_is_read_without_gigabytes(tmp_path: Path) -> None:
    """A 200 × 200 in page (PDF's largest, a 300-byte file): on main it was rendered at 200 dpi
    (40,000 × 40,000 pixels, 1.6 GB per page and worker) before being shrunk; a letter page
    still reads at 200 dpi."""
    poster, letter = tmp_path / "poster.pdf", tmp_path / "letter.pdf"
    poster.write_text(PDF.format(w=14400, h=14400))
    letter.write_text(PDF.format(w=612, h=792))
    height, width, peak = load_in_a_process(poster)
    assert (height, width) == (2750, 2750) and peak < 600, peak
    assert load_in_a_process(letter)[:2] == (2200, 1700)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_a_page_of_a_multipage_tiff_is_read_alone(tmp_path: Path) -> None:
    """A scanner's one TIFF for the whole class: on main reading any page decoded every page of
    the file (here 100 pages, about 90 MB more per page read, and N pages took N² decodes)."""
    import cv2
    import numpy as np

    pages = [np.full((1100, 850), 255, np.uint8) for _ in range(100)]
    for number, page in enumerate(pages):
        cv2.putText(page, f"page {number + 1}", (50, 200), cv2.FONT_HERSHEY_SIMPLEX, 3, 0, 6)
    assert cv2.imwritemulti(str(tmp_path / "class.tif"), pages)
    assert cv2.imwrite(str(tmp_path / "one.tif"), pages[0])
    *shape, alone = load_in_a_process(tmp_path / "one.tif")
    *shape_last, among = load_in_a_process(tmp_path / "class.tif", 100)
    assert shape == shape_last == [1100, 850] and among - alone < 20, (among, alone)

    from generator.paper.sources import PageRef, load

    assert np.array_equal(load(PageRef(tmp_path / "class.tif", 37)), pages[36])


def test_a_heic_photo_larger_than_any_scan_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A HEIC file's size is read from its header: one over the limit (OpenCV's for the other
    images) is an unreadable page, not gigabytes of decoded pixels; one under it is read."""
    import numpy as np

    from generator.paper import sources
    from tests.scan_synth import save

    (photo,) = save([np.full((60, 40), 200, np.uint8)], tmp_path, "IMG", "HEIC")
    ref = sources.PageRef(photo, 1)
    assert sources.load(ref).shape == (60, 40)
    monkeypatch.setattr(sources, "MAX_HEIF_PIXELS", 40 * 60 - 1)
    with pytest.raises(sources.UnreadableScan, match="a 40×60 photo is larger than any scan"):
        sources.load(ref)
