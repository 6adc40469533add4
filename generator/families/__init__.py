"""The family registry: every family folder examgen ships, plus those of a course.

A family is a folder named after its ID, holding ``family.py`` (one ``Family`` subclass), its
``template.j2`` and, for statement-bank families, ``bank.toml``: the built-in families live in
this package in exactly the shape an instructor's own do (``<dir>/<family-id>/``), so each is an
example to copy. Course folders are found through a spec's ``families_dir`` (relative to the spec)
and the ``EXAMGEN_FAMILIES`` path list; two families with one ID are an error naming both files.
Discovery means a new family is one new folder; nothing keeps a list of families.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import os
import re
import sys
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from functools import cache
from pathlib import Path

from generator.bank import prose_problem
from generator.characters import SLUG, unprintable
from generator.errors import ExamgenError, innermost_frame
from generator.families.base import Budget, Family, Mistake, band_too_wide, wide_band_fix
from generator.families.params import is_whole

BUILTIN_DIR = Path(__file__).resolve().parent
MODULE_FILE = "family.py"
TEMPLATE_FILE = "template.j2"
BANK_FILE = "bank.toml"
ENV_VARIABLE = "EXAMGEN_FAMILIES"
#: The package name course family modules are loaded under (it exists nowhere on disk).
COURSE_PACKAGE = "examgen_course_families"


def _module_name(folder: Path) -> str:
    """A stable, importable name per folder; built-ins keep one under ``generator.families``."""
    if folder.parent == BUILTIN_DIR:
        return f"{__name__}.{folder.name.replace('-', '_')}"
    digest = hashlib.sha256(str(folder).encode("utf-8")).hexdigest()[:12]
    return f"{COURSE_PACKAGE}.{folder.name.replace('-', '_')}_{digest}"


def _course_package() -> types.ModuleType:
    """``COURSE_PACKAGE`` as an empty package: pickle finds a class by importing its module's
    name, the package's first, and worker processes (``examgen check``) send back values of
    classes a course family defines."""
    package = types.ModuleType(COURSE_PACKAGE)
    package.__path__ = []
    return package


@cache
def load_family(folder: Path) -> Family:
    """The one family ``folder/family.py`` defines, its ID equal to the folder's name."""
    path = folder / MODULE_FILE
    name = _module_name(folder)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ExamgenError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(COURSE_PACKAGE, _course_package())
    sys.modules[name] = module  # dataclasses resolve their annotations through sys.modules
    try:
        spec.loader.exec_module(module)
    except ExamgenError:
        raise
    except (Exception, SystemExit) as err:  # an author's module failed: where, no traceback
        sys.modules.pop(name, None)
        line = _error_line(err, path)
        if isinstance(err, SystemExit):  # else examgen would end without a word
            raise ExamgenError(
                f"{path}{line}: the module exits when imported (sys.exit, exit or quit); a "
                "family module only defines its family"
            ) from None
        if isinstance(err, ImportError) and (err.name or "").startswith(COURSE_PACKAGE):
            # A relative import: the error named examgen's made-up package, not the mistake.
            raise ExamgenError(
                f"{path}{line}: a relative import (from .x import y) does not work in a family "
                "module, which examgen loads on its own; keep the family's code in family.py, "
                "or import shared code from an installed module"
            ) from None
        raise ExamgenError(
            f"{path}{line}: {type(err).__name__}: {err}; fix the family module"
        ) from None
    found = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Family)
        and obj.__module__ == name
        and getattr(obj, "ID", None)
    ]
    if len(found) != 1:
        raise ExamgenError(
            f"{path}: defines {len(found)} Family subclasses with an ID; a family folder holds "
            "exactly one"
        )
    family_type = found[0]
    if folder.name != family_type.ID:
        raise ExamgenError(
            f"{path}: ID = {family_type.ID!r} but the folder is named {folder.name!r}; "
            "name the folder after the family's ID"
        )
    _check_declarations(family_type, path)
    family = family_type()
    family.FOLDER = folder
    family.COURSE_MODULE = None if folder.parent == BUILTIN_DIR else path
    problem = family.declaration_problem()
    if problem:
        raise ExamgenError(problem)
    template = folder / TEMPLATE_FILE
    if not template.is_file():
        raise ExamgenError(f"{folder}: no {TEMPLATE_FILE}; a family folder holds its template")
    return family


