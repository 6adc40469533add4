"""Statement banks: the wording concept families draw from, kept as data.

A bank is ``bank.toml`` in its family's folder: a list of ``[[statements]]`` each with a stable
``id`` (it appears in key.json and pins a variant), the ``text`` a student reads, its ``truth``
(for multiple choice: whether it is a correct description) and the ``explanation`` the solution
shows. Wording changes are data edits; this module only loads and checks them.

Texts are LaTeX-math-in-prose, printed as they are in both formats: math goes between ``$…$`` and
the prose around it avoids characters either format treats specially (the bank tests check this).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from generator.characters import SLUG, unprintable
from generator.errors import TOML_UTF8_FIX, ExamgenError, not_utf8, parse_toml
from generator.htmlmath import MATH_SPAN
from generator.input_file import read_input
from generator.tex_balance import unbalanced

BANK_FILE = "bank.toml"

_FIELDS = {"id": str, "text": str, "truth": bool, "explanation": str}
#: What LaTeX or HTML reads as markup in prose.
_MARKUP = frozenset("\\{}#%&_~^<>")
#: How to write each of them in prose instead: a word, or math.
_IN_WORDS = {"%": "percent", "&": "and", "#": "number", "<": "less than", ">": "greater than"}
#: Markdown's bold and italics, which LaTeX and HTML print as the characters themselves.
_MARKDOWN_EMPHASIS = re.compile(r"\*\*|__")
#: Commands MathJax and the practice pages' MathML turn into HTML of the page's own, in math too.
_PAGE_COMMAND = re.compile(r"\\(?:href|url|style|class|cssId)(?![A-Za-z])")


@dataclass(frozen=True)
class Statement:
    """One bank entry: what the student reads, whether it is true, and why."""

    id: str
    text: str
    truth: bool
    explanation: str


@dataclass(frozen=True)
class Bank:
    name: str
    path: Path
    statements: tuple[Statement, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.statements)

    def with_truth(self, truth: bool) -> tuple[Statement, ...]:
        return tuple(s for s in self.statements if s.truth == truth)

    def get(self, statement_id: str) -> Statement:
        for statement in self.statements:
            if statement.id == statement_id:
                return statement
        raise ExamgenError(
            f"bank {self.name}: no statement {statement_id!r}; known: {', '.join(self.ids)}"
        )


def _read(path: Path) -> tuple[dict[str, Any], str]:
    """The bank's tables, and its text (for the lines of its entries)."""
    try:
        data = read_input(path, "statement bank")
        source = data.decode("utf-8")
    except FileNotFoundError:
        raise ExamgenError(f"{path}: statement bank not found") from None
    except UnicodeDecodeError as err:
        raise not_utf8(path, data, err, TOML_UTF8_FIX.format(what="bank")) from None
    return parse_toml(path, source, "a statement bank"), source


#: A ``[[statements]]`` header line: where each entry starts (TOML keeps no line numbers).
_ENTRY_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*statements[ \t]*\]\]", re.MULTILINE)


def _entry_lines(source: str, count: int) -> list[int | None]:
    """The line of each of the ``count`` entries' headers; ``None`` for each when the headers
    found are not one per entry (an entry written as an inline table)."""
    lines = [source.count("\n", 0, m.start()) + 1 for m in _ENTRY_HEADER.finditer(source)]
    return lines if len(lines) == count else [None] * count


def _entry_places(path: Path, lines: list[int | None]) -> list[str]:
    """``path:line: statements[k]`` for each entry, k from 1 as an author counts them (its line
    makes the count plain); without the line when it is not known."""
    return [
        f"{path}{'' if line is None else f':{line}'}: statements[{k}]"
        for k, line in enumerate(lines, start=1)
    ]


def _two_entries(lines: list[int | None], first: int, second: int) -> str:
    """``statements[i] (line a) and statements[j] (line b)``, of the 0-based entries given."""
    named = [
        f"statements[{k + 1}]{'' if lines[k] is None else f' (line {lines[k]})'}"
        for k in (first, second)
    ]
    return " and ".join(named)


def _statement(raw: Any, where: str) -> Statement:
    if not isinstance(raw, dict):
        raise ExamgenError(f"{where}: must be a [[statements]] table")
    for name in sorted(set(raw) - set(_FIELDS)):
        raise ExamgenError(f"{where}.{name}: unknown field; expected {', '.join(_FIELDS)}")
    for name, kind in _FIELDS.items():
        value = raw.get(name)
        if not isinstance(value, kind) or (kind is str and not value.strip()):
            expected = "true or false" if kind is bool else "non-empty text"
            raise ExamgenError(f"{where}.{name}: missing or not {expected}")
    if not SLUG.match(raw["id"]):
        raise ExamgenError(f"{where}.id: {raw['id']!r} must be a lowercase-hyphenated slug")
    for name in ("text", "explanation"):
        problem = prose_problem(raw[name])
        if problem:
            raise ExamgenError(f"{where}.{name}: {problem}")
    return Statement(raw["id"], raw["text"].strip(), raw["truth"], raw["explanation"].strip())


