"""Reference problem #152: which description fits the vanishing gradient problem?"""

from __future__ import annotations

from generator.families._concepts import BankChoiceFamily


class VanishingGradientDefinition(BankChoiceFamily):
    ID = "vanishing-gradient-definition"
    TITLE = "Multiple choice: what the vanishing gradient problem is"
    TAGS = ("vanishing gradients", "quiz-07", "lecture-14", "neural networks")