def _check_declarations(family_type: type[Family], path: Path) -> None:
    """What every family declares, checked when it loads so that a missing piece is one line
    naming the module rather than an AttributeError deep inside a build."""
    name = family_type.__name__
    for attribute, example in (("TITLE", '"One step of …"'), ("TAGS", '("calculus",)')):
        if not getattr(family_type, attribute, None):
            raise ExamgenError(
                f"{path}: {name} has no {attribute}; add e.g. {attribute} = {example}"
            )
    _check_texts(family_type, path)
    _check_attributes(family_type, path)
    _check_mistake_names(family_type, path)
    missing = sorted(getattr(family_type, "__abstractmethods__", ()))
    if missing:
        raise ExamgenError(f"{path}: {name} does not define {', '.join(missing)}; write it")
    own_parsing = family_type.parse_params is not Family.parse_params
    if not family_type.PARAMS and not (own_parsing and family_type.draw is not Family.draw):
        raise ExamgenError(
            f"{path}: {name} declares no PARAMS; declare its parameters (see "
            "generator.families.params) or write its own Params, parse_params and draw"
        )


def _check_texts(family_type: type[Family], path: Path) -> None:
    """The ID, title, tags and mistake explanations every page, export and listing prints: the
    shapes and characters they can print, said when the family loads (a ``("calculus")`` missing
    its comma made the tags c, a, l, …; a non-string was a TypeError in list, show and site)."""
    name = family_type.__name__
    if not is_family_id(family_type.ID):
        raise ExamgenError(
            f"{path}: {name}.ID = {family_type.ID!r} is not a family ID; use lowercase letters, "
            "digits and single hyphens (e.g. momentum-step), for the folder too"
        )
    tags = family_type.TAGS
    if isinstance(tags, str):
        raise ExamgenError(
            f"{path}: {name}.TAGS = {tags!r} is one string, which Python reads as its letters; "
            f"write a tuple: TAGS = ({tags!r},)"
        )
    if not isinstance(tags, tuple | list):
        raise ExamgenError(f'{path}: {name}.TAGS = {tags!r}; write a tuple: TAGS = ("calculus",)')
    texts = [("TITLE", family_type.TITLE)]
    texts += [(f"TAGS[{i}]", tag) for i, tag in enumerate(tags)]
    for where, text in texts:
        if not isinstance(text, str) or not text.strip():
            raise ExamgenError(f"{path}: {name}.{where} = {text!r}; write a non-empty string")
        char = unprintable(text)
        if char is not None:
            raise ExamgenError(
                f"{path}: {name}.{where} holds U+{ord(char):04X}, a control character no "
                "output can hold; remove it"
            )
    for declared in family_type.mistakes():
        problem = prose_problem(declared.explanation)
        if problem is not None:
            raise ExamgenError(f"{path}: mistake {declared.name!r}: its explanation {problem}")


