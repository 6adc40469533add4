"""Characters no output can hold: XML 1.0 (Moodle, QTI) refuses them, no printer shows them, and
UTF-8 cannot encode half a surrogate pair. Specs, statement banks and exports refuse them by name
rather than write a file an LMS cannot import."""

from __future__ import annotations

import json
import re
from typing import Any

#: Control characters but tab, newline and carriage return (Unicode's ``Cc``), the two
#: non-characters XML 1.0 excludes, and lone surrogates (from a ``"\ud800"`` in Python or JSON).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


#: Bidirectional embeddings, overrides and isolates: invisible, they reorder the text after them
#: on the same line (a roster name's U+202E shows the answers beside it in key.csv reversed).
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def bidi_control(text: str) -> str | None:
    """The first character of ``text`` that reorders what follows it, or None."""
    found = _BIDI_CONTROL.search(text)
    return found.group() if found else None


#: A lowercase-hyphenated slug: what a family ID, a mistake's name and a bank entry's id are
#: (each names a folder, a key.json field or a page anchor).
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def unprintable(text: str) -> str | None:
    """The first character of ``text`` that no output can hold, or None."""
    found = _UNPRINTABLE.search(text)
    return found.group() if found else None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_lone_surrogate(text: str, data: Any) -> str | None:
    """The first lone surrogate in ``data``, decoded from the JSON ``text``: ``"\\ud800"`` is
    valid JSON, but the string it makes cannot be printed or written as UTF-8. A pair spelled as
    two escapes (an emoji) is one character again once decoded."""
    if not _SURROGATE_ESCAPE.search(text):
        return None
    found = _SURROGATE.search(json.dumps(data, ensure_ascii=False))
    return found.group() if found else None


def shown_name(name: str) -> str:
    """A name (a file's, a student's) as one line of a terminal can show it: a control character
    (``\\n`` from a spreadsheet cell, an escape sequence that would recolour the terminal) or an
    invisible one as its escape."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in name)
