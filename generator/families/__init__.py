"""The family registry: every public module in this package that defines a ``Family`` subclass.

Discovery means a new family is one new module (and its template); the contract tests pick it up
without a list to edit. Modules starting with ``_`` hold shared code and are skipped.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from generator.errors import ExamgenError
from generator.families.base import Family


@cache
def registry() -> dict[str, Family]:
    found: dict[str, Family] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_") or module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Family)
                and obj.__module__ == module.__name__
                and getattr(obj, "ID", None)
            ):
                if obj.ID in found:
                    raise RuntimeError(f"two families share the ID {obj.ID!r}")
                found[obj.ID] = obj()
    return dict(sorted(found.items()))


def get_family(family_id: str) -> Family:
    families = registry()
    if family_id not in families:
        raise ExamgenError(
            f"unknown family {family_id!r}; known families: {', '.join(families)} "
            "(see `examgen list`)"
        )
    return families[family_id]
