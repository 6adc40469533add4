"""The PDF writer behind the per-student cut and the join (generator.pdf_write): a student's file
is byte for byte what qpdf's copy-and-save wrote for the same pages, a joined document holds the
parts' pages unchanged and in order, and both are deterministic and pass qpdf's checks.

Parts are made here with pikepdf, as pdfTeX makes them (compressed streams in object streams,
fonts shared by the pages of several students, named destinations where students start), with
strings that look like references, percent signs and binary bytes in their dictionaries.
"""

from __future__ import annotations

import io
import os
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pikepdf import Array, Dictionary, Name, String

from generator.pdf_split import (
    STUDENT_DEST,
    PartJoiner,
    cut_part,
    join_pdfs,
    open_part,
    split_pdf,
    student_ranges,
)
from generator.pdf_write import Template, _format

TRICKY = [
    b"1 0 R",
    b"(2 0 R)",
    b"(a (b) 6 0 R c)",
    b"%d 0 R %%",
    b"\\) 3 0 R (",
    b"<4 0 R>",
    b"\x00\xff 5 0 R",
]


def flate(pdf: pikepdf.Pdf, data: bytes, **keys: Any) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, b"", **keys)
    stream.write(zlib.compress(data), filter=Name.FlateDecode)
    return stream


@st.composite
def parts(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    """A typeset part's bytes and its students' page counts."""
    pdf = pikepdf.new()
    notes = st.one_of(st.sampled_from(TRICKY), st.binary(max_size=12))
    fonts = []
    for k in range(draw(st.integers(1, 3))):
        descriptor = Dictionary(
            Type=Name.FontDescriptor,
            CharSet=String(draw(notes)),
            FontFile=flate(pdf, draw(st.binary(max_size=200)), Length1=7, Length2=0),
        )
        widths = pdf.make_indirect(Array(draw(st.lists(st.integers(0, 999), max_size=30))))
        fonts.append(
            pdf.make_indirect(
                Dictionary(
                    Type=Name.Font,
                    BaseFont=Name(f"/ABCDEF+Font{k}"),
                    FontDescriptor=pdf.make_indirect(descriptor),
                    Widths=widths,
                )
            )
        )
    counts = draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    starts = []
    for count in counts:
        for page in range(count):
            used = draw(st.lists(st.sampled_from(fonts), min_size=1, unique_by=id))
            resources = Dictionary(Font=Dictionary({f"/F{i}": f for i, f in enumerate(used)}))
            text = f"BT /F0 10 Tf 72 720 Td (page {len(pdf.pages)} %) Tj ET".encode()
            page_dict = Dictionary(
                Type=Name.Page,
                MediaBox=Array([0, 0, Decimal("612.5"), 792]),
                Contents=flate(pdf, text),
                Resources=pdf.make_indirect(resources),
                Note=String(draw(notes)),
            )
            pdf.pages.append(pikepdf.Page(page_dict))
            if page == 0:
                starts.append(pdf.pages[-1].obj)
    dests = pikepdf.NameTree.new(pdf)
    for k, page in enumerate(starts, start=1):
        dests[STUDENT_DEST.format(k)] = Array([page, Name.XYZ, Decimal("86.4"), 720, None])
    pdf.Root.Names = Dictionary(Dests=dests.obj)
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue(), counts


def qpdf_cut(path: Path, count: int) -> list[bytes]:
    """Each student's file as the cut wrote it before: qpdf copies the pages and saves."""
    files = []
    with pikepdf.open(path) as pdf:
        for pages in student_ranges(pdf, count):
            student = pikepdf.new()
            student.pages.extend(pdf.pages[pages.start : pages.stop])
            out = io.BytesIO()
            student.save(out, deterministic_id=True)
            files.append(out.getvalue())
    return files


def cut(path: Path, count: int, folder: Path) -> list[bytes]:
    folder.mkdir()
    dests = [folder / f"{k}.pdf" for k in range(count)]
    split_pdf(path, dests)
    return [dest.read_bytes() for dest in dests]


def tree(obj: Any, seen: frozenset = frozenset()) -> Any:
    """An object and all it reaches as plain values (streams as their dictionary and raw
    bytes, without the ``/Parent`` back to the page tree): equal trees print the same."""
    if isinstance(obj, pikepdf.Stream):
        keys = {k: tree(v, seen) for k, v in obj.stream_dict.items() if k != "/Length"}
        return ("stream", keys, obj.read_raw_bytes())
    if isinstance(obj, pikepdf.Dictionary):
        return {k: tree(v, seen) for k, v in obj.items() if k != "/Parent"}
    if isinstance(obj, pikepdf.Array):
        return [tree(v, seen) for v in obj]
    return bytes(obj) if isinstance(obj, pikepdf.String) else obj


def pages_of(data: bytes) -> list[Any]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.check_pdf_syntax() == []
        return [tree(page.obj) for page in pdf.pages]


@given(parts())
def test_a_students_file_is_what_qpdf_wrote_for_their_pages(
    tmp_path_factory: pytest.TempPathFactory, part: tuple[bytes, list[int]]
) -> None:
    data, counts = part
    folder = tmp_path_factory.mktemp("cut")
    (folder / "part.pdf").write_bytes(data)
    files = cut(folder / "part.pdf", len(counts), folder / "students")
    assert files == qpdf_cut(folder / "part.pdf", len(counts))
    assert files == cut(folder / "part.pdf", len(counts), folder / "again")
    whole = pages_of(data)
    start = 0
    for count, file in zip(counts, files, strict=True):
        assert pages_of(file) == whole[start : start + count]
        start += count


def write_parts(folder: Path, typeset: list[tuple[bytes, list[int]]]) -> list[Path]:
    paths = [folder / f"part-{k}.pdf" for k in range(len(typeset))]
    for path, (data, _) in zip(paths, typeset, strict=True):
        path.write_bytes(data)
    return paths


@given(st.lists(parts(), min_size=2, max_size=4))
def test_a_joined_document_holds_every_parts_pages_in_order(
    tmp_path_factory: pytest.TempPathFactory, typeset: list[tuple[bytes, list[int]]]
) -> None:
    folder = tmp_path_factory.mktemp("join")
    paths = write_parts(folder, typeset)
    join_pdfs(paths, folder / "joined.pdf")
    join_pdfs(paths, folder / "again.pdf")
    joined = (folder / "joined.pdf").read_bytes()
    assert joined == (folder / "again.pdf").read_bytes()
    assert pages_of(joined) == [page for data, _ in typeset for page in pages_of(data)]


@given(st.lists(parts(), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_parts_cut_and_joined_as_they_finish_in_any_order_give_the_same_document(
    tmp_path_factory: pytest.TempPathFactory, typeset: list[tuple[bytes, list[int]]], rng: Any
) -> None:
    """pdflatex runs finish in any order; the build cuts each part into students and hands the
    same open part (its objects already serialised, its streams read) to the joiner, which
    appends it once those before it are in: the document is byte for byte the in-order join of
    freshly opened parts, and the students' files are those of a cut on its own."""
    folder = tmp_path_factory.mktemp("joiner")
    paths = write_parts(folder, typeset)
    join_pdfs(paths, folder / "in-order.pdf")
    finishing = list(enumerate(zip(paths, typeset, strict=True), start=1))
    rng.shuffle(finishing)
    joiner = PartJoiner(folder / "as-finished.pdf", len(paths))
    opened = []
    for number, (path, (_, counts)) in finishing:
        assert not joiner.complete
        part = open_part(path)
        opened.append(part)
        students = folder / f"students-{number}"
        students.mkdir()
        dests = [students / f"{k}.pdf" for k in range(len(counts))]
        assert cut_part(part, dests) == counts
        joiner.add(number, part)
        assert [d.read_bytes() for d in dests] == qpdf_cut(path, len(counts))
    assert joiner.complete
    assert (folder / "as-finished.pdf").read_bytes() == (folder / "in-order.pdf").read_bytes()
    assert all(not part.templates for part in opened)  # each closed once appended


def open_files(path: Path) -> int:
    """How many of this process's file descriptors are open on ``path``."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if os.path.realpath(fd) == str(path.resolve()))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files in /proc")
@settings(max_examples=5)
@given(st.lists(parts(), min_size=2, max_size=2))
def test_a_joiner_stopped_early_closes_the_parts_waiting_for_their_turn(
    tmp_path_factory: pytest.TempPathFactory, typeset: list[tuple[bytes, list[int]]]
) -> None:
    """A failed build stops the joiner with a later part typeset but not appended: it is closed
    then, not left open until the process ends."""
    folder = tmp_path_factory.mktemp("stopped")
    paths = write_parts(folder, typeset)
    joiner = PartJoiner(folder / "joined.pdf", 3)
    joiner.add(2, open_part(paths[1]))
    assert open_files(paths[1]) == 1  # waiting for part 1
    joiner.close()
    assert open_files(paths[1]) == 0
    assert not joiner.complete


def handmade_pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (numbered from 1, the first the catalog) as written by hand: qpdf
    would rewrite what the tests need to see untouched."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer << /Root 1 0 R /Size %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_pages_inherit_what_the_part_tree_gave_them(tmp_path: Path) -> None:
    """pdfTeX's ``\\pdfpagesattr`` puts attributes on the page tree, not the pages: a cut-out
    page must carry them itself."""
    content = [zlib.compress(f"BT (student {k}) Tj ET".encode()) for k in range(2)]
    part = handmade_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Names << /Dests << /Names [ "
            b"(examgen-student-1) [ 4 0 R /Fit ] (examgen-student-2) [ 5 0 R /Fit ] ] >> >> >>",
            b"<< /Type /Pages /Kids [ 3 0 R ] /Count 2 /MediaBox [ 0 0 300 400 ] >>",
            b"<< /Type /Pages /Kids [ 4 0 R 5 0 R ] /Count 2 /Parent 2 0 R /Rotate 90 >>",
            b"<< /Type /Page /Parent 3 0 R /Contents 6 0 R >>",
            b"<< /Type /Page /Parent 3 0 R /Contents 7 0 R /Rotate 180 >>",
            *(
                b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(c), c)
                for c in content
            ),
        ]
    )
    (tmp_path / "part.pdf").write_bytes(part)
    files = cut(tmp_path / "part.pdf", 2, tmp_path / "students")
    for k, (file, rotate) in enumerate(zip(files, (90, 180), strict=True)):
        with pikepdf.open(io.BytesIO(file)) as student:
            page = student.pages[0].obj
            assert (page.Rotate, list(page.MediaBox)) == (rotate, [0, 0, 300, 400])
            assert student.pages[0].Contents.read_bytes() == f"BT (student {k}) Tj ET".encode()


# Object texts as qpdf unparses them: references, numbers that are not references, strings
# that hold reference-like text and percent signs. Few values, so that texts repeat.
OBJECT_TEXTS = st.lists(
    st.sampled_from(
        [b"1 0 R", b"12 0 R", b"7", b"0 0 612 792", b"/F1", b"(4 0 R)", b"(%d %)", b"<2 0 R>"]
        + [b"<< /A 5 0 R >>", b"[ 6 0 R 7 0 R ]", b"/Length 9 0 R"]
    ),
    max_size=6,
).map(lambda items: b"<< " + b" ".join(b"/K%d %s" % (i, t) for i, t in enumerate(items)) + b" >>")


@given(st.lists(OBJECT_TEXTS, max_size=12), st.randoms(use_true_random=False))
def test_a_remembered_format_is_the_text_formatted_afresh(texts: list[bytes], random) -> None:
    """A part's pages share a few resource dictionaries: each text's format and references are
    worked out once and remembered (``pdf_write._format``), and are what working them out
    afresh gives, whatever texts came before; filled in with the old numbers they give the
    text back."""
    shuffled = texts * 2
    random.shuffle(shuffled)
    for text in shuffled:
        template = Template(text, None)
        assert (template.text, template.refs) == _format.__wrapped__(text)
        numbers = tuple(number for number, _ in template.refs)
        assert (template.text % numbers if numbers else template.text) == text
    assert _format.cache_info().maxsize is not None
