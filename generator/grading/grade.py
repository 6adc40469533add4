"""Scores from typed responses and a build's key: ``examgen grade KEY_DIR RESPONSES.csv``.

Every response is read exactly (``generator.responses``) and compared with the student's own key
entry under the key's decimal rule; a vector earns credit per component. Responses that cannot be
read score 0 and are listed with the reason, never guessed at. Per question, the statistics say how
the class did and which wrong answers were common; a wrong answer that equals one of the family's
named misconceptions for that student's variant (``Family.misconceptions``) is reported under the
misconception's name, which is comparable across students although their numbers differ.

Students in the key without a response row get an empty row in scores.csv (no score, not a zero:
they may have sat the exam elsewhere) and a warning; rows for students not in the key are reported
and left out, and a file with no student of the key at all is refused: it was meant for another
exam's key.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sympy

from generator.choices import LETTERS
from generator.csv_table import student_csv
from generator.errors import ExamgenError, clip_words, some_of
from generator.exact import points_text
from generator.families.base import Variant
from generator.files import (
    content_digest,
    file_digest,
    file_start,
    output_errors,
    refuse_replacing_unowned,
    write_atomic_set,
)
from generator.grading.analysis import (
    CHART,
    REPORT,
    STATS,
    companion_path,
    mistake_chart,
    report_markdown,
    with_item_analysis,
)
from generator.grading.hand_marks import HandMarks, read_hand_marks
from generator.grading.keyfile import (
    Key,
    KeyQuestion,
    changed_course_families,
    load_key,
    rebuild,
    unknown_families,
)
from generator.grading.response_file import ResponseRow, ResponseTable, read_responses
from generator.manifest import MANIFEST_NAME
from generator.partial_credit import PartialCredit, with_mistake_credit
from generator.responses import (
    DecimalRule,
    Reading,
    Unreadable,
    credit,
    matches,
    read_response,
    reading_text,
    visible,
)

Status = Literal["correct", "partial", "wrong", "blank", "unreadable"]
STATUSES: tuple[Status, ...] = ("correct", "partial", "wrong", "blank", "unreadable")
TOP_WRONG = 5
NO_PARTIAL = PartialCredit()


@dataclass(frozen=True)
class Mark:
    """One student's response to one question, read and scored."""

    student_id: str
    number: int
    family: str
    typed: str
    status: Status
    credit: sympy.Rational
    points: sympy.Rational  # earned
    reading: str = ""  # canonical form of what was read
    misconceptions: tuple[str, ...] = ()
    reason: str = ""  # why it is unreadable
    credited: str = ""  # the named mistake whose partial credit ([grading.partial]) it earned
    hand: bool = False  # points a TA gave by hand (``--marks``), not read from ``typed``


@dataclass
class QuestionStats:
    """One slot of the exam: the same question (family or pool) for every student, wherever
    a shuffled exam printed it."""

    slot: int
    columns: list[str]  # the response columns it was answered in: ["q1"], or several if shuffled
    families: list[str]
    points: float  # the most a student could earn (the largest, if they differ)
    graded: int = 0
    mean: float = 0.0
    share_correct: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    misconceptions: dict[str, int] = field(default_factory=dict)
    wrong_answers: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "columns": self.columns,
            "families": self.families,
            "points": self.points,
            "graded": self.graded,
            "mean": self.mean,
            "share_correct": self.share_correct,
            "counts": self.counts,
            "misconceptions": self.misconceptions,
            "wrong_answers": self.wrong_answers,
        }


@dataclass
class GradeReport:
    key: Key
    rule: DecimalRule
    numbers: list[int]
    marks: dict[str, dict[int, Mark]]  # student ID → question number → mark
    missing: list[str]  # in the key, no response row
    unknown: list[str]  # a response row, not in the key
    warnings: list[str]
    stats: list[QuestionStats]

    def unreadable(self) -> list[Mark]:
        return [m for per in self.marks.values() for m in per.values() if m.status == "unreadable"]

    def total(self, student_id: str) -> sympy.Rational:
        return sum((m.points for m in self.marks[student_id].values()), sympy.Integer(0))


