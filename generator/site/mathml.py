"""Math on the practice pages as MathML, made at build time, so a page needs no script or font
from the network to show it (browsers render MathML natively).

The ``html`` format layer writes math as ``\\( … \\)`` and ``\\[ … \\]`` with ``< > &`` as entities
(``generator.htmlmath``); each is read back to LaTeX and converted by ``latex2mathml``. A LaTeX
command the converter does not know would reach the page as raw text, so it is an error naming it.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from latex2mathml.converter import convert_to_element

from generator.errors import ExamgenError

_MATH = re.compile(r"\\\((?P<inline>.+?)\\\)|\\\[(?P<block>.+?)\\\]", re.DOTALL)
_LEFTOVER = re.compile(r"\\[A-Za-z]+")
_ENTITY = re.compile(r"&amp;(#x[0-9A-Fa-f]+;)")
# latex2mathml writes \vec as a stretchy arrow, which spans a superscript beside it, and
# \operatorname{Aug} as an operator with operator spacing; browsers draw the MathML Core forms
# below as LaTeX does: a fixed accent arrow, and a name applied to its argument.
_VEC = re.compile(r'<mover><mi>([^<]*)</mi><mo stretchy="true">&#x02192;</mo></mover>')
_NAME = re.compile(r"<mo>([A-Za-z]{2,})</mo>")
# A slash (1/4) is set tight, as LaTeX sets it. A minus right after an opening bracket, a comma
# or another operator is a sign, not a binary minus: without form="prefix" a browser spaces
# "(-8, -8)" as "( - 8, - 8)".
_SIGN = re.compile(
    r"(<mo(?![^>]*postfix)[^>]*>(?!&#x00029;|&#x0005D;|&#x0007D;|&#x0007C;)[^<]*</mo>|<mtd>|<mrow>)"
    r"<mo>&#x02212;</mo>"
)


def _serialised(element: ET.Element) -> str:
    """MathML text with every character escaped. latex2mathml's own ``convert`` unescapes the
    whole serialisation to restore the entities it stores as text (``&#x0003C;``), and with
    them the ``<`` of a ``\\text{<b>…}``: raw markup in the page. Here only those come back."""
    return _ENTITY.sub(r"&\1", ET.tostring(element, encoding="unicode"))


#: Attributes latex2mathml copies from the LaTeX into the page (from \href, \style, \class): a
#: link (``javascript:`` too), a style or a class of the page's own is not math.
_PAGE_ATTRIBUTES = {"href": "\\href", "style": "\\style", "class": "\\class", "id": "an id"}


def _refuse_page_attributes(tex: str, element: ET.Element) -> None:
    for node in element.iter():
        for name in node.attrib:
            if name in _PAGE_ATTRIBUTES or name.lower().startswith("on"):
                what = _PAGE_ATTRIBUTES.get(name, f"an {name} attribute")
                raise ExamgenError(
                    f"math {tex.strip()!r}: {what} would put a {name}= into the practice page, "
                    "which takes no links, styles or classes from math; remove it"
                )


def tex_to_mathml(tex: str, display: bool = False) -> str:
    element = convert_to_element(tex.strip(), display="block" if display else "inline")
    _refuse_page_attributes(tex, element)
    mathml = _serialised(element)
    mathml = _VEC.sub(r'<mover accent="true"><mi>\1</mi><mo>&#x02192;</mo></mover>', mathml)
    mathml = _NAME.sub(r"<mi>\1</mi><mo>&#x02061;</mo>", mathml)
    mathml = _SIGN.sub(r'\1<mo form="prefix">&#x02212;</mo>', mathml)
    mathml = mathml.replace("<mo>&#x0002F;</mo>", '<mo lspace="0" rspace="0">&#x0002F;</mo>')
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
