"""What a family's author reads when a template asks for a name that is not there.

Jinja's own message names the object by its Python class path: a course folder's ``params.q``
read ``'examgen_course_families.momentum_step_a75c0b7bf427.Params object' has no attribute 'q'``,
a module name examgen makes up when it loads the folder. The author wrote ``params``, and wants
to know which names there are and which one was meant: the message says that instead.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2

#: Names listed in full up to this many; past it, only the close ones (a macro library is long).
LISTED_NAMES = 12

#: What a template calls the objects a render hands it (``render.Problem.render``), by class.
_TEMPLATE_NAMES = {"Params": "params", "Answer": "answer"}


def _names(obj: Any) -> tuple[str, list[str]] | None:
    """What ``obj`` is, for the author, and the names a template can read from it; ``None``:
    not one whose names can be listed."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        # The multiple-choice form's params subclass the family's (``MseValueChoices``).
        named = (_TEMPLATE_NAMES.get(k.__name__) for k in type(obj).__mro__)
        kind = next((n for n in named if n), type(obj).__name__)
        return kind, [f.name for f in dataclasses.fields(obj)]
    if isinstance(obj, Mapping):
        return "this dict", [k for k in obj if isinstance(k, str)]
    if isinstance(obj, jinja2.environment.TemplateModule):
        template = getattr(obj, "__name__", None) or "the imported template"
        exported = [n for n, v in vars(obj).items() if isinstance(v, jinja2.runtime.Macro)]
        return template, sorted(exported)
    return None


def _listed(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(n) for n in close)}? " if close else ""
    if not names:
        return hint + "it has no names"
    if len(names) <= LISTED_NAMES:
        return hint + "its names: " + ", ".join(names)
    return hint + f"it has {len(names)} names"


def missing_name_message(obj: Any, name: Any) -> str:
    """The one-line message for ``obj.name`` (or ``obj[name]``) that is not there."""
    kind = type(obj).__name__
    if not isinstance(name, str):
        size = f" (it has {len(obj)})" if isinstance(obj, Sequence) else ""
        return f"{kind} has no element {name!r}{size}"
    described = _names(obj)
    if described is None:
        return f"{kind} has no attribute {name!r}"
    what, names = described
    return f"{what} has no {name!r}; {_listed(name, names)}"


class TemplateUndefined(jinja2.StrictUndefined):
    """Jinja's strict undefined (every use of a missing name is an error) with the message
    above."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint or self._undefined_obj is jinja2.utils.missing:
            return super()._undefined_message
        return missing_name_message(self._undefined_obj, self._undefined_name)
