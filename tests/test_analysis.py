"""Item analysis: difficulty, discrimination and named mistakes per question, statement and option.

Invariants: on any class (hypothesis draws the key's option orders and every response), each
statistic equals an independent computation from the response table (numpy's corrcoef for the
point-biserial against the rest of the test); the readable report and the chart are written beside
the scores, named after them; partial credit by named mistake is counted under the mistake's name;
the chart's plotting library is not imported until a chart is drawn.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.grading.analysis import CHART, REPORT, companion_path, with_item_analysis
from generator.grading.grade import grade, stats_json
from generator.grading.keyfile import parse_key
from generator.grading.response_file import ResponseRow, ResponseTable
from tests.processes import python_output

SOURCES = ["correct", "sign-flipped", "sum-not-average", "eta-not-applied"]
STATEMENTS = {"relu-helps": True, "bigger-eta-helps": False, "skip-helps": True}


def key_data(orders: list[list[str]], statements: list[str], partial: dict | None = None) -> dict:
    """A key with a true/false question (bank statements), a multiple-choice question whose options
    are named mistakes (the printed order per student) and a number, for families this examgen
    need not have: the names come from the key alone."""
    students = []
    for i, (order, statement) in enumerate(zip(orders, statements, strict=True)):
        letter = "ABCD"[order.index("correct")]
        students.append(
            {
                "id": f"s{i:02d}",
                "questions": [
                    {
                        "number": 1,
                        "family": "some-tf",
                        "points": 1,
                        "params": {"statement": statement},
                        "answer": {"kind": "bool", "value": STATEMENTS[statement]},
                    },
                    {
                        "number": 2,
                        "family": "some-mc",
                        "points": 2,
                        "params": {"choices": order},
                        "answer": {"kind": "choice", "value": letter},
                    },
                    {
                        "number": 3,
                        "family": "some-number",
                        "points": 1,
                        "params": {},
                        "answer": {"kind": "number", "value": "-7/3"},
                    },
                ],
            }
        )
    grading = {"decimals": 2} | ({"partial": partial} if partial else {})
    return {"exam": "hand", "seed": 1, "grading": grading, "students": students}


classes = st.integers(2, 14).flatmap(
    lambda n: st.tuples(
        st.lists(st.permutations(SOURCES), min_size=n, max_size=n),
        st.lists(st.sampled_from(sorted(STATEMENTS)), min_size=n, max_size=n),
        st.lists(
            st.tuples(
                st.sampled_from(["T", "F", ""]),
                st.sampled_from(["A", "B", "C", "D", "", "?"]),
                st.sampled_from(["-7/3", "-2.33", "2", "-2.3", ""]),
            ),
            min_size=n,
            max_size=n,
        ),
    )
)


def pbis(item: list[float], rest: list[float]) -> float | None:
    """The point-biserial as numpy computes Pearson's r; undefined for a constant side."""
    if len(item) < 2 or np.std(item) == 0 or np.std(rest) == 0:
        return None
    return float(np.corrcoef(item, rest)[0, 1])


def flagged(theirs: float | None) -> set[bool]:
    """README: "Questions and statements whose discrimination is below 0.2 are marked review";
    an undefined one (`null`) is not. Within rounding of 0.2 either flag is right."""
    if theirs is not None and abs(theirs - 0.2) < 1e-6:
        return {True, False}
    return {theirs is not None and theirs < 0.2}


def close(ours: float | None, theirs: float | None) -> bool:
    return (ours is None and theirs is None) or (
        ours is not None and theirs is not None and abs(ours - theirs) <= 1e-4
    )