# --- scoring --------------------------------------------------------------------------------------
def misconception_values(question: KeyQuestion) -> dict[str, Any]:
    """The named wrong answers of this student's variant, as answer values; none if unknown.

    A multiple-choice entry's params list the source of each letter in printed order
    (``"choices": ["sign-flipped", "correct", …]``: a misconception name or a bank id), so a wrong
    letter is named from the key alone. Otherwise the variant is rebuilt from its params and the
    family asked (``Family.misconceptions``).
    """
    if names_from_key(question):
        return {
            str(source): LETTERS[i]
            for i, source in enumerate(question.params["choices"][: len(LETTERS)])
            if LETTERS[i] != question.answer.value
        }
    variant = rebuilt_variant(question)
    if variant is None:
        return {}
    return dict(variant.family.misconceptions(variant.params, variant.solution))


def names_from_key(question: KeyQuestion) -> bool:
    """Whether the key alone names this question's mistakes (a multiple-choice entry listing
    the source of each letter); else the family must rebuild the variant."""
    return question.answer.kind == "choice" and isinstance(question.params.get("choices"), list)


def option_letters(question: KeyQuestion) -> str:
    """The letters printed for a multiple-choice question, one per source its key lists in
    printed order; empty when the key does not say."""
    return LETTERS[: len(question.params["choices"])] if names_from_key(question) else ""


def check_option(reading: Reading, question: KeyQuestion) -> None:
    """A letter beyond the question's options (``F`` of A–D) is no answer the student could
    have bubbled: unreadable, listed like ``A,B``, not scored as an ordinary wrong answer."""
    letters = option_letters(question)
    if letters and isinstance(reading, str) and reading not in letters:
        raise Unreadable(f"is not one of the question's options {letters[0]}–{letters[-1]}")


def rebuilt_variant(question: KeyQuestion) -> Variant | None:
    """The student's variant rebuilt from the key's params, or ``None`` if the family is unknown
    here or has changed since the build (it no longer gives the key's answer from those params:
    its misconceptions would mislead)."""
    variant = rebuild(question)
    if variant is None:
        return None
    rebuilt = variant.solution.answer
    if (rebuilt.kind, rebuilt.value) != (question.answer.kind, question.answer.value):
        return None
    return variant


def mark(
    student_id: str,
    question: KeyQuestion,
    typed: str,
    rule: DecimalRule,
    partial: PartialCredit = NO_PARTIAL,
) -> Mark:
    base = {
        "student_id": student_id,
        "number": question.number,
        "family": question.family,
        "typed": typed,
    }
    zero = sympy.Integer(0)
    if not visible(typed).strip():  # a zero-width space alone is blank, as on the practice page
        return Mark(**base, status="blank", credit=zero, points=zero)
    kind, value = question.answer.kind, question.answer.value
    try:
        reading: Reading = read_response(typed, kind, question.size)
        check_option(reading, question)
    except Unreadable as err:
        return Mark(**base, status="unreadable", credit=zero, points=zero, reason=str(err))
    share = credit(reading, kind, value, rule)
    status: Status = "correct" if share == 1 else "partial" if share > 0 else "wrong"
    names: tuple[str, ...] = ()
    if status != "correct":
        names = tuple(
            name
            for name, wrong in misconception_values(question).items()
            if matches(reading, kind, wrong, rule)
        )
    share, credited = with_mistake_credit(share, names, partial)
    if credited:
        status = "partial"
    return Mark(
        **base,
        status=status,
        credit=share,
        points=share * question.points,
        reading=reading_text(reading),
        misconceptions=names,
        credited=credited,
    )


def hand_mark(student_id: str, question: KeyQuestion, typed: str, given: sympy.Rational) -> Mark:
    """Points a TA gave by hand: correct at full points, wrong at none, partial between."""
    share = given / question.points if question.points else sympy.Integer(0)
    status: Status = "correct" if share == 1 else "wrong" if share == 0 else "partial"
    return Mark(
        student_id, question.number, question.family, typed, status, share, given, hand=True
    )