def prose_problem(text: str) -> str | None:
    """Why ``text`` would not print as written in LaTeX, Markdown and HTML, or None. Bank texts
    and mistake explanations go into every format unescaped (their math is LaTeX), so prose must
    avoid what any of them reads as markup: LaTeX took ``50% of …`` as 50 and a comment, HTML
    ``<b>`` as a tag."""
    found = prose_markup(text)
    return found[1] if found else None


def prose_markup(text: str) -> tuple[int, str] | None:
    """``prose_problem`` with where: the offending character's index in ``text`` (a family's
    template names its line)."""
    char = unprintable(text)
    if char is not None:
        return text.index(char), (
            f"holds U+{ord(char):04X}, a control character no output can hold; remove it"
        )
    command = _PAGE_COMMAND.search(text)
    if command is not None:
        return command.start(), (
            f"holds {command.group()}, which puts a link, style or class into the HTML pages "
            "and LMS exports; remove it"
        )
    for math in MATH_SPAN.finditer(text):
        opened = unbalanced(math.group())
        if opened is not None:
            # pdflatex stops on it at build time; check would name only the template line.
            return math.start(), f"leaves {opened.what} in its math {math.group()!r}; close it"
    prose = _without_math(text)
    if "$" in prose:
        return _stray_dollar(text, prose), (
            "has a $ that opens no math; math goes between a pair of $ (write dollars in words)"
        )
    emphasis = _MARKDOWN_EMPHASIS.search(prose)
    if emphasis is not None:
        return emphasis.start(), (
            f"holds {emphasis.group()!r}, Markdown's bold, which the PDFs and HTML pages print "
            "as it is; an answer line is M.answer_line(…), which each format makes bold"
        )
    special = next((i for i, c in enumerate(prose) if c in _MARKUP), None)
    if special is not None:
        char = prose[special]
        instead = f'write "{_IN_WORDS[char]}"' if char in _IN_WORDS else "put it inside $…$"
        return special, (
            f"holds {char!r} outside $…$ math, which LaTeX or HTML reads as markup; {instead}"
        )
    return None


def _without_math(text: str) -> str:
    """``text`` with its math blanked out, not removed, so that an index into it is one into
    ``text``."""
    return MATH_SPAN.sub(lambda m: " " * len(m.group()), text)


def _stray_dollar(text: str, prose: str) -> int:
    """Where the ``$`` that opens no math most likely is: pairing every ``$`` of ``text`` in
    turn, a stray one pairs with the next and leaves the last over, lines away. Math rarely
    runs over a line's end, so the first line whose own ``$``s do not pair (a ``$$`` left over
    opens a display over several lines) holds it; else the one left over (``prose``)."""
    start = 0
    for line in text.split("\n"):
        left = _without_math(line)
        at = left.find("$")
        if at >= 0 and not left.startswith("$$", at):
            return start + at
        start += len(line) + 1
    return prose.index("$")


@cache
def load_bank(path: Path) -> Bank:
    """The bank at ``path``, checked: unique ids and texts, every field set; it is named after
    its family's folder."""
    name = path.parent.name
    data, source = _read(path)
    for key in sorted(set(data) - {"statements"}):
        # A misspelt [[statment]] would drop its entry without a word.
        raise ExamgenError(
            f"{path}: {key}: not a bank table; every entry is a [[statements]] table"
        )
    raw = data.get("statements")
    if not isinstance(raw, list) or not raw:
        raise ExamgenError(f"{path}: statements: add at least one [[statements]] table")
    lines = _entry_lines(source, len(raw))
    places = _entry_places(path, lines)
    statements = tuple(_statement(s, where) for s, where in zip(raw, places, strict=True))
    for attribute in ("id", "text"):
        # Texts compared as they print: spaces collapse in every format, so a false entry that
        # repeats a true one up to a doubled space would be a choice reading as the answer.
        seen: dict[str, int] = {}
        for index, statement in enumerate(statements):
            value = getattr(statement, attribute)
            first = seen.setdefault(" ".join(value.split()), index)
            if first != index:
                earlier = statements[first]
                alike = "" if getattr(earlier, attribute) == value else " up to spaces"
                # The ids once: for a shared id they are that id (8cb6922 said it three times).
                ids = "" if attribute == "id" else f" ({earlier.id!r} and {statement.id!r})"
                raise ExamgenError(
                    f"{path}: {_two_entries(lines, first, index)} share the {attribute} "
                    f"{value!r}{alike}{ids}; reword or remove one"
                )
    return Bank(name, path, statements)