@settings(max_examples=40, deadline=None)
@given(classes)
def test_item_statistics_match_an_independent_computation(klass) -> None:
    orders, statements, typed = klass
    key = parse_key(key_data(orders, statements), Path("key.json"))
    rows = [
        ResponseRow(i + 2, f"s{i:02d}", "", {1: t, 2: c, 3: n}) for i, (t, c, n) in enumerate(typed)
    ]
    report = grade(key, ResponseTable(Path("r.csv"), rows))
    stats = with_item_analysis(stats_json(report), report)
    tf, mc, number = stats["questions"]

    # Scores from the table alone: which responses are right, what each student totals.
    tf_right = [
        float(t != "" and (t == "T") == STATEMENTS[s])
        for (t, _, _), s in zip(typed, statements, strict=True)
    ]
    picked = [("ABCD".index(c) if c in "ABCD" and c else None) for _, c, _ in typed]
    mc_right = [
        float(p is not None and o[p] == "correct") for p, o in zip(picked, orders, strict=True)
    ]
    num_right = [float(n in ("-7/3", "-2.33")) for _, _, n in typed]
    totals = [a + 2 * b + c for a, b, c in zip(tf_right, mc_right, num_right, strict=True)]

    for stat, right, points in ((tf, tf_right, 1), (mc, mc_right, 2), (number, num_right, 1)):
        assert stat["difficulty"] == pytest.approx(sum(right) / len(right), abs=1e-4)
        rest = [t - points * r for t, r in zip(totals, right, strict=True)]
        assert close(stat["discrimination"], pbis(right, rest)), (stat, right, rest)
        assert stat["review"] in flagged(pbis(right, rest)), stat  # README: below 0.2, review

    mistakes = [
        o[p] for p, o in zip(picked, orders, strict=True) if p is not None and o[p] != "correct"
    ]
    assert mc["mistakes"] == {m: mistakes.count(m) for m in set(mistakes)}

    for option in mc["options"]:
        chosen = [
            float(p is not None and o[p] == option["option"])
            for p, o in zip(picked, orders, strict=True)
        ]
        rest = [t - 2 * r for t, r in zip(totals, mc_right, strict=True)]
        assert option["shown"] == len(orders) and option["chosen"] == sum(chosen)
        assert option["correct"] == (option["option"] == "correct")
        assert close(option["discrimination"], pbis(chosen, rest))
    assert sorted(o["option"] for o in mc["options"]) == sorted(SOURCES)

    for entry in tf["statements"]:
        group = [i for i, s in enumerate(statements) if s == entry["statement"]]
        right = [tf_right[i] for i in group]
        rest = [totals[i] - tf_right[i] for i in group]
        assert entry["asked"] == len(group) and entry["truth"] == STATEMENTS[entry["statement"]]
        assert entry["difficulty"] == pytest.approx(sum(right) / len(right), abs=1e-4)
        assert close(entry["discrimination"], pbis(right, rest))
        assert entry["review"] in flagged(pbis(right, rest)), entry
    assert sorted(e["statement"] for e in tf["statements"]) == sorted(set(statements))


def test_report_chart_and_partial_credit_through_the_command(tmp_path: Path) -> None:
    """`examgen grade` writes the report and the chart beside the scores, named after them, and
    counts the credit each named mistake earned under the key's [grading.partial]."""
    orders = [SOURCES, SOURCES[::-1], SOURCES, SOURCES[1:] + SOURCES[:1]]
    folder = tmp_path / "hand-seed1"
    folder.mkdir()
    data = key_data(orders, ["relu-helps"] * 4, partial={"sign-flipped": "1/2"})
    (folder / "key.json").write_text(json.dumps(data), encoding="utf-8")
    # s00 and s01 pick sign-flipped, s02 the right answer, s03 sum-not-average.
    picks = ["B", "C", "A", "B"]
    lines = ["id,q1,q2,q3"] + [f"s{i:02d},T,{p},-7/3" for i, p in enumerate(picks)]
    (tmp_path / "marks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "graded" / "quiz7.csv"
    result = CliRunner().invoke(
        main, ["grade", str(folder), str(tmp_path / "marks.csv"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    stats = json.loads(companion_path(out, ".stats.json").read_text(encoding="utf-8"))
    mc = stats["questions"][1]
    assert mc["credited"] == {"sign-flipped": 2}
    assert mc["mistakes"] == {"sign-flipped": 2, "sum-not-average": 1}
    scores = out.read_text(encoding="utf-8").splitlines()
    assert [row.split(",")[3] for row in scores[1:]] == ["1", "1", "2", "0"]  # half of 2 points

    report = companion_path(out, REPORT).read_text(encoding="utf-8")
    assert "| q2 | some-mc |" in report and "sign-flipped ×2" in report
    assert "## q2: options" in report and "## q1: statements" in report
    # Everyone got q3 right: its correlation is undefined, `null` in the statistics, `–` in the
    # report's table, and it is not marked for review.
    q3 = stats["questions"][2]
    assert q3["discrimination"] is None and not q3["review"]
    assert re.search(r"^\| q3 \|[^\n]*\| – \|", report, flags=re.M), report
    chart = companion_path(out, CHART)
    assert chart.name == "quiz7.mistakes.png" and chart.read_bytes().startswith(b"\x89PNG")
    first = chart.read_bytes()
    assert (
        CliRunner()
        .invoke(main, ["grade", str(folder), str(tmp_path / "marks.csv"), "--out", str(out)])
        .exit_code
        == 0
    )
    assert chart.read_bytes() == first  # no timestamp or version in the file
    assert str(chart) in result.output and str(companion_path(out, REPORT)) in result.output


def test_plotting_is_imported_only_for_a_chart() -> None:
    """`examgen --help` stays fast: loading the command line does not load matplotlib."""
    code = "import sys, generator.cli; print('matplotlib' in sys.modules)"
    assert python_output(code).strip() == b"False"
