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


def test_scans_in_subfolders_are_read_by_their_path_in_the_folder(tmp_path: Path) -> None:
    """A stack saved a folder a day (``scans/monday/…``, ``scans/tuesday/…``) beside a late
    scan: on main only the late scan was read and the other students were silently absent from
    responses.csv. Every scan file is read, in the order of its path inside the folder given,
    and named by that path (two days' ``scan001.pdf`` are two files); hidden files and folders
    (a Mac's ``._scan001.pdf``) and the folders examgen writes are not read."""
    from generator.paper.sources import expand

    scans, exam = tmp_path / "scans", tmp_path / "scans" / "quiz-seed42"
    for name in (
        "late.pdf",
        "monday/scan001.pdf",
        "tuesday/scan001.pdf",
        "tuesday/evening/scan001.PNG",
        "monday/._scan001.pdf",
        ".trash/scan009.pdf",
        "quiz-seed42/exams/s001.pdf",
        "responses-review/scan001-p1.png",
    ):
        (scans / name).parent.mkdir(parents=True, exist_ok=True)
        (scans / name).write_text(PDF.format(w=612, h=792))
    skip = [exam, scans / "responses-review"]
    assert [ref.name for ref in expand([scans], skip)] == [
        "late.pdf p1",
        "monday/scan001.pdf p1",
        "tuesday/evening/scan001.PNG p1",
        "tuesday/scan001.pdf p1",
    ]
    # A file named on the command line is named by its name; two of one name by their paths.
    assert [ref.name for ref in expand([scans / "monday" / "scan001.pdf"])] == ["scan001.pdf p1"]
    days = [scans / "monday" / "scan001.pdf", scans / "tuesday" / "scan001.pdf", scans / "late.pdf"]
    assert [ref.name for ref in expand(days)] == [
        f"{days[0]} p1",
        f"{days[1]} p1",
        "late.pdf p1",
    ]


@pytest.mark.parametrize("given", ["quiz-seed42", "quiz-seed42/exams", "responses-review"])
def test_examgens_own_folder_given_as_scans_is_refused(tmp_path: Path, given: str) -> None:
    """The exam folder given as the scans (``examgen scan quiz quiz``): on 8cb6922 its
    handouts.pdf and exams were read as every student's blank answers."""
    from generator.errors import ExamgenError
    from generator.paper.sources import expand

    exam = tmp_path / "quiz-seed42"
    for name in ("quiz-seed42/handouts.pdf", "quiz-seed42/exams/s001.pdf", "responses-review/a.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(PDF.format(w=612, h=792))
    skip = [exam, exam / "exams", exam / "solutions", tmp_path / "responses-review"]
    with pytest.raises(ExamgenError, match=f"^{tmp_path / given}: is examgen's own folder"):
        expand([tmp_path / given], skip)


def test_an_unreadable_image_is_reported_in_one_line_of_examgens_own(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """On main OpenCV printed its own ``[ERROR:0@0.263] global loadsave.cpp…`` line to stderr
    for a file that only looks like a JPEG, and a PNG claiming 40,000 × 40,000 pixels (a
    decompression bomb) put OpenCV's assertion text, line break and all, into review.csv."""
    import struct
    import zlib

    from generator.paper.sources import PageRef, UnreadableScan, load, page_refs

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    bomb, fake, tiff = tmp_path / "bomb.png", tmp_path / "fake.jpg", tmp_path / "fake.tif"
    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 40001 * 8)
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat))
    fake.write_bytes(b"GIF89a")
    tiff.write_bytes(b"II*\0garbage")
    capfd.readouterr()
    said = {}
    for path in (bomb, fake, tiff):
        with pytest.raises(UnreadableScan) as refused:
            load(*page_refs(path))
        said[path.name] = str(refused.value)
    assert capfd.readouterr().err == ""
    assert said["bomb.png"] == "bomb.png p1: an image larger than any scan (over 2^30 pixels)"
    assert all("\n" not in s and "OpenCV" not in s for s in said.values()), said
    assert PageRef(fake, 1).name == "fake.jpg p1"


def test_every_kind_of_image_a_folder_reads_is_one_this_opencv_reads(tmp_path: Path) -> None:
    """A folder's scans are the images this OpenCV decodes (and HEIC): on 8cb6922 a phone app's
    WebP or JFIF photo in a folder was left out without a word, though read when named. Each
    kind is written (its suffix in capitals too), found in the folder and loaded as written."""
    import cv2
    import numpy as np

    from generator.paper.sources import HEIF_SUFFIXES, IMAGE_SUFFIXES, expand, load

    page = np.full((120, 90), 255, np.uint8)
    page[20:100, 15:75] = 0
    kinds = [s for s in IMAGE_SUFFIXES if s not in HEIF_SUFFIXES]
    assert {".webp", ".jfif", ".jpe", ".avif", ".pnm"} <= set(kinds)
    for number, suffix in enumerate(kinds):
        encoder = {".jfif": ".jpg", ".jpe": ".jpg", ".dib": ".bmp"}.get(suffix, suffix)
        # GIF and PPM are colour only here.
        image = cv2.cvtColor(page, cv2.COLOR_GRAY2BGR) if suffix in (".gif", ".ppm") else page
        ok, data = cv2.imencode(encoder, image)
        assert ok, suffix
        name = f"p{number}{suffix.upper() if number % 2 else suffix}"
        (tmp_path / name).write_bytes(data.tobytes())
    refs = expand([tmp_path])
    assert len(refs) == len(kinds)
    for ref in refs:
        image = load(ref)
        assert image.shape == page.shape and np.abs(image - page.astype(float)).mean() < 8, ref
