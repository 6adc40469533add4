"""A one-line fingerprint of a variant's answer-relevant content, like Moodle STACK's question note.

Two variants of a family are the same question exactly when their key params are the same (the
params hold everything the answer depends on: data, batch, η, w0, a statement id, a choice order),
so the fingerprint is derived from the family ID and ``family.params_to_json(params)`` only, which
keeps it generic over families and computable from a key.json entry alone. It reads

    data=((1,3),(2,3),(3,6)) w0=(0,0) eta=1/2 #5c1d0e9b27aa

a short note a person can compare at a glance, then a 12-hex-digit SHA-256 digest of the canonical
JSON of family ID and params, which tells variants apart even when the note is shortened. Nothing
here depends on ``hash()``, dict order or the platform, so the same variant has the same
fingerprint on every machine and under any PYTHONHASHSEED.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from generator.families.base import Variant

DIGEST_LENGTH = 12
#: Longest string value shown in a note; the digest still covers the whole value.
NOTE_STRING_LIMIT = 24
_PLAIN = re.compile(r"[A-Za-z0-9_./+\-]+")
#: The ints whose digits (and sign) a note shows whole: longer ones are shortened.
_SHORT_INTS = (-(10 ** (NOTE_STRING_LIMIT - 1)), 10**NOTE_STRING_LIMIT)


def canonical_json(family_id: str, params_json: Mapping[str, Any]) -> str:
    """The exact text the digest covers: sorted keys, no whitespace, ASCII only."""
    return _CANONICAL.encode({"family": family_id, "params": params_json})


#: ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=True)``'s encoder, made
#: once: ``json.dumps`` makes a new one for every call with other than its default options.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def digest(family_id: str, params_json: Mapping[str, Any]) -> str:
    text = canonical_json(family_id, params_json)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:DIGEST_LENGTH]


def _note_value(value: Any) -> str:
    kind = type(value)
    # Exact lists, tuples and short ints first, written as ``plain_note_value`` writes them (an
    # int's digits are plain): a key's params are mostly those.
    if kind is list or kind is tuple:
        return "(" + ",".join([_note_value(v) for v in value]) + ")"
    if kind is int and _SHORT_INTS[0] < value < _SHORT_INTS[1]:
        return int.__repr__(value)
    return _written(value, _note_value)


def plain_note_value(value: Any) -> str:
    """A value as a note shows it, without ``_note_value``'s fast cases: what they must equal."""
    return _written(value, plain_note_value)


def _written(value: Any, inner: Callable[[Any], str]) -> str:
    """``value`` in a note, its items written by ``inner``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "(" + ",".join(inner(v) for v in value) + ")"
    if isinstance(value, Mapping):
        return "{" + " ".join(f"{k}={inner(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "null"
    text = str(value)
    if len(text) > NOTE_STRING_LIMIT:
        text = text[: NOTE_STRING_LIMIT - 1] + "…"
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def note(params_json: Mapping[str, Any]) -> str:
    """The human part: ``name=value`` for each param, in the family's field order."""
    return " ".join(f"{name}={_note_value(value)}" for name, value in params_json.items())


def fingerprint_of(family_id: str, params_json: Mapping[str, Any]) -> str:
    """The fingerprint of a key.json question entry (its ``family`` and ``params``)."""
    text = note(params_json)
    return f"{text} #{digest(family_id, params_json)}" if text else f"#{digest(family_id, {})}"


def fingerprint(variant: Variant) -> str:
    """The fingerprint recorded for ``variant`` in key.json and manifest.json."""
    return fingerprint_of(variant.family.ID, variant.key_params())


def fingerprint_digest(fingerprint_text: str) -> str:
    """The digest part of a fingerprint: what to compare when matching variants by machine."""
    return fingerprint_text.rsplit("#", 1)[-1]
