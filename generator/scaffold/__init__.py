"""``examgen new``: a new family folder that passes ``examgen check`` as written.

One working example per answer kind lives beside this module (``number/``, ``vector/``,
``bool/``, ``choice/``): ``family.py.txt`` (a ``.txt`` so that it is not imported or linted as
part of examgen), ``template.j2`` and, for the statement-bank shapes, ``bank.toml``. Their comments
teach the family contract; the scaffold only fills in the ID, the class name and a title.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from generator.defaults import ANSWERS
from generator.errors import ExamgenError
from generator.families import MODULE_FILE, clear_caches, is_family_id, registry
from generator.files import honour_umask, is_device_name, output_errors

SCAFFOLDS_DIR = Path(__file__).resolve().parent
#: Like an exam ID's limit: well under the 255 bytes a file name may have.
MAX_FAMILY_ID = 100


def class_name(family_id: str) -> str:
    """``momentum-step`` → ``MomentumStep`` (a leading digit gets a ``Family`` prefix)."""
    name = "".join(part.capitalize() for part in family_id.split("-"))
    return name if name[0].isalpha() else f"Family{name}"


def title(family_id: str) -> str:
    return family_id.replace("-", " ").capitalize()


def new_family(family_id: str, directory: Path, answer: str = "number") -> Path:
    """Write ``directory/family_id/`` from the ``answer`` scaffold; refuse an ID that is not a
    slug, that a built-in or course family (``EXAMGEN_FAMILIES``) has, or whose folder exists."""
    if answer not in ANSWERS:
        raise ExamgenError(f"--answer must be one of {', '.join(ANSWERS)}, got {answer!r}")
    if not is_family_id(family_id):
        raise ExamgenError(
            f"{family_id!r} is not a family ID: use lowercase letters, digits and single "
            "hyphens, e.g. momentum-step"
        )
    if is_device_name(family_id):
        raise ExamgenError(
            f"{family_id!r} is a name Windows keeps for a device, so its folder could not be "
            "copied to a Windows machine; choose another family ID"
        )
    if len(family_id) > MAX_FAMILY_ID:
        raise ExamgenError(
            f"the family ID is too long ({len(family_id)} characters); at most {MAX_FAMILY_ID} "
            "(it names a folder and appears in every key)"
        )
    with output_errors(Path(directory), "--dir"):
        return _write_family(family_id, Path(directory).resolve(), answer)


def _write_family(family_id: str, directory: Path, answer: str) -> Path:
    folder = directory / family_id
    if folder.exists():
        raise ExamgenError(f"{folder} already exists; choose another family ID or --dir")
    taken = registry()
    if family_id in taken:
        raise ExamgenError(
            f"the family ID {family_id!r} is taken by {taken[family_id].FOLDER / MODULE_FILE}; "
            "choose another ID"
        )
    substitutions = {
        "__ID__": family_id,
        "__CLASS__": class_name(family_id),
        "__TITLE__": title(family_id),
    }
    directory.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed into place: never a half-written family folder.
    staging = Path(tempfile.mkdtemp(prefix=f".{family_id}-", dir=directory))
    try:
        honour_umask(staging, folder=True)  # mkdtemp makes 0700
        for source in sorted((SCAFFOLDS_DIR / answer).iterdir()):
            text = source.read_text(encoding="utf-8")
            for placeholder, value in substitutions.items():
                text = text.replace(placeholder, value)
            name = source.name.removesuffix(".txt")
            (staging / name).write_text(text, encoding="utf-8")
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    clear_caches()
    return folder
