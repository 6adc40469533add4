"""Item analysis after a class has answered: which questions, statements and distractors work.

Per question (slot): its **difficulty**, the share of graded students who answered it correctly;
its **discrimination**, the point-biserial correlation between a student's credit on it (0 or 1,
a share for partial credit) and their score on the *rest* of the test (total minus this question,
so a question does not correlate with itself); and how often each named mistake was made (and
credited, under ``[grading.partial]``). Per bank statement of a true/false question, the same for
the students who got that statement; per option of a multiple-choice question (a bank statement
or a named mistake), how often it was shown and chosen, and the correlation between choosing it
and the rest score (a good distractor draws weaker students: negative).

An item with discrimination below ``REVIEW_BELOW`` is flagged for review, as R/exams and
PrairieLearn users do before reusing it. Every output is named after the scores file
(``companion_path``): ``scores.stats.json`` gains these fields, ``scores.report.md`` shows them as
tables and ``scores.mistakes.png`` charts the mistakes per question (matplotlib is imported only
here, when a chart is written).
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.choices import LETTERS

if TYPE_CHECKING:
    from generator.grading.grade import GradeReport, Mark

STATS = ".stats.json"
REPORT = ".report.md"
CHART = ".mistakes.png"
#: Items whose discrimination is below this are flagged for review.
REVIEW_BELOW = 0.2


def companion_path(scores: Path, suffix: str) -> Path:
    """``scores.csv`` → ``scores.stats.json`` / ``scores.report.md`` / ``scores.mistakes.png``."""
    scores = Path(scores)
    return scores.with_name(scores.stem + suffix)


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r (the point-biserial when ``xs`` is 0/1); ``None`` when either side is constant
    or there are fewer than two students, since then it says nothing."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def item_analysis(report: GradeReport) -> dict[int, dict[str, Any]]:
    """Slot → its item statistics (merged into that question's entry of scores.stats.json)."""
    totals = {sid: float(report.total(sid)) for sid in report.marks}
    asked = {
        (s.id, q.slot): q for s in report.key.students for q in s.questions if s.id in report.marks
    }
    slots = [stats.slot for stats in report.stats]
    result = {}
    for slot in slots:
        rows = [
            (q, report.marks[sid][q.number], totals[sid])
            for (sid, s), q in asked.items()
            if s == slot
        ]
        result[slot] = _slot_analysis(rows)
    return result


def _rest(mark: Mark, total: float) -> float:
    return total - float(mark.points)


def _slot_analysis(rows: list[tuple[Any, Mark, float]]) -> dict[str, Any]:
    marks = [m for _, m, _ in rows]
    rests = [_rest(m, t) for _, m, t in rows]
    correct = sum(m.status == "correct" for m in marks)
    mistakes: Counter[str] = Counter()
    credited: Counter[str] = Counter()
    for m in marks:
        if m.status in ("wrong", "partial"):
            mistakes.update(m.misconceptions)
        if m.credited:
            credited[m.credited] += 1
    analysis: dict[str, Any] = {
        "difficulty": _share(correct, len(marks)),
        "discrimination": _round(correlation([float(m.credit) for m in marks], rests)),
        "mistakes": dict(sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0]))),
        "credited": dict(sorted(credited.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
    analysis["review"] = _review(analysis["discrimination"])
    statements = _statements(rows)
    if statements:
        analysis["statements"] = statements
    options = _options(rows)
    if options:
        analysis["options"] = options
    return analysis


def _review(discrimination: float | None) -> bool:
    return discrimination is not None and discrimination < REVIEW_BELOW


def _statements(rows: list[tuple[Any, Mark, float]]) -> list[dict[str, Any]]:
    """Per bank statement of a true/false question: the students who got it, and how they did."""
    groups: dict[str, list[tuple[Any, Mark, float]]] = {}
    for row in rows:
        statement = row[0].params.get("statement")
        if row[0].answer.kind == "bool" and isinstance(statement, str):
            groups.setdefault(statement, []).append(row)
    out = []
    for statement, group in sorted(groups.items()):
        right = [float(m.status == "correct") for _, m, _ in group]
        discrimination = _round(correlation(right, [_rest(m, t) for _, m, t in group]))
        out.append(
            {
                "statement": statement,
                "truth": bool(group[0][0].answer.value),
                "asked": len(group),
                "difficulty": _share(int(sum(right)), len(group)),
                "discrimination": discrimination,
                "review": _review(discrimination),
            }
        )
    return out


def _options(rows: list[tuple[Any, Mark, float]]) -> list[dict[str, Any]]:
    """Per option source (bank statement or named mistake) of a multiple-choice question."""
    shown: dict[str, list[tuple[bool, float]]] = {}
    correct_sources: set[str] = set()
    for q, m, total in rows:
        sources = q.params.get("choices")
        if q.answer.kind != "choice" or not isinstance(sources, list):
            continue
        letters = LETTERS[: len(sources)]
        picked = m.reading if m.status != "unreadable" and m.reading in letters else None
        right = str(q.answer.value).upper()
        for letter, source in zip(letters, sources, strict=False):
            if letter == right:
                correct_sources.add(str(source))
            shown.setdefault(str(source), []).append((picked == letter, _rest(m, total)))
    out = []
    for source, seen in sorted(shown.items()):
        chosen = [float(c) for c, _ in seen]
        discrimination = _round(correlation(chosen, [r for _, r in seen]))
        out.append(
            {
                "option": source,
                "correct": source in correct_sources,
                "shown": len(seen),
                "chosen": int(sum(chosen)),
                "share": _share(int(sum(chosen)), len(seen)),
                "discrimination": discrimination,
            }
        )
    return out


def with_item_analysis(stats: dict[str, Any], report: GradeReport) -> dict[str, Any]:
    """scores.stats.json's content with each question's item statistics added."""
    analysis = item_analysis(report)
    questions = [q | analysis.get(q["slot"], {}) for q in stats["questions"]]
    return stats | {"questions": questions, "review_below": REVIEW_BELOW}


# --- the readable report and the chart ------------------------------------------------------------
def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} ×{n}" for name, n in counts.items()) or "–"


def report_markdown(stats: dict[str, Any]) -> str:
    """scores.report.md: the item analysis as tables an instructor reads before reusing items."""
    lines = [
        f"# Item analysis: {stats.get('exam') or 'exam'} (seed {stats.get('seed')})",
        "",
        f"{stats['graded']} students graded. Difficulty is the share who answered correctly; "
        "discrimination is the point-biserial correlation of the item with the rest of the test "
        f"(total minus this item). Items below {REVIEW_BELOW} are marked **review**.",
        "",
        "| question | families | difficulty | discrimination | mean / points | named mistakes "
        "| credited | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for q in stats["questions"]:
        lines.append(
            f"| {'/'.join(q['columns'])} | {', '.join(q['families'])} | {_num(q['difficulty'])} "
            f"| {_num(q['discrimination'])} | {q['mean']:g} / {q['points']:g} "
            f"| {_counts(q['mistakes'])} | {_counts(q['credited'])} "
            f"| {'**review**' if q['review'] else ''} |"
        )
    for q in stats["questions"]:
        where = "/".join(q["columns"])
        if q.get("statements"):
            lines += [
                "",
                f"## {where}: statements",
                "",
                "| statement | true? | asked | difficulty | discrimination | |",
                "|---|---|---|---|---|---|",
            ]
            for s in q["statements"]:
                lines.append(
                    f"| {s['statement']} | {s['truth']} | {s['asked']} | {_num(s['difficulty'])} "
                    f"| {_num(s['discrimination'])} | {'**review**' if s['review'] else ''} |"
                )
        if q.get("options"):
            lines += [
                "",
                f"## {where}: options",
                "",
                "| option | correct? | shown | chosen | share chosen | discrimination |",
                "|---|---|---|---|---|---|",
            ]
            for o in q["options"]:
                lines.append(
                    f"| {o['option']} | {o['correct']} | {o['shown']} | {o['chosen']} "
                    f"| {_num(o['share'])} | {_num(o['discrimination'])} |"
                )
    return "\n".join(lines) + "\n"


def mistake_chart(stats: dict[str, Any]) -> bytes:
    """A bar chart of named mistakes per question, stacked by mistake: a PNG's bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    questions = stats["questions"]
    labels = ["/".join(q["columns"]) for q in questions]
    names = sorted({name for q in questions for name in q["mistakes"]})
    figure, axes = plt.subplots(figsize=(max(6, 1.1 * len(labels) + 3), 4.5), dpi=100)
    bottoms = [0] * len(questions)
    for name in names:
        counts = [q["mistakes"].get(name, 0) for q in questions]
        axes.bar(labels, counts, bottom=bottoms, label=name)
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    axes.set_ylabel("students")
    axes.set_title("Named mistakes per question")
    if names:
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    else:
        axes.text(0.5, 0.5, "no named mistakes", ha="center", va="center", transform=axes.transAxes)
    axes.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    # No version stamp, so runs compare.
    image = io.BytesIO()
    try:
        figure.savefig(image, format="png", metadata={"Software": None})
    finally:
        plt.close(figure)
    return image.getvalue()
