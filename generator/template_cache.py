"""Compiled templates kept between runs, so that a command does not compile Jinja's templates
again every time it starts.

Compiling the 28 templates a build renders takes about 0.09 s, in every process, before the
first student is written: a seventh of the time a 100-student build waits before its first
pdflatex run, as much again in every ``preview`` or ``export``. Jinja's own bytecode cache keeps
each template's compiled code in a file, checked against the template's source; here it is
also keyed by everything else that shapes the code, so that code compiled by another examgen,
another Jinja or another Python is never run:

- the source of the module that configures the environment and subclasses Jinja's compiler
  (``generator/render.py``: delimiters, options, ``CodeGenerator``), the Jinja version, Python's
  bytecode magic number, and the names of the filters and tests a template may use. These name
  the cache's folder: a change starts a new folder, and the old one is never read again.
- Within the folder, a template by its name and file (a course family's ``template.j2`` is its
  path); Jinja then checks the file's checksum, so an edited template compiles anew.

A cache is a convenience, never a condition: a folder that cannot be created or written, or a
file that cannot be read, means the template compiles as it would without one. Rendered output
is the same either way.

Where: ``$EXAMGEN_CACHE_DIR`` (empty: no cache), else ``$XDG_CACHE_HOME/examgen``, else
``~/.cache/examgen``; anything there can be deleted at any time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

#: Overrides where the cache goes; set it empty to turn the cache off.
CACHE_ENV = "EXAMGEN_CACHE_DIR"


def cache_dir() -> Path | None:
    """examgen's folder for what it can always make again, or None when there is none."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec: a relative path is to be ignored
        return Path(xdg) / "examgen"
    try:
        return Path.home() / ".cache" / "examgen"
    except RuntimeError:  # no home folder to be found
        return None


def code_salt(environment: jinja2.Environment, configuration: bytes) -> str:
    """What, besides a template's own source, decides the code Jinja compiles it to:
    ``configuration`` (the source that sets the environment up), Jinja, Python's bytecode
    format, and the filters and tests templates may name (Jinja checks those at compile time)."""
    digest = hashlib.sha256(configuration)
    for part in (
        jinja2.__version__.encode(),
        importlib.util.MAGIC_NUMBER,
        " ".join(sorted(environment.filters)).encode(),
        " ".join(sorted(environment.tests)).encode(),
    ):
        digest.update(b"\0" + part)
    return digest.hexdigest()[:24]


class TemplateBytecode(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache in ``folder``, created on first use, which treats every failure to
    read or write as a miss (Jinja's own would raise out of loading a template)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder), "%s.jinja")
        self.folder = folder

    @classmethod
    def for_environment(
        cls, environment: jinja2.Environment, configuration: bytes
    ) -> TemplateBytecode | None:
        """The cache for templates compiled by ``environment`` (see ``code_salt``), or None
        when examgen has no cache folder."""
        base = cache_dir()
        if base is None:
            return None
        return cls(base / "templates" / code_salt(environment, configuration))

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return hashlib.sha256(f"{name}\0{filename}".encode()).hexdigest()[:32]

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable, or damaged (unpickling may raise anything): compile,
            bucket.reset()  # and the next dump replaces the file

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass  # read-only, full, or not a folder: the template is compiled; keep going
