"""Practice pages: ``examgen site`` writes a static site of the course's problems by tag.

Students practise on the same family templates as the quiz, with a fresh variant whenever they
like: each problem carries K pre-built variants, an answer box checked exactly as ``examgen grade``
would (answers.js ports ``generator.responses``), the named mistake a wrong answer matches, and
the worked solution. The site is plain files: it works from ``file://`` and from any static host,
and nothing is fetched from the network when a page is viewed (math is MathML made at build time).

Same seed, same selection, same K: byte-identical files. The folder is written beside its target
and moved into place when complete, like a build.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generator.errors import ExamgenError
from generator.families import registry
from generator.families.base import Family
from generator.files import WriterRecord, staged_directory
from generator.responses import DecimalRule
from generator.site.pages import (
    answer_hint,
    intro_brings,
    problem_view,
    render_page,
    slug,
    tag_file,
    tag_order,
    unique,
)
from generator.site.problems import (
    DEFAULT_VARIANTS,
    Problem,
    asked_as,
    build_problems,
    choices_from_spec,
    families_for_tags,
    seen_on_site,
)
from generator.spec import Spec

ASSETS = Path(__file__).resolve().parent / "assets"
ASSET_FILES = ("answers.js", "practice.js", "practice.css")
MARKER = "examgen-site.json"
INDEX, TAG_FOLDER, ASSET_FOLDER = "index.html", "tags", "assets"
#: The names a site has at its top: anything else there (``.git``, ``CNAME`` for GitHub Pages)
#: is the instructor's and stays when the site is written again.
SITE_ENTRIES = frozenset({MARKER, INDEX, TAG_FOLDER, ASSET_FOLDER})


def _written_by_site(summary: Any) -> set[str]:
    """Every path a site wrote, from its examgen-site.json: a page or stylesheet the instructor
    added to tags/ or assets/ is not one, and a rebuild would delete it."""
    return (
        set(SITE_ENTRIES)
        | {f"{ASSET_FOLDER}/{name}" for name in ASSET_FILES}
        | {str(path) for path in summary["pages"].values()}
    )


SITE_RECORD = WriterRecord(MARKER, _written_by_site)

__all__ = [
    "DEFAULT_VARIANTS",
    "INDEX",
    "SITE_ENTRIES",
    "SiteSummary",
    "build_site",
    "site_for_spec",
    "site_for_tags",
]


@dataclass(frozen=True)
class SiteSummary:
    folder: Path
    pages: dict[str, int]  # tag → number of problems on its page
    variants: dict[str, int]  # family → variants its problem carries
    problems: tuple[Problem, ...] = field(default=(), repr=False)  # as the pages show them
    #: For a spec's site: a one-line note naming the questions students will find on it word for
    #: word (``seen_on_site``); "" when none are.
    note: str = ""


def site_for_tags(
    tags: Sequence[str],
    seed: int,
    variants: int,
    out: Path,
    title: str = "Practice problems",
    extra_dirs: Sequence[Path] = (),
) -> SiteSummary:
    """A page for each of ``tags`` (every tag in use when none is given), over the registered
    families and those of ``extra_dirs`` (course family folders)."""
    families = families_for_tags(tags, extra_dirs) if tags else list(registry(extra_dirs).values())
    chosen: list[tuple[Family, Mapping[str, Any]]] = [(family, {}) for family in families]
    return build_site(chosen, tags, seed, variants, out, DecimalRule(), title)


def site_for_spec(spec: Spec, seed: int, variants: int, out: Path) -> SiteSummary:
    """A page for each tag of the spec's families, with its pinned params and grading rule; the
    summary's note names the questions of the spec the site shows word for word."""
    summary = build_site(choices_from_spec(spec), (), seed, variants, out, spec.grading, spec.title)
    return replace(summary, note=seen_on_site(spec, summary.problems))


def build_site(
    chosen: Iterable[tuple[Family, Mapping[str, Any]]],
    tags: Sequence[str],
    seed: int,
    variants: int,
    out: Path,
    rule: DecimalRule,
    title: str,
) -> SiteSummary:
    out = Path(out)
    _check_target(out)
    problems = build_problems(chosen, seed, variants)
    # A tag given twice is one page (on main: two index entries, both to a page named sgd-2.html),
    # and tags given in any order are one site: the same file for each page, whatever the order.
    tags = tag_order(tags) or tag_order(t for p in problems for t in p.tags)
    files: dict[str, str] = {}
    for tag in tags:
        files[tag] = tag_file(tag, list(files.values()))
    views = [problem_view(p, a) for p, a in zip(problems, _anchors(problems), strict=True)]
    rule_json = json.dumps(rule.to_json())
    hints = {kind: answer_hint(kind, rule) for kind in ("vector", "number", "bool", "choice")}
    pages: dict[str, int] = {}
    with staged_directory(out, owned=SITE_ENTRIES, record=SITE_RECORD) as folder:
        folder.chmod(0o755)  # a staging folder is private; a site is for a web server to read
        (folder / TAG_FOLDER).mkdir()
        (folder / ASSET_FOLDER).mkdir()
        for name in ASSET_FILES:
            shutil.copyfile(ASSETS / name, folder / ASSET_FOLDER / name)
        index_pages = []
        for tag in tags:
            on_page = [v for p, v in zip(problems, views, strict=True) if tag in p.tags]
            pages[tag] = len(on_page)
            index_pages.append({"tag": tag, "file": files[tag], "count": len(on_page)})
            _write(
                folder / TAG_FOLDER / files[tag],
                render_page(
                    "tag.j2",
                    root="../",
                    site_title=title,
                    page_title=f"Problems tagged with {tag}",
                    heading=f"Problems tagged with “{tag}”",
                    problems=on_page,
                    another=intro_brings(on_page),
                    tag_files=files,
                    rule_json=rule_json,
                    hints=hints,
                ),
            )
        _write(
            folder / INDEX,
            render_page(
                "index.j2",
                root="",
                site_title=title,
                page_title=title,
                heading=title,
                pages=index_pages,
                variants=variants,
            ),
        )
        summary = {
            "generator": "examgen site",
            "seed": seed,
            "variants": variants,
            "grading": rule.to_json(),
            "pages": {tag: f"tags/{files[tag]}" for tag in tags},
            "problems": [_problem_record(p) for p in problems],
        }
        _write(folder / MARKER, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    counts = {p.family.ID: len(p.variants) for p in problems}
    return SiteSummary(out, pages, counts, tuple(problems))


def _problem_record(problem: Problem) -> dict[str, Any]:
    """A problem in examgen-site.json: its family, the form and difficulty band a spec asked it
    in (only when not the family's own form and any work, so such a record reads as before),
    and its variants' params."""
    return {
        "family": problem.family.ID,
        **asked_as(problem.family),
        "variants": [v.key_params() for v in problem.variants],
    }


def _anchors(problems: list[Problem]) -> list[str]:
    """Each problem's HTML ``id``: its family's ID (``-2``… for a family asked twice), as a slug."""
    anchors: list[str] = []
    for problem in problems:
        anchors.append(unique(slug(problem.family.ID, "problem"), anchors))
    return anchors


def _check_target(out: Path) -> None:
    """Replace only an earlier site: never a folder holding anything else."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise ExamgenError(
            f"{out}: exists and is not a site examgen wrote (no {MARKER}); "
            "give --out a new or empty folder"
        )


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")
