"""LMS export: the same variants as a build, as Moodle XML or a Canvas QTI 1.2 zip.

``examgen export --format moodle|qti --seed S [--spec FILE] [--variants N] [--out DIR]`` writes
``DIR/<exam-id>-seed<S>-moodle.xml`` or ``DIR/<exam-id>-seed<S>-qti.zip`` beside the build's exam
folder (not inside it: a rebuild replaces that folder whole). Files are written atomically and
are byte-identical for the same seed, spec and N.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from generator.errors import ExamgenError
from generator.export.moodle import moodle_xml, partial_notes
from generator.export.pools import Pool, build_pools
from generator.export.qti import qti_zip
from generator.files import output_errors, write_atomic
from generator.spec import Spec

LmsFormat = Literal["moodle", "qti"]
SUFFIXES: dict[LmsFormat, str] = {"moodle": "moodle.xml", "qti": "qti.zip"}


def export_path(spec: Spec, seed: int, fmt: LmsFormat, out: Path) -> Path:
    return Path(out) / f"{spec.id}-seed{seed}-{SUFFIXES[fmt]}"


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
    pools = build_pools(spec, seed, variants)
    data = export_bytes(spec, seed, fmt, pools)
    with output_errors(Path(out)):
        write_atomic(target, data)
    return target, pools
