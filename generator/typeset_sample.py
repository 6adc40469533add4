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
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.build import Question, StudentExam, render_exam_document
from generator.pdf import (
    Batch,
    LatexProcess,
    batch_document,
    failed_run,
    follow,
    latex_command,
    latex_environment,
    stalled,
)
from generator.preview import preview_stream
from generator.roster import Student
from generator.spec import Slot, Spec
from generator.tex_balance import printed_at

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
    """One version's pdflatex, its output read by a thread of its own (``follow``), which stops
    a run that loops."""

    version: str
    tex: Path
    batch: Batch  # where each variant's part starts
    latex: LatexProcess
    stalled: int | None = None  # ``follow``'s: the variant whose pages TeX was on, if it looped
    reader: threading.Thread | None = None

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self.latex.proc

    def start(self) -> None:
        self.reader = threading.Thread(target=self._follow, daemon=True)
        self.reader.start()

    def _follow(self) -> None:
        try:
            self.stalled = follow(self.latex)
        finally:
            self.latex.close()

    def wait(self) -> int:
        if self.reader is not None:
            self.reader.join()
        return self.process.wait()


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
        self.seeds = [s for s, _ in sampled]
        folder.mkdir(parents=True, exist_ok=True)
        for version, show_solutions in VERSIONS:
            try:
                sources = [render_exam_document("latex", spec, [e], show_solutions) for e in exams]
                batch = batch_document(sources, [f"seed {s}" for s in self.seeds])
            except Exception:  # a variant that does not render: check names it
                continue
            tex = folder / f"{version}.tex"
            tex.write_text(batch.text, encoding="utf-8")
            latex = LatexProcess(latex_command(tex), folder, latex_environment())
            run = _Run(version, tex, batch, latex)
            run.start()
            self.runs.append(run)

    def failures(self) -> list[TypesetFailure]:
        """Waits for both runs; the first error of each that failed, with its variant's seed."""
        out = []
        for run in self.runs:
            if run.wait() == 0:
                continue
            k = run.stalled
            if k is not None:
                why = stalled("one variant's")
                out.append(
                    TypesetFailure(
                        f"typeset latex {run.version}: {why}",
                        self.seeds[k] if 0 <= k < len(self.seeds) else None,
                    )
                )
                continue
            failed = failed_run(run.tex, run.batch, len(self.seeds))
            where = printed_at(self.template, failed.printed)
            out.append(
                TypesetFailure(
                    f"typeset latex {run.version}: {where}pdflatex: {failed.message}",
                    self.seeds[failed.student] if failed.student >= 0 else None,
                )
            )
        return out

    def stop(self) -> None:
        for run in self.runs:
            if run.process.poll() is None:
                run.process.kill()
            run.wait()
