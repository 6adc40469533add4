"""JSON documents assembled from list items already written as text, byte for byte what
``json.dumps(document, indent=2, ensure_ascii=False)`` writes of the whole document.

A build writes each student's entry of key.json and manifest.json as soon as the student is done
(possibly in another process) and keeps only that text, not the student's sympy objects, so its
memory does not grow with the class beyond a few kilobytes per student.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

INDENT = 2
_ITEM_PAD = " " * (2 * INDENT)  # an item of a list that is a top-level member's value


def dumps(value: Any) -> str:
    return json.dumps(value, indent=INDENT, ensure_ascii=False)


def item_text(value: Any) -> str:
    """``value`` as an item of the list that ends a document (see ``document_text``)."""
    return "\n".join(_ITEM_PAD + line for line in dumps(value).split("\n"))


def document_text(head: Mapping[str, Any], name: str, items: Iterable[str]) -> str:
    """The document ``{**head, name: [...]}`` followed by a newline, whose list holds the values
    that ``items`` (from ``item_text``) are the text of."""
    if name in head:
        raise ValueError(f"{name!r} is already a member of the document's head")
    texts = list(items)
    if not texts:
        return dumps({**head, name: []}) + "\n"
    skeleton = dumps({**head, name: [None]})
    placeholder = f"\n{_ITEM_PAD}null\n{' ' * INDENT}]\n}}"
    if not skeleton.endswith(placeholder):  # json.dumps changed its layout: fail loudly
        raise AssertionError("unexpected json.dumps layout")
    closing = f"\n{' ' * INDENT}]\n}}\n"
    return skeleton[: -len(placeholder)] + "\n" + ",\n".join(texts) + closing
