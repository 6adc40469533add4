"""Reading key.json back (the DESIGN.md key contract) into exact answers, and rebuilding variants.

Grading and the export tests start from a key a build wrote, possibly long ago or edited by hand,
so every field is checked and a bad one is named (``key.json: students[3].questions[2].answer``).
A key entry's params pin every field of its family's Params that the variant uses (a field it
leaves ``None``, such as the sigmoid chain's target, is left out of the key: ``examgen check``
proves that pinning the key's params gives the variant back), so ``rebuild`` regenerates exactly
the variant the student saw, in the form it was asked: its solution and its misconceptions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import sympy

from generator.characters import json_lone_surrogate
from generator.choices import with_form
from generator.errors import ExamgenError
from generator.exact import parse_rational
from generator.families import registry
from generator.families.base import Answer, AnswerKind, Variant
from generator.input_file import read_input
from generator.manifest import MANIFEST_NAME, tree_digest
from generator.partial_credit import PartialCredit, parse_grading
from generator.responses import DecimalRule
from generator.roster import identity, loose_id, same_id_as, shown_ids
from generator.seeding import stream

KINDS = ("vector", "number", "bool", "choice")


@dataclass(frozen=True)
class KeyQuestion:
    number: int  # the printed position: the key.csv / responses column
    slot: int  # the spec's question slot (differs from number when questions are shuffled)
    family: str
    points: sympy.Rational
    params: Mapping[str, Any]
    answer: Answer
    raw: Mapping[str, Any] = field(compare=False, repr=False)
    #: Course family folders to rebuild the variant from (besides ``EXAMGEN_FAMILIES``): never
    #: stored in key.json, whose bytes must not depend on where a course lives on a machine.
    families_dirs: tuple[Path, ...] = field(default=(), compare=False, repr=False)

    @property
    def size(self) -> int:
        """How many components a vector answer has (0 for other kinds)."""
        return len(self.answer.value) if self.answer.kind == "vector" else 0


@dataclass(frozen=True)
class KeyStudent:
    id: str
    name: str
    questions: tuple[KeyQuestion, ...]


@dataclass(frozen=True)
class Key:
    exam: str
    seed: int | None
    students: tuple[KeyStudent, ...]
    rule: DecimalRule
    path: Path
    partial: PartialCredit = PartialCredit()  # grading.partial: credit per named mistake

    def numbers(self) -> list[int]:
        """Question numbers, in order (the q-columns of key.csv)."""
        return sorted({q.number for s in self.students for q in s.questions})

    @cached_property
    def _by_identity(self) -> dict[str, KeyStudent]:
        return {identity(s.id): s for s in self.students}

    def student(self, student_id: str) -> KeyStudent | None:
        """The key's student a typed ID names, matched as the build tells students apart
        (``roster.identity``: NFC, invisible characters aside): ``müller`` typed decomposed,
        as some keyboards and copies from web pages give it, is the key's ``müller``."""
        return self._by_identity.get(identity(student_id))

    def answer_kinds(self, student_id: str) -> dict[int, AnswerKind]:
        """The kind of each answer (question number → kind) of the student a typed ID names;
        none for an ID the key does not have."""
        student = self.student(student_id)
        return {q.number: q.answer.kind for q in student.questions} if student else {}

    @cached_property
    def _by_loose(self) -> dict[str, list[str]]:
        alike: dict[str, list[str]] = {}
        for s in self.students:
            alike.setdefault(loose_id(s.id), []).append(s.id)
        return alike

    def alike(self, student_id: str) -> list[str]:
        """The key's IDs that a typed ID not in the key likely meant: equal but for what a
        spreadsheet changes (case, leading zeros: "00123" → "123")."""
        return self._by_loose.get(loose_id(student_id), [])

    def unknown_id(self, student_id: str) -> tuple[str, str]:
        """A typed ID the key does not have, quoted for a message, and the hint
        `` (did you mean '00123'?)`` naming every key ID that reads alike (``alike``; empty if
        none does). The IDs are quoted by ``shown_ids``, so look-alikes show their difference."""
        near = self.alike(student_id)
        shown = shown_ids(student_id, *near)
        return shown[0], f" (did you mean {' or '.join(shown[1:])}?)" if near else ""


#: What to give instead of a path that holds no key.
GIVE_EXAM_FOLDER = (
    "give the exam folder `examgen build` wrote (out/<exam>-seed<SEED>) or its key.json"
)
KEY_NAME = "key.json"
#: Files a build writes beside key.json: naming one names that key (key.csv above all, the
#: graders' table: ``grade out/quiz-seed42/key.csv`` said "not valid JSON").
BESIDE_KEY = ("key.csv", "manifest.json", "sheets.json")