def grade(
    key: Key,
    table: ResponseTable,
    rule: DecimalRule | None = None,
    hand: HandMarks | None = None,
    left: tuple[Path, Collection[tuple[str, int]]] | None = None,
) -> GradeReport:
    """Score every response; a hand mark (``hand``) scores its question instead of the typed
    cell, which is normally empty there (a typed answer it overrides is a warning). ``left``: the
    review.csv of the scan that wrote the responses and the cells it left empty for review
    (``generator.paper.scan.left_for_review``), which are told apart from blank answers."""
    rule = rule or key.rule
    numbers = key.numbers()
    warnings = list(table.warnings)
    given = hand.points if hand else {}
    if hand:
        warnings.extend(hand.warnings)
    unknown_here = unknown_families(key)
    for family_id, folder in changed_course_families(key):
        warnings.append(
            f"{key.path.with_name(MANIFEST_NAME)}: family {family_id!r} changed since the build "
            f"({folder}), so wrong answers are matched to the named mistakes of its code as it "
            "is now; grade with the course folder as it was at the build"
        )
    for family_id in unknown_here:
        warnings.append(
            f"{key.path}: family {family_id!r} is not known here, so wrong answers are not "
            "matched to its named mistakes; give its course folder with --families DIR "
            "(or EXAMGEN_FAMILIES)"
        )

    # Rows by the key's ID of their student (the same once Unicode normalisation and invisible
    # characters are set aside, as the build tells students apart).
    by_id: dict[str, ResponseRow] = {}
    unknown_rows = []
    for row in table.rows:
        student = key.student(row.student_id)
        if student is None:
            unknown_rows.append(row)
        else:
            by_id[student.id] = row
    unknown = [row.student_id for row in unknown_rows]
    warnings.extend(unknown_student_warnings(table.path, key, unknown_rows))
    if unknown_rows and len(unknown_rows) == len(table.rows) and not given:
        first = unknown_rows[0]
        shown, hint = key.unknown_id(first.student_id)
        raise ExamgenError(
            f"{table.path}: none of its {len(unknown_rows)} students is in the key {key.path} "
            f"(line {first.line}: {shown}{hint}); grade it against "
            "its own exam's key, or mend its IDs (a spreadsheet may have dropped leading zeros)"
        )

    marks: dict[str, dict[int, Mark]] = {}
    missing = []
    renamed: list[str] = []
    for student in key.students:
        row = by_id.get(student.id)
        own = given.get(student.id, {})
        if row is None and not own:
            missing.append(student.id)
            continue
        if row and row.name and student.name and row.name.casefold() != student.name.casefold():
            renamed.append(
                f"line {row.line}: name {row.name!r} differs from the key's {student.name!r} "
                f"for {student.id!r}"
            )
        typed_answers = row.answers if row else {}
        marks[student.id] = {}
        for q in student.questions:
            typed = typed_answers.get(q.number, "")
            if q.number in own:
                if visible(typed).strip() and hand:
                    warnings.append(
                        f"{hand.path}: q{q.number} of {student.id!r}: the hand mark "
                        f"{points_text(own[q.number])} is used, not the typed response {typed!r}"
                    )
                marks[student.id][q.number] = hand_mark(student.id, q, typed, own[q.number])
            else:
                marks[student.id][q.number] = mark(student.id, q, typed, rule, key.partial)
    warnings.extend(name_warnings(table.path, renamed))
    warnings.extend(another_build_warning(table.path, key, marks))
    warnings.extend(unmatched_mistake_warnings(key, marks, unknown_here))
    if missing:
        warnings.append(
            f"{len(missing)} student{'s' * (len(missing) != 1)} in the key "
            f"{'have' if len(missing) != 1 else 'has'} no responses and no score: "
            f"{some_of(missing)}"
        )
    report = GradeReport(key, rule, numbers, marks, missing, unknown, warnings, [])
    slots = sorted({q.slot for s in key.students for q in s.questions})
    report.stats = [question_stats(key, report, slot) for slot in slots]
    review, waiting = left or (None, ())
    for n in numbers:
        blank = [sid for sid, m in marks.items() if n in m and m[n].status == "blank"]
        empty = [sid for sid in blank if (sid, n) in waiting]
        blank = [sid for sid in blank if (sid, n) not in waiting]
        if blank:
            warnings.append(
                f"q{n}: {len(blank)} blank response{'s' * (len(blank) != 1)} ({some_of(blank)})"
            )
        if empty:
            warnings.append(
                f"q{n}: {len(empty)} response{'s' * (len(empty) != 1)} left empty by scan for "
                f"review ({some_of(empty)}), scored 0: see {review}, then type the answers into "
                f"{table.path} or give the points with --marks"
            )
    return report


