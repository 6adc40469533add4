"""The command line: what an instructor types, what lands in out/, and how mistakes are told.

Every bad input gets one line that names what was wrong, a non-zero exit, no traceback, and leaves
the output folder as it was.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from generator.cli import main
from generator.spec import DEFAULT_SPEC, load_spec


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def snapshot(folder: Path) -> dict[str, bytes] | None:
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("command", [[], ["build"], ["preview"], ["list"]])
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_build_writes_the_output_contract(tmp_path):
    result = run("build", "--seed", "42", "--count", "4", "--out", str(tmp_path / "out"), "-q")
    assert result.exit_code == 0, result.output
    spec = load_spec(DEFAULT_SPEC)
    folder = tmp_path / "out" / f"{spec.id}-seed42"
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    assert key["exam"] == spec.id and key["seed"] == 42
    assert [s["id"] for s in key["students"]] == ["s001", "s002", "s003", "s004"]
    for student in key["students"]:
        assert set(student) >= {"id", "name", "questions"}
        for number, q in enumerate(student["questions"], start=1):
            assert q["number"] == number
            assert set(q) >= {"number", "family", "points", "params", "answer"}
            if q["family"] in {"gradient-descent-step", "sgd-minibatch-step"}:
                assert q["answer"]["kind"] == "vector"
                assert all(isinstance(v, str) for v in q["answer"]["value"])
                assert set(q["params"]) >= {"data", "w0", "eta"}
                assert isinstance(q["params"]["eta"], str)
            if q["family"] == "sgd-minibatch-step":
                n = len(q["params"]["data"])
                assert all(1 <= p <= n for p in q["params"]["batch"])
        for ext in ("tex", "md"):
            assert (folder / "exams" / f"{student['id']}.{ext}").is_file()
            assert (folder / "solutions" / f"{student['id']}.{ext}").is_file()
    rows = list(csv.reader(io.StringIO((folder / "key.csv").read_text(encoding="utf-8"))))
    assert rows[0] == ["id", "name", *(f"q{i}" for i in range(1, len(spec.slots) + 1))]
    assert [r[0] for r in rows[1:]] == ["s001", "s002", "s003", "s004"]
    # key.csv and key.json agree on every answer.
    first = key["students"][0]["questions"][0]["answer"]
    if first["kind"] == "vector":
        assert rows[1][2] == "(" + ", ".join(first["value"]) + ")"


@pytest.mark.parametrize(("students", "questions"), [(1, 1), (1, 2), (2, 1), (3, 2)])
def test_build_says_how_many_students_and_questions(tmp_path, students, questions):
    """An auditor's (65172e0): a one-question build said "1 questions"."""
    spec = tmp_path / "spec.toml"
    spec.write_text('id = "t"\n' + '[[questions]]\nfamily = "sgd-direction"\n' * questions)
    args = ["build", "--seed", "1", "--spec", str(spec), "--count", str(students), "--no-pdf"]
    result = run(*args, "-q", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    said = {1: "1 student", 2: "2 students", 3: "3 students"}[students]
    asked = {1: "1 question", 2: "2 questions"}[questions]
    assert f"Built {said} × {asked} in " in result.output


def test_roster_build_uses_ids_and_names(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        '\ufeffSIS User ID,Student,Section\nA17,Zoë Ñúñez,1\nB2,"O\'Brien, Pat",2\n',
        encoding="utf-8",
    )
    result = run(
        "build", "--seed", "3", "--roster", str(roster), "--out", str(tmp_path / "o"), "-q"
    )
    assert result.exit_code == 0, result.output
    key = json.loads(next((tmp_path / "o").glob("*/key.json")).read_text(encoding="utf-8"))
    assert [(s["id"], s["name"]) for s in key["students"]] == [
        ("A17", "Zoë Ñúñez"),
        ("B2", "O'Brien, Pat"),
    ]
    md = next((tmp_path / "o").glob("*/exams/A17.md")).read_text(encoding="utf-8")
    assert "Zoë Ñúñez" in md


def test_preview_reproduces_a_published_problem():
    params = '{"data": [[1, 3], [2, 3], [3, 6]], "w0": [0, 0], "eta": "1/2"}'
    result = run("preview", "gradient-descent-step", "--params", params, "--format", "json")
    assert result.exit_code == 0, result.output
    entry = json.loads(result.output)
    assert entry["answer"] == {"kind": "vector", "value": ["4", "9"]}
    assert entry["steps"]["gradient"] == [-8, -18]
    for fmt in ("md", "tex"):
        text = run("preview", "gradient-descent-step", "--params", params, "--format", fmt).output
        assert "(4, 9)^T" in text and "-18" in text


def test_list_shows_families_tags_and_specs():
    result = run("list")
    assert result.exit_code == 0
    assert "gradient-descent-step" in result.output and "quiz-07" in result.output
    assert "lecture-14-quiz" in result.output


def roster_file(tmp_path: Path, text: str, name: str = "roster.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


BAD_INPUTS = {
    "unknown family": (["preview", "no-such-family"], "unknown family 'no-such-family'"),
    # Path("") is the folder examgen runs in: `--out ""` wrote there (an auditor's).
    "an empty --out": (
        ["export", "--format", "moodle", "--seed", "1", "--variants", "1", "--out", ""],
        "Error: --out: an empty path; give a file or folder",
    ),
    "an empty --spec": (["check", "--spec", ""], "Error: --spec: an empty path"),
    "malformed params JSON": (
        ["preview", "gradient-descent-step", "--params", '{"eta": 1/2}'],
        "--params: not valid JSON",
    ),
    "params not an object": (
        ["preview", "gradient-descent-step", "--params", "[1]"],
        "JSON object",
    ),
    # On main the last one silently won: not the problem the user meant to reproduce.
    "a parameter given twice": (
        ["preview", "gradient-descent-step", "--params", '{"eta": "1/2", "eta": "1/3"}'],
        "--params: 'eta' is given twice",
    ),
    "repeated x": (
        ["preview", "gradient-descent-step", "--params", '{"data": [[1, 2], [1, 3], [2, 4]]}'],
        "repeats x = 1",
    ),
    "batch out of range": (
        [
            "preview",
            "sgd-minibatch-step",
            "--params",
            '{"data": [[1, 2], [3, 5], [2, 1], [4, 4]], "batch": [1, 5]}',
        ],
        "position 5 is out of range",
    ),
    "wrong vector length": (
        ["preview", "gradient-descent-step", "--params", '{"w0": [0, 0, 1]}'],
        "params.w0 must be",
    ),
    "float learning rate": (
        ["preview", "gradient-descent-step", "--params", '{"eta": 0.1}'],
        "is a float",
    ),
    "unknown param": (
        ["preview", "gradient-descent-step", "--params", '{"alpha": 1}'],
        "unknown parameter 'alpha'",
    ),
    "negative count": (
        ["build", "--seed", "1", "--count", "-3"],
        "Error: --count: -3 is out of range; give a whole number from 1 to 10000",
    ),
    "negative seed": (["build", "--seed", "-1", "--count", "2"], "--seed: -1 is out of range; give"),
    # issue 9: each of these crashed or did something silly on main
    "zero count": (["build", "--seed", "1", "--count", "0"], "--count: 0 is out of range; give"),
    "huge count": (
        ["build", "--seed", "1", "--count", "100000000"],
        "--count: 100000000 is out of range; give a whole number from 1 to 10000",
    ),
    "infinite points": (
        [
            "build",
            "--seed",
            "1",
            "--spec",
            '{spec:[[questions]]\nfamily = "sgd-direction"\npoints = inf\n}',
        ],
        "questions[1].points: must be a positive number, got inf",
    ),
    "nan points": (
        [
            "build",
            "--seed",
            "1",
            "--spec",
            '{spec:[[questions]]\nfamily = "sgd-direction"\npoints = nan\n}',
        ],
        "questions[1].points: must be a positive number, got nan",
    ),
    "300-character spec id": (
        [
            "build",
            "--seed",
            "1",
            "--spec",
            '{spec:id = "' + "x" * 300 + '"\n[[questions]]\nfamily = "sgd-direction"\n}',
        ],
        "id: too long (300 characters); at most 100 bytes",
    ),
    "TOML nested 500 deep": (
        ["build", "--seed", "1", "--spec", "{spec:x = " + "[" * 500 + "]" * 500 + "\n}"],
        "nested too deeply",
    ),
    "control character in the title": (
        [
            "build",
            "--seed",
            "1",
            "--spec",
            '{spec:title = "Quiz\\u0001"\n[[questions]]\nfamily = "sgd-direction"\n}',
        ],
        "title: holds U+0001, a control character",
    ),
    "5000-digit param": (
        ["preview", "gradient-descent-step", "--params", '{"eta": ' + "1" * 5000 + "}"],
        "--params: a number or nesting far too large",
    ),
    "missing roster": (
        ["build", "--seed", "1", "--roster", "{tmp}/nope.csv"],
        "roster file not found",
    ),
    "roster is a folder": (["build", "--seed", "1", "--roster", "{tmp}"], "is a folder"),
    "duplicate IDs": (
        ["build", "--seed", "1", "--roster", "{roster:id,name\na,A\nb,B\na,C\n}"],
        "line 4: duplicate student ID 'a' (first on line 2)",
    ),
    "empty ID": (
        ["build", "--seed", "1", "--roster", "{roster:id,name\na,A\n ,B\n}"],
        "line 3: empty student ID",
    ),
    "no ID column": (
        ["build", "--seed", "1", "--roster", "{roster:email,name\nx,y\n}"],
        "no student ID column",
    ),
    "not UTF-8": (
        ["build", "--seed", "1", "--roster", "{latin1}"],
        "latin1.csv: line 2: byte 12 is not UTF-8; save the roster as UTF-8 CSV",
    ),
    "UTF-16": (
        ["build", "--seed", "1", "--roster", "{utf16}"],
        "utf16.csv: the file is UTF-16, not UTF-8; save the roster as UTF-8 CSV",
    ),
    "an Excel workbook": (
        ["build", "--seed", "1", "--roster", "{xlsx}"],
        "roster.xlsx: is a zip file (as an Excel .xlsx or LibreOffice .ods workbook is), not text; "
        "save the roster as UTF-8 CSV (in Excel: Save As, CSV UTF-8)",
    ),
    "an old Excel workbook": (
        ["build", "--seed", "1", "--roster", "{xls}"],
        "roster.xls: is an Office file (as an Excel .xls workbook is), not text; save the "
        "roster as UTF-8 CSV",
    ),
    "an ID too long for the pages' QR codes": (
        ["build", "--seed", "1", "--roster", "{roster:id,name\na,A\n" + "b" * 240 + ",B\n}"],
        "roster.csv: line 3: student ID 'bbbbbbbbbb",
    ),
    "both count and roster": (
        ["build", "--seed", "1", "--count", "2", "--roster", "{roster:id\na\n}"],
        "either --count or --roster",
    ),
    # On main these three were tracebacks (OSError, RuntimeError) in every command taking a path.
    "roster name of 300 characters": (
        ["build", "--seed", "1", "--roster", "{tmp}/" + "x" * 300 + ".csv"],
        "name is too long",
    ),
    "roster is a symbolic link loop": (
        ["build", "--seed", "1", "--roster", "{loop}"],
        "symbolic links",
    ),
    "export --out of 300 characters": (
        ["export", "--format", "moodle", "--seed", "1", "--variants", "1", "--out", "x" * 300],
        "name is too long",
    ),
    "missing spec": (["build", "--seed", "1", "--spec", "{tmp}/none.toml"], "spec file not found"),
    "spec TOML syntax": (
        ["build", "--seed", "1", "--spec", "{spec:title = \n}"],
        "TOML syntax error",
    ),
    "spec unknown family": (
        ["build", "--seed", "1", "--spec", '{spec:[[questions]]\nfamily = "nope"\n}'],
        "questions[1].family",
    ),
    "spec bad pinned params": (
        [
            "build",
            "--seed",
            "1",
            "--spec",
            '{spec:[[questions]]\nfamily = "gradient-descent-step"\nparams = { w0 = [1] }\n}',
        ],
        "questions[1].params",
    ),
}


def materialise(arg: str, tmp_path: Path) -> str:
    if arg.startswith("{roster:"):
        return roster_file(tmp_path, arg[len("{roster:") : -1])
    if arg.startswith("{spec:"):
        return roster_file(tmp_path, arg[len("{spec:") : -1], "spec.toml")
    if arg == "{loop}":
        (tmp_path / "loop-a").symlink_to(tmp_path / "loop-b")
        (tmp_path / "loop-b").symlink_to(tmp_path / "loop-a")
        return str(tmp_path / "loop-a")
    if arg == "{latin1}":
        path = tmp_path / "latin1.csv"
        path.write_bytes("id,name\n1,Zoë\n".encode("latin-1"))
        return str(path)
    if arg == "{xlsx}":  # what Excel saves: a zip of XML parts
        path = tmp_path / "roster.xlsx"
        with zipfile.ZipFile(path, "w") as workbook:
            workbook.writestr("[Content_Types].xml", "<Types/>")
            workbook.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
        return str(path)
    if arg == "{xls}":  # an old Excel file's first bytes
        path = tmp_path / "roster.xls"
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
        return str(path)
    if arg == "{utf16}":
        path = tmp_path / "utf16.csv"
        path.write_bytes("id,name\n1,Zoë\n".encode("utf-16"))
        return str(path)
    return arg.replace("{tmp}", str(tmp_path))


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_gets_one_clear_line(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args, expected = BAD_INPUTS[case]
    out = tmp_path / "out"
    (out / "keep").mkdir(parents=True)
    (out / "keep" / "old.txt").write_text("previous build")
    before = snapshot(out)
    args = [materialise(a, tmp_path) for a in args]
    if args[0] == "build":
        args += ["--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert expected in lines[-1], result.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    # click's usage errors (a value its option refuses) exit 2, examgen's own errors 1.
    assert result.exit_code == (2 if "is out of range; give" in expected or "empty path" in expected else 1)
    assert snapshot(out) == before


#: click's usage errors: what was typed, and the line examgen prints for it.
USAGE_ERRORS = [
    (["site", "--tags", "lecture-14", "--variants", "0"], "--variants: 0 is out of range; give a whole number from 1 to 1000"),
    (["site", "--seed", "-5"], "--seed: -5 is out of range; give a whole number from 0 to 9223372036854775807"),
    (["site", "--variants", "2001"], "--variants: 2001 is out of range; give a whole number from 1 to 1000"),
    (["check", "--variants", "0"], "--variants: 0 is out of range; give a whole number of at least 1"),
    (["site", "--variants", "x"], "--variants: 'x' is not a valid integer"),
    (["export", "--format", "nope"], "--format: 'nope' is not one of 'moodle', 'qti'"),
    (["site", "--variant", "3"], "No such option '--variant'. Did you mean '--variants'? (see 'examgen site --help')"),
    (["grade"], "Missing argument 'KEY_DIR'. (see 'examgen grade --help')"),
    (["no-such-command"], "No such command 'no-such-command'. (see 'examgen --help')"),
]


@pytest.mark.parametrize(("args", "says"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_are_one_line_for_every_command(tmp_path, args, says):
    """On 793abf8 ``site --variants 0`` (and every other command's bad option) printed click's
    usage line, "Try … --help", a blank line, then the error, where examgen's other mistakes are
    one line: now it is that line alone (exit 2, as click's usage errors), naming the option and
    what to give."""
    out = [] if args[0] in ("grade", "no-such-command", "check", "export") else ["--out", str(tmp_path / "s")]
    result = CliRunner().invoke(main, [*args, *out], prog_name="examgen")
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"Error: {says}"]
    assert not (tmp_path / "s").exists()


def test_failed_build_leaves_no_output_folder(tmp_path):
    """A failure while writing removes the staging folder and the out/ it created."""
    spec = tmp_path / "spec.toml"
    spec.write_text('[[questions]]\nfamily = "gradient-descent-step"\n', encoding="utf-8")
    result = run(
        "build",
        "--seed",
        "1",
        "--count",
        "2",
        "--spec",
        str(spec),
        "--out",
        str(tmp_path / "fresh"),
        "-q",
    )
    assert result.exit_code == 0
    # Now make rendering fail mid-build: a template error after some files were written.
    from generator import build as build_module

    original = build_module.render_exam_document
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    before = snapshot(tmp_path / "fresh")
    build_module.render_exam_document = failing
    try:
        with pytest.raises(RuntimeError):
            from generator.roster import numbered_students

            build_module.build(load_spec(spec), 1, numbered_students(3), tmp_path / "fresh")
        with pytest.raises(RuntimeError):
            build_module.build(load_spec(spec), 1, numbered_students(3), tmp_path / "new")
    finally:
        build_module.render_exam_document = original
    assert snapshot(tmp_path / "fresh") == before
    assert [p.name for p in (tmp_path / "fresh").iterdir()] == [f"{spec.stem}-seed1"]
    assert not (tmp_path / "new").exists()


def test_key_csv_round_trips_any_id_and_name(tmp_path):
    """IDs and names with commas, quotes, CR or LF come back from key.csv exactly as in key.json."""
    roster = tmp_path / "roster.csv"
    rows = [("a\rb", 'Quote "Q" Smith'), ("c,d", "Line\nBreak"), ("e", "Plain")]
    with roster.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name"])
        writer.writerows(rows)
    result = run(
        "build", "--seed", "5", "--roster", str(roster), "--out", str(tmp_path / "o"), "-q"
    )
    assert result.exit_code == 0, result.output
    folder = next((tmp_path / "o").iterdir())
    with (folder / "key.csv").open(encoding="utf-8", newline="") as f:
        back = [tuple(r[:2]) for r in list(csv.reader(f))[1:]]
    assert back == rows


HEAVY = ("sympy", "numpy", "jinja2", "pikepdf", "cv2", "pypdfium2", "matplotlib", "segno")
#: Standard modules click itself does not import, which cost ``--help`` a sixth of its time.
SLOW_STDLIB = ("pathlib", "json", "urllib", "ipaddress", "signal")


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["grade", "--help"]])
def test_help_imports_no_heavy_library(args):
    """`examgen --help` starts fast: each command imports its libraries only when it runs, and
    the command line itself nothing click does not (what the interpreter loaded before it, say
    a .pth file's import, is not the command line's)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from generator.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in set(sys.modules) - before})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.strip().splitlines()[-1].split())
    assert "click" in loaded  # the probe did see the modules
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert not loaded & set(SLOW_STDLIB), sorted(loaded & set(SLOW_STDLIB))


def test_path_options_give_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Options typed as paths reach the commands as pathlib Paths, defaults included, though
    the command line imports pathlib only when a command runs (``PathArgument``)."""
    from generator.cli import PathArgument

    assert PathArgument("out") == Path("out")
    assert isinstance(PathArgument(str(tmp_path)), Path)
    monkeypatch.chdir(tmp_path)  # --out's default, out/, given as a string
    assert run("build", "--seed", "1", "--count", "1", "--no-pdf", "-q").exit_code == 0
    assert list(tmp_path.glob("out/*-seed1/key.json"))


def test_preview_gives_each_question_the_work_space_its_handout_gives(tmp_path: Path) -> None:
    """A question previewed with a student's params has the space below it that the student's
    handout has (on main a vector question previewed with 2.5in, where handouts give 3.5in)."""
    assert run("build", "--seed", "3", "--count", "1", "--no-pdf", "-q", "--out", str(tmp_path)).exit_code == 0
    folder = next(tmp_path.glob("*-seed3"))
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    built = re.findall(r"\\begin\{solution\}\[([^]]*)\]", (folder / "exams" / "s001.tex").read_text(encoding="utf-8"))
    questions = key["students"][0]["questions"]
    assert len(built) == len(questions) and "3.5in" in built
    for question, space in zip(questions, built, strict=True):
        params = json.dumps(question["params"])
        shown = run("preview", question["family"], "--params", params, "--format", "tex").output
        assert re.findall(r"\\begin\{solution\}\[([^]]*)\]", shown) == [space], question["family"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize(
    "argv",
    [
        ["preview", "gradient-descent-step"],
        ["show", "sgd-direction", "--json"],
        ["list"],
        ["--help"],
        ["--version"],
        ["build", "--help"],
    ],
)
def test_output_to_a_full_disk_is_one_line(argv):
    """``examgen … > file`` on a full disk: on main an OSError traceback (ENOSPC) from click.echo
    (from click's own --help and --version too, which print before any command runs, until
    55bfec0)."""
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "generator", *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Error: the disk is full (No space left on device) where the output goes; free some "
        "space and run again"
    ]


def test_the_unknown_family_hint_names_only_commands_that_take_families() -> None:
    """On 60c4de8 build and export users were told to pass --families DIR, which neither takes
    ("No such option"): the commands the hint names are those with the option."""
    import re

    from generator.cli import main
    from generator.errors import ExamgenError
    from generator.families import get_family

    with pytest.raises(ExamgenError) as raised:
        get_family("no-such-family")
    message = str(raised.value)
    assert "a spec's families_dir" in message
    named = re.search(r"--families DIR \(([^)]*)\)", message).group(1).split(", ")
    taking = {
        name
        for name, command in main.commands.items()
        if any("--families" in p.opts for p in command.params)
    }
    assert set(named) == {name.removesuffix("_command") for name in taking}, (named, taking)


@pytest.mark.parametrize("inside", ["exams", "solutions", "exams/sub", "key.json"])
@pytest.mark.parametrize(
    "command",
    [
        ["build", "--seed", "42", "--count", "2", "--no-pdf", "-q"],
        ["export", "--format", "moodle", "--seed", "42", "--variants", "1"],
        ["site", "--tags", "SGD", "--variants", "1"],
    ],
)
def test_an_output_inside_what_a_build_wrote_is_refused(tmp_path, inside, command):
    """An auditor's (65172e0): build, export and site wrote into a build's exams/ or
    solutions/, and the next rebuild stopped at what it had not written there."""
    args = ["build", "--seed", "42", "--count", "2", "--no-pdf", "-q", "--out", str(tmp_path)]
    assert run(*args).exit_code == 0
    folder = tmp_path / "lecture-14-quiz-seed42"
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    result = run(*command, "--out", str(folder / inside))
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: --out {folder / inside}: is ")
    assert line.endswith("choose a path outside it")
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before
    assert run(*args).exit_code == 0


def test_build_and_export_may_write_into_an_exam_folder(tmp_path):
    """Beside key.csv is the instructor's: a rebuild carries what is there over."""
    args = ["--seed", "42", "--out", str(tmp_path)]
    assert run("build", *args, "--count", "2", "--no-pdf", "-q").exit_code == 0
    folder = tmp_path / "lecture-14-quiz-seed42"
    assert run("export", "--format", "qti", "--seed", "42", "--variants", "1", "--out", str(folder)).exit_code == 0
    assert run("build", "--seed", "1", "--count", "1", "--no-pdf", "-q", "--out", str(folder)).exit_code == 0
    result = run("build", *args, "--count", "2", "--no-pdf")
    assert result.exit_code == 0 and "Kept what else was in" in result.output


@pytest.mark.parametrize("kind", ["fifo", "device", "huge", "endless", "folder", "under-a-file"])
@pytest.mark.parametrize("what", ["roster", "spec", "responses", "key"])
def test_an_input_that_is_no_file_of_an_input_size_is_one_line(tmp_path, kind, what):
    """An auditor's (65172e0): ``--roster /dev/zero`` filled the memory until the kernel killed
    examgen, and a named pipe as roster, spec or responses waited forever. A named pipe without
    a writer reads as empty; a device is refused; a file or a pipe past the limit too; a folder
    is named as one, with what to give instead, and a path through a file says why it cannot be
    read, for every input alike (the spec's errors said only "[Errno 21] Is a directory: '.'",
    or named the path twice)."""
    import os
    import threading

    from generator.input_file import MAX_INPUT_BYTES

    out = tmp_path / "out"
    built = ["build", "--seed", "1", "--no-pdf", "-q", "--out", str(out)]
    if what in ("responses", "key"):
        assert run(*built, "--count", "1").exit_code == 0
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
        if not path.exists():
            pytest.skip("no /dev/zero here")
    elif kind == "folder":  # a key is found in an exam folder: a key.json that is a folder
        path = tmp_path / "exam" / "key.json" if what == "key" else tmp_path / "folder"
        path.mkdir(parents=True)
    elif kind == "under-a-file":
        (tmp_path / "file.txt").write_text("x", encoding="utf-8")
        path = tmp_path / "file.txt" / "input"
    elif kind == "huge":  # sparse: no disk space taken
        path = tmp_path / "huge.csv"
        with path.open("wb") as file:
            file.truncate(MAX_INPUT_BYTES + 1)
    else:  # --roster <(yes): a pipe whose writer never stops
        read, write = os.pipe()
        path = Path(f"/dev/fd/{read}")

        def endless() -> None:
            try:
                while True:
                    os.write(write, b"y\n" * 65536)
            except OSError:  # the reader is done: the pipe is closed
                pass

        threading.Thread(target=endless, daemon=True).start()
    command = {
        "roster": [*built, "--roster", str(path)],
        "spec": [*built, "--spec", str(path)],
        "responses": ["grade", str(out / "lecture-14-quiz-seed1"), str(path)],
        "key": ["grade", str(path.parent if kind == "folder" else path), str(out / "lecture-14-quiz-seed1" / "key.csv")],
    }[what]
    try:
        result = run(*command)
    finally:
        if kind == "endless":
            os.close(read)
            os.close(write)
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    said = {
        "fifo": "",  # empty: each input says what it lacks
        "device": "is not a file but a device or socket",
        "huge": f"holds {MAX_INPUT_BYTES + 1:,} bytes, more than any",
        "endless": f"holds more than {MAX_INPUT_BYTES:,} bytes, more than any",
        "folder": f"is a folder; give the {what}{' CSV' * (what in ('roster', 'responses'))} file",
        "under-a-file": f"cannot read the {what}{' CSV' * (what in ('roster', 'responses'))} (Not a directory); check the path",
    }[kind]
    assert line.startswith(f"Error: {path}: ") and said in line


def test_a_roster_from_a_pipe_is_read(tmp_path):
    """``--roster <(…)`` and ``/dev/stdin`` are pipes with a writer: read to their end (an
    auditor's: refusing every pipe broke them)."""
    import os

    read, write = os.pipe()
    os.write(write, b"id,name\na,Ann\nb,Bo\n")
    os.close(write)
    try:
        args = ["build", "--seed", "1", "--no-pdf", "--out", str(tmp_path), "--roster", f"/dev/fd/{read}"]
        result = run(*args)
    finally:
        os.close(read)
    assert result.exit_code == 0, result.output
    assert "Built 2 students × 7 questions" in result.output


WORD_CHARACTERS = st.characters(blacklist_categories=("Z", "C"), blacklist_characters="/")


@given(
    st.lists(
        st.one_of(
            st.text(WORD_CHARACTERS, min_size=1, max_size=40),
            st.text(WORD_CHARACTERS, min_size=250, max_size=2000),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_an_error_cuts_a_word_too_long_to_read_keeping_its_ends(words: list[str]) -> None:
    """A 5,000-character student ID, named whole, made a one-line error 5 KB long."""
    from generator.errors import LONGEST_WORD, clip_words

    clipped = [clip_words(word) for word in words]
    assert clip_words(" ".join(words)) == " ".join(clipped)  # word by word
    for word, shown in zip(words, clipped, strict=True):
        if len(word) <= LONGEST_WORD:
            assert shown == word
            continue
        m = re.fullmatch(r"(?s)(.*)…\[([\d,]+) more characters\]…(.*)", shown)
        assert m is not None and len(shown) < LONGEST_WORD
        assert word.startswith(m[1]) and word.endswith(m[3]) and m[1] and m[3]
        assert len(m[1]) + int(m[2].replace(",", "")) + len(m[3]) == len(word)


def test_a_roster_id_too_long_to_print_is_named_by_its_ends(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\n" + "A" * 4000 + "Z,x\nb,y\n", encoding="utf-8")
    result = run("build", "--seed", "1", "--roster", str(roster), "--out", str(tmp_path / "o"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert len(line) < 600
    quoted = "'" + "A" * 4000 + "Z'"
    m = re.search(r" student ID ('A+)…\[([\d,]+) more characters\]…(A+Z') is too long to print", line)
    assert m is not None and line.startswith(f"Error: {roster}: line 2: student ID 'A")
    assert len(m[1]) + int(m[2].replace(",", "")) + len(m[3]) == len(quoted)
    assert line.endswith("(--id-column takes the IDs from another roster column)")


def test_an_error_keeps_a_long_path_whole_and_cuts_a_line_too_long_to_read() -> None:
    """An auditor's: a spec 437 characters deep was named with its middle cut out; and a cell of
    short words (``"x x x …"``) still made a line of 100,000 characters."""
    from generator.errors import LONGEST_LINE, clip_words

    path = "/tmp/" + "/".join(f"very_long_directory_name_number_{k:02d}" for k in range(12))
    said = f"{path}/spec.toml: line 3: TOML syntax error"
    assert clip_words(said) == said and len(said) > 400
    quoted = f"student '{path}' is not in the key"  # an ID, quoted: cut
    assert "more characters]" in clip_words(quoted)
    cell = repr("x " * 50_000)
    line = clip_words(f"    s001 q1: {cell} has 50000 numbers; expected 2")
    assert len(line) <= LONGEST_LINE + 60 and line.endswith("expected 2")
    assert line.startswith("    s001 q1: 'x x x")


@pytest.mark.parametrize(
    "code, folder, said",
    [
        ("EACCES", False, "cannot read the spec (permission denied); make it readable"),
        ("EACCES", True, "is a folder; give the spec file"),  # as Windows refuses a folder
        ("EIO", False, "cannot read the spec (Input/output error); check the path"),
        ("ELOOP", False, "symbolic links that lead back to themselves"),
    ],
    ids=["permission", "folder-on-windows", "disk-error", "link-loop"],
)
def test_an_input_that_cannot_be_opened_is_one_line(tmp_path, monkeypatch, code, folder, said):
    """What the system says when an input cannot be opened, as one line naming the input: a
    file the user may not read (as root, the suite cannot make one), a folder (Windows refuses to
    open one, with EACCES), a failing disk, a loop of links. Before, each input worded these
    itself, and the spec showed Python's "[Errno 5] …"."""
    import errno
    import os

    from generator.errors import ExamgenError
    from generator.input_file import read_input

    path = tmp_path / ("spec" if folder else "spec.toml")
    if folder:
        path.mkdir()
    else:
        path.write_text('id = "x"\n', encoding="utf-8")
    number = getattr(errno, code)
    error = OSError(number, os.strerror(number))  # PermissionError for EACCES, as the system's

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(ExamgenError) as raised:
        read_input(path, "spec")
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"{path}: ") and said in message, message


def test_a_shipped_spec_is_found_by_the_name_examgen_list_shows(tmp_path, monkeypatch):
    """``--spec lecture-14-practice`` said "spec file not found; `examgen list` shows the
    shipped specs", and that list shows it by that very name. A shipped spec's name (with or
    without .toml) builds what its path builds; a file of that name where the user is wins."""
    from generator.spec import SPECS_DIR

    monkeypatch.chdir(tmp_path)
    by_path = tmp_path / "by-path"
    shipped = SPECS_DIR / "lecture-14-practice.toml"
    args = ["build", "--seed", "3", "--count", "2", "--no-pdf", "-q"]
    assert run(*args, "--spec", str(shipped), "--out", str(by_path)).exit_code == 0
    (folder,) = by_path.iterdir()
    for name in ("lecture-14-practice", "lecture-14-practice.toml"):
        out = tmp_path / name.replace(".", "-")
        result = run(*args, "--spec", name, "--out", str(out))
        assert result.exit_code == 0, result.output
        for file in ("key.json", "manifest.json"):
            assert (out / folder.name / file).read_bytes() == (folder / file).read_bytes()
    (tmp_path / "lecture-14-practice.toml").write_text(
        'id = "mine"\ntitle = "Mine"\n[[questions]]\nfamily = "sgd-direction"\n', encoding="utf-8"
    )
    assert run(*args, "--spec", "lecture-14-practice.toml", "--out", "local").exit_code == 0
    assert [p.name for p in (tmp_path / "local").iterdir()] == ["mine-seed3"]
    result = run(*args, "--spec", "lecture-14-exam", "--out", "none")
    assert result.exit_code == 1 and "lecture-14-exam: spec file not found" in result.output