def _check_attributes(family_type: type[Family], path: Path) -> None:
    """The class attributes examgen reads, in the shapes it reads them: a ``BUDGET = (16, 100)``
    was an AttributeError traceback in every command, a ``DEGENERATE`` missing its outer tuple
    was blamed on ``solve``, ``DISTRACTORS = "3"`` a TypeError."""
    name = family_type.__name__

    def refuse(attribute: str, value: object, expected: str) -> ExamgenError:
        return ExamgenError(f"{path}: {name}.{attribute} = {value!r}; {expected}")

    budget = family_type.BUDGET
    if budget is not None:
        example = "write e.g. BUDGET = Budget(max_denominator=12, max_magnitude=100)"
        if not isinstance(budget, Budget):
            raise refuse("BUDGET", budget, example + " (None: no numbers to bound)")
        for f in fields(budget):
            least = 0 if f.name == "max_magnitude" else 1  # 0: every value is zero
            if not is_whole(getattr(budget, f.name), least):
                expected = f"{f.name} is a whole number from {least} up; {example}"
                raise refuse("BUDGET", budget, expected)
    if not is_whole(family_type.MAX_TRIES, 1):
        raise refuse("MAX_TRIES", family_type.MAX_TRIES, "write a whole number from 1 up")
    rules = family_type.DEGENERATE
    rule = '("x0 is zero", lambda params, solution: params.x0 == 0)'
    if not isinstance(rules, tuple | list):
        raise refuse("DEGENERATE", rules, f"write a tuple of rules: DEGENERATE = ({rule},)")
    if len(rules) == 2 and isinstance(rules[0], str) and callable(rules[1]):
        raise ExamgenError(
            f"{path}: {name}.DEGENERATE = ({rules[0]!r}, …) is one rule without the outer tuple; "
            f"write DEGENERATE = (({rules[0]!r}, …),)"
        )
    for i, entry in enumerate(rules):
        shaped = isinstance(entry, tuple | list) and len(entry) == 2
        if not shaped or not isinstance(entry[0], str) or not callable(entry[1]):
            raise refuse(f"DEGENERATE[{i}]", entry, f"each rule is (reason, predicate): {rule}")
    distractors = getattr(family_type, "DISTRACTORS", None)
    if distractors is not None and not (is_whole(distractors, 1) and distractors <= 25):
        raise refuse("DISTRACTORS", distractors, "write a whole number from 1 to 25, e.g. 3")
    bands = family_type.WORK_BANDS
    if not isinstance(bands, Mapping):
        example = 'write e.g. WORK_BANDS = {"easy": (2, 3), "hard": (4, 5)}'
        raise refuse("WORK_BANDS", bands, example)
    for band, limits in bands.items():
        shaped = isinstance(limits, tuple | list) and len(limits) == 2
        if not isinstance(band, str) or not shaped or not all(is_whole(v, 0) for v in limits) or (
            limits[0] > limits[1]
        ):
            expected = "each band is (least, most), whole numbers with least ≤ most"
            raise refuse(f"WORK_BANDS[{band!r}]", limits, expected)
        if band_too_wide(*limits):
            raise refuse(f"WORK_BANDS[{band!r}]", limits, wide_band_fix(*limits))


def _check_mistake_names(family_type: type[Family], path: Path) -> None:
    """Two ``@mistake`` declarations of one name in one class: the second silently replaced the
    first, so the key and grading named the wrong mistake. (A subclass may redeclare a name
    to change it; that is one per class.)"""
    for klass in family_type.__mro__:
        names = [v.name for v in vars(klass).values() if isinstance(v, Mistake)]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ExamgenError(
                f"{path}: {klass.__name__} declares the mistake {twice[0]!r} twice; give each "
                "@mistake its own name"
            )


def _error_line(err: BaseException, path: Path) -> str:
    """``:LINE`` of the innermost frame of ``err`` in ``path`` (a syntax error's own line)."""
    if isinstance(err, SyntaxError) and err.lineno:
        return f":{err.lineno}"
    frame = innermost_frame(err, lambda filename: Path(filename) == path)
    return f":{frame[1]}" if frame else ""


def family_folders(directory: Path) -> list[Path]:
    """The family folders directly inside ``directory``, sorted: those holding a family.py."""
    if not directory.is_dir():
        raise ExamgenError(
            f"{directory}: families folder not found; create it or fix --families, "
            f"families_dir or {ENV_VARIABLE}"
        )
    if (directory / MODULE_FILE).is_file():
        # Its own family would be looked for one level down and be "unknown".
        raise ExamgenError(
            f"{directory}: is a family's folder (it holds {MODULE_FILE}), not a folder of "
            f"families; give the folder that holds it: {directory.parent}"
        )
    return sorted(
        p for p in directory.iterdir() if p.is_dir() and (p / MODULE_FILE).is_file()
    )


