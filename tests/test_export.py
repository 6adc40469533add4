"""``examgen export``: Moodle XML and Canvas QTI 1.2 holding the same variants as a build.

Invariants: the files are well-formed XML with the structure each LMS imports (a category per
slot / a question group picking 1 per slot); every exported variant carries its fingerprint, and
its correct answer, read back out of the file, equals exactly the answer of the key entry with the
same fingerprint; numeric answers accept what ``examgen grade`` accepts; the files are
byte-identical for the same seed, spec and N.
"""

from __future__ import annotations

import html as html_lib
import re
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal
from fractions import Fraction
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import pytest
import sympy
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

import generator.families
from generator.build import build
from generator.choices import Choice
from generator.cli import main
from generator.errors import ExamgenError
from generator.exact import exact_str, points_text
from generator.export import export, export_bytes
from generator.export.moodle import (
    CLOZE_WIDTH,
    MOODLE_SHARES,
    moodle_xml,
    question_element,
    question_idnumber,
    question_name,
)
from generator.export.pools import (
    ExportVariant,
    accepted_texts,
    build_pools,
    decimal_text,
    fixed_width,
    option_html,
    range_texts,
)
from generator.export.qti import FINGERPRINT_FIELD, item_element, qti_zip
from generator.families import registry
from generator.families.base import Answer, Solution, Variant
from generator.fingerprint import fingerprint_digest
from generator.grading.keyfile import load_key
from generator.htmlmath import escape_html, text_to_html
from generator.render import environment, render_problem
from generator.responses import DecimalRule, read_number
from generator.roster import numbered_students
from generator.seeding import stream
from generator.spec import DEFAULT_SPEC, SPECS_DIR, Spec, load_spec
from tests.course import course_families_dir
from tests.processes import python_output

#: The two descent families (vector answers), whatever the default holds; tests of every answer
#: kind the shipped families have run on the default spec too.
SPEC = load_spec(Path(__file__).parent / "data" / "descent-quiz.toml")
DEFAULT = load_spec(DEFAULT_SPEC)
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
N = 6
SEED = 2024
PRACTICE = load_spec(SPECS_DIR / "lecture-14-practice.toml")


def spec_in(folder: Path, text: str) -> Spec:
    """A spec written as ``folder/quiz.toml`` (a course's ``families_dir`` is relative to it)."""
    path = folder / "quiz.toml"
    path.write_text(text, encoding="utf-8")
    return load_spec(path)

# Moodle's cloze parser (question/type/multianswer/questiontype.php), its NUMERICAL part, in Python:
# PCRE's variable-width look-behind `(?<!\\|&|&amp;)` is written as three fixed-width ones.
_FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
_ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
_FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
_ALTERNATIVE = f"({_FRACTION})?({_ANSWER})(#({_FEEDBACK}))?"
_BLANK = re.compile(
    r"\{([0-9]*):(NUMERICAL|NM):(" + _ALTERNATIVE + "(~" + _ALTERNATIVE + r")*)\}", re.S
)
_ALTERNATIVE_START = re.compile("~?" + _ALTERNATIVE, re.S)
_NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
_NUMERICAL = re.compile(f"^({_NUMBER})(:{_NUMBER})?$", re.S)


def cloze_blanks(text: str) -> list[list[dict]]:
    """Each blank's answers as Moodle's import stores them: fraction, answer, tolerance, feedback."""
    blanks = []
    while match := _BLANK.search(text):
        answers, remaining = [], match.group(3)
        while alternative := _ALTERNATIVE_START.match(remaining):
            mark, percent, answer, feedback = (alternative.group(i) for i in (1, 2, 3, 5))
            number = _NUMERICAL.match(answer)
            assert number, f"not a number: {answer!r}"
            decoded = html_lib.unescape(feedback or "").replace("\\}", "}").replace("\\#", "#")
            answers.append(
                {
                    "fraction": 1.0 if mark == "=" else 0.01 * float(percent or 0),
                    "answer": number.group(1),
                    "tolerance": number.group(6) or "0",
                    "feedback": decoded,
                }
            )
            remaining = remaining.split(alternative.group(0), 1)[1]
        blanks.append(answers)
        text = text.replace(match.group(0), f"{{#{len(blanks)}}}", 1)
    return blanks


def recover(decimal: str) -> sympy.Rational:
    """The exact value an exported decimal stands for (15 significant digits pin any fraction
    with a denominator up to a million)."""
    fraction = Fraction(decimal).limit_denominator(10**6)
    return sympy.Rational(fraction.numerator, fraction.denominator)


# --- HTML rendering -------------------------------------------------------------------------------
class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text = ""

    def handle_data(self, data: str) -> None:
        self.text += data


#: The built-in families and a course's (the guide's and every scaffold's), whose templates write
#: display math as ``$$…$$``.
HTML_FAMILIES = registry((course_families_dir(),))


