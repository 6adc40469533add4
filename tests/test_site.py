"""The practice site as files: which problems and variants it holds, that every variant's params
and answers agree with its family, that math is MathML, and that the same inputs give the same
bytes. What a browser does with the pages is tests/test_site_browser.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import generate_student
from generator.cli import main
from generator.errors import ExamgenError
from generator.families import get_family, registry
from generator.files import foreign_entries
from generator.mathml import html_with_mathml, prove_mathml, tex_to_mathml
from generator.roster import numbered_students
from generator.scaffold import new_family
from generator.seeding import stream
from generator.site import SITE_ENTRIES, site_for_spec, site_for_tags
from generator.site.pages import problem_view, tag_file, tag_order
from generator.site.problems import Problem, build_problems, choices_from_spec, practice_variants
from generator.spec import DEFAULT_SPEC, load_spec
from tests.browser import DEBIAN_PACKAGES
from tests.site_pages import read_page

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_FAMILIES = [slot.family.ID for slot in load_spec(DEFAULT_SPEC).slots]
NUMERIC = {"gradient-descent-step", "sgd-minibatch-step"}


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_lecture14_page_holds_the_seven_reference_problems(lecture14_site):
    """The issue's command: one page for lecture-14 with every reference problem, the numeric ones
    with 50 distinct variants, and an index linking to it."""
    articles, _ = read_page(lecture14_site / "tags" / "lecture-14.html")
    families = [a.family for a in articles]
    assert set(REFERENCE_FAMILIES) <= set(families) and len(REFERENCE_FAMILIES) == 7
    assert len(families) == len(set(families))
    for article in articles:
        params = [v["data-params"] for v in article.variants]
        assert len(params) == len(set(params)), article.family  # no repeats
        assert article.attrs["data-params"] == params[0]
        if article.family in NUMERIC:
            assert len(params) == 50
        if get_family(article.family).FORM == "true-false":  # every statement of the bank
            assert len(params) == len(get_family(article.family).bank().ids)
    index = (lecture14_site / "index.html").read_text(encoding="utf-8")
    assert 'href="tags/lecture-14.html"' in index
    record = json.loads((lecture14_site / "examgen-site.json").read_text(encoding="utf-8"))
    assert record["seed"] == 0 and record["variants"] == 50
    assert {p["family"]: [json.dumps(v, ensure_ascii=False) for v in p["variants"]] for p in record["problems"]} == {
        a.family: [json.dumps(json.loads(v["data-params"]), ensure_ascii=False) for v in a.variants] for a in articles
    }


def test_practice_variants_are_not_the_numbered_students_exams(lecture14_site):
    """Variant k is not what student s00k of `build --count` gets: the streams are the site's own."""
    spec = load_spec(DEFAULT_SPEC)
    articles, _ = read_page(lecture14_site / "tags" / "lecture-14.html")
    shown = {a.family: [json.loads(v["data-params"]) for v in a.variants[:10]] for a in articles}
    exams = [generate_student(spec, 0, s) for s in numbered_students(10)]
    for family in NUMERIC:
        built = [q.variant.key_params() for e in exams for q in e.questions if family == q.variant.family.ID]
        assert not set(map(str, built)) & set(map(str, shown[family]))


def test_every_variant_on_the_page_is_its_familys_own(lecture14_site):
    """Each template's params regenerate (all pinned) to the very answer the page checks against,
    and are exactly what key.json writes for that variant."""
    articles, _ = read_page(lecture14_site / "tags" / "lecture-14.html")
    for article in articles:
        family = get_family(article.family)
        for template in article.variants:
            params = json.loads(template["data-params"])
            variant = family.generate(stream(0, "any"), family.parse_params(params))
            assert variant.key_params() == params
            answer = variant.solution.answer
            if answer.kind in ("vector", "number"):
                check = json.loads(template["data-check"])
                assert check["value"] == answer.to_json()["value"]
                wrong = family.misconceptions(variant.params, variant.solution)
                assert {m["name"] for m in check["mistakes"]} == set(wrong)
                assert set(wrong) <= set(article.mistakes)


def test_the_readme_says_how_large_the_lecture14_page_is(lecture14_site):
    """README gives a page's weight (an auditor's: it said nothing of it, and a phone loads every
    variant): "about 2.7 MB" at the default 50, within a tenth of it."""
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "the lecture-14 page's 8 problems are about 2.7 MB at the default 50" in readme
    page = lecture14_site / "tags" / "lecture-14.html"
    assert len(read_page(page)[0]) == 8
    assert abs(page.stat().st_size / 1e6 - 2.7) < 0.27, page.stat().st_size


