"""Limits and defaults that ``examgen --help`` shows, in a module that imports nothing heavy.

The CLI needs these when it declares its options, before any command runs; the modules that use
them (seeding, choices, check, site, scaffold, spec) import sympy, numpy or jinja2, which would
make every ``examgen --help`` pay for them. Each constant lives here once and is re-exported by
the module it belongs to.
"""

from __future__ import annotations

import os

#: Largest exam seed (numpy's SeedSequence takes any non-negative integer; 64 bits is plenty).
MAX_SEED = 2**63 - 1
#: The most students one build takes (``--count`` and rosters): a class, not a stress test.
MAX_STUDENTS = 10_000
#: The answer forms a spec slot can ask for (``form = "…"``): every family has its own (its
#: ``FORM``); families with named misconceptions can also be asked as ``"choice"``.
FORMS = ("free", "choice", "true-false")
#: The answer kinds ``examgen new`` scaffolds.
ANSWERS = ("number", "vector", "choice", "bool")
#: ``examgen check``: variants per family, and the class ``--class-size`` means by default.
CHECK_VARIANTS = 1000
CHECK_CLASS_SIZE = 300
#: Variants of each course family `examgen check` has pdflatex typeset (generator.typeset_sample):
#: about a second of pdflatex per form, run beside the sampling.
CHECK_TYPESET = 12
#: ``examgen site``: pre-built variants per problem.
SITE_VARIANTS = 50


def shipped_dir(name: str) -> str:
    """``templates`` or ``specs``: inside the package when installed from a wheel (setup.py
    copies them in), else the repository's top-level folder, their one source. A string, as
    ``--help`` shows it: pathlib (and urllib.parse, ipaddress, fnmatch behind it) would add a
    sixth to the time ``examgen --help`` takes; the modules that work with it wrap it in a Path."""
    package = os.path.dirname(os.path.realpath(__file__))
    inside = os.path.join(package, name)
    return inside if os.path.isdir(inside) else os.path.join(os.path.dirname(package), name)


DEFAULT_SPEC = os.path.join(shipped_dir("specs"), "lecture-14-quiz.toml")
