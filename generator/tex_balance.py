"""Braces and math a question's LaTeX leaves open, found for ``examgen check``.

A template's ``$x^{2$`` renders without error in every format, converts to MathML (latex2mathml
closes the group itself) and passes every other check; only pdflatex, at build time and only
where TeX is installed, stops on it. Each question's LaTeX is self-contained (its environments
and groups close within it), so a ``{`` it never closes, a ``}`` it never opened or an odd number
of ``$`` is an error there already, and ``check`` names it with the line it is on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

#: What never counts: a ``\\`` (a line break, not an escape), an escaped brace, dollar or
#: percent sign, a comment to the end of its line.
_NEVER_COUNTED = re.compile(r"\\\\|\\[{}$%]|%[^\n]*")
#: The tokens ``scan`` reads: those, then a brace, a dollar sign, a line end.
_TOKENS = re.compile(_NEVER_COUNTED.pattern + r"|[{}$\n]")
#: A template's expressions and statements, which print values and choose text, not braces.
_TEMPLATE_CODE = re.compile(r"\(\(\(.*?\)\)\)|\(\(\*.*?\*\)\)")
#: The least literal text a template line must share with a rendered one to be named as its
#: source.
MIN_LITERAL = 8


class Unbalanced(NamedTuple):
    what: str  # "a { never closed", …
    line: int  # the line of the rendered text it is on


#: Every byte but the braces (UTF-8 encodes no other character with their bytes).
_NOT_BRACES = bytes(b for b in range(256) if b not in b"{}")


def _balanced(text: str) -> bool:
    """``unbalanced(text) is None``, decided in C (every LaTeX text of every variant is checked):
    the braces alone, each innermost pair removed until none is left."""
    if "%" in text or "\\{" in text or "\\}" in text or "\\$" in text:
        text = _NEVER_COUNTED.sub("", text)
    if text.count("$") % 2:
        return False
    braces, before = text.encode("utf-8").translate(None, _NOT_BRACES), b""
    while braces and braces != before:
        braces, before = braces.replace(b"{}", b""), braces
    return not braces


def unbalanced(text: str) -> Unbalanced | None:
    """What ``text`` leaves open or closes too often; ``None``: balanced."""
    return None if _balanced(text) else scan(text)


def scan(text: str) -> Unbalanced | None:
    """``unbalanced`` token by token, to name the line (``_balanced`` says only whether)."""
    opened: list[int] = []  # the line of each ``{`` still open
    dollars: list[int] = []  # the line of each unescaped ``$``
    line = 1
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
        elif token == "{":
            opened.append(line)
        elif token == "}":
            if not opened:
                return Unbalanced("a } that closes no {", line)
            opened.pop()
        elif token == "$":
            dollars.append(line)
    if opened:
        return Unbalanced("a { never closed", opened[-1])
    if len(dollars) % 2:
        return Unbalanced("an odd number of $ (math never closed)", dollars[-1])
    return None


def printed_at(template: Path | None, rendered: str) -> str:
    """``"<template>:<line>: "`` for the template line that printed ``rendered`` (a line of a
    rendered question), or ``""`` when it cannot be told."""
    if template is None:
        return ""
    number = template_line(template.read_text(encoding="utf-8"), rendered)
    return f"{template}:{number}: " if number is not None else ""


def template_line(template: str, rendered: str) -> int | None:
    """The line of ``template`` whose literal text, in order around its expressions, is in the
    ``rendered`` line, the most of it (the first such line on a tie): the template line that
    printed it, found so that a message names the same line for every variant. A line that
    begins like an earlier one is told from it by its longer text. ``None``: no line shares
    enough text (a shared macro's)."""
    found, most = None, MIN_LITERAL - 1
    for number, line in enumerate(template.splitlines(), start=1):
        literals = [part.strip() for part in _TEMPLATE_CODE.split(line) if part.strip()]
        length = sum(map(len, literals))
        if length > most and re.search(".*?".join(map(re.escape, literals)), rendered):
            found, most = number, length
    return found
