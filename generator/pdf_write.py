"""Write PDFs made of pages of typeset parts, copying each object's bytes as they are.

qpdf (through pikepdf) copied a student's pages into a new document and then serialised it: a few
milliseconds per student, mostly spent rebuilding the same fonts for each of a part's 25 students.
Here every object of a part is serialised once (``PartObjects``) and each student's file only
renumbers it; stream data (contents, fonts) is copied raw, never decoded. The layout is qpdf's
own (objects numbered breadth-first from the catalog, keys sorted, a classic cross-reference
table, qpdf's deterministic ``/ID``), so a per-student file is byte for byte what
``pikepdf.Pdf.save(deterministic_id=True)`` wrote for the same pages (the tests compare them).

``Document`` writes to a file as it goes: joining 120 parts holds one part at a time, so memory
stays flat however large the class.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import pikepdf

ObjGen = tuple[int, int]

_HEADER = b"%PDF-1.3\n%\xbf\xf7\xa2\xfe\n"
# In qpdf's unparsed text a reference is "N G R" outside strings. Literal strings have every
# parenthesis escaped and names have delimiters escaped as #xx, so strings are skipped whole.
_REF = rb"(?<![^\s\[])(\d+) (\d+) R(?=\s|$)"
_REFS = re.compile(_REF)
_TOKENS = re.compile(rb"\((?:[^\\)]|\\.)*\)|<(?!<)[0-9A-Fa-f\s]*>|" + _REF, re.S)
_STRINGS = re.compile(rb"\(|<(?!<)")
_ENDSTREAM = b"\nendstream\nendobj\n"
_BATCH = 8192  # cross-reference entries or kids written at a time
_LENGTH = re.compile(rb"/Length (?:\d+ \d+ R|\d+) ")


class Template:
    """An object's serialised text: as it is when it has no references, else a format with a
    ``%d`` for each reference's new number, the references in the order qpdf meets them. A
    stream's raw data is read when first written."""

    __slots__ = ("text", "refs", "stream", "data")

    def __init__(self, text: bytes, stream: pikepdf.Stream | None) -> None:
        self.stream = stream
        self.data: bytes | None = None
        if b" R" not in text:  # most of a part's objects: widths, encodings, content streams
            self.text, self.refs = text, ()
        else:
            self.text, self.refs = _format(text)


@lru_cache(maxsize=4096)
def _format(text: bytes) -> tuple[bytes, tuple[ObjGen, ...]]:
    """``Template``'s format and references for ``text``, remembered: a part's pages share a
    few resource dictionaries, each one object per page, and parts of the same shape number
    their fonts alike (in a build, about four in five texts with references repeat one met
    before). Keyed by the text alone, and the result is immutable."""
    text = text.replace(b"%", b"%%")
    if not _STRINGS.search(text.replace(b"<<", b"")):
        pieces = _REFS.split(text)
        refs = tuple(zip(map(int, pieces[1::3]), map(int, pieces[2::3]), strict=True))
        text = b"%d 0 R".join(pieces[::3])
    else:
        chunks, found, start = [], [], 0
        for match in _TOKENS.finditer(text):
            if match.group(1) is not None:
                chunks.append(text[start : match.start()])
                found.append((int(match.group(1)), int(match.group(2))))
                start = match.end()
        chunks.append(text[start:])
        text, refs = b"%d 0 R".join(chunks), tuple(found)
    if not refs:  # " R" was in a string
        text = text.replace(b"%%", b"%")
    return text, refs


class PartObjects:
    """One typeset part's pages and the objects they reach, each serialised on first use."""

    def __init__(self, pdf: pikepdf.Pdf, path: Path | None = None) -> None:
        self.pdf, self.path = pdf, path
        self.pages: list[ObjGen] = []
        self.templates: dict[ObjGen, Template] = {}
        self.tree: set[ObjGen] = set()
        self._walk(pdf.Root.Pages)

    def _walk(self, node: pikepdf.Object) -> None:
        """Note the pages in order and the page tree's nodes (a page's ``/Parent`` becomes the
        new tree). Attributes a page inherits from the tree are its own already: pikepdf.open
        pushes them down to the pages."""
        self.tree.add(node.objgen)
        for kid in node.Kids:
            if kid.get("/Type") == "/Pages" or "/Kids" in kid:
                self._walk(kid)
            else:
                self.pages.append(kid.objgen)

    def close(self) -> None:
        """Close the PDF and drop what was serialised of it."""
        self.templates.clear()
        self.pdf.close()

    def template(self, objgen: ObjGen) -> Template:
        template = self.templates.get(objgen)
        if template is None:
            template = self.templates[objgen] = self._serialise(objgen)
        return template

    def _serialise(self, objgen: ObjGen) -> Template:
        import pikepdf  # imported by whoever opened the part (generator.pdf_split.open_part)

        obj = self.pdf.get_object(objgen)
        if isinstance(obj, pikepdf.Stream):
            # qpdf drops /Length and appends the length of the data it writes.
            text = obj.stream_dict.unparse()
            if text.count(b"/Length ") == 1:
                text = _LENGTH.sub(b"", text, count=1)
            else:  # a /Length inside a nested dictionary too: remove the stream's own
                meta = {k: v for k, v in obj.stream_dict.items() if k != "/Length"}
                text = pikepdf.Dictionary(meta).unparse()
            return Template(text[: -len(b">>")], obj)
        text = obj.unparse(resolved=True) if obj is not None else b"null"
        return Template(text, None)