#: Students not in the key are named a line each up to this many, then summed up in one line:
#: a wrong file of 200,000 rows printed 200,000 lines, and the first, which says what is wrong,
#: scrolled away.
UNKNOWN_WARNINGS = 10


def unknown_student_warnings(path: Path, key: Key, rows: Sequence[ResponseRow]) -> list[str]:
    """Rows whose student is not in the key, each with the key's IDs that read alike
    (spreadsheets change case and drop leading zeros: "00123" → "123"), the first few a line
    each."""
    lines = []
    for row in rows[:UNKNOWN_WARNINGS]:
        shown, hint = key.unknown_id(row.student_id)
        lines.append(
            f"{path}: line {row.line}: student {shown} is not in the key{hint}; not graded"
        )
    rest = rows[UNKNOWN_WARNINGS:]
    if rest:
        more = some_of([str(row.line) for row in rest], 5)
        lines.append(
            f"{path}: {len(rest)} more students are not in the key (lines {more}); not graded"
        )
    return lines


#: Typed number and vector answers (read, none right) from which grade says the responses look
#: like another build's: a class gets some of them right, whereas another seed's answers are
#: right by chance only in a vector's component now and then.
ANOTHER_BUILD_ANSWERS = 20


def another_build_warning(
    path: Path, key: Key, marks: Mapping[str, Mapping[int, Mark]]
) -> list[str]:
    """A warning when many number and vector answers were read and none is right: the responses
    (or a key.csv) of another seed of the same exam were graded silently, every student near
    zero (an outside review). Choices and true/false are guessed right by chance alike, so they
    tell nothing."""
    read = right = 0
    for student in key.students:
        for q in student.questions:
            given = marks.get(student.id, {}).get(q.number)
            if given is None or given.hand or q.answer.kind not in ("number", "vector"):
                continue
            if given.status in ("correct", "partial", "wrong"):
                read += 1
                right += given.status == "correct"
    if read < ANOTHER_BUILD_ANSWERS or right:
        return []
    return [
        f"{path}: none of its {read} number and vector answers is right for {key.path}, "
        "where a class gets some right; were these answers to another build "
        "of the exam (another seed or spec)? grade them against that build's folder"
    ]


#: Names that differ from the key's are listed one per line up to this many, then summed up.
NAME_WARNINGS = 3


def name_warnings(path: Path, renamed: Sequence[str]) -> list[str]:
    """A few names that differ from the key's, a line each; many (a roster with the names
    written another way, "Lee, Ann" for "Ann Lee") as one line, not one per student."""
    if len(renamed) <= NAME_WARNINGS:
        return [f"{path}: {line}; check the ID" for line in renamed]
    return [
        f"{path}: {len(renamed)} names differ from the key's (check the IDs, or ignore this if "
        f"the names are only written another way): {some_of(list(renamed), NAME_WARNINGS)}"
    ]


