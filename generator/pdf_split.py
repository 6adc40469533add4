"""Cut a batched PDF into per-student PDFs by page ranges, with pikepdf (qpdf).

The exam template places a named destination ``examgen-student-K`` where student K starts, so the
ranges come from the document itself rather than from counting pages in Python. pikepdf copies
the pages and the objects they reach (fonts, once per output) in C++: a 300-student class splits
in well under a second, where pypdf's pure-Python writer re-serialises every shared font per
output and takes seconds per document.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pikepdf

STUDENT_DEST = "examgen-student-{}"


def _destination_page(dest: Any) -> pikepdf.Object:
    """The page object a named destination points at (an array, or a dictionary with /D)."""
    if isinstance(dest, pikepdf.Dictionary):
        dest = dest.D
    return dest[0]


def student_ranges(pdf: pikepdf.Pdf, count: int) -> list[range]:
    """Page indices of each of ``count`` students; the last student runs to the end."""
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        raise ValueError("the PDF has no named destinations marking the students")
    dests = pikepdf.NameTree(names.Dests)
    index = {page.objgen: i for i, page in enumerate(pdf.pages)}
    starts = []
    for k in range(1, count + 1):
        name = STUDENT_DEST.format(k)
        if name not in dests:
            raise ValueError(f"the PDF has no destination {name}")
        starts.append(index[_destination_page(dests[name]).objgen])
    ranges = [range(s, e) for s, e in zip(starts, [*starts[1:], len(pdf.pages)], strict=True)]
    if any(len(r) == 0 for r in ranges):
        raise ValueError("student destinations are out of order")
    return ranges


def split_pdf(
    path: Path,
    dests: Sequence[Path],
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
    label: str = "Splitting",
) -> list[int]:
    """Write the K-th student's pages of the batched PDF at ``path`` to ``dests[K-1]``; return
    each student's page count. Output is deterministic (no random file ID)."""
    with pikepdf.open(path) as pdf:
        ranges = student_ranges(pdf, len(dests))
        work = list(zip(ranges, dests, strict=True))
        for pages, dest in progress(work, label) if progress else work:
            part = pikepdf.new()
            part.pages.extend(pdf.pages[pages.start : pages.stop])
            save(part, dest)
    return [len(r) for r in ranges]


def save(pdf: pikepdf.Pdf, dest: Path) -> None:
    """Write ``pdf`` deterministically (no random file ID). qpdf writes into memory and Python
    writes the file, so a full disk is an ``OSError`` here, never an abort inside qpdf."""
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True)
    with buffer.getbuffer() as view:  # no copy: a class's joined PDF is tens of MB
        Path(dest).write_bytes(view)


def join_pdfs(parts: Sequence[Path], dest: Path) -> None:
    """``dest`` holds the pages of ``parts`` in order (a document typeset in several parts)."""
    if len(parts) == 1:
        Path(parts[0]).replace(dest)
        return
    sources = [pikepdf.open(part) for part in parts]
    try:
        whole = pikepdf.new()
        for source in sources:
            whole.pages.extend(source.pages)
        save(whole, dest)
    finally:
        for source in sources:
            source.close()
