"""HTML with LaTeX math for an LMS (Moodle, Canvas): MathJax reads ``\\( … \\)`` and ``\\[ … \\]``.

Family templates write inline math as ``$…$``, as for LaTeX and Markdown. In the HTML format the
``text`` filter escapes every ``$`` of outside text (``&#36;``), so any ``$`` left after rendering
opened or closed template math, and ``finish`` can turn each ``$$…$$`` into ``\\[…\\]`` and each
``$…$`` into ``\\(…\\)`` without guessing. Inside math, ``< > &`` become entities, which MathJax
reads back as the characters.
"""

from __future__ import annotations

import html
import re

#: Display math ``$$…$$`` (as ``examgen new`` and the authoring guide write it), or inline ``$…$``.
_MATH = re.compile(r"\$\$(?P<display>[^$]+)\$\$|\$(?P<inline>[^$]+)\$")
#: The same spans, whole: what ``text_to_html`` keeps as math and the rest of a text as prose.
MATH_SPAN = re.compile(r"(\$\$[^$]+\$\$|\$[^$]+\$)")
_BLOCK_START = re.compile(r"<(p|div|ul|ol|table|h[1-6]|pre|blockquote)[\s>]")


def escape_html(text: str) -> str:
    """Outside text shown literally in HTML (names, titles, choice texts), ``$`` included."""
    return html.escape(str(text), quote=True).replace("$", "&#36;")


def _math(match: re.Match[str]) -> str:
    display = match.group("display")
    tex = html.escape(display if display is not None else match.group("inline"), quote=False)
    return rf"\[{tex}\]" if display is not None else rf"\({tex}\)"


def inline_math(text: str) -> str:
    """``$$x$$`` → ``\\[x\\]`` and ``$x$`` → ``\\(x\\)`` in an HTML fragment."""
    return _MATH.sub(_math, text)


def text_to_html(text: str) -> str:
    """Plain text with ``$…$`` or ``$$…$$`` math (a choice's text, say) as an HTML fragment."""
    parts = MATH_SPAN.split(str(text))
    return "".join(
        inline_math(part) if part.startswith("$") and len(part) > 1 else escape_html(part)
        for part in parts
    )


def finish(text: str) -> str:
    """A rendered template as HTML: inline math delimited for MathJax, paragraphs in ``<p>``."""
    blocks = [b.strip() for b in inline_math(text).split("\n\n") if b.strip()]
    return "\n".join(b if _BLOCK_START.match(b) else f"<p>{b}</p>" for b in blocks) + "\n"
