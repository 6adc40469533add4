"""What README.md and docs/ tell a reader to type, and the numbers they quote, against the tool.

The README is for instructors and docs/ for family authors; a reader follows them on a fresh
machine. Every `examgen …` line they show must name a real command with real options and values,
and each number quoted from the code (defaults, limits, sizes) must be the code's number. Other
promises are tested where their subject is (the guide's files in test_authoring_guide.py, PDFs in
test_pdf.py, rosters in test_roster.py, …).
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.build import generate_exams
from generator.cli import main
from generator.roster import numbered_students
from generator.spec import DEFAULT_SPEC, load_spec

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "docs/authoring.md", "docs/practice-pages.md")
#: Options of the benchmark scripts the README describes (not examgen's).
BENCH_OPTIONS = {"--memory": "bench/bench_speed.py", "--dir": "bench/bench_speed.py"}
#: A fenced code block, also one indented inside a list item.
FENCED = r"^ *```[^\n]*\n(.*?)^ *```"


def text(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def examgen_lines(document: str) -> list[str]:
    """Every `examgen COMMAND …` the document shows: each line of a code block (a trailing `\\`
    joins the next line; a `#` comment is cut off) and each inline code span."""
    found = []
    joined = re.sub(r"\\\n\s*", " ", document)
    for block in re.findall(FENCED, joined, flags=re.S | re.M):
        for line in block.splitlines():
            line = re.split(r"\s#", line, maxsplit=1)[0].strip()
            if line.startswith("examgen "):
                found.append(line)
    prose = re.sub(FENCED, "", joined, flags=re.S | re.M)
    found += [span for span in re.findall(r"`([^`\n]+)`", prose) if span.startswith("examgen ")]
    return found


def command_options(command: click.Command) -> dict[str, click.Parameter]:
    return {name: p for p in command.params for name in (*p.opts, *p.secondary_opts)}


def all_invocations() -> list[tuple[str, str]]:
    return [(name, line) for name in DOCUMENTS for line in examgen_lines(text(name))]


def test_the_documents_show_examgen_lines() -> None:
    """The extraction below finds what it checks (a README without examples would pass vacuously)."""
    commands = {line.split()[1] for _, line in all_invocations()}
    assert "--help" in commands  # `examgen --help`: the group's own option
    assert set(main.commands) <= commands


@pytest.mark.parametrize(("document", "line"), all_invocations())
def test_every_examgen_line_names_a_real_command_options_and_values(document, line) -> None:
    words = line.split()
    if words[1] == "--help":
        return
    assert words[1] in main.commands, f"{document}: `{line}`: no command {words[1]!r}"
    options = command_options(main.commands[words[1]])
    for i, word in enumerate(words):
        for option in re.findall(r"(?<![\w-])--?[a-z][a-z-]*", word):
            if option.startswith("--") or option == "-q":
                assert option in options, f"{document}: `{line}`: {words[1]} has no {option}"
        if word in options and isinstance(options[word].type, click.Choice) and i + 1 < len(words):
            value = words[i + 1].strip("[]")
            if re.fullmatch(r"[a-z-]+(\|[a-z-]+)*", value):
                for choice in value.split("|"):
                    assert choice in options[word].type.choices, f"{document}: `{line}`"


def test_every_option_the_documents_name_exists() -> None:
    """Options named in prose (`--jobs N`, `--review DIR`) belong to some examgen command, or to
    the benchmark script the README describes with them."""
    known = {name for command in main.commands.values() for name in command_options(command)}
    known |= {"--help", *command_options(main)}  # every command's --help; examgen --version
    for document in DOCUMENTS:
        for option in set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text(document))):
            if option in BENCH_OPTIONS:
                assert option in text(BENCH_OPTIONS[option])
            else:
                assert option in known, f"{document} names {option}, which no command has"


def test_the_make_variables_table_gives_the_makefiles_defaults() -> None:
    """README's `make exam` variables: SEED 42, N 30, OUT out, no ROSTER, and SPEC empty in the
    Makefile, so that build's own default, the lecture-14 quiz, is the one the table names."""
    from generator.spec import DEFAULT_SPEC

    makefile = dict(re.findall(r"^(\w+) \?= ?(.*)$", text("Makefile"), flags=re.M))
    rows = dict(re.findall(r"^\| `(\w+)` \| [^|]+ \| (.+) \|$", text("README.md"), flags=re.M))
    assert rows == {
        "SEED": "`42`", "N": "`30`", "ROSTER": "none", "SPEC": "`specs/lecture-14-quiz.toml`",
        "OUT": "`out`",
    }  # fmt: skip
    for name in ("SEED", "N", "OUT"):
        assert makefile[name] == rows[name].strip("`"), name
    assert makefile["ROSTER"] == makefile["SPEC"] == ""
    assert DEFAULT_SPEC.relative_to(ROOT).as_posix() == rows["SPEC"].strip("`")


