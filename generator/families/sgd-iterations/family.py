"""Reference problem #159: true or false, iterations and cost of SGD versus gradient descent."""

from __future__ import annotations

from generator.families._concepts import TrueFalseFamily


class SgdIterations(TrueFalseFamily):
    ID = "sgd-iterations"
    TITLE = "True or false: iterations and cost of SGD versus gradient descent"
    TAGS = ("quiz-07", "SGD", "neural networks", "gradient descent", "lecture-14")
