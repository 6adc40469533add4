"""``examgen diff OLD NEW``: which students' variants or answers differ between two exam folders.

After an erratum (a fixed spec, template or family) an instructor rebuilds and needs to know who
is affected: a student whose variant changed has a different question on paper; one whose answer
changed with the same variant needs regrading. Students are matched by ID, never by roster
position, as the seeding contract does, and questions by the spec's slot, never by printed
position: with shuffled questions, a student's variants that only moved are the same variants,
printed elsewhere (a new sheet, the same answers). Variants are compared by fingerprint,
recomputed from key.json's params with the current code, so folders built before fingerprints
existed compare too.
manifest.json, when both folders have one, adds what changed in the inputs (spec, templates,
code, library versions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.build import file_stems
from generator.characters import json_lone_surrogate, shown_name
from generator.errors import ExamgenError
from generator.fingerprint import fingerprint_digest, fingerprint_of
from generator.grading.keyfile import answer_from_json, exam_folder, load_key
from generator.manifest import MANIFEST_NAME
from generator.partial_credit import grading_json
from generator.roster import loosely_renamed, shown_ids


@dataclass(frozen=True)
class QuestionRecord:
    number: int  # printed position
    slot: int  # the spec's question (key.json's slot; its number in older keys)
    family: str
    fingerprint: str
    answer: dict[str, Any]
    points: int | float  # as key.json writes it: as the spec did


@dataclass(frozen=True)
class StudentRecord:
    id: str
    name: str
    questions: dict[int, QuestionRecord]  # by slot


#: The per-student exam files whose text diff compares.
EXAMS = (".tex", ".md")


@dataclass(frozen=True)
class ExamFolder:
    path: Path
    exam: str
    seed: Any
    students: dict[str, StudentRecord]
    manifest: dict[str, Any] | None
    #: Each student's file stem in exams/ and solutions/, as the build named them.
    stems: dict[str, str] = field(default_factory=dict)
    #: key.json's ``grading``: when a decimal counts and the credit per named mistake.
    grading: dict[str, Any] = field(default_factory=dict)

    def exam_text(self, student_id: str) -> bytes | None:
        """The student's exam as printed and as put online (exams/<stem>.tex and .md), or
        ``None`` if the folder lacks them."""
        stem = self.stems.get(student_id)
        if stem is None:
            return None
        try:
            return b"".join((self.path / "exams" / f"{stem}{kind}").read_bytes() for kind in EXAMS)
        except OSError:
            return None


def _not_exam(path: Path, why: str) -> ExamgenError:
    return ExamgenError(
        f"{path}: not an exam folder ({why}); give a folder written by `examgen build`, "
        "such as out/<exam-id>-seed<SEED>"
    )


def load_exam_folder(folder: Path | str) -> ExamFolder:
    """Read an exam folder's key.json (required, checked by ``generator.grading.keyfile``) and
    manifest.json (if present)."""
    path = exam_folder(Path(folder))  # key.csv names its folder, as for grade and scan
    if path.exists() and not path.is_dir():
        raise ExamgenError(
            f"{path}: is a file, not a folder; give an exam folder such as out/quiz-seed42"
        )
    if not path.is_dir():
        raise ExamgenError(f"{path}: no such folder; give an exam folder such as out/quiz-seed42")
    if not (path / "key.json").is_file():
        inside = sorted(p.parent.name for p in path.glob("*/key.json"))
        hint = f"; did you mean {path / inside[0]}?" if len(inside) == 1 else ""
        raise _not_exam(path, "no key.json" + hint)
    key = load_key(path)
    students = {
        s.id: StudentRecord(
            s.id,
            s.name,
            {
                # Recomputed from the params with today's code, so old folders compare too.
                q.slot: QuestionRecord(
                    q.number,
                    q.slot,
                    q.family,
                    fingerprint_of(q.family, q.params),
                    dict(q.raw["answer"]),
                    q.raw["points"],
                )
                for q in s.questions
            },
        )
        for s in key.students
    }
    manifest = None
    manifest_path = path / MANIFEST_NAME
    if manifest_path.is_file():
        try:
            text = manifest_path.read_text(encoding="utf-8")
            manifest = json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise _not_exam(path, f"{MANIFEST_NAME} cannot be read: {err}") from None
        except ValueError:  # int() refuses a number this long (an edit; examgen writes none)
            raise _not_exam(path, f"{MANIFEST_NAME} holds a number too long to read") from None
        if json_lone_surrogate(text, manifest) is not None:
            raise _not_exam(path, f"{MANIFEST_NAME} holds half of a surrogate pair (\\ud800…)")
        if not isinstance(manifest, dict):
            raise _not_exam(path, f"{MANIFEST_NAME} is not an object")
        for field in ("sha256", "versions"):  # what diff compares; an edit may have broken them
            if not isinstance(manifest.get(field, {}), dict):
                raise _not_exam(path, f"{MANIFEST_NAME}: {field} must be an object")
    ids = [s.id for s in key.students]
    stems = dict(zip(ids, file_stems(ids), strict=True))
    grading = grading_json(key.rule, key.partial)
    return ExamFolder(path, key.exam, key.seed, students, manifest, stems, grading)


def answer_text(answer: dict[str, Any]) -> str:
    """An answer as key.csv writes it, ``(4, 9)``, with a choice's text when it has one."""
    try:
        read = answer_from_json(answer, "answer")
    except ExamgenError:
        return json.dumps(answer, ensure_ascii=False)
    return f"{read.cell()} ({read.text})" if read.text else read.cell()


