"""``examgen scan``: scanned handouts → responses.csv for ``examgen grade``, and a review report.

Pages arrive in any order, several students per file, some upside down, some not ours. Each is
read on its own (in parallel; ``generator.paper.read``) and nothing one page does stops the
others: a page that cannot be read, a page of another exam, a duplicate, a page that should be
there and is not, a double or unclear mark, all become rows of the review report, each with a
small annotated image of the page, while everything else is read into responses.csv.

responses.csv has key.csv's columns (``id,name,q1,…``), one row per student with at least one page
scanned, in key order: bubble answers as key.csv writes them, free answers empty for hand entry.

The review report is ``review.csv`` and ``review.json`` (the same rows) in the review folder, with
one PNG per page it mentions. Row fields: ``problem``, ``file``, ``file_page`` (1-based page in
that file; empty for a missing page), ``student``, ``sheet_page``, ``question`` (empty for a
whole page), ``detail`` and ``image`` (file name in the review folder, or empty).
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from generator.csv_table import read_table, spreadsheet_safe, student_csv, unformula
from generator.errors import ExamgenError, some_of
from generator.files import (
    content_digest,
    file_digest,
    file_start,
    output_errors,
    refuse_file_as_folder,
    write_atomic,
    write_atomic_set,
)
from generator.grading.grade import check_out_path
from generator.grading.keyfile import exam_folder, load_key
from generator.paper.layout import load_sheets
from generator.paper.read import PageRead, read_page
from generator.paper.sources import (
    PageRef,
    UnreadableScan,
    expand,
    load,
    not_scans,
    scan_files,
)
from generator.parallel import worker_signals

T = TypeVar("T")
Progress = Callable[[Iterable[T], str], Iterable[T]]

#: Problems, worst first, as the review report names them.
PROBLEMS = {
    "unreadable": "the file or page cannot be opened as a PDF or image",
    "no-qr": "no examgen QR code found (a blank page, another document, or too damaged)",
    "two-pages": "QR codes of two pages on one image (one page photographed on another?): "
    "not read",
    "other-exam": "a page of another exam or seed",
    "unknown-page": "a QR code of this exam naming a page sheets.json does not list",
    "other-build": "printed by another build of this exam and seed (its questions or layout "
    "differ): not read",
    "not-registered": "the registration marks were not found: bubbles not read",
    "duplicate": "the same student's page scanned again: this copy not read",
    "copies-disagree": "two scans of the same page marked differently: left empty",
    "missing-page": "a page of a scanned student that is not among the scans",
    "double-mark": "two or more bubbles marked: left empty",
    "unclear-mark": "a mark too faint or too ambiguous to call: left empty",
}
FIELDS = ("problem", "file", "file_page", "student", "sheet_page", "question", "detail", "image")


@dataclass(frozen=True)
class ReviewRow:
    problem: str
    file: str = ""
    file_page: int | str = ""
    student: str = ""
    sheet_page: int | str = ""
    question: int | str = ""
    detail: str = ""
    image: str = ""


@dataclass
class ScanResult:
    responses: Path
    review: Path
    pages: int = 0  # scanned pages read
    students: int = 0
    rows: list[ReviewRow] = field(default_factory=list)
    #: The files in the folders given that are not scans (``sources.not_scans``), by path there.
    skipped: list[str] = field(default_factory=list)


# --- reading pages, in parallel -----------------------------------------------------------------
_CONTEXT: dict[str, Any] = {}


def _init(exam: str, seed: int, pages: dict[tuple[str, int], dict[str, Any]]) -> None:
    _CONTEXT.update(exam=exam, seed=seed, pages=pages)
    if multiprocessing.parent_process() is not None:  # a worker (not jobs=1's own process)
        worker_signals()


def _read(ref: PageRef) -> PageRead | str:
    try:
        image = load(ref)
    except UnreadableScan as err:
        return str(err)
    return read_page(image, _CONTEXT["exam"], _CONTEXT["seed"], _CONTEXT["pages"])


def read_all(
    refs: list[PageRef], exam: str, seed: int, pages: dict, jobs: int, progress: Progress
) -> list[PageRead | str]:
    if jobs <= 1 or len(refs) < 4:
        _init(exam, seed, pages)
        return list(progress(map(_read, refs), "Reading scans"))
    with ProcessPoolExecutor(jobs, initializer=_init, initargs=(exam, seed, pages)) as pool:
        try:
            return list(progress(pool.map(_read, refs, chunksize=2), "Reading scans"))
        except BaseException:  # Ctrl-C, SIGTERM: the pages not yet started are not read
            pool.shutdown(wait=True, cancel_futures=True)
            raise


# --- the batch ----------------------------------------------------------------------------------
def _no_progress(items: Iterable[T], label: str) -> Iterable[T]:
    return items


def default_review(out: Path) -> Path:
    return out.with_name(f"{out.stem}-review")


def examgens_folders(build: Path, *written: Path | None) -> list[Path]:
    """The folders among the scans that are examgen's, not scans: the exam folder (its blank
    exams would be read as every student's blank answers, were it kept among the scans or given
    as one) and the folders the command writes (``written``: the review's page images, the
    packets)."""
    return [build, build / "exams", build / "solutions", *(f for f in written if f)]


def sheet_pages(sheets: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """sheets.json's pages by (student ID, sheet page): where a read page's bubbles are."""
    return {(p["student"], p["sheet_page"]): p for p in sheets["pages"]}


def read_scans(
    build: Path,
    key: Any,
    scans: list[Path],
    jobs: int | None = None,
    progress: Progress | None = None,
    skip: list[Path] | None = None,
) -> tuple[list[PageRef], list[PageRead | str]]:
    """Every page of ``scans`` read against the build (what scan and packets share), but for
    the folders ``skip`` names (by default ``examgens_folders(build)``)."""
    sheets = load_sheets(build)
    if (sheets["exam"], sheets["seed"]) != (key.exam, key.seed):
        raise ExamgenError(f"{build}: sheets.json and key.json are of different builds")
    missing = [str(p) for p in scans if not p.exists()]
    if missing:
        raise ExamgenError(f"{missing[0]}: no such scan file or folder")
    skip = examgens_folders(build) if skip is None else skip
    refs = expand(scans, skip)
    if not refs:
        kinds = "PDFs or images (PNG, JPEG, TIFF, HEIC, WebP, …)"
        others = not_scans(scans, skip)
        held = f"only {some_of(others, 3)}" if others else "nothing"
        verb = "holds" if len(scans) == 1 else "hold"
        raise ExamgenError(
            f"no scans: {', '.join(map(str, scans))} {verb} {held}; give {kinds} or folders of them"
        )
    pages = sheet_pages(sheets)
    reads = read_all(
        refs, key.exam, key.seed, pages, jobs or os.cpu_count() or 1, progress or _no_progress
    )
    refuse_another_builds_pages(build, key, reads)
    return refs, reads


def refuse_another_builds_pages(build: Path, key: Any, reads: list[PageRead | str]) -> None:
    """Refuse scans none of whose pages is of this exam and seed while some are of another: on
    8cb6922 the wrong build folder (seed 8 for a stack of seed 7) was "Read 0 pages", a review
    row per page and an empty responses.csv, with exit status 0 (``scan && grade`` graded
    nobody). Names what the pages are, and that build's folder when it sits beside this one."""
    ours = (key.exam, key.seed)
    found = [r.payload for r in reads if isinstance(r, PageRead) and r.payload is not None]
    if not found or any((p.exam, p.seed) == ours for p in found):
        return
    builds = Counter((p.exam, p.seed) for p in found).most_common()
    named = some_of([f"{exam} seed {seed}" for (exam, seed), _ in builds], 3)
    (exam, seed), _ = builds[0]
    folder = build.parent / f"{exam}-seed{seed}"
    beside = f" ({folder})" if (folder / "key.json").is_file() else ""
    give = "that build's folder" if len(builds) == 1 else "their builds' folders"
    raise ExamgenError(
        f"{build}: no scanned page is of {key.exam} seed {key.seed}; every page read is of "
        f"{named}: give {give}{beside}"
    )


