"""Independent re-checks of answers: a second computation that shares no code with the family.

A family computes its answer exactly with sympy; a re-check recomputes it another way (for the
numeric families: floats and numpy's matrix form of the gradient) from the key.json entry alone,
``params`` and ``answer`` as JSON, and says what disagrees. A bug in the family's arithmetic, its
solution path or its JSON form then shows up as a disagreement instead of being checked against
itself. ``examgen check`` runs the re-check of every family that has one and reports those that
have none; tests call the same functions.

A family gets a re-check by registering one here under its ID with ``@rechecks(ID)``. A re-check
also re-verifies, independently, the family's degenerate-variant rules where it can.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from generator.bank import load_bank

#: ``recheck(params_json, answer_json)`` → a one-line problem, or ``None`` when all agrees.
Recheck = Callable[[Mapping[str, Any], Mapping[str, Any]], str | None]

_RECHECKS: dict[str, Recheck] = {}

#: Floats from exact inputs of this size agree with the exact answer to far better than this.
TOLERANCE = 1e-9


def rechecks(*family_ids: str) -> Callable[[Recheck], Recheck]:
    """Register the decorated function as the re-check of ``family_ids``."""

    def register(function: Recheck) -> Recheck:
        for family_id in family_ids:
            if family_id in _RECHECKS:
                raise RuntimeError(f"two re-checks registered for {family_id!r}")
            _RECHECKS[family_id] = function
        return function

    return register


def recheck_for(family_id: str) -> Recheck | None:
    """The registered re-check of a family, or ``None`` (reported by ``examgen check``); it also
    re-checks the family's multiple-choice form."""
    function = _RECHECKS.get(family_id)
    return None if function is None else _with_choice_form(function)


