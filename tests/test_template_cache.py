"""Compiled templates kept between runs (generator/template_cache.py): a second process compiles
nothing and writes the same files; anything that would change the compiled code (a template's
source, the module configuring Jinja, Jinja, Python, the filters) makes it compile anew; and a
cache that cannot be used is as if there were none."""

from __future__ import annotations

import filecmp
import json
import os
from pathlib import Path

import jinja2
import pytest
from jinja2.bccache import bc_magic

from generator import render
from generator.template_cache import CACHE_ENV, TemplateBytecode, cache_dir, code_salt
from tests.processes import python_output

#: A fresh process that lists the template files Jinja compiles while it runs the CLI with
#: ``args``.
COUNTING_RUN = """
import json, sys
import jinja2
compiled = []
original = jinja2.Environment.compile
def compile(self, source, name=None, filename=None, *args, **kwargs):
    compiled.append(filename or name)
    return original(self, source, name, filename, *args, **kwargs)
jinja2.Environment.compile = compile
from generator.cli import main
try:
    main(json.loads(sys.argv[1]), standalone_mode=False)
finally:
    print(json.dumps(compiled))
"""


def compiled_templates(args: list[str], cache: str) -> list[str]:
    code = COUNTING_RUN.replace("sys.argv[1]", repr(json.dumps(args)))
    lines = python_output(code, **{CACHE_ENV: cache}).decode().splitlines()
    return json.loads(lines[-1])


def same_tree(left: Path, right: Path) -> bool:
    """Every file under ``left`` is under ``right`` with the same bytes, and nothing else is."""
    names = {p.relative_to(left) for p in left.rglob("*")}
    if names != {p.relative_to(right) for p in right.rglob("*")}:
        return False
    files = [str(n) for n in names if (left / n).is_file()]
    _, mismatch, errors = filecmp.cmpfiles(left, right, files, shallow=False)
    return not mismatch and not errors


def build_args(out: Path) -> list[str]:
    return ["build", "--seed", "5", "--count", "3", "--no-pdf", "-q", "--out", str(out)]


def test_a_second_process_compiles_nothing_and_writes_the_same_files(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = compiled_templates(build_args(tmp_path / "a"), str(cache))
    second = compiled_templates(build_args(tmp_path / "b"), str(cache))
    uncached = compiled_templates(build_args(tmp_path / "c"), "")
    # Each template compiled once, then loaded from the cache (the environment loads its
    # macros twice); without a cache, compiled each time.
    names = {Path(f).relative_to(Path(render.__file__).parents[1]).as_posix() for f in first}
    assert {"templates/latex/exam.tex.j2", "templates/markdown/macros.j2"} <= names
    assert len(first) == len(set(first)) < len(uncached)
    assert second == []
    assert set(uncached) == set(first)  # EXAMGEN_CACHE_DIR="": no cache at all
    assert same_tree(tmp_path / "a", tmp_path / "b")
    assert same_tree(tmp_path / "a", tmp_path / "c")
    assert len(list(cache.glob("templates/*/*.jinja"))) == len(set(first))


def test_an_edited_template_compiles_again_and_renders_its_new_text(tmp_path: Path) -> None:
    """A course family's template is keyed by its path and checked against its source."""
    from tests.course import write_guide_course

    families = write_guide_course(tmp_path / "course") / "families"
    template = families / "momentum-step" / "template.j2"
    args = ["preview", "--families", str(families), "--seed", "3", "momentum-step"]
    cache = str(tmp_path / "cache")
    compiled_templates(args, cache)
    assert compiled_templates(args, cache) == []
    source = template.read_text(encoding="utf-8")
    template.write_text(source.replace("What is $x_1$?", "EDITED: what is $x_1$?"), "utf-8")
    assert compiled_templates(args, cache) == [str(template)]
    output = python_output(
        f"from generator.cli import main; main({args!r})", **{CACHE_ENV: cache}
    ).decode()
    assert "EDITED: what is $x_1$?" in output


@pytest.mark.parametrize("change", ["configuration", "filters", "tests", "jinja"])
def test_what_shapes_the_compiled_code_names_another_folder(
    change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code compiled under another configuration module, Jinja, filter or test set is never
    loaded: each has a folder of its own."""
    env = jinja2.Environment()
    before = code_salt(env, b"render.py, one version")
    configuration = b"render.py, one version"
    if change == "configuration":
        configuration = b"render.py, another version"
    elif change == "filters":
        env.filters["new_filter"] = str
    elif change == "tests":
        env.tests["new_test"] = bool
    else:
        monkeypatch.setattr(jinja2, "__version__", jinja2.__version__ + ".post1")
    assert code_salt(env, configuration) != before


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, "/somewhere/else")
    assert cache_dir() == Path("/somewhere/else")
    monkeypatch.setenv(CACHE_ENV, "")
    assert cache_dir() is None
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert cache_dir() == Path("/xdg/examgen")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # the XDG spec: ignored
    monkeypatch.setenv("HOME", "/home/someone")
    assert cache_dir() == Path("/home/someone/.cache/examgen")


@pytest.mark.parametrize("damage", ["folder is a file", "damaged files"])
def test_an_unusable_cache_is_as_if_there_were_none(tmp_path: Path, damage: str) -> None:
    """A cache folder that cannot be made (a file in its place: what a read-only or full disk
    also gives, and unlike permissions it holds for root too) or files that cannot be loaded:
    every template compiles, and the build writes what it writes without a cache."""
    cache = tmp_path / "cache"
    if damage == "folder is a file":
        cache.write_text("not a folder")
    else:
        compiled_templates(build_args(tmp_path / "warm"), str(cache))
        files = sorted(cache.glob("templates/*/*.jinja"))
        for k, file in enumerate(files):  # cut in its code or its checksum, empty, garbage
            data = file.read_bytes()
            damaged = [data[: len(data) // 2], data[: len(bc_magic) + 3], b"", os.urandom(64)]
            file.write_bytes(damaged[k % len(damaged)])
    compiled = compiled_templates(build_args(tmp_path / "out"), str(cache))
    reference = tmp_path / "reference"
    assert set(compiled) == set(compiled_templates(build_args(reference), ""))
    assert same_tree(tmp_path / "out", reference)


def test_each_environment_uses_the_cache_of_its_own_configuration() -> None:
    """The environments render.py builds are keyed by render.py itself."""
    for fmt in ("latex", "markdown", "html"):
        env = render.environment(fmt)
        cache = env.bytecode_cache
        assert isinstance(cache, TemplateBytecode)
        salt = code_salt(env, Path(render.__file__).read_bytes())
        assert cache.folder.name == salt
