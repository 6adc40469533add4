"""Math on the practice pages as MathML, made at build time, so a page needs no script or font
from the network to show it (browsers render MathML natively).

The ``html`` format layer writes math as ``\\( … \\)`` and ``\\[ … \\]`` with ``< > &`` as entities
(``generator.htmlmath``); each is read back to LaTeX and converted by ``latex2mathml``. A LaTeX
command the converter does not know would reach the page as raw text, so it is an error naming it;
math it cannot read at all (a ``\\left`` without its ``\\right``, a ``{`` never closed) is an error
saying which. ``examgen check`` proves a family's math converts (``prove_mathml``) before a site is
made of it.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from latex2mathml.converter import convert_to_element

from generator.errors import ExamgenError

#: A formula, and for an inline one the punctuation right after it (kept on its line).
_MATH = re.compile(
    r"\\\((?P<inline>.+?)\\\)(?P<after>[.,;:!?)\]’”…]*)|\\\[(?P<block>.+?)\\\]", re.DOTALL
)
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


#: What latex2mathml's errors mean, for the author of the math (its exceptions share no base
#: class and carry no message).
_UNREADABLE = {
    "NumeratorNotFoundError": "a \\frac without its numerator",
    "DenominatorNotFoundError": "a \\frac without its denominator",
    "ExtraLeftOrMissingRightError": "a \\left without its \\right",
    "MissingSuperScriptOrSubscriptError": "a ^ or _ with nothing after it",
    "DoubleSubscriptsError": "two subscripts in a row; group them: x_{1_2}",
    "DoubleSuperscriptsError": "two superscripts in a row; group them: x^{2^3}",
    "NoAvailableTokensError": "it ends early: a { never closed, or a command without an argument",
    "MissingEndError": "a \\begin without its \\end",
}


def _element(tex: str, display: bool) -> ET.Element:
    """``tex`` as latex2mathml's tree, with its errors and the attributes a page refuses said."""
    try:
        element = convert_to_element(tex.strip(), display="block" if display else "inline")
    except Exception as err:  # malformed math from a template or a bank: latex2mathml's parser
        name = type(err).__name__
        reason = _UNREADABLE.get(name) or " ".join(f"{name} {err}".split())
        raise ExamgenError(
            f"math {tex.strip()!r}: the MathML converter cannot read it ({reason}); fix the "
            "math (pdflatex would stop on it too)"
        ) from None
    _refuse_page_attributes(tex, element)
    # An HTML page puts <math> in MathML's namespace itself: the attribute was 43 bytes a formula,
    # an eighth of a practice page once inline formulas became several.
    element.attrib.pop("xmlns", None)
    return element


def _finished(tex: str, element: ET.Element) -> str:
    """One ``<math>`` element as the page writes it, in the forms browsers draw as LaTeX does."""
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


def tex_to_mathml(tex: str, display: bool = False) -> str:
    return _finished(tex, _element(tex, display))


#: Where an inline formula may end a line: after a relation, as TeX breaks one, and after a comma
#: or semicolon between items (of a set, a list). Only outside round and square brackets, so a
#: point (6, −2) or an argument list f(x, y) stays whole; a set's braces do not count, so a data
#: set breaks between its points.
_BREAK_AFTER = frozenset(",;=<>≤≥≠≈≡∼≃∝∈∉⊂⊆⊃⊇→←↔⇒⇐⇔↦")
_DEEPER = {"(": 1, "[": 1, ")": -1, "]": -1}
#: Space written after a separator (``,\ ``): it ends the line with it, never starts the next.
_SPACE = re.compile(r"(&#x000A0;|&#x02009;|&#x02002;|&#x02003;|\s)*")


def _operator(node: ET.Element) -> str:
    """The character of an operator, or of the one a script is built on (the ``)`` of
    ``(1, 1)^T``); "" for anything else."""
    while node.tag in ("msup", "msub", "msubsup") and len(node):
        node = node[0]
    return html.unescape(node.text or "") if node.tag == "mo" else ""


def _is_space(node: ET.Element) -> bool:
    if node.tag == "mspace":
        return True
    return node.tag == "mtext" and _SPACE.fullmatch(node.text or "") is not None


def _lines(element: ET.Element) -> list[ET.Element]:
    """An inline formula cut after each place it may break (``_BREAK_AFTER``) into formulas that
    read as it does side by side. Browsers never break a ``<math>`` across lines, so one data
    set of six points was wider than a phone; between two formulas a line may end."""
    if len(element) != 1 or element[0].tag != "mrow":
        return [element]
    pieces: list[list[ET.Element]] = [[]]
    depth = 0
    for node in element[0]:
        if not pieces[-1] and len(pieces) > 1 and _is_space(node):
            pieces[-2].append(node)
            continue
        pieces[-1].append(node)
        operator = _operator(node)
        depth += _DEEPER.get(operator, 0)
        if depth <= 0 and operator in _BREAK_AFTER:
            pieces.append([])
    pieces = [piece for piece in pieces if piece]
    if len(pieces) < 2:
        return [element]
    lines = []
    for piece in pieces:
        line = ET.Element(element.tag, element.attrib)
        ET.SubElement(line, "mrow").extend(piece)
        lines.append(line)
    return lines


def inline_mathml(tex: str, after: str = "") -> str:
    """An inline formula as MathML that a narrow column can break (``_lines``), with the
    punctuation ``after`` it kept on its last line: a browser may otherwise start a line with the
    "." that ends a sentence."""
    *lines, last = [_finished(tex, line) for line in _lines(_element(tex, False))]
    if after:
        last = f'<span class="math-end">{last}{after}</span>'
    return "".join(lines) + last


def _formula(match: re.Match[str]) -> tuple[str, bool]:
    """A formula of the ``html`` layer read back to LaTeX, and whether it is displayed."""
    block = match.group("block")
    return html.unescape(block if block is not None else match.group("inline")), block is not None


def _page_math(match: re.Match[str]) -> str:
    tex, display = _formula(match)
    return tex_to_mathml(tex, True) if display else inline_mathml(tex, match.group("after"))


def html_with_mathml(fragment: str) -> str:
    """An HTML fragment from the ``html`` format layer with every formula as MathML."""
    return _MATH.sub(_page_math, fragment)


#: A digit, each on its own: the formulas of one template differ from variant to variant only in
#: their numbers (``prove_mathml``).
_DIGIT = re.compile(r"[0-9]")
#: Shapes of formulas this process converted without error (``prove_mathml``); emptied when full.
_PROVEN: set[tuple[str, bool]] = set()
PROVEN_SHAPES = 4096


def prove_mathml(fragment: str) -> None:
    """Raise the error ``html_with_mathml`` would raise on ``fragment``, without converting every
    formula of every variant: a formula is converted when no formula of its shape (the same text
    with every digit 0) has been yet. A digit stays one token whatever its value, so a formula
    reads like the others of its shape; that one of them converted is what the site relies on."""
    for match in _MATH.finditer(fragment):
        tex, display = _formula(match)
        shape = (_DIGIT.sub("0", tex), display)
        if shape not in _PROVEN:
            tex_to_mathml(tex, display)
            if len(_PROVEN) >= PROVEN_SHAPES:
                _PROVEN.clear()
            _PROVEN.add(shape)