def unmatched_mistake_warnings(
    key: Key, marks: Mapping[str, Mapping[int, Mark]], unknown_here: Sequence[str]
) -> list[str]:
    """Wrong responses that could not be matched to named mistakes: an error when the family is
    unknown here and [grading.partial] could have given them credit (the scores would be lower
    than with its course folder), else a warning per question whose family rebuilds another
    answer from the key's params than the key holds (examgen or the course folder changed since
    the build). On main both lost partial credit without a word."""
    stale: Counter[tuple[int, str]] = Counter()
    for student in key.students:
        for q in student.questions:
            given = marks.get(student.id, {}).get(q.number)
            if (
                given is None
                or given.status not in ("wrong", "partial")
                or given.hand
                or names_from_key(q)
            ):
                continue
            if q.family in unknown_here:
                if key.partial:
                    raise ExamgenError(
                        f"{key.path}: [grading.partial] gives credit for named mistakes, but "
                        f"family {q.family!r} is not known here, so the wrong answers to q"
                        f"{q.number} could not earn it; give its course folder with --families "
                        "DIR (or EXAMGEN_FAMILIES)"
                    )
            elif rebuilt_variant(q) is None:
                stale[(q.number, q.family)] += 1
    lost = " and earn no partial credit by [grading.partial]" if key.partial else ""
    return [
        f"{key.path}: q{number} ({family}): {count} wrong response{'s' * (count != 1)} not "
        f"matched to named mistakes{lost}: the family no longer gives the key's answer from "
        "the key's params (examgen or its course folder changed since the build); grade with "
        "the versions that built the exam"
        for (number, family), count in sorted(stale.items())
    ]


def _number(value: sympy.Rational) -> float | int:
    return int(value) if value.q == 1 else round(float(value), 4)


def question_stats(key: Key, report: GradeReport, slot: int) -> QuestionStats:
    asked = {s.id: q for s in key.students for q in s.questions if q.slot == slot}
    questions = list(asked.values())
    marks = [report.marks[sid][q.number] for sid, q in asked.items() if sid in report.marks]
    stats = QuestionStats(
        slot=slot,
        columns=[f"q{n}" for n in sorted({q.number for q in questions})],
        families=sorted({q.family for q in questions}),
        points=_number(max(q.points for q in questions)),
        graded=len(marks),
    )
    found = Counter(m.status for m in marks)
    stats.counts = {status: found[status] for status in STATUSES if found[status]}
    if not marks:
        return stats
    stats.mean = round(float(sum(m.points for m in marks) / len(marks)), 4)
    stats.share_correct = round(stats.counts.get("correct", 0) / len(marks), 4)
    wrong = [m for m in marks if m.status in ("wrong", "partial") and not m.hand]
    stats.misconceptions = dict(
        Counter(" or ".join(m.misconceptions) for m in wrong if m.misconceptions).most_common()
    )
    groups: Counter[str] = Counter(m.reading for m in wrong)
    for answer, count in groups.most_common(TOP_WRONG):
        group = [m for m in wrong if m.reading == answer]
        names = sorted({" or ".join(m.misconceptions) for m in group if m.misconceptions})
        stats.wrong_answers.append(
            {
                "answer": answer,
                "count": count,
                "misconception": names[0] if len(names) == 1 else (names or None),
                "students": [m.student_id for m in group],
            }
        )
    return stats


# --- output ---------------------------------------------------------------------------------------
def scores_csv(report: GradeReport) -> str:
    def cells(student_id: str) -> list[str]:
        marks = report.marks.get(student_id)
        if marks is None:
            return [""] * (len(report.numbers) + 1)
        points = [points_text(marks[n].points) if n in marks else "" for n in report.numbers]
        return [*points, points_text(report.total(student_id))]

    return student_csv(
        [*(f"q{n}" for n in report.numbers), "total"],
        ((s.id, s.name, cells(s.id)) for s in report.key.students),
    )


def stats_json(report: GradeReport) -> dict[str, Any]:
    return {
        "exam": report.key.exam,
        "seed": report.key.seed,
        "grading": report.rule.to_json(),
        "graded": len(report.marks),
        "missing": report.missing,
        "unknown": report.unknown,
        "questions": [s.to_json() for s in report.stats],
        "unreadable": [
            {
                "id": m.student_id,
                "question": f"q{m.number}",
                "response": m.typed,
                "reason": m.reason,
            }
            for m in report.unreadable()
        ],
        "warnings": report.warnings,
    }


