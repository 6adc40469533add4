"""manifest.json: everything needed to audit an exam folder later, or to reproduce it exactly.

It records the inputs (exam id, seed, a SHA-256 of the spec text, of the templates folder, of
examgen's own package folder: code and data such as statement banks, and of each course family
folder the exam uses), the versions of the libraries
that compute and render (examgen, numpy, sympy, jinja2, Python), and every student's question
fingerprints and answers. ``examgen diff`` compares two of these folders to say who needs
regrading after an erratum.

The file is byte-deterministic for the same inputs: no timestamp, no absolute path, no host name
(the file's own mtime says when it was written; a timestamp inside would make two identical builds
differ, against the seeding contract's promise of byte-identical output).
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import __version__
from generator.render import templates_dir

if TYPE_CHECKING:
    from generator.build import StudentExam
    from generator.spec import Spec

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
#: Libraries whose version can change an answer (numpy, sympy) or a rendered file (jinja2).
LIBRARIES = ("numpy", "sympy", "jinja2")
#: And, in a build with PDFs, the library that reads the typeset parts (with TeX Live's pdflatex).
TYPESETTING_LIBRARIES = ("pikepdf",)
CODE_DIR = Path(__file__).resolve().parent


def library_versions(typeset: bool = False) -> dict[str, str]:
    """The versions that decide a build's files; with ``typeset`` (a build with PDFs) also
    pdflatex's version line (TeX Live's release) and pikepdf's (which reads the parts the PDFs
    are cut from): the same sources typeset by another TeX Live can give other PDF bytes."""
    from importlib import metadata  # 0.015 s to import: when the manifest is written, not at start

    versions = {"examgen": __version__}
    for name in (*LIBRARIES, *(TYPESETTING_LIBRARIES if typeset else ())):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["python"] = platform.python_version()
    if typeset:
        from generator.pdf import tex_version

        versions["pdflatex"] = tex_version()
    return versions


def _is_content(relative: Path) -> bool:
    """Editor backups, caches and hidden files are not part of what a build reads."""
    return not any(part.startswith(".") or part == "__pycache__" for part in relative.parts)


def tree_digest(root: Path) -> str:
    """SHA-256 over every file under ``root``: sorted POSIX relative paths, each with its length
    and bytes, so renaming, moving or editing any file changes the digest, on any platform."""
    digest = hashlib.sha256()
    files = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and _is_content(relative):
            files.append((relative.as_posix(), path))
    for name, path in sorted(files):
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


@cache
def shipped_digests() -> tuple[str, str]:
    """The digests of examgen's templates and code (``tree_digest``): read once per process,
    for the manifest and for every student's printed digest (``generator.build``)."""
    return tree_digest(templates_dir()), tree_digest(CODE_DIR)


def course_family_digests(folders: Mapping[str, Path]) -> dict[str, str]:
    """A SHA-256 of each course family's folder the exams use (``folders``: family ID → folder;
    its module, template and bank change the build as examgen's own code does), as
    ``"family:<id>"``: never a path, which differs between machines, so ``examgen diff`` says
    ``family:<id> changed``. Built-in families are part of ``code``."""
    return {
        f"family:{family_id}": tree_digest(folder)
        for family_id, folder in sorted(folders.items())
        if not folder.resolve().is_relative_to(CODE_DIR)
    }


def family_folders(exam: StudentExam) -> dict[str, Path]:
    """The folder of each family in ``exam`` (for ``course_family_digests``)."""
    return {q.variant.family.ID: q.variant.family.FOLDER for q in exam.questions}


def manifest_head(
    spec: Spec, seed: int, folders: Mapping[str, Path], typeset: bool = False
) -> dict[str, Any]:
    """Everything in manifest.json but the students (the families' ``folders`` are those used;
    ``typeset``: the build makes PDFs)."""
    templates, code = shipped_digests()
    digests = {"spec": spec.digest, "templates": templates, "code": code}
    digests |= course_family_digests(folders)
    return {
        "manifest": MANIFEST_VERSION,
        "exam": spec.id,
        "seed": seed,
        "versions": library_versions(typeset),
        "sha256": digests,
    }


def manifest_student(
    student_id: str, questions: Iterable[tuple[int, str, str, str]]
) -> dict[str, Any]:
    """One student's entry: each question's printed number, family, fingerprint and answer
    (as key.csv's cell)."""
    return {
        "id": student_id,
        "questions": [
            {"number": number, "family": family, "fingerprint": fingerprint, "answer": answer}
            for number, family, fingerprint, answer in questions
        ],
    }
