"""What the speed-ups of issue 13 remember or shortcut gives what the plain computation gives.

Rendering and solving remember a few pure results (a bank family's problem texts, escaped
names, the test-wise outcomes of an option set, point gradients), each keyed by value and
bounded, and take a few shortcuts past sympy's and Jinja's slower paths. Each is checked here
against the plain computation, on values hypothesis draws; the build's bytes themselves are
pinned by the golden tests.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from fractions import Fraction

import jinja2
import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator import build, choices, exact, linear_regression, render, testwise
from generator.defaults import DEFAULT_SPEC
from generator.errors import ExamgenError
from generator.families import _concepts, get_family
from generator.families._descent import W0_IS_ZERO, _add, _mul, _shallow_dict
from generator.linear_regression import DescentStep, add, scale, subtract
from generator.paper import qr
from generator.roster import numbered_students
from generator.seeding import question_stream
from generator.spec import load_spec
from generator.testwise import make_options, outcome_scores, subset_outcomes
from tests.strategies import seeds

rationals = st.fractions(min_value=-50, max_value=50, max_denominator=24).map(
    lambda f: sympy.Rational(f.numerator, f.denominator)
)


# --- rendering ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["latex", "markdown", "html"])
@given(seed=st.integers(0, 2**32), points=st.sampled_from([1, 1.0, 2, 0.5]))
def test_a_remembered_problem_is_the_problem_rendered_afresh(fmt, seed, points):
    family = get_family("sgd-direction")
    variant = family.generate(question_stream(seed, "s001", 1))
    extra = {"space": None, "work_space": "0.3in", "part": "solution"}
    args = (fmt, variant, 3, points, True, extra)
    afresh = render.Problem(*args).render()
    assert render.render_problem(fmt, variant, number=3, points=points, extra=extra) == afresh
    assert render.render_problem(fmt, variant, number=3, points=points, extra=extra) == afresh
    # One question's texts in both versions (a build asks for all of them from one key).
    question = render.QuestionTexts(variant, number=3, points=points, extra=extra)
    for show_solutions in (False, True, False):
        assert (
            question.text(fmt, show_solutions)
            == render.Problem(fmt, variant, 3, points, show_solutions, extra).render()
        )


def test_points_of_another_type_are_another_problem():
    """``1`` and ``1.0`` are equal, and hash alike, but print differently: the key keeps types."""
    variant = get_family("sgd-direction").generate(question_stream(0, "s001", 1))
    one = render.render_problem("markdown", variant, points=1)
    assert "(1 point)" in one
    assert "(1.0 point)" in render.render_problem("markdown", variant, points=1.0)
    assert render.render_problem("markdown", variant, points=1) == one


def test_unhashable_params_render_without_being_remembered():
    variant = get_family("sgd-direction").generate(question_stream(0, "s001", 1))
    extra = {"space": ["not", "hashable"]}
    problem = render.Problem("latex", variant, 1, 1, True, extra)
    assert render.QuestionTexts(variant, extra=extra).key is None
    assert render.render_problem("latex", variant, extra=extra) == problem.render()


def test_every_remembered_result_is_bounded():
    """A 3,000-student build must not grow any of them without bound."""
    for remembered in (
        render._remembered_problem,
        render._template,
        render._template_file,
        render._escaped_latex,
        render._escaped_markdown,
        choices._fair_sets,
        choices._fair_plan,
        choices._kind_table,
        choices._shown_sets,
        testwise._step_ratios,
        linear_regression._point,
        exact._result,
        exact.integer,
        _concepts._with_truth,
        _concepts._statement_in,
        linear_regression._terms,
    ):
        assert remembered.cache_info().maxsize is not None


def test_a_fresh_environment_renders_a_changed_template(tmp_path, monkeypatch):
    """Templates and texts are remembered per environment: ``environment.cache_clear()`` (as
    tests that rewrite a template do) makes the next render read the template again."""
    family = get_family("sgd-direction")
    variant = family.generate(question_stream(0, "s001", 1))
    folder = tmp_path / "sgd-direction"
    folder.mkdir()
    monkeypatch.setattr(family, "FOLDER", folder)
    for text in ("first", "second"):
        (folder / "template.j2").write_text(
            '((* extends "problem.j2" *))((* block statement *))'
            f"{text} ((( number )))((* endblock *))((* block solution *))-((* endblock *))",
            encoding="utf-8",
        )
        render.environment.cache_clear()
        shown = render.render_problem("markdown", variant, number=4, show_solutions=False)
        assert shown.startswith("### Question 4") and f"{text} 4" in shown, shown
    render.environment.cache_clear()


names = st.sampled_from(["w1", "points", "items", "keys", "get", "copy", "__class__", "x"])


class _Thing:
    """An object with an attribute, a property that fails and an item lookup."""

    w1 = "attribute"

    looked_up = 0

    @property
    def broken(self):
        type(self).looked_up += 1
        raise AttributeError("broken")

    def __getitem__(self, name):
        if name == "x":
            return "item"
        raise KeyError(name)


dicts = st.dictionaries(names, st.integers())
objects = (
    dicts
    | dicts.map(lambda d: type("Sub", (dict,), {})(d))
    | st.sampled_from([_Thing(), _Thing, [1, 2], (3,), "text", 7, None, sympy.Rational(1, 2)])
)


@given(objects, names | st.sampled_from(["broken", "p", "q", "real", "upper"]))
@example(_Thing(), "broken")  # a failing property: called once, as Jinja calls it
@example(_Thing(), "x")  # an item, after the attribute is missing
@example({"items": 1}, "items")  # a dict's method, not its key
def test_attribute_lookup_finds_what_jinja_finds(obj, name):
    """On the plain dicts of families' steps (the key first), and on anything else, looking
    the attribute up as often as Jinja does."""
    ours = render.environment("markdown")
    plain = jinja2.Environment(undefined=jinja2.StrictUndefined)
    before = _Thing.looked_up
    found = ours.getattr(obj, name)
    ours_looked_up = _Thing.looked_up - before
    expected = plain.getattr(obj, name)
    assert ours_looked_up == _Thing.looked_up - before - ours_looked_up
    if isinstance(expected, jinja2.Undefined):
        assert isinstance(found, jinja2.Undefined)
    else:
        assert found == expected


def _rendered(template: jinja2.Template, **context) -> str:
    try:
        return template.render(**context)
    except Exception as err:  # the same error, with the same message, from both
        return f"{type(err).__name__}: {err}"


@given(objects, names | st.sampled_from(["broken", "p", "q", "real", "upper"]), names)
@example({"items": 1}, "items", "x")  # a dict's method, not its key
@example({"w1": {"x": 2}}, "w1", "x")  # keys of keys
@example({"points": 3}, "w2", "x")  # a key missing
@example(_Thing(), "broken", "x")  # a failing property: looked up once, as Jinja does
@example(_Thing(), "x", "w1")  # an item, after the attribute is missing
def test_an_attribute_in_a_template_is_what_jinja_finds(obj, name, inner):
    """Templates compiled by ``render.CodeGenerator`` (a plain dict's key found in place) and
    by Jinja's own, in an expression, a chain, a loop and a macro."""
    for source in (
        f"{{{{ o.{name} }}}}",
        f"{{{{ o.{name}.{inner} }}}}|{{{{ [o.{inner}, o.{name}]|length }}}}",
        f"{{% for v in [o, o] if v.{name} is defined %}}{{{{ v.{name} }}}}{{% endfor %}}",
        f"{{% macro m(v) %}}{{{{ v.{name} }}}}{{% endmacro %}}{{{{ m(o) }}}}",
    ):
        ours, plain = _jinja_pair(source)
        before = _Thing.looked_up
        found = _rendered(ours, o=obj)
        ours_looked_up = _Thing.looked_up - before
        assert found == _rendered(plain, o=obj)
        assert ours_looked_up == _Thing.looked_up - before - ours_looked_up  # as often


def _stop():
    raise StopIteration


def _jinja_pair(source: str) -> tuple[jinja2.Template, jinja2.Template]:
    """``source`` compiled by our environment class and by Jinja's own, alike otherwise."""
    made = []
    for cls in (render.Environment, jinja2.Environment):
        env = cls(undefined=jinja2.StrictUndefined, trim_blocks=True, autoescape=False)
        env.globals["stop"] = _stop
        made.append(env.from_string(source))
    return made[0], made[1]


def _outcome(template: jinja2.Template) -> str:
    try:
        return template.render(x=1, y=[2, 3])
    except Exception as err:  # the same error, with the same message, from both paths
        return f"{type(err).__name__}: {err}"


parameters = st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3)


