"""Spec fields for paper: ``space`` per slot (work space below a question) and ``answer_sheet``."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import generate_student, render_exam_document
from generator.errors import ExamgenError
from generator.paper.handout import DEFAULT_SPACE
from generator.roster import Student
from generator.spec import parse_spec

PATH = Path("spec.toml")


def spec(**slot):
    return parse_spec({"id": "t", "questions": [{"family": "gradient-descent-step", **slot}]}, PATH)


def exam_tex(s) -> str:
    return render_exam_document("latex", s, [generate_student(s, 1, Student("a", "A"))], False)


def test_slot_space_sets_the_work_space_and_the_default_follows_the_answer_kind() -> None:
    assert "\\begin{solution}[5cm]" in exam_tex(spec(space="5cm"))
    assert f"\\begin{{solution}}[{DEFAULT_SPACE['vector']}]" in exam_tex(spec())
    # A multiple-choice form of a computing family keeps the computation's work space.
    assert f"\\begin{{solution}}[{DEFAULT_SPACE['vector']}]" in exam_tex(spec(form="choice"))


@pytest.mark.parametrize("bad", ["5", "lots", 5, "3in; \\input"])
def test_a_bad_space_names_the_field_and_the_fix(bad) -> None:
    with pytest.raises(ExamgenError, match=r"spec.toml: questions\[1\]\.space: must be a length"):
        spec(space=bad)


@pytest.mark.parametrize("tall", ["12in", "300in", "31cm", "99999mm", "800pt", "1000bp"])
def test_a_space_taller_than_a_page_names_the_field(tall) -> None:
    """No page holds it; on main 300in reached LaTeX and failed there in five lines
    ("Dimension too large"), and 12in typeset the answer boxes below the paper's edge."""
    with pytest.raises(
        ExamgenError, match=r"spec.toml: questions\[1\]\.space: .* taller than"
    ) as err:
        spec(space=tall)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("fits", ["0in", "9in", "22.8cm", "650pt"])
def test_a_space_up_to_a_page_is_accepted(fits) -> None:
    assert spec(space=fits).slots[0].space == fits


def test_answer_sheet_must_be_a_boolean() -> None:
    base = {"id": "t", "questions": [{"family": "sgd-direction"}]}
    assert parse_spec({**base, "answer_sheet": True}, PATH).answer_sheet
    with pytest.raises(ExamgenError, match="answer_sheet: must be true or false"):
        parse_spec({**base, "answer_sheet": "yes"}, PATH)


@pytest.mark.parametrize(
    ("pool", "layout", "warned"),
    [
        (["sgd-direction", "sgd-minibatch-step"], "fixed", True),  # True/False, or two boxes
        (["vanishing-gradient-definition", "sgd-iterations"], "fixed", True),  # A-E, True/False
        (["gradient-descent-step", "sgd-minibatch-step"], "fixed", False),  # two boxes each
        (["sgd-direction", "sgd-iterations"], "fixed", False),  # True False each
        (["sgd-direction", "sgd-minibatch-step"], "flow", False),  # no one place promised
    ],
)
def test_a_fixed_layout_pool_that_answers_in_different_places_is_one_warning(
    tmp_path: Path, pool: list[str], layout: str, warned: bool
) -> None:
    """README: "A pool whose families answer in different ways ... cannot put the answer in one
    place for everyone: the build warns in one line naming the question" (the README's own
    example spec had one: True/False bubbles on page 2 for some students, two boxes for others,
    an outside review's)."""
    from click.testing import CliRunner

    from generator.cli import main

    spec = tmp_path / "s.toml"
    spec.write_text(
        f'id = "t"\nlayout = "{layout}"\n[[questions]]\nfamily = "sgd-direction"\n'
        f"[[questions]]\nfamilies = {pool!r}\n".replace("'", '"'),
        encoding="utf-8",
    )
    args = ["build", "--seed", "1", "--count", "2", "--no-pdf", "-q", "--spec", str(spec)]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    if warned:
        [line] = warnings
        assert line.startswith(f"Warning: {spec}: questions[2]: ")
        assert all(family in line for family in pool)
    else:
        assert warnings == []
