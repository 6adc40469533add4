"""Running Python code in a fresh interpreter: another hash seed, nothing already imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_output(code: str, **env: str) -> bytes:
    """What ``python -c code`` prints, run from the repository with ``env`` added."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        check=True,
        env=dict(os.environ, **env),
        cwd=ROOT,
    )
    return done.stdout
