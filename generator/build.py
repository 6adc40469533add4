"""Spec × roster → one variant per student and slot → files in the exam folder.

Everything that can fail on the user's input (the spec, the roster, pinned params, sampling) fails
before a single file is written; the files themselves are written into a staging folder beside the
target and moved into place only when complete, so a failed or interrupted build leaves the output
folder exactly as it was.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from generator.choices import ChoiceForm, sharing_key
from generator.csv_table import student_csv
from generator.errors import ExamgenError
from generator.families._concepts import BankFamily
from generator.families.base import Variant
from generator.files import (
    WriterRecord,
    is_device_name,
    output_errors,
    signals_raise,
    staged_directory,
)
from generator.fingerprint import fingerprint, fingerprint_of
from generator.json_text import ListFile, item_text
from generator.manifest import (
    MANIFEST_NAME,
    family_folders,
    manifest_head,
    manifest_student,
    shipped_digests,
)
from generator.paper.handout import bubble_values, work_space
from generator.paper.layout import SHEETS_NAME, SheetsFile
from generator.paper.qr import (
    module_size,
    printed_digest,
    refuse_unreadable_codes,
    student_codes,
)
from generator.parallel import ordered_map
from generator.partial_credit import grading_json
from generator.pdf import (
    DOCUMENTS,
    STUDENT_MARK,
    PdfPhase,
    PdfStudent,
    available_cores,
    student_parts,
)
from generator.published import unpublishable
from generator.render import (
    EXTENSIONS,
    FORMATS,
    Format,
    QuestionTexts,
    family_template_name,
    placeholders,
    render_document,
    render_placed_document,
)
from generator.roster import Student, loosely_renamed, shown_ids
from generator.seeding import check_seed
from generator.spec import Slot, Spec

T = TypeVar("T")
Progress = Callable[[Iterable[T], str], Iterable[T]]


def no_progress(items: Iterable[T], label: str) -> Iterable[T]:
    return items


@dataclass(frozen=True)
class Question:
    slot: Slot
    variant: Variant
    position: int | None = None  # where the exam prints it, when that differs from the slot

    @property
    def number(self) -> int:
        """The printed question number (the key's ``number``; ``slot`` is the spec position)."""
        return self.position if self.position is not None else self.slot.number


@dataclass(frozen=True)
class StudentExam:
    student: Student
    questions: tuple[Question, ...]
    seed: int
    exam_id: str

    @property
    def variant_code(self) -> str:
        """Printed on every page: enough for a TA to regenerate this exact variant."""
        return f"{self.exam_id} seed {self.seed} id {self.student.id}"

    @property
    def total_points(self) -> int | float:
        """Summed as written in the spec (``0.1 + 0.2`` is ``0.3``, not ``0.30000000000000004``)."""
        total = sum((Decimal(str(q.slot.points)) for q in self.questions), Decimal(0))
        return int(total) if total == total.to_integral_value() else float(total)


def generate_student(spec: Spec, seed: int, student: Student) -> StudentExam:
    """One student's variants in printed order; each slot's stream comes from (seed, student ID,
    slot number), so the printed order does not change a variant (see ``generator.spec``)."""
    return generate_students(spec, seed, [student])[0]


def generate_students(spec: Spec, seed: int, students: Sequence[Student]) -> list[StudentExam]:
    """``generate_student`` of each, drawn slot by slot across the students (every first
    question, then every second, ...): the same variants, since each depends only on the seed,
    the ID and the slot, and a family's code stays in the processor's caches (about 5% less
    CPU in a build than one student's questions after another's)."""
    variants = {
        (index, slot.number): _slot_variant(slot, seed, student)
        for slot in spec.slots
        for index, student in enumerate(students)
    }
    for index, student in enumerate(students):
        _draw_repeats_again(spec, seed, student, variants, index)
    return [
        StudentExam(
            student,
            tuple(
                Question(slot, variants[index, slot.number], position)
                for position, slot in enumerate(spec.slots_for(seed, student.id), start=1)
            ),
            seed,
            spec.id,
        )
        for index, student in enumerate(students)
    ]


#: Draws again of a question a student already has (two slots of one family, pools that share
#: one), for the later slot and then for the earlier one: when none avoids a repeat (a spec that
#: asks more questions of a family than it has), or one finds no acceptable variant, the first
#: draws stand.
REDRAWS = 40


def _draw_repeats_again(
    spec: Spec, seed: int, student: Student, variants: dict[tuple[int, int], Variant], index: int
) -> None:
    """Give the student no question twice: a slot whose question an earlier slot (in the
    spec's order, whatever the printed order) has is drawn again, from streams of its own, so
    that the same seed and ID still give the same exam; failing that, earlier slots are drawn
    again along a chain (``_Draws.place``). Only a spec in which some family is drawn twice gets
    here (the default quiz does not)."""
    families = [variants[index, slot.number].family.ID for slot in spec.slots]
    if len(set(families)) == len(families):
        return
    first = {s.number: variants[index, s.number] for s in spec.slots}
    # Statements of one bank answer each other ("SGD needs fewer iterations", "... more"): no
    # two of them where another family can take one's place; else no statement twice.
    banks = any(isinstance(f, BankFamily) for slot in spec.slots for f in slot.candidates)
    made: dict[int, list[Variant]] = {}  # each draw again made once, for both passes
    ended: set[int] = set()
    for identity in (topic_identity, question_identity) if banks else (question_identity,):
        draws = _Draws(seed, student, dict(first), identity, made, ended)
        for slot in spec.slots:
            if draws.question(draws.chosen[slot.number]) in draws.holder:
                draws.place(slot, set())
            draws.holder.setdefault(draws.question(draws.chosen[slot.number]), slot)
        if len(draws.holder) == len(spec.slots):
            break
    for slot in spec.slots:
        variants[index, slot.number] = draws.chosen[slot.number]


class _Draws:
    """A student's questions while repeats are settled: each slot's variant (``chosen``), the
    slot holding each question (``holder``), and each slot's draws again, each made once (a
    choice form's draw is costly, and a search may ask for one many times)."""

    def __init__(
        self,
        seed: int,
        student: Student,
        chosen: dict[int, Variant],
        identity: Callable[[Variant], str],
        made: dict[int, list[Variant]],
        ended: set[int],
    ) -> None:
        self.seed, self.student, self.chosen, self.identity = seed, student, chosen, identity
        self.first = dict(chosen)
        self.holder: dict[str, Slot] = {}
        self.made, self.ended = made, ended  # shared by the passes of one student
        self.questions: dict[int, str] = {}  # by id() of a variant that ``made`` or ``first`` keeps

    def question(self, variant: Variant) -> str:
        """``identity``, worked out once per variant (it takes a fingerprint)."""
        known = self.questions.get(id(variant))
        if known is None:
            known = self.questions[id(variant)] = self.identity(variant)
        return known

    def options(self, slot: Slot) -> Iterator[Variant]:
        """The slot's first draw, then its draws again, ``REDRAWS`` of them, each from its own
        stream; none again for a slot whose params are all pinned, and none after a draw that
        finds no acceptable variant (drawing again must not fail a build that succeeded)."""
        yield self.first[slot.number]
        if _fixed(slot):
            return
        made = self.made.setdefault(slot.number, [])
        for draw in range(1, REDRAWS + 1):
            if draw > len(made):
                if slot.number in self.ended:
                    return
                try:
                    made.append(slot.generate(self.seed, self.student.id, draw))
                except ExamgenError:
                    self.ended.add(slot.number)
                    return
            yield made[draw - 1]

    def place(self, slot: Slot, moved: set[int]) -> bool:
        """Give ``slot`` a question no other slot holds: its first option that none holds, else
        one whose holder can be placed elsewhere in turn (a chain through slots not yet moved in
        this search: ``moved``), in the options' order. False (nothing changed): the repeat
        stands, as where a question is pinned twice."""
        for variant in self.options(slot):
            if self.question(variant) not in self.holder:  # its own current one included
                self._take(slot, variant)
                return True
        moved.add(slot.number)
        tried: set[str] = set()
        for variant in self.options(slot):
            question = self.question(variant)
            other = self.holder.get(question)
            if question in tried or other is None or other.number in moved:
                continue
            tried.add(question)
            if self.place(other, moved):
                self._take(slot, variant)
                return True
        return False

    def _take(self, slot: Slot, variant: Variant) -> None:
        """``slot`` asks ``variant`` now, and holds its question (a question it held before is
        free, or has been taken by the slot the chain moves on)."""
        for question, other in list(self.holder.items()):
            if other is slot:
                del self.holder[question]
        self.chosen[slot.number] = variant
        self.holder[self.question(variant)] = slot


def _fixed(slot: Slot) -> bool:
    """Whether the slot's every param is pinned: its question cannot change."""
    return slot.family is not None and set(slot.family.param_names()) <= set(slot.pinned)


def question_identity(variant: Variant) -> str:
    """What makes two of a student's questions the same question: the same correct statement
    of a multiple-choice bank, whatever its distractors; else ``sharing_key``."""
    answer = variant.solution.answer
    if answer.kind == "choice" and not isinstance(variant.family, ChoiceForm):
        return f"{variant.family.ID}\0{answer.text}"
    return sharing_key(variant, fingerprint(variant))


def topic_identity(variant: Variant) -> str:
    """What a student should not be asked twice where a spec leaves room: a bank's statements
    (true/false, or the correct description of a multiple choice) are one topic, whichever
    statement, since one can answer another; else ``question_identity``."""
    if isinstance(variant.family, BankFamily):
        return f"{variant.family.ID}\0bank"
    return question_identity(variant)


def _slot_variant(slot: Slot, seed: int, student: Student) -> Variant:
    """The slot's variant for the student; an error names them both: a family's bug may show
    for one student of a class only, and the same seed and ID draw that variant again."""
    try:
        return slot.generate(seed, student.id)
    except ExamgenError as err:
        raise ExamgenError(_students_question(student, slot, str(err))) from err


def _students_question(student: Student, slot: Slot, problem: str) -> str:
    """``problem`` of a student's question, said with the student and the spec's slot."""
    return f"student {student.id}, question {slot.number} of the spec: {problem}"


def refuse_unpublishable(exams: Sequence[StudentExam], pieces: Sequence[StudentPieces]) -> None:
    """A course family's question that ``check`` would fail and a build would publish all the
    same (``generator.published``: a solution whose answer line is not the key's, a mistake
    that gives a float): one line naming the student, the question and the family."""
    for exam, shared in zip(exams, pieces, strict=True):
        for question, texts in zip(exam.questions, shared.questions, strict=True):
            problem = unpublishable(texts)
            if problem is not None:
                family = question.variant.family.ID
                message = _students_question(exam.student, question.slot, f"family {family}: ")
                raise ExamgenError(message + problem)


def generate_exams(
    spec: Spec, seed: int, students: list[Student], progress: Progress = no_progress
) -> list[StudentExam]:
    check_seed(seed)
    return [generate_student(spec, seed, s) for s in progress(students, "Sampling and solving")]


# --- rendering ----------------------------------------------------------------------------------
def render_question(fmt: Format, question: Question, show_solutions: bool) -> str:
    return question_texts(question).text(fmt, show_solutions)


def question_texts(question: Question) -> QuestionTexts:
    variant = question.variant
    return QuestionTexts(
        variant,
        number=question.number,
        points=question.slot.points,
        extra={"space": question.slot.space, "work_space": work_space(variant)},
    )


@dataclass(frozen=True)
class StudentPieces:
    """What a student's four documents (exam and solutions, LaTeX and Markdown) have in common,
    worked out once for the four: the questions' keys, the total, the answer sheet's rows."""

    questions: tuple[QuestionTexts, ...]
    variant_code: str
    total_points: int | float
    answer_rows: list[tuple[int, list[str]]]

    @classmethod
    def of(cls, exam: StudentExam) -> StudentPieces:
        return cls(
            tuple(question_texts(q) for q in exam.questions),
            exam.variant_code,
            exam.total_points,
            [(q.number, values) for q in exam.questions if (values := bubble_values(q.variant))],
        )


def student_context(
    fmt: Format,
    exam: StudentExam,
    show_solutions: bool,
    pieces: StudentPieces | None = None,
    spec_digest: str = "",
    texts: Sequence[str] | None = None,
) -> dict[str, Any]:
    """``pieces``: the student's ``StudentPieces``, when the caller shares them among documents;
    ``spec_digest``: the spec's ``printed_digest``, for the handout's (``printed_texts``);
    ``texts``: the questions' texts in this format and version, when the caller made them."""
    pieces = pieces or StudentPieces.of(exam)
    # The context's own list: made here, or a copy of the caller's.
    questions = (
        [q.text(fmt, show_solutions) for q in pieces.questions] if texts is None else list(texts)
    )
    # Only the handouts are scanned: QR codes only there (and only LaTeX draws them).
    handout = fmt == "latex" and not show_solutions
    printed = printed_digest(printed_texts(spec_digest, exam, questions)) if handout else ""
    codes = (
        student_codes(exam.exam_id, exam.seed, exam.student.id, len(exam.questions), printed)
        if handout
        else []
    )
    return {
        "id": exam.student.id,
        "name": exam.student.name,
        "variant_code": pieces.variant_code,
        "total_points": pieces.total_points,
        "questions": questions,
        "answer_rows": pieces.answer_rows,
        "printed": printed,
        "qr_codes": codes,
        "qr_module": module_size(codes) if codes else "",
    }


def texts_by_student(
    pieces: Sequence[StudentPieces], fmt: Format, show_solutions: bool
) -> list[tuple[str, ...]]:
    """Each student's question texts in ``fmt`` and this version, made position by position
    across the students (every first question, then every second, ...): a family's template
    renders again and again while its code is in the processor's caches, which takes about a
    tenth less CPU than one student's questions after another."""
    by_position = [
        [question.text(fmt, show_solutions) for question in position]
        for position in zip(*(p.questions for p in pieces), strict=True)
    ]
    return list(zip(*by_position, strict=True))  # a spec asks one or more


def printed_texts(spec_digest: str, exam: StudentExam, questions: Sequence[str]) -> list[str]:
    """What decides how a student's handout prints: the spec's own part (title, instructions,
    layout: ``Spec.printed_digest``, without what prints only through the questions' texts or
    not at all), examgen's document templates, the student's ID and name, and each question as the
    handout typesets it (which holds what the families and their templates printed). Their
    digest goes into every page's QR code (``generator.paper.qr``), so that a copy printed by a
    build that differs in any of them is not read at this build's positions or against its key.
    A student whose questions stayed the same (another student joined the roster) keeps it, and
    so does a build by a later examgen whose documents print the same."""
    templates, _ = shipped_digests()
    return [spec_digest, templates, exam.student.id, exam.student.name, *questions]


def render_exam_document(
    fmt: Format,
    spec: Spec,
    exams: list[StudentExam],
    show_solutions: bool,
    pieces: Sequence[StudentPieces] | None = None,
    texts: Sequence[Sequence[str]] | None = None,
) -> str:
    """One document holding ``exams`` in order (one student per file, or a batch for printing);
    ``pieces``, one per exam, when the caller renders several documents of the same students;
    ``texts``, one per exam, its questions' texts in this format and version (``texts_by_student``)
    when the caller made them."""
    shared = pieces or [StudentPieces.of(e) for e in exams]
    made = texts if texts is not None else [None] * len(exams)
    students = [
        student_context(fmt, e, show_solutions, p, spec.printed_digest, t)
        for e, p, t in zip(exams, shared, made, strict=True)
    ]
    name = f"exam.{EXTENSIONS[fmt]}.j2"
    problems = [text for student in students for text in student["questions"]]
    places = iter(placeholders(len(problems)))
    placed = render_placed_document(
        fmt,
        name,
        problems,
        preamble_ends=STUDENT_MARK,
        exam=spec,
        students=[{**s, "questions": [next(places) for _ in s["questions"]]} for s in students],
        show_solutions=show_solutions,
    )
    if placed is not None:
        return placed
    return render_document(
        fmt,
        name,
        problems=problems,
        preamble_ends=STUDENT_MARK,
        exam=spec,
        students=students,
        show_solutions=show_solutions,
    )


# --- keys ---------------------------------------------------------------------------------------
def question_key(question: Question) -> dict[str, Any]:
    params = question.variant.key_params()  # once: the fingerprint is made of the same JSON
    family = question.variant.family.ID
    return {
        "number": question.number,
        "slot": question.slot.number,
        "family": family,
        "points": question.slot.points,
        "params": params,
        "answer": question.variant.solution.answer.to_json(),
        "fingerprint": fingerprint_of(family, params),
    }


def key_head(spec: Spec, seed: int) -> dict[str, Any]:
    """Everything in key.json but the students."""
    return {"exam": spec.id, "seed": seed, "grading": grading_json(spec.grading, spec.partial)}


def student_key(exam: StudentExam) -> dict[str, Any]:
    """One student's entry of key.json."""
    return {
        "id": exam.student.id,
        "name": exam.student.name,
        "questions": [question_key(q) for q in exam.questions],
    }


def key_json(spec: Spec, seed: int, exams: list[StudentExam]) -> dict[str, Any]:
    return {**key_head(spec, seed), "students": [student_key(e) for e in exams]}


def key_csv(spec: Spec, exams: list[StudentExam]) -> str:
    return key_csv_text(spec, (student_answers(e) for e in exams))


def student_answers(exam: StudentExam) -> tuple[str, str, tuple[str, ...]]:
    """A student's row of key.csv: ID, name and each printed question's answer cell."""
    cells = tuple(q.variant.solution.answer.cell() for q in exam.questions)
    return exam.student.id, exam.student.name, cells


def key_csv_text(spec: Spec, rows: Iterable[tuple[str, str, Sequence[str]]]) -> str:
    # Columns are printed positions (what a student's paper and typed responses number), so with
    # shuffle_questions a column holds different slots for different students; key.json says which.
    return student_csv([f"q{n}" for n in range(1, len(spec.slots) + 1)], rows)


@dataclass(frozen=True)
class StudentRecord:
    """What the class-wide files (keys, manifest, PDFs) need of a student once the student's own
    files are written: text and names only, a few kilobytes, so a build holds no student's sympy
    objects and its memory stays flat in the class size; small enough to come back from a worker
    process."""

    pdf: PdfStudent
    key_entry: str  # json_text.item_text of student_key
    manifest_entry: str  # json_text.item_text of manifest_student
    answers: tuple[str, str, tuple[str, ...]]  # key.csv's row
    folders: dict[str, Path]  # family ID → folder, for the manifest's course family digests


def student_record(exam: StudentExam, stem: str) -> StudentRecord:
    # Each question's key entry (its fingerprint above all) and answer cell are made once and
    # shared by key.json, key.csv and the manifest.
    key = student_key(exam)
    answers = student_answers(exam)
    manifest = manifest_student(
        exam.student.id,
        (
            (q["number"], q["family"], q["fingerprint"], cell)
            for q, cell in zip(key["questions"], answers[2], strict=True)
        ),
    )
    return StudentRecord(
        pdf_student(exam, stem),
        item_text(key),
        item_text(manifest),
        answers,
        family_folders(exam),
    )


# --- files --------------------------------------------------------------------------------------
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_stem(student_id: str) -> str:
    """A file name for any student ID: the ID itself when it is safe, else a cleaned form plus a
    digest of the real ID, so hostile or clashing IDs can neither escape the folder nor collide.
    Not safe: a name Windows keeps for a device (``CON``, ``nul.txt``), and a leading ``.`` or
    ``-`` (a hidden file; a name shell commands take for an option)."""
    cleaned = _cleaned(student_id)
    if cleaned == student_id and cleaned and not is_device_name(cleaned):
        return cleaned
    return _digest_stem(student_id)


def _cleaned(student_id: str) -> str:
    return _UNSAFE.sub("_", student_id)[:60].lstrip(".-")


def _digest_stem(student_id: str, round: int = 0) -> str:
    cleaned = _cleaned(student_id)
    if is_device_name(cleaned):  # "COM1.x-<digest>" is still COM1 on Windows
        cleaned = f"_{cleaned}"
    salted = student_id if round == 0 else f"{student_id}\0{round}"
    digest = hashlib.sha256(salted.encode("utf-8")).hexdigest()[:10]
    return f"{cleaned or 'student'}-{digest}"


def file_stems(student_ids: Sequence[str]) -> list[str]:
    """``file_stem`` of each ID, made distinct case aside. A safe ID keeps its own name unless
    another differs from it only in case: such IDs would be one file on a case-insensitive file
    system (macOS, Windows), so they all get the digest form. A digest name that clashes (a
    roster can hold an ID written as another's digest name: ``ABC`` beside ``ABC-b5d4045c3f``,
    on 248b4b9 one student's exam overwrote the other's) is drawn again, round by round, salted
    with the round; the ID that is its own name keeps it (the README promises that only unsafe
    IDs and case twins change names). Every digest name of a clash takes the round's form, so
    a stem depends on the roster's set of IDs, never its order."""
    ids = list(dict.fromkeys(student_ids))  # one ID given twice is one student, one file
    stems = [file_stem(i) for i in ids]
    own = Counter(stem.casefold() for i, stem in zip(ids, stems, strict=True) if stem == i)
    kept = [stem == i and own[stem.casefold()] == 1 for i, stem in zip(ids, stems, strict=True)]
    stems = [
        stem if keep or stem != i else _digest_stem(i)
        for i, stem, keep in zip(ids, stems, kept, strict=True)
    ]
    for round in range(1, len(ids) + _STEM_ROUNDS):
        folded = Counter(stem.casefold() for stem in stems)
        if len(folded) == len(stems):
            named = dict(zip(ids, stems, strict=True))
            return [named[i] for i in student_ids]
        stems = [
            _digest_stem(i, round) if not keep and folded[stem.casefold()] > 1 else stem
            for i, stem, keep in zip(ids, stems, kept, strict=True)
        ]
    raise AssertionError("student file names still clash after every round of digests")


#: Rounds of digests ``file_stems`` tries beyond one per ID: a clash after a round needs an ID
#: written as that round's digest name of another (each ID can be one such name, in one round
#: only: the round is in the digest), or a 40-bit collision of two digests.
_STEM_ROUNDS = 8


def exam_dir_name(spec: Spec, seed: int) -> str:
    return f"{spec.id}-seed{seed}"


def changed_ids_notice(target: Path, student_ids: Sequence[str]) -> str:
    """A warning when the exam folder ``target`` holds a build of this roster's students under
    IDs that differ only as a spreadsheet or another export changes them (leading zeros, case,
    Unicode form: ``loose_id``): the same students, each given a new variant, since a variant
    depends on the ID as written. Empty when there is no such build or no such ID."""
    earlier = BUILD_RECORD_IDS.earlier(target)
    if not earlier:
        return ""
    ids = sorted(i for i in earlier if isinstance(i, str))  # a hand-edited manifest's aside
    pairs = [shown_ids(*pair) for pair in loosely_renamed(ids, student_ids)]
    if not pairs:
        return ""
    changed = ", ".join(f"{before} → {after}" for before, after in pairs[:5])
    more = f" and {len(pairs) - 5} more" if len(pairs) > 5 else ""
    return (
        f"Warning: {len(pairs)} student(s) have IDs that differ from the last build's in {target} "
        f"only in leading zeros, case or Unicode form ({changed}{more}), and each got a new "
        "variant; if a spreadsheet changed the IDs (it drops leading zeros), restore them in the "
        "roster and build again"
    )


def refuse_own_folder_as_out(out: Path, spec: Spec, seed: int) -> None:
    """``--out`` names the folder that holds exam folders: given the exam's own folder
    (out/quiz-seed7 for quiz seed 7), a build wrote a second exam folder inside the first,
    which the next build into out/ then carried over as the instructor's."""
    folder = Path(out).resolve()
    if folder.name == exam_dir_name(spec, seed) and (folder / MANIFEST_NAME).is_file():
        raise ExamgenError(
            f"--out {out}: is the folder of this exam and seed, which a build writes inside "
            f"--out; give --out {folder.parent} to rebuild it there"
        )


def _write(path: Path, text: str) -> None:
    """``text`` in UTF-8 with its own line ends (``write_text(encoding="utf-8",
    newline="\\n")``'s bytes, as ``open`` would create the file), without a text or buffer
    layer, into a folder that exists: made once (``_student_folders``), not checked before
    each of a build's thousands of files."""
    data = memoryview(text.encode("utf-8"))
    # Binary on Windows too, where ``os.open`` without ``O_BINARY`` turns each "\n" into "\r\n"
    # (the files are the same bytes on every machine).
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    file = os.open(path, flags, 0o666)
    try:
        while data:  # a short write (a full disk) is followed by one that raises
            data = data[os.write(file, data) :]
    finally:
        os.close(file)


STUDENT_FOLDERS = ("exams", "solutions")
#: What only a build with PDFs writes: the class's PDFs and the positions on their pages.
TYPESET_ENTRIES = frozenset({SHEETS_NAME, *(f"{name}.pdf" for name, _, _ in DOCUMENTS)})
KEY_JSON, KEY_CSV = "key.json", "key.csv"
#: Every name a build writes at the top of its exam folder, with PDFs or without: anything else
#: there (scores that grade wrote beside key.csv, scans, a TA's packets) is the instructor's, and
#: moves into the new folder when a build replaces it.
BUILD_ENTRIES = frozenset({KEY_JSON, KEY_CSV, MANIFEST_NAME, *STUDENT_FOLDERS}) | TYPESET_ENTRIES


#: What a student's files end in: the sources of every format and, with TeX, the PDF.
STUDENT_EXTENSIONS = (*(EXTENSIONS[fmt] for fmt in FORMATS), "pdf")


def _written_by_build(manifest: Any) -> set[str]:
    """Every path a build wrote, from its manifest.json: a file of the instructor's among the
    students' files (a TA's notes in solutions/) is not one, and a rebuild would delete it.
    Nor is a PDF in the folder of a build without PDFs (the instructor typeset an exam
    themselves): its manifest names no pdflatex (``library_versions``). A manifest without
    versions counts its PDFs as the build's."""
    typeset = "pdflatex" in manifest.get("versions", {"pdflatex": ""})
    extensions = STUDENT_EXTENSIONS if typeset else STUDENT_EXTENSIONS[:-1]
    stems = file_stems([student["id"] for student in manifest["students"]])
    return set(BUILD_ENTRIES if typeset else BUILD_ENTRIES - TYPESET_ENTRIES) | {
        f"{folder}/{stem}.{extension}"
        for folder in STUDENT_FOLDERS
        for stem in stems
        for extension in extensions
    }


BUILD_RECORD = WriterRecord(MANIFEST_NAME, _written_by_build)
#: The IDs of the students of the build in a folder, from its manifest.json.
BUILD_RECORD_IDS = WriterRecord(
    MANIFEST_NAME, lambda manifest: [student["id"] for student in manifest["students"]]
)


def _student_folders(folder: Path) -> None:
    """The folders ``write_students`` writes into."""
    for name in STUDENT_FOLDERS:
        (folder / name).mkdir(parents=True, exist_ok=True)


def write_exam_files(
    folder: Path,
    spec: Spec,
    seed: int,
    exams: list[StudentExam],
    progress: Progress = no_progress,
    typeset: bool = False,
) -> None:
    """Per-student exams and solutions in every format, then the keys and the manifest (that of
    a build with PDFs when ``typeset``: the PDFs are made next)."""
    stems = file_stems([e.student.id for e in exams])
    if exams:
        _student_folders(folder)
    with ClassFiles(folder, spec, seed, typeset) as class_files:
        for exam, stem in progress(list(zip(exams, stems, strict=True)), "Rendering"):
            (record,) = write_students(folder, spec, [exam], [stem])
            class_files.add(record)


def write_students(
    folder: Path, spec: Spec, exams: Sequence[StudentExam], stems: Sequence[str]
) -> list[StudentRecord]:
    """A run of students' exams and solutions in every format (into ``_student_folders``); what
    the class files need of each.

    The run's documents are made one kind at a time (every LaTeX exam, then every LaTeX
    solutions, ...), not one student at a time: the same template and the same families'
    macros again and again keep their code and data in the processor's caches: a run of 25
    students took about a tenth less CPU than one student's four documents after another's.
    The files are the same either way."""
    pieces = [StudentPieces.of(exam) for exam in exams]  # each shared by the four documents
    for fmt in FORMATS:
        ext = EXTENSIONS[fmt]
        for sub, show_solutions in (("exams", False), ("solutions", True)):
            texts = texts_by_student(pieces, fmt, show_solutions)
            if fmt == "markdown" and show_solutions:  # their texts just made, and remembered
                refuse_unpublishable(exams, pieces)
            for exam, shared, made, stem in zip(exams, pieces, texts, stems, strict=True):
                document = render_exam_document(fmt, spec, [exam], show_solutions, [shared], [made])
                _write(folder / sub / f"{stem}.{ext}", document)
    return [student_record(exam, stem) for exam, stem in zip(exams, stems, strict=True)]


class ClassFiles:
    """key.json, key.csv and manifest.json, fed a student at a time (``add``) in roster order
    and written when the block ends without an error. Each student's JSON entries go to disk at
    once; what stays in memory is key.csv's row and the families' folders."""

    def __init__(self, folder: Path, spec: Spec, seed: int, typeset: bool = False) -> None:
        self.folder, self.spec, self.seed, self.typeset = folder, spec, seed, typeset
        self.key = ListFile(folder / KEY_JSON)
        self.manifest = ListFile(folder / MANIFEST_NAME)
        self.rows: list[tuple[str, str, tuple[str, ...]]] = []
        self.folders: dict[str, Path] = {}

    def add(self, record: StudentRecord) -> None:
        self.key.add(record.key_entry)
        self.manifest.add(record.manifest_entry)
        self.rows.append(record.answers)
        self.folders.update(record.folders)

    def __enter__(self) -> ClassFiles:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self.key.discard()
            self.manifest.discard()
            return
        self.key.finish(key_head(self.spec, self.seed), "students")
        _write(self.folder / KEY_CSV, key_csv_text(self.spec, self.rows))
        head = manifest_head(self.spec, self.seed, self.folders, self.typeset)
        self.manifest.finish(head, "students")


def pdf_students(exams: list[StudentExam]) -> list[PdfStudent]:
    stems = file_stems([e.student.id for e in exams])
    return [pdf_student(e, stem) for e, stem in zip(exams, stems, strict=True)]


def pdf_student(exam: StudentExam, stem: str) -> PdfStudent:
    families = tuple(q.variant.family for q in exam.questions)
    return PdfStudent(
        stem,
        exam.student,
        tuple(f.ID for f in families),
        tuple(family_template_name(f) for f in families),
    )


class StudentWriter:
    """Samples, solves and writes a run of students into a build's folder (in the build's
    process or in a worker forked from it)."""

    def __init__(
        self, folder: Path, spec: Spec, seed: int, students: Sequence[Student], stems: list[str]
    ) -> None:
        self.folder, self.spec, self.seed = folder, spec, seed
        self.students, self.stems = students, stems

    def __call__(self, members: range) -> list[StudentRecord]:
        if members:
            _student_folders(self.folder)
        # The whole run sampled first, then written (see ``write_students``): likewise, the
        # families' code stays in the caches while they draw and solve.
        exams = generate_students(self.spec, self.seed, [self.students[i] for i in members])
        return write_students(self.folder, self.spec, exams, [self.stems[i] for i in members])


def build(
    spec: Spec,
    seed: int,
    students: list[Student],
    out: Path,
    progress: Progress = no_progress,
    pdf: bool = False,
    jobs: int | None = None,
) -> Path:
    """Generate, render and write one exam folder (with ``pdf``, the PDFs too, typeset by
    ``jobs`` pdflatex processes at once; without, ``jobs`` processes sample and write the
    students); return its path.

    Students stream through in the PDF phase's runs of ``CHUNK``: each run is sampled, solved
    and written, and pdflatex starts on it while the next run is prepared, so Python and LaTeX
    overlap. Only a few kilobytes of text per student are kept for the keys and the manifest.
    The files are those of ``write_exam_files`` then ``build_pdfs``, byte for byte, whatever
    ``jobs`` is.

    SIGTERM and SIGHUP stop the build like Ctrl-C: the staging folder goes, ``out`` stays as it
    was."""
    check_seed(seed)
    refuse_unreadable_codes(spec.id, seed, [s.id for s in students], len(spec.slots))
    target = Path(out) / exam_dir_name(spec, seed)
    stems = file_stems([s.id for s in students])
    parts = student_parts(len(students))
    # With PDFs, pdflatex has the cores; without, the Python work is shared among them.
    processes = 1 if pdf else (jobs or available_cores())
    with (
        _loaded_heap_frozen(),
        signals_raise(),
        staged_directory(target, owned=BUILD_ENTRIES, record=BUILD_RECORD) as staging,
        output_errors(Path(out), full_disk_only=True),
    ):
        writer = StudentWriter(staging, spec, seed, students, stems)
        phase = None
        try:
            # The workers fork before the PDF phase starts any thread.
            with ordered_map(writer, parts, processes) as written:
                if pdf:
                    phase = PdfPhase(
                        staging,
                        [PdfStudent(stem, s, ()) for s, stem in zip(students, stems, strict=True)],
                        jobs,
                        positions=SheetsFile(
                            staging,
                            spec.id,
                            seed,
                            spec.layout == "fixed",
                            partial(space_field, spec, seed),
                        ),
                    )
                with ClassFiles(staging, spec, seed, typeset=pdf) as class_files:
                    sampled = progress(SizedIterator(written, len(parts)), "Sampling and writing")
                    for members, part in zip(parts, sampled, strict=True):
                        for record in part:
                            class_files.add(record)
                        if phase is not None:  # the families name the question in a LaTeX error
                            phase.add(members, [r.pdf for r in part])
            if phase is not None:
                phase.finish(progress)
        finally:
            if phase is not None:
                phase.stop()
    return target


def space_field(spec: Spec, seed: int, student_id: str, question: int) -> str:
    """The spec's field that sets the space of ``student_id``'s question ``question`` (as
    printed: a shuffled exam prints its slots in the student's own order), with its value."""
    slot = spec.slots_for(seed, student_id)[question - 1]
    value = f' = "{slot.space}"' if slot.space else ' = "…", which it leaves to the family'
    return f"questions[{slot.number}].space{value} in {spec.path}"


@contextmanager
def _loaded_heap_frozen() -> Iterator[None]:
    """What is loaded when a build starts (sympy, numpy, the families and templates: most of
    the heap) is left out of the cyclic collector's passes while the build runs, so its full
    passes (every few hundred students) do not walk it again each time, and forked workers
    leave its pages shared; the collector takes it back afterwards. Its youngest generation is
    collected after 10,000 new objects, not 700: sampling and rendering make short-lived
    objects by the hundred thousand, and the passes over them cost about 3% of a build's CPU
    at the default, for the same memory (the forked workers inherit both settings)."""
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(10_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


class SizedIterator(Iterator[T]):
    """An iterator with a length, so the progress bar shows how far along it is."""

    def __init__(self, items: Iterator[T], length: int) -> None:
        self.items, self.length = items, length

    def __len__(self) -> int:
        return self.length

    def __next__(self) -> T:
        return next(self.items)