def test_page_text_has_no_raw_latex(lecture14_site):
    page = lecture14_site / "tags" / "lecture-14.html"
    _, text = read_page(page)
    assert "$" not in text and not re.search(r"\\[A-Za-z(\[]", text)
    assert page.read_text(encoding="utf-8").count("<math") > 100


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32))
def test_every_family_renders_to_mathml_without_raw_latex(seed):
    """Any variant of any family: every formula becomes MathML (no command left as text)."""
    for family in registry().values():
        variants = practice_variants(family, {}, seed, 2)
        view = problem_view(Problem(family, {}, variants), family.ID)
        for v in view.variants:
            parts = [v.statement, v.solution, *(h for _, h in v.options), *(h for _, h in v.notes)]
            for html in parts + [h for _, h in view.mistakes]:
                outside = re.sub(r"<math.*?</math>", "", html, flags=re.S)
                assert "$" not in outside and not re.search(r"\\[A-Za-z(\[]", outside), html
            assert "<math" in v.statement or family.FORM != "free"


def test_same_inputs_give_byte_identical_sites(lecture14_site, tmp_path):
    """Another process, another PYTHONHASHSEED: the same files, byte for byte."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    again = tmp_path / "again"
    subprocess.run(
        [sys.executable, "-m", "generator", "site", "--tags", "lecture-14", "--out", str(again)],
        check=True, cwd=ROOT, env=env, capture_output=True,
    )
    assert files_of(again) == files_of(lecture14_site)


def test_another_seed_gives_other_variants(tmp_path):
    runner = CliRunner()
    for seed in ("0", "1"):
        args = ["site", "--tags", "SGD", "--variants", "3", "--seed", seed, "--out", str(tmp_path / seed)]
        assert runner.invoke(main, args).exit_code == 0
    pages = [read_page(tmp_path / s / "tags" / "sgd.html")[0] for s in ("0", "1")]
    sgd = [[a.variants for a in p if a.family == "sgd-minibatch-step"][0] for p in pages]
    assert sgd[0] != sgd[1]


def test_spec_site_keeps_pins_forms_and_grading_rule(tmp_path):
    """A spec's pinned params, its multiple-choice form and its [grading] rule reach the page;
    each wrong choice is told its named mistake's explanation."""
    spec_path = tmp_path / "quiz.toml"
    spec_path.write_text(
        'id = "q"\ntitle = "Quiz 9"\n[grading]\ndecimals = 3\n'
        '[[questions]]\nfamily = "gradient-descent-step"\nparams = { eta = "1/2" }\n'
        '[[questions]]\nfamily = "sgd-minibatch-step"\nform = "choice"\n'
        '[[questions]]\nfamilies = ["sgd-direction", "sgd-iterations"]\n',
        encoding="utf-8",
    )
    summary = site_for_spec(load_spec(spec_path), 0, 5, tmp_path / "site")
    assert summary.pages["SGD"] == 3  # the pool gives each of its families
    assert set(summary.variants) == {
        "gradient-descent-step", "sgd-minibatch-step", "sgd-direction", "sgd-iterations"
    }
    record = json.loads((tmp_path / "site" / "examgen-site.json").read_text(encoding="utf-8"))
    assert [p.get("form") for p in record["problems"]] == [None, "choice", None, None]
    articles, _ = read_page(tmp_path / "site" / "tags" / "gradient-descent.html")
    step, choice = articles[:2]
    assert json.loads(step.attrs["data-rule"]) == {"decimals": 3, "significant": 2}
    assert all(json.loads(v["data-params"])["eta"] == "1/2" for v in step.variants)
    html = (tmp_path / "site" / "tags" / "gradient-descent.html").read_text(encoding="utf-8")
    family = get_family("sgd-minibatch-step")
    for template in choice.variants:
        sources = json.loads(template["data-params"])["choices"]
        assert "correct" in sources
        for name in sources:
            if name != "correct":
                first_words = family.mistake_explanation(name).split("$")[0][:40]
                assert first_words in html


