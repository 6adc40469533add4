"""`pip install .` (not editable) gives a working examgen: the wheel carries the templates and
specs (kept once, at the top of the repository) and the family folders, and `examgen build` runs
from any folder. Builds a wheel, installs it into a fresh virtual environment (dependencies from
pip's cache) and builds the shipped quiz in a folder far from the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "README.md", "generator", "templates", "specs")
pytestmark = pytest.mark.slow


def source_copy(target: Path) -> Path:
    """What a wheel is built from, copied: building in the checkout would leave build/ there."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".*")
    target.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, target / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, target / name)
    return target


def test_a_wheel_installs_and_builds_from_another_folder(tmp_path):
    wheels = tmp_path / "wheels"
    source = source_copy(tmp_path / "source")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(wheels), str(source)],
        check=True, cwd=tmp_path, capture_output=True,
    )
    (wheel,) = wheels.glob("examgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("templates/latex/exam.tex.j2", "specs/lecture-14-quiz.toml",
                    "families/gradient-descent-step/template.j2", "scaffold/number/family.py.txt"):
        assert f"generator/{shipped}" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EXAMGEN_FAMILIES")}
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True, env=environment, capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [str(env_dir / "bin" / "examgen"), "build", "--seed", "3", "--count", "2", "--no-pdf",
         "-q"],
        cwd=elsewhere, env=environment, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    (folder,) = (elsewhere / "out").iterdir()
    key = json.loads((folder / "key.json").read_text())
    assert len(key["students"]) == 2
    # The installed copy, not the checkout, did the work.
    where = subprocess.run(
        [str(python), "-c", "import generator; print(generator.__file__)"],
        cwd=elsewhere, env=environment, capture_output=True, text=True, check=True,
    ).stdout
    assert str(ROOT) not in where and str(source) not in where
    new = subprocess.run(
        [str(env_dir / "bin" / "examgen"), "new", "my-family", "--dir", "families"],
        cwd=elsewhere, env=environment, capture_output=True, text=True,
    )
    assert new.returncode == 0 and (elsewhere / "families" / "my-family" / "family.py").is_file()
