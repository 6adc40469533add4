"""Cut a batched PDF into per-student PDFs by page ranges, and join parts into one document.

The exam template places a named destination ``examgen-student-K`` where student K starts, so the
ranges come from the document itself rather than from counting pages in Python. pikepdf (qpdf)
reads the parts; ``generator.pdf_write`` writes the outputs, serialising each object of a part
once for all its students (a part's fonts are shared by its 25 students) and copying stream data
raw: about half the CPU time qpdf's copy-and-save took per student, for the same bytes.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from generator.ordered import InOrder
from generator.pdf_write import Document, ObjGen, PartObjects

if TYPE_CHECKING:
    import pikepdf

STUDENT_DEST = "examgen-student-{}"


def _destination_page(dest: Any) -> pikepdf.Object:
    """The page object a named destination points at (an array, or a dictionary with /D)."""
    import pikepdf

    if isinstance(dest, pikepdf.Dictionary):
        dest = dest.D
    return dest[0]


def student_ranges(
    pdf: pikepdf.Pdf, count: int, pages: Sequence[ObjGen] | None = None
) -> list[range]:
    """Page indices of each of ``count`` students; the last student runs to the end. ``pages``
    are the document's pages' object numbers when already known."""
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        raise ValueError("the PDF has no named destinations marking the students")
    import pikepdf

    dests = pikepdf.NameTree(names.Dests)
    if pages is None:
        pages = [page.objgen for page in pdf.pages]
    index = {objgen: i for i, objgen in enumerate(pages)}
    starts = []
    for k in range(1, count + 1):
        name = STUDENT_DEST.format(k)
        if name not in dests:
            raise ValueError(f"the PDF has no destination {name}")
        starts.append(index[_destination_page(dests[name]).objgen])
    ranges = [range(s, e) for s, e in zip(starts, [*starts[1:], len(pages)], strict=True)]
    if any(len(r) == 0 for r in ranges):
        raise ValueError("student destinations are out of order")
    return ranges


def open_part(path: Path) -> PartObjects:
    """A typeset part, open until ``close``: cut into students and then joined, it is read and
    each of its objects serialised once for both (the join used to open it again, about a
    third of the cutting's CPU time). pikepdf is imported here, when the first part is typeset,
    not with the build: a build's first pdflatex run then starts 0.04 s sooner."""
    import pikepdf

    return PartObjects(pikepdf.open(path), path)


def cut_part(
    part: PartObjects,
    dests: Sequence[Path],
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
    label: str = "Splitting",
) -> list[int]:
    """Write the K-th student's pages of ``part`` to ``dests[K-1]``; return each student's page
    count. Output is deterministic (qpdf's deterministic file ID), and a full disk is an
    ``OSError`` from Python's own write."""
    ranges = student_ranges(part.pdf, len(dests), part.pages)
    work = list(zip(ranges, dests, strict=True))
    for pages, dest in progress(work, label) if progress else work:
        with open(dest, "wb") as out:
            document = Document(out, len(pages))
            document.add_pages(part, pages)
            document.close()
    return [len(r) for r in ranges]


def split_pdf(path: Path, dests: Sequence[Path]) -> list[int]:
    """``cut_part`` of the batched PDF at ``path`` (opened and closed here)."""
    part = open_part(path)
    try:
        return cut_part(part, dests)
    finally:
        part.close()


def join_pdfs(parts: Sequence[Path], dest: Path) -> None:
    """``dest`` holds the pages of ``parts`` in order (a document typeset in several parts)."""
    joiner = PartJoiner(dest, len(parts))
    try:
        for number, path in enumerate(parts, start=1):
            joiner.add(number, open_part(path))
    finally:
        joiner.close()


class PartJoiner:
    """A document written part by part, as each part of it is typeset: parts may come in any
    order (several pdflatex runs at once), each is appended as soon as every part before it
    is (``InOrder``), so the join overlaps the typesetting of later parts instead of following
    it. Each part is closed once written out, so memory does not grow with the class (only the
    few parts typeset ahead of their turn wait open). A lone part is the document as it is."""

    def __init__(self, dest: Path, count: int) -> None:
        self.dest, self.count = dest, count
        self.parts: InOrder[PartObjects] = InOrder(self._append, count)
        self.out: BinaryIO | None = None
        self.document: Document | None = None

    @property
    def complete(self) -> bool:
        return self.parts.complete

    def add(self, number: int, part: PartObjects) -> None:
        """Part ``number`` (1-based), open (``open_part``); the joiner closes it."""
        self.parts.add(number, part)

    def _append(self, part: PartObjects) -> None:
        try:
            if self.count == 1:  # a copy: the part stays where the build checks it
                shutil.copyfile(part.path, self.dest)
                return
            if self.document is None:
                self.out = open(self.dest, "wb")  # noqa: SIM115 (open across calls; see close)
                self.document = Document(self.out)
            self.document.add_pages(part, range(len(part.pages)), keep=False)
            self.document.flush()
        finally:
            part.close()
        if self.parts.next == self.count:  # the last part
            self.document.close()
            self._release()

    def close(self) -> None:
        """Release the file and the parts still waiting for their turn (a finished document is
        complete; an unfinished one is left for the staging folder's removal)."""
        with self.parts.lock:
            for part in self.parts.waiting.values():
                part.close()
            self.parts.waiting.clear()
            self._release()

    def _release(self) -> None:
        if self.out is not None:
            self.out.close()
        self.out = self.document = None
