"""Statement banks are data a course edits, so the tests hold every entry to the contract.

Invariant: every bank entry has a slug id, a truth value, text and an explanation; ids and texts
are unique; texts print as written in both formats (math only between ``$…$``); every named
mistake any family declares has an explanation that prints as written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.bank import BANK_FILE, load_bank
from generator.errors import ExamgenError
from generator.families import BUILTIN_DIR, registry
from generator.families._concepts import BankChoiceFamily, BankFamily, TrueFalseFamily
from generator.render import escape_latex, escape_markdown
from generator.seeding import stream
from tests.course import course_families_dir

BANK_FAMILIES = [f for f in registry((course_families_dir(),)).values() if isinstance(f, BankFamily)]
MISCONCEPTION_FAMILIES = [f for f in registry((course_families_dir(),)).values() if f.mistakes()]
ALL_ENTRIES = [(f.ID, s) for f in BANK_FAMILIES for s in f.bank().statements]


def test_bank_files_belong_to_bank_families():
    """Every bank family's bank.toml sits in its own folder, and no other family has one (a
    stray bank would be data nothing reads)."""
    assert BANK_FAMILIES, "the reference's conceptual problems are bank families"
    with_bank = {p.parent.name for p in BUILTIN_DIR.glob(f"*/{BANK_FILE}")}
    assert with_bank == {f.ID for f in BANK_FAMILIES if f.FOLDER.parent == BUILTIN_DIR}


@pytest.mark.parametrize("family_id, statement", ALL_ENTRIES, ids=lambda v: getattr(v, "id", v))
def test_every_entry_has_truth_text_and_explanation(family_id, statement):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", statement.id)
    assert isinstance(statement.truth, bool)
    assert statement.text.strip() and statement.explanation.strip()
    # An explanation says why, so it is more than a restatement of the text.
    assert len(statement.explanation) > len(statement.text) / 2


def _prose(text: str) -> list[str]:
    """The parts of ``text`` outside ``$…$`` math."""
    assert text.count("$") % 2 == 0, f"unbalanced $ in {text!r}"
    return text.split("$")[::2]


@pytest.mark.parametrize("family_id, statement", ALL_ENTRIES, ids=lambda v: getattr(v, "id", v))
def test_texts_print_as_written_in_both_formats(family_id, statement):
    """Bank prose goes into LaTeX and Markdown unescaped, so it must hold nothing either escapes."""
    for text in (statement.text, statement.explanation):
        for line in (line for prose in _prose(text) for line in prose.splitlines()):
            # An apostrophe in prose typesets as one; only user text needs it printed straight.
            plain = line.replace("'", "")
            assert escape_latex(plain) == plain, line
            assert escape_markdown(line) == line, line
            assert "--" not in line and '"' not in line and "`" not in line


@pytest.mark.parametrize(
    "family", [f for f in BANK_FAMILIES if isinstance(f, BankChoiceFamily)], ids=lambda f: f.ID
)
def test_no_word_sets_the_correct_descriptions_apart(family):
    """A word every correct description uses is in at least half of the wrong ones: when only
    the correct ones spoke of layers, "the option about layers" (that does not say "large")
    found the key of #152 in every variant (an outside review's), which no rule on lengths or
    shared words sees."""
    bank = family.bank()
    words = [set(re.findall(r"[a-z]+", s.text.lower())) for s in bank.statements]
    right = [w for w, s in zip(words, bank.statements, strict=True) if s.truth]
    wrong = [w for w, s in zip(words, bank.statements, strict=True) if not s.truth]
    for word in set.intersection(*right):
        assert 2 * sum(word in w for w in wrong) >= len(wrong), word


@pytest.mark.parametrize("family", MISCONCEPTION_FAMILIES, ids=lambda f: f.ID)
def test_mistake_explanations_print_as_written(family):
    for declared in family.mistakes():
        for prose in _prose(declared.explanation):
            plain = prose.replace("'", "")
            assert escape_latex(plain) == plain, declared.name
            assert escape_markdown(prose) == prose, declared.name


@pytest.mark.parametrize("family", BANK_FAMILIES, ids=lambda f: f.ID)
def test_bank_ids_and_texts_are_unique(family):
    bank = family.bank()
    assert len(set(bank.ids)) == len(bank.ids)
    assert len({s.text for s in bank.statements}) == len(bank.statements)


@pytest.mark.parametrize("family", BANK_FAMILIES, ids=lambda f: f.ID)
def test_banks_hold_what_their_family_draws(family):
    """A true/false bank needs both truth values; a choice bank one correct description and
    enough wrong ones for every student's distractors."""
    bank = family.bank()
    if isinstance(family, TrueFalseFamily):
        assert bank.with_truth(True) and bank.with_truth(False)
    else:
        assert isinstance(family, BankChoiceFamily)
        assert bank.with_truth(True)
        assert len(bank.with_truth(False)) >= family.DISTRACTORS