def test_site_cli_errors_are_one_line_and_leave_folders_alone(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["site", "--tags", "no-such-tag", "--out", str(tmp_path / "s")])
    assert result.exit_code == 1 and "no family is tagged 'no-such-tag'" in result.output
    assert "lecture-14" in result.output and not (tmp_path / "s").exists()
    both = ["site", "--tags", "SGD", "--spec", str(DEFAULT_SPEC), "--out", str(tmp_path / "s")]
    assert runner.invoke(main, both).exit_code == 1
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    result = runner.invoke(main, ["site", "--out", str(mine), "--variants", "1"])
    assert result.exit_code == 1 and "not a site examgen wrote" in result.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_default_site_has_a_page_per_tag_and_rebuilds_in_place(tmp_path):
    """The second run replaces the first site's pages, and keeps what the instructor added to the
    folder (a GitHub Pages checkout: .git, CNAME); on main those were deleted."""
    out = tmp_path / "site"
    runner = CliRunner()
    # A tag no longer chosen: a course family's, on the earlier site only.
    assert runner.invoke(main, ["new", "slope", "--dir", str(tmp_path / "course")]).exit_code == 0
    earlier = ["site", "--variants", "1", "--families", str(tmp_path / "course"), "--tags"]
    dropped = runner.invoke(main, [*earlier, "calculus", "--out", str(out)])
    assert dropped.exit_code == 0 and (out / "tags" / "calculus.html").exists(), dropped.output
    for run in range(2):
        result = runner.invoke(main, ["site", "--variants", "2", "--out", str(out)])
        assert result.exit_code == 0, result.output
        if run == 0:
            assert foreign_entries(out, SITE_ENTRIES) == []  # SITE_ENTRIES names all it writes
            (out / ".git").mkdir()
            (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
            (out / "CNAME").write_text("practice.example.edu\n")
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (out / "CNAME").read_text() == "practice.example.edu\n"
    assert not (out / "tags" / "calculus.html").exists()
    assert f"Kept what else was in {out} (not written by examgen): .git, CNAME" in result.output
    tags = sorted({t for f in registry().values() for t in f.TAGS}, key=str.lower)
    pages = sorted(p.name for p in (out / "tags").iterdir())
    assert len(pages) == len(tags)
    assert oct(out.stat().st_mode & 0o777) == oct(0o755)  # readable by a web server


@pytest.mark.parametrize(
    ("added", "says"),
    [
        ("assets/custom.css", "assets/custom.css is not what examgen wrote there"),
        ("tags/extra-problems.html", "tags/extra-problems.html is not what examgen wrote there"),
        ("tags/old/index.html", "tags/old is not what examgen wrote there"),
        ("examgen-site.json", "but no readable examgen-site.json"),
    ],
)
def test_a_rebuild_stops_before_deleting_a_file_of_yours_in_tags_or_assets(
    lecture14_site, tmp_path, added, says
):
    """tags/ and assets/ are replaced whole: a stylesheet or page of the instructor's there went
    with them, unmentioned, on 1be3fcf. Now the rebuild names it and writes nothing; a marker
    that is no JSON is no earlier site."""
    out = tmp_path / "site"
    shutil.copytree(lecture14_site, out)
    (out / added).parent.mkdir(parents=True, exist_ok=True)
    (out / added).write_text("{" if added == "examgen-site.json" else "the instructor's")
    before = {p: p.read_bytes() if p.is_file() else None for p in tmp_path.rglob("*")}
    result = CliRunner().invoke(main, ["site", "--tags", "lecture-14", "--out", str(out)])
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert result.output.startswith("Error: ") and says in result.output
    assert {p: p.read_bytes() if p.is_file() else None for p in tmp_path.rglob("*")} == before


def test_pages_reference_nothing_outside_the_site(lecture14_site):
    for page in lecture14_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for ref in re.findall(r'(?:src|href)="([^"]*)"', text):
            assert not re.match(r"[a-z]+:|//", ref), (page, ref)
            assert (page.parent / ref.split("#")[0]).resolve().exists(), (page, ref)


@pytest.mark.parametrize(
    ("tag", "taken", "name"),
    [
        ("vanishing gradients", [], "vanishing-gradients.html"),
        ("SGD", ["sgd.html"], "sgd-2.html"),
        ("???", [], "tag.html"),
        ("CON", [], "con-tag.html"),  # on main con.html: the console on Windows
        ("t" * 300, [], "t" * 80 + ".html"),
    ],
)
def test_tag_file_names(tag, taken, name):
    assert tag_file(tag, taken) == name


@given(
    tags=st.lists(
        st.sampled_from(["SGD", "sgd", "Sgd", "lecture-14", "Lecture-14", "calculus", "ß", "SS"]),
        min_size=1,
        max_size=8,
    ),
    data=st.data(),
)
def test_tag_pages_are_named_alike_whatever_order_the_tags_come_in(tags, data):
    """The tags found in the chosen families come from a set, whose order changes with
    PYTHONHASHSEED: on 1be3fcf "SGD" and a course family's "sgd" got sgd.html and sgd-2.html
    either way round, so a page's address changed from one run to the next."""
    shuffled = data.draw(st.permutations(tags))
    assert tag_order(shuffled) == tag_order(tags) == sorted(set(tags), key=lambda t: (t.lower(), t))
    files: list[str] = []
    for tag in tag_order(shuffled):
        files.append(tag_file(tag, files))
    assert len({f.lower() for f in files}) == len(files)
    if "SGD" in tags:  # the built-in tag keeps sgd.html whatever a course adds
        assert files[tag_order(tags).index("SGD")] == "sgd.html"


def test_install_browser_installs_the_packages_the_tests_name():
    script = (ROOT / "scripts" / "install-browser").read_text(encoding="utf-8")
    listed = re.search(r'^PACKAGES="([^"]*)"', script, re.M)
    assert listed and tuple(listed.group(1).split()) == DEBIAN_PACKAGES
    assert "install-browser --required" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_mathml_signs_vectors_and_names():
    """A sign after a bracket or comma is a prefix minus, a binary minus stays binary, \\vec is a
    fixed accent, \\operatorname a name applied to its argument; unknown commands are refused."""
    mathml = tex_to_mathml(r"(-8, -8) - \begin{bmatrix}-1\end{bmatrix} - 1/4 + \vec w + \operatorname{Aug}(x)")
    assert mathml.count('<mo form="prefix">&#x02212;</mo>') == 3
    assert mathml.count("<mo>&#x02212;</mo>") == 2
    assert '<mover accent="true"><mi>w</mi><mo>&#x02192;</mo></mover>' in mathml
    assert "<mi>Aug</mi><mo>&#x02061;</mo>" in mathml and "\\" not in mathml
    with pytest.raises(ExamgenError, match=r"does not know \\nosuchcommand"):
        tex_to_mathml(r"\nosuchcommand{x}")


@given(
    command=st.sampled_from([r"\href{javascript:alert(1)}", r"\style{color:red}", r"\class{hidden}"]),
    inner=st.sampled_from(["x", r"\frac{1}{2}", "click"]),
)
def test_math_that_would_put_a_link_style_or_class_into_the_page_is_refused(command, inner):
    """latex2mathml copies \\href's URL (``javascript:`` too), \\style's CSS and \\class's name
    into the page as attributes; on 1be3fcf a bank's ``$\\href{javascript:…}{click}$`` became a
    link in the practice page's MathML."""
    with pytest.raises(ExamgenError, match="takes no links, styles or classes from math"):
        tex_to_mathml(f"a + {command}{{{inner}}}")


#: Math latex2mathml cannot read, with what the error says of it (on 56ffab2 each was a traceback
#: from `examgen site`, and `examgen check` passed the family).
UNREADABLE_MATH = [
    (r"\frac{1}{", "a { never closed"),
    (r"\left( x", r"a \left without its \right"),
    (r"x_1_2", "two subscripts in a row"),
    (r"x^", "with nothing after it"),
    (r"\begin{pmatrix} 1", r"a \begin without its \end"),
]


@pytest.mark.parametrize(("tex", "says"), UNREADABLE_MATH)
def test_math_the_converter_cannot_read_is_one_error_saying_why(tex, says):
    with pytest.raises(ExamgenError) as raised:
        tex_to_mathml(tex)
    message = str(raised.value)
    assert message.startswith(f"math {tex!r}: the MathML converter cannot read it (")
    assert message.endswith("); fix the math (pdflatex would stop on it too)")
    assert says in message and "\n" not in message and "Error" not in message


#: Formulas as a template prints them, a digit slot (0) for each number; some unreadable.
FORMULA_SHAPES = [
    r"\frac{0}{00} + 0",
    r"\begin{bmatrix}0 \\ -0\end{bmatrix}",
    r"w_0^{(0)} = 0.0",
    r"\left( 0, 00 \right)",
    r"\frac00",
    r"0^{-0}_0",
    r"\frac{0}{",
    r"\left( 0",
    r"x_0_0",
    r"0^",
]


@settings(max_examples=80, deadline=None)
@given(shape=st.sampled_from(FORMULA_SHAPES), data=st.data())
def test_formulas_of_one_shape_convert_alike_so_check_converts_one_per_shape(shape, data):
    """``prove_mathml`` converts one formula of each shape (digits as 0): it relies on every
    formula of a shape converting, or failing, alike, whatever its numbers."""
    def numbers() -> str:
        digits = iter(data.draw(st.lists(st.sampled_from("0123456789"), min_size=20, max_size=20)))
        return re.sub("0", lambda _: next(digits), shape)

    def converts(tex: str) -> bool:
        try:
            tex_to_mathml(tex)
        except ExamgenError:
            return False
        return True

    first, second = numbers(), numbers()
    assert converts(first) == converts(second) == converts(shape)
    # And prove_mathml says what converting the fragment would, in any order of proving.
    for tex in (first, second):
        fragment = f"<p>\\( {tex} \\)</p>"
        expected = converts(tex)
        try:
            prove_mathml(fragment)
        except ExamgenError:
            assert not expected
        else:
            assert expected


def test_malformed_math_in_a_course_family_fails_check_and_is_one_line_from_site(tmp_path):
    folder = new_family("slope", tmp_path, "number")
    template = folder / "template.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("By the power rule,", r"By the power rule, $\left( x$,"))
    families = ["--families", str(tmp_path)]
    checked = CliRunner().invoke(main, ["check", "slope", *families, "--variants", "3"])
    assert checked.exit_code == 1
    assert "render html solution: math '\\\\left( x': the MathML converter cannot read it" in checked.output
    site = CliRunner().invoke(main, ["site", *families, "--tags", "calculus", "--out", str(tmp_path / "site")])
    assert site.exit_code == 1 and site.exception is None or isinstance(site.exception, SystemExit)
    assert site.output.strip().splitlines() == [
        "Error: family slope: math '\\\\left( x': the MathML converter cannot read it "
        "(a \\left without its \\right); fix the math (pdflatex would stop on it too)"
    ]
    # A mistake's explanation (family.py), in a family of its own: this process keeps the
    # template and module it loaded.
    module = new_family("curve", tmp_path / "other", "number") / "family.py"
    source = module.read_text(encoding="utf-8")
    # Balanced braces (a { left open is refused when the family loads, naming the mistake).
    explained = source.replace("the factor $2$.", "the factor $\\\\left( 2$.")
    assert explained != source
    module.write_text(explained)
    other = ["--families", str(tmp_path / "other")]
    checked = CliRunner().invoke(main, ["check", "curve", *other, "--variants", "3"])
    assert checked.exit_code == 1 and "mistake 'power-rule-no-factor': math" in checked.output, checked.output


@pytest.mark.parametrize(
    "tex",
    [
        r"\frac{1}{2}",
        r"\dfrac{a}{b}",
        r"\vec w",
        r"\operatorname{Aug}(x)",
        r"\begin{bmatrix}1 & 2 \\ 3 & 4\end{bmatrix}",
        r"\left( x \right)",
    ],
)
def test_the_commands_the_authors_guide_promises_convert(tex):
    """docs/practice-pages.md names these as working: each becomes MathML with no LaTeX left."""
    guide = (Path(__file__).parent.parent / "docs" / "practice-pages.md").read_text(encoding="utf-8")
    guide = " ".join(guide.split())
    assert tex.split("{")[0].split()[0] in guide
    mathml = tex_to_mathml(tex)
    assert mathml.startswith("<math") and "\\" not in mathml

def test_a_course_folders_families_get_practice_pages(tmp_path):
    """``site --families DIR --tags TAG``: a course family (the authoring guide's) has its page,
    like ``check`` and ``preview`` find it; with ``--spec`` the spec names its folder itself."""
    from tests.course import write_guide_course

    families = write_guide_course(tmp_path / "course") / "families"
    out = tmp_path / "site"
    argv = ["site", "--families", str(families), "--tags", "momentum", "--variants", "2"]
    result = CliRunner().invoke(main, [*argv, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "momentum (1)" in result.output
    page = next((out / "tags").iterdir()).read_text(encoding="utf-8")
    assert "momentum-step" in page
    unknown = CliRunner().invoke(main, ["site", "--tags", "momentum", "--out", str(out)])
    assert unknown.exit_code == 1 and "no family is tagged 'momentum'" in unknown.output
    spec = ["site", "--spec", str(DEFAULT_SPEC), "--families", str(families), "--out", str(out)]
    both = CliRunner().invoke(main, spec)
    assert both.exit_code == 1 and "--families goes with --tags" in both.output
    own = ["site", "--spec", str(tmp_path / "course" / "quiz.toml"), "--variants", "2"]
    result = CliRunner().invoke(main, [*own, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "momentum-step" in (out / "tags" / page_name(out, "momentum")).read_text("utf-8")


def page_name(site: Path, tag: str) -> str:
    (name,) = [p.name for p in (site / "tags").iterdir() if p.stem.lower() == tag.lower()]
    return name


def test_a_course_familys_odd_id_title_and_tags_are_escaped_and_named_safely(
    tmp_path, monkeypatch
):
    """A course family may declare any title and tags (and, before IDs were checked when a family
    loads, any folder name: let it load, to test the page). On main its ID went into the page's
    ``id``, ``for`` and ``aria-*`` attributes as it was (``id="odd"id<x>"``), and a 300-character
    tag named a file too long for the disk (an error naming the staging folder)."""
    import generator.families
    from generator.scaffold import new_family

    monkeypatch.setattr(generator.families, "is_family_id", lambda text: True)

    family_id, long_tag = 'odd"id<x> &', "t" * 300 + "<script>"
    scaffold = new_family("odd-id", tmp_path / "families", "number")
    module = scaffold / "family.py"
    text = module.read_text(encoding="utf-8")
    text = text.replace('ID = "odd-id"', f"ID = {family_id!r}")
    text = text.replace('TITLE = "Odd id"', "TITLE = '<script>alert(1)</script> & \"q\"'")
    module.write_text(text.replace('TAGS = ("calculus",)', f"TAGS = ({long_tag!r},)"), "utf-8")
    scaffold.rename(scaffold.with_name(family_id))
    out = tmp_path / "site"
    argv = ["site", "--families", str(tmp_path / "families"), "--tags", long_tag]
    result = CliRunner().invoke(main, [*argv, "--variants", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (page,) = (out / "tags").iterdir()
    assert re.fullmatch(r"t{80}\.html", page.name)
    articles, text = read_page(page)
    (article,) = articles
    assert article.family == family_id  # the attribute reads back as the ID
    assert re.fullmatch(r"[a-z0-9-]+", article.attrs["id"])
    assert "<script>alert(1)</script> & \"q\"" in text and long_tag in text
    html = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html and family_id not in html


@given(
    st.text(
        st.characters(categories=("L", "N", "P", "S"), exclude_characters="{}\\$%#^_~")
        | st.just(" "),
        min_size=1,
        max_size=30,
    ).filter(lambda s: s.strip())
)
def test_text_in_math_is_text_on_the_page(text):
    """``$\\text{…}$`` in a template or bank: on main latex2mathml's own serialisation unescaped
    the whole MathML, so ``\\text{<b>x</b> & y}`` put a live ``<b>`` (or ``<script>``) and a
    bare ``&`` into the practice page. The MathML is well-formed and the text reads back."""
    import xml.etree.ElementTree as ET

    math = ET.fromstring(tex_to_mathml(f"\\text{{{text}}}"))
    assert "".join(math.itertext()).replace("\xa0", " ").strip() == text.strip()


@given(
    points=st.lists(st.tuples(st.integers(-99, 99), st.integers(-99, 99)), min_size=1, max_size=9),
    rest=st.sampled_from(["", " ^T", r" = \eta"]),
    after=st.sampled_from(["", ".", ",", ").", ";"]),
)
def test_an_inline_formula_breaks_between_items_and_keeps_its_punctuation(points, rest, after):
    """A browser never breaks a ``<math>`` across lines: on 793abf8 a data set of six points was
    one formula wider than a phone's column, and the "." after it could start a line alone. The
    formula is now several, cut only after a relation or a comma between items (never inside a
    point's brackets), that read together as the whole; the punctuation after it stays with the
    last one in a span that does not wrap."""
    import xml.etree.ElementTree as ET

    tex = r"(x, y) \in \lbrace " + r",\ ".join(f"({x}, {y})" for x, y in points) + r" \rbrace" + rest
    page = html_with_mathml(f"<p>Data: \\({tex}\\){after} Next.</p>")
    formulas = re.findall(r"<math .*?</math>", page)
    # No xmlns: the page's HTML puts <math> in its namespace (43 bytes a formula, 14% of a page).
    assert all(f.startswith('<math display="inline"><mrow>') for f in formulas)
    texts = ["".join(ET.fromstring(f).itertext()) for f in formulas]
    assert "".join(texts) == "".join(ET.fromstring(tex_to_mathml(tex)).itertext())
    # "(x, y) ∈", then each point with its comma (and "= η" after the last, cut at "=").
    assert len(formulas) == 1 + len(points) + (rest == r" = \eta")
    assert all(t.count("(") == t.count(")") for t in texts)
    if after:
        assert page.endswith(f'<span class="math-end">{formulas[-1]}{after}</span> Next.</p>')
    else:
        assert page.endswith(f"{formulas[-1]} Next.</p>") and "math-end" not in page


def test_a_tag_given_twice_is_one_page(tmp_path):
    """On main ``--tags SGD --tags SGD`` listed SGD twice in the index, both linking to a page
    named sgd-2.html, and no sgd.html."""
    out = tmp_path / "site"
    args = ["site", "--tags", "SGD", "--tags", "SGD", "--variants", "1", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert [p.name for p in (out / "tags").iterdir()] == ["sgd.html"]
    assert (out / "index.html").read_text(encoding="utf-8").count('href="tags/') == 1


@settings(max_examples=4, deadline=None)
@given(tags=st.permutations(["SGD", "lecture-14", "vanishing gradients"]))
def test_tags_given_in_any_order_make_the_same_site(tmp_path_factory, tags):
    """An auditor's (65172e0): ``--tags`` in another order listed the index in that order, and a
    course's "sgd" beside "SGD" swapped which page sgd.html held."""
    sites = []
    for order in (tags, sorted(tags)):
        out = tmp_path_factory.mktemp("site") / "site"
        args = ["site", *(a for t in order for a in ("--tags", t)), "--variants", "1"]
        assert CliRunner().invoke(main, [*args, "--out", str(out)]).exit_code == 0
        sites.append(files_of(out))
    assert sites[0] == sites[1]
    assert len([name for name in sites[0] if name.startswith("tags/")]) == 3


TRUE_FALSE = [f for f in registry().values() if f.FORM == "true-false"]


@settings(max_examples=25, deadline=None)
@given(
    family=st.sampled_from(TRUE_FALSE),
    seed=st.integers(0, 2**32 - 1),
    extra=st.integers(0, 30),
)
def test_a_true_false_family_offers_every_statement_of_its_bank(family, seed, extra):
    """K at least the bank's size: every statement, each once. On 248b4b9 variant k was draw k
    and repeats were dropped, so K draws left statements out (coupon collector): `site --tags
    "neural networks" --variants 20 --seed 1` gave vanishing-gradient-remedies 7 of its 8."""
    statements = family.bank().ids
    variants = practice_variants(family, {}, seed, len(statements) + extra)
    shown = [v.params.statement for v in variants]
    assert sorted(shown) == sorted(set(statements))


def test_the_reviewers_true_false_families_show_their_whole_banks(tmp_path):
    """The reviewer's command; families with more variants than K keep exactly K."""
    summary = site_for_tags(["neural networks"], 1, 20, tmp_path / "site")
    for name, count in summary.variants.items():
        family = get_family(name)
        expected = len(family.bank().ids) if family.FORM == "true-false" else 20
        assert count == expected, name


def test_extra_draws_leave_the_first_variants_as_they_were():
    """A family with plenty of variants: the first K draws as before, more only past a repeat."""
    family = get_family("gradient-descent-step")
    variants = practice_variants(family, {}, 5, 30)
    assert [v.key_params() for v in variants] == [
        family.generate(stream(5, "practice", family.ID, k), {}).key_params() for k in range(1, 31)
    ]


@pytest.mark.parametrize(
    ("decimals", "significant", "says"),
    [
        (2, 2, "rounded to at least 2 decimal places and 2 significant digits."),
        (0, 2, "rounded to at least 2 significant digits."),
        (1, 1, "rounded to at least 1 decimal place and 1 significant digit."),
        (0, 1, "rounded to at least 1 significant digit."),
        (3, 0, "rounded to at least 3 decimal places."),
        (0, 0, "rounded to any number of decimal places, whole numbers included."),
    ],
)
def test_the_answer_hint_reads_naturally_for_every_grading_rule(tmp_path, decimals, significant, says):
    """[grading] decimals = 0 read "at least 0 decimal places and 1 significant digits" on
    248b4b9: no zero count, and one place or digit in the singular."""
    spec_path = tmp_path / "quiz.toml"
    spec_path.write_text(
        f'id = "q"\ntitle = "Q"\n[grading]\ndecimals = {decimals}\nsignificant = {significant}\n'
        '[[questions]]\nfamily = "gradient-descent-step"\n',
        encoding="utf-8",
    )
    site_for_spec(load_spec(spec_path), 0, 1, tmp_path / "site")
    _, text = read_page(tmp_path / "site" / "tags" / "lecture-14.html")
    hint = next(line for line in text.splitlines() if line.startswith("Type a vector"))
    assert hint == f"Type a vector as (4, 9): exact fractions such as -7/3, or decimals {says} Press Enter to check."
    assert " 0 " not in hint


BANDED = [f for f in registry().values() if f.WORK_BANDS]


def spec_file(folder: Path, questions: list[str], grading: str = "") -> Path:
    """A spec of these ``[[questions]]`` tables (TOML bodies), as a file in ``folder``."""
    path = folder / "quiz.toml"
    tables = "".join(f"[[questions]]\n{q}\n" for q in questions)
    path.write_text(f'id = "q"\ntitle = "Quiz"\n{grading}{tables}', encoding="utf-8")
    return path


@settings(max_examples=8, deadline=None)
@given(
    family=st.sampled_from(BANDED),
    bands=st.lists(st.sampled_from(["easy", "standard", "hard"]), min_size=2, max_size=2, unique=True),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_family_asked_at_two_difficulties_is_two_problems(tmp_path_factory, family, bands, seed):
    """On 410dd05 a spec asking gradient-descent-step easy and again hard put one problem on the
    site, all its variants in the easy band: repeats were found by family, form and pins, not the
    slot's difficulty. Each band is its own problem, every variant within it; a slot asked again
    with the same family, form, pins and band is still the one problem."""
    folder = tmp_path_factory.mktemp("spec")
    asked = [f'family = "{family.ID}"\ndifficulty = "{band}"' for band in [*bands, bands[0]]]
    summary = site_for_spec(load_spec(spec_file(folder, asked)), seed, 3, folder / "site")
    record = json.loads((folder / "site" / "examgen-site.json").read_text(encoding="utf-8"))
    problems = [p for p in record["problems"] if p["family"] == family.ID]
    assert "form" not in problems[0]
    assert [p["difficulty"] for p in problems] == [list(family.WORK_BANDS[b]) for b in bands]
    for problem in problems:
        low, high = problem["difficulty"]
        for params in problem["variants"]:
            variant = family.generate(stream(0, "any"), family.parse_params(params))
            assert low <= family.work(variant.params, variant.solution) <= high
    assert summary.pages[family.TAGS[0]] == 2


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_each_form_and_band_of_a_family_draws_its_own_variants(tmp_path_factory, seed):
    """On 410dd05 every problem of a family drew from the streams (seed, "practice", ID, k): a
    spec's sgd-minibatch-step typed and again as multiple choice showed the same statement as
    variant k of both (21 of 50), so the choice problem gave the typed one's answer away, and two
    overlapping difficulty bands shared variants alike. Now no two share a question (the params
    but for the order of the choices)."""
    asked = [
        'family = "sgd-minibatch-step"',
        'family = "sgd-minibatch-step"\nform = "choice"',
        'family = "sgd-minibatch-step"\ndifficulty = "standard"',  # 10-15
        'family = "sgd-minibatch-step"\ndifficulty = [12, 18]',
    ]
    spec = load_spec(spec_file(tmp_path_factory.mktemp("spec"), asked))
    problems = build_problems(choices_from_spec(spec), seed, 50)
    shown = [
        {json.dumps({k: v for k, v in x.key_params().items() if k != "choices"}) for x in p.variants}
        for p in problems
    ]
    assert [len(s) for s in shown] == [50] * 4
    for one, other in combinations(shown, 2):
        assert not one & other


#: Reference problem #156 as the practice spec pins it: every student's question 1.
PINNED_156 = 'family = "gradient-descent-step"\nparams = { data = [[1, 3], [2, 3], [3, 6]], w0 = [0, 0], eta = "1/2" }'


@settings(max_examples=6, deadline=None)
@given(variants=st.integers(1, 10))
def test_site_names_the_questions_students_will_see_on_it_word_for_word(tmp_path_factory, variants):
    """A site made from the quiz's spec shows, with their answers, every question a student can
    get of a bank family once K reaches the bank's size (8 at most here, 50 by default), and a
    question whose params are all pinned whatever K; on 410dd05 nothing said so, and the README
    spoke of a chance overlap. `examgen site` names exactly those questions in one line."""
    folder = tmp_path_factory.mktemp("spec")
    spec = spec_file(folder, [
        PINNED_156,
        'family = "sgd-minibatch-step"',
        'families = ["sgd-direction", "vanishing-gradient-remedies"]',
    ])
    args = ["site", "--spec", str(spec), "--variants", str(variants), "--out", str(folder / "site")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if line.startswith("Note:")]
    banks = [f for f in ("sgd-direction", "vanishing-gradient-remedies") if len(get_family(f).bank().ids) <= variants]
    named = ["questions[1] gradient-descent-step (all params pinned)"]
    if banks:
        named.append(f"questions[3] {' or '.join(banks)} (whole bank shown)")
    assert notes == [
        f"Note: students will see {'these questions' if banks else 'this question'} of the spec on "
        f"the site word for word, with the answer: {', '.join(named)}. Publish the site after the "
        "quiz, or make it from a spec without them."
    ]
    tags = CliRunner().invoke(main, ["site", "--tags", "SGD", "--variants", "10", "--out", str(folder / "tags")])
    assert tags.exit_code == 0 and "Note:" not in tags.output


def test_the_quiz_specs_site_names_its_true_false_and_definition_questions(tmp_path):
    """The reviewer's case: with the default K every bank of the quiz is shown whole, its
    definition question's (choices of 18 statements) too, so every true/false and definition
    question of the quiz is on the site; the numeric ones, drawn afresh, are not named."""
    result = CliRunner().invoke(main, ["site", "--spec", str(DEFAULT_SPEC), "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    (note,) = [line for line in result.output.splitlines() if line.startswith("Note:")]
    named = re.findall(r"questions\[(\d+)\] ([a-z-]+) \(whole bank shown\)", note)
    assert named == [(str(s.number), s.family.ID) for s in load_spec(DEFAULT_SPEC).slots if s.family.BUDGET is None]
    assert [n for n, _ in named] == ["1", "2", "5", "6", "7"]


@given(st.lists(st.sampled_from(["new numbers", "a new statement", "new choices"]), min_size=1))
def test_a_pages_intro_names_what_another_variant_brings_on_it(brings):
    """Each kind of change once, in one order, joined as a sentence: a page of numeric problems
    still says "gives new numbers", as every page did on 410dd05."""
    from types import SimpleNamespace

    from generator.site.pages import intro_brings

    said = intro_brings(SimpleNamespace(another=b) for b in brings)
    named = [b for b in ("new numbers", "a new statement", "new choices") if b in brings]
    assert said == (named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1])
