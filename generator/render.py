"""Jinja2 environments, one per output format, and the filters templates format values with.

Each format's environment searches its own folder first (``templates/latex`` or
``templates/markdown``) and then ``templates/``, so one family template renders to either format:
``problem.j2`` and ``macros.j2`` are the small per-format layer. Delimiters are LaTeX-safe
(``((* *))``, ``((( )))``, ``((= =))``), undefined names are errors, and nothing is autoescaped:
text from outside (student names, titles) goes through the ``text`` filter, which escapes for the
format at hand. Templates only format; every number arrives already computed. A third format,
``html`` (``templates/html``), renders the same family templates for LMS export.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.runtime
import sympy
from jinja2.utils import internalcode

from generator.bank import prose_markup
from generator.defaults import shipped_dir
from generator.errors import ExamgenError, innermost_frame
from generator.exact import latex, rational
from generator.htmlmath import escape_html
from generator.htmlmath import finish as finish_html
from generator.template_cache import TemplateBytecode
from generator.template_names import TemplateUndefined
from generator.tex_unicode import unicode_latex

if TYPE_CHECKING:
    from generator.families.base import Family, Variant

Format = Literal["latex", "markdown", "html"]
#: The formats a build writes for every student; ``html`` is for LMS export (generator.export).
FORMATS: tuple[Format, ...] = ("latex", "markdown")
EXTENSIONS: dict[Format, str] = {"latex": "tex", "markdown": "md", "html": "html"}


def templates_dir() -> Path:
    """The per-format layer and the shared partials: the project's ``templates/``."""
    return Path(shipped_dir("templates"))