def test_the_readme_spec_example_builds(tmp_path: Path) -> None:
    """The annotated spec under "Exam specs" is a working spec, every optional field included."""
    block = re.search(r"^```toml\n(.*?)^```", text("README.md"), flags=re.S | re.M).group(1)
    spec = tomllib.loads(block)
    assert {"shuffle_questions", "answer_sheet", "layout", "grading"} <= set(spec)
    (tmp_path / "my-quiz.toml").write_text(block, encoding="utf-8")
    out = tmp_path / "out"
    argv = ["build", "--seed", "42", "--count", "2", "--no-pdf", "-q", "--out", str(out)]
    result = CliRunner().invoke(main, [*argv, "--spec", str(tmp_path / "my-quiz.toml")])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output  # its pools answer alike, as Gradescope needs
    folder = out / "my-quiz-seed42"
    exam = (folder / "exams" / "s001.md").read_text(encoding="utf-8")
    for field in ("title", "course", "date", "instructions"):
        assert spec[field] in exam, field
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    assert key["grading"]["decimals"] == spec["grading"]["decimals"]
    assert set(key["grading"]["partial"]) == set(spec["grading"]["partial"])
    first = key["students"][0]["questions"][0]
    assert first["family"] == spec["questions"][0]["family"]
    assert first["answer"]["kind"] == "choice"  # form = "choice"
    assert first["params"]["eta"] == spec["questions"][0]["params"]["eta"]  # pinned


def flat(name: str) -> str:
    """A document with its line breaks folded, so a phrase may wrap anywhere."""
    return " ".join(text(name).split())


def option_default(command: str, option: str):
    return command_options(main.commands[command])[option].default


def option_max(command: str, option: str):
    return command_options(main.commands[command])[option].type.max