@st.composite
def macro_calls(draw):
    """A macro (parameters, some with defaults; maybe using caller, varargs, kwargs) and one
    call of it: positional or keyword arguments, too few or too many, in a call block or not."""
    names_ = draw(parameters)
    defaults = draw(st.integers(0, len(names_)))
    signature = ", ".join(
        n if i < len(names_) - defaults else f"{n}={i}" for i, n in enumerate(names_)
    )
    body = "".join(f"<(( {n} ))>" for n in names_)
    if draw(st.booleans()):
        body += "{{ caller() }}"
    if draw(st.booleans()):
        body += "{{ varargs }}"
    if draw(st.booleans()):
        body += "{{ kwargs|dictsort }}"
    if draw(st.booleans()):
        body += "{{ stop() }}"
    body = body.replace("<((", "{{").replace("))>", "}}")
    positional = [str(i * 10) for i in range(draw(st.integers(0, 4)))]
    keywords = [f"{n}=5" for n in draw(st.lists(st.sampled_from(["a", "b", "z"]), unique=True))]
    arguments = ", ".join(positional + keywords)
    if draw(st.booleans()):
        call = f"{{% call m({arguments}) %}}inside {{{{ x }}}}{{% endcall %}}"
    elif draw(st.booleans()):
        call = f"{{{{ m({arguments}, caller=y) }}}}".replace("(, ", "(")
    else:
        call = f"{{{{ m({arguments}) }}}}"
    loop = draw(st.booleans())
    if loop:
        call = f"{{% for v in y %}}{call}{{% endfor %}}"
    return f"{{% macro m({signature}) %}}{body}{{% endmacro %}}{call}"


@given(macro_calls())
def test_a_macro_called_the_short_way_gives_what_jinja_gives(source):
    ours, plain = _jinja_pair(source)
    assert _outcome(ours) == _outcome(plain)


def test_the_short_way_is_taken_only_when_every_parameter_gets_its_argument():
    """The cases the short way would get wrong if it took them: a default, a keyword, an
    argument too many, a ``caller`` without a ``call`` block (a default of ``None``)."""
    env = render.environment("markdown")
    module = env.from_string(
        "((* macro two(a, b) *))((( a )))((( b )))((* endmacro *))"
        "((* macro defaulted(a, b=2) *))((( a )))((( b )))((* endmacro *))"
        "((* macro framed() *))[((( caller() )))]((* endmacro *))"
    ).module
    context = env.from_string("").new_context()
    short = render._positional_macro_arguments
    assert short(module.two, context, (1, 2), {"_block_vars": {}}) == (1, 2)
    assert short(module.two, context, (1,), {"b": 2}) is None
    assert short(module.two, context, (1, 2, 3), {}) is None
    assert short(module.defaulted, context, (1,), {}) is None
    assert short(module.framed, context, (), {"caller": print}) == (print,)
    assert short(module.framed, context, (), {}) is None
    assert context.call(module.two, 1, 2) == "12"
    assert context.call(module.defaulted, 1) == "12"


def test_templates_are_kept_in_a_bounded_cache():
    cache = render.TemplateCache()
    for i in range(render.TemplateCache.SIZE + 5):
        cache[i] = i
    assert len(cache) <= render.TemplateCache.SIZE
    for fmt in ("latex", "markdown", "html"):
        assert isinstance(render.environment(fmt).cache, render.TemplateCache)


@pytest.mark.parametrize("fmt", ["latex", "markdown", "html"])
def test_every_template_sees_every_global(fmt):
    """Templates hold their globals as one dict: each must have all of them, M included, or
    Jinja would build an imported module afresh on every import."""
    env = render.environment(fmt)
    for name in ("problem.j2", "families/_choices.j2", "families/_descent.j2"):
        template = env.get_template(name)
        assert set(env.globals) <= set(template.globals)
        assert template.globals["M"] is env.globals["M"]


