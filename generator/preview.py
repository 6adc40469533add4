"""One variant of one family, for an instructor to look at before building an exam."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from generator.errors import ExamgenError
from generator.exact import to_json
from generator.families.base import Family
from generator.fingerprint import fingerprint
from generator.paper.handout import work_space
from generator.published import unpublishable
from generator.render import QuestionTexts
from generator.seeding import stream


def preview_stream(family: Family, seed: int) -> np.random.Generator:
    """The stream ``examgen preview FAMILY --seed SEED`` draws from; ``examgen check`` samples
    the same streams, so every seed it names can be looked at with ``preview``."""
    return stream(seed, "preview", family.ID)


def preview_text(family: Family, seed: int, raw_params: Mapping[str, Any], fmt: str) -> str:
    """``md`` or ``tex``: the problem with its solution; ``json``: its key entry and steps."""
    variant = family.variant_from_json(preview_stream(family, seed), raw_params)
    if fmt == "json":
        entry = {
            "family": family.ID,
            "seed": seed,
            "params": variant.key_params(),
            "answer": variant.solution.answer.to_json(),
            "fingerprint": fingerprint(variant),
            "steps": to_json(variant.solution.steps),
        }
        return json.dumps(entry, indent=2, ensure_ascii=False) + "\n"
    # The work space a handout gives the question (3.5in for a vector answer), not the template's
    # fallback, so that the preview shows the question as students get it.
    question = QuestionTexts(variant, extra={"work_space": work_space(variant)})
    problem = unpublishable(question)  # as a build refuses it: check's own tests
    if problem is not None:
        raise ExamgenError(f"family {family.ID}: seed {seed}: {problem}")
    return question.text("markdown" if fmt == "md" else "latex")