@dataclass(frozen=True)
class QuestionChange:
    number: int  # printed position: in new, or in old for a removed question
    what: str  # "variant", "answer", "points", "moved", "added", "removed"
    detail: str
    slot: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "slot": self.slot,
            "change": self.what,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class StudentChange:
    id: str
    name: str
    changes: tuple[QuestionChange, ...]

    def summary(self) -> str:
        return "; ".join(f"q{c.number} {c.what}: {c.detail}" for c in self.changes)


@dataclass
class FolderDiff:
    old: ExamFolder
    new: ExamFolder
    changed: list[StudentChange] = field(default_factory=list)
    added: list[StudentRecord] = field(default_factory=list)
    removed: list[StudentRecord] = field(default_factory=list)
    #: Same variants and answers, but the printed exam differs (a template, the wording, a title).
    reworded: list[StudentRecord] = field(default_factory=list)
    #: Same variants and answers, but a folder lacks the printed exam to compare (deleted files).
    unprinted: list[StudentRecord] = field(default_factory=list)
    unchanged: int = 0
    inputs: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "old": str(self.old.path),
            "new": str(self.new.path),
            "inputs": self.inputs,
            "changed": [
                {"id": s.id, "name": s.name, "questions": [c.to_json() for c in s.changes]}
                for s in self.changed
            ],
            "added": [{"id": s.id, "name": s.name} for s in self.added],
            "removed": [{"id": s.id, "name": s.name} for s in self.removed],
            "alike": [{"old": before, "new": after} for before, after in self.alike()],
            "reworded": [{"id": s.id, "name": s.name} for s in self.reworded],
            "unprinted": [{"id": s.id, "name": s.name} for s in self.unprinted],
            "unchanged": self.unchanged,
        }

    def text(self) -> str:
        lines = [
            f"old: {self.old.path} ({self.old.exam} seed {self.old.seed})",
            f"new: {self.new.path} ({self.new.exam} seed {self.new.seed})",
        ]
        lines += [f"  {line}" for line in self.inputs]
        # Other grading rules change the scores of the same answers: not "the same key".
        key = "the same key" if self.old.grading == self.new.grading else "the same answers"
        reworded = (
            f"{len(self.reworded)} student(s) whose printed exam differs, with the same variants "
            f"and answers (a template, the wording, the title or the student's name changed: a "
            f"new sheet, {key}): " + ", ".join(self._renamed(s) for s in self.reworded)
        )
        unprinted = (
            f"{len(self.unprinted)} student(s) whose printed exam is missing from a folder "
            "(exams/<file>.tex or .md deleted), so it could not be compared: "
            + _ids(self.unprinted)
        )
        notes = [
            text
            for text, listed in ((reworded, self.reworded), (unprinted, self.unprinted))
            if listed
        ]
        if not (self.changed or self.added or self.removed):
            lines.append(f"No student's variants or answers differ ({self.unchanged} compared).")
            return "\n".join(lines + notes) + "\n"
        if self.changed:
            lines.append(
                f"{len(self.changed)} student(s) with different variants, answers or points:"
            )
            width = max(len(_who(s)) for s in self.changed)
            lines += [f"  {_who(s).ljust(width)}  {s.summary()}" for s in self.changed]
        if self.added:
            lines.append(f"{len(self.added)} student(s) only in new: " + _ids(self.added))
        if self.removed:
            lines.append(f"{len(self.removed)} student(s) only in old: " + _ids(self.removed))
        if alike := self.alike():
            pairs = ", ".join(" → ".join(shown_ids(before, after)) for before, after in alike)
            lines.append(
                f"{len(alike)} of them differ only in leading zeros, case or Unicode form, as a "
                f"spreadsheet changes IDs (old → new): {pairs}; each has a new variant"
            )
        lines += notes
        lines.append(f"{self.unchanged} student(s) with the same variants and answers.")
        return "\n".join(lines) + "\n"


    def alike(self) -> list[tuple[str, str]]:
        """Removed and added IDs that are likely one student's (``roster.loose_id``)."""
        return loosely_renamed([s.id for s in self.removed], [s.id for s in self.added])

    def _renamed(self, student: StudentRecord) -> str:
        """The student as ``_who`` shows them, with the old name too when the roster changed it."""
        before = self.old.students.get(student.id)
        if before is None or before.name == student.name:
            return _who(student)
        return shown_name(f"{student.id} ({before.name} → {student.name})")


