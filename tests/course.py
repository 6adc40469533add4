"""A course folder outside examgen, built from what an author is given: the guide's example family
(copied out of docs/authoring.md's code blocks, so the guide cannot rot) and one `examgen new`
scaffold of each answer kind. Tests that run over "whatever the registry finds" include it, so
course families keep the same contract as the built-in ones.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from functools import cache
from pathlib import Path

from generator.scaffold import ANSWERS, new_family

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "authoring.md"
_BLOCK = re.compile(r"^```(\w+) file=(\S+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def guide_files() -> dict[str, str]:
    """The guide's files by path (relative to the course folder): code blocks marked ``file=``,
    those naming one file joined in order (the guide writes family.py a part at a time)."""
    files: dict[str, list[str]] = {}
    for _lang, name, body in _BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        files.setdefault(name, []).append(body)
    return {name: "\n".join(parts) for name, parts in files.items()}


def write_guide_course(folder: Path) -> Path:
    """The guide's course (quiz.toml and families/) in ``folder``."""
    for name, text in guide_files().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@cache
def course_families_dir() -> Path:
    """One folder of course families for the whole test run: the guide's family and a scaffold
    of every answer kind (removed when the run ends)."""
    root = Path(tempfile.mkdtemp(prefix="examgen-course-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    families = write_guide_course(root) / "families"
    for answer in ANSWERS:
        new_family(f"scaffold-{answer}", families, answer)
    return families