@pytest.mark.parametrize("family", MISCONCEPTION_FAMILIES, ids=lambda f: f.ID)
@given(seed=st.integers(0, 2**32))
def test_every_misconception_has_a_note(family, seed):
    variant = family.generate(stream(seed, "notes", family.ID))
    names = set(family.misconceptions(variant.params, variant.solution))
    assert names, "a family that declares mistakes has one that applies to every variant"
    assert all(family.mistake_explanation(name).strip() for name in names)


@pytest.mark.parametrize(
    "content, field",
    [
        ("[[statements]]\nid = 'a'\ntruth = true\ntext = 'x'\n", "statements[1].explanation"),
        (
            "[[statements]]\nid = 'a'\ntruth = 'yes'\ntext = 'x'\nexplanation = 'y'\n",
            "statements[1].truth",
        ),
        (
            "[[statements]]\nid = 'Not A Slug'\ntruth = true\ntext = 'x'\nexplanation = 'y'\n",
            "statements[1].id",
        ),
        (
            "[[statements]]\nid = 'a'\ntruth = true\ntext = 'x'\nexplanation = 'y'\nextra = 1\n",
            "statements[1].extra",
        ),
        ("statements = [\n", "TOML syntax error"),
        # An auditor's (65172e0): three tracebacks out of tomllib.
        ("x = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply to be a statement bank"),
        ("\nx = " + "9" * 5000 + "\n", "line 2: holds a number of more than 4300 digits"),
        (
            "[[statment]]\nid = 'a'\ntruth = true\ntext = 'x'\nexplanation = 'y'\n"
            "[[statements]]\nid = 'b'\ntruth = true\ntext = 'z'\nexplanation = 'y'\n",
            "statment: not a bank table",
        ),
        ("title = 'no statements'\n", "statements"),
        (
            "[[statements]]\nid = 'a'\ntruth = true\ntext = 'x'\nexplanation = 'y'\n"
            "[[statements]]\nid = 'a'\ntruth = false\ntext = 'z'\nexplanation = 'y'\n",
            "share the id",
        ),
    ],
)
def test_a_broken_bank_is_one_line_naming_file_and_field(tmp_path, content, field):
    (tmp_path / BANK_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(ExamgenError) as err:
        load_bank(tmp_path / BANK_FILE)
    message = str(err.value)
    assert "\n" not in message
    assert str(tmp_path / BANK_FILE) in message and field in message


@settings(max_examples=40, deadline=None)
@given(
    words=st.lists(st.sampled_from(["weights", "grow", "the", "loss", "$w$", "fast"]), min_size=1, max_size=6),
    gaps=st.lists(st.sampled_from([" ", "  ", "\t", " \n "]), min_size=6, max_size=6),
    truths=st.tuples(st.booleans(), st.booleans()),
)
def test_two_entries_alike_up_to_spaces_are_refused(tmp_path_factory, words, gaps, truths):
    """An auditor's (65172e0): a false entry that repeated a true one with a doubled space was
    accepted, and printed as a choice reading exactly as the answer."""
    folder = tmp_path_factory.mktemp("bank")
    spaced = "".join(word + gap for word, gap in zip(words, gaps, strict=False)).strip()
    entries = [("first", " ".join(words), truths[0]), ("second", spaced, truths[1])]
    (folder / BANK_FILE).write_text(
        "".join(
            f"[[statements]]\nid = '{id}'\ntruth = {str(truth).lower()}\n"
            f"text = {toml_string(text)}\nexplanation = 'y'\n"
            for id, text, truth in entries
        ),
        encoding="utf-8",
    )
    with pytest.raises(ExamgenError) as err:
        load_bank(folder / BANK_FILE)
    message = str(err.value)
    assert "\n" not in message and "'first' and 'second'" in message
    assert message.endswith("reword or remove one")
    assert ("up to spaces" in message) == (spaced != " ".join(words))


def test_a_bank_that_is_a_folder_is_one_line(tmp_path):
    (tmp_path / BANK_FILE).mkdir()
    with pytest.raises(ExamgenError) as err:
        load_bank(tmp_path / BANK_FILE)
    assert str(err.value) == f"{tmp_path / BANK_FILE}: is a folder; give the statement bank file"


MARKUP = "\\{}#%&_~^<>"


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = (c if c not in '"\\' and c.isprintable() else f"\\U{ord(c):08X}" for c in text)
    return '"' + "".join(escaped) + '"'


@settings(max_examples=20, deadline=None)
@given(
    blank=st.lists(st.integers(0, 3), min_size=3, max_size=3),
    bad=st.integers(0, 2),
    indent=st.sampled_from(["", "  "]),
)
def test_a_bank_error_names_the_line_of_its_entry(tmp_path_factory, blank, bad, indent):
    """An entry's error names the line its ``[[statements]]`` starts on beside its place, counted
    from 1 (the first entry is ``statements[1]``), which a reader of the TOML can go to: a
    reviewer took ``statements[1]`` for the second entry, as a Python index would be."""
    folder = tmp_path_factory.mktemp("bank")
    lines: list[str] = ["# a course bank"]
    starts = []
    for k in range(3):
        lines += [""] * blank[k]
        starts.append(len(lines) + 1)
        truth = "'yes'" if k == bad else "true"
        lines += [f"{indent}[[statements]]", f"id = 'e{k}'", f"truth = {truth}", f"text = 'T{k}.'"]
        lines += ["explanation = 'Why.'"]
    (folder / BANK_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ExamgenError) as err:
        load_bank(folder / BANK_FILE)
    assert str(err.value).startswith(
        f"{folder / BANK_FILE}:{starts[bad]}: statements[{bad + 1}].truth: missing or not true"
    )


def bank_with(folder: Path, field: str, text: str) -> Path:
    """A one-statement bank.toml in ``folder`` whose ``field`` is ``text``."""
    texts = {"text": "A statement.", "explanation": "Why it holds."}
    texts[field] = text
    lines = ["[[statements]]", "id = 'a'", "truth = true"]
    lines += [f"{name} = {toml_string(value)}" for name, value in texts.items()]
    (folder / BANK_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / BANK_FILE


@given(
    before=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="$" + MARKUP), max_size=20
    ),
    char=st.sampled_from([*MARKUP, "\x00", "\x01", "\x0b", "\x7f", "\ufffe"]),
    field=st.sampled_from(["text", "explanation"]),
)
def test_bank_prose_that_a_format_reads_as_markup_is_refused(tmp_path_factory, before, char, field):
    """A course bank's prose goes into LaTeX, Markdown and HTML as written, so a character any of
    them reads as markup, or a control character, is one line naming the file and the field (on
    main ``50% of …`` printed as ``50`` in the PDF, the rest of the line a LaTeX comment; ``<b>``
    was a tag on the practice site; U+0001 made a Moodle file no XML parser reads)."""
    folder = tmp_path_factory.mktemp("bank")
    with pytest.raises(ExamgenError) as err:
        load_bank(bank_with(folder, field, f"{before}{char} and $x_1 < 2$"))
    message = str(err.value)
    assert "\n" not in message
    assert f"{folder / BANK_FILE}:1: statements[1].{field}: holds " in message


