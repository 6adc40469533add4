"""The wheel carries the repository's top-level ``templates/`` and ``specs/`` inside the
``generator`` package; the repository keeps one copy of each (the source of truth), and an
editable install reads them where they are (see ``generator.render.templates_dir``)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("templates", "specs")


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        for name in SHIPPED:
            target = Path(self.build_lib) / "generator" / name
            shutil.copytree(root / name, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPy})