class FamilyTemplates(jinja2.BaseLoader):
    """Each family's own ``template.j2``, named by its path: a family's template lives in its
    folder (built-in or a course's), beside ``family.py``, and is *added* to the format layer, so
    it extends ``problem.j2`` and imports ``macros.j2`` like any other. Error messages then name
    the template file itself."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = Path(template)
        if not (path.is_absolute() and path.name == "template.j2" and path.is_file()):
            raise jinja2.TemplateNotFound(template)
        source = path.read_text(encoding="utf-8")
        markup = template_prose_markup(environment, source)
        if markup is not None:
            line, problem = markup
            raise jinja2.TemplateSyntaxError(problem, line, template, str(path))
        unfilled = unfilled_block(environment, source)
        if unfilled is not None:
            line, problem = unfilled
            raise UnfilledBlock(problem, line, template, str(path))
        return source, str(path), lambda: True


class UnfilledBlock(jinja2.TemplateSyntaxError):
    """A family template that leaves ``statement`` or ``solution`` unfilled (``unfilled_block``):
    valid Jinja, so no syntax error, but every command refuses it."""


#: Blocks whose text is not prose: a macro's body and a ``call`` block's are passed to a macro,
#: which may print them inside math (a chain-rule factor's ``\frac``).
_NOT_PROSE = {"macro": 1, "endmacro": -1, "call": 1, "endcall": -1}


def template_prose_markup(environment: jinja2.Environment, source: str) -> tuple[int, str] | None:
    """The line of a family template's text that one format would print otherwise than written,
    and why (``bank.prose_markup``): the template's own words reach every format unescaped, so
    a ``%`` cut a PDF's line short and an ``a<b`` hid text in HTML while `check` said OK. Each
    printed value counts as a digit."""
    pieces: list[tuple[int, str]] = []  # (line, text) of what the template prints as written
    depth, after_block = 0, False
    for line, kind, value in environment.lex(source):
        if after_block and kind == "name":
            depth += _NOT_PROSE.get(value, 0)
        if kind != "whitespace":
            after_block = kind == "block_begin"
        if depth == 0 and kind == "data":
            pieces.append((line, value))
        elif depth == 0 and kind == "variable_begin":
            pieces.append((line, "0"))
    text = "".join(value for _, value in pieces)
    found = prose_markup(text)
    if found is None:
        return None
    index, problem = found
    for line, value in pieces:
        if index < len(value):
            return line + value.count("\n", 0, index), problem
        index -= len(value)
    return None  # pragma: no cover - the index is inside the text


#: The blocks a family template must fill: ``problem.j2`` prints them as the question's text and
#: its worked solution.
FILLED_BLOCKS = ("statement", "solution")


def unfilled_block(environment: jinja2.Environment, source: str) -> tuple[int, str] | None:
    """The line of a family template that leaves one of ``FILLED_BLOCKS`` unfilled, and why: a
    block named otherwise (``statment``) than the blocks of the template it extends prints
    nowhere, and a missing or empty one prints nothing, so every command printed an empty
    question (``### Question 1`` followed by the next) or an empty solution while `check` said
    OK. A template that extends nothing (an empty one too) printed its text alone: no question
    header, no points, no answer. One whose parent is a name only known when rendering is not
    judged."""
    try:
        tree = environment.parse(source)
    except jinja2.TemplateSyntaxError:
        return None  # compiling it reports the error, with its line
    rule = "a family template fills " + " and ".join(FILLED_BLOCKS) + " (docs/authoring.md)"
    extends = tree.find(jinja2.nodes.Extends)
    if extends is None:
        return 1, (
            'it does not extend problem.j2, so the question prints without its header, points '
            f'or answer; begin it with ((* extends "problem.j2" *)): {rule}'
        )
    if not isinstance(extends.template, jinja2.nodes.Const):
        return None
    parent = extends.template.value
    offered, filled = _inherited_blocks(environment, parent)
    own = list(tree.find_all(jinja2.nodes.Block))
    for block in own:
        if block.name not in offered:
            close = difflib.get_close_matches(block.name, offered, n=1, cutoff=0.6)
            rename = f"rename it ((* block {close[0]} *))" if close else rule
            return block.lineno, (
                f"block '{block.name}' is not a block of {parent}, so it prints nowhere; {rename}"
            )
    names = {block.name: block for block in own}
    for name in FILLED_BLOCKS:
        if name not in offered:
            continue
        if name not in names and name not in filled:
            return extends.lineno, (
                f"no block '{name}', so the question prints an empty {name}; {rule}: add "
                f"((* block {name} *)) … ((* endblock *))"
            )
        if name in names and _prints_nothing(names[name]):
            return names[name].lineno, (
                f"block '{name}' is empty, so the question prints an empty {name}; {rule}"
            )
    return None


def _prints_nothing(block: jinja2.nodes.Block) -> bool:
    """Whether a block holds nothing but blank text (and comments, which the parser drops)."""
    for node in block.body:
        if not isinstance(node, jinja2.nodes.Output):
            return False
        for child in node.nodes:
            if not (isinstance(child, jinja2.nodes.TemplateData) and not child.data.strip()):
                return False
    return True


def _inherited_blocks(
    environment: jinja2.Environment, name: str
) -> tuple[frozenset[str], frozenset[str]]:
    """The blocks a template extending ``name`` may fill, and those already filled on the way
    (by a template between it and the root, whose blocks are the empty defaults)."""
    offered: set[str] = set()
    filled: set[str] = set()
    seen = set()
    while name not in seen:
        seen.add(name)
        try:
            source, _, _ = environment.loader.get_source(environment, name)  # type: ignore[union-attr]
            tree = environment.parse(source)
        except jinja2.TemplateError:
            break  # loading the family template reports it
        blocks = {block.name for block in tree.find_all(jinja2.nodes.Block)}
        offered |= blocks
        up = tree.find(jinja2.nodes.Extends)
        if up is None or not isinstance(up.template, jinja2.nodes.Const):
            break
        filled |= blocks
        name = up.template.value
    return frozenset(offered), frozenset(filled)


def family_template_name(family: Family) -> str:
    return _template_file(family.FOLDER)


@lru_cache(maxsize=256)
def _template_file(folder: Path) -> str:
    return str(folder / "template.j2")


# --- escaping -----------------------------------------------------------------------------------
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "'": r"\textquotesingle{}",  # not a curly quote: names print as typed
    "`": r"\textasciigrave{}",
}
# One character class, not an alternation: the same matches, found by a single table lookup.
_LATEX_SPECIAL_RE = re.compile("[" + "".join(re.escape(c) for c in _LATEX_SPECIALS) + "]")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")
_LIGATURE_RE = re.compile(r"([-,])(?=[-,])")  # "--" and ",," would print as a dash and a quote
LONG_WORD = 24  # characters of a word before a break may go in
_BREAK = "\x00"  # control characters are folded to spaces first, so this one is free


#: Distinct texts each escape remembers: the spec's title, course and instructions recur in every
#: document, a student's name and variant code several times in each of theirs.
ESCAPED_TEXTS = 1024


def escape_latex(text: object) -> str:
    """Text that LaTeX prints literally: every special character neutralised, control
    characters (newlines included) folded to a space so no text can end a line or a command, and
    non-ASCII characters made printable by pdflatex (see ``generator.tex_unicode``)."""
    return _escaped_latex(str(text))


@lru_cache(maxsize=ESCAPED_TEXTS)
def _escaped_latex(text: str) -> str:
    text = _CONTROL_RE.sub(" ", unicodedata.normalize("NFC", text))
    text = _breakable(text)  # a 300-letter name still wraps
    text = _LATEX_SPECIAL_RE.sub(lambda m: _LATEX_SPECIALS[m.group()], text)
    text = _LIGATURE_RE.sub(r"\1{}", text)
    return unicode_latex(text).replace(_BREAK, r"\allowbreak{}")


def _breakable(text: str) -> str:
    """``text`` with a break allowed after every ``LONG_WORD`` characters of a word, never
    between a letter and its combining marks (which NFC leaves apart when no precomposed
    character exists, e.g. ``q̃``). A hyphen ends a word here, since TeX may break after it: a
    hyphenated name broke mid-word ("Konstantinopoulou-Vander" / "bilt-…"), which reads as two
    words, where it could have broken at a hyphen."""
    out = []
    run = 0
    for char in text:
        if char.isspace() or char == "-":
            run = 0
        elif run >= LONG_WORD and not unicodedata.category(char).startswith("M"):
            out.append(_BREAK)
            run = 1
        else:
            run += 1
        out.append(char)
    return "".join(out)


_MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]<>#|~$!&])")


def escape_markdown(text: object) -> str:
    """Text that Markdown (and its math extension) shows literally: ``&`` too, or a name such
    as ``&amp;`` would show as an entity's character."""
    return _escaped_markdown(str(text))


@lru_cache(maxsize=ESCAPED_TEXTS)
def _escaped_markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL_RE.sub(r"\\\1", _CONTROL_RE.sub(" ", text))


# --- math formatting ----------------------------------------------------------------------------
def tex_paren(value: sympy.Rational | int, inline: bool = False) -> str:
    """A number as a right operand: ``3`` or ``(-3)``, so ``0 - (-3)`` never reads ``0 - -3``;
    ``inline`` writes a fraction with a slash, for running text (``tex_inline``), bracketed."""
    number = rational(value)  # sympy keeps q > 0: the sign is p's
    if inline:  # 1/2 \cdot (3/2): a slashed fraction as an operand is bracketed too
        text = tex_inline(number)
        return f"({text})" if number.p < 0 or number.q != 1 else text
    text = latex(number)
    return f"({text})" if number.p < 0 else text


def tex_term(value: sympy.Rational | int) -> str:
    """A number as a term after another, its sign the operator: ``+ 3``, ``- 3``,
    ``- \\frac{1}{2}``, so a polynomial reads ``2 x^2 - 12 x``, not ``2 x^2 + (-12) x``."""
    number = rational(value)
    return f"{'-' if number.p < 0 else '+'} {latex(abs(number))}"


def tex_inline(value: sympy.Rational | int) -> str:
    """A number in running text: ``1/2``, not ``\frac{1}{2}``, which prints tiny inline (as the
    reference writes η = 1/2). Displays keep ``tex``."""
    number = rational(value)
    if number.q == 1:
        return str(number.p)
    return f"{'-' if number.p < 0 else ''}{abs(number.p)}/{number.q}"


def tuple_tex(values: Sequence[Any]) -> str:
    """A vector in running text, ``(9/4, -1)``: tuples are always inline."""
    seen = _tuples_seen.get(id(values))
    if seen is not None and seen[0] is values:
        return seen[1]
    return _remembered_vector(_tuple_tex, values, _tuples_seen)


def _tuple_tex(values: Sequence[Any]) -> str:
    return "(" + ", ".join(map(tex_inline, values)) + ")"


def column_tex(values: Sequence[Any]) -> str:
    seen = _columns_seen.get(id(values))
    if seen is not None and seen[0] is values:
        return seen[1]
    return _remembered_vector(_column_tex, values, _columns_seen)


def _column_tex(values: Sequence[Any]) -> str:
    return r"\begin{bmatrix}" + r"\\ ".join(map(latex, values)) + r"\end{bmatrix}"


#: Vectors ``tup`` and ``col`` remember the text of: a descent solution prints a dozen (the same
#: weights and gradients in both formats, and small values recur from student to student).
REMEMBERED_VECTORS = 4096
_vectors: dict[tuple[Any, ...], str] = {}
#: The tuples each of ``tup`` and ``col`` wrote last, by identity, with their texts: a solution's
#: steps hold their vectors as tuples, printed again by each format and version. An entry keeps
#: its tuple alive, so no other object has its ``id`` while it is remembered; a tuple of
#: Rationals cannot change.
_tuples_seen: dict[int, tuple[tuple[Any, ...], str]] = {}
_columns_seen: dict[int, tuple[tuple[Any, ...], str]] = {}


def _remembered_vector(
    write: Callable[[Sequence[Any]], str],
    values: Sequence[Any],
    seen: dict[int, tuple[tuple[Any, ...], str]],
) -> str:
    """``write(values)``, remembered by the numbers' values when every one is a sympy Rational:
    ``tex_inline`` and ``latex`` write a Rational from its numerator and denominator alone (a
    list or tuple of anything else is written afresh every time); a tuple is remembered in
    ``seen`` by identity as well. Full, a memory is emptied."""
    if type(values) is not list and type(values) is not tuple:
        return write(values)
    key: list[Any] = [write]
    for value in values:
        if not isinstance(value, sympy.Rational):
            return write(values)
        key.append(value.p)
        key.append(value.q)
    found = _vectors.get(remembered := tuple(key))
    if found is None:
        if len(_vectors) >= REMEMBERED_VECTORS:
            _vectors.clear()
        found = _vectors[remembered] = write(values)
    if type(values) is tuple:
        if len(seen) >= REMEMBERED_VECTORS:
            seen.clear()
        seen[id(values)] = (values, found)
    return found


def pairs_tex(points: Sequence[Sequence[Any]]) -> str:
    r"""A data set as ``(1, 3),\ (2, 3)``: ``\ `` survives GitHub's Markdown, which strips the
    backslash of ``\;`` inside inline math."""
    return r",\ ".join(tuple_tex(p) for p in points)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join_and(items: Sequence[Any]) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


FILTERS = {
    "tex": latex,
    "tex_paren": tex_paren,
    "tex_term": tex_term,
    "tex_inline": tex_inline,
    "tup": tuple_tex,
    "col": column_tex,
    "pairs": pairs_tex,
    "ordinal": ordinal,
    "join_and": join_and,
}
TEXT_ESCAPES = {"latex": escape_latex, "markdown": escape_markdown, "html": escape_html}
#: What a format does to a rendered template after Jinja (HTML: ``$…$`` → ``\(…\)``, ``<p>``).
FINISH = {"html": finish_html}


#: What ``getattr`` finds on a plain dict: its methods and the attributes every object has.
_DICT_ATTRIBUTES = frozenset(dir(dict))
_getattr = getattr  # the builtin, under the name ``Environment.getattr`` shadows


class Context(jinja2.runtime.Context):
    """Jinja's context, with a shorter way into a macro (a family render calls a dozen:
    ``M.answer_line``, ``D.point_gradients``, ``M.display`` around a ``call`` block, ...).

    Jinja calls a macro through ``Context.call`` (which asks the macro how it wants to be
    passed the context), ``Macro.__call__`` (which matches the arguments to the parameters,
    filling in defaults, the ``caller`` and ``varargs``/``kwargs``) and ``Macro._invoke``. When
    every parameter gets a positional argument and the macro takes no ``varargs``/``kwargs``,
    all that amounts to calling the macro's function with those arguments (and the ``caller``
    of a ``call`` block when the macro uses one), which is what this does; anything else
    (defaults, keyword arguments, a missing ``caller``, autoescaping, an error to report) goes
    through Jinja's own path. ``tests/test_remembered.py`` renders macros every way both paths.
    """

    @internalcode
    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's names)
        if type(__obj) is jinja2.runtime.Macro:
            arguments = _positional_macro_arguments(__obj, __self, args, kwargs)
            if arguments is not None:
                try:
                    return __obj._func(*arguments)
                except StopIteration:  # as Jinja's ``Context.call`` answers it
                    return __self.environment.undefined(
                        "value was undefined because a callable raised a StopIteration exception"
                    )
        return super().call(__obj, *args, **kwargs)


#: The keyword arguments Jinja's generated code passes to ``Context.call`` besides the caller.
_SCOPE_ARGUMENTS = frozenset({"_block_vars", "_loop_vars"})
_CALLER_ARGUMENTS = _SCOPE_ARGUMENTS | {"caller"}


def _positional_macro_arguments(
    macro: jinja2.runtime.Macro,
    context: jinja2.runtime.Context,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[Any, ...] | None:
    """The arguments ``Macro.__call__`` would pass the macro's function, when they are simply
    ``args`` (and the ``call`` block's ``caller``); ``None`` when Jinja must work them out."""
    if (
        len(args) != macro._argument_count
        or macro.catch_kwargs
        or macro.catch_varargs
        or macro.explicit_caller
        or context.eval_ctx.autoescape
        or macro._environment.is_async
    ):
        return None
    if macro.caller:  # a macro whose body calls ``caller()``: ``call`` blocks pass it one
        caller = kwargs.get("caller")
        if caller is None or not _CALLER_ARGUMENTS.issuperset(kwargs):
            return None
        return (*args, caller)
    if kwargs and not _SCOPE_ARGUMENTS.issuperset(kwargs):
        return None
    return args


class CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's compiler, writing ``steps.w1`` so that it is looked up in place, without calling
    ``Environment.getattr`` (a template render looks up dozens): on a plain dict (what
    families' steps and a document's students are made of) the key, else the attribute, else
    ``Environment.item_or_undefined``. That is what ``Environment.getattr`` finds, for a name
    that is not one of ``dict``'s attributes (those take the call), looking the attribute up as
    often and evaluating ``steps`` once. (An attribute whose value is Jinja's own ``missing``
    would be looked up as an item too.)"""

    @jinja2.compiler.optimizeconst
    def visit_Getattr(self, node: jinja2.nodes.Getattr, frame: jinja2.compiler.Frame) -> None:
        if self.environment.is_async or node.attr in _DICT_ATTRIBUTES:
            super().visit_Getattr(node, frame)
            return
        name = repr(node.attr)
        self.write(f"(_examgen_obj[{name}] if type(_examgen_obj := ")
        self.visit(node.node, frame)
        self.write(f") is dict and {name} in _examgen_obj else _examgen_found if ")
        self.write(f"(_examgen_found := getattr(_examgen_obj, {name}, missing)) is not missing ")
        self.write(f"else environment.item_or_undefined(_examgen_obj, {name}))")


class TemplateCache(dict):  # type: ignore[type-arg]
    """Jinja's cache of loaded templates as a plain dict, bounded like Jinja's own (400
    templates): Jinja's ``LRUCache`` takes a lock and reorders its queue on every lookup, and a
    family render looks up three templates (``problem.j2`` and two imports). Full, it is emptied
    rather than trimmed: a template dropped is loaded again, the same template."""

    SIZE = 400

    def __setitem__(self, key: Any, value: Any) -> None:
        if len(self) >= self.SIZE:
            self.clear()
        super().__setitem__(key, value)


class Environment(jinja2.Environment):
    """Jinja's environment, made cheaper per render (a build renders 28 problems per student)
    with the same output:

    - ``steps.w1`` on the plain dicts families' solutions are made of: Jinja tries the attribute
      first and the key after the ``AttributeError``; for a plain dict the attribute exists
      exactly when its name is one of ``dict``'s, so looking the key up first otherwise finds
      the same value without raising. On anything else the attribute and then the item are
      looked up here as Jinja 3.1 does, without a second call.
    - A template's globals are one dict, not Jinja's ``ChainMap`` over the environment's: every
      render and every ``import`` iterates them. The difference, a change to the environment's
      globals not reaching templates already loaded, is what Jinja asks to avoid anyway, and
      ``environment`` sets every global before the templates it renders are loaded.
    - Macros are called by ``Context``, templates kept in a ``TemplateCache``.
    """

    context_class = Context
    code_generator_class = CodeGenerator

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            if attribute not in _DICT_ATTRIBUTES:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)
        try:
            return _getattr(obj, attribute)
        except AttributeError:
            return self.item_or_undefined(obj, attribute)

    def item_or_undefined(self, obj: Any, attribute: str) -> Any:
        """What Jinja's own ``getattr`` does once the attribute is missing, without looking the
        attribute up again."""
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


@cache
def environment(fmt: Format, root: Path | None = None) -> jinja2.Environment:
    root = root or templates_dir()
    env = Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader([root / fmt, root]), FamilyTemplates()]
        ),
        block_start_string="((*",
        block_end_string="*))",
        variable_start_string="(((",
        variable_end_string=")))",
        comment_start_string="((=",
        comment_end_string="=))",
        undefined=TemplateUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates do not change during a run: no stat per get_template
    )
    env.cache = TemplateCache()
    env.filters.update(FILTERS)
    env.filters["text"] = TEXT_ESCAPES[fmt]
    env.bytecode_cache = TemplateBytecode.for_environment(env, _configuration())
    env.globals["FORMAT"] = fmt
    env.globals["M"] = env.get_template("macros.j2").module
    # The templates loaded to build M (macros.j2 and what it imports) hold globals without M:
    # forget them, so that they load again, like every other template, with all the globals.
    env.cache.clear()
    return env


@cache
def _configuration() -> bytes:
    """This module's source: it configures the environments and compiles their templates
    (``CodeGenerator``), so compiled templates are kept per version of it."""
    return Path(__file__).read_bytes()


def template(fmt: Format, name: str) -> jinja2.Template:
    """A template of the format's environment (Jinja's own lookup checks its loader and cache
    on every call, 28 times per student)."""
    return _template(environment(fmt), name)


@lru_cache(maxsize=256)
def _template(env: jinja2.Environment, name: str) -> jinja2.Template:
    # Keyed by the environment object itself (``environment`` makes one per format and keeps
    # it): a fresh environment after ``environment.cache_clear()`` looks its templates up anew.
    return env.get_template(name)


def render_problem(
    fmt: Format,
    variant: Variant,
    *,
    number: int = 1,
    points: int | float = 1,
    show_solutions: bool = True,
    extra: dict[str, Any] | None = None,
) -> str:
    """One question (statement, and solution when shown) in one format, from the family's
    template; the template sees the variant's params, solution steps and answer."""
    question = QuestionTexts(variant, number=number, points=points, extra=extra)
    return question.text(fmt, show_solutions)


#: The parts an HTML page or LMS item shows apart: the question, and the solution as feedback.
HTML_PARTS = ("statement", "solution")


def render_html_part(
    variant: Variant, part: str, *, number: int = 1, points: int | float = 1
) -> str:
    """One part (``HTML_PARTS``) of a question in HTML, as the practice site and LMS exports show
    it: a family's template writes each part on its own there (``part`` tells it which)."""
    return render_problem(
        "html",
        variant,
        number=number,
        points=points,
        show_solutions=part == "solution",
        extra={"part": part},
    )


class QuestionTexts:
    """One question's texts (``render_problem``) in any format and version: a build prints each
    question in four documents (exam and solutions, LaTeX and Markdown), and what the texts are
    remembered by, the variant's values above all, is gathered and hashed once for all four."""

    __slots__ = ("variant", "number", "points", "extra", "key")

    def __init__(
        self,
        variant: Variant,
        *,
        number: int = 1,
        points: int | float = 1,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.variant, self.number, self.points, self.extra = variant, number, points, extra
        self.key = QuestionKey.of(self)

    def problem(self, fmt: Format, show_solutions: bool = True) -> Problem:
        return Problem(fmt, self.variant, self.number, self.points, show_solutions, self.extra)

    def text(self, fmt: Format, show_solutions: bool = True) -> str:
        if self.key is None:  # params or extras without a value to key by: rendered every time
            return self.problem(fmt, show_solutions).render()
        return _remembered_problem(ProblemKey(self, fmt, show_solutions))


class Problem(NamedTuple):
    """What ``render_problem`` is asked for."""

    fmt: Format
    variant: Variant
    number: int
    points: int | float
    show_solutions: bool
    extra: dict[str, Any] | None

    def render(self) -> str:
        variant = self.variant
        name = family_template_name(variant.family)
        try:  # not ``with template_errors``: its generator costs a microsecond or two a problem
            text = template(self.fmt, name).render(
                params=variant.params,
                steps=variant.solution.steps,
                answer=variant.solution.answer,
                number=self.number,
                points=self.points,
                show_solutions=self.show_solutions,
                **(self.extra or {}),
            )
        except Exception as err:
            error = template_error(err, name, f"family {variant.family.ID}")
            if error is None:
                raise
            raise error from None
        return _finish(self.fmt, text)


#: Problem texts remembered: a bank family has a handful of distinct variants, rendered again
#: for every student who draws one; a numeric family's variants rarely repeat.
REMEMBERED_PROBLEMS = 512


class QuestionKey:
    """Everything a question's texts depend on but the format and the version, by value: the
    family's template, the variant's family, params and answer (``Family.solve`` is a pure
    function of the params, so they determine the steps too), and the question's number, points
    and extras, each with its type (``1`` and ``1.0`` points print differently). Hashed once, as
    ``functools`` does with its own keys."""

    __slots__ = ("value", "hash")

    def __init__(self, value: tuple[Any, ...]) -> None:
        self.value = value
        self.hash = hash(value)  # TypeError for a param or an extra that has no value to key by

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, QuestionKey) and self.value == other.value

    @classmethod
    def of(cls, question: QuestionTexts) -> QuestionKey | None:
        """The key, or ``None`` when a param or an extra value cannot be hashed."""
        variant = question.variant
        family = variant.family
        number, points = question.number, question.points
        value = (
            family_template_name(family),
            family.ID,
            variant.params,
            variant.solution.answer,
            type(number),
            number,
            type(points),
            points,
            *_typed_items(question.extra),
        )
        try:
            return cls(value)
        except TypeError:
            return None


class ProblemKey:
    """A problem text's key: the question's (``QuestionKey``), the environment (a fresh one
    after ``environment.cache_clear()`` renders afresh), the format and the version. ``question``
    is what to render on a miss: it is not part of the key."""

    __slots__ = ("value", "hash", "question")

    def __init__(self, question: QuestionTexts, fmt: Format, show_solutions: bool) -> None:
        self.value = (question.key, environment(fmt), fmt, type(show_solutions), show_solutions)
        self.hash = hash(self.value)
        self.question = question

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProblemKey) and self.value == other.value

    def render(self) -> str:
        _, _, fmt, _, show_solutions = self.value
        return self.question.problem(fmt, show_solutions).render()