def summary_text(report: GradeReport) -> str:
    """The statistics for a terminal: one block per question."""
    lines = []
    possible = sum((q.points for q in report.key.students[0].questions), sympy.Integer(0))
    totals = [report.total(s) for s in report.marks]
    mean_total = sum(totals, sympy.Integer(0)) / len(totals) if totals else sympy.Integer(0)
    lines.append(
        f"Graded {len(report.marks)} of {len(report.key.students)} students; "
        f"mean {points_text(mean_total)} / {points_text(possible)} "
        f"(a decimal counts rounded correctly to {report.rule.describe()})"
    )
    for s in report.stats:
        counts = ", ".join(f"{k} {v}" for k, v in s.counts.items())
        where = (
            s.columns[0]
            if s.columns == [f"q{s.slot}"]
            else f"slot {s.slot} ({'/'.join(s.columns)})"
        )
        lines.append(
            f"{where} {', '.join(s.families)}: mean {s.mean:g} / {s.points:g}, "
            f"{s.share_correct:.0%} correct ({counts})"
        )
        for name, count in s.misconceptions.items():
            lines.append(f"    misconception {name}: {count}")
        for w in s.wrong_answers:
            label = w["misconception"]
            label = f" [{label if isinstance(label, str) else ' / '.join(label)}]" if label else ""
            lines.append(f"    wrong answer {w['answer']} ×{w['count']}{label}")
    unreadable = report.unreadable()
    if unreadable:
        lines.append(f"Unreadable responses (scored 0): {len(unreadable)}")
        for m in unreadable:
            lines.append(clip_words(f"    {m.student_id} q{m.number}: {m.typed!r} {m.reason}"))
    return "\n".join(lines) + "\n"


def stats_path(scores: Path) -> Path:
    return companion_path(scores, STATS)


def default_scores_path(responses: Path) -> Path:
    """``responses.scores.csv`` beside ``responses.csv``: grading two response files in one
    folder gives two score files (two named alike, ``quiz7.csv`` and ``quiz7.tsv``, are told
    apart by ``refuse_scores_of_other_responses``)."""
    return responses.with_name(responses.stem + ".scores.csv")


def build_folder(path: Path) -> Path | None:
    """The exam folder (it holds key.json and manifest.json) that is ``path`` or that ``path``
    lies in, if any."""
    resolved = path.resolve()
    for folder in (resolved, *resolved.parents):
        if (folder / "key.json").is_file() and (folder / MANIFEST_NAME).is_file():
            return folder
    return None


def refuse_build_output(path: Path, option: str, *, into_folder: bool = False) -> None:
    """Refuse an output that is an exam folder or lies in what a build writes there (its keys,
    manifest, PDFs, exams/, solutions/): it could replace a student's file (packets' q3.pdf over
    the exam of the student whose ID is q3), and a rebuild would delete it or stop at it. A new
    file or folder of the instructor's beside key.csv is fine: a rebuild carries it over.
    ``into_folder``: ``path`` is a folder the command writes a new entry into (build's exam
    folder, export's file), so the exam folder itself is fine too."""
    from generator.build import BUILD_ENTRIES  # only here: the build pulls in TeX and Jinja

    folder = build_folder(path)
    if folder is None:
        return
    inside = path.resolve().relative_to(folder).parts
    if not inside and into_folder:
        return
    if not inside:
        raise ExamgenError(
            f"{option} {path}: is the exam folder that examgen build wrote; choose another "
            "folder (a new one inside it is fine)"
        )
    if inside[0] in BUILD_ENTRIES:
        where = inside[0] if len(inside) == 1 else f"in {inside[0]}/"
        raise ExamgenError(
            f"{option} {path}: is {where} of the exam folder {folder}, which examgen build "
            "writes: writing there could overwrite the build's files and stop the next build; "
            "choose a path outside it"
        )


