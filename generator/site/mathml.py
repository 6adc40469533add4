"""Math on the practice pages as MathML, made at build time, so a page needs no script or font
from the network to show it (browsers render MathML natively).

The ``html`` format layer writes math as ``\\( … \\)`` and ``\\[ … \\]`` with ``< > &`` as entities
(``generator.htmlmath``); each is read back to LaTeX and converted by ``latex2mathml``. A LaTeX
command the converter does not know would reach the page as raw text, so it is an error naming it.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

from generator.errors import ExamgenError

_MATH = re.compile(r"\\\((?P<inline>.+?)\\\)|\\\[(?P<block>.+?)\\\]", re.DOTALL)
_LEFTOVER = re.compile(r"\\[A-Za-z]+")


def tex_to_mathml(tex: str, display: bool = False) -> str:
    mathml = convert(tex.strip(), display="block" if display else "inline")
    leftover = _LEFTOVER.search(mathml)
    if leftover:
        raise ExamgenError(
            f"math {tex.strip()!r}: the MathML converter does not know {leftover.group()}; "
            "write it with commands latex2mathml supports"
        )
    return mathml


def html_with_mathml(fragment: str) -> str:
    """An HTML fragment from the ``html`` format layer with every formula as MathML."""

    def replace(match: re.Match[str]) -> str:
        block = match.group("block")
        tex = html.unescape(block if block is not None else match.group("inline"))
        return tex_to_mathml(tex, display=block is not None)

    return _MATH.sub(replace, fragment)