def _typed_items(extra: dict[str, Any] | None) -> Iterator[Any]:
    """``extra``'s names and values in the names' order, each value with its type."""
    if extra:
        for name in sorted(extra):
            value = extra[name]
            yield name
            yield type(value)
            yield value


@lru_cache(maxsize=REMEMBERED_PROBLEMS)
def _remembered_problem(key: ProblemKey) -> str:
    return key.render()


def render_document(
    fmt: Format,
    template_name: str,
    *,
    problems: Sequence[str] = (),
    preamble_ends: str = "",
    **context: Any,
) -> str:
    """A whole document from a template; ``problems`` are texts of ``render_problem`` in this
    format that the document prints (in this order), which need no tidying again, and the
    document's preamble (up to the first line starting ``preamble_ends``), alike in many
    documents, is tidied once for them all."""
    with template_errors(template_name, "document"):
        text = template(fmt, template_name).render(**context)
    if fmt in FINISH:  # a finished problem need not be what tidying leaves as it is
        return _finish(fmt, text)
    return _tidy_around(text, problems, preamble_ends)


def placeholders(count: int) -> list[str]:
    """What a context holds in place of each of ``count`` problems for
    ``render_placed_document``: lines NUL can never print otherwise (the ``text`` filter folds
    control characters to spaces)."""
    return [f"\x00{i}\x00\n" for i in range(count)]