def quoted_numbers():
    """(document, phrase, the code's value, the value the phrase states): each number the
    documents quote from the code, so changing either side fails here until both agree."""
    from generator.check import (
        EARLY_CANDIDATES,
        MIN_COINCIDENCES,
        SHARED_SHARE_LIMIT,
        VARIANTS_PER_ITEM,
    )
    from generator.defaults import MAX_STUDENTS
    from generator.families import get_family
    from generator.grading.analysis import REVIEW_BELOW
    from generator.manifest import LIBRARIES, TYPESETTING_LIBRARIES
    from generator.paper.handout import DEFAULT_SPACE
    from generator.paper.packets import PER_PAGE
    from generator.paper.scan import FIELDS
    from generator.pdf import CHUNK
    from generator.responses import DEFAULT_DECIMALS, DEFAULT_SIGNIFICANT
    from generator.testwise import MARGIN, MAX_WORK_RATIO, MIN_SAMPLE, TRUE_FALSE_LIMIT
    from generator.time_limit import COURSE_SECONDS

    descent = [get_family(f).BUDGET for f in ("gradient-descent-step", "sgd-minibatch-step")]
    chain = get_family("vanishing-gradient-chain")
    readme, guide = "README.md", "docs/authoring.md"
    return [
        (
            readme,
            "(3.5 in for a vector, 2.5 in for a number;",
            (DEFAULT_SPACE["vector"], DEFAULT_SPACE["number"]),
            ("3.5in", "2.5in"),
        ),
        (readme, "Students are typeset in runs of 25 per pdflatex process", CHUNK, 25),
        (readme, "`--count N` takes 1 to 10,000 students", MAX_STUDENTS, 10_000),
        (readme, "At most 10,000 students.", MAX_STUDENTS, 10_000),
        (
            readme,
            "has a denominator of at most 12 and magnitude at most 100;",
            {(b.max_denominator, b.max_magnitude) for b in descent},
            {(12, 100)},
        ),
        (
            readme,
            "denominators of at most 16 for ReLU and up to 4⁵ = 1024",
            (chain.RELU_BUDGET.max_denominator, chain.BUDGET.max_denominator),
            (16, 1024),
        ),
        (
            readme,
            "the chain's values stay within 100 too",
            (chain.RELU_BUDGET.max_magnitude, chain.BUDGET.max_magnitude),
            (100, 100),
        ),
        (
            readme,
            "`examgen check` samples 1,000 variants",
            option_default("check", "--variants"),
            1000,
        ),
        (guide, "`check` samples 1000 variants", option_default("check", "--variants"), 1000),
        (
            readme,
            "`--class-size` students (default 300) would expect more than 1%",
            (option_default("check", "--class-size"), SHARED_SHARE_LIMIT),
            (300, 0.01),
        ),
        (
            guide,
            "`--class-size` students (default 300) would expect more than 1%",
            (option_default("check", "--class-size"), SHARED_SHARE_LIMIT),
            (300, 0.01),
        ),
        (guide, "`examgen check` draws 200 candidates", EARLY_CANDIDATES, 200),
        (guide, "a family whose code runs for 10 s on one variant", COURSE_SECONDS, 10),
        (readme, "one process per core, ten variants at a time", VARIANTS_PER_ITEM, 10),
        (guide, "It warns only after seeing at least two coinciding pairs", MIN_COINCIDENCES, 2),
        (
            readme,
            "beats chance (1/number of options) by more than 5 points (judged from 500 "
            "variants up)",
            (MARGIN, MIN_SAMPLE),
            (0.05, 500),
        ),
        (readme, "fails above 60%", TRUE_FALSE_LIMIT, 0.6),
        (readme, "lets max/min exceed 1.5", MAX_WORK_RATIO, 1.5),
        (
            readme,
            "a correct rounding with at least 2 decimal places and 2 significant digits",
            (DEFAULT_DECIMALS, DEFAULT_SIGNIFICANT),
            (2, 2),
        ),
        (readme, "Questions and statements whose discrimination is below 0.2", REVIEW_BELOW, 0.2),
        (readme, "show five students a page", PER_PAGE, 5),
        (
            readme,
            "`problem, file, file_page, student, sheet_page, question, detail, image`",
            FIELDS,
            (
                "problem",
                "file",
                "file_page",
                "student",
                "sheet_page",
                "question",
                "detail",
                "image",
            ),
        ),
        (
            readme,
            "records the versions of examgen, Python, numpy, sympy and Jinja2",
            LIBRARIES,
            ("numpy", "sympy", "jinja2"),
        ),
        (
            readme,
            "and in a build with PDFs those of pikepdf and pdflatex",
            TYPESETTING_LIBRARIES,
            ("pikepdf",),
        ),
        (readme, "K pre-built variants (default 50;", option_default("site", "--variants"), 50),
        # An auditor's: the maximum was not stated, and a larger K refused only by click.
        (readme, "K is at most 1000, and a page holds", option_max("site", "--variants"), 1000),
    ]


@pytest.mark.parametrize(
    ("document", "phrase", "actual", "stated"),
    quoted_numbers(),
    ids=[f"{document}: {phrase[:48]}" for document, phrase, *_ in quoted_numbers()],
)
def test_each_number_the_documents_quote_is_the_codes(document, phrase, actual, stated) -> None:
    assert phrase in flat(document), f"{document} no longer says {phrase!r}: update this test"
    assert actual == stated, f"{document} says {phrase!r}, the code has {actual!r}"


def test_every_difficulty_band_spans_at_most_the_work_ratio() -> None:
    """README: a family declares its bands "each at most 1.5× from end to end"."""
    from generator.families import registry
    from generator.testwise import MAX_WORK_RATIO

    assert "each at most 1.5× from end to end" in flat("README.md")
    banded = [f for f in registry().values() if getattr(f, "WORK_BANDS", None)]
    assert len(banded) >= 3
    for family in banded:
        for low, high in family.WORK_BANDS.values():
            assert high <= MAX_WORK_RATIO * low, (family.ID, low, high)


