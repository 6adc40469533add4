"""LMS export: the same variants as a build, as Moodle XML or a Canvas QTI 1.2 zip.

``examgen export --format moodle|qti --seed S [--spec FILE] [--variants N] [--out DIR]`` writes
``DIR/<exam-id>-seed<S>-moodle.xml`` or ``DIR/<exam-id>-seed<S>-qti.zip`` beside the build's exam
folder (not inside it: a rebuild replaces that folder whole); ``--out quiz.xml`` (``.zip``) names
the file itself. Files are written atomically and are byte-identical for the same seed, spec and
N; a file ``--out`` names is replaced only when it is an earlier export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from generator.errors import ExamgenError
from generator.export.moodle import is_moodle_export, moodle_xml, partial_notes
from generator.export.pools import Pool, build_pools
from generator.export.qti import is_qti_export, qti_zip
from generator.files import output_errors, refuse_replacing_unowned, write_atomic
from generator.spec import Spec

LmsFormat = Literal["moodle", "qti"]
SUFFIXES: dict[LmsFormat, str] = {"moodle": "moodle.xml", "qti": "qti.zip"}
#: How each format's file name ends (``.xml``, ``.zip``): an ``--out`` ending so names the file.
FILE_SUFFIXES = {fmt: Path(name).suffix for fmt, name in SUFFIXES.items()}
NAMES: dict[LmsFormat, str] = {"moodle": "Moodle XML", "qti": "Canvas QTI"}


def export_path(spec: Spec, seed: int, fmt: LmsFormat, out: Path) -> Path:
    """The file ``out`` names, when it ends as the format's file does and is no folder (an
    instructor who types ``--out quiz.xml`` means that file: it used to become a folder of that
    name); else ``<exam-id>-seed<S>-moodle.xml`` (``-qti.zip``) in the folder ``out``. A name
    ending as the other format's file is refused: a file of the wrong kind."""
    out = Path(out)
    if not out.is_dir():
        suffix = out.suffix.lower()
        if suffix == FILE_SUFFIXES[fmt]:
            return out
        for other, other_suffix in FILE_SUFFIXES.items():
            if suffix == other_suffix:
                raise ExamgenError(
                    f"--out {out}: a {NAMES[fmt]} export is a {FILE_SUFFIXES[fmt]} file, and "
                    f"{suffix} is {NAMES[other]}'s; name it "
                    f"{out.with_suffix(FILE_SUFFIXES[fmt]).name}, or give a folder"
                )
    return out / f"{spec.id}-seed{seed}-{SUFFIXES[fmt]}"


def written_by_export(path: Path, fmt: LmsFormat) -> bool:
    """Whether ``path`` is an earlier export in ``fmt`` (of any spec or seed): the only file an
    export replaces at a name ``--out`` gives. Anything else there is the user's (a quiz exported
    from Moodle, notes.xml). A folder's export file has examgen's own name, which an earlier
    examgen may have written in another shape: replaced as before."""
    return is_moodle_export(path) if fmt == "moodle" else is_qti_export(path)


def export_bytes(spec: Spec, seed: int, fmt: LmsFormat, pools: list[Pool]) -> bytes:
    return moodle_xml(spec, seed, pools) if fmt == "moodle" else qti_zip(spec, seed, pools)


def partial_credit_notes(spec: Spec, fmt: LmsFormat) -> list[str]:
    """What of the spec's ``[grading.partial]`` the LMS cannot give as ``examgen grade`` does."""
    if not spec.partial:
        return []
    if fmt == "moodle":
        return partial_notes(spec.partial)
    return [
        "grading.partial: Canvas gives an answer full marks or none, so a response showing a "
        "named mistake earns nothing there (examgen grade gives the spec's credit); export "
        "--format moodle carries the credits"
    ]


def export(
    spec: Spec, seed: int, fmt: LmsFormat, variants: int, out: Path
) -> tuple[Path, list[Pool]]:
    """Generate ``variants`` variants per slot and write the LMS file; return it and the pools."""
    target = export_path(spec, seed, fmt, out)
    if target.is_dir():  # said before the variants are made, which may take minutes
        raise ExamgenError(f"--out {out}: {target} is a folder; move it or choose another --out")
    if target == Path(out):  # a name the user chose: whatever has it may be theirs
        refuse_replacing_unowned(target, lambda path: written_by_export(path, fmt), "--out", out)
    pools = build_pools(spec, seed, variants)
    data = export_bytes(spec, seed, fmt, pools)
    with output_errors(Path(out)):
        write_atomic(target, data)
    return target, pools