def render_placed_document(
    fmt: Format,
    template_name: str,
    problems: Sequence[str],
    *,
    preamble_ends: str = "",
    **context: Any,
) -> str | None:
    """``render_document`` for a context holding ``placeholders(len(problems))`` where it holds
    the problems' texts for ``render_document``: the same document, with the problems put in
    place once the rest is tidied, so neither Jinja nor tidying goes through their text.
    ``None`` when the template did not print every placeholder once, in order, as a line of its
    own (``render_document`` then), or a problem is not as ``render_problem`` leaves it.

    A problem ``p + "\\n"`` (``_tidy`` leaves it as it is; it starts and ends with a character
    that is not whitespace) tidies in a text like any one-line word ``w`` without whitespace:
    ``_tidy(a + p + "\\n" + b)`` is ``_tidy(a + w + "\\n" + b)`` with ``p`` for ``w``. Its
    first and last lines end and start where ``w`` does, its lines in between are tidied
    already, and no blank-line run reaches into it (``tests/test_remembered.py`` checks this
    against ``_tidy``). The exam templates print each problem as it is: one that filtered its
    text (``|indent``) would need ``render_document``."""
    if fmt in FINISH:
        return None
    with template_errors(template_name, "document"):
        text = template(fmt, template_name).render(**context)
    return _tidy_placed(text, problems, preamble_ends)


