"""A question's LaTeX that leaves a brace or a ``$`` open fails ``examgen check``, naming the
template line, where before only pdflatex at build time stopped on it (``generator.tex_balance``)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.scaffold import new_family
from generator.tex_balance import _balanced, scan, template_line, unbalanced

WORDS = st.sampled_from(["x", "w_0", r"\cdot", r"\{", r"\}", r"\$", r"\%", "7", " ", r"\\"])


@st.composite
def latex(draw: st.DrawFn, depth: int = 0, in_math: bool = False) -> str:
    """Balanced LaTeX-like text: groups, math (not nested), escapes, comments holding braces,
    ``\\\\`` line breaks and line ends."""
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["word", "group", "math", "comment", "newline"]))
        if kind == "group" and depth < 3:
            parts.append("{" + draw(latex(depth + 1, in_math)) + "}")
        elif kind == "math" and not in_math and depth < 3:
            parts.append("$" + draw(latex(depth + 1, True)) + "$")
        elif kind == "comment":
            parts.append("% a comment { $ }\n")
        elif kind == "newline":
            parts.append("\n")
        else:
            parts.append(draw(WORDS))
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(text=latex(), data=st.data())
def test_balanced_text_passes_and_a_stray_brace_or_dollar_is_named_on_its_line(text, data):
    assert unbalanced(text) is None
    lines = text.split("\n")
    line = data.draw(st.integers(1, len(lines)))
    stray = data.draw(st.sampled_from(["{", "}", "$"]))
    lines[line - 1] = stray + lines[line - 1]
    found = unbalanced("\n".join(lines))
    assert found is not None
    if stray == "{":
        # left open: the stray brace, or a group around it whose closing brace the stray took
        assert found.what == "a { never closed" and found.line <= line
    elif stray == "}":
        # closing no brace: the stray, or the closing brace of a group it closed early
        assert found.what == "a } that closes no {" and found.line >= line
    else:
        assert found.what == "an odd number of $ (math never closed)"


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from(["{", "}", "$", "\\", "%", "a", "\n", " ", "é"]), max_size=30))
def test_the_fast_test_agrees_with_the_token_by_token_scan(text):
    """Every variant's LaTeX is first judged in C (``_balanced``); only a text it finds
    unbalanced is scanned token by token for the line."""
    assert _balanced(text) == (scan(text) is None)


def test_the_template_line_is_found_around_the_values_it_printed():
    template = "\n".join(
        [
            "((* block solution *))",
            "By the power rule, $f'(x) = ((( params.a|tex ))) x^{2$, so",
            "$$x = ((( steps.x|tex )))$$",
        ]
    )
    assert template_line(template, "By the power rule, $f'(x) = -7 x^{2$, so") == 2
    assert template_line(template, "$$x = 3$$") is None  # too little text of its own to tell
    assert template_line(template, "something else entirely") is None


@given(
    before=st.integers(0, 3),
    between=st.integers(0, 3),
    added=st.sampled_from([" $\\foobar$ indeed.", " and then $x^{2$.", " Also this."]),
)
def test_a_line_that_begins_like_an_earlier_one_is_found_by_its_own_text(before, between, added):
    """An auditor's (880ffa5): a line copied from another, with a mistake added, was named as
    the line it was copied from, which came first."""
    copied = "By the power rule, $f'(x) = ((( params.a|tex ))) x$, so"
    filler = ["((* if show_solutions *))", "((* endif *))", "Hence $w = ((( steps.w|tex )))$."]
    lines = [filler[i % 3] for i in range(before)] + [copied]
    lines += [filler[i % 3] for i in range(between)] + [copied + added]
    rendered = "By the power rule, $f'(x) = -7 x$, so" + added
    assert template_line("\n".join(lines), rendered) == len(lines)
    assert template_line("\n".join(lines), rendered.removesuffix(added)) == before + 1


def test_check_fails_on_a_brace_left_open_naming_the_template_line_once_for_every_seed(tmp_path):
    """A brace a macro prints (the template's own words are judged when it loads, below): the
    rendered LaTeX is judged, and the line that printed it named."""
    folder = new_family("slope", tmp_path, "number")
    template = folder / "template.j2"
    text = template.read_text(encoding="utf-8")
    broken = text.replace("By the power rule,", "By the power rule, ((( open_math() ))),").replace(
        "((* block solution *))",
        "((* macro open_math() *))$x^{2$((* endmacro *))\n((* block solution *))",
        1,
    )
    assert broken.count("open_math") == 2
    template.write_text(broken, encoding="utf-8")
    number = broken[: broken.index("By the power rule,")].count("\n") + 1
    result = CliRunner().invoke(
        main, ["check", "slope", "--families", str(tmp_path), "--variants", "4", "--typeset", "0"]
    )
    assert result.exit_code == 1
    said = f"{template}:{number}: a {{ never closed in the LaTeX (pdflatex would stop on it)"
    assert f"slope seeds 0, 1, 2, 3: render latex solutions: {said}" in result.output
    assert f"slope (choice) seeds 0, 1, 2, 3: render latex solutions: {said}" in result.output


def test_a_brace_the_templates_own_words_leave_open_is_refused_when_it_loads(tmp_path):
    """``$x^{2$`` written in the template: refused as the template loads, naming its line, by
    every command (it rendered in every format and only pdflatex stopped on it)."""
    folder = new_family("slope", tmp_path, "number")
    template = folder / "template.j2"
    text = template.read_text(encoding="utf-8")
    broken = text.replace("By the power rule,", "By the power rule, $x^{2$,")
    template.write_text(broken, encoding="utf-8")
    number = broken[: broken.index("$x^{2$")].count("\n") + 1
    said = f"{template}:{number}: template syntax error: leaves a {{ never closed in its math"
    for command in (["check", "slope", "--variants", "4", "--typeset", "0"], ["preview", "slope"]):
        result = CliRunner().invoke(main, [*command, "--families", str(tmp_path)])
        assert result.exit_code == 1 and said in result.output, result.output


def test_every_shipped_and_scaffolded_template_renders_balanced(tmp_path: Path):
    """The rule holds today: check passes the families examgen ships and writes."""
    for answer in ("number", "vector", "choice", "bool"):
        new_family(f"my-{answer}", tmp_path, answer)
    result = CliRunner().invoke(main, ["check", "--families", str(tmp_path), "--variants", "10"])
    assert result.exit_code == 0, result.output
    assert "never closed" not in result.output