def _tidy_plain(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


@given(st.text(alphabet=st.sampled_from(["a", " ", "\n", "\t", "\r", "\u2028", "\xa0"])))
def test_tidy_collapses_blank_runs_as_before(text):
    assert render._tidy(text) == _tidy_plain(text)


@given(rationals)
def test_inline_numbers_as_with_sympy_comparisons(value):
    slashed = f"{'-' if value < 0 else ''}{abs(value.p)}/{value.q}"
    inline = str(value) if value.q == 1 else slashed
    assert render.tex_inline(value) == inline
    bracketed = value < 0 or value.q != 1
    assert render.tex_paren(value, inline=True) == (f"({inline})" if bracketed else inline)


@given(st.text() | st.integers() | st.booleans())
def test_escaping_remembered_is_escaping_afresh(text):
    """Remembered by the text itself: ``1`` and ``True`` (equal keys) still print as written."""
    assert render.escape_latex(text) == render._escaped_latex.__wrapped__(str(text))
    assert render.escape_markdown(text) == render._escaped_markdown.__wrapped__(str(text))


# --- solving ------------------------------------------------------------------------------------
@given(rationals, rationals)
def test_work_counts_as_with_sympy_comparisons(a, b):
    assert _mul(a, b) == (0 if a in (0, 1, -1) or b in (0, 1, -1) else 1)
    assert _add(a, b) == (0 if a == 0 or b == 0 else 1)
    assert _mul(2, b) == (0 if b in (0, 1, -1) else 1)


def plain_point_gradient(position, x, y, w):
    """A point's gradient worked out afresh, through the vector helpers."""
    aug = linear_regression.augment(x)
    prediction = linear_regression.dot(aug, w)
    residual = prediction - y
    factor = 2 * residual
    return linear_regression.PointGradient(
        position, x, y, aug, prediction, residual, factor, scale(factor, aug)
    )


@given(st.integers(1, 6), rationals, rationals, st.tuples(rationals, rationals))
def test_a_remembered_point_gradient_is_computed_afresh(position, x, y, w):
    """Remembered by the values' numerators and denominators, twice (with and without the
    position): the point, each of its values and their sympy types are the plain ones."""
    plain = plain_point_gradient(position, x, y, w)
    for _ in range(2):  # computed, then remembered
        remembered = linear_regression.squared_loss_gradient(position, x, y, w)
        assert remembered == plain
        assert [type(v) for v in (remembered.x, remembered.y, *remembered.gradient)] == [
            type(v) for v in (plain.x, plain.y, *plain.gradient)
        ]
    assert linear_regression.point_gradients([(x, y)], [1], w)[0] == plain_point_gradient(
        1, x, y, w
    )
    residual = x * w[1] + w[0] - y
    assert plain.gradient == (2 * residual, 2 * residual * x)
    assert plain.aug == (1, x)


@given(seed=st.integers(0, 2**32), count=st.integers(1, 4))
def test_fair_arrangement_is_the_same_from_remembered_outcomes(seed, count):
    """The outcomes ``arrange_fairly`` decides from are remembered by the options' values; a
    list among them (not hashable) is worked out afresh, with the same draws and order."""
    values = {
        "correct": (sympy.Rational(3, 2), sympy.Integer(-1)),
        "sign": (sympy.Rational(1, 2), sympy.Integer(3)),
        "half": (sympy.Rational(3, 4), sympy.Rational(-1, 2)),
        "zero": (sympy.Integer(0), sympy.Integer(0)),
        "twice": (sympy.Integer(3), sympy.Integer(-2)),
        "swap": (sympy.Integer(-1), sympy.Rational(3, 2)),
    }
    center = (sympy.Integer(1), sympy.Integer(1))
    as_lists = {name: list(value) for name, value in values.items()}
    remembered = np.random.default_rng(seed)
    afresh = np.random.default_rng(seed)
    picked = choices.arrange_fairly(remembered, "correct", values, count, "vector", center)
    again = choices.arrange_fairly(afresh, "correct", as_lists, count, "vector", list(center))
    assert picked == again
    assert remembered.random() == afresh.random()  # the same number of draws


shell_text = st.text(alphabet=st.sampled_from(["a", "b", " ", "\n", "\t", "\r", "\u2028", "\xa0"]))
#: A document's own text between two problems: newlines, a line or two, newlines.
between = st.builds(
    lambda before, text, after: "\n" * before + text + "\n" * after,
    st.integers(0, 3),
    shell_text,
    st.integers(0, 3),
)


@settings(max_examples=400)  # string work only: quick, and every cut's case needs its draws
@given(
    st.lists(st.tuples(shell_text, between), max_size=4),
    between,
    st.integers(0, 3),
    st.sampled_from(["", "%m", " %m"]),
    st.tuples(shell_text, st.integers(0, 3)),
)
def test_a_document_is_tidied_around_its_problems_as_a_whole(pairs, first, skip, mark, preamble):
    """The problems (texts ``_tidy`` made) anywhere in the document, between its own lines or
    not, blank lines or spaces around them or not; some looked for and absent, or out of
    order; a preamble ending before a line starting ``mark`` or not, tidied afresh and then
    remembered."""
    problems = [render._tidy(problem) for problem, _ in pairs]
    text = (
        preamble[0]
        + "\n" * preamble[1]
        + "%m"
        + first
        + "".join(problem + shell for problem, (_, shell) in zip(problems, pairs, strict=True))
    )
    looked_for = problems[skip:] + problems[:skip] + ["absent\n"]
    for _ in range(2):
        assert render._tidy_around(text, looked_for, mark) == render._tidy(text)


#: A problem as ``render_problem`` gives it (a text ``_tidy`` made), or with a space at either
#: end, which tidying around it would strip and putting it in place must not keep.
placed_problems = st.builds(
    lambda text, spaced: spaced[0] + render._tidy(text)[:-1] + spaced[1] + "\n",
    shell_text,
    st.sampled_from([("", ""), ("", ""), (" ", ""), ("", " ")]),
)


@settings(max_examples=300)  # string work only
@given(
    st.lists(st.tuples(placed_problems, between), max_size=4),
    between,
    st.sampled_from(["", "%m", " %m"]),
    st.tuples(shell_text, st.integers(0, 3)),
)
def test_problems_put_in_place_after_tidying_are_tidied_as_a_whole(pairs, first, mark, preamble):
    """Each problem on lines of its own or run on with the document's text before and after
    it, blank lines or spaces around it or not: tidying the document with placeholders and
    then putting the problems in gives ``_tidy`` of the document that holds them, or ``None``
    for a problem that is empty or has spaces at an end. Placeholders missing, repeated, out
    of order or not ending a line give ``None``."""
    problems = [problem for problem, _ in pairs]
    shells = [shell for _, shell in pairs]
    head = preamble[0] + "\n" * preamble[1] + "%m" + first

    def document(texts):
        return head + "".join(text + shell for text, shell in zip(texts, shells, strict=True))

    places = render.placeholders(len(problems))
    placed = render._tidy_placed(document(places), problems, mark)
    if all(problem.strip() and render._tidy(problem) == problem for problem in problems):
        assert placed == render._tidy(document(problems))
    else:
        assert placed is None
    if len(problems) > 1:
        assert render._tidy_placed(document(places[::-1]), problems) is None
    if problems:
        assert render._tidy_placed(document(places) + places[0], problems) is None
        run_on = document(places).replace("\x00\n", "\x00 \n")
        assert render._tidy_placed(run_on, problems) is None


def test_the_builds_documents_put_their_problems_in_place():
    """The exam templates print every problem as it is, so the build's documents all take
    ``render_placed_document`` (``test_a_document_tidied_around_its_problems_is_tidied_whole``
    checks what they are)."""
    spec = load_spec(DEFAULT_SPEC)
    exams = [build.generate_student(spec, 5, student) for student in numbered_students(2)]
    for fmt in ("latex", "markdown"):
        for show_solutions in (False, True):
            contexts = [build.student_context(fmt, exam, show_solutions) for exam in exams]
            problems = [text for context in contexts for text in context["questions"]]
            places = iter(render.placeholders(len(problems)))
            held = [{**c, "questions": [next(places) for _ in c["questions"]]} for c in contexts]
            name = f"exam.{render.EXTENSIONS[fmt]}.j2"
            placed = render.render_placed_document(
                fmt, name, problems, exam=spec, students=held, show_solutions=show_solutions
            )
            assert placed == render.render_document(
                fmt,
                name,
                problems=problems,
                exam=spec,
                students=contexts,
                show_solutions=show_solutions,
            )


def test_a_remembered_preamble_is_the_same_text():
    """Preambles are told apart by their whole text, not only their length."""
    for preamble in ("\\begin{a}", "\\begin{b}", "\\begin{a}"):
        text = f"{preamble}  \n\n\n%m\nbody\n"
        assert render._tidy_around(text, [], "%m") == f"{preamble}\n\n%m\nbody\n"
    for i in range(render.REMEMBERED_PREAMBLES + 3):
        render._tidy_around(f"p{i}\n%m\n", [], "%m")
    assert len(render._preambles) == render.REMEMBERED_PREAMBLES


def plain_student_context(fmt, exam, show_solutions):
    """``build.student_context`` as it was before a student's documents shared their pieces."""
    questions = [
        render.Problem(
            fmt,
            q.variant,
            q.number,
            q.slot.points,
            show_solutions,
            {"space": q.slot.space, "work_space": build.work_space(q.variant)},
        ).render()
        for q in exam.questions
    ]
    handout = fmt == "latex" and not show_solutions
    printed = build.printed_digest(build.printed_texts("", exam, questions)) if handout else ""
    codes = (
        qr.student_codes(exam.exam_id, exam.seed, exam.student.id, len(exam.questions), printed)
        if handout
        else []
    )
    return {
        "id": exam.student.id,
        "name": exam.student.name,
        "variant_code": exam.variant_code,
        "total_points": exam.total_points,
        "questions": questions,
        "answer_rows": [
            (q.number, values) for q in exam.questions if (values := build.bubble_values(q.variant))
        ],
        "printed": printed,
        "qr_codes": codes,
        "qr_module": qr.module_size(codes) if codes else "",
    }


def test_a_students_shared_pieces_are_each_documents_own():
    """A student's pieces, made once and shared by the four documents (as ``write_students``
    shares them), give each document the context computed afresh for that student."""
    spec = load_spec(DEFAULT_SPEC)
    for exam in (build.generate_student(spec, 3, s) for s in numbered_students(2)):
        pieces = build.StudentPieces.of(exam)
        for fmt in ("latex", "markdown"):
            for show_solutions in (False, True):
                context = build.student_context(fmt, exam, show_solutions, pieces)
                assert context == plain_student_context(fmt, exam, show_solutions)
                assert build.student_context(fmt, exam, show_solutions) == context


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
def test_a_document_tidied_around_its_problems_is_tidied_whole(fmt):
    """The build's own documents, both formats and versions, of one student and of a batch
    (the golden tests pin them too)."""
    spec = load_spec(DEFAULT_SPEC)
    exams = [build.generate_student(spec, 7, student) for student in numbered_students(3)]
    for batch in (exams[:1], exams):
        for show_solutions in (False, True):
            contexts = [
                build.student_context(fmt, exam, show_solutions, None, spec.printed_digest)
                for exam in batch
            ]
            name = f"exam.{render.EXTENSIONS[fmt]}.j2"
            raw = render.template(fmt, name).render(
                exam=spec, students=contexts, show_solutions=show_solutions
            )
            problems = [text for context in contexts for text in context["questions"]]
            assert render._tidy_around(raw, problems) == render._tidy(raw)
            document = build.render_exam_document(fmt, spec, batch, show_solutions)
            assert document == render._tidy(raw)


vectors = st.lists(rationals | st.integers(-9, 9), max_size=4)


@given(vectors, st.booleans())
def test_a_remembered_vector_is_the_vector_written_afresh(values, as_tuple):
    """Both ``tup`` and ``col`` of the same numbers (remembered apart), as a list, a tuple or
    an iterator (written afresh), and ints among the Rationals (written afresh)."""
    given_values = tuple(values) if as_tuple else values
    for _ in range(2):  # the second time, a tuple is found by identity
        assert (
            render.tuple_tex(given_values) == "(" + ", ".join(map(render.tex_inline, values)) + ")"
        )
        assert render.column_tex(given_values) == (
            r"\begin{bmatrix}" + r"\\ ".join(map(render.latex, values)) + r"\end{bmatrix}"
        )
    assert render.tuple_tex(iter(values)) == render._tuple_tex(values)
    assert render.column_tex(iter(values)) == render._column_tex(values)


def test_remembered_vectors_are_bounded():
    for i in range(render.REMEMBERED_VECTORS + 5):
        render.tuple_tex((sympy.Rational(i, 7),))
        render.column_tex((sympy.Rational(i, 7),))
    for remembered in (render._vectors, render._tuples_seen, render._columns_seen):
        assert 0 < len(remembered) <= render.REMEMBERED_VECTORS


def plain_descent_step(data, positions, w0, eta):
    """``linear_regression.descent_step`` as it was before its shortcuts: every point worked out
    afresh, every sum and product through the vector helpers."""
    w0 = tuple(w0)
    points = tuple(plain_point_gradient(p, *data[p - 1], w0) for p in positions)
    total = (sympy.Integer(0), sympy.Integer(0))
    for point in points:
        total = add(total, point.gradient)
    gradient = scale(sympy.Rational(1, len(points)), total)
    step = scale(eta, gradient)
    return DescentStep(w0, eta, points, total, len(points), gradient, step, subtract(w0, step))


small_integers = st.integers(-9, 9).map(sympy.Integer)


points = st.tuples(small_integers, small_integers)


@given(
    data=st.lists(points, min_size=1, max_size=6)
    | st.lists(points | st.tuples(rationals, rationals), min_size=1, max_size=6),
    w0=st.tuples(small_integers, small_integers) | st.tuples(rationals, rationals),
    eta=rationals.filter(lambda r: r != 0),
    drop=st.sets(st.integers(1, 6)),
)
def test_a_descent_step_is_the_plain_computation(data, w0, eta, drop):
    """Integer gradients are summed as Python ints, the average is one Rational, point gradients
    come from two caches: every value (and its type, and so its key.json text) is what the plain
    sympy computation gives, for integer data and weights (the drawn ones) and rational ones."""
    positions = [p for p in range(1, len(data) + 1) if p not in drop] or [len(data)]
    fast = linear_regression.descent_step(data, positions, w0, eta)
    plain = plain_descent_step(data, positions, w0, eta)
    assert fast == plain
    for name in ("gradient_sum", "gradient", "step", "w1"):
        for got, expected in zip(getattr(fast, name), getattr(plain, name), strict=True):
            assert type(got) is type(expected) and str(got) == str(expected)
    assert linear_regression.risk_gradient(data, positions, w0) == plain.gradient


@pytest.mark.parametrize("family_id", ["gradient-descent-step", "sgd-minibatch-step"])
def test_a_solution_lists_every_field_of_its_steps(family_id):
    """``_shallow_dict`` copies an instance's ``__dict__``: for the step and each point that is
    every field, in declared order, and nothing else."""
    family = get_family(family_id)
    step = family.solve_step(family.generate(question_stream(1, "s001", 1)).params)
    for value in (step, *step.points):
        assert _shallow_dict(value) == {f: getattr(value, f) for f in value.__dataclass_fields__}
        assert list(_shallow_dict(value)) == list(value.__dataclass_fields__)


@pytest.mark.parametrize("ordered", [False, True])
@pytest.mark.parametrize("x_values", [range(0, 7), range(-4, 9, 3)])
@given(seed=seeds)
def test_drawn_data_is_what_choosing_from_the_values_draws(seed, ordered, x_values):
    """``draw_data`` chooses positions in X_VALUES and reads the values there: the data, and the
    stream left behind, are those of choosing from an array of the values (and sorting the
    drawn points) as before."""
    family = copy.copy(get_family("gradient-descent-step"))
    family.X_VALUES = x_values
    fast, plain = np.random.default_rng(seed), np.random.default_rng(seed)
    data = family.draw_data(fast, range(3, 6), ordered=ordered)
    n = int(plain.integers(3, 6))
    xs = plain.choice(np.array(x_values), size=n, replace=False)
    ys = plain.integers(family.Y_VALUES.start, family.Y_VALUES.stop, size=n)
    expected = [(sympy.Integer(x), sympy.Integer(y)) for x, y in zip(xs, ys, strict=True)]
    if ordered:
        expected.sort(key=lambda point: (int(point[0]), int(point[1])))
    assert data == tuple(expected)
    assert fast.random() == plain.random()


def plain_work(steps):
    """``DescentFamily.work`` as it was before its shortcuts."""
    w0 = steps["w0"]
    ops = 0
    for point in steps["points"]:
        if not steps["w0_is_zero"]:
            ops += _mul(w0[1], point["x"]) + _mul_free_add(w0[0], w0[1] * point["x"])
            ops += _mul_free_add(point["prediction"], point["y"])
        ops += _mul(2, point["residual"]) + _mul(point["factor"], point["x"])
    for component in range(2):
        terms = [p["gradient"][component] for p in steps["points"]]
        ops += sum(_mul_free_add(a, b) for a, b in zip(terms, terms[1:], strict=False))
        ops += _mul(sympy.Rational(1, steps["count"]), steps["gradient_sum"][component])
        ops += _mul(steps["eta"], steps["gradient"][component])
        ops += _mul_free_add(w0[component], steps["step"][component])
    return ops


def _mul_free_add(a, b):
    return 0 if a == 0 or b == 0 else 1


@pytest.mark.parametrize("family_id", ["gradient-descent-step", "sgd-minibatch-step"])
@given(seed=seeds)
def test_work_is_counted_as_before(family_id, seed):
    family = get_family(family_id)
    variant = family.generate(question_stream(seed, "s001", 3))
    assert family.work(variant.params, variant.solution) == plain_work(variant.solution.steps)


def plain_arrange_fairly(rng, correct, values, count, kind, center=None):
    """``choices.arrange_fairly`` stated plainly: every set of distractors scored in exact
    fractions (each strategy followed and ruled out), the plan searched set by set, the drawn
    set's kind found by comparing every set's scores."""
    names = [n for n in values if n != correct]
    count = min(count, len(names))
    options = make_options(
        [choices.plain_text(kind, v) for v in values.values()], list(values.values()), center
    )
    position = {n: i for i, n in enumerate(values)}
    combos = list(itertools.combinations(names, count))
    size = count + 1
    rows = subset_outcomes(
        options, [(position[correct], *(position[n] for n in c)) for c in combos]
    )
    vectors = [[x for outcome in row for x in outcome_scores(outcome, size)] for row in rows]
    chance = Fraction(1, size)

    def search(power):
        """The greedy plan on the sum of the excesses' ``power``-th powers, and its largest
        excess."""
        total = [Fraction(0)] * len(vectors[0])
        plan = []
        for draws in range(1, choices.PLAN_DRAWS + 1):
            costs = [
                sum(
                    max(0, t + v - draws * chance) ** power
                    for t, v in zip(total, vector, strict=True)
                )
                for vector in vectors
            ]
            best = costs.index(min(costs))  # the first of the least
            plan.append(best)
            total = [t + v for t, v in zip(total, vectors[best], strict=True)]
        return plan, max(0, max(total) / choices.PLAN_DRAWS - chance)

    plan, excess = search(2)
    if excess > choices.PLAN_SLACK:  # squares leave it unfair: a higher power, if fairer
        # (6, or less where the implementation's 64-bit integers would overflow)
        scale = math.lcm(*range(1, size + 1))
        bound = (choices.PLAN_DRAWS + 1) * int(max(max(v) for v in vectors) * scale)
        steeper = search(min(6, choices._excess_power(bound, len(vectors[0]))))
        if steeper[1] < excess:
            plan, excess = steeper
    drawn = plan[int(rng.integers(len(plan)))]
    alike = [i for i, v in enumerate(vectors) if v == vectors[drawn]]
    picked = combos[alike[int(rng.integers(len(alike)))]]
    sources = [correct, *picked]
    return tuple(sources[int(i)] for i in rng.permutation(len(sources)))


small_vectors = st.tuples(
    st.integers(-3, 3).map(sympy.Integer), st.integers(-3, 3).map(sympy.Integer)
)


@given(
    seed=st.integers(0, 2**32),
    values=st.lists(small_vectors, min_size=1, max_size=8, unique=True),
    texts=st.lists(st.text(alphabet="ab ", max_size=6), min_size=1, max_size=8, unique=True),
    count=st.integers(0, 5),
    center=st.none() | small_vectors,
)
@example(  # several kinds of set tie as the least costly: the plan takes the first
    seed=499,
    values=[
        tuple(map(sympy.Integer, v))
        for v in [(-3, -3), (-3, -2), (-3, -1), (-3, 2), (-2, -3), (-1, -3), (1, 0), (2, 1)]
    ],
    texts=["a"],
    count=3,
    center=(sympy.Integer(1), sympy.Integer(1)),
)
def test_fair_arrangement_prices_each_outcome_once(seed, values, texts, count, center):
    """Sets of distractors are scored once per kind (the strategies' outcomes on them), in
    integers, and the plan searched over kinds with numpy: the draws, the set picked and its
    order are those of the plain statement, for vectors and for text options."""
    for named, kind in (
        ({f"m{i}": v for i, v in enumerate(values)}, "vector"),
        ({f"t{i}": t for i, t in enumerate(texts)}, "text"),
    ):
        correct = next(iter(named))
        fast, plain = np.random.default_rng(seed), np.random.default_rng(seed)
        got = choices.arrange_fairly(fast, correct, named, count, kind, center)
        assert got == plain_arrange_fairly(plain, correct, named, count, kind, center)
        assert fast.random() == plain.random()


def plain_plan(table, chance, power):
    """``choices._plan`` in Python integers: each draw the first kind of least summed
    ``power``-th powers of the excesses over ``chance``; the plan and the largest summed score
    (less ``PLAN_DRAWS * chance``: its largest excess)."""
    total = [0] * len(table[0])
    plan = []
    for draws in range(1, choices.PLAN_DRAWS + 1):
        costs = [
            sum(max(0, t + v - draws * chance) ** power for t, v in zip(total, row, strict=True))
            for row in table
        ]
        plan.append(costs.index(min(costs)))
        total = [t + v for t, v in zip(total, table[plan[-1]], strict=True)]
    return tuple(plan), max(total)


@st.composite
def plan_tables(draw):
    """Kinds' scores as ``_plan`` gets them: small ones (any power), and large enough that 64-bit
    sums allow only the fourth power or the square (``_excess_power``)."""
    top = draw(st.sampled_from([12, 60, 600, 2**12, 2**20]))
    columns = draw(st.integers(1, 8))
    row = st.lists(st.integers(0, top), min_size=columns, max_size=columns)
    return draw(st.lists(row, min_size=1, max_size=10)), draw(st.integers(0, top // 2))


@given(
    table_chance=plan_tables(), power=st.sampled_from(choices.PLAN_POWERS), slack=st.integers(0, 4)
)
def test_a_plan_is_the_plain_greedy_search_and_given_up_only_when_it_cannot_end_fair(
    table_chance, power, slack
):
    """``_plan`` (numpy, in place) draws what the plain search draws at the power it may use;
    given a limit on every strategy's summed score, it gives up (``None``) exactly when the
    plan it would finish exceeds it, and otherwise finishes that plan."""
    table, chance = table_chance
    columns = len(table[0])
    bound = (choices.PLAN_DRAWS + 1) * max(max(row) for row in table)
    used = min(power, choices._excess_power(bound, columns))
    plan, largest = plain_plan(table, chance, used)
    found = (plan, Fraction(max(0, largest - choices.PLAN_DRAWS * chance), choices.PLAN_DRAWS))
    assert choices._plan(table, chance, power) == found
    limit = largest + slack - 2  # just below the plan's largest sum, at it, or above
    given_up = choices._plan(table, chance, power, give_up_above=limit)
    assert given_up == (None if largest > limit else found)


@given(seed=seeds)
def test_drawn_weights_are_the_integers_drawn(seed):
    """Weights are read from a table of the range's sympy Integers: the same numbers, of the same
    type, and the same draws, as making each Integer afresh."""
    family = get_family("sgd-minibatch-step")
    fast, plain = np.random.default_rng(seed), np.random.default_rng(seed)
    w0 = family.draw_w0(fast, {W0_IS_ZERO: False})
    low, high = family.W_VALUES.start, family.W_VALUES.stop
    while True:
        expected = tuple(sympy.Integer(int(v)) for v in plain.integers(low, high, size=2))
        if expected != (0, 0):
            break
    assert w0 == expected and all(type(v) is type(e) for v, e in zip(w0, expected, strict=True))
    assert fast.random() == plain.random()
    assert all(
        exact.integer(n) == sympy.Integer(n) and type(exact.integer(n)) is type(sympy.Integer(n))
        for n in range(-300, 300, 7)
    )


@given(rationals, rationals | st.integers(-9, 9).map(sympy.Integer))
def test_remembered_arithmetic_is_sympy_arithmetic(a, b):
    """Products, differences and quotients are remembered by their operands' numerators and
    denominators: each is sympy's own result for those values, of the same sympy type, whether
    computed or remembered."""
    for _ in range(2):  # computed, then remembered
        for remembered, plain in (
            (exact.product(a, b), a * b),
            (exact.difference(a, b), a - b),
            *([(exact.quotient(a, b), a / b)] if b != 0 else []),
        ):
            assert remembered == plain and type(remembered) is type(plain)
    third = exact.quotient(a, 3)
    assert third == a / 3 and type(third) is type(a / 3)
    n = a.p * b.q
    assert exact.integer(n) == sympy.Integer(n) and type(exact.integer(n)) is type(sympy.Integer(n))


@pytest.mark.parametrize("family_id", ["sgd-direction", "vanishing-gradient-definition"])
def test_remembered_bank_lookups_are_the_banks(family_id):
    """A bank family's statements by truth and by id are remembered per folder: the bank's own
    answers, and an unknown id is still refused as the bank refuses it."""
    family = get_family(family_id)
    bank = family.bank()
    for truth in (True, False):
        assert _concepts._with_truth(family.FOLDER, truth) == bank.with_truth(truth)
    for statement in bank.statements:
        assert _concepts._statement_in(family.FOLDER, statement.id) is bank.get(statement.id)
    with pytest.raises(ExamgenError, match="no statement 'nope'"):
        _concepts._statement_in(family.FOLDER, "nope")


coordinates = st.fractions(min_value=-20, max_value=20, max_denominator=12) | st.integers(-99, 99)


@given(st.lists(st.tuples(coordinates, coordinates), min_size=2, max_size=2))
def test_testwise_vector_helpers_are_the_plain_sums(pair):
    """``_dot`` and ``_minus`` map operator functions over the coordinates: the same exact sum
    and differences as the plain loops, on integer points and fractional ones."""
    u, v = pair
    assert testwise._dot(u, v) == sum(a * b for a, b in zip(u, v, strict=True))
    assert testwise._minus(u, v) == tuple(a - b for a, b in zip(u, v, strict=True))


small_rationals = st.fractions(min_value=-4, max_value=4, max_denominator=3).map(
    lambda f: sympy.Rational(f.numerator, f.denominator)
)


@given(
    a=small_rationals | st.tuples(small_rationals, small_rationals),
    b=small_rationals | st.tuples(small_rationals, small_rationals),
)
@example(a=sympy.Rational(1, 2), b=sympy.Rational(1, 3))
def test_same_value_is_exact_equality(a, b):
    """The Rational and tuple shortcuts of ``choices.same_value`` agree with sympy's
    subtraction, componentwise."""
    if isinstance(a, tuple) != isinstance(b, tuple):
        assert not choices.same_value(a, b)
        return
    pairs = zip(a, b, strict=True) if isinstance(a, tuple) else [(a, b)]
    assert choices.same_value(a, b) == all(x - y == 0 for x, y in pairs)
    assert choices.same_value(a, a)


descent_points = st.lists(
    st.tuples(st.integers(-6, 12), small_rationals),
    min_size=4,
    max_size=6,
    unique_by=lambda p: p[0],
)


@pytest.mark.parametrize("family_id", ["gradient-descent-step", "sgd-minibatch-step"])
@given(
    points=descent_points,
    w0=st.tuples(small_rationals, small_rationals),
    eta=st.sampled_from([sympy.Rational(1, d) for d in (1, 2, 3, 5, 10)]),
    batch=st.sets(st.integers(1, 4), min_size=2, max_size=3),
)
def test_early_rejection_is_the_rejection(family_id, points, w0, eta, batch):
    """A descent candidate rejected before solving is rejected for the reason solving it and
    checking it gives (the budget on its points' values); one not rejected early is decided
    by ``rejection`` itself."""
    family = get_family(family_id)
    data = tuple((sympy.Integer(x), y) for x, y in points)
    extra = {"batch": tuple(sorted(batch))} if family_id == "sgd-minibatch-step" else {}
    params = family.Params(data=data, w0=w0, eta=eta, **extra)
    early = family.early_rejection(params)
    assert early in (None, family.rejection(params, family.solve(params)))


def plain_ratio(u, v):
    """The r with v = r·u as first written: r from the first nonzero coordinate, then checked
    on every coordinate in Fractions."""
    pivot = next((i for i, x in enumerate(u) if x), None)
    if pivot is None:
        return None
    r = Fraction(v[pivot]) / Fraction(u[pivot])
    return r if all(r * x == y for x, y in zip(u, v, strict=True)) else None


small_coordinates = st.integers(-6, 6) | st.fractions(-6, 6, max_denominator=4)


@given(
    u=st.lists(small_coordinates, min_size=1, max_size=3),
    r=st.fractions(-4, 4, max_denominator=4),
    nudge=st.none() | st.tuples(st.integers(0, 2), st.integers(-2, 2)),
)
@example(u=[0, 0], r=Fraction(2), nudge=None)
@example(u=[0, 3], r=Fraction(1, 2), nudge=(0, 1))
def test_a_ratio_by_cross_products_is_the_plain_ratio(u, r, nudge):
    """``_ratio`` tests v = r·u in products of coordinates and makes a Fraction only for a
    parallel pair: the same ratio, or none, as dividing and checking in Fractions, for
    multiples (``nudge=None``) and for points one coordinate off a multiple."""
    v = [r * x for x in u]
    if nudge is not None:
        v[nudge[0] % len(v)] += nudge[1]
    assert testwise._ratio(tuple(u), tuple(v)) == plain_ratio(u, v)
    assert type(testwise._ratio(tuple(u), tuple(v))) is type(plain_ratio(u, v))


@st.composite
def step_tables(draw):
    """Steps of one dimension (none at all, too): small integers (worked out with numpy), with
    some scaled multiples among them, or with a coordinate too large for 64-bit products or a
    fraction (worked out in Python)."""
    dimension = draw(st.integers(0, 3))
    coordinate = st.integers(-4, 4)
    steps = draw(st.lists(st.tuples(*[coordinate] * dimension), min_size=1, max_size=7))
    for factor in draw(st.lists(st.sampled_from([-2, -1, 2, 3]), max_size=3)):
        steps.append(tuple(factor * x for x in steps[draw(st.integers(0, len(steps) - 1))]))
    odd = draw(st.sampled_from([None, 2**40, -(2**40), Fraction(1, 3)]))
    if odd is not None and dimension:
        steps[draw(st.integers(0, len(steps) - 1))] = (odd, *steps[0][1:])
    return steps


@given(steps=step_tables())
@example(steps=[(), ()])  # options of no coordinates: no step is nonzero
def test_the_multiples_rules_read_the_plain_ratios(steps):
    """Both multiples rules read one remembered table of ratios: every ordered pair of distinct
    options from a nonzero step, as ``plain_ratio`` gives it, a Fraction, whether the table was
    worked out with numpy (small integers) or in Python."""
    table = testwise._step_ratios(tuple(steps))
    assert len(table) == len(steps)
    for a, row in enumerate(table):
        assert len(row) == len(steps)
        for b, ratio in enumerate(row):
            expected = plain_ratio(steps[a], steps[b]) if a != b and any(steps[a]) else None
            assert ratio == expected
            assert type(ratio) is type(expected)


@given(
    values=st.lists(small_vectors, min_size=2, max_size=8, unique=True),
    count=st.integers(1, 4),
    center=st.none() | small_vectors,
)
def test_the_quick_strategies_columns_are_the_full_tables(values, count, center):
    """Weighed alone (``outcome_arrays(only=...)``), the quick strategies score every set of
    distractors as they do among all the strategies, and every other column sees no cue."""
    named = {f"m{i}": v for i, v in enumerate(values)}
    correct = next(iter(named))
    asked = choices.AskedOptions.of(correct, named, count, "vector", center, ())
    *_, full = choices._set_scores(asked)
    _, size, scale, quick = choices._set_scores(asked, choices.QUICK_STRATEGIES)
    names = list(testwise.STRATEGIES)
    for column, name in enumerate(names):
        for way in (0, 1):
            got, whole = quick[:, 2 * column + way], full[:, 2 * column + way]
            if name in choices.QUICK_STRATEGIES:
                assert (got == whole).all(), name
            else:
                assert (got == scale // size).all(), name  # blind: chance in every set


def test_a_quick_strategys_verdict_is_the_plans():
    """``has_fair_plan`` answers no without a plan when one quick strategy beats a guess on
    every set of distractors; on the gradient step's own options (2,000 draws of params) it says
    what the plan's excess says, and takes that shortcut for some of them."""
    form = with_form_choice("gradient-descent-step")
    rng = np.random.default_rng(13)
    shortcuts = weighed = 0
    for _ in range(2000):
        params = form.base.draw(rng, {})
        solution = form.base.solve(params)
        if form.base.rejection(params, solution) is not None:
            continue
        values, kind, center, factors = form.offered(params, solution)
        args = (choices.CORRECT, values, form.DISTRACTORS, kind, center, factors)
        asked = choices.AskedOptions.of(*args)
        plan_says = choices._fair_sets_of(asked).excess <= choices.PLAN_SLACK
        quick = choices._beaten_by_a_quick_strategy(asked)
        assert choices.has_fair_plan(*args) == plan_says
        assert not (quick and plan_says)
        shortcuts += quick
        weighed += 1
        if weighed >= 150:
            break
    assert weighed >= 150 and shortcuts >= 10, (weighed, shortcuts)


def with_form_choice(family_id):
    return choices.with_form(get_family(family_id), "choice")


@pytest.mark.parametrize("family_id", ["gradient-descent-step", "sgd-minibatch-step"])
@settings(max_examples=20)  # each draws about ten params with their plans; the golden builds pin more
@given(seed=seeds)
def test_a_choice_variant_is_solved_as_afresh(family_id, seed):
    """``generate`` solves the choice form's params with the solution and mistakes its draw just
    worked out (``ChoiceForm._solved_in_draw``): the same solution as solving them afresh, and
    never the same object for two variants."""
    form = with_form_choice(family_id)
    variant = form.generate(question_stream(seed, "s001", 1))
    assert form._drawn is None  # taken by the solve that followed the draw
    afresh = form.solve(variant.params)
    assert afresh == variant.solution
    assert afresh.steps["choices"] == variant.solution.steps["choices"]
    again = form.generate(question_stream(seed, "s001", 1))
    assert again.solution == variant.solution and again.solution is not variant.solution
    assert again.solution.steps is not variant.solution.steps
    # A draw of other params in between: solving the first ones solves them afresh.
    rng = np.random.default_rng(seed)
    first = form.draw(rng, {choices.FAIR_TRIES_LEFT: [0]})
    other = form.draw(rng, {choices.FAIR_TRIES_LEFT: [0]})
    assert form.base_params(other) != form.base_params(first)
    assert form.solve(first) == choices.ChoiceForm(form.base).solve(first)  # one that drew nothing
