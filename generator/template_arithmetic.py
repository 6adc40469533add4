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
list (``|sort|first`` is ``|min``).

Beyond those named operations, a value of the family's (``params``, ``steps``, ``answer``, and
what a loop, a ``set`` or a macro's argument takes from them) may only go through an allow-list:

- filters that print it (``|tex``, ``|tex_paren``, ``|tup``, … , ``|join``, escaping) or choose
  and arrange its items without changing one (``|length``, ``|first``, ``|map(attribute=…)``);
  any other (``|replace``, ``|wordcount``, ``|batch``) computes;
- once printed, its text (``steps.g|tex``, a macro's output) may only be escaped or trimmed:
  ``|replace("-", "")``, ``[1:]`` or ``|length`` on it make another number or count its
  characters;
- a call is a macro's (the template's own, an imported library's such as ``M.answer_line``,
  ``caller()``), a mapping's ``items()``, or a written string's ``format``/``join``; any other
  call (``x.p.bit_length()``, ``range(…)``, ``namespace(…)``) computes;
- a test asks what a value is or compares it (``is defined``, ``is none``, ``==``); ``is odd``,
  ``is even`` and ``is divisibleby 3`` compute, as ``%`` does;
- a ``[…]`` index finds an item when it is written (``[0]``, ``["x"]``, ``[1:]``) or computed
  from loop variables (``steps.z[f.layer - 1]``, ``[loop.index0]``); one computed from a value
  (``range(100)[params.x * 2 + 50]``, ``steps.z[params.k]``) computes.

Some rules need to know whether a value is a number, which only a variant tells (``answer.value``
is a number in one family and a letter in another): given one variant's values, a number's
attributes (``params.x.is_negative``, ``params.p.q``) compute, and a number enters text only as
printed by examgen's math filters: ``params.x ~ "0"`` (prints -60 for -6), ``"%s" % x``,
``.format(x)``, ``x|string`` or ``x|e`` join or print Python's text of it, which no check reads.
Not counted: ``+`` joining strings, comparisons (a template chooses its words), and printing a
value whole (``((( steps.count )))``).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterator, Mapping
from typing import Any

import jinja2
import jinja2.nodes as nodes
import sympy
from jinja2.environment import TemplateModule

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

#: The names a family's template is given its values by.
ROOTS = frozenset({"params", "steps", "answer"})
#: examgen's filters that print a number (or a vector, a data set) as math.
MATH_FILTERS = frozenset(
    {"tex", "tex_paren", "tex_term", "tex_inline", "tup", "col", "pairs", "ordinal"}
)
#: Filters that print a value as text (examgen's math ones among them) or escape it.
PRINTING_FILTERS = MATH_FILTERS | {
    "join_and", "join", "string", "text", "e", "escape", "forceescape", "safe",
}  # fmt: skip
#: Filters that choose or arrange a value's items without changing one, or count them.
SELECTING_FILTERS = frozenset(
    {
        "attr", "batch", "count", "d", "default", "dictsort", "first", "groupby", "items", "last",
        "length", "list", "map", "reject", "rejectattr", "reverse", "select", "selectattr",
        "slice", "sort", "trim", "unique",
    }
)  # fmt: skip
#: What a number may go through: examgen's math filters, and a default where it is missing.
NUMBER_FILTERS = MATH_FILTERS | {"default", "d"}
#: What may be done to a value's printed text: escaping and trimming change no number in it.
TEXT_FILTERS = frozenset({"e", "escape", "forceescape", "safe", "string", "text", "trim"})
#: Tests that ask what a value is or compare it; the others (``odd``, ``divisibleby``) compute.
ASKING_TESTS = frozenset(
    {
        "boolean", "callable", "defined", "undefined", "escaped", "false", "true", "none",
        "number", "integer", "float", "string", "mapping", "iterable", "sequence", "sameas",
        "in", "filter", "test", "lower", "upper", "eq", "equalto", "==", "ne", "!=", "lt",
        "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=",
    }
)  # fmt: skip
#: A mapping's methods a template may call, to loop over its items.
ITEM_METHODS = frozenset({"items", "keys", "values"})
#: Methods of a string written in the template (``"{} = {}".format(…)``, ``", ".join(…)``).
STRING_METHODS = frozenset({"format", "join"})
#: Names that call macros without being bound in the template: a block's ``caller()``, a
#: parent block's ``super()``, this template's blocks (``self.statement()``), Jinja's ``loop``
#: (``loop.cycle``).
MACRO_NAMES = frozenset({"caller", "super"})
MACRO_HOLDERS = frozenset({"self", "loop"})

