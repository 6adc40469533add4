"""Reference problem #160: true or false, whether the initialization decides the solution."""

from __future__ import annotations

from generator.families._concepts import TrueFalseFamily


class InitializationConvergence(TrueFalseFamily):
    ID = "initialization-convergence"
    TITLE = "True or false: initialization and where gradient descent converges"
    TAGS = ("gradient descent", "quiz-07", "lecture-14", "neural networks")