def key_path(path: Path) -> Path:
    """The key.json of an exam folder, given the folder, the key itself, or a file the build
    wrote beside it (``BESIDE_KEY``)."""
    path = Path(path)
    if path.is_dir():
        return path / KEY_NAME
    if path.name in BESIDE_KEY and (path.parent / KEY_NAME).is_file():
        return path.parent / KEY_NAME
    return path


def exam_folder(path: Path) -> Path:
    """The exam folder ``path`` names: the folder itself, or the folder of its key.json given
    that file or another the build wrote beside it (``key_path``); else ``path`` as it is."""
    path = Path(path)
    key = key_path(path)
    return key.parent if key.name == KEY_NAME and key.is_file() else path


def load_key(path: Path, families_dirs: Sequence[Path] = ()) -> Key:
    """The key at ``path``; ``families_dirs`` are course family folders its families may live
    in (besides the built-ins and ``EXAMGEN_FAMILIES``), for rebuilding variants."""
    key = _load_key(key_path(path))
    if not families_dirs:
        return key
    dirs = tuple(Path(d).resolve() for d in families_dirs)
    registry(dirs)  # a missing folder or a clash of IDs is an error now, not a silent miss
    students = tuple(
        replace(s, questions=tuple(replace(q, families_dirs=dirs) for q in s.questions))
        for s in key.students
    )
    return replace(key, students=students)


def unknown_families(key: Key) -> list[str]:
    """Families the key names that neither examgen nor the given course folders have."""
    names = {q.family: q.families_dirs for s in key.students for q in s.questions}
    return sorted(name for name, dirs in names.items() if name not in registry(dirs))