def _tidy_placed(text: str, problems: Sequence[str], preamble_ends: str = "") -> str | None:
    """``_tidy`` of ``text`` with ``problems`` for its placeholders, or ``None`` when ``text``
    does not hold each placeholder once, in order, as a line's end, or a problem does not start
    and end as ``_tidy`` leaves a text that is not empty."""
    if not all(map(_placeable, problems)):
        return None
    parts = text.split("\x00")
    if len(parts) != 2 * len(problems) + 1 or parts[1::2] != [str(i) for i in range(len(problems))]:
        return None
    if any(not part.startswith("\n") for part in parts[2::2]):
        return None
    # Tidying keeps every character that is not whitespace, in order: NULs and numbers too.
    tidied = _tidy_around(text, (), preamble_ends).split("\x00")
    tidied[1::2] = [problem[:-1] for problem in problems]
    return "".join(tidied)


def _placeable(problem: str) -> bool:
    return (
        len(problem) > 1
        and not problem[0].isspace()
        and problem[-1] == "\n"
        and not problem[-2].isspace()
    )


@contextmanager
def template_errors(preferred: str, what: str) -> Iterator[None]:
    """An error while loading or rendering a template as one line (``template_error``)."""
    try:
        yield
    except Exception as err:
        error = template_error(err, preferred, what)
        if error is None:
            raise
        raise error from None


