"""Characters no output can hold: XML 1.0 (Moodle, QTI) refuses them, no printer shows them, and
UTF-8 cannot encode half a surrogate pair. Specs, statement banks and exports refuse them by name
rather than write a file an LMS cannot import."""

from __future__ import annotations

import re

#: Control characters but tab, newline and carriage return (Unicode's ``Cc``), the two
#: non-characters XML 1.0 excludes, and lone surrogates (from a ``"\ud800"`` in Python or JSON).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def unprintable(text: str) -> str | None:
    """The first character of ``text`` that no output can hold, or None."""
    found = _UNPRINTABLE.search(text)
    return found.group() if found else None
