"""docs/authoring.md works as written: its example family, copied out of the guide's code blocks
into a course folder outside the checkout, checks, previews, builds (with PDFs), grades and exports
through the command line alone, and nothing examgen writes names a path of this machine.
"""

from __future__ import annotations

import csv
import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.families.base import mistake
from generator.scaffold import SCAFFOLDS_DIR
from generator.testwise import (
    ABSOLUTES,
    HEDGES,
    MIN_SAMPLE,
    TRUE_FALSE_LIMIT,
    true_false_scores,
)
from tests.course import GUIDE, write_guide_course

FAMILY = "momentum-step"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return write_guide_course(tmp_path_factory.mktemp("course"))


def test_the_guides_family_checks_in_both_forms(course):
    """The guide promises `examgen check` proves the family, free response and multiple choice,
    judged on enough variants (``MIN_SAMPLE``) for a test-wise strategy to fail it: on 150 the
    guide's four mistakes passed, but `examgen check` as written (1000) found the key in the
    closest pair 31% of the time, on the fullest line's smallest step 40% (chance 25%)."""
    families = str(course / "families")
    result = run("check", FAMILY, "--families", families, "--variants", str(MIN_SAMPLE))
    assert result.exit_code == 0, result.output
    assert f"{FAMILY} (choice)" in result.output
    assert f"OK: all {2 * MIN_SAMPLE} variants" in result.output
    assert "Warnings:" not in result.output  # its parameters are wide enough for a class of 300


def test_the_guides_family_previews_and_shows(course):
    families = str(course / "families")
    preview = run("preview", FAMILY, "--families", families, "--seed", "3", "--form", "choice")
    assert preview.exit_code == 0 and "Why not the other choices" in preview.output
    shown = run("show", FAMILY, "--families", families)
    assert shown.exit_code == 0, shown.output
    for text in ("an integer 1…4", "no-momentum", "choice (form", "re-check: yes"):
        assert text in shown.output


@pytest.mark.pdf
def test_the_guides_course_builds_grades_and_exports(course, monkeypatch):
    """The guide's first build, then grading with the course folder given, then an LMS export."""
    monkeypatch.chdir(course)
    built = run("build", "--spec", "quiz.toml", "--seed", "7", "--count", "3", "--pdf", "-q")
    assert built.exit_code == 0, built.output
    folder = course / "out" / "momentum-quiz-seed7"
    assert (folder / "handouts.pdf").is_file() and (folder / "solutions.pdf").is_file()
    key_bytes = (folder / "key.json").read_bytes()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert str(course) not in key_bytes.decode() + json.dumps(manifest)  # no machine paths
    assert f"family:{FAMILY}" in manifest["sha256"]

    # s001 answers right; s002 makes the guide's "no-momentum" mistake on question 1.
    key = json.loads(key_bytes)
    rows = []
    for student in key["students"][:2]:
        free = next(q for q in student["questions"] if q["answer"]["kind"] == "number")
        p = {k: Fraction(v) for k, v in free["params"].items()}
        no_momentum = p["x0"] - p["eta"] * p["a"] * (p["x0"] - p["c"])
        typed = free["answer"]["value"] if not rows else str(no_momentum)
        rows.append({"id": student["id"], f"q{free['number']}": typed})
    responses = course / "responses.csv"
    with responses.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "q1", "q2"])
        writer.writeheader()
        writer.writerows(rows)

    graded = run("grade", str(folder), str(responses), "--families", "families")
    assert graded.exit_code == 0, graded.output
    stats = (course / "responses.scores.stats.json").read_text()
    assert "no-momentum" in stats
    unaware = run("grade", str(folder), str(responses), "--out", str(course / "s2.csv"))
    assert unaware.exit_code == 0 and "--families DIR" in unaware.output

    exported = run("export", "--format", "moodle", "--spec", "quiz.toml", "--seed", "7")
    assert exported.exit_code == 0, exported.output
    assert (course / "out" / "momentum-quiz-seed7-moodle.xml").is_file()


def _listed(text: str, label: str) -> list[str]:
    """The words of the guide's bullet ``- label: `a`, `b`;``, in order."""
    line = next(line for line in text.splitlines() if line.startswith(f"- {label}: "))
    return re.findall(r"`([^`]+)`", line)


def test_the_guide_states_the_true_false_rules_check_applies():
    """A true/false bank failed check on a rule and words the guide never named (on 8cb6922 a
    reviewer's bank failed "'absolute → False, hedge → True' scores 67%", and the words were
    only in testwise.py): the guide lists the words testwise reads, in its order, names the
    rules as check's message does and its limit, and the bool scaffold's bank points there with
    words from the right lists."""
    guide = GUIDE.read_text(encoding="utf-8")
    assert _listed(guide, "absolutes") == list(ABSOLUTES)
    assert _listed(guide, "hedges") == list(HEDGES)
    for rule in true_false_scores([]):
        assert f"**{rule}**" in guide, rule
    limit = f"{TRUE_FALSE_LIMIT:.0%}"
    assert f"more than {limit} of the time" in guide and f"(limit {limit})" in guide
    bank = (SCAFFOLDS_DIR / "bool" / "bank.toml").read_text(encoding="utf-8")
    comment = " ".join(line[2:] for line in bank.splitlines() if line.startswith("# "))
    assert f"more than {limit} of its draws" in comment and "docs/authoring.md (section 1)" in comment
    absolutes = re.search(r"An absolute \(([^)]*)\)", comment).group(1)
    hedges = re.search(r"a hedge \(([^)]*)\)", comment).group(1)
    assert set(absolutes.rstrip(" .").replace("...", "").replace(",", " ").split()) <= set(ABSOLUTES)
    assert set(hedges.rstrip(" .").replace("...", "").replace(",", " ").split()) <= set(HEDGES)


def test_the_guide_says_mistake_names_are_slugs():
    """On 8cb6922 the guide said only that a name is declared once, and `vorzeichen-früh`
    stopped a reviewer's family with "must be a lowercase-hyphenated slug"; its examples hold."""
    guide = " ".join(GUIDE.read_text(encoding="utf-8").split())
    assert "A name is a lowercase-hyphenated slug" in guide
    for name in re.search(r"\(`no-momentum`: [^)]*\)", guide).group().split("`")[3::2]:
        with pytest.raises(ValueError, match="lowercase-hyphenated slug"):
            mistake(name, "A slip.")(lambda self, params, solution: None)
    assert mistake("no-momentum", "A slip.")(lambda self, params, solution: None).name == "no-momentum"
