"""Does a solution's answer line show the key's answer?

An author who writes the answer twice, once in ``solve`` (``Answer("number", w0 - grad)``) and
once in the template's answer line (``M.answer_line("$w_1 = " ~ (steps.w1|tex) ~ "$.")``), can
make them disagree: key.csv then grades against 42 while the solutions read **Answer:** 39/2, and
every other check passes (the re-check agrees with the key, the template renders). ``check``
reads the Markdown solution's answer line (``M.answer_line`` prints ``**Answer:**`` before it)
and asks that it show the key's answer in a way the template filters print it:

- a number as ``|tex`` (``\\frac{39}{2}``, also ``\\dfrac``/``\\tfrac``), ``|tex_inline``
  (``39/2``) or as its exact decimal (``19.5``), standing alone: not a digit of another number,
  a subscript (``w_1``) or a fraction's part;
- a vector's components in order (``|tup``, ``|col`` or written one by one);
- True/False: the first of the two words the line says is the key's;
- a multiple-choice answer: its letter (``B.``, as ``C.answer_prefix`` prints it), and the
  correct choice's number or vector when it has one.

A line that shows the answer in other words (``\\boxed``, a sentence around it) still passes;
only a line that shows another value, or none of the key's, fails; so does a solution without
an answer line (its solutions never said which answer is right).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from generator.exact import latex, rational, terminating_decimal
from generator.families.base import Answer, Variant
from generator.render import family_template_name, tex_inline

#: What ``M.answer_line`` prints before the line in Markdown (templates/markdown/macros.j2).
MARKER = "**Answer:** "
#: Before a number standing alone: not a letter, digit, sign, point, slash, sub- or superscript,
#: and not a fraction's first ``{`` (``\frac{``) or second (``}{``) or a script's (``^{``).
_BEFORE = r"(?<![\w.\\/^_+-])(?<!frac\{)(?<!\}\{)(?<![_^]\{)"
#: After it: not a digit, letter, slash or script, not a decimal point, not a numerator's ``}{``.
_AFTER = r"(?![\w/^_]|\.\d|\}\{)"


def answer_lines(markdown: str) -> list[str]:
    """The answer lines of a Markdown solution: what follows each ``**Answer:**`` up to the end
    of its paragraph."""
    out = []
    start = markdown.find(MARKER)
    while start >= 0:
        start += len(MARKER)
        end = markdown.find("\n\n", start)
        out.append(markdown[start : end if end >= 0 else len(markdown)])
        start = markdown.find(MARKER, start)
    return out


def number_pattern(value: Any) -> str:
    """A regex for one exact number as the template filters may print it, standing alone."""
    number = rational(value)
    texts = {latex(number), tex_inline(number)}
    if number.q != 1:
        texts |= {latex(number).replace(r"\frac", k) for k in (r"\dfrac", r"\tfrac")}
        decimal = terminating_decimal(number)
        if decimal is not None:
            texts.add(decimal)
    alternatives = "|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True))
    return f"{_BEFORE}(?:{alternatives}){_AFTER}"


def shows_values(line: str, values: Sequence[Any]) -> bool:
    """Whether ``line`` shows these exact numbers, in this order."""
    pattern = ".*?".join(f"(?:{number_pattern(v)})" for v in values)
    return re.search(pattern, line, re.DOTALL) is not None


def shows_answer(line: str, answer: Answer, choices: Iterable[Any] = ()) -> bool:
    """Whether one answer line shows ``answer`` (``choices``: a multiple-choice question's)."""
    if answer.kind == "number":
        return shows_values(line, (answer.value,))
    if answer.kind == "vector":
        return shows_values(line, tuple(answer.value))
    if answer.kind == "bool":
        said = re.search(r"\b(True|False)\b", line)
        return said is not None and said.group(1) == str(bool(answer.value))
    if answer.kind == "choice":
        letter = str(answer.value)
        if re.search(rf"(?<![\w\\]){re.escape(letter)}[.)]", line) is None:
            return False
        for choice in choices:
            if getattr(choice, "correct", False) and choice.kind in ("number", "vector"):
                value = choice.value
                return shows_values(line, (value,) if choice.kind == "number" else tuple(value))
        return True
    return True  # a kind examgen does not know: nothing to compare with


def answer_line_problem(markdown: str, answer: Answer, choices: Iterable[Any] = ()) -> str | None:
    """Why the solution's answer line does not show the key's answer (or why there is none), or
    ``None``."""
    lines = answer_lines(markdown)
    if not lines:
        return (
            "the solution has no answer line, so the solutions never say the key's answer: "
            "print it with M.answer_line, e.g. ((( M.answer_line(C.answer_prefix(answer) ~ "
            '"$x = " ~ (answer.value|tex) ~ "$.") ))) (docs/authoring.md)'
        )
    choices = tuple(choices)
    if any(shows_answer(line, answer, choices) for line in lines):
        return None
    # The same words for every variant, so that check shows the failing seeds on one line (its
    # "look:" command shows a variant's line and key).
    what = "letter and value" if answer.kind == "choice" else "value"
    return (
        f"the solution's answer line does not show the key's answer (the {what} key.csv grades "
        "by, from the Answer solve returns): print that answer in the line (answer.value|tex, "
        "|tup, or the step solve makes it from), so that the key and the solutions agree"
    )


def shown_answer_problem(variant: Variant, markdown: str) -> str | None:
    """The Markdown solution's answer line, if it has one, must show the key's answer: an
    answer computed twice, once in solve and once in the template, may disagree (on main the
    key held 42 where the solution read 39/2, and check said OK). Named by the template file
    (the one ``markdown`` was rendered from). ``check`` fails such a variant; ``build`` and
    ``preview`` refuse a course family's (``generator.published``)."""
    steps = variant.solution.steps
    choices = steps.get("choices", ()) if isinstance(steps, Mapping) else ()
    problem = answer_line_problem(markdown, variant.solution.answer, choices)
    if problem is None:
        return None
    return f"{family_template_name(variant.family)}: {problem}"