#: Four opening parentheses in a row: Jinja opens ``(((`` at the first three, so the ``(`` meant
#: to print before a value becomes part of its expression.
PAREN_TRAP = "(((("
PAREN_TRAP_FIX = (
    "'((((' is a '(' followed by '(((' and prints wrongly; put a space between them: "
    "'( ((( x )))'"
)


def template_error(err: Exception, preferred: str, what: str) -> ExamgenError | None:
    """An error while loading or rendering a template as one line naming the template file, the
    line and the problem (an undefined name, a syntax error), in place of a traceback: the
    template's own frame when ``preferred`` (the family's template) is on the stack, else the
    innermost template. ``None``: not a template's error, to be raised as it is."""
    if isinstance(err, jinja2.TemplateSyntaxError):
        filename = err.filename or err.name or preferred
        kind = "" if isinstance(err, UnfilledBlock) else "template syntax error: "
        # The ((((  trap's own error ("unexpected ')'") said nothing of it (8cb6922).
        written = _template_line(filename, err.lineno) or ""
        trap = f"; {PAREN_TRAP_FIX}" if PAREN_TRAP in written else ""
        return ExamgenError(f"{what}: {filename}:{err.lineno}: {kind}{err.message}{trap}")
    if isinstance(err, ExamgenError):
        return None
    frame = innermost_frame(err, lambda f: f == preferred) or innermost_frame(
        err, lambda f: f.endswith(".j2")
    )
    if frame is None:
        return None
    problem = err.message if isinstance(err, jinja2.TemplateError) else str(err)
    kind = "" if isinstance(err, jinja2.UndefinedError) else f"{type(err).__name__}: "
    problem = _owner_named(" ".join(str(problem).split()), *frame)
    return ExamgenError(f"{what}: {frame[0]}:{frame[1]}: {kind}{problem}")