def scan(
    build: Path,
    scans: list[Path],
    out: Path,
    review: Path | None = None,
    jobs: int | None = None,
    progress: Progress = _no_progress,
    packets: Path | None = None,
) -> ScanResult:
    """Read ``scans`` into ``out`` and the review folder; with ``packets``, the review packets
    of the free answers too (``generator.paper.packets``), from the same reading."""
    key = load_key(build)
    build = exam_folder(build)  # whichever of its files named it: sheets.json is there
    review = review or default_review(out)
    skip = examgens_folders(build, review, packets)
    inputs = [
        *(file for file, _ in scan_files(scans, skip)),
        key.path,
        key.path.with_name("key.csv"),
    ]
    check_out_path(out, inputs, companions=(), own=_written_by_scan)
    refuse_file_as_folder(review, "--review")  # said now, not after the responses are written
    refuse_edited_responses(out, review)
    if packets is not None:
        from generator.paper.packets import check_packets_folder

        check_packets_folder(packets, "--packets", key)
    refs, reads = read_scans(build, key, scans, jobs, progress, skip)
    skipped = not_scans(scans, skip, written=[out])
    pages = sheet_pages(load_sheets(build))

    rows: list[ReviewRow] = []
    images: dict[str, bytes] = {}
    # Each page read: its first readable copy and the answers that copy read clearly.
    seen: dict[tuple[str, int], tuple[PageRef, dict[int, str]]] = {}
    unread: set[tuple[str, int]] = set()  # scanned, though not read: not a missing page
    answers: dict[str, dict[int, str]] = {}

    image_names: dict[PageRef, str] = {}

    def image(ref: PageRef, read: PageRead) -> str:
        if ref not in image_names:
            image_names[ref] = image_name(ref, set(image_names.values()))
        name = image_names[ref]
        if not read.thumbnail:  # a duplicate: read well, so drawn only now
            read = read_page(load(ref), key.exam, key.seed, pages, always_thumbnail=True)
        images[name] = read.thumbnail
        return name

    for ref, read in zip(refs, reads, strict=True):
        where = {"file": ref.file, "file_page": ref.index}
        if isinstance(read, str):
            rows.append(ReviewRow("unreadable", **where, detail=read))
            continue
        who = (
            {"student": read.payload.student, "sheet_page": read.payload.page}
            if (read.payload and read.problem != "other-exam")
            else {}
        )
        if read.problem in ("not-registered", "other-build") and read.key is not None:
            unread.add(read.key)  # scanned: a later, better copy of it is read, or none is
        if read.problem:
            rows.append(
                ReviewRow(read.problem, **where, **who, detail=read.detail, image=image(ref, read))
            )
            continue
        assert read.key is not None
        if read.key in seen:
            first, earlier = seen[read.key]
            rows.append(
                ReviewRow(
                    "duplicate",
                    **where,
                    **who,
                    detail=f"first read from {first.name}",
                    image=image(ref, read),
                )
            )
            # Which copy is right is not examgen's to guess: a question the two copies read
            # clearly but differently is left empty, as a double mark is.
            student_answers = answers[read.key[0]]
            for answer in read.answers:
                if answer.problem or answer.question not in earlier:
                    continue
                if answer.value != earlier[answer.question]:
                    student_answers[answer.question] = ""
                    shown = [v or "blank" for v in (earlier[answer.question], answer.value)]
                    rows.append(
                        ReviewRow(
                            "copies-disagree",
                            **where,
                            **who,
                            question=answer.question,
                            detail=f"{first.name}: {shown[0]}; this copy: {shown[1]}",
                            image=image(ref, read),
                        )
                    )
            continue
        seen[read.key] = (ref, {a.question: a.value for a in read.answers if not a.problem})
        student_answers = answers.setdefault(read.key[0], {})
        for answer in read.answers:
            student_answers[answer.question] = answer.value
            if answer.problem:
                rows.append(
                    ReviewRow(
                        answer.problem,
                        **where,
                        **who,
                        question=answer.question,
                        detail=answer.detail,
                        image=image(ref, read),
                    )
                )

    rows = [_superseded(row, seen) for row in rows]
    scanned_pages = seen.keys() | unread
    scanned = {student for student, _ in scanned_pages}
    for (student, page), sheet in pages.items():
        if student in scanned and (student, page) not in scanned_pages:
            questions = sorted({b["question"] for b in sheet["bubbles"]})
            detail = (
                "bubbles of " + ", ".join(f"q{q}" for q in questions) + " not read"
                if questions
                else "no bubbles on it"
            )
            rows.append(ReviewRow("missing-page", student=student, sheet_page=page, detail=detail))

    order = list(PROBLEMS)
    rows.sort(
        key=lambda r: (
            order.index(r.problem),
            str(r.student),
            str(r.sheet_page),
            str(r.question),
            r.file,
            str(r.file_page),
        )
    )
    refuse_dropping_students(out, answers)
    with output_errors(out, "--out"):
        text = write_responses(out, key, answers)
    with output_errors(review, "--review"):
        write_review(review, rows, images, (out, text))
    if packets is not None:
        from generator.paper.packets import registered_pages, write_packets

        write_packets(build, key, registered_pages(refs, reads), packets)
    return ScanResult(out, review, len(seen), len(scanned), rows, skipped)


