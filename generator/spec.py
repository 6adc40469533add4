"""Exam specs: a TOML file naming the exam and its question slots.

Validation happens here, before anything is generated or written, and every error names the file
and the field (``specs/quiz.toml: questions[2].points: …``) so an instructor can fix it in one go.

A slot (``[[questions]]``) names one family (``family = "…"``) or a pool: ``tags = [...]`` (every
family carrying all those tags) or ``families = [...]``; a pool slot gives each student one of its
families. ``form = "choice"`` asks a family with named misconceptions as multiple choice
(``generator.choices``). ``difficulty = "standard"`` (a band the family names in ``WORK_BANDS``)
or ``difficulty = [14, 20]`` (a range) keeps each student's work, the operations the worked
solution performs (``Family.work``), within that band, so students of one exam get comparable
work. ``shuffle_questions = true`` prints the slots in a per-student order.

Seeding: a slot's variant comes from ``question_stream(seed, student, slot number)``, the slot
number being its position in the spec, so neither shuffling nor the pool pick changes it; the pick
and the order have streams of their own. A student's exam depends only on seed, ID and spec.
A slot whose variant repeats an earlier slot's for the student is drawn again (``draw`` k > 0,
streams of its own: ``build``).
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from generator import defaults
from generator.characters import unprintable
from generator.choices import FORMS, supports_form, with_form
from generator.errors import TOML_UTF8_FIX, ExamgenError, not_utf8, parse_toml
from generator.families import get_family, registry
from generator.families.base import Family, Variant, band_too_wide, wide_band_fix
from generator.input_file import read_input
from generator.paper.handout import SPACE_RE
from generator.partial_credit import PartialCredit, check_names, parse_grading
from generator.responses import DecimalRule
from generator.seeding import again, question_stream, stream

TOP_LEVEL_FIELDS = {
    "id",
    "title",
    "course",
    "date",
    "instructions",
    "shuffle_questions",
    "questions",
    "grading",
    "answer_sheet",
    "layout",
    "families_dir",
}
#: The shipped specs, and the one a build uses when given none.
SPECS_DIR = Path(defaults.shipped_dir("specs"))
DEFAULT_SPEC = Path(defaults.DEFAULT_SPEC)

LAYOUTS = ("fixed", "flow")
SLOT_FIELDS = {"family", "tags", "families", "points", "params", "form", "difficulty", "space"}
CHOOSERS = ("family", "tags", "families")
#: A question's points: the scores CSV writes points with up to 4 decimal places, and no
#: exam weighs one question more than this.
MAX_POINTS = 1000
POINTS_PLACES = 4
#: A work space taller than a page can never be printed (TeX refuses one over about 226in).
MAX_SPACE_INCHES = 11
_UNIT_INCHES = {"in": 1.0, "cm": 1 / 2.54, "mm": 1 / 25.4, "pt": 1 / 72.27, "bp": 1 / 72}
#: An exam ID names folders and files (``<id>-seed<SEED>``, staging names), in UTF-8 bytes:
#: well under the 255 bytes a file name may have.
MAX_ID_LENGTH = 100


@dataclass(frozen=True)
class Slot:
    """One question of the exam: which family (or pool), how many points, which params are pinned.

    ``number`` is the slot's position in the spec (1-based): it names the slot's random stream and
    key.json's ``slot``, whatever position the question is printed at.
    """

    number: int
    family: Family | None  # None for a pool slot: each student gets one of ``pool``
    points: int | float
    pinned: Mapping[str, Any] = field(default_factory=dict)
    pool: tuple[Family, ...] = ()
    form: str | None = None  # None: each family's own form
    space: str | None = None  # work space printed below the question (a TeX length)

    @property
    def candidates(self) -> tuple[Family, ...]:
        return (self.family,) if self.family is not None else self.pool

    def family_for(self, seed: int, student_id: str, draw: int = 0) -> Family:
        """The slot's family, or the pool's pick for this student (from its own stream)."""
        if self.family is not None:
            return self.family
        rng = stream(seed, "student", student_id, "pool", self.number, *again(draw))
        return self.pool[int(rng.integers(len(self.pool)))]

    def generate(self, seed: int, student_id: str, draw: int = 0) -> Variant:
        """The student's variant; ``draw`` k > 0: drawn again, family and params, the k-th time
        (``build`` draws again a question the student already has)."""
        family = self.family_for(seed, student_id, draw)
        return family.generate(question_stream(seed, student_id, self.number, draw), self.pinned)


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
    shuffle_questions: bool = False
    grading: DecimalRule = DecimalRule()  # [grading] decimals, significant: when a decimal counts
    answer_sheet: bool = False  # a separate bubble page per student (generator.paper)
    families_dirs: tuple[Path, ...] = ()  # the course's family folders (families_dir)
    partial: PartialCredit = PartialCredit()  # [grading.partial]: credit per named mistake
    #: "fixed": every student's questions, boxes and bubbles on the same page at the same place
    #: (one question per page, answers at the bottom; for Gradescope); "flow": packed. The
    #: default is fixed unless questions are shuffled (a shuffled order cannot be fixed).
    layout: str = "flow"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    @cached_property
    def printed_digest(self) -> str:
        """The digest of what in the spec decides how a handout prints beyond its questions'
        texts (which the handout's digest covers one by one): not ``[grading]``, which prints
        nothing, nor a slot's ``params``, which print through its question's text. Partial
        credit set after the exam was printed (it lives in key.json, so it needs a rebuild)
        made every printed copy unreadable by scan, and a param pinned in one slot made the
        copies of students whose questions it left alone unreadable too."""
        try:
            data = dict(tomllib.loads(self.source.removeprefix("\ufeff")))
        except tomllib.TOMLDecodeError:  # a spec made in code, from no file
            return self.digest
        data.pop("grading", None)
        questions = data.get("questions")
        if isinstance(questions, list):
            data["questions"] = [
                {k: v for k, v in q.items() if k != "params"} if isinstance(q, dict) else q
                for q in questions
            ]
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def slots_for(self, seed: int, student_id: str) -> tuple[Slot, ...]:
        """The slots in the order this student's exam prints them."""
        if not self.shuffle_questions:
            return self.slots
        order = stream(seed, "student", student_id, "order").permutation(len(self.slots))
        return tuple(self.slots[int(i)] for i in order)


def shipped_specs() -> list[Path]:
    return sorted(SPECS_DIR.glob("*.toml"))


def spec_summary(path: Path) -> str:
    """``Title (7 questions)`` for `examgen list`, or why the spec does not load."""
    try:
        spec = load_spec(path)
    except ExamgenError as err:
        return f"(invalid: {err})"
    count = len(spec.slots)
    return f"{spec.title} ({count} question{'s' * (count != 1)})"


def _fail(path: Path, where: str, message: str) -> ExamgenError:
    return ExamgenError(f"{path}: {where}: {message}")


def _string(data: Mapping[str, Any], key: str, path: Path, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise _fail(path, key, f"must be a string, got {value!r}")
    control = unprintable(value)
    if control is not None:
        # TOML allows "\u0001"; XML 1.0 (Moodle, QTI) cannot hold it and no printer shows it.
        raise _fail(
            path,
            key,
            f"holds U+{ord(control):04X}, a control character no export can hold; remove it",
        )
    return value


def spec_file(path: Path) -> Path:
    """``path``, or the shipped spec it names when no such file exists: ``lecture-14-practice``
    (or ``lecture-14-practice.toml``), as `examgen list` shows the shipped specs, which said
    "spec file not found" and sent the user to that very list."""
    try:
        if path.exists() or path.parent != Path("."):
            return path
    except OSError:  # a name too long to look up: load_spec says so
        return path
    shipped = SPECS_DIR / f"{path.name.removesuffix('.toml')}.toml"
    return shipped if shipped.is_file() else path


def load_spec(path: Path | str) -> Spec:
    path = spec_file(Path(path))
    try:
        data = read_input(path, "spec")
        source = data.decode("utf-8")
    except FileNotFoundError:
        raise ExamgenError(
            f"{path}: spec file not found; `examgen list` shows the shipped specs"
        ) from None
    except UnicodeDecodeError as err:
        raise not_utf8(path, data, err, TOML_UTF8_FIX.format(what="spec")) from None
    source = source.removeprefix("\ufeff")  # Windows editors save UTF-8 with a byte-order mark
    data = parse_toml(path, source, "an exam spec")
    dated = _first_date(data)
    if dated is not None:
        where, value = dated
        raise _fail(
            path,
            where,
            f"is the TOML date or time {value.isoformat()}, and no field takes one; "
            f'put it in quotes ("{value.isoformat()}") to have text',
        )
    return parse_spec(data, path, source)


def _first_date(value: Any, where: str = "") -> tuple[str, datetime.date | datetime.time] | None:
    """Where the spec holds a TOML date or time (``date = 2026-12-01`` unquoted), and which: no
    field takes one, and Python's ``datetime.date(2026, 12, 1)`` in an error reads as noise."""
    if isinstance(value, datetime.date | datetime.time):
        return where, value
    if isinstance(value, Mapping):
        items = ((f"{where}.{key}" if where else str(key), item) for key, item in value.items())
    elif isinstance(value, list):
        items = ((f"{where}[{i}]", item) for i, item in enumerate(value, start=1))
    else:
        return None
    for at, item in items:
        found = _first_date(item, at)
        if found is not None:
            return found
    return None


def parse_spec(data: Mapping[str, Any], path: Path, source: str = "") -> Spec:
    unknown = sorted(set(data) - TOP_LEVEL_FIELDS)
    if unknown:
        raise _fail(path, unknown[0], f"unknown field; expected some of {sorted(TOP_LEVEL_FIELDS)}")
    exam_id = _string(data, "id", path, path.stem)
    # Without an id the file's name is the exam's: say so, or "id" names a field not written.
    named = "" if "id" in data else ' (taken from the file name: add id = "…" to the spec)'
    if not exam_id or not all(c.isalnum() or c in "-_." for c in exam_id):
        raise _fail(path, "id", f"{exam_id!r} must be letters, digits, '-', '_' or '.'{named}")
    if not exam_id[0].isalnum():  # ".quiz-seed1" would be hidden, "-rf-seed1" an option
        raise _fail(path, "id", f"{exam_id!r} must start with a letter or digit{named}")
    if len(exam_id.encode("utf-8")) > MAX_ID_LENGTH:
        raise _fail(
            path,
            "id",
            f"too long ({len(exam_id)} characters); at most {MAX_ID_LENGTH} bytes in UTF-8 "
            "(it names the exam folder and the export files)",
        )
    dirs = _families_dirs(data, path)
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise _fail(path, "questions", "add at least one [[questions]] table with a family")
    slots = tuple(_parse_slot(q, i, path, dirs) for i, q in enumerate(questions, start=1))
    shuffle = data.get("shuffle_questions", False)
    if not isinstance(shuffle, bool):
        raise _fail(path, "shuffle_questions", f"must be true or false, got {shuffle!r}")
    answer_sheet = data.get("answer_sheet", False)
    if not isinstance(answer_sheet, bool):
        raise _fail(path, "answer_sheet", f"must be true or false, got {answer_sheet!r}")
    layout = data.get("layout", "flow" if shuffle else "fixed")
    if layout not in LAYOUTS:
        raise _fail(path, "layout", f'must be "fixed" or "flow", got {layout!r}')
    if layout == "fixed" and shuffle:
        raise _fail(
            path,
            "layout",
            "a fixed layout and shuffle_questions = true exclude each other (every student "
            "must have each question in the same place); drop one of them",
        )
    rule, partial = parse_grading(data.get("grading"), f"{path}: grading")
    check_names(partial, [f for slot in slots for f in slot.candidates], f"{path}: grading.partial")
    return Spec(
        id=exam_id,
        title=_string(data, "title", path, exam_id),
        course=_string(data, "course", path, ""),
        date=_string(data, "date", path, ""),
        instructions=_string(data, "instructions", path, ""),
        slots=slots,
        source=source,
        path=path,
        shuffle_questions=shuffle,
        grading=rule,
        families_dirs=dirs,
        partial=partial,
        answer_sheet=answer_sheet,
        layout=layout,
    )


def _families_dirs(data: Mapping[str, Any], path: Path) -> tuple[Path, ...]:
    """``families_dir``: the course's family folders, relative to the spec file; the families
    there join the built-in ones (and those in ``EXAMGEN_FAMILIES``)."""
    if "families_dir" not in data:
        return ()
    raw = data["families_dir"]
    if not isinstance(raw, str) or not raw.strip():
        raise _fail(path, "families_dir", f'must be a folder path such as "families", got {raw!r}')
    folder = (path.parent / raw).resolve()
    if not folder.is_dir():
        raise _fail(
            path,
            "families_dir",
            f"{folder} is not a folder; give the folder that holds the "
            "course's family folders, relative to the spec file",
        )
    try:
        registry((folder,))
    except ExamgenError as err:
        raise _fail(path, "families_dir", str(err)) from None
    return (folder,)


def _parse_slot(raw: Any, number: int, path: Path, dirs: tuple[Path, ...]) -> Slot:
    where = f"questions[{number}]"
    if not isinstance(raw, Mapping):
        raise _fail(path, where, "must be a table ([[questions]])")
    unknown = sorted(set(raw) - SLOT_FIELDS)
    if unknown:
        raise _fail(
            path, f"{where}.{unknown[0]}", f"unknown field; expected some of {sorted(SLOT_FIELDS)}"
        )
    given = [key for key in CHOOSERS if key in raw]
    if len(given) != 1:
        raise _fail(
            path,
            f"{where}.{given[1] if given else 'family'}",
            'give exactly one of family = "…", tags = [...] or families = [...]'
            + ("" if given else "; `examgen list` shows families and tags"),
        )
    form = raw.get("form")
    if form is not None and form not in FORMS:
        raise _fail(
            path, f"{where}.form", f"must be one of {', '.join(map(repr, FORMS))}, got {form!r}"
        )
    points = raw.get("points", 1)
    if (
        isinstance(points, bool)
        or not isinstance(points, int | float)
        or not math.isfinite(points)
        or points <= 0
    ):
        raise _fail(path, f"{where}.points", f"must be a positive number, got {points!r}")
    if points > MAX_POINTS or decimal.Decimal(str(points)).as_tuple().exponent < -POINTS_PLACES:
        raise _fail(
            path,
            f"{where}.points",
            f"must be at most {MAX_POINTS:,} with at most {POINTS_PLACES} decimal places (what "
            f"the scores CSV shows exactly), got {points!r}",
        )
    space = raw.get("space")
    if space is not None and not (isinstance(space, str) and SPACE_RE.fullmatch(space)):
        raise _fail(
            path, f"{where}.space", f'must be a length like "3in", "8cm" or "40mm", got {space!r}'
        )
    if space is not None and _inches(space) > MAX_SPACE_INCHES:
        raise _fail(
            path,
            f"{where}.space",
            f"{space} is taller than a page ({MAX_SPACE_INCHES}in of letter paper); give the "
            'question less space, e.g. "4in"',
        )
    params = raw.get("params", {})
    if not isinstance(params, Mapping):
        raise _fail(path, f"{where}.params", 'must be a table, e.g. params = { eta = "1/2" }')

    if "family" in raw:
        if not isinstance(raw["family"], str):
            raise _fail(
                path, f"{where}.family", f"must be a family ID string, got {raw['family']!r}"
            )
        try:
            family = with_form(get_family(raw["family"], dirs), form)
        except ExamgenError as err:
            field_name = "form" if raw["family"] in registry(dirs) else "family"
            raise _fail(path, f"{where}.{field_name}", str(err)) from None
        family = _with_difficulty(family, raw, path, where)
        pinned = {}
        try:
            pinned = family.parse_params(params)
            if pinned or family.work_band is not None:
                # Pinned values (or a band) that leave no acceptable variant fail here, not
                # mid-build.
                family.generate(stream(0, "spec-check", number), pinned)
        except ExamgenError as err:
            blame = "params" if pinned or params else "difficulty"
            raise _fail(path, f"{where}.{blame}", str(err)) from None
        return Slot(number, family, points, pinned, form=form, space=space)

    if params:
        raise _fail(
            path, f"{where}.params", 'pinned params need a single family (family = "…"), not a pool'
        )
    key = given[0]
    pool = (
        _tag_pool(raw[key], form, path, f"{where}.tags", dirs)
        if key == "tags"
        else _named_pool(raw[key], form, path, f"{where}.families", dirs)
    )
    pool = tuple(_with_difficulty(f, raw, path, where) for f in pool)
    return Slot(number, None, points, {}, pool=pool, form=form, space=space)


def _inches(space: str) -> float:
    """A ``SPACE_RE`` length in inches."""
    number = space.rstrip("abcdefghijklmnopqrstuvwxyz")
    return float(number) * _UNIT_INCHES[space[len(number) :]]


def _with_difficulty(family: Family, raw: Mapping[str, Any], path: Path, where: str) -> Family:
    """The family held to the slot's ``difficulty``."""
    if "difficulty" not in raw:
        return family
    try:
        return family.with_difficulty(work_band(family, raw["difficulty"]))
    except ValueError as err:
        raise _fail(path, f"{where}.difficulty", str(err)) from None


def band_text(band: tuple[int, int]) -> str:
    """A band of work as ``preview --difficulty`` takes it (``14-20``): how check's hints name
    a spec slot's difficulty."""
    return "{}-{}".format(*band)


def band_value(text: str) -> str | list[int]:
    """``preview --difficulty``'s text as a spec's ``difficulty`` value (``work_band`` judges
    it): ``14-20`` (``band_text``) is the range [14, 20], anything else a band's name."""
    band = re.fullmatch(r"(\d{1,9})-(\d{1,9})", text, re.ASCII)
    return [int(band[1]), int(band[2])] if band else text


def work_band(family: Family, value: Any) -> tuple[int, int]:
    """The inclusive band of work ``value`` names for ``family``: one of its ``WORK_BANDS`` by
    name, or a ``[least, most]`` range of its work measure (a spec's ``difficulty``, and
    ``preview --difficulty``, which check's hints use to show a slot's own variants)."""
    bands = dict(family.WORK_BANDS)
    if not bands:
        raise ValueError(
            f"family {family.ID} declares no work measure to keep within a band; drop difficulty"
        )
    names = ", ".join(f"{name!r} {low}–{high}" for name, (low, high) in bands.items())
    if isinstance(value, str):
        if value not in bands:
            raise ValueError(f"family {family.ID} has the bands {names}; got {value!r}")
        return bands[value]
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 < value[0] <= value[1]
    ):
        if band_too_wide(value[0], value[1]):
            raise ValueError(f"{value!r}: {wide_band_fix(value[0], value[1])}")
        return (value[0], value[1])
    raise ValueError(
        f'must be a band name or a range [least, most] of work, such as "standard" or [14, 20]; '
        f"family {family.ID} has {names}; got {value!r}"
    )


def _string_list(value: Any, path: Path, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise _fail(path, where, f"must be a non-empty list of strings, got {value!r}")
    if len(set(value)) != len(value):
        raise _fail(path, where, f"lists {next(v for v in value if value.count(v) > 1)!r} twice")
    return value


def _tag_pool(
    tags: Any, form: str | None, path: Path, where: str, dirs: tuple[Path, ...]
) -> tuple[Family, ...]:
    """Every family carrying all of ``tags`` (that can be asked in ``form``), in registry order."""
    families = list(registry(dirs).values())
    known = sorted({t for f in families for t in f.TAGS}, key=str.lower)
    for tag in _string_list(tags, path, where):
        if not any(tag in f.TAGS for f in families):
            raise _fail(
                path, where, f"no family is tagged {tag!r}; tags in use: {', '.join(known)}"
            )
    tagged = [f for f in families if all(t in f.TAGS for t in tags)]
    if not tagged:
        raise _fail(path, where, f"no family carries all of {tags!r}; use fewer tags")
    pool = tuple(with_form(f, form) for f in tagged if supports_form(f, form))
    if not pool:
        raise _fail(
            path,
            f"{where[: -len('tags')]}form",
            f"no family tagged {tags!r} can be asked as {form!r}",
        )
    return pool


def _named_pool(
    names: Any, form: str | None, path: Path, where: str, dirs: tuple[Path, ...]
) -> tuple[Family, ...]:
    pool = []
    for i, name in enumerate(_string_list(names, path, where)):
        try:
            pool.append(with_form(get_family(name, dirs), form))
        except ExamgenError as err:
            raise _fail(path, f"{where}[{i}]", str(err)) from None
    return tuple(pool)
