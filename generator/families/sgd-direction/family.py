"""Reference problem #158: true or false, the direction an SGD step moves in."""

from __future__ import annotations

from generator.families._concepts import TrueFalseFamily


class SgdDirection(TrueFalseFamily):
    ID = "sgd-direction"
    TITLE = "True or false: the direction of an SGD step"
    TAGS = ("quiz-07", "SGD", "neural networks", "gradient descent", "lecture-14")