def check_out_path(
    out: Path,
    inputs: Sequence[Path],
    companions: Sequence[str] | None = None,
    own: Callable[[Path, Path], bool] | None = None,
) -> None:
    """Refuse to write over an input, over or into what a build wrote (a rebuild, a diff or
    another grader relies on it), or over any other existing file (the user's roster, notes):
    new files, and the command's own earlier outputs (``own``; by default grade's, with its
    ``companions`` files), are fine."""
    companions = GRADE_COMPANIONS if companions is None else companions
    written: Callable[[Path, Path], bool] = own or _written_by_grade
    for target in (out, *(companion_path(out, suffix) for suffix in companions)):
        if target.is_dir():  # before anything is written, so no output is left half done
            raise ExamgenError(
                f"--out {out}: {target.name} is a folder; give a file name"
                + ("" if target == out else f", or move the folder {target}")
            )
        resolved = target.resolve()
        for given in inputs:
            if resolved == given.resolve():
                raise ExamgenError(
                    f"--out {out}: would overwrite the input {given}; choose another file"
                )
        refuse_build_output(target, "--out")
        if own is None:
            refuse_changed_since_graded(target, out)
        refuse_replacing_unowned(target, lambda path: written(path, out), "--out", out)


#: The files grade writes beside the scores, by suffix.
GRADE_COMPANIONS = (STATS, REPORT, CHART)
#: How the statistics begin: grade knows them by it, and the others by their digests there.
STATS_START = b'{\n  "exam": '
#: The statistics' record of the other files of their run: each one's name and SHA-256.
WRITTEN_FIELD = "files"
#: The statistics' record of the responses file graded: ``{"file": its name}``.
SOURCE_FIELD = "responses"


def graded_files(out: Path) -> tuple[Path, ...]:
    """The files of a grading run that its statistics record (``WRITTEN_FIELD``)."""
    return (out, companion_path(out, REPORT), companion_path(out, CHART))


def file_digests(files: Mapping[Path, str | bytes]) -> dict[str, str]:
    """``WRITTEN_FIELD``'s value for files about to be written: name → SHA-256 of the bytes."""
    return {path.name: content_digest(data) for path, data in files.items()}