#: What an expression holds: nothing of the family's (a literal, a loop counter), one of its
#: values (a number, a list, a step's object), or text printed from one (``steps.g|tex``).
OWN, VALUE, TEXT = 0, 1, 2
#: A value no variant tells (no variant given, a macro's argument).
UNKNOWN: Any = object()


def _is_string(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and isinstance(node.value, str)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number | sympy.Basic) and not isinstance(value, bool)


def _number_format(node: nodes.Node, pattern: re.Pattern[str]) -> str | None:
    """The conversion of a number in ``node``, a format string written in the template."""
    if not _is_string(node):
        return None
    found = pattern.search(node.value)
    return found.group() if found else None


def _computes(node: nodes.Node) -> str | None:
    """What ``node`` computes by a named operation, for the message; ``None``: nothing."""
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
    """Every node under ``node`` except what lies in a subscript's index (``_Names.index``
    judges an index whole)."""
    for child in node.iter_child_nodes():
        yield child
        if isinstance(child, nodes.Getitem):
            yield from _walk(child.node)  # not child.arg: the index
        else:
            yield from _walk(child)


def _names(target: nodes.Node) -> list[str]:
    """The names a ``for`` or ``set`` target binds (``k, v`` too)."""
    if isinstance(target, nodes.Name):
        return [target.name]
    return [n.name for n in target.find_all(nodes.Name)]