def test_a_build_without_count_or_roster_has_30_numbered_students(tmp_path: Path) -> None:
    """README: `N`, "number of students `s001 … sNNN`", default 30; "student 1,000 is `s1000`, so
    a larger `N` keeps everyone's exam" (test_roster: IDs whatever the count; here the exams)."""
    row = (
        "| `N` | number of students `s001 … sNNN` (without a roster; student 1,000 is `s1000`, so a "
        "larger `N` keeps everyone's exam) | `30` |"
    )
    assert row in text("README.md")
    spec = load_spec(DEFAULT_SPEC)
    small, large = (generate_exams(spec, 1, numbered_students(n)[:1]) for n in (2, 2000))
    assert small == large  # student 1's exam in a class of 2 and in one of 2,000
    result = CliRunner().invoke(
        main, ["build", "--seed", "1", "--no-pdf", "-q", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    key = (tmp_path / "lecture-14-quiz-seed1" / "key.csv").read_text(encoding="utf-8")
    assert [line.split(",")[0] for line in key.splitlines()[1:]] == [
        f"s{i:03d}" for i in range(1, 31)
    ]


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help(command) -> None:
    """README: "Every command has `--help`"."""
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and result.output.startswith("Usage: ")


def test_the_answers_the_readme_says_grade_reads() -> None:
    """ "Answers are read exactly: `9/2`, `-7/3`, `4.5`, `.5`, `(4, 9)`, `[4,9]`, `4, 9`,
    `T`/`false`, `b`", and its decimal examples: `2.33` counts for 7/3, `2.334` is a wrong
    rounding, `-2.33` is the sign-flipped `-7/3`, `(1, 3.44)` is `(1, 31/9)`, `0.89` and `.89`."""
    import sympy

    from generator.responses import DecimalRule, credit, read_response

    readme = flat("README.md")
    listed = re.search(r"Answers are read exactly: (.*?)\. A decimal", readme).group(1)
    spellings = [s for s in re.findall(r"`([^`]+)`", listed)]
    assert spellings == ["9/2", "-7/3", "4.5", ".5", "(4, 9)", "[4,9]", "4, 9", "T", "false", "b"]
    R = sympy.Rational
    kinds = {
        "9/2": ("number", R(9, 2)),
        "-7/3": ("number", R(-7, 3)),
        "4.5": ("number", R(9, 2)),
        ".5": ("number", R(1, 2)),
        "(4, 9)": ("vector", (R(4), R(9))),
        "[4,9]": ("vector", (R(4), R(9))),
        "4, 9": ("vector", (R(4), R(9))),
        "T": ("bool", True),
        "false": ("bool", False),
        "b": ("choice", "B"),
    }
    rule = DecimalRule()
    for typed in spellings:
        kind, value = kinds[typed]
        assert credit(read_response(typed, kind, 2), kind, value, rule) == 1, typed
    for phrase, typed, kind, value, counts in (
        ("`2.33` or `2.334` for 7/3 with 2 places", "2.33", "number", R(7, 3), True),
        ("where `examgen grade` refuses `2.334`", "2.334", "number", R(7, 3), False),
        ("(`-2.33` is the sign-flipped `-7/3`)", "-2.33", "number", R(-7, 3), True),
        ("(`(1, 3.44)` for `(1, 31/9)`", "(1, 3.44)", "vector", (R(1), R(31, 9)), True),
        ("(`0.89`, `.89`)", "0.89", "number", R(8, 9), True),
        ("(`0.89`, `.89`)", ".89", "number", R(8, 9), True),
    ):
        assert phrase in readme, phrase
        assert (credit(read_response(typed, kind, 2), kind, value, rule) == 1) is counts, typed


def repository_files() -> list[str]:
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "out"}
    return [
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*")
        if p.is_file() and not skip & set(p.relative_to(ROOT).parts)
    ]


def test_every_source_file_and_folder_the_documents_name_exists() -> None:
    """A path a contributor is sent to (`generator/mathml.py`, `templates/html/`, `bench_cut.py`,
    `.ci/run`) is in the repository: a file by its path or its name, a folder by its path."""
    files = repository_files()
    folders = {"/".join(f.split("/")[:i]) + "/" for f in files for i in range(1, f.count("/") + 1)}
    roots = ("generator/", "templates/", "tests/", "scripts/", "specs/", "bench/", ".ci/", "docs/")
    named = set()
    for document in DOCUMENTS:
        for token in re.findall(r"`([^`\s]+)`", text(document)):
            if re.search(r"[<>{}$~*]", token):
                continue
            if token.startswith(roots) or re.fullmatch(r"[\w.-]+\.(py|j2|js|css)", token):
                named.add(token)
            elif re.fullmatch(r"[a-z]+/", token) and token not in ("out/", "site/"):
                named.add(f"generator/{token}")  # "For developers": generator's sub-packages
    assert len(named) > 30
    for token in sorted(named):
        if token.endswith("/"):
            assert token in folders, token
        else:
            assert any(f == token or f.endswith("/" + token) for f in files), token


def command_line_block() -> list[list[str]]:
    """The commands of the README's "The command line" block, each as its words."""
    import shlex

    section = text("README.md").split("## The command line", 1)[1]
    block = re.search(FENCED, section, flags=re.S | re.M).group(1)
    return [shlex.split(line)[1:] for line in examgen_lines(f"```\n{block}```\n")]


def test_the_command_line_block_runs_as_written(tmp_path, monkeypatch) -> None:
    """Each line of the README's command-line block, in order, in a fresh course folder, exits 0
    with its arguments as written, three only made cheaper: builds skip PDFs, `check` proves 3
    variants instead of 1,000 and `site` builds 2 variants a problem."""
    commands = command_line_block()
    assert [c[0] for c in commands] == [
        "list", "show", "new", "build", "build", "build", "preview", "preview", "preview",
        "check", "diff", "grade", "export", "site",
    ]  # fmt: skip
    monkeypatch.chdir(tmp_path)
    Path("students.csv").write_text("id,name\na1,Ann\nb2,Bo\n", encoding="utf-8")
    block = re.search(r"^```toml\n(.*?)^```", text("README.md"), flags=re.S | re.M).group(1)
    Path("my-quiz.toml").write_text(block, encoding="utf-8")
    build = Path("out/lecture-14-quiz-seed42")
    for words in commands:
        if words[0] == "build":
            words = [*words, "--no-pdf", "-q"]
        elif words[0] == "check":
            words = [w if w != "1000" else "3" for w in words]
        elif words[0] == "site":
            words = [*words, "--variants", "2"]
        elif words[0] == "diff":
            shutil.copytree("out", "out-old")
        elif words[0] == "grade":
            shutil.copy(build / "key.csv", "responses.csv")
        result = CliRunner().invoke(main, words)
        assert result.exit_code == 0, (words, result.output)
    assert (build / "key.json").is_file() and Path("exams/my-quiz-seed42/key.json").is_file()
    assert Path("families/momentum-step/family.py").is_file()
    assert Path("responses.scores.csv").is_file() and Path("site/tags/lecture-14.html").is_file()
    assert Path("out/lecture-14-quiz-seed42-moodle.xml").is_file()


def test_the_commands_said_to_take_families_are_those_that_do() -> None:
    """README and the guide: `--families DIR` on `list`, `show`, `preview`, `check`, `site --tags`
    and `grade`; the others (`build`, `export`) find course families through the spec."""
    phrase = "`--families DIR` on `list`, `show`, `preview`, `check`, `site --tags` and `grade`"
    for document in ("README.md", "docs/authoring.md"):
        assert phrase in flat(document), document
    taking = {name for name, c in main.commands.items() if "--families" in command_options(c)}
    assert taking == {"list", "show", "preview", "check", "site", "grade"}


def test_a_roster_of_more_than_10000_students_is_refused(tmp_path: Path) -> None:
    """README: "At most 10,000 students." (a roster; `--count` has its own range)."""
    from generator.errors import ExamgenError
    from generator.roster import load_roster

    rows = "".join(f"s{i},Student {i}\n" for i in range(10_001))
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\n" + rows, encoding="utf-8")
    with pytest.raises(ExamgenError, match="10,000"):
        load_roster(roster)
    roster.write_text("id,name\n" + rows.split("\n", 1)[1], encoding="utf-8")
    assert len(load_roster(roster)) == 10_000


def test_the_quiz_table_is_the_default_specs_order_and_references() -> None:
    """README: `make exam` builds the seven reference problems in the reference's order (the
    table's first seven rows, with their numbers), and asks both descent questions at
    "standard"."""
    from generator.spec import DEFAULT_SPEC

    rows = re.findall(r"^\| `([a-z-]+)` \| (#\d+|beyond the reference) \|", text("README.md"), re.M)
    source = DEFAULT_SPEC.read_text(encoding="utf-8")
    spec = tomllib.loads(source)
    asked = [q["family"] for q in spec["questions"]]
    assert [family for family, _ in rows[:7]] == asked and len(asked) == 7
    for family, reference in rows[:7]:
        assert re.search(rf'family = "{family}"\s+# reference problem {reference}\b', source)
    assert rows[7:] == [("vanishing-gradient-chain", "beyond the reference")]
    descent = [q for q in spec["questions"] if q["family"].endswith("step")]
    assert len(descent) == 2 and all(q["difficulty"] == "standard" for q in descent)
    assert 'the default quiz asks both descent questions at `"standard"`' in flat("README.md")


def test_the_files_a_rebuild_replaces_are_those_it_writes() -> None:
    """The README's list of what a rebuild replaces (everything else in the folder is kept) is
    ``BUILD_ENTRIES``, which a build test checks against what a build writes."""
    from generator.build import BUILD_ENTRIES

    readme = " ".join(text("README.md").split())
    listed = re.search(r"A rebuild replaces only what a build writes \(([^)]*)\)", readme)
    assert listed is not None
    assert set(re.findall(r"`([^`]+)`", listed.group(1))) == set(BUILD_ENTRIES)