def _recorded(out: Path, name: str) -> Any:
    """Field ``name`` of the statistics beside ``out``, if grade wrote them; else ``None``."""
    stats = companion_path(out, STATS)
    if not file_start(stats, 16).startswith(STATS_START):
        return None
    try:
        data = json.loads(stats.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get(name) if isinstance(data, dict) else None


def _recorded_digest(path: Path, out: Path) -> str | None:
    """The SHA-256 that the statistics beside ``out`` record for ``path``, if they do."""
    recorded = _recorded(out, WRITTEN_FIELD)
    digest = recorded.get(path.name) if isinstance(recorded, dict) else None
    return digest if isinstance(digest, str) else None


def refuse_scores_of_other_responses(out: Path, responses: Path) -> None:
    """Default scores (``default_scores_path``) that another responses file's grading wrote:
    ``quiz7.csv`` and ``quiz7.tsv`` in one folder are both named ``quiz7.scores.csv``, and on
    main grading the second replaced the first's scores without a word. The statistics record
    the responses file graded (``SOURCE_FIELD``), so grading the other one stops, and ``--out``
    gives it scores of its own; grading the same file again replaces its scores as before (so
    do statistics written before the record, which cannot tell)."""
    recorded = _recorded(out, SOURCE_FIELD)
    graded = recorded.get("file") if isinstance(recorded, dict) else None
    if isinstance(graded, str) and graded != responses.name:
        own = f"{responses.stem}-{responses.suffix.lstrip('.') or 'responses'}.scores.csv"
        raise ExamgenError(
            f"{responses}: its scores would go to {out}, which holds the scores of {graded} "
            f"(named alike in the same folder), and replace them; give these scores a name of "
            f"their own with --out, e.g. --out {responses.with_name(own)}"
        )


def refuse_changed_since_graded(target: Path, out: Path) -> None:
    """Grade's own earlier scores, report or chart, edited since (a TA's regrade typed into the
    scores): grading again would put the computed scores back over the edits without a word."""
    if target not in graded_files(out) or not target.is_file():
        return
    recorded = _recorded_digest(target, out)
    if recorded is not None and recorded != file_digest(target):
        raise ExamgenError(
            f"--out {out}: {target} was changed after grade wrote it (scores corrected by "
            "hand?); grading again would lose the changes: move it away, or give another --out"
        )


def _written_by_grade(path: Path, out: Path) -> bool:
    """Whether ``path`` is a file grade wrote, as it wrote it: the scores, report and chart as
    their statistics record them (a file that only begins like grade's, a gradebook with the
    scores' header, is the user's), the statistics by how they begin. Any other file is the
    user's, never replaced."""
    if path == companion_path(out, STATS):
        return file_start(path).startswith(STATS_START)
    if path in graded_files(out):
        recorded = _recorded_digest(path, out)
        return recorded is not None and recorded == file_digest(path)
    return False


def key_as_responses_warning(table: ResponseTable, key: Key) -> list[str]:
    """A warning when the responses are the exam's own key.csv, or a copy of its rows (saved
    again by a spreadsheet: other line ends, separators, a BOM): grading it is a fair check of
    the key (every student scores full marks), but graded by mistake for a class's answers,
    the scores would look like a perfect class, with nothing said."""
    try:
        own = read_responses(key.path.with_name("key.csv"), key.numbers())
    except (ExamgenError, OSError):
        return []
    if _typed(table) != _typed(own):
        return []
    return [
        f"{table.path}: these are the rows of the exam's own key.csv, so every student scores "
        "full marks (a check of the key, not a class's answers); grade the responses from "
        "examgen scan or your LMS"
    ]


def _typed(table: ResponseTable) -> list[tuple[str, dict[int, str]]]:
    return [(row.student_id, row.answers) for row in table.rows]


def grade_files(
    key_dir: Path,
    responses: Path,
    out: Path | None = None,
    decimals: int | None = None,
    significant: int | None = None,
    families_dirs: Sequence[Path] = (),
    marks: Path | None = None,
    id_column: str | None = None,
) -> tuple[GradeReport, Path]:
    """Grade, then write the scores CSV (default: ``<responses>.scores.csv`` beside the
    responses) and its ``.stats.json``.

    ``decimals`` / ``significant`` override the key's rule (from the spec's ``[grading]``);
    ``families_dirs`` are the course family folders the key's families live in; ``marks`` a
    CSV of hand marks (``generator.grading.hand_marks``) merged in."""
    key = load_key(key_dir, families_dirs)
    rule = DecimalRule(
        key.rule.decimals if decimals is None else decimals,
        key.rule.significant if significant is None else significant,
    )
    table = read_responses(
        Path(responses),
        key.numbers(),
        may_be_empty=marks is not None,
        id_column=id_column,
        kinds=key.answer_kinds,
    )
    table.warnings.extend(key_as_responses_warning(table, key))
    if out is None:
        out = default_scores_path(Path(responses))
        refuse_scores_of_other_responses(out, Path(responses))
    out = Path(out)
    hand = read_hand_marks(Path(marks), key) if marks is not None else None
    inputs = [Path(responses), key.path, key.path.with_name("key.csv")]
    check_out_path(out, inputs + ([Path(marks)] if marks is not None else []))
    if out.suffix.lower() != ".csv":  # a spreadsheet reads ok.tsv's commas as one column
        raise ExamgenError(
            f"--out {out}: grade writes comma-separated scores, which a spreadsheet reads by a "
            f".csv name; name the file {out.with_suffix('.csv').name}"
        )
    from generator.paper.scan import left_for_review  # scan imports grade

    report = grade(key, table, rule, hand, left_for_review(Path(responses), key.path.parent))
    stats = with_item_analysis(stats_json(report), report)
    scores, report_md, chart = graded_files(out)
    files: dict[Path, str | bytes] = {
        scores: scores_csv(report),
        report_md: report_markdown(stats),
        chart: mistake_chart(stats),
    }
    # The statistics record the others' digests: the next run replaces them only as written;
    # and the responses graded: another file's default scores never replace them.
    stats[WRITTEN_FIELD] = file_digests(files)
    stats[SOURCE_FIELD] = {"file": Path(responses).name}
    with output_errors(out):
        # One set: new scores never stand beside the last run's statistics or report.
        write_atomic_set(
            {**files, stats_path(out): json.dumps(stats, indent=2, ensure_ascii=False) + "\n"}
        )
    return report, out
