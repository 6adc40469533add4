"""STAND-IN for issue 5's fingerprint (branch ``quality``): replace this file at merge.

Issue 6 (grading/export) needs only ``fingerprint(variant) -> str``: a short, stable, one-line
identifier of a variant's answer-relevant content, equal for equal variants. This minimal version
hashes the family ID and the key.json params; issue 5's version, which also records it in key.json
and manifest.json, takes its place. Nothing else in the grading branch computes fingerprints.
"""

from __future__ import annotations

import hashlib
import json

from generator.families.base import Variant


def fingerprint(variant: Variant) -> str:
    payload = json.dumps(
        {"family": variant.family.ID, "params": variant.key_params()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return f"{variant.family.ID}:{hashlib.sha256(payload.encode('utf-8')).hexdigest()[:12]}"
