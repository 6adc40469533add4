"""Cut a batched pdfTeX PDF into per-student PDFs by page ranges, fast.

pypdf reads the structure (page objects, the ``examgen-student-K`` named destinations that mark
where each student starts, the cross-reference table). Writing hundreds of small PDFs through
pypdf's writer is slow, though: it re-parses and re-serialises every shared font (with its
glyph-name tables) once per output, seconds for a 300-student class. The batch is compiled with
``\\pdfobjcompresslevel=0``, so every object is a plain ``N 0 obj … endobj`` at a known offset;
``RawSplitter`` copies the objects a page range reaches byte for byte (stream data untouched),
renumbers the references in their dictionaries and adds a page tree, catalog and xref table.
Anything unexpected (object streams, inherited page attributes) falls back to pypdf's writer,
which is slower but general.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter

STUDENT_DEST = "examgen-student-{}"

_REF_RE = re.compile(rb"(?<![\w.])(\d+) 0 R(?![\w])")
_STREAM_RE = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")
_PARENT_RE = re.compile(rb"/Parent\s+\d+ 0 R")
_TYPE_PAGES_RE = re.compile(rb"/Type\s*/Pages\b")


def student_ranges(reader: PdfReader, count: int) -> list[range]:
    """Page indices of each of ``count`` students, from the named destinations the exam template
    places where each student starts; the last student runs to the end of the document."""
    dests = reader.named_destinations
    starts = []
    for k in range(1, count + 1):
        dest = dests.get(STUDENT_DEST.format(k))
        if dest is None:
            raise ValueError(f"the PDF has no destination {STUDENT_DEST.format(k)}")
        starts.append(reader.get_destination_page_number(dest))
    ends = [*starts[1:], len(reader.pages)]
    ranges = [range(s, e) for s, e in zip(starts, ends, strict=True)]
    if any(len(r) == 0 for r in ranges):
        raise ValueError("student destinations are out of order")
    return ranges


class RawSplitter:
    """Per-page-range PDFs from one pdfTeX PDF without object streams."""

    def __init__(self, path: Path, reader: PdfReader) -> None:
        self.data = Path(path).read_bytes()
        self.page_ids = [page.indirect_reference.idnum for page in reader.pages]
        offsets = {num: off for num, off in reader.xref.get(0, {}).items() if off}
        self.supported = not reader.xref_objStm and bool(offsets)
        ordered = sorted(offsets.items(), key=lambda item: item[1])
        end_of_objects = self.data.rfind(b"startxref")
        self.spans: dict[int, tuple[int, int]] = {}
        for (num, start), nxt in zip(ordered, [*ordered[1:], (None, None)], strict=True):
            self.spans[num] = (start, nxt[1] if nxt[1] is not None else end_of_objects)
        self.parsed: dict[int, tuple[bytes, bytes, list[int]]] = {}
        self.page_set = set(self.page_ids)
        if self.supported:
            self.supported = all(self._page_is_self_contained(num) for num in self.page_ids[:1])

    def _object(self, num: int) -> tuple[bytes, bytes, list[int]]:
        """(dictionary part, raw stream part, referenced object numbers) of object ``num``."""
        if num not in self.parsed:
            start, end = self.spans[num]
            chunk = self.data[start:end]
            header = f"{num} 0 obj".encode()
            if not chunk.startswith(header):
                raise ValueError(f"object {num} is not at its xref offset")
            body = chunk[len(header) : chunk.rfind(b"endobj")]
            m = _STREAM_RE.search(body)
            head, stream = (body[: m.end()], body[m.end() :]) if m else (body, b"")
            refs = [int(r) for r in _REF_RE.findall(_PARENT_RE.sub(b"", head))]
            self.parsed[num] = (head, stream, refs)
        return self.parsed[num]

    def _page_is_self_contained(self, num: int) -> bool:
        head = self._object(num)[0]
        return b"/Resources" in head and b"/MediaBox" in head

    def write(self, pages: Sequence[int], dest: Path) -> None:
        """Write the pages with indices ``pages`` to ``dest`` as a standalone PDF."""
        wanted = [self.page_ids[i] for i in pages]
        if not all(self._page_is_self_contained(num) for num in wanted):
            raise ValueError("page inherits attributes from its page tree")
        order: list[int] = []
        seen: set[int] = set()
        stack = list(reversed(wanted))
        while stack:
            num = stack.pop()
            if num in seen:
                continue
            seen.add(num)
            order.append(num)
            for ref in reversed(self._object(num)[2]):
                if ref not in seen and ref in self.spans and self._reachable(ref, wanted):
                    stack.append(ref)
        new = {old: i for i, old in enumerate(order, start=1)}
        pages_num, catalog_num = len(order) + 1, len(order) + 2

        def renumber(m: re.Match[bytes]) -> bytes:
            target = new.get(int(m.group(1)))
            return b"null" if target is None else b"%d 0 R" % target

        out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for old in order:
            head, stream, _ = self._object(old)
            head = _REF_RE.sub(renumber, _PARENT_RE.sub(b"/Parent @", head))
            head = head.replace(b"/Parent @", b"/Parent %d 0 R" % pages_num)
            offsets.append(len(out))
            out += b"%d 0 obj" % new[old] + head + stream + b"endobj\n"
        kids = b" ".join(b"%d 0 R" % new[num] for num in wanted)
        offsets.append(len(out))
        out += b"%d 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n" % (
            pages_num,
            kids,
            len(wanted),
        )
        offsets.append(len(out))
        out += b"%d 0 obj\n<< /Type /Catalog /Pages %d 0 R >>\nendobj\n" % (catalog_num, pages_num)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (catalog_num + 1)
        out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
        out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            catalog_num + 1,
            catalog_num,
            xref,
        )
        Path(dest).write_bytes(bytes(out))

    def _reachable(self, num: int, wanted: list[int]) -> bool:
        """Follow a reference unless it leads to another student's page or the page tree."""
        if num in self.page_set:
            return num in wanted
        return not _TYPE_PAGES_RE.search(self._object(num)[0])


def split_pdf(
    path: Path,
    dests: Sequence[Path],
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
    label: str = "Splitting",
) -> list[int]:
    """Write the K-th student's pages of the batched PDF at ``path`` to ``dests[K-1]``; return
    each student's page count."""
    reader = PdfReader(path)
    ranges = student_ranges(reader, len(dests))
    splitter = RawSplitter(path, reader)
    work = list(zip(ranges, dests, strict=True))
    for pages, dest in progress(work, label) if progress else work:
        if splitter.supported:
            try:
                splitter.write(pages, dest)
                continue
            except ValueError:
                splitter.supported = False
        writer = PdfWriter()
        for i in pages:
            writer.add_page(reader.pages[i])
        writer.write(dest)
    return [len(r) for r in ranges]
