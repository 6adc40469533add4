"""``examgen check`` typesets a course family's first variants with pdflatex: LaTeX that renders,
balances its braces and converts to MathML can still stop a build (``generator.typeset_sample``)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import generator.check
import generator.pdf
from generator.cli import main
from generator.scaffold import new_family

#: Template math that renders, keeps its braces balanced and converts to MathML, yet pdflatex
#: stops on, with what pdflatex says. Before, `examgen check` passed each; `make exam` failed.
TYPESET_ONLY = [
    (r"$\frac{1}$", "Missing } inserted."),
    (r"$a \over b \over c$", "Ambiguous; you need another { and }."),
    (r"$\text{a_b}$", "Missing $ inserted."),
]


def check(tmp_path, *extra: str):
    families = ["--families", str(tmp_path)]
    return CliRunner().invoke(main, ["check", "slope", *families, "--variants", "6", *extra])


@pytest.mark.pdf
@pytest.mark.parametrize(("math", "says"), TYPESET_ONLY)
def test_check_fails_on_latex_only_pdflatex_rejects_naming_template_line_and_seed(
    tmp_path, math, says
):
    template = new_family("slope", tmp_path, "number") / "template.j2"
    text = template.read_text(encoding="utf-8")
    broken = text.replace("By the power rule,", f"By the power rule, {math},")
    assert broken != text
    template.write_text(broken, encoding="utf-8")
    number = broken[: broken.index(math)].count("\n") + 1

    result = check(tmp_path)
    assert result.exit_code == 1
    said = f"typeset latex solutions: {template}:{number}: pdflatex: {says}"
    # the first variant typeset stops pdflatex, in both forms; the exam has no solution to stop on
    assert f"  slope seed 0: {said}" in result.output
    assert f"  slope (choice) seed 0: {said}" in result.output
    assert "typeset latex exam" not in result.output
    assert "look: examgen preview slope --families" in result.output

    if math == TYPESET_ONLY[0][0]:  # once: what --json says of it
        report = json.loads(check(tmp_path, "--json").output)
        failures = [f for family in report["families"] for f in family["failures"]]
        assert {f["reason"] for f in failures} == {said} and {f["seed"] for f in failures} == {0}

    skipped = check(tmp_path, "--typeset", "0")  # not typeset: nothing else finds it
    assert skipped.exit_code == 0, skipped.output


@pytest.mark.pdf
def test_check_stops_a_template_that_loops_and_names_the_seed(tmp_path, monkeypatch):
    """``\\def\\x{\\x}\\x`` kept pdflatex, and ``check``, running for good."""
    monkeypatch.setattr(generator.pdf, "STALL_SECONDS", 5.0)
    template = new_family("slope", tmp_path, "number") / "template.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("Compute", "We have $\\def\\x{\\x}\\x$. Compute"), "utf-8")
    result = check(tmp_path, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    failures = [f for family in report["families"] for f in family["failures"]]
    stopped = [f for f in failures if f["reason"].startswith("typeset latex")]
    why = (
        "pdflatex spent over 5 s on one variant's pages and was stopped: a macro there loops "
        "forever (such as \\def\\x{\\x}\\x)"
    )
    # both versions of both forms, at the first variant
    assert sorted((f["reason"], f["seed"]) for f in stopped) == sorted(
        [(f"typeset latex {version}: {why}", 0) for version in ("exam", "solutions")] * 2
    )


@pytest.mark.pdf
def test_a_family_that_typesets_says_how_many_variants_were(tmp_path):
    new_family("slope", tmp_path, "number")
    result = check(tmp_path, "--typeset", "4")
    assert result.exit_code == 0, result.output
    assert "Typeset by pdflatex, exam and solutions (variants): slope 4, slope (choice) 4." in (
        result.output
    )
    report = json.loads(check(tmp_path, "--typeset", "4", "--json").output)
    assert [family["typeset"] for family in report["families"]] == [4, 4]


def test_without_tex_check_says_it_did_not_typeset(tmp_path, monkeypatch):
    monkeypatch.setattr(generator.check, "tex_available", lambda: False)
    new_family("slope", tmp_path, "number")
    result = check(tmp_path)
    assert result.exit_code == 0, result.output
    assert "LaTeX not typeset: pdflatex is not installed" in result.output


def test_examgens_own_families_are_not_typeset_by_check(monkeypatch):
    """They are typeset by every build test; check would spend a second per form on them."""
    started = []
    monkeypatch.setattr(generator.check, "TypesetSample", lambda *a, **k: started.append(a))
    result = CliRunner().invoke(main, ["check", "sgd-direction", "--variants", "3"])
    assert result.exit_code == 0, result.output
    assert started == [] and "Typeset by pdflatex" not in result.output


def test_typesetting_starts_after_each_family_and_is_waited_for_at_the_end(tmp_path, monkeypatch):
    """pdflatex runs while the next family is checked: each sample starts as its family's
    sampling ends, and check waits for the samples only once every family is checked."""
    events, labels = [], []

    class Recorded:
        def __init__(self, family, *args):
            events.append(("typeset", labels[-1]))
            self.seeds = [0]

        def failures(self):
            events.append(("wait", ""))
            return []

        def stop(self):
            pass

    checked = generator.check.check_target

    def check_target(target, *args, **kwargs):
        labels.append(target.label)
        events.append(("check", target.label))
        return checked(target, *args, **kwargs)

    monkeypatch.setattr(generator.check, "TypesetSample", Recorded)
    monkeypatch.setattr(generator.check, "tex_available", lambda: True)
    monkeypatch.setattr(generator.check, "check_target", check_target)
    for family_id in ("slope", "curve"):
        new_family(family_id, tmp_path, "number")
    families = ["--families", str(tmp_path)]
    result = CliRunner().invoke(main, ["check", "slope", "curve", *families, "--variants", "2"])
    assert result.exit_code == 0, result.output
    # each form is typeset right after its own check, before the next one's; the waits last
    forms = ["slope", "slope (choice)", "curve", "curve (choice)"]
    started = [("check", form) if i % 2 == 0 else ("typeset", form) for form in forms for i in (0, 1)]
    assert events == [*started, *[("wait", "")] * 4]
