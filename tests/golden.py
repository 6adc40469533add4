"""Golden files: rendered text pinned in the repository, so a review diff shows what a template
change did. ``EXAMGEN_UPDATE_GOLDEN=1`` rewrites them after an intended change."""

from __future__ import annotations

import os
from pathlib import Path


def assert_matches_golden(text: str, path: Path) -> None:
    if os.environ.get("EXAMGEN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"no golden file {path}; create it with EXAMGEN_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")
