"""A student's record (key entry, fingerprints, answer cells) is made by shortcuts that give what
the plain computation gives.

Writing exact numbers, JSON-ready params and fingerprint notes take exact-type fast paths past
sympy's printer and the ``collections.abc`` checks (issue 13: every millisecond per student
counts). Each shortcut is checked here against the plain computation it replaces, on values
hypothesis draws; the build's bytes themselves are pinned by the golden tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from generator import exact, fingerprint

numbers = st.one_of(
    st.integers(),
    st.builds(sympy.Rational, st.integers(), st.integers(1, 10**30)),
    st.sampled_from([sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne, sympy.S.Half]),
)


@given(value=numbers)
@example(value=-(10**40) - 7)
@example(value=sympy.Rational(-7, 3))
def test_an_exact_number_is_written_as_sympys_printer_writes_it(value):
    assert exact.exact_str(value) == exact.plain_exact_str(value)


@dataclass(frozen=True)
class Pair:
    first: Any
    second: Any


class Row(tuple):
    """A tuple subclass: the general Sequence case, not the exact-type one."""


def _param_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.lists(inner, max_size=3).map(Row)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3)
        | st.builds(Pair, inner, inner)
    )


params = st.recursive(
    numbers | st.booleans() | st.none() | st.text(max_size=30) | st.floats(allow_nan=False),
    _param_containers,
    max_leaves=14,
)


@given(value=params)
def test_json_ready_params_are_the_plain_conversion(value):
    fast, plain = exact.to_json(value), exact.plain_to_json(value)
    assert json.dumps(fast) == json.dumps(plain)
    assert fast == plain


def _json_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    )


json_params = st.recursive(
    st.integers()
    | st.integers(-(10**25), 10**25)
    | st.booleans()
    | st.none()
    | st.text(max_size=30)
    | st.floats(),
    _json_containers,
    max_leaves=14,
)


@given(params_json=st.dictionaries(st.text(max_size=6), json_params, max_size=4))
@example(params_json={"n": [10**24 - 1, 10**24, -(10**23) + 1, -(10**23), True, 0]})
def test_a_fingerprint_note_is_the_plain_note(params_json):
    plain = " ".join(f"{name}={fingerprint.plain_note_value(v)}" for name, v in params_json.items())
    assert fingerprint.note(params_json) == plain


@given(
    family_id=st.text(max_size=10), params_json=st.dictionaries(st.text(max_size=6), json_params)
)
def test_the_digested_text_is_json_dumps_of_it(family_id, params_json):
    """The canonical text comes from an encoder made once: ``json.dumps``'s text."""
    document = {"family": family_id, "params": params_json}
    plain = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert fingerprint.canonical_json(family_id, params_json) == plain