def _with_choice_form(base: Recheck) -> Recheck:
    """A numeric family asked as multiple choice (``params.choices`` names each letter's source):
    the key's letter must mark the ``correct`` source, and that choice's text must pass the base
    re-check as a free-response answer."""

    def check(params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
        sources = params.get("choices")
        if answer.get("kind") != "choice" or not isinstance(sources, list):
            return base(params, answer)
        if "correct" not in sources:
            return base(params, answer)  # the choices are the family's own (e.g. a bank's)
        letter = str(answer.get("value", ""))
        index = ord(letter) - ord("A") if len(letter) == 1 else -1
        if not 0 <= index < len(sources) or sources[index] != "correct":
            return f"letter {letter!r} does not mark the correct choice among {sources}"
        text = str(answer.get("text", "")).strip()
        free = {k: v for k, v in params.items() if k != "choices"}
        if text.startswith("("):
            values = [v.strip() for v in text.strip("()").split(",")]
            return base(free, {"kind": "vector", "value": values})
        return base(free, {"kind": "number", "value": text})

    return check


def recheck(family_id: str, params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
    """Re-check one key entry; ``"no re-check"`` for a family without one."""
    function = recheck_for(family_id)
    if function is None:
        return "no re-check"
    return function(params, answer)


def as_float(value: int | str) -> float:
    """A key.json exact value (``3`` or ``"-7/3"``) as a float, without sympy."""
    return float(Fraction(value))


def _disagrees(a: np.ndarray, b: np.ndarray) -> bool:
    return not np.allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE)


def _show(vector: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in vector) + ")"


# --- the descent families -----------------------------------------------------------------------
def risk_gradient(data: np.ndarray, rows: np.ndarray, w: np.ndarray) -> np.ndarray:
    """∇R(w) = (2/m)·Xᵀ(Xw − y) over the rows used, in matrix form (the family sums per point)."""
    x = np.column_stack([np.ones(len(rows)), data[rows, 0]])
    y = data[rows, 1]
    return 2.0 / len(rows) * x.T @ (x @ w - y)


@rechecks("gradient-descent-step", "sgd-minibatch-step")
def recheck_descent(params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
    """w1 = w0 − η∇R(w0) in floats; also the degenerate rules: the gradient is not zero, the
    update changes both weights, and a mini-batch gradient differs from the full-batch one."""
    data = np.array([[as_float(x), as_float(y)] for x, y in params["data"]])
    w0 = np.array([as_float(v) for v in params["w0"]])
    eta = as_float(params["eta"])
    everything = np.arange(len(data))
    batch = params.get("batch")
    rows = np.array([p - 1 for p in batch]) if batch is not None else everything
    gradient = risk_gradient(data, rows, w0)
    expected = w0 - eta * gradient
    if answer.get("kind") != "vector" or len(answer.get("value", ())) != 2:
        return f"answer should be a 2-vector, got {dict(answer)!r}"
    got = np.array([as_float(v) for v in answer["value"]])
    if _disagrees(got, expected):
        return f"answer {_show(got)} but w0 − η∇R(w0) = {_show(expected)}"
    if np.all(np.abs(gradient) <= TOLERANCE):
        return "the gradient is zero, so the update does nothing"
    if np.any(np.abs(eta * gradient) <= TOLERANCE):
        return "the update leaves a weight unchanged"
    if batch is not None:
        if len(set(batch)) != len(batch) or len(batch) >= len(data):
            return f"batch {list(batch)} is not a proper subset of the {len(data)} points"
        if not _disagrees(gradient, risk_gradient(data, everything, w0)):
            return "the mini-batch gradient equals the full-batch gradient"
    return None


# --- vanishing-gradient-chain (the concept families' numeric member) -----------------------------
def _chain_output(x: float, weights: np.ndarray, activation: Callable[[float], float]) -> float:
    a = x
    for w in weights:
        a = activation(w * a)
    return a


@rechecks("vanishing-gradient-chain")
def recheck_chain(params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
    """ReLU: ∂ℓ/∂w₁ by a central finite difference of ℓ(w₁) = (h − y)², exact for the quadratic
    it is while every pre-activation stays positive (no chain-rule product at all). Sigmoid: the
    bound (1/4)^L·|w_L|⋯|w_2|·|x| in floats, and the true |∂h/∂w₁| (finite difference) below it."""
    x = as_float(params["x"])
    weights = np.array([as_float(w) for w in params["weights"]])
    if answer.get("kind") != "number":
        return f"answer should be a number, got {dict(answer)!r}"
    got = as_float(answer["value"])
    step = 1e-4

    def nudged(delta: float) -> np.ndarray:
        return np.concatenate([[weights[0] + delta], weights[1:]])

    if params["activation"] == "relu":
        y = as_float(params["y"])
        relu = lambda z: max(z, 0.0)  # noqa: E731
        z, a = [], x
        for w in weights:
            z.append(w * a)
            a = relu(z[-1])
        if min(z) <= 0:
            return "a ReLU pre-activation is not positive"
        if a == y:
            return "the output equals the target, so the gradient is zero"
        loss = [(_chain_output(x, nudged(d), relu) - y) ** 2 for d in (step, -step)]
        expected = (loss[0] - loss[1]) / (2 * step)
    else:
        sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
        expected = 0.25 ** len(weights) * float(np.prod(np.abs(weights[1:]))) * abs(x)
        outputs = [_chain_output(x, nudged(d), sigmoid) for d in (step, -step)]
        true_slope = abs(outputs[0] - outputs[1]) / (2 * step)
        if true_slope > expected * (1 + 1e-6):
            return f"|∂h/∂w1| = {true_slope:.6g} exceeds the stated bound {expected:.6g}"
    if not np.isclose(got, expected, rtol=1e-6, atol=1e-9):
        return f"answer {got:.6g} but the float recomputation gives {expected:.6g}"
    return None


# --- the statement-bank families ----------------------------------------------------------------
def _recheck_true_false(bank_name: str) -> Recheck:
    """The key's truth value is the bank's truth for the statement the student got."""

    def check(params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
        statement = load_bank(bank_name).get(params["statement"])
        if answer.get("kind") != "bool" or answer.get("value") is not statement.truth:
            return f"statement {statement.id!r} is {statement.truth} in the bank; key has {answer}"
        return None

    return check


for _bank in (
    "vanishing-gradient-remedies",
    "sgd-direction",
    "sgd-iterations",
    "initialization-convergence",
):
    rechecks(_bank)(_recheck_true_false(_bank))


@rechecks("vanishing-gradient-definition")
def recheck_definition(params: Mapping[str, Any], answer: Mapping[str, Any]) -> str | None:
    """Exactly one printed choice is a true description in the bank, and the key's letter and
    text name it."""
    bank = load_bank("vanishing-gradient-definition")
    shown = [bank.get(i) for i in params["choices"]]
    true_positions = [k for k, s in enumerate(shown) if s.truth]
    if len(true_positions) != 1:
        return f"{len(true_positions)} true descriptions among the choices {params['choices']}"
    right = true_positions[0]
    if answer.get("kind") != "choice" or answer.get("value") != chr(ord("A") + right):
        return f"the true description is choice {chr(ord('A') + right)}; key has {answer}"
    if answer.get("text") != shown[right].text:
        return "the key's text is not the true description's text"
    return None
