"""Reference problem #155: true or false, a proposed remedy for vanishing gradients."""

from __future__ import annotations

from generator.families._concepts import TrueFalseFamily


class VanishingGradientRemedies(TrueFalseFamily):
    ID = "vanishing-gradient-remedies"
    TITLE = "True or false: remedies for vanishing gradients"
    TAGS = ("vanishing gradients", "quiz-07", "lecture-14", "neural networks")