@cache
def families_in(directory: Path) -> dict[str, Family]:
    return {folder.name: load_family(folder) for folder in family_folders(directory)}


def env_dirs() -> tuple[Path, ...]:
    """``EXAMGEN_FAMILIES``: course family folders, separated like PATH."""
    raw = os.environ.get(ENV_VARIABLE, "")
    return tuple(Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip())


def registry(extra_dirs: Iterable[Path] = ()) -> dict[str, Family]:
    """Built-in families, then those in ``EXAMGEN_FAMILIES``, then ``extra_dirs`` (a spec's)."""
    return _registry((*env_dirs(), *(Path(d).resolve() for d in extra_dirs)))


@cache
def _registry(course_dirs: tuple[Path, ...]) -> dict[str, Family]:
    found: dict[str, Family] = {}
    for directory in (BUILTIN_DIR, *dict.fromkeys(course_dirs)):
        for family_id, family in families_in(directory).items():
            if family_id in found:
                first = found[family_id].FOLDER / MODULE_FILE
                raise ExamgenError(
                    f"two families share the ID {family_id!r}: {first} and "
                    f"{family.FOLDER / MODULE_FILE}; rename one (folder and ID)"
                )
            found[family_id] = family
    return dict(sorted(found.items()))


def get_family(family_id: str, extra_dirs: Sequence[Path] = ()) -> Family:
    families = registry(extra_dirs)
    if family_id not in families:
        directories = (*env_dirs(), *(Path(d).resolve() for d in extra_dirs))
        for directory in directories:
            folder = directory / family_id
            if folder.is_dir():  # not a family: family_folders passed it over
                raise ExamgenError(
                    f"{folder}: no {MODULE_FILE}, so no family {family_id!r}; {_fix(folder)}"
                )
        deep = _one_folder_too_deep(directories, family_id)
        if deep is not None:
            raise ExamgenError(
                f"unknown family {family_id!r}: {deep} is one folder too deep: give --families "
                f"{deep.parent} (or families_dir)"
            )
        raise ExamgenError(
            f"unknown family {family_id!r}; known families: {', '.join(families)} "
            "(see `examgen list`); a course family's folder is given by a spec's "
            "families_dir, EXAMGEN_FAMILIES, or --families DIR (check, preview, show, list, "
            "grade, site)"
        )
    return families[family_id]


def _one_folder_too_deep(directories: Iterable[Path], family_id: str) -> Path | None:
    """A family folder one level below a folder of families (``families/week-3/slope``, families
    grouped by week), named ``family_id`` or declaring it as its ID: ``family_folders`` looks
    one level down only, so the family was skipped without a word and said to be unknown."""
    declares = re.compile(rf"^\s*ID\s*=\s*[\"']{re.escape(family_id)}[\"']", re.MULTILINE)
    for directory in directories:
        for module in sorted(directory.glob(f"*/*/{MODULE_FILE}")):
            if module.parent.name == family_id:
                return module.parent
            try:
                if declares.search(module.read_text(encoding="utf-8", errors="replace")):
                    return module.parent
            except OSError:
                continue
    return None


def _fix(folder: Path) -> str:
    """How to make ``folder`` a family: rename a misspelt ``family.py``, or write one."""
    names = sorted(p.name for p in folder.glob("*.py"))
    close = difflib.get_close_matches(MODULE_FILE, names, n=1, cutoff=0.75)
    if close:
        return f"rename {close[0]} to {MODULE_FILE}"
    return (
        f"a family's folder holds its {MODULE_FILE} (docs/authoring.md; `examgen new` writes one)"
    )


def clear_caches() -> None:
    """Forget loaded folders: a family folder was just written (``examgen new``)."""
    families_in.cache_clear()
    _registry.cache_clear()


def is_family_id(text: str) -> bool:
    """Whether ``text`` is a usable family ID (a lowercase-hyphenated slug, a folder name)."""
    return bool(SLUG.match(text))