class Document:
    """A PDF made of pages of parts; ``close`` adds the catalog, the page tree and the
    cross-reference table. With ``page_count`` known up front the catalog and the page tree come
    first, as qpdf writes them; otherwise last (a join learns the count as it goes). Text is
    gathered in memory until ``flush`` hands it to ``out`` (a join flushes after each part)."""

    def __init__(self, out: BinaryIO, page_count: int | None = None) -> None:
        self.out = out
        self.md5 = hashlib.md5()
        self.pieces: list[bytes] = []
        self.position = 0
        self.offsets = array("q", [0, 0, 0])  # free object 0, catalog 1, page tree 2
        self.kids = array("q")
        self.reserved = page_count
        self._put(_HEADER)
        if page_count is not None:
            self.offsets.extend(array("q", bytes(8 * page_count)))
            self._tree(range(3, 3 + page_count))

    def _put(self, data: bytes) -> None:
        self.pieces.append(data)
        self.position += len(data)

    def _object(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.position
        self._put(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _tree(self, kids: Sequence[int]) -> None:
        self._object(1, b"<< /Pages 2 0 R /Type /Catalog >>")
        self.offsets[2] = self.position
        self._put(b"2 0 obj\n<< /Count %d /Kids [ " % len(kids))
        for start in range(0, len(kids), _BATCH):  # a class's handouts have 24,000 pages
            self._put(b"".join([b"%d 0 R " % kid for kid in kids[start : start + _BATCH]]))
            self.flush()
        self._put(b"] /Type /Pages >>\nendobj\n")

    def flush(self) -> None:
        data = b"".join(self.pieces)  # digested whole: one call, not one per piece
        self.md5.update(data)
        self.out.write(data)
        self.pieces.clear()

    def add_pages(self, part: PartObjects, pages: range, keep: bool = True) -> None:
        """Append ``pages`` of ``part`` and every object they reach, numbered breadth-first in
        the order they are referenced (qpdf's order); ``keep`` caches stream data for the next
        call on the same part."""
        numbers = dict.fromkeys(part.tree, 2)  # every /Parent is the new page tree
        queue = [part.pages[i] for i in pages]
        offsets = self.offsets
        for objgen in queue:
            if self.reserved is not None:
                numbers[objgen] = 3 + len(self.kids)
            else:
                numbers[objgen] = len(offsets)
                offsets.append(0)
            self.kids.append(numbers[objgen])
        templates = part.templates
        pieces, position = self.pieces, self.position
        for objgen in queue:  # grows as objects are reached
            template = templates.get(objgen) or part.template(objgen)
            text = template.text
            if template.refs:
                refs = []
                for ref in template.refs:
                    number = numbers.get(ref)
                    if number is None:
                        number = numbers[ref] = len(offsets)
                        offsets.append(0)
                        queue.append(ref)
                    refs.append(number)
                text %= tuple(refs)
            number = numbers[objgen]
            offsets[number] = position
            if template.stream is None:
                piece = b"%d 0 obj\n%s\nendobj\n" % (number, text)
                pieces.append(piece)
                position += len(piece)
            else:
                data = template.data
                if data is None:
                    data = template.stream.read_raw_bytes()
                    if keep:
                        template.data = data
                piece = b"%d 0 obj\n%s/Length %d >>\nstream\n" % (number, text, len(data))
                pieces += (piece, data, _ENDSTREAM)
                position += len(piece) + len(data) + len(_ENDSTREAM)
        self.position = position

    def close(self) -> None:
        """Write what remains: the page tree if not yet written, the cross-reference table and
        the trailer."""
        if self.reserved is None:
            self._tree(self.kids)
        elif len(self.kids) != self.reserved:
            raise ValueError(f"{len(self.kids)} pages added where {self.reserved} were announced")
        xref = self.position
        size = len(self.offsets)
        self._put(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for start in range(1, size, _BATCH):
            batch = self.offsets[start : start + _BATCH]
            self._put(b"".join([b"%010d 00000 n \n" % offset for offset in batch]))
            self.flush()
        # qpdf's deterministic ID: the MD5 of the file up to here, salted as qpdf salts it.
        self._put(b"trailer << /Root 1 0 R /Size %d /ID [" % size)
        self.flush()
        seed = self.md5.hexdigest().encode("ascii") + b" QPDF "
        file_id = hashlib.md5(seed).hexdigest().encode("ascii")
        self.out.write(b"<%s><%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (file_id, file_id, xref))