def _superseded(row: ReviewRow, seen: dict[tuple[str, int], tuple[PageRef, dict]]) -> ReviewRow:
    """``row`` as the review lists it once every page is read: a copy whose registration marks
    were not found, of a page read from another copy, is a duplicate (on 8cb6922 it stayed
    ``not-registered`` beside the good rescan, a page to check that was already read)."""
    page = (row.student, row.sheet_page)
    if row.problem != "not-registered" or page not in seen:
        return row
    first = seen[page][0]
    return replace(row, problem="duplicate", detail=f"read from {first.name}; here {row.detail}")


def image_name(ref: PageRef, taken: set[str]) -> str:
    """The review's image of a page: its file's path and page (``monday-scan001-p2.png``),
    numbered on when that is taken (``scan001.pdf`` of two folders given by name)."""
    stem = f"{Path(ref.file).with_suffix('').as_posix().replace('/', '-')}-p{ref.index}"
    name, copy = f"{stem}.png", 1
    while name in taken:
        copy += 1
        name = f"{stem}-{copy}.png"
    return name


#: The header of the responses CSV: ``id,name,q1,…`` and nothing after the questions (a
#: roster's ``id,name,email`` or grade's ``…,total`` is not scan's to replace).
RESPONSES_HEADER = re.compile(rb"id,name(,q\d+)+\r?\n")