@pytest.mark.parametrize("command", ["href", "url", "style", "class", "cssId"])
@pytest.mark.parametrize("field", ["text", "explanation"])
def test_a_bank_command_that_makes_a_link_or_style_is_refused_in_math_too(tmp_path, command, field):
    """MathJax (LMS exports) and the practice pages' MathML turn these into a link, a style or a
    class of the page: ``$\\href{javascript:…}{click}$`` was a link on 1be3fcf."""
    with pytest.raises(ExamgenError) as err:
        load_bank(bank_with(tmp_path, field, f"See $\\{command}{{javascript:alert(1)}}{{x}}$ here."))
    assert f"statements[1].{field}: holds \\{command}, which puts a link" in str(err.value)


def test_bank_math_may_hold_what_prose_may_not(tmp_path):
    """Inside ``$…$`` LaTeX's own syntax is the point; only an odd ``$`` is refused."""
    (tmp_path / BANK_FILE).write_text(
        "[[statements]]\nid = 'a'\ntruth = true\n"
        "text = 'Its slope is $\\frac{a_1}{2} < 50\\%$.'\n"
        "explanation = 'Since $$x^2 \\ge 0,$$ and $\\{x\\}$ is a set.'\n",
        encoding="utf-8",
    )
    assert load_bank(tmp_path / BANK_FILE).statements[0].text.startswith("Its slope")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / BANK_FILE).write_text(
        "[[statements]]\nid = 'a'\ntruth = true\ntext = 'It costs $5.'\nexplanation = 'y'\n",
        encoding="utf-8",
    )
    with pytest.raises(ExamgenError, match=r"statements\[1\]\.text: has a \$ that opens no math"):
        load_bank(tmp_path / "odd" / BANK_FILE)


