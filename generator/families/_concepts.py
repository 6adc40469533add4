"""What concept families share: a statement bank instead of numbers.

A concept family is a folder whose ``family.py`` declares ID, TITLE and TAGS and whose
``bank.toml`` holds its statements (see ``generator.bank``). Two shapes:

- ``TrueFalseFamily``: one statement per student. The truth value is drawn first, a fair coin
  from the question's stream, and then a statement with that truth, so "False" is the answer half
  the time whatever the bank's mix: a student cannot pass by always answering the reference's
  "False". Params: ``statement``, the bank id.
- ``BankChoiceFamily``: one correct description and ``DISTRACTORS`` wrong ones, chosen and
  shuffled by ``generator.choices.arrange_fairly`` so the key is not predictably the longest or
  the shortest option. Params: ``choices``, the bank ids in printed order.

Both solve to the bank's explanation of what the student got, so the solution explains that
statement, not a generic one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from generator.bank import BANK_FILE, Bank, Statement, load_bank
from generator.choices import arrange_fairly, choice_answer, make_choices
from generator.errors import ExamgenError
from generator.families.base import Answer, Family, Solution


class BankFamily(Family):
    """A family whose variants are statements from its bank; nothing numeric to budget."""

    BUDGET = None

    def bank(self) -> Bank:
        return _bank_in(self.FOLDER)

    def needed_truths(self) -> dict[bool, int]:
        """How many statements of each truth a variant needs: ``{truth: how many}``."""
        return {}

    def declaration_problem(self) -> str | None:
        """A bank without the statements a variant needs (no ``truth = false`` entry for a
        true/false family) failed with ``ValueError: high <= 0``, and only for some seeds."""
        bank = self.bank()
        for truth, least in self.needed_truths().items():
            have = len(bank.with_truth(truth))
            if have < least:
                word = str(truth).lower()
                why = " (DISTRACTORS)" if self.FORM == "choice" and not truth else ""
                return (
                    f"{self.FOLDER / BANK_FILE}: {have} entries with truth = {word}; a "
                    f"{self.FORM} family needs at least {least}{why}: add them"
                )
        return None

    def param_descriptions(self) -> dict[str, str]:
        ids = ", ".join(self.bank().ids)
        if "statement" in self.param_names():
            return {"statement": f"the id of one statement in bank.toml ({ids})"}
        return {
            "choices": "the bank ids in printed order, exactly one a correct description "
            f"({ids})"
        }

    def _statement_id(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or value not in self.bank().ids:
            raise ExamgenError(
                f"family {self.ID}: {where} must be one of the bank's ids "
                f"({', '.join(self.bank().ids)}), got {value!r}"
            )
        return value


@lru_cache(maxsize=256)
def _bank_in(folder: Path) -> Bank:
    """The bank in a family's folder (``load_bank`` keeps it; this spares joining the path on
    every draw)."""
    return load_bank(folder / BANK_FILE)


@lru_cache(maxsize=512)
def _with_truth(folder: Path, truth: bool) -> tuple[Statement, ...]:
    """``Bank.with_truth`` of the bank in ``folder``, selected once (every draw asks for it);
    remembered by folder, as the bank itself is."""
    return _bank_in(folder).with_truth(truth)


@lru_cache(maxsize=4096)
def _statement_in(folder: Path, statement_id: str) -> Statement:
    """``Bank.get`` of the bank in ``folder``, found once per id (every solve looks its
    statements up); an unknown id raises, as ``get`` does, and is not remembered."""
    return _bank_in(folder).get(statement_id)


class TrueFalseFamily(BankFamily):
    FORM = "true-false"

    def needed_truths(self) -> dict[bool, int]:
        return {True: 1, False: 1}

    @dataclass(frozen=True)
    class Params:
        statement: str  # a bank id

    def parse_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        self.check_param_names(raw)
        if "statement" not in raw:
            return {}
        return {"statement": self._statement_id(raw["statement"], "params.statement")}

    def draw(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> Params:
        if "statement" in pinned:
            return self.Params(pinned["statement"])
        truth = bool(rng.random() < 0.5)
        candidates = _with_truth(self.FOLDER, truth)
        return self.Params(candidates[int(rng.integers(len(candidates)))].id)

    def solve(self, params: Params) -> Solution:
        statement = _statement_in(self.FOLDER, params.statement)
        return Solution(Answer("bool", statement.truth), {"statement": statement})

    def recheck(self, params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
        """The key's truth value is the bank's truth for the statement the student got."""
        statement = self.bank().get(params["statement"])
        if answer.get("kind") != "bool" or answer.get("value") is not statement.truth:
            return f"statement {statement.id!r} is {statement.truth} in the bank; key has {answer}"
        return None


class BankChoiceFamily(BankFamily):
    FORM = "choice"
    #: How many wrong descriptions a student sees beside the correct one.
    DISTRACTORS: ClassVar[int] = 4

    def needed_truths(self) -> dict[bool, int]:
        return {True: 1, False: self.DISTRACTORS}

    @dataclass(frozen=True)
    class Params:
        choices: tuple[str, ...]  # bank ids in printed order; exactly one is a correct description

    def parse_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        self.check_param_names(raw)
        if "choices" not in raw:
            return {}
        ids = raw["choices"]
        if not isinstance(ids, list) or not 2 <= len(ids) <= 26:
            raise ExamgenError(
                f"family {self.ID}: params.choices must be a list of 2–26 bank ids, got {ids!r}"
            )
        ids = [self._statement_id(v, f"params.choices[{i}]") for i, v in enumerate(ids)]
        if len(set(ids)) != len(ids):
            raise ExamgenError(f"family {self.ID}: params.choices repeats an id: {ids!r}")
        correct = [i for i in ids if self.bank().get(i).truth]
        if len(correct) != 1:
            raise ExamgenError(
                f"family {self.ID}: params.choices must hold exactly one correct description "
                f"(one of {', '.join(s.id for s in self.bank().with_truth(True))}), "
                f"got {len(correct)}"
            )
        return {"choices": tuple(ids)}

    def draw(self, rng: np.random.Generator, pinned: Mapping[str, Any]) -> Params:
        if "choices" in pinned:
            return self.Params(pinned["choices"])
        right = _with_truth(self.FOLDER, True)
        correct = right[int(rng.integers(len(right)))]
        wrong = _with_truth(self.FOLDER, False)
        texts = {correct.id: correct.text} | {s.id: s.text for s in wrong}
        return self.Params(arrange_fairly(rng, correct.id, texts, self.DISTRACTORS, "text"))

    def solve(self, params: Params) -> Solution:
        statements = {i: _statement_in(self.FOLDER, i) for i in params.choices}
        (correct,) = (i for i, s in statements.items() if s.truth)
        choices = make_choices(
            params.choices,
            {i: s.text for i, s in statements.items()},
            "text",
            correct,
            notes={i: s.explanation for i, s in statements.items() if not s.truth},
        )
        return Solution(
            choice_answer(choices), {"choices": choices, "statement": statements[correct]}
        )

    def recheck(self, params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
        """Exactly one printed choice is a true description in the bank, and the key's letter
        and text name it."""
        shown = [self.bank().get(i) for i in params["choices"]]
        true_positions = [k for k, s in enumerate(shown) if s.truth]
        if len(true_positions) != 1:
            return f"{len(true_positions)} true descriptions among the choices {params['choices']}"
        right = true_positions[0]
        if answer.get("kind") != "choice" or answer.get("value") != chr(ord("A") + right):
            return f"the true description is choice {chr(ord('A') + right)}; key has {answer}"
        if answer.get("text") != shown[right].text:
            return "the key's text is not the true description's text"
        return None
