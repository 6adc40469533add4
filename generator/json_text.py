"""JSON documents assembled from list items already written as text, byte for byte what
``json.dumps(document, indent=2, ensure_ascii=False)`` writes of the whole document.

A build writes each student's entry of key.json and manifest.json as soon as the student is done
(possibly in another process) and keeps none of it: ``ListFile`` puts each entry on disk at once,
so the build's memory does not grow with the class.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

INDENT = 2
_ITEM_PAD = " " * (2 * INDENT)  # an item of a list that is a top-level member's value
_CLOSING = f"\n{' ' * INDENT}]\n}}\n"


def dumps(value: Any) -> str:
    return json.dumps(value, indent=INDENT, ensure_ascii=False)


def item_text(value: Any) -> str:
    """``value`` as an item of the list that ends a document (see ``ListFile``).

    ``json.dumps`` with an indent runs the pure-Python encoder, a generator per container: for a
    student's key entry that cost more than everything else done with it. ``_indented`` writes
    the same text for the plain JSON types in one pass, starting at the item's depth; any other
    value (a subclass, a non-string key, a cycle) takes ``json.dumps`` itself."""
    try:
        return _ITEM_PAD + _indented(value, _ITEM_NEWLINE)
    except (_NotPlain, RecursionError):
        return plain_item_text(value)


def plain_item_text(value: Any) -> str:
    """``item_text`` as ``json.dumps`` writes it: what ``_indented`` must equal."""
    return "\n".join(_ITEM_PAD + line for line in dumps(value).split("\n"))


class _NotPlain(Exception):
    """A value ``_indented`` leaves to ``json.dumps``."""


_ITEM_NEWLINE = "\n" + _ITEM_PAD
_STEP = " " * INDENT


def _indented(value: Any, newline: str) -> str:
    """``value`` as ``json.dumps(indent=INDENT, ensure_ascii=False)`` writes it, nested where
    ``newline`` (a line break and the current indentation) says. Scalars are written in the
    loops themselves: a call per value would cost more than the value's text."""
    kind = type(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = newline + _STEP
        members = []
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            kind = type(item)
            if kind is str:
                members.append(f"{encode_basestring(key)}: {encode_basestring(item)}")
            elif kind is int:
                members.append(f"{encode_basestring(key)}: {int.__repr__(item)}")
            else:
                members.append(f"{encode_basestring(key)}: {_indented(item, inner)}")
        return f"{{{inner}{(',' + inner).join(members)}{newline}}}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = newline + _STEP
        items = [
            encode_basestring(item)
            if type(item) is str
            else int.__repr__(item)
            if type(item) is int
            else _indented(item, inner)
            for item in value
        ]
        return f"[{inner}{(',' + inner).join(items)}{newline}]"
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is float:
        if value != value:
            return "NaN"
        if value in _INFINITIES:
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    raise _NotPlain


_INFINITIES = (float("inf"), float("-inf"))


def _empty(head: Mapping[str, Any], name: str) -> str:
    if name in head:
        raise ValueError(f"{name!r} is already a member of the document's head")
    return dumps({**head, name: []}) + "\n"


def _opening(head: Mapping[str, Any], name: str) -> str:
    """The document's text up to its list's first item."""
    _empty(head, name)
    skeleton = dumps({**head, name: [None]})
    placeholder = f"\n{_ITEM_PAD}null\n{' ' * INDENT}]\n}}"
    if not skeleton.endswith(placeholder):  # json.dumps changed its layout: fail loudly
        raise AssertionError("unexpected json.dumps layout")
    return skeleton[: -len(placeholder)] + "\n"


class ListFile:
    """The document ``{**head, name: [...]}`` and a newline, as ``json.dumps(indent=2,
    ensure_ascii=False)`` writes it, written to ``path`` with the list's items given one by one
    (``add``, each from ``item_text``) and the head at the end (``finish``: a manifest's head
    depends on every student). The items wait in a hidden file beside ``path``, not in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items = path.with_name(f".{path.name}.items")
        self.out = open(self.items, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.count = 0

    def add(self, text: str) -> None:
        self.out.write(f",\n{text}" if self.count else text)
        self.count += 1

    def finish(self, head: Mapping[str, Any], name: str) -> None:
        self.out.close()
        with open(self.path, "w", encoding="utf-8", newline="\n") as out:
            if not self.count:
                out.write(_empty(head, name))
            else:
                out.write(_opening(head, name))
                with open(self.items, encoding="utf-8", newline="") as items:
                    shutil.copyfileobj(items, out)
                out.write(_CLOSING)
        self.items.unlink()

    def discard(self) -> None:
        """Close without writing the document (a failed build: its folder goes anyway)."""
        self.out.close()
        self.items.unlink(missing_ok=True)