@settings(max_examples=25)
@given(
    st.sampled_from(sorted(HTML_FAMILIES)),
    st.integers(0, 2**32),
    st.sampled_from(["statement", "solution"]),
)
def test_every_family_renders_to_html(family_id: str, seed: int, part: str) -> None:
    """One template per family renders to HTML: no ``$`` left, math delimited for MathJax and
    balanced, no raw ``<`` inside math, paragraphs wrapped (on main a course template's
    ``$$…$$`` came out as ``$\\(…\\)$``, and in a choice solution the stray ``$`` opened math
    that swallowed the list of distractors)."""
    family = HTML_FAMILIES[family_id]
    variant = family.generate(stream(seed, "html", family_id))
    html = render_problem(
        "html",
        variant,
        number=1,
        points=1,
        show_solutions=True,
        extra={"part": part},
    )
    assert "$" not in html
    assert html.count(r"\(") == html.count(r"\)")  # balanced (a concept may have no math)
    assert html.count(r"\[") == html.count(r"\]")
    for math in re.findall(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", html, flags=re.S):
        assert "<" not in "".join(math)
    assert html.startswith("<p>")
    checker = _Checker()
    checker.feed(html)
    if part == "solution":
        assert "Answer:" in checker.text


def test_html_escaping() -> None:
    """Outside text cannot open math or markup; ``$…$`` in a choice's text becomes math."""
    assert escape_html('a $5 <b> & "c"') == "a &#36;5 &lt;b&gt; &amp; &quot;c&quot;"
    assert text_to_html("grows like $x < 1$ & more") == r"grows like \(x &lt; 1\) &amp; more"
    # Display math in a bank text: on main "&#36;\(x\)&#36;", the $ signs shown.
    assert text_to_html("so $$x < 1$$ holds") == r"so \[x &lt; 1\] holds"


# --- pools and answers ----------------------------------------------------------------------------
rationals = st.builds(
    lambda p, q: sympy.Rational(p, q), st.integers(-(10**6), 10**6), st.integers(1, 1000)
)


@given(rationals)
def test_decimal_text_recovers_the_fraction(value: sympy.Rational) -> None:
    text = decimal_text(value)
    assert recover(text) == value
    assert "e" not in text.lower()
    if sympy.Rational(text) != value:  # not terminating: 15 significant digits
        assert abs(float(text) - float(value)) <= abs(float(value)) * 1e-14


@given(rationals, st.integers(0, 4))
@example(sympy.Rational(31, 3), 0)  # 10: with no places asked for, a whole number is a rounding
@example(sympy.Rational(1, 1024), 2)  # 0.0010: rounding up carries into a second digit
def test_accepted_texts_are_what_grading_accepts(value: sympy.Rational, decimals: int) -> None:
    """Each text a Canvas blank accepts is accepted by ``examgen grade``; the exact fraction and
    the half-up rounding at the fewest places a counting rounding has are among them."""
    rule = DecimalRule(decimals)
    texts = accepted_texts(value, rule)
    assert all(rule.accepts(read_number(t), value) for t in texts)
    assert exact_str(value) in texts
    places = rule.places_needed(value)
    p, q = int(value.p) * 10**places, int(value.q)
    half_up = (2 * abs(p) + q) // (2 * q) * (1 if p >= 0 else -1)  # integer arithmetic
    whole, frac = divmod(abs(half_up), 10**places)
    sign = "-" if half_up < 0 else ""
    assert (f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}") in texts


@given(rationals, st.integers(0, 15), st.integers(0, 4))
@example(sympy.Rational(5, 3), 15, 2)  # to the nearest, both ends were 1.66666666666667
def test_a_numeric_range_holds_every_rounding_grade_accepts(
    value: sympy.Rational, decimals: int, significant: int
) -> None:
    """Canvas's range for a number (``vargte``/``varlte``) holds the value ± the tolerance, its
    ends rounded outward and no further than their 15th significant digit: the right rounding
    at the rule's places is never shut out, even when the rule asks for 15 of them (an
    auditor's: 1.666666666666667 for 5/3 was refused)."""
    rule = DecimalRule(decimals, significant)
    tolerance = rule.tolerance(value)
    low, high = (sympy.Rational(t) for t in range_texts(value, tolerance))
    assert low <= value - tolerance and value + tolerance <= high
    for end, exact in ((low, value - tolerance), (high, value + tolerance)):
        assert abs(end - exact) <= abs(exact) / 10**14 if exact else end == 0
    places = rule.places_needed(value)
    rounded = sympy.Rational(round(value * 10**places), 10**places)
    assert low <= rounded <= high


@given(rationals, st.integers(0, 4), st.integers(0, 3), st.booleans())
def test_canvas_blanks_and_grade_accept_the_same_decimals(
    value: sympy.Rational, decimals: int, extra: int, leading_zero: bool
) -> None:
    """One acceptance rule: a decimal typed with up to two places past the rule's (with or without
    the leading zero of a value below 1: ``.89``) is in a Canvas blank's list exactly when
    ``examgen grade`` accepts it."""
    rule = DecimalRule(decimals)
    needed = rule.places_needed(value)
    places = min(max(needed, 1) + extra, needed + 2)
    texts = accepted_texts(value, rule)
    scaled = value * 10**places
    for c in {int(sympy.floor(scaled)) + d for d in (-1, 0, 1, 2)}:
        whole, frac = divmod(abs(c), 10**places)
        head = "" if whole == 0 and not leading_zero else str(whole)
        text = f"{'-' if c < 0 else ''}{head}.{frac:0{places}d}"
        assert (text in texts) == rule.accepts(read_number(text), value), text


@given(rationals)
def test_fixed_width_numbers(value: sympy.Rational) -> None:
    """Every number a cloze blank stores has one length and still stands for its value."""
    text = fixed_width(value, CLOZE_WIDTH)
    assert len(text) == CLOZE_WIDTH
    assert recover(text) == value
    assert abs(sympy.Rational(text) - value) <= sympy.Rational(1, 2 * 10 ** (CLOZE_WIDTH - 9))


def test_pools_are_the_build_variants_deduplicated(tmp_path: Path) -> None:
    """With every param pinned, all N students share one variant: the category holds it once."""
    pinned = spec_in(
        tmp_path,
        'id = "pinned"\n[[questions]]\nfamily = "gradient-descent-step"\n'
        'params = { data = [[1, 3], [2, 3], [3, 6]], w0 = [0, 0], eta = "1/2" }\n',
    )
    pools = build_pools(pinned, 1, 5)
    assert [len(p.variants) for p in pools] == [1]
    assert pools[0].variants[0].answer.value == (4, 9)  # reference problem #156
    assert len(build_pools(SPEC, SEED, N)[0].variants) == N


@pytest.fixture(scope="module")
def pools():
    return build_pools(SPEC, SEED, N)


def key_by_digest(spec, out: Path) -> dict[str, list]:
    """A build of s001…sN with the export's seed and spec, indexed by fingerprint digest."""
    folder = build(spec, SEED, numbered_students(N), out)
    index: dict[str, list] = {}
    for student in load_key(folder).students:
        for question in student.questions:
            index.setdefault(fingerprint_digest(question.raw["fingerprint"]), []).append(question)
    return index


# --- Moodle ---------------------------------------------------------------------------------------
def moodle_answers(question: ET.Element):
    """The correct answer a Moodle question holds, decoded to key form (kind, value)."""
    kind = question.get("type")
    if kind == "cloze":
        text = question.findtext("questiontext/text")
        return "vector", tuple(
            recover(next(a["answer"] for a in blank if a["fraction"] == 1))
            for blank in cloze_blanks(text)
        )
    if kind == "numerical":
        answers = [a for a in question.findall("answer") if a.get("fraction") == "100"]
        return "number", recover(answers[0].findtext("text"))
    if kind == "truefalse":
        right = [
            a.findtext("text") for a in question.findall("answer") if a.get("fraction") == "100"
        ]
        return "bool", right == ["true"]
    answers = question.findall("answer")
    right = [i for i, a in enumerate(answers) if a.get("fraction") == "100"]
    return "choice", "ABCDEFGHIJ"[right[0]]


def test_moodle_structure(pools) -> None:
    """A category per slot holding its N variants, each a cloze question for the vector answer."""
    root = ET.fromstring(moodle_xml(SPEC, SEED, pools))
    assert root.tag == "quiz"
    questions = list(root)
    categories = [i for i, q in enumerate(questions) if q.get("type") == "category"]
    assert len(categories) == len(SPEC.slots)
    for slot, start in zip(SPEC.slots, categories, strict=True):
        path = questions[start].findtext("category/text")
        assert f"Worth {slot.points:g} points: give the quiz slot that mark" in questions[
            start
        ].findtext("info/text")  # Moodle's random slots default to 1 mark
        assert path == f"$course$/top/{SPEC.id}-seed{SEED}/q{slot.number}"
        members = questions[start + 1 : start + 1 + N]
        assert len(members) == N and all(q.get("type") == "cloze" for q in members)
        idnumbers = [q.findtext("idnumber") for q in members]
        assert len(set(idnumbers)) == N  # unique within the category, as Moodle requires
        for q in members:
            assert f"[{q.findtext('idnumber')}]" in q.findtext("name/text")
            assert q.find("questiontext").get("format") == "html"
            assert "Answer:" in q.findtext("generalfeedback/text")
            blanks = cloze_blanks(q.findtext("questiontext/text"))
            assert len(blanks) == 2
            assert {a["tolerance"] for b in blanks for a in b if a["fraction"] == 1} == {"0.005"}


@pytest.mark.parametrize("spec", [SPEC, DEFAULT], ids=["descent", "default"])
def test_moodle_answers_equal_the_key(spec, tmp_path: Path) -> None:
    """Each exported question's fingerprint finds key entries of a build with the same seed and
    spec, and its correct answer, read back from the XML, equals theirs exactly."""
    pools = build_pools(spec, SEED, N)
    index = key_by_digest(spec, tmp_path)
    root = ET.fromstring(moodle_xml(spec, SEED, pools))
    questions = [q for q in root if q.get("type") != "category"]
    for question, item in zip(questions, [i for p in pools for i in p.variants], strict=True):
        expected_type = {"number": "numerical", "vector": "cloze", "bool": "truefalse"}
        assert question.get("type") == expected_type.get(item.answer.kind, "multichoice")
        entries = index[fingerprint_digest(question.findtext("idnumber"))]
        kind, value = moodle_answers(question)
        for entry in entries:
            assert (entry.answer.kind, entry.answer.value) == (kind, value)
    assert len(questions) == sum(len(p.variants) for p in pools)
    assert all(1 <= len(p.variants) <= N for p in pools)


# --- QTI ------------------------------------------------------------------------------------------
def qti_parts(data: bytes):
    archive = zipfile.ZipFile(BytesIO(data))
    manifest = ET.fromstring(archive.read("imsmanifest.xml"))
    listed = {f.get("href") for f in manifest.iter(f"{CP}file")}
    assessments = [
        archive.read(r.find(f"{CP}file").get("href"))
        for r in manifest.iter(f"{CP}resource")
        if r.get("type") == "imsqti_xmlv1p2"
    ]
    return archive, listed, [ET.fromstring(a) for a in assessments]


def qti_answer(item: ET.Element):
    kind = {
        "fill_in_multiple_blanks_question": "vector",
        "numerical_question": "number",
        "true_false_question": "bool",
        "multiple_choice_question": "choice",
    }[qti_field(item, "question_type")]
    processing = item.find(f"{QTI}resprocessing")
    if kind == "vector":
        values = []
        for response in item.iter(f"{QTI}response_lid"):
            labels = {
                label.get("ident"): label.findtext(f".//{QTI}mattext")
                for label in response.iter(f"{QTI}response_label")
            }
            scored = {
                v.text
                for v in processing.iter(f"{QTI}varequal")
                if v.get("respident") == response.get("ident")
            }
            assert scored == set(labels)  # every listed text earns the blank's share
            exact = [t for t in labels.values() if "/" in t or "." not in t]
            values.append(sympy.Rational(exact[0]))
        return kind, tuple(values)
    if kind == "number":
        return kind, recover(processing.find(f".//{QTI}varequal").text)
    correct = processing.find(f"{QTI}respcondition[@continue='No']/{QTI}conditionvar/{QTI}varequal")
    if kind == "bool":
        return kind, correct.text.endswith("_true")
    return kind, correct.text.rsplit("_", 1)[1]


def qti_field(item: ET.Element, label: str) -> str:
    for field in item.iter(f"{QTI}qtimetadatafield"):
        if field.findtext(f"{QTI}fieldlabel") == label:
            return field.findtext(f"{QTI}fieldentry")
    raise KeyError(label)


def test_qti_zip_structure(pools) -> None:
    archive, listed, assessments = qti_parts(qti_zip(SPEC, SEED, pools))
    assert set(archive.namelist()) == listed | {"imsmanifest.xml"}  # the manifest lists every file
    assert len(assessments) == 1
    root = assessments[0]
    assert root.tag == f"{QTI}questestinterop"
    groups = root.findall(f"{QTI}assessment/{QTI}section/{QTI}section")
    assert len(groups) == len(SPEC.slots)
    all_items = list(root.iter(f"{QTI}item"))
    for slot, group in zip(SPEC.slots, groups, strict=True):
        selection = group.find(f"{QTI}selection_ordering/{QTI}selection")
        assert selection.findtext(f"{QTI}selection_number") == "1"
        assert selection.findtext(f".//{QTI}points_per_item") == f"{slot.points:g}"
        items = group.findall(f"{QTI}item")
        assert len(items) == N
        assert len({qti_field(i, FINGERPRINT_FIELD) for i in items}) == N
    assert len({i.get("ident") for i in all_items}) == len(all_items)
    meta = [n for n in archive.namelist() if n.endswith("assessment_meta.xml")]
    settings_xml = ET.fromstring(archive.read(meta[0]))
    assert settings_xml.findtext("{http://canvas.instructure.com/xsd/cccv1p0}shuffle_answers") == (
        "false"
    )


@pytest.mark.parametrize("spec", [SPEC, DEFAULT], ids=["descent", "default"])
def test_qti_answers_equal_the_key(spec, tmp_path: Path) -> None:
    pools = build_pools(spec, SEED, N)
    index = key_by_digest(spec, tmp_path)
    archive, listed, (root,) = qti_parts(qti_zip(spec, SEED, pools))
    assert set(archive.namelist()) == listed | {"imsmanifest.xml"}
    groups = root.findall(f"{QTI}assessment/{QTI}section/{QTI}section")
    assert len(groups) == len(spec.slots)
    for pool, group in zip(pools, groups, strict=True):
        items = group.findall(f"{QTI}item")
        assert len(items) == len(pool.variants)
        for item in items:
            kind, value = qti_answer(item)
            digest = fingerprint_digest(qti_field(item, FINGERPRINT_FIELD))
            # Canvas drops metadata it does not know: the title's digest is what reaches it.
            assert item.get("title").endswith(f"#{digest}")
            for entry in index[digest]:
                assert (entry.answer.kind, entry.answer.value) == (kind, value)


# --- every answer kind, with stand-in families ----------------------------------------------------
#: A sentence full of what HTML, MathJax and Moodle's cloze syntax treat specially.
TRICKY = r"Uphill: $\{x\} < 1$ & a ~tilde, a #hash} and a \\ backslash."


class FakeFamily:
    """A family with named mistakes for every free answer kind: one coincides with the answer
    (never shown), and the vector's ``last-off`` agrees with the answer in its first components."""

    ID = "fake-family"

    def misconceptions(self, params, solution) -> dict:
        value = solution.answer.value
        if solution.answer.kind == "number":
            return {"sign-flipped": -value, "coincides": value, "halved": value / 2}
        if solution.answer.kind == "vector":
            return {
                "sign-flipped": tuple(-v for v in value),
                "last-off": (*value[:-1], value[-1] + 1),
            }
        return {}

    def mistake_explanation(self, name: str) -> str:
        return f"{name}: {TRICKY}"


def fake_item(
    answer: Answer, steps: dict | None = None, points: int = 3, statement: str = "<p>Q?</p>\n"
) -> ExportVariant:
    variant = Variant(FakeFamily(), None, Solution(answer, steps or {}))  # type: ignore[arg-type]
    slot = SimpleNamespace(number=4, points=points)
    return ExportVariant(
        slot, "s007", variant, "fake-family:abc", statement, "<p>Because.</p>\n"
    )  # type: ignore[arg-type]


CHOICES = {
    "choices": [
        Choice("A", "relu", "text", "ReLU $f'(x) \\in \\{0, 1\\}$", False, "ReLU", TRICKY),
        Choice("B", "more-sigmoid", "text", "More sigmoid layers", False, "More sigmoid", "Worse."),
        Choice("C", "larger-eta", "text", "Larger $\\eta$", True, "Larger eta"),
    ],
    "statement": SimpleNamespace(explanation=TRICKY),
}
KINDS = [
    Answer("number", sympy.Rational(-7, 3)),
    Answer("bool", False),
    Answer("bool", True),
    Answer("choice", "C", "Larger eta"),
    Answer("vector", (sympy.Rational(1, 2), sympy.Integer(4), sympy.Rational(-3, 8))),
]


@pytest.mark.parametrize("answer", KINDS, ids=lambda a: f"{a.kind}-{a.value}")
def test_every_kind_round_trips_in_moodle(answer: Answer) -> None:
    item = fake_item(answer, CHOICES)
    element = question_element(item, DecimalRule(2))
    element = ET.fromstring(ET.tostring(element))
    expected_type = {
        "number": "numerical",
        "vector": "cloze",
        "bool": "truefalse",
        "choice": "multichoice",
    }
    assert element.get("type") == expected_type[answer.kind]
    assert moodle_answers(element) == (answer.kind, answer.value)
    assert element.findtext("idnumber") == "fake-family:abc"
    if answer.kind == "choice":
        assert element.findtext("shuffleanswers") == "false"
        assert r"\(\eta\)" in ET.tostring(element, encoding="unicode")
    if answer.kind == "number":
        assert element.findtext("answer/tolerance") == "0.005"
        assert element.findtext("defaultgrade") == "3"


@pytest.mark.parametrize("answer", KINDS, ids=lambda a: f"{a.kind}-{a.value}")
def test_every_kind_round_trips_in_qti(answer: Answer) -> None:
    element = ET.fromstring(ET.tostring(item_element(fake_item(answer, CHOICES), DecimalRule(2))))
    # Items are built without a namespace and inherit the assessment's; read them namespaced.
    for node in element.iter():
        node.tag = QTI + node.tag
    assert qti_answer(element) == (answer.kind, answer.value)
    assert qti_field(element, FINGERPRINT_FIELD) == "fake-family:abc"
    if answer.kind == "number":
        low = element.find(f".//{QTI}vargte").text
        high = element.find(f".//{QTI}varlte").text
        assert recover(low) == answer.value - sympy.Rational(1, 200)
        assert recover(high) == answer.value + sympy.Rational(1, 200)


def test_a_statement_that_reads_as_cloze_syntax_adds_no_blank() -> None:
    """Moodle's cloze import reads ``{1:NUMERICAL:…}`` and ``{#1}`` anywhere in the question's
    text: a statement's math that spells them (a course family's) must not become a blank, which
    made Moodle refuse the question (an auditor's); the browser still shows the braces."""
    statement = r"<p>Sets \(\{1:NUMERICAL:=42\}\), \(\{:NM:=1\}\) and \(\{\#1\}\).</p>" + "\n"
    answer = KINDS[-1]
    element = question_element(fake_item(answer, CHOICES, statement=statement), DecimalRule(2))
    text = ET.fromstring(ET.tostring(element)).findtext("questiontext/text")
    blanks = cloze_blanks(text)
    assert [next(recover(a["answer"]) for a in b if a["fraction"] == 1) for b in blanks] == list(
        answer.value
    )
    assert html_lib.unescape(text).startswith(statement)


def para(sentence: str) -> str:
    return f"<p>{text_to_html(sentence)}</p>"


def expected_mistakes(value) -> list[tuple]:
    """(wrong value, feedback) the stand-in family's mistakes should give, computed here."""
    wrong = FakeFamily().misconceptions(
        None,
        SimpleNamespace(
            answer=SimpleNamespace(
                kind="vector" if isinstance(value, tuple) else "number", value=value
            )
        ),
    )
    return [(v, para(f"{n}: {TRICKY}")) for n, v in wrong.items() if v != value]


def moodle_feedback(element: ET.Element) -> list[tuple[str, str]]:
    return [(a.get("fraction"), a.findtext("feedback/text")) for a in element.findall("answer")]


@pytest.mark.parametrize("answer", KINDS, ids=lambda a: f"{a.kind}-{a.value}")
def test_moodle_feedback_reads_back_exactly(answer: Answer) -> None:
    """Every named mistake is a 0% answer with its explanation; every wrong option and both
    true/false answers explain themselves; the text Moodle stores equals what was meant, even
    through the cloze syntax, for a sentence full of the characters that syntax treats specially."""
    element = ET.fromstring(
        ET.tostring(question_element(fake_item(answer, CHOICES), DecimalRule(2)))
    )
    if answer.kind == "number":
        answers = [
            (recover(a.findtext("text")), a.findtext("feedback/text"), a.get("fraction"))
            for a in element.findall("answer")
        ]
        assert answers[0] == (answer.value, "", "100")  # the right answer first: Moodle takes it
        assert [(v, f) for v, f, _ in answers[1:]] == expected_mistakes(answer.value)
        assert {fraction for _, _, fraction in answers[1:]} == {"0"}
    elif answer.kind == "vector":
        blanks = cloze_blanks(element.findtext("questiontext/text"))
        assert len(blanks) == len(answer.value)
        for i, blank in enumerate(blanks):
            assert {len(a["answer"]) for a in blank} == {CLOZE_WIDTH}  # the size leaks nothing
            assert recover(blank[0]["answer"]) == answer.value[i] and blank[0]["fraction"] == 1
            wrong = [  # inline: a cloze blank sits inside the question's paragraph
                (v[i], f[3:-4])
                for v, f in expected_mistakes(answer.value)
                if v[i] != answer.value[i]
            ]
            # Moodle turns a stored "\}" into "}": the export writes the brace as \rbrace.
            stored = [(recover(a["answer"]), a["feedback"]) for a in blank[1:]]
            assert [(v, f.replace("\\rbrace ", "\\}")) for v, f in stored] == wrong
            assert {a["fraction"] for a in blank[1:]} <= {0.0}
    elif answer.kind == "bool":
        assert moodle_feedback(element) == [
            ("100" if answer.value else "0", para(TRICKY)),
            ("0" if answer.value else "100", para(TRICKY)),
        ]
    else:
        assert moodle_feedback(element) == [
            ("0", para(TRICKY)),
            ("0", "<p>Worse.</p>"),
            ("100", ""),
        ]


def qti_element(answer: Answer) -> ET.Element:
    element = ET.fromstring(ET.tostring(item_element(fake_item(answer, CHOICES), DecimalRule(2))))
    for node in element.iter():
        node.tag = QTI + node.tag
    return element


def qti_comments(item: ET.Element) -> dict[str, str]:
    """Option ident → its answer comment, as Canvas's importer pairs them: a condition on the
    option showing a feedback, before the scoring condition."""
    feedback = {
        f.get("ident"): f.findtext(f".//{QTI}mattext") for f in item.iter(f"{QTI}itemfeedback")
    }
    comments: dict[str, str] = {}
    for condition in item.find(f"{QTI}resprocessing").findall(f"{QTI}respcondition"):
        if condition.get("continue") == "No":
            break
        option = condition.find(f"{QTI}conditionvar/{QTI}varequal")
        shown = condition.find(f"{QTI}displayfeedback")
        if option is not None and shown is not None:
            comments[option.text] = feedback[shown.get("linkrefid")]
    return comments


@pytest.mark.parametrize("answer", KINDS, ids=lambda a: f"{a.kind}-{a.value}")
def test_qti_feedback_reads_back(answer: Answer) -> None:
    """Each wrong option has its own comment, linked as Canvas links answer comments; numeric
    and fill-in items list each named mistake's value and why in the incorrect-answer comment."""
    item = qti_element(answer)
    ident = "examgen_q4_s007"
    comments = qti_comments(item)
    if answer.kind == "choice":
        assert comments == {f"{ident}_A": para(TRICKY), f"{ident}_B": "<p>Worse.</p>"}
    elif answer.kind == "bool":
        assert comments == {f"{ident}_{str(not answer.value).lower()}": para(TRICKY)}
    else:
        assert comments == {}
        incorrect = next(
            f.findtext(f".//{QTI}mattext")
            for f in item.iter(f"{QTI}itemfeedback")
            if f.get("ident") == "general_incorrect_fb"
        )
        for value, feedback in expected_mistakes(answer.value):
            shown = option_html(answer.kind, value)
            assert f"<p>If you answered {shown}: {feedback[len('<p>') :]}" in incorrect
        assert option_html(answer.kind, answer.value) not in incorrect


def family_feedback(item: ExportVariant) -> dict:
    """What the family says each wrong response means: option letter → sentence, or wrong value →
    sentences (every mistake giving it), asked of the family directly."""
    variant = item.variant
    family = variant.family
    named = family.misconceptions(variant.params, variant.solution)
    answer = item.answer
    if answer.kind == "choice":
        return {
            c.letter: family.mistake_explanation(c.source) if c.source in named else c.note
            for c in variant.solution.steps["choices"]
            if not c.correct
        }
    if answer.kind == "bool":
        return {"statement": variant.solution.steps["statement"].explanation}
    return {name: (value, family.mistake_explanation(name)) for name, value in named.items()}


@pytest.mark.parametrize("spec", [SPEC, DEFAULT, PRACTICE], ids=["descent", "default", "practice"])
def test_moodle_feedback_on_every_named_mistake(spec) -> None:
    """On the shipped families: every wrong option carries its explanation; every named mistake's
    value (as the family computes it, per component) is a 0% answer explaining it; every cloze
    blank stores answers of one length; the instructions ask for decimals, as the fields do."""
    pools = build_pools(spec, SEED, N)
    items = {question_idnumber(i): i for p in pools for i in p.variants}
    root = ET.fromstring(moodle_xml(spec, SEED, pools))
    kinds = set()
    for question in (q for q in root if q.get("type") != "category"):
        item = items[question.findtext("idnumber")]
        kind, value = item.answer.kind, item.answer.value
        kinds.add(kind)
        said = family_feedback(item)
        text = question.findtext("questiontext/text")
        if kind in ("number", "vector"):
            assert "as a decimal (a fraction such as 7/3 is not accepted)" in text
        if kind == "vector":
            blanks = cloze_blanks(text)
            assert {len(a["answer"]) for b in blanks for a in b} == {CLOZE_WIDTH}
            for i, blank in enumerate(blanks):
                stored = {recover(a["answer"]): a["feedback"] for a in blank[1:]}
                for name, (wrong, sentence) in said.items():
                    if wrong[i] != value[i]:
                        assert text_to_html(sentence) in stored[wrong[i]], (name, i)
                assert len(stored) == len({w[i] for w, _ in said.values()} - {value[i]})
        elif kind == "number":
            stored = {
                recover(a.findtext("text")): a.findtext("feedback/text")
                for a in question.findall("answer")
                if a.get("fraction") == "0"
            }
            for name, (wrong, sentence) in said.items():
                if wrong != value:
                    assert text_to_html(sentence) in stored[wrong], name
        elif kind == "bool":
            for answer in question.findall("answer"):
                assert answer.findtext("feedback/text") == para(said["statement"])
        else:
            answers = question.findall("answer")
            for letter, answer in zip("ABCDEFGHIJ"[: len(answers)], answers, strict=True):
                expected = para(said[letter]) if letter in said else ""
                assert answer.findtext("feedback/text") == expected
            assert sum(a.get("fraction") == "0" for a in answers) == len(said) > 0
    assert kinds, "the spec exported questions"


@pytest.mark.parametrize("spec", [DEFAULT, PRACTICE], ids=["default", "practice"])
def test_qti_feedback_on_every_wrong_option(spec) -> None:
    """Every wrong option of a shipped choice or true/false item has its comment; every numeric or
    fill-in item names each of its mistakes' values; the quiz instructions describe the fields."""
    pools = build_pools(spec, SEED, N)
    items = {i.fingerprint: i for p in pools for i in p.variants}
    archive, _, (root,) = qti_parts(qti_zip(spec, SEED, pools))
    for element in root.iter(f"{QTI}item"):
        item = items[qti_field(element, FINGERPRINT_FIELD)]
        said = family_feedback(item)
        comments = qti_comments(element)
        ident = element.get("ident")
        if item.answer.kind == "choice":
            assert comments == {f"{ident}_{letter}": para(s) for letter, s in said.items()}
        elif item.answer.kind == "bool":
            wrong = f"{ident}_{str(not item.answer.value).lower()}"
            assert comments == {wrong: para(said["statement"])}
        else:
            incorrect = next(
                f.findtext(f".//{QTI}mattext")
                for f in element.iter(f"{QTI}itemfeedback")
                if f.get("ident") == "general_incorrect_fb"
            )
            for wrong, sentence in said.values():
                if wrong != item.answer.value:
                    shown = option_html(item.answer.kind, wrong)
                    assert f"If you answered {shown}: " in incorrect
                    assert text_to_html(sentence) in incorrect
    meta = [n for n in archive.namelist() if n.endswith("assessment_meta.xml")]
    description = ET.fromstring(archive.read(meta[0])).findtext(
        "{http://canvas.instructure.com/xsd/cccv1p0}description"
    )
    assert "fractions, not decimals" not in description and "decimal" in description


def test_choice_options_keep_the_printed_letters_and_math() -> None:
    """Options come from the family's Choice objects in printed order; values print as math."""
    vector = (sympy.Rational(1, 2), sympy.Integer(4))
    steps = {
        "choices": [
            Choice("A", "sign-flipped", "vector", vector, False, "(1/2, 4)"),
            Choice("B", "correct", "number", sympy.Rational(-7, 3), True, "-7/3"),
            Choice("C", "relu", "text", "ReLU", False, "ReLU"),
        ]
    }
    element = question_element(fake_item(Answer("choice", "B"), steps), DecimalRule())
    texts = [a.findtext("text") for a in element.findall("answer")]
    assert texts == [r"\((1/2, 4)^T\)", r"\(-7/3\)", "ReLU"]
    assert moodle_answers(element) == ("choice", "B")


def test_choice_without_options_is_a_clear_error() -> None:
    with pytest.raises(ExamgenError, match=r"fake-family: a choice answer needs its options"):
        question_element(fake_item(Answer("choice", "B")), DecimalRule())


# --- files and the command ------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["moodle", "qti"])
def test_export_is_reproducible(fmt: str) -> None:
    """Same seed, spec and N: the same bytes, also in a process with another hash seed."""
    data = export_bytes(DEFAULT, SEED, fmt, build_pools(DEFAULT, SEED, 3))
    assert data == export_bytes(DEFAULT, SEED, fmt, build_pools(DEFAULT, SEED, 3))
    code = (
        "import sys; from generator.export import export_bytes; "
        "from generator.export.pools import build_pools; "
        "from generator.spec import load_spec, DEFAULT_SPEC; s = load_spec(DEFAULT_SPEC); "
        f"sys.stdout.buffer.write(export_bytes(s, {SEED}, {fmt!r}, build_pools(s, {SEED}, 3)))"
    )
    assert python_output(code, PYTHONHASHSEED="12345") == data


def test_export_command(tmp_path: Path) -> None:
    for fmt, suffix in (("moodle", "moodle.xml"), ("qti", "qti.zip")):
        result = CliRunner().invoke(
            main,
            ["export", "--format", fmt, "--seed", "5", "--variants", "2", "--out", str(tmp_path)],
        )
        assert result.exit_code == 0, result.output
        path = tmp_path / f"{DEFAULT.id}-seed5-{suffix}"
        assert path.exists() and str(path) in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{DEFAULT.id}-seed5-moodle.xml",
        f"{DEFAULT.id}-seed5-qti.zip",
    ]