def _written_by_scan(path: Path, out: Path) -> bool:
    """Whether ``path`` is responses scan wrote, by its header (key.csv, which begins alike, is
    an input): scanning again (late pages) replaces it, and nothing else of that name."""
    return path == out and RESPONSES_HEADER.match(file_start(path)) is not None


def refuse_edited_responses(out: Path, review: Path) -> None:
    """Refuse to replace responses that were changed since scan wrote them (their digest is in
    the review's review.json): the review asks for cells to be fixed in them by hand, and a scan
    run again for late pages would lose every fix. Responses an earlier examgen wrote (no digest
    recorded) are replaced as before."""
    if not out.is_file():
        return
    try:
        recorded = _earlier_review(review)["responses"]
        if recorded["file"] != out.name:
            return
        digest = recorded["sha256"]
    except (KeyError, TypeError):
        return
    if file_digest(out) != digest:
        raise ExamgenError(
            f"--out {out}: was changed since examgen scan wrote it (the cells fixed after the "
            f"review?), and scanning again would lose those changes; scan into another --out "
            f"(e.g. {out.with_name(f'{out.stem}-rescan{out.suffix}')}) and carry the fixes "
            "over, or move the file"
        )


def refuse_dropping_students(out: Path, answers: dict[str, dict[int, str]]) -> None:
    """Refuse to replace responses scan wrote with a run that read fewer of their students:
    responses.csv is written whole from the scans given, and on 8cb6922 the late pages scanned
    alone into the same --out (as README step 4 seemed to invite) replaced a class's responses
    with two students', without a word. (Responses changed by hand are refused before any page
    is read: ``refuse_edited_responses``.)"""
    if not out.is_file() or not _written_by_scan(out, out):
        return
    try:
        table = read_table(out, "responses", ("id",))
    except ExamgenError:  # not a CSV any longer: nothing this run could tell it drops
        return
    held = {unformula(row.cells[0]) for row in table.rows}
    dropped = sorted(held - answers.keys())
    if dropped:
        raise ExamgenError(
            f"--out {out}: holds {len(held)} student{'s' * (len(held) != 1)}, this run read "
            f"{len(answers)} "
            f"({some_of(dropped, 3)} not among them): give all the scans again (the late pages "
            "with the others), or another --out"
        )


def write_responses(out: Path, key: Any, answers: dict[str, dict[int, str]]) -> str:
    """The responses CSV written to ``out`` (its folder made if need be); its text, whose digest
    the review records."""
    numbers = key.numbers()
    text = student_csv(
        [f"q{n}" for n in numbers],
        (
            (s.id, s.name, [answers[s.id].get(n, "") for n in numbers])
            for s in key.students
            if s.id in answers
        ),
    )
    write_atomic(out, text)
    return text