def changed_course_families(key: Key) -> list[tuple[str, Path]]:
    """The course families of the key known here whose folder differs from the one the build
    used (manifest.json's ``family:<id>`` digest): their named mistakes are the code's as it is
    now, and a swapped mistake matches another name than at the build (an outside review)."""
    try:
        recorded = json.loads(key.path.with_name(MANIFEST_NAME).read_text("utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError):  # no manifest (an older build): unknown
        return []
    changed = []
    names = {q.family: q.families_dirs for s in key.students for q in s.questions}
    for name, dirs in sorted(names.items()):
        family = registry(dirs).get(name)
        digest = recorded.get(f"family:{name}") if isinstance(recorded, dict) else None
        if family is not None and digest and tree_digest(family.FOLDER) != digest:
            changed.append((name, family.FOLDER))
    return changed


def _load_key(path: Path) -> Key:
    try:
        text = read_input(path, "key").decode("utf-8-sig")
        data = json.loads(text, parse_constant=_no_constant)
    except FileNotFoundError:
        raise ExamgenError(f"{path}: not found; {GIVE_EXAM_FOLDER}") from None
    except UnicodeDecodeError as err:
        raise ExamgenError(f"{path}: cannot read the key ({err})") from None
    except json.JSONDecodeError as err:
        fix = "rebuild the exam" if path.name == KEY_NAME else GIVE_EXAM_FOLDER
        problem = f"not valid JSON ({err.msg}, line {err.lineno})"
        raise ExamgenError(f"{path}: {problem}; {fix}") from None
    except RecursionError:
        raise ExamgenError(f"{path}: nested too deeply to be a key; rebuild the exam") from None
    except ValueError as err:  # Infinity, NaN, or an integer of thousands of digits
        raise ExamgenError(f"{path}: not a key ({err}); rebuild the exam") from None
    surrogate = json_lone_surrogate(text, data)
    if surrogate is not None:
        raise ExamgenError(
            f"{path}: holds \\u{ord(surrogate):04x}, half of a surrogate pair, which no file or "
            "terminal can hold; rebuild the exam"
        )
    return parse_key(data, path)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a key holds")


def _need(data: Any, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(data, Mapping) or name not in data:
        raise ExamgenError(f"{where}: missing field {name!r}")
    value = data[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
        raise ExamgenError(f"{where}.{name}: unexpected value {value!r}")
    return value


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def parse_key(data: Any, path: Path) -> Key:
    where = str(path)
    if not isinstance(data, Mapping):
        raise ExamgenError(f"{where}: a key is a JSON object with exam, seed and students")
    students_raw = _need(data, "students", list, where)
    students = []
    seen: dict[str, str] = {}  # identity → the ID as the key has it
    for i, raw in enumerate(students_raw):
        student = _parse_student(raw, f"{where}: students[{i}]")
        first = seen.get(identity(student.id))
        if first is not None:
            # Which of the two a typed ID is would be a guess (a build never writes both).
            shown = shown_ids(student.id, first)[0]
            how = same_id_as(student.id, first)
            raise ExamgenError(f"{where}: students[{i}]: student {shown} appears twice{how}")
        seen[identity(student.id)] = student.id
        students.append(student)
    if not students:
        raise ExamgenError(f"{where}: the key has no students")
    asked = _numbers(students[0])
    for i, student in enumerate(students):
        if _numbers(student) != asked:  # a build asks every student every question
            raise ExamgenError(
                f"{where}: students[{i}] ({student.id!r}) has questions "
                f"{_listed(_numbers(student))} where students[0] has {_listed(asked)}; examgen "
                "build gives every student the same questions: rebuild the exam, or mend the edit"
            )
    seed = data.get("seed")
    rule, partial = parse_grading(data.get("grading"), f"{where}: grading")
    return Key(
        exam=str(data.get("exam", "")),
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        students=tuple(students),
        rule=rule,
        path=path,
        partial=partial,
    )


def _numbers(student: KeyStudent) -> list[int]:
    return sorted(q.number for q in student.questions)


def _listed(numbers: list[int]) -> str:
    return ", ".join(f"q{n}" for n in numbers) or "none"


def _parse_student(raw: Any, where: str) -> KeyStudent:
    student_id = _need(raw, "id", str, where)
    name = raw.get("name", "") if isinstance(raw.get("name", ""), str) else ""
    questions_raw = _need(raw, "questions", list, where)
    questions = tuple(
        _parse_question(q, f"{where}.questions[{j}]") for j, q in enumerate(questions_raw)
    )
    numbers = [q.number for q in questions]
    if len(set(numbers)) != len(numbers):
        raise ExamgenError(f"{where}: two questions share a number")
    return KeyStudent(student_id, name, questions)


def _parse_question(raw: Any, where: str) -> KeyQuestion:
    number = _need(raw, "number", int, where)
    slot = raw.get("slot", number)
    if not isinstance(slot, int) or isinstance(slot, bool):
        raise ExamgenError(f"{where}.slot: unexpected value {slot!r}")
    family = _need(raw, "family", str, where)
    points_raw = _need(raw, "points", (int, float), where)
    if (isinstance(points_raw, float) and not math.isfinite(points_raw)) or points_raw < 0:
        raise ExamgenError(f"{where}.points: unexpected value {points_raw!r}")
    points = sympy.Rational(str(points_raw))
    params = raw.get("params", {})
    if not isinstance(params, Mapping):
        raise ExamgenError(f"{where}.params: must be an object")
    answer = answer_from_json(_need(raw, "answer", Mapping, where), f"{where}.answer")
    return KeyQuestion(number, slot, family, points, params, answer, raw)


def answer_from_json(raw: Mapping[str, Any], where: str) -> Answer:
    """The inverse of ``Answer.to_json``: exact values back from their ``str()`` strings."""
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ExamgenError(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}")
    if "value" not in raw:
        raise ExamgenError(f"{where}: missing field 'value'")
    value = raw["value"]
    text = raw.get("text") if isinstance(raw.get("text"), str) else None
    if kind == "vector":
        if not isinstance(value, list) or not value:
            raise ExamgenError(f"{where}.value: a vector answer is a list of exact numbers")
        exact = tuple(parse_rational(v, f"{where}.value[{i}]") for i, v in enumerate(value))
        return Answer("vector", exact, text)
    if kind == "number":
        return Answer("number", parse_rational(value, f"{where}.value"), text)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ExamgenError(f"{where}.value: a bool answer is true or false, got {value!r}")
        return Answer("bool", value, text)
    if not isinstance(value, str) or not value.strip():
        raise ExamgenError(f"{where}.value: a choice answer is a letter, got {value!r}")
    return Answer("choice", value.strip().upper(), text)


# --- rebuilding variants --------------------------------------------------------------------------
def rebuild(question: KeyQuestion) -> Variant | None:
    """The variant behind a key entry, regenerated from its params; ``None`` if this examgen cannot
    (a family it does not have, or params it no longer accepts or that do not determine the
    variant). A multiple-choice answer is rebuilt in the choice form, whose params name the
    source of each option."""
    params_json = json.dumps(question.params, sort_keys=True)
    choice = question.answer.kind == "choice"
    return _rebuild(question.family, choice, params_json, question.families_dirs)


@lru_cache(maxsize=4096)
def _rebuild(
    family_id: str, choice: bool, params_json: str, families_dirs: tuple[Path, ...]
) -> Variant | None:
    family = registry(families_dirs).get(family_id)
    if family is None:
        return None
    try:
        if choice:  # a family asked as multiple choice although it is not one of its own
            family = with_form(family, "choice")
        pinned = family.parse_params(json.loads(params_json))
        # Fields the key leaves out are drawn, so the key determines the variant only when the
        # variant writes back exactly the key's params: a field a variant uses would show up
        # (a ReLU chain's target), one it leaves unused would not (a sigmoid chain's).
        variant = family.generate(stream(0, "rebuild", family_id), pinned)
        written = family.parse_params(json.loads(json.dumps(variant.key_params())))
        return variant if written == pinned else None
    except ExamgenError:
        return None