_UNNAMED_DICT = re.compile(r"^this dict has no '(?P<name>[^']*)'")


def _owner_named(problem: str, filename: str, line: int) -> str:
    """``problem`` with "this dict" (``template_names`` cannot tell which dict a name was
    missing from) as the template's line wrote it, ``steps`` in ``steps.grd``, when the line
    reads the missing name from one name only."""
    missing = _UNNAMED_DICT.match(problem)
    written = None if missing is None else _template_line(filename, line)
    if missing is None or written is None:
        return problem
    name = re.escape(missing["name"])
    read = rf"([A-Za-z_]\w*)\s*(?:\.\s*{name}\b|\[\s*['\"]{name}['\"]\s*\])"
    owners = set(re.findall(read, written))
    if len(owners) != 1:
        return problem
    return owners.pop() + problem[len("this dict") :]


def _template_line(filename: str, line: int) -> str | None:
    """Line ``line`` of the template file ``filename``, or ``None`` if it cannot be read."""
    try:
        return Path(filename).read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return None


def _finish(fmt: Format, text: str) -> str:
    text = _tidy(text)
    return FINISH[fmt](text) if fmt in FINISH else text


# ``\n\n\n+``, not the equivalent ``\n{3,}``: re finds a literal prefix at C speed but tries a
# repeat at every position (60× slower on a whole document).
_BLANK_RUNS = re.compile(r"\n\n\n+")