def write_review(
    folder: Path,
    rows: list[ReviewRow],
    images: dict[str, bytes],
    responses: tuple[Path, str] | None = None,
) -> None:
    """The review folder, replaced whole: a stale image from an earlier scan would mislead.
    Only the images the earlier review.json names go (the folder may hold the scans themselves).
    The images, review.csv and review.json are one set (``write_atomic_set``): an interrupted
    scan leaves the earlier review or the new one, never new rows beside the earlier images.
    review.json records the digest of the ``responses`` written beside it, so that the next scan
    can tell them from responses fixed by hand (``refuse_edited_responses``)."""
    files: dict[Path, str | bytes] = {
        folder / name: images[name] for name in sorted({r.image for r in rows if r.image})
    }
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, FIELDS, lineterminator="\r\n")
    writer.writeheader()
    # IDs, file names and QR text a spreadsheet would run as formulas are written as text.
    writer.writerows(
        {k: spreadsheet_safe(v) if isinstance(v, str) else v for k, v in asdict(r).items()}
        for r in rows
    )
    files[folder / "review.csv"] = buffer.getvalue()
    data: dict[str, Any] = {"problems": PROBLEMS, "rows": [asdict(r) for r in rows]}
    if responses is not None:
        out, text = responses
        data["responses"] = {"file": out.name, "sha256": content_digest(text)}
    files[folder / "review.json"] = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    write_atomic_set(files, remove=_earlier_images(folder))


#: Review problems that leave a question's cell empty for a TA to fill in, and those that leave
#: every question of a page empty (its bubbles were not read).
QUESTIONS_LEFT = frozenset({"double-mark", "unclear-mark", "copies-disagree"})
PAGES_LEFT = frozenset({"not-registered", "missing-page", "other-build"})


def left_for_review(responses: Path, build: Path) -> tuple[Path, set[tuple[str, int]]]:
    """The cells of ``responses`` that scan left empty for review, as (student ID, question),
    with the review.csv that lists them: ``grade`` called them blank responses, as if the
    student had answered nothing. Only while the review records these very responses (as scan
    wrote them): once a TA has filled cells in, the file is theirs."""
    folder = default_review(responses)
    review = _earlier_review(folder)
    recorded = review.get("responses")
    if not isinstance(recorded, dict) or recorded.get("file") != responses.name:
        return folder / "review.csv", set()
    if recorded.get("sha256") != file_digest(responses):
        return folder / "review.csv", set()
    try:
        pages = sheet_pages(load_sheets(build))
    except ExamgenError:
        pages = {}
    left: set[tuple[str, int]] = set()
    for row in review.get("rows", []):
        if not isinstance(row, dict):
            continue
        student, question = row.get("student"), row.get("question")
        if row.get("problem") in QUESTIONS_LEFT and isinstance(question, int):
            left.add((student, question))
        elif row.get("problem") in PAGES_LEFT:
            page = pages.get((student, row.get("sheet_page")), {})
            left.update((student, b["question"]) for b in page.get("bubbles", []))
    return folder / "review.csv", left


def _earlier_review(folder: Path) -> dict[str, Any]:
    """What an earlier review.json in ``folder`` holds (empty if it is missing or unreadable)."""
    try:
        data = json.loads((folder / "review.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _earlier_images(folder: Path) -> list[Path]:
    """The images an earlier review.json in ``folder`` names (none if it is missing or not one)."""
    try:
        rows = _earlier_review(folder)["rows"]
        names = {row["image"] for row in rows if isinstance(row, dict)}
    except (KeyError, TypeError):
        return []
    return [
        folder / name
        for name in sorted(n for n in names if isinstance(n, str))
        if name.endswith(".png") and Path(name).name == name
    ]


def summary(result: ScanResult) -> str:
    counts: dict[str, int] = {}
    for row in result.rows:
        counts[row.problem] = counts.get(row.problem, 0) + 1
    line = (
        f"Read {result.pages} page{'s' * (result.pages != 1)} of {result.students} "
        f"student{'s' * (result.students != 1)} into {result.responses}"
    )
    if result.skipped:  # a student's page in a kind of file no reader knows is named, not lost
        count = len(result.skipped)
        what = "file that is not a scan" if count == 1 else "files that are not scans"
        line += f", skipping {count} {what} ({some_of(result.skipped, 3)})"
    if not counts:
        return line + "; nothing to review"
    listed = ", ".join(f"{n} {p}" for p, n in counts.items())
    return f"{line}\nTo review ({listed}): {result.review / 'review.csv'}"