def _who(student: StudentRecord | StudentChange) -> str:
    """The student as one line shows them (a name from a spreadsheet cell may hold a newline)."""
    who = f"{student.id} ({student.name})" if student.name else student.id
    return shown_name(who)


def _ids(students: list[StudentRecord]) -> str:
    return ", ".join(_who(s) for s in students)


def _question_changes(old: StudentRecord, new: StudentRecord) -> tuple[QuestionChange, ...]:
    """What differs in each of the spec's questions (slots), in the new printed order (then
    the removed ones): a question printed elsewhere says where it was."""
    changes = []
    slots = set(old.questions) | set(new.questions)

    def printed(slot: int) -> tuple[int, int]:
        question = new.questions.get(slot) or old.questions[slot]
        return (slot not in new.questions, question.number)

    for slot in sorted(slots, key=printed):
        before, after = old.questions.get(slot), new.questions.get(slot)
        if before is None:
            changes.append(QuestionChange(after.number, "added", after.family, slot))
            continue
        if after is None:
            changes.append(QuestionChange(before.number, "removed", before.family, slot))
            continue
        moved = "" if before.number == after.number else f" (was q{before.number})"
        change = _variant_change(before, after)
        if change is not None:
            what, detail = change
            changes.append(QuestionChange(after.number, what, detail + moved, slot))
        elif moved:  # the same variant printed elsewhere: a new sheet, the same answer
            detail = f"was q{before.number}, the same {after.family} variant and answer"
            changes.append(QuestionChange(after.number, "moved", detail, slot))
    return tuple(changes)


def _variant_change(before: QuestionRecord, after: QuestionRecord) -> tuple[str, str] | None:
    """What changed in one question wherever it is printed, and how; None: nothing."""
    if before.family != after.family:
        return "variant", f"{before.family} → {after.family}"
    if before.fingerprint != after.fingerprint:
        old_digest = fingerprint_digest(before.fingerprint)
        detail = f"#{old_digest} → #{fingerprint_digest(after.fingerprint)}"
        if before.answer != after.answer:
            detail += f", answer {answer_text(before.answer)} → {answer_text(after.answer)}"
        return "variant", detail + _points_change(before, after)
    if before.answer != after.answer:
        detail = f"{answer_text(before.answer)} → {answer_text(after.answer)}"
        return "answer", detail + _points_change(before, after)
    if before.points != after.points:
        # Same question, same answer, another weight: the score changes, so it is regraded.
        return "points", f"{before.points} → {after.points}"
    return None


def _points_change(before: QuestionRecord, after: QuestionRecord) -> str:
    return "" if before.points == after.points else f", points {before.points} → {after.points}"


def _input_changes(old: ExamFolder, new: ExamFolder) -> list[str]:
    """What differs in the recorded inputs: the likely cause of the differences below."""
    lines = []
    if old.exam != new.exam:
        lines.append(f"exam id: {old.exam} → {new.exam}")
    if old.seed != new.seed:
        lines.append(f"seed: {old.seed} → {new.seed}")
    if old.grading != new.grading:
        lines.append(
            f"grading: {_compact(old.grading)} → {_compact(new.grading)} "
            "(when a decimal counts or the credit per named mistake: regrade every student)"
        )
    if old.manifest is None or new.manifest is None:
        missing = "old" if old.manifest is None else "new"
        lines.append(f"no {MANIFEST_NAME} in {missing}: inputs not compared")
        return lines
    old_hashes, new_hashes = old.manifest.get("sha256", {}), new.manifest.get("sha256", {})
    for name in sorted(set(old_hashes) | set(new_hashes)):
        if old_hashes.get(name) != new_hashes.get(name):
            lines.append(f"{name} changed")
    old_versions, new_versions = old.manifest.get("versions", {}), new.manifest.get("versions", {})
    for name in sorted(set(old_versions) | set(new_versions)):
        if old_versions.get(name) != new_versions.get(name):
            # A build without PDFs records no pdflatex or pikepdf: "not used", not "None".
            before, after = (v.get(name) or "not used" for v in (old_versions, new_versions))
            lines.append(f"{name}: {before} → {after}")
    return lines


def _compact(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def diff_folders(old_path: Path | str, new_path: Path | str) -> FolderDiff:
    old, new = load_exam_folder(old_path), load_exam_folder(new_path)
    result = FolderDiff(old, new, inputs=_input_changes(old, new))
    for sid, student in new.students.items():
        before = old.students.get(sid)
        if before is None:
            result.added.append(student)
            continue
        changes = _question_changes(before, student)
        if changes:
            result.changed.append(StudentChange(sid, student.name, changes))
            continue
        result.unchanged += 1
        old_text, new_text = old.exam_text(sid), new.exam_text(sid)
        if old_text is None or new_text is None:
            result.unprinted.append(student)
        elif old_text != new_text:
            result.reworded.append(student)
    result.removed = [s for sid, s in old.students.items() if sid not in new.students]
    return result