@given(
    math=st.sampled_from(["x^{2", "\\frac{1}{2", "x}", "\\frac{a}{b}}", "{{x}"]),
    field=st.sampled_from(["text", "explanation"]),
)
def test_bank_math_that_leaves_a_brace_open_names_the_entry(tmp_path_factory, math, field):
    """``$x^{2$`` converts to MathML and passes every other check; pdflatex stops on it at build
    time, and check named only the template line that prints a bank text, not the bank's entry."""
    folder = tmp_path_factory.mktemp("bank")
    with pytest.raises(ExamgenError) as err:
        load_bank(bank_with(folder, field, f"Its value is ${math}$ here."))
    message = str(err.value)
    assert "\n" not in message
    assert f"{folder / BANK_FILE}:1: statements[1].{field}: leaves a " in message
    assert "close it" in message


def test_a_duplicate_id_names_the_bank_and_both_entries_lines_once(tmp_path):
    """On 8cb6922 it said "two entries share the id 'a' ('a' and 'a')": the id three times, and
    no line of the bank where the two entries are."""
    entry = "[[statements]]\nid = '{}'\ntruth = {}\ntext = '{}'\nexplanation = 'y'\n\n"
    (tmp_path / BANK_FILE).write_text(
        entry.format("a", "true", "x") + entry.format("b", "false", "z")
        + entry.format("a", "false", "w"),
        encoding="utf-8",
    )
    with pytest.raises(ExamgenError) as err:
        load_bank(tmp_path / BANK_FILE)
    assert str(err.value) == (
        f"{tmp_path / BANK_FILE}: statements[1] (line 1) and statements[3] (line 13) share the "
        "id 'a'; reword or remove one"
    )
