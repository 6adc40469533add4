"""Exam specs: a TOML file naming the exam and its question slots.

Validation happens here, before anything is generated or written, and every error names the file
and the field (``specs/quiz.toml: questions[2].points: …``) so an instructor can fix it in one go.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import ExamgenError
from generator.families import get_family
from generator.families.base import Family
from generator.responses import DecimalRule

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"
DEFAULT_SPEC = SPECS_DIR / "lecture-14-quiz.toml"

TOP_LEVEL_FIELDS = {"id", "title", "course", "date", "instructions", "questions", "grading"}
SLOT_FIELDS = {"family", "points", "params"}


@dataclass(frozen=True)
class Slot:
    """One question of the exam: which family, how many points, which params are pinned."""

    number: int
    family: Family
    points: int | float
    pinned: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    id: str
    title: str
    course: str
    date: str
    instructions: str
    slots: tuple[Slot, ...]
    source: str  # the file's text, hashed into the manifest
    path: Path
    grading: DecimalRule = DecimalRule()  # [grading] decimals, significant: when a decimal counts

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()


def shipped_specs() -> list[Path]:
    return sorted(SPECS_DIR.glob("*.toml"))


def _fail(path: Path, where: str, message: str) -> ExamgenError:
    return ExamgenError(f"{path}: {where}: {message}")


def _string(data: Mapping[str, Any], key: str, path: Path, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise _fail(path, key, f"must be a string, got {value!r}")
    return value


def load_spec(path: Path | str) -> Spec:
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExamgenError(
            f"{path}: spec file not found; `examgen list` shows the shipped specs"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ExamgenError(f"{path}: cannot read the spec ({err})") from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as err:
        raise ExamgenError(f"{path}: TOML syntax error: {err}") from None
    return parse_spec(data, path, source)


def parse_spec(data: Mapping[str, Any], path: Path, source: str = "") -> Spec:
    unknown = sorted(set(data) - TOP_LEVEL_FIELDS)
    if unknown:
        raise _fail(path, unknown[0], f"unknown field; expected some of {sorted(TOP_LEVEL_FIELDS)}")
    exam_id = _string(data, "id", path, path.stem)
    if not exam_id or not all(c.isalnum() or c in "-_." for c in exam_id):
        raise _fail(path, "id", f"{exam_id!r} must be letters, digits, '-', '_' or '.'")
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise _fail(path, "questions", "add at least one [[questions]] table with a family")
    slots = tuple(_parse_slot(q, i, path) for i, q in enumerate(questions, start=1))
    return Spec(
        id=exam_id,
        title=_string(data, "title", path, exam_id),
        course=_string(data, "course", path, ""),
        date=_string(data, "date", path, ""),
        instructions=_string(data, "instructions", path, ""),
        slots=slots,
        source=source,
        path=path,
        grading=DecimalRule.from_json(data.get("grading"), f"{path}: grading"),
    )


def _parse_slot(raw: Any, number: int, path: Path) -> Slot:
    where = f"questions[{number}]"
    if not isinstance(raw, Mapping):
        raise _fail(path, where, "must be a table ([[questions]])")
    unknown = sorted(set(raw) - SLOT_FIELDS)
    if unknown:
        raise _fail(
            path, f"{where}.{unknown[0]}", f"unknown field; expected some of {sorted(SLOT_FIELDS)}"
        )
    if "family" not in raw:
        raise _fail(path, f"{where}.family", "missing; name a family from `examgen list`")
    try:
        family = get_family(raw["family"])
    except ExamgenError as err:
        raise _fail(path, f"{where}.family", str(err)) from None
    points = raw.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
        raise _fail(path, f"{where}.points", f"must be a positive number, got {points!r}")
    params = raw.get("params", {})
    if not isinstance(params, Mapping):
        raise _fail(path, f"{where}.params", 'must be a table, e.g. params = { eta = "1/2" }')
    try:
        pinned = family.parse_params(params)
    except ExamgenError as err:
        raise _fail(path, f"{where}.params", str(err)) from None
    return Slot(number, family, points, pinned)