def _tidy(text: str) -> str:
    """At most one blank line in a row and one final newline: stable, diff-friendly output."""
    if text.isprintable():  # one line, whose only whitespace can be spaces
        return text.strip() + "\n"
    return _BLANK_RUNS.sub("\n\n", "\n".join(map(str.rstrip, text.strip().splitlines()))) + "\n"


#: How much of a problem's text is looked for before comparing the whole of it.
_PROBE = 32


def _tidy_around(text: str, tidy: Sequence[str], preamble_ends: str = "") -> str:
    """``_tidy(text)`` for a text holding the texts ``tidy``, in this order, each of them as
    ``_tidy`` left it (and leaves it again): only the text around them is tidied (a document
    prints its problems, already tidied, between lines of its own).

    A run of newlines ``text[a:b]`` between two characters that are not whitespace cuts the
    text in two, tidied apart: ``_tidy(text) == _tidy(text[:a]) + ("\\n" if b - a > 1 else "")
    + _tidy(text[b:])``: the lines on either side are the lines of each part, neither part has
    whitespace at the cut to strip, and the only blank-line run that can meet the cut is the
    run itself (one blank line if it holds two newlines or more). A newline run reaching the
    end of the text is stripped: ``_tidy(text) == _tidy(text[:a])``. So a text of ``tidy``
    found between two such runs is the tidied text of itself; anywhere else it is tidied with
    the text around it. The same holds of the text before the line starting ``preamble_ends``
    (when one does), whose tidied text is remembered (``tests/test_remembered.py`` checks all
    this against ``_tidy``)."""
    parts: list[str] = []
    start = 0  # where the text not yet tidied begins (a character that is not whitespace)
    ends = text.find("\n" + preamble_ends) + 1 if preamble_ends else 0
    before = ends - 1  # the preamble: the text before the newline run that ``ends`` ends
    while before > 0 and text[before - 1] == "\n":
        before -= 1
    if before > 0 and not text[before - 1].isspace() and not text[ends].isspace():
        parts.append(_tidied_preamble(text, before))
        if ends - before > 1:
            parts.append("\n")
        start = ends
    for piece in tidy:
        if len(piece) < 2 or piece[0].isspace() or piece[-1] != "\n" or piece[-2].isspace():
            continue
        at = _find(text, piece, start)
        if at < 0:
            continue
        before = at  # at == start: right after the cut that ended the last piece
        while before > start and text[before - 1] == "\n":
            before -= 1
        if at > start and (before in (at, start) or text[before - 1].isspace()):
            continue
        end = at + len(piece) - 1  # the piece's own final newline opens the run after it
        after = end + 1
        while after < len(text) and text[after] == "\n":
            after += 1
        if after < len(text) and text[after].isspace():
            continue
        if at > start:
            parts.append(_tidy(text[start:before]))
            if at - before > 1:
                parts.append("\n")
        parts.append(piece)
        if after == len(text):
            return "".join(parts)
        if after - end > 1:
            parts.append("\n")
        start = after
    parts.append(_tidy(text[start:]))
    return "".join(parts)


#: Documents' preambles remembered with their tidied text, the last used first: one per format
#: and version (exam or solutions) of a spec, and a few more.
REMEMBERED_PREAMBLES = 16
_preambles: list[tuple[str, str]] = []


def _tidied_preamble(text: str, end: int) -> str:
    """``_tidy(text[:end])``, remembered by that text itself (compared whole, not hashed)."""
    for i, (preamble, tidied) in enumerate(_preambles):
        if len(preamble) == end and text.startswith(preamble):
            if i:
                _preambles.insert(0, _preambles.pop(i))
            return tidied
    preamble = text[:end]
    tidied = _tidy(preamble)
    _preambles.insert(0, (preamble, tidied))
    del _preambles[REMEMBERED_PREAMBLES:]
    return tidied


def _find(text: str, piece: str, start: int) -> int:
    """Where ``piece`` is in ``text`` from ``start`` on (-1: nowhere): its beginning looked for,
    then the whole compared, which is quicker than looking for all of it."""
    probe = piece[:_PROBE]
    at = text.find(probe, start)
    while at >= 0 and not text.startswith(piece, at):
        at = text.find(probe, at + 1)
    return at
