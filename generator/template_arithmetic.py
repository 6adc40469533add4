"""Arithmetic written in a family's template, found for ``examgen check``.

A template only formats: the answer and every step of the worked solution come from one exact
computation in ``solve``, so they cannot disagree. A value a template works out itself
(``((( params.a * params.x0 )))``) is computed a second time, outside the key, outside the
budget and the re-check. It renders, and may even print the right number, so nothing else
catches it; ``check`` fails on it, naming the line.

What counts is what computes a value to print: the arithmetic operators, a unary minus on a
value, the filters that compute (``sum``, ``abs``, ``round``, ``max``, ``min``, also applied by
``map``) or drop exactness (``float``, ``int``: ``5/3|int`` prints 1), and a call of a value's
arithmetic method (``x.__truediv__(3)``, sympy's ``evalf``), also when Jinja's ``attr`` filter
looks it up (``x|attr("__truediv__")(3)``). So do a format that converts a number (``%d``,
``%.3f``, ``{:.2f}``: ``"%d"|format(3/4)`` prints 0, ``%.3f`` a decimal, as ``|int`` and
``|float`` do), whether by ``%``, ``|format`` or ``.format()``, and the first or last of a sorted
list (``|sort|first`` is ``|min``). Not counted: ``+`` joining strings, ``%`` or ``|format``
putting text into a string (``%s``), comparisons (a template chooses its words), and arithmetic
inside ``[…]``, which finds an item (``steps.z[f.layer - 1]``) rather than a value to print.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import jinja2
import jinja2.nodes as nodes

#: Operators, by the node Jinja parses them to, with what a message calls them.
OPERATORS: dict[type[nodes.Expr], str] = {
    nodes.Add: "'+'",
    nodes.Sub: "'-'",
    nodes.Mul: "'*'",
    nodes.Div: "'/'",
    nodes.FloorDiv: "'//'",
    nodes.Mod: "'%'",
    nodes.Pow: "'**'",
    nodes.Neg: "a unary '-'",
}
#: Filters that compute a value or make an exact one a float or an integer.
COMPUTING_FILTERS = frozenset({"sum", "abs", "round", "float", "int", "max", "min"})
#: Methods of a value that compute another (sympy's, beside Python's ``__add__`` and kin).
COMPUTING_METHODS = frozenset({"evalf", "n", "subs", "simplify", "expand", "factor", "doit"})
#: A ``%`` conversion that turns a number into an integer or a decimal (not ``%s``, ``%r``).
NUMBER_CONVERSION = re.compile(r"%[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGc]")
#: A ``str.format`` field whose spec does the same (``{:.2f}``, ``{0:d}``).
NUMBER_FIELD = re.compile(r"\{[^{}]*:[^{}]*[bcdeEfFgGnoxX%]\}")


def _is_string(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and isinstance(node.value, str)


def _number_format(node: nodes.Node, pattern: re.Pattern[str]) -> str | None:
    """The conversion of a number in ``node``, a format string written in the template."""
    if not _is_string(node):
        return None
    found = pattern.search(node.value)
    return found.group() if found else None


def _computes(node: nodes.Node) -> str | None:
    """What ``node`` computes, for the message; ``None``: it does not."""
    if isinstance(node, nodes.Filter):
        if node.name in COMPUTING_FILTERS:
            return f"'|{node.name}'"
        if node.name == "format" and (conversion := _number_format(node.node, NUMBER_CONVERSION)):
            return f"'|format' with '{conversion}'"
        sorted_list = isinstance(node.node, nodes.Filter) and node.node.name == "sort"
        if node.name in ("first", "last") and sorted_list:
            return f"'|sort|{node.name}'"
        applied = node.args[0] if node.name == "map" and node.args else None
        if isinstance(applied, nodes.Const) and applied.value in COMPUTING_FILTERS:
            return f"'|map({applied.value})'"
        return None
    if isinstance(node, nodes.Call):
        method = _method_called(node)
        if method == "format" and isinstance(node.node, nodes.Getattr):
            conversion = _number_format(node.node.node, NUMBER_FIELD)
            if conversion is not None:
                return f"'.format()' with '{conversion}'"
        if method is not None and (
            method in COMPUTING_METHODS or (method.startswith("__") and method.endswith("__"))
        ):
            return f"'.{method}()'"
        return None
    what = OPERATORS.get(type(node))
    if what is None:
        return None
    if isinstance(node, nodes.Neg):
        return None if isinstance(node.node, nodes.Const) else what  # -1 is a number as written
    if isinstance(node, nodes.Add) and (_is_string(node.left) or _is_string(node.right)):
        return None  # joins strings
    if isinstance(node, nodes.Mod) and _is_string(node.left):
        conversion = _number_format(node.left, NUMBER_CONVERSION)
        return None if conversion is None else f"'%' with '{conversion}'"  # else: puts in text
    return what


def _method_called(call: nodes.Call) -> str | None:
    """The name of the method ``call`` calls, looked up as ``x.m`` or ``x|attr("m")``."""
    callee = call.node
    if isinstance(callee, nodes.Getattr):
        return callee.attr
    if isinstance(callee, nodes.Filter) and callee.name == "attr" and len(callee.args) == 1:
        name = callee.args[0]
        if isinstance(name, nodes.Const) and isinstance(name.value, str):
            return name.value
    return None


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    """Every node under ``node`` except what lies in a subscript's index."""
    for child in node.iter_child_nodes():
        yield child
        if isinstance(child, nodes.Getitem):
            yield from _walk(child.node)  # not child.arg: the index
        else:
            yield from _walk(child)


def template_arithmetic(environment: jinja2.Environment, source: str) -> list[tuple[int, str]]:
    """The lines of ``source`` that compute, with what each computes first, in line order;
    nothing for a template Jinja cannot parse (rendering names that error)."""
    try:
        tree = environment.parse(source)
    except jinja2.TemplateSyntaxError:
        return []
    found: dict[int, str] = {}
    for node in _walk(tree):
        what = _computes(node)
        if what is not None:
            found.setdefault(node.lineno, what)
    return sorted(found.items())