class _Names:
    """What a template's names hold (``OWN``, ``VALUE``, ``TEXT``), which are loop variables,
    which call macros, and, given a variant's ``values``, what a value expression is in it."""

    def __init__(
        self, environment: jinja2.Environment, tree: nodes.Template, values: Mapping[str, Any]
    ) -> None:
        self.environment, self.values = environment, values
        #: Per name, what binds it: an expression (a ``set``'s value, a loop's iterable, with
        #: whether it is a loop) or a kind (a macro's argument, a ``set`` block).
        self.bound: dict[str, list[tuple[nodes.Expr | int, bool]]] = {}
        self.loops: set[str] = set()
        self.macros = set(MACRO_NAMES)
        self.holders = set(MACRO_HOLDERS) | {
            name for name, value in environment.globals.items() if isinstance(value, TemplateModule)
        }
        for node in tree.find_all(
            (nodes.For, nodes.Assign, nodes.AssignBlock, nodes.Macro, nodes.CallBlock)
        ):
            if isinstance(node, nodes.For):
                self.loops.update(_names(node.target))
                for name in _names(node.target):
                    self.bound.setdefault(name, []).append((node.iter, True))
            elif isinstance(node, nodes.Assign):
                for name in _names(node.target):
                    self.bound.setdefault(name, []).append((node.node, False))
            elif isinstance(node, nodes.AssignBlock):
                for name in _names(node.target):
                    self.bound.setdefault(name, []).append((TEXT, False))
            else:  # a macro's (or a call block's) arguments hold what its callers pass
                if isinstance(node, nodes.Macro):
                    self.macros.add(node.name)
                for arg in node.args:
                    self.bound.setdefault(arg.name, []).append((VALUE, False))
        for node in tree.find_all(nodes.Import):
            self.holders.add(node.target)
        for node in tree.find_all(nodes.FromImport):
            self.macros.update(n if isinstance(n, str) else n[1] for n in node.names)
        self._resolving: set[str] = set()

    # --- what an expression holds -------------------------------------------------------------
    def kind(self, node: nodes.Node) -> int:
        """``OWN``, ``VALUE`` or ``TEXT``: what ``node`` holds of the family's values."""
        if isinstance(node, nodes.Name):
            return self._name_kind(node.name)
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            return self.kind(node.node)
        if isinstance(node, nodes.Filter):
            held = OWN if node.node is None else self.kind(node.node)
            if held == OWN:
                return OWN
            if node.name in ("length", "count"):
                return OWN  # a count of items
            return TEXT if held == TEXT or node.name in PRINTING_FILTERS else VALUE
        if isinstance(node, nodes.Call):
            if self._macro_call(node):
                return TEXT
            return max((self.kind(c) for c in node.iter_child_nodes()), default=OWN)
        if isinstance(node, nodes.Concat):
            return TEXT if any(self.kind(n) for n in node.nodes) else OWN
        if isinstance(node, nodes.Compare | nodes.Test | nodes.Not | nodes.Const):
            return OWN
        if isinstance(node, nodes.CondExpr):
            return max(self.kind(node.expr1), OWN if node.expr2 is None else self.kind(node.expr2))
        return max((self.kind(c) for c in node.iter_child_nodes()), default=OWN)

    def _name_kind(self, name: str) -> int:
        if name in ROOTS:
            return VALUE
        if name in self._resolving:  # ((* set x = x ~ "." *))
            return OWN
        self._resolving.add(name)
        try:
            kinds = [b if isinstance(b, int) else self.kind(b) for b, _ in self.bound.get(name, ())]
        finally:
            self._resolving.discard(name)
        return max(kinds, default=OWN)

    def sample(self, node: nodes.Node) -> Any:
        """What ``node`` is in the variant given, looked up as Jinja would; ``UNKNOWN`` where
        the variant does not tell (no variant, a macro's argument, an item found by a loop)."""
        try:
            if isinstance(node, nodes.Name):
                return self._name_sample(node.name)
            if isinstance(node, nodes.Getattr):
                return self._lookup(self.sample(node.node), node.attr)
            if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
                return self._lookup(self.sample(node.node), node.arg.value, item=True)
            if isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
                name = node.args[0]
                if isinstance(name, nodes.Const) and isinstance(name.value, str):
                    return self._lookup(self.sample(node.node), name.value)
        except Exception:
            return UNKNOWN
        return UNKNOWN

    def _name_sample(self, name: str) -> Any:
        bound = self.bound.get(name, ())
        if not bound:
            return self.values.get(name, UNKNOWN) if name in ROOTS else UNKNOWN
        if len(bound) != 1 or isinstance(bound[0][0], int) or name in self._resolving:
            return UNKNOWN
        expression, loop = bound[0]
        self._resolving.add(name)
        try:
            found = self.sample(expression)
        finally:
            self._resolving.discard(name)
        if not loop:
            return found
        return found[0] if isinstance(found, list | tuple) and found else UNKNOWN

    def _lookup(self, holder: Any, name: Any, item: bool = False) -> Any:
        if holder is UNKNOWN:
            return UNKNOWN
        found = (
            self.environment.getitem(holder, name)
            if item
            else self.environment.getattr(holder, name)
        )
        return UNKNOWN if isinstance(found, jinja2.Undefined) else found

    def number(self, node: nodes.Node) -> bool:
        """Whether ``node`` is one of the family's values that the variant shows is a number."""
        return self.kind(node) == VALUE and _is_number(self.sample(node))

    # --- calls and indices --------------------------------------------------------------------
    def _macro_call(self, call: nodes.Call) -> bool:
        callee = call.node
        if isinstance(callee, nodes.Name):
            return callee.name in self.macros
        return (
            isinstance(callee, nodes.Getattr)
            and isinstance(callee.node, nodes.Name)
            and callee.node.name in self.holders
        )

    def call(self, call: nodes.Call) -> str | None:
        """A call that is no macro's, nor a mapping's ``items()``, nor a written string's
        ``format`` or ``join``, as the message names it."""
        if self._macro_call(call):
            return None
        callee = call.node
        if isinstance(callee, nodes.Getattr):
            if _is_string(callee.node) and callee.attr in STRING_METHODS:
                if any(self.number(a) for a in [*call.args, *(k.value for k in call.kwargs)]):
                    return f"'.{callee.attr}()' with a number"
                return None
            if callee.attr in ITEM_METHODS and not call.args and not call.kwargs:
                return None
            return f"a call of '{callee.attr}'"
        if isinstance(callee, nodes.Name):
            return f"a call of '{callee.name}'"
        return "a call"

    def index(self, item: nodes.Getitem) -> str | None:
        """A ``[…]`` that does not find an item: one on printed text, or one whose index is
        neither written nor computed from loop variables."""
        if self.kind(item.node) == TEXT:
            return "'[…]' on a value's printed text"
        finding = (nodes.Const, nodes.Slice, nodes.Getattr, nodes.Getitem, nodes.Pos, nodes.Tuple)
        for node in [item.arg, *item.arg.find_all(nodes.Node)]:
            if isinstance(node, nodes.Name):
                if node.name not in self.loops and self._name_kind(node.name) != OWN:
                    return f"an index computed from '{node.name}'"
            elif not isinstance(node, finding) and type(node) not in OPERATORS:
                return "an index computed by the template"
        return None

    # --- the rules ----------------------------------------------------------------------------
    def computes(self, node: nodes.Node) -> str | None:
        """What ``node`` computes, for the message; ``None``: it does not."""
        named = _computes(node)
        if named is not None:
            return named
        if isinstance(node, nodes.Filter):
            return self._filter(node)
        if isinstance(node, nodes.Call):
            return self.call(node)
        if isinstance(node, nodes.Getitem):
            return self.index(node)
        if isinstance(node, nodes.Getattr) and self.number(node.node):
            return f"'.{node.attr}' of a number"
        if isinstance(node, nodes.Concat) and any(self.number(n) for n in node.nodes):
            return "'~' with a number"
        if isinstance(node, nodes.Mod) and _is_string(node.left):
            put = node.right.items if isinstance(node.right, nodes.Tuple) else [node.right]
            return "'%' with a number" if any(self.number(n) for n in put) else None
        if isinstance(node, nodes.Test) and node.name not in ASKING_TESTS:
            return f"'is {node.name}'"
        if isinstance(node, nodes.For) and self.kind(node.iter) == TEXT:
            return "a loop over a value's printed text"
        return None

    def _filter(self, node: nodes.Filter) -> str | None:
        if node.node is None:  # a filter block's: its text is the template's
            return None
        held = self.kind(node.node)
        if held == TEXT and node.name not in TEXT_FILTERS:
            return f"'|{node.name}' on a value's printed text"
        if held == VALUE:
            if node.name not in PRINTING_FILTERS | SELECTING_FILTERS:
                return f"'|{node.name}'"
            if self.number(node.node) and node.name not in NUMBER_FILTERS:
                name = node.args[0] if node.name == "attr" and node.args else None
                if isinstance(name, nodes.Const):
                    return f"'.{name.value}' of a number"
                return f"'|{node.name}' of a number"
            applied = node.args[0] if node.name == "map" and node.args else None
            if isinstance(applied, nodes.Const) and applied.value not in (
                PRINTING_FILTERS | SELECTING_FILTERS
            ):
                return f"'|map({applied.value})'"
        if node.name == "format" and any(
            self.number(a) for a in [*node.args, *(k.value for k in node.kwargs)]
        ):
            return "'|format' with a number"
        return None


def template_arithmetic(
    environment: jinja2.Environment, source: str, values: Mapping[str, Any] | None = None
) -> list[tuple[int, str]]:
    """The lines of ``source`` that compute, with what each computes first, in line order;
    nothing for a template Jinja cannot parse (rendering names that error). ``values``: one
    variant's ``params``, ``steps`` and ``answer``, which tell numbers from text; without them
    the rules that need to know are not applied."""
    try:
        tree = environment.parse(source)
    except jinja2.TemplateSyntaxError:
        return []
    names = _Names(environment, tree, values or {})
    found: dict[int, str] = {}
    for node in _walk(tree):
        what = names.computes(node)
        if what is not None:
            found.setdefault(node.lineno, what)
    return sorted(found.items())
