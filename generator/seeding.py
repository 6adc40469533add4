"""Random streams derived from (exam seed, student ID, purpose), and nothing else.

This is the only module that touches ``numpy.random.SeedSequence``. A student's stream depends on
a SHA-256 digest of the student ID, never on the roster position, ``hash()`` (salted per process)
or global random state, so adding or reordering students leaves every other variant unchanged.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np

from generator.defaults import MAX_SEED

#: The seed's two 32-bit words and the label's digest's first four, little-endian: the entropy.
_ENTROPY = struct.Struct("<2I16s")


def check_seed(seed: int) -> int:
    if not 0 <= seed <= MAX_SEED:
        from generator.errors import ExamgenError

        raise ExamgenError(f"seed {seed} is out of range: use an integer from 0 to {MAX_SEED}")
    return seed


def stream(seed: int, *labels: str | int) -> np.random.Generator:
    """A generator for one purpose, e.g. ``stream(42, "s001", "q1")``.

    Labels are joined with a separator that cannot occur in their ``str`` forms' concatenation
    ambiguously (each is length-prefixed), so ``("ab", "c")`` and ``("a", "bc")`` differ.
    """
    check_seed(seed)
    key = "".join([f"{len(text)}:{text};" for text in map(str, labels)])
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    # Six unsigned 32-bit words: the seed's low and high word, then the first 16 bytes of the
    # label's SHA-256 digest as four little-endian words (a stable, platform-independent
    # entropy). Handed to SeedSequence as a uint32 array, the words it would make of the same
    # six ints in a list, without its per-int conversion (most of a stream's setup).
    words = _ENTROPY.pack(seed & 0xFFFFFFFF, seed >> 32, digest)
    entropy = np.frombuffer(words, dtype="<u4")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def question_stream(seed: int, student_id: str, slot: int, draw: int = 0) -> np.random.Generator:
    """The stream for question ``slot`` (1-based) of one student's exam; ``draw`` k > 0: the
    stream of its k-th draw again (the student already has that question: ``build``)."""
    return stream(seed, "student", student_id, "question", slot, *again(draw))


def again(draw: int) -> tuple[str | int, ...]:
    """The labels that tell a stream's k-th draw again from its first (none: the first)."""
    return ("again", draw) if draw else ()