def test_export_errors_are_one_line_and_write_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[questions]]\nfamily = "no-such-family"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["export", "--format", "qti", "--seed", "5", "--spec", str(bad), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "no-such-family" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_export_writes_beside_the_build_folder(tmp_path: Path) -> None:
    """A rebuild replaces the exam folder whole; the export file beside it survives."""
    path, _ = export(SPEC, 9, "moodle", 1, tmp_path)
    build(SPEC, 9, numbered_students(1), tmp_path)
    build(SPEC, 9, numbered_students(1), tmp_path)
    assert path.exists() and path.parent == tmp_path


def test_choice_objects_print_by_kind() -> None:
    """Options shaped like ``generator.choices.Choice`` (issue 3): vectors and numbers as math."""

    def choice(letter: str, kind: str, value, correct: bool = False) -> SimpleNamespace:
        return SimpleNamespace(
            letter=letter,
            source="x",
            kind=kind,
            value=value,
            correct=correct,
            text=str(value),
            note=None,
        )

    R = sympy.Rational
    steps = {
        "choices": (
            choice("A", "vector", (R(4), R(-7, 3))),
            choice("B", "number", R(1, 2), True),
            choice("C", "text", "ReLU & friends, $\\sigma'$"),
        )
    }
    element = question_element(fake_item(Answer("choice", "B"), steps), DecimalRule())
    texts = [a.findtext("text") for a in element.findall("answer")]
    assert texts == [
        r"\((4, -7/3)^T\)",
        r"\(1/2\)",
        r"ReLU &amp; friends, \(\sigma'\)",
    ]
    assert moodle_answers(element) == ("choice", "B")


def test_choice_notes_in_html_feedback() -> None:
    """The HTML macro layer explains each distractor in the general feedback, as LaTeX does."""

    notes = environment("html").globals["M"].choice_notes
    steps = {
        "choices": [
            SimpleNamespace(letter="A", note=None),
            SimpleNamespace(letter="C", note="Uphill: $+\\eta$."),
        ]
    }
    html = str(notes(Answer("choice", "A"), steps))
    assert "<li><strong>C.</strong> Uphill: $+\\eta$." in html and "A." not in html
    assert str(notes(Answer("vector", (1, 2)), {})).strip() == ""


def test_long_fingerprints_fit_moodle_fields() -> None:
    item = fake_item(Answer("bool", True))
    long_fp = "data=(" + ",".join(f"({i},{i})" for i in range(60)) + ") #0123456789ab"
    item = ExportVariant(
        item.slot, item.label, item.variant, long_fp, item.statement, item.solution
    )
    name = question_name(item)
    assert len(name) <= 255 and name.endswith("… #0123456789ab]")
    assert question_idnumber(item) == "0123456789ab"
    short = fake_item(Answer("bool", True))
    assert question_name(short) == "q4 s007 [fake-family:abc]"


@pytest.mark.parametrize("fmt", ["moodle", "qti"])
def test_an_export_file_name_taken_by_a_folder_is_named(tmp_path: Path, fmt: str) -> None:
    """On main the error said "--out DIR: is a folder; give a file name" of the folder the user
    rightly gave, not of the folder in the way of the file."""
    taken = tmp_path / f"lecture-14-quiz-seed1-{fmt}.{'xml' if fmt == 'moodle' else 'zip'}"
    taken.mkdir()
    args = ["export", "--format", fmt, "--seed", "1", "--variants", "1", "--out", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"{taken} is a folder" in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == [taken.name]


@pytest.mark.parametrize("fmt", ["moodle", "qti"])
@pytest.mark.parametrize("char", ["\x01", "\ufffe", "\ud800"])
def test_text_xml_cannot_hold_is_one_line_naming_the_family(
    tmp_path: Path, fmt: str, char: str
) -> None:
    """A course family's text (here its template's, from a string with an escape; a mistake
    explanation holding one is refused when the family loads) with a control character or half a
    surrogate pair: on main ElementTree wrote U+0001 as it is, so Moodle and Canvas got a file
    no XML parser reads (exit 0), and a lone surrogate was a UnicodeEncodeError traceback."""
    from generator.scaffold import new_family

    folder = new_family("odd-text", tmp_path / "families", "number")
    template = folder / "template.j2"
    text = template.read_text(encoding="utf-8")
    sentence = "Compute $f'"
    assert sentence in text
    escape = char.encode("unicode_escape").decode("ascii")  # a Jinja string's escape
    template.write_text(
        text.replace(sentence, f'((( "{escape}" ))) {sentence}', 1), encoding="utf-8"
    )
    spec = tmp_path / "quiz.toml"
    spec.write_text(
        'families_dir = "families"\n[[questions]]\nfamily = "odd-text"\n', encoding="utf-8"
    )
    out = tmp_path / "out"
    args = ["export", "--format", fmt, "--seed", "1", "--variants", "2", "--spec", str(spec)]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: family odd-text: "), lines
    assert f"U+{ord(char):04X}" in lines[0]
    assert not out.exists()


@given(st.integers(1, 1000 * 10**4))
def test_points_are_written_exactly(tenthousandths: int) -> None:
    """Any points a spec accepts (up to 1000, at most 4 decimals): on main ``:g`` kept six digits,
    so 123.4567 points went to Moodle and Canvas as 123.457 and 999.9999 as 1000."""
    exact = Decimal(tenthousandths) / 10**4
    assert points_text(float(exact)) == format(exact.normalize(), "f")


def test_export_points_and_total_are_the_specs(tmp_path: Path) -> None:
    spec = spec_in(
        tmp_path,
        '[[questions]]\nfamily = "sgd-direction"\npoints = 123.4567\n'
        '[[questions]]\nfamily = "sgd-iterations"\npoints = 999.9999\n',
    )
    pools = build_pools(spec, 1, 1)
    moodle = ET.fromstring(export_bytes(spec, 1, "moodle", pools))
    assert [g.text for g in moodle.iter("defaultgrade")] == ["123.4567", "999.9999"]
    archive = zipfile.ZipFile(BytesIO(export_bytes(spec, 1, "qti", pools)))
    texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    items = re.findall(r"<points_per_item>([^<]*)<", "".join(texts.values()))
    assert items == ["123.4567", "999.9999"]
    assert re.findall(r"<points_possible>([^<]*)<", "".join(texts.values())) == ["1123.4566"]


def test_a_title_with_carriage_returns_comes_back_from_the_xml_as_it_was(tmp_path: Path) -> None:
    """A spec's title may hold line breaks; ElementTree wrote a carriage return as it was in
    text, which every XML parser reads back as a line feed, so Moodle and Canvas got another
    title (in attributes ElementTree escaped it already)."""
    title = "Quiz\rSeven\r\nEight"
    spec = spec_in(
        tmp_path, 'title = "Quiz\\rSeven\\r\\nEight"\n[[questions]]\nfamily = "sgd-direction"\n'
    )
    assert spec.title == title
    pools = build_pools(spec, 1, 1)
    moodle = ET.fromstring(export_bytes(spec, 1, "moodle", pools))
    assert any(title in (node.text or "") for node in moodle.iter("text"))
    archive = zipfile.ZipFile(BytesIO(export_bytes(spec, 1, "qti", pools)))
    found = []
    for name in archive.namelist():
        for node in ET.fromstring(archive.read(name)).iter():
            found += [v for v in (node.text, *node.attrib.values()) if v and "Quiz" in v]
    assert found and all(v == title for v in found)


def test_a_course_familys_odd_id_is_text_in_moodles_category_info(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A course family's ID is its folder's name, whatever that holds: on main it went into
    the category's HTML description as it was (``odd<b>id`` opened a bold tag)."""
    from generator.scaffold import new_family

    family_id = "odd<b>id"  # refused when a family loads now: let it load, to test the export
    monkeypatch.setattr(generator.families, "is_family_id", lambda text: True)
    folder = new_family("odd-id", tmp_path / "families", "bool")
    module = folder / "family.py"
    module.write_text(
        module.read_text(encoding="utf-8").replace('ID = "odd-id"', f"ID = {family_id!r}"),
        encoding="utf-8",
    )
    folder.rename(folder.with_name(family_id))
    spec = spec_in(tmp_path, f'families_dir = "families"\n[[questions]]\nfamily = "{family_id}"\n')
    quiz = ET.fromstring(export_bytes(spec, 1, "moodle", build_pools(spec, 1, 1)))
    info = quiz.find("question/info/text").text
    checker = _Checker()
    checker.feed(info)
    assert "<b>" not in info and f"({family_id})" in checker.text


# --- partial credit online ------------------------------------------------------------------------
PARTIAL_BODY = """id = "partial-online"
title = "Partial credit online"
[[questions]]
family = "gradient-descent-step"
form = "choice"
[[questions]]
family = "sgd-minibatch-step"
form = "choice"
[[questions]]
family = "vanishing-gradient-chain"
[[questions]]
family = "sgd-minibatch-step"
"""
#: Credits Moodle takes as they are, and others (its export gives the share below).
CREDITS = st.one_of(
    st.sampled_from(MOODLE_SHARES[1:]),
    st.fractions(Fraction(1, 40), 1, max_denominator=40).map(
        lambda f: sympy.Rational(f.numerator, f.denominator)
    ),
)
#: Every share Moodle's import takes, as its own export writes them (question_bank's fraction
#: options: an answer with any other is refused with the whole question).
MOODLE_FRACTIONS = {
    "100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333", "30",
    "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5", "0",
}  # fmt: skip


def moodle_pick(question: ET.Element, typed: str) -> ET.Element | None:
    """The answer Moodle's numerical question grades ``typed`` by: the first within its
    tolerance."""
    number = sympy.Rational(typed)
    for answer in question.findall("answer"):
        value = sympy.Rational(answer.findtext("text"))
        if abs(number - value) <= sympy.Rational(answer.findtext("tolerance")):
            return answer
    return None


def moodle_matches(question: ET.Element, typed: str) -> int:
    """How many of a numerical question's answers ``typed`` is within tolerance of."""
    number = sympy.Rational(typed)
    return sum(
        bool(abs(number - sympy.Rational(a.findtext("text"))) <= sympy.Rational(tolerance))
        for a in question.findall("answer")
        if (tolerance := a.findtext("tolerance")) is not None
    )


@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_moodle_gives_a_named_mistake_the_credit_grade_gives_it(tmp_path_factory, data) -> None:
    """With [grading.partial], `examgen grade` credited a response showing a named mistake
    while Moodle gave it 0%. Each answer a student can type (every rounding grade accepts of each
    value the question stores) or pick now earns in Moodle what grade gives it, as the nearest
    share Moodle has at or below it; a cloze blank stays at 0%, as grade credits only a whole
    mistaken vector."""
    from generator.export.moodle import moodle_share, percent_text
    from generator.grading.grade import mark
    from generator.partial_credit import sampled_mistakes

    folder = tmp_path_factory.mktemp("partial")
    plain = spec_in(folder, PARTIAL_BODY)
    names = sorted(set().union(*(sampled_mistakes(f) for s in plain.slots for f in s.candidates)))
    credits = data.draw(st.fixed_dictionaries({name: CREDITS for name in names}))
    table = "".join(f'{name} = "{exact_str(credit)}"\n' for name, credit in credits.items())
    rule = data.draw(st.sampled_from(["", "[grading]\ndecimals = 1\nsignificant = 1\n"]))
    spec = spec_in(folder, PARTIAL_BODY + rule + "[grading.partial]\n" + table)
    pools = build_pools(spec, SEED, N)
    index = key_by_digest(spec, folder / "out")
    root = ET.fromstring(moodle_xml(spec, SEED, pools))
    assert {a.get("fraction") for a in root.iter("answer")} <= MOODLE_FRACTIONS
    credited = 0
    for question in (q for q in root if q.get("type") != "category"):
        entry = index[fingerprint_digest(question.findtext("idnumber"))][0]
        kind = question.get("type")
        if kind == "cloze":
            blanks = cloze_blanks(question.findtext("questiontext/text"))
            assert {a["fraction"] for b in blanks for a in b[1:]} <= {0.0}
            continue
        if kind == "numerical":
            stored = [sympy.Rational(a.findtext("text")) for a in question.findall("answer")]
            typed = [t for v in stored for t in accepted_texts(v, spec.grading) if "/" not in t]
            picks = [(t, moodle_pick(question, t), moodle_matches(question, t)) for t in typed]
        else:
            answers = question.findall("answer")
            picks = [(t, a, 1) for t, a in zip("ABCDEFGHIJ", answers, strict=False)]
        for text, answer, matches in picks:
            graded = mark("s", entry, text, spec.grading, spec.partial)
            online = answer.get("fraction") if answer is not None else "0"
            expected = percent_text(moodle_share(graded.credit))
            if matches > 1 and answer is not question.find("answer"):
                # Within tolerance of two mistakes, the least credit of them: never more than
                # grade gives (the right answer's tolerance aside: README). A coarse rule's
                # rounding that carries (0.1 for 0.0625 with 1 significant digit) is in tolerance.
                assert float(online) <= float(expected), (text, graded)
            else:
                assert online == expected, (text, graded)
            credited += graded.credit not in (0, 1)
    assert credited  # every mistake earns some credit, and some showed


def test_export_says_which_credits_the_lms_cannot_give(tmp_path: Path) -> None:
    """A credit outside Moodle's shares is exported as the share below it, and Canvas gives no
    partial credit: each is one warning naming the spec's field, and the export is written."""
    table = '[grading.partial]\nloss-factor-dropped = "37/100"\nsign-flipped = "1/2"\n'
    spec = spec_in(tmp_path, PARTIAL_BODY + table)
    said = {}
    for fmt in ("moodle", "qti"):
        args = ["export", "--format", fmt, "--seed", "1", "--spec", str(spec.path), "--variants", "6"]
        result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
        assert result.exit_code == 0, result.output
        said[fmt] = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert said["moodle"] == [
        f"Warning: {spec.path}: grading.partial.loss-factor-dropped = 37/100: Moodle gives an "
        "answer only one of its fixed shares of the mark, so the export gives 1/3, the nearest "
        "below (examgen grade gives the spec's); choose a share such as 1/2, 1/3, 1/4, 3/10 or "
        "1/20 to have both agree"
    ]
    assert said["qti"] == [
        f"Warning: {spec.path}: grading.partial: Canvas gives an answer full marks or none, so a "
        "response showing a named mistake earns nothing there (examgen grade gives the spec's "
        "credit); export --format moodle carries the credits"
    ]
    root = ET.fromstring((tmp_path / "out" / "partial-online-seed1-moodle.xml").read_bytes())
    assert {a.get("fraction") for a in root.iter("answer")} >= {"33.33333", "50"}


def test_the_shares_moodle_is_given_are_moodles_own() -> None:
    from generator.export.moodle import percent_text

    assert {percent_text(share) for share in MOODLE_SHARES} == MOODLE_FRACTIONS
    assert len(MOODLE_SHARES) == len(MOODLE_FRACTIONS)


def test_moodle_lists_a_questions_mistakes_least_credit_first(tmp_path: Path) -> None:
    """Moodle grades by the first answer a response is within tolerance of: with a coarse rule
    two mistakes' tolerances overlap (an auditor's: 81 of 1,444 variants), and the one listed
    first gave its larger credit where grade gives the smaller mistake's."""
    table = '[grading.partial]\ninput-dropped = "1/4"\nweights-ignored = "3/4"\nsign-flipped-loss = "1/2"\n'
    rule = "[grading]\ndecimals = 1\nsignificant = 1\n"
    spec = spec_in(tmp_path, 'id = "c"\n[[questions]]\nfamily = "vanishing-gradient-chain"\n' + rule + table)
    root = ET.fromstring(moodle_xml(spec, 3, build_pools(spec, 3, 40)))
    orders = [
        [float(a.get("fraction")) for a in q.findall("answer")[1:]]
        for q in root
        if q.get("type") == "numerical"
    ]
    assert len(orders) == 40 and any(len(set(o)) > 1 for o in orders)
    assert all(o == sorted(o) for o in orders)


def _export(fmt: str, seed: int, out: Path):
    args = ["export", "--format", fmt, "--seed", str(seed), "--variants", "1", "--out", str(out)]
    return CliRunner().invoke(main, args)


def _one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.output.strip().splitlines()
    return line


@pytest.mark.parametrize("fmt, suffix, other", [("moodle", ".xml", ".zip"), ("qti", ".zip", ".xml")])
def test_out_ending_as_the_formats_file_is_that_file(tmp_path: Path, fmt: str, suffix: str, other: str) -> None:
    """``--out quiz.xml`` made a folder named quiz.xml with the export inside (an instructor's
    slip the tool should take as meant): now it is the file, byte for byte the folder's one. A
    folder of that name already there still receives the file, as before; the other format's
    ending is refused in one line, before anything is written."""
    named = tmp_path / f"Quiz{suffix.upper()}"  # the ending in any case
    assert _export(fmt, 1, named).exit_code == 0
    assert _export(fmt, 1, tmp_path / "folder").exit_code == 0
    (in_folder,) = (tmp_path / "folder").iterdir()
    assert named.is_file() and named.read_bytes() == in_folder.read_bytes()

    kept = tmp_path / f"kept{suffix}"
    kept.mkdir()
    assert _export(fmt, 1, kept).exit_code == 0
    assert [p.name for p in kept.iterdir()] == [in_folder.name]

    wrong = tmp_path / "new" / f"quiz{other}"
    line = _one_error_line(_export(fmt, 1, wrong))
    assert line.startswith(f"Error: --out {wrong}: ") and f"name it quiz{suffix}" in line, line
    assert not (tmp_path / "new").exists()


MOODLES_OWN_XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n<!-- question: 0  -->\n'


@pytest.mark.parametrize("fmt, suffix", [("moodle", ".xml"), ("qti", ".zip")])
@pytest.mark.parametrize("theirs", ["notes", "lms-export", "zip-of-other-files"])
def test_an_export_replaces_only_an_earlier_export(tmp_path: Path, fmt: str, suffix: str, theirs: str) -> None:
    """A file the export did not write keeps the name ``--out`` gives (notes, a quiz exported
    from Moodle or a zip of Canvas's): refused in one line, the file untouched. An earlier
    export, of any seed, is replaced by the new one. In a folder, the export's own file name is
    replaced as before (an earlier examgen's export there may begin otherwise)."""
    target = tmp_path / f"quiz{suffix}"
    assert _export(fmt, 2, target).exit_code == 0
    assert _export(fmt, 1, target).exit_code == 0
    assert _export(fmt, 1, tmp_path / "again").exit_code == 0
    (same,) = (tmp_path / "again").iterdir()
    assert target.read_bytes() == same.read_bytes()  # seed 2's export replaced by seed 1's

    if theirs == "notes":
        data = b"the TA's notes\n"
    elif theirs == "lms-export":
        data = MOODLES_OWN_XML
    else:
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("imsmanifest.xml", "<manifest/>")
            archive.writestr("course_settings/syllabus.html", "<p>syllabus</p>")
            archive.writestr("examgen_x/examgen_x.xml", "<questestinterop/>")
        data = buffer.getvalue()
    exported = same.read_bytes()
    target.write_bytes(data)
    line = _one_error_line(_export(fmt, 1, target))
    assert f"would overwrite {target}, which examgen did not write there" in line, line
    assert target.read_bytes() == data
    same.write_bytes(data)
    assert _export(fmt, 1, tmp_path / "again").exit_code == 0
    assert same.read_bytes() == exported


def test_moodle_export_begins_as_its_recognizer_expects() -> None:
    """The start ``is_moodle_export`` knows an earlier export by is how every export begins."""
    from generator.export.moodle import MOODLE_START

    for spec in (DEFAULT, PRACTICE):
        assert moodle_xml(spec, 5, build_pools(spec, 5, 1)).startswith(MOODLE_START)
