"""pdflatex on a course family's first variants, for ``examgen check``.

``check`` renders every variant in every format, but only pdflatex knows whether the LaTeX
typesets: ``\\frac{1}`` or ``a \\over b \\over c`` render, convert to MathML and pass every other
rule, then stop ``make exam`` (and only where TeX is installed). So ``check`` typesets the exam and
the solutions of a course family's first ``SAMPLE`` variants, as a build lays them out, each
version in one pdflatex run started as soon as the family's sampling ends: it typesets on another
core while Python checks the next family, and ``failures`` waits for it at the end. examgen's own
families are typeset by its tests; a machine without TeX skips it, and the report says so.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.build import Question, StudentExam, render_exam_document
from generator.pdf import (
    Batch,
    batch_document,
    latex_command,
    latex_environment,
    locate,
    log_excerpt,
    student_typeset_last,
)
from generator.preview import preview_stream
from generator.roster import Student
from generator.spec import Slot, Spec
from generator.tex_balance import template_line

if TYPE_CHECKING:
    from collections.abc import Mapping

    from generator.families.base import Family, Variant

VERSIONS = (("exam", False), ("solutions", True))


@dataclass(frozen=True)
class TypesetFailure:
    reason: str
    seed: int | None


@dataclass
class _Run:
    version: str
    tex: Path
    seeds: list[int]
    batch: Batch  # where each variant's part starts
    process: subprocess.Popen[bytes]


class TypesetSample:
    """The exam and solutions of the first ``count`` variants of ``family`` that generate
    (seeds ``seeds``), typesetting in ``folder`` from the moment it is made; ``template``: the
    family's own, to name the line an error comes from."""

    def __init__(
        self,
        family: Family,
        pinned: Mapping[str, Any],
        seeds: range,
        count: int,
        folder: Path,
        template: Path | None,
    ) -> None:
        self.template = template
        self.runs: list[_Run] = []
        slot = Slot(1, family, 1, pinned)
        spec = Spec("examgen-check", "examgen check", "", "", "", (slot,), "", folder / "x.toml")
        sampled: list[tuple[int, Variant]] = []
        for seed in seeds:
            if len(sampled) == count:
                break
            try:
                sampled.append((seed, family.generate(preview_stream(family, seed), pinned)))
            except Exception:  # check names it; nothing to typeset
                continue
        exams = [
            StudentExam(Student(f"seed-{s}", ""), (Question(slot, v),), s, spec.id)
            for s, v in sampled
        ]
        seeds = self.seeds = [s for s, _ in sampled]
        folder.mkdir(parents=True, exist_ok=True)
        for version, show_solutions in VERSIONS:
            try:
                sources = [render_exam_document("latex", spec, [e], show_solutions) for e in exams]
                batch = batch_document(sources, [f"seed {s}" for s in seeds])
            except Exception:  # a variant that does not render: check names it
                continue
            tex = folder / f"{version}.tex"
            tex.write_text(batch.text, encoding="utf-8")
            process = subprocess.Popen(
                latex_command(tex),
                cwd=folder,
                env=latex_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.runs.append(_Run(version, tex, seeds, batch, process))

    def failures(self) -> list[TypesetFailure]:
        """Waits for both runs; the first error of each that failed, with its variant's seed."""
        out = []
        for run in self.runs:
            if run.process.wait() == 0:
                continue
            log_path = run.tex.with_suffix(".log")
            exists = log_path.exists()
            log = log_path.read_text(encoding="utf-8", errors="replace") if exists else ""
            line, excerpt = log_excerpt(log, run.tex.name)
            k, _ = locate(run.batch, line)
            if k < 0 and line is None:
                k = student_typeset_last(log, len(run.seeds))
            out.append(
                TypesetFailure(
                    f"typeset latex {run.version}: {self._where(run, line)}pdflatex: "
                    + _error_text(excerpt),
                    run.seeds[k] if 0 <= k < len(run.seeds) else None,
                )
            )
        return out

    def _where(self, run: _Run, line: int | None) -> str:
        """The template line that printed the failing source line, when it can be told."""
        if line is None or self.template is None:
            return ""
        source = run.tex.read_text(encoding="utf-8").splitlines()
        printed = source[line - 1] if 0 < line <= len(source) else ""
        number = template_line(self.template.read_text(encoding="utf-8"), printed)
        return f"{self.template}:{number}: " if number is not None else ""

    def stop(self) -> None:
        for run in self.runs:
            if run.process.poll() is None:
                run.process.kill()
            run.process.wait()


def _error_text(excerpt: list[str]) -> str:
    """TeX's error message without the file and line it prefixes (the same for every seed)."""
    for text in excerpt:
        message = text.split(": ", 1)[1] if ".tex:" in text.split(": ", 1)[0] else text
        message = message.removeprefix("! ").strip()
        if message:
            return message
    return "pdflatex stopped without an error message (see a build with --pdf)"
