"""The QR code printed on every page of a handout, and how the LaTeX template draws it.

The payload names what was printed, the exam, the seed, the page within the student's handout
and the student: ``EG2:<printed>:<exam>:<seed>:<page>:<student id>`` (the ID last, so it may
hold any character; exam IDs are letters, digits, ``-``, ``_`` and ``.``). ``printed`` is a
digest of the student's handout as typeset (``printed_digest``): a copy printed by an earlier
build of the same exam and seed, whose questions or layout differ, is told apart from this
build's and never read at this build's positions. Builds before it wrote
``EG:<exam>:<seed>:<page>:<student id>``, which is still read.

The page a question lands on is known only while TeX typesets, and one pdflatex pass is the rule,
so each student's part of the document defines one code per possible page (``pages_bound``) and the
page background picks the one for the page being shipped out.

The codes are drawn by TeX from a run-length string per row (``tex_code``): no image files, no TeX
QR encoder (LaTeX's ``qrcode`` package takes a quarter of a second per code). segno defines the
code (``segno_tex_code``); a build draws thousands, so ``tex_codes`` computes the very same text
more than thirty times faster (``bench/bench_qr.py``), and leaves to segno what it does not cover.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import zip_longest

import numpy as np
import segno
from segno import consts, encoder

from generator.characters import shown_name
from generator.errors import ExamgenError

PREFIX = "EG2"  # short: a smaller code has larger modules, which read better at 150 dpi
OLD_PREFIX = "EG"  # before the printed digest
#: Characters of ``printed``: 20 bits, so two builds' copies of a student's page are told apart
#: but for one chance in a million.
PRINTED_LENGTH = 4
#: Fixed mask and error level: the mask search is most of segno's time, and these codes are
#: printed on white paper next to nothing else, so any mask reads.
ERROR_LEVEL = "l"
MASK = 0


@dataclass(frozen=True)
class Payload:
    exam: str
    seed: int
    page: int  # 1-based page of the student's handout (sheets.json's ``sheet_page``)
    student: str
    printed: str = ""  # ``printed_digest`` ("": a page of a build before it)

    def text(self) -> str:
        if not self.printed:
            return f"{OLD_PREFIX}:{self.exam}:{self.seed}:{self.page}:{self.student}"
        return f"{PREFIX}:{self.printed}:{self.exam}:{self.seed}:{self.page}:{self.student}"

    @classmethod
    def parse(cls, text: str) -> Payload | None:
        """The payload a QR code holds, or ``None`` when it is not an examgen page."""
        printed = ""
        parts = text.split(":", 4)
        if parts[0] == PREFIX:
            printed, _, rest = text[len(PREFIX) + 1 :].partition(":")
            if len(printed) != PRINTED_LENGTH or not set(printed) <= set(_DIGITS):
                return None
            parts = [OLD_PREFIX, *rest.split(":", 3)]
        if len(parts) != 5 or parts[0] != OLD_PREFIX:
            return None
        try:
            return cls(parts[1], int(parts[2]), int(parts[3]), parts[4], printed)
        except ValueError:
            return None


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def printed_digest(texts: Iterable[str]) -> str:
    """``PRINTED_LENGTH`` characters (lowercase letters and digits) of SHA-256 over ``texts``:
    what the build digests of a student's handout (``generator.build.printed_texts``)."""
    digest = hashlib.sha256()
    for text in texts:
        data = text.encode("utf-8")
        digest.update(f"{len(data)}\0".encode())
        digest.update(data)
    number = int.from_bytes(digest.digest()[:8], "big")
    chars = []
    for _ in range(PRINTED_LENGTH):
        number, digit = divmod(number, len(_DIGITS))
        chars.append(_DIGITS[digit])
    return "".join(chars)


def pages_bound(questions: int) -> int:
    """How many pages a student's handout can have: a question never splits, so at most one
    page per question, plus the first page's header, the answer sheet and the duplex padding."""
    return questions + 3


def _run_text(n: int) -> str:
    """A run of ``n`` modules: ``@`` (0) to ``Z`` (26); longer runs are split by an empty run of
    the other colour."""
    text = []
    while n > 26:
        text.append("Z@")
        n -= 26
    text.append(chr(64 + n))
    return "".join(text)


def _runs(row: list[int]) -> str:
    """One row as run lengths, alternately light and dark starting with light."""
    out: list[int] = []
    colour, length = 0, 0
    for module in row:
        if module == colour:
            length += 1
        else:
            out.append(length)
            colour, length = module, 1
    out.append(length)
    return "".join(_run_text(n) for n in out)


def segno_tex_code(payload: str) -> str:
    """The QR code of ``payload`` as ``\\examgen@qr`` draws it: rows of runs joined by ``/``.

    The reference that ``tex_code`` reproduces, and its fallback outside the fast path."""
    qr = segno.make_qr(payload, error=ERROR_LEVEL, mask=MASK, boost_error=False)
    return "/".join(_runs([int(bool(m)) for m in row]) for row in qr.matrix)


# The fast encoder: segno spends about half a millisecond per code in pure Python (bit lists,
# Reed-Solomon codeword by codeword, module placement cell by cell). Everything that does not
# depend on the data is the same for every code of a version, so it is built once per version
# with segno's own functions (``_Symbol``); per code, what is left is the bit stream (one big
# integer), Reed-Solomon as a table look-up over all blocks at once, one scatter of the message
# bits into the masked template and the run lengths from one comparison of neighbouring modules.

_ERROR = encoder.normalize_errorlevel(ERROR_LEVEL)
_PAD_CODEWORDS = bytes((0b11101100, 0b00010001)) * 1500
#: GF(256) antilog table indexed by a sum of two logarithms; a zero factor has the logarithm
#: ``_LOG_ZERO`` so that every product with it lands in the zero tail of the table.
_LOG_ZERO = 600
_EXP = np.zeros(2 * _LOG_ZERO + 1, dtype=np.uint8)
_EXP[: len(consts.GALIOS_EXP)] = consts.GALIOS_EXP
_LOG = np.array([_LOG_ZERO, *consts.GALIOS_LOG[1:]], dtype=np.int32)


@dataclass(frozen=True)
class _Block:
    """Blocks of one size and, for each of a block's data codewords and each of its 256 values,
    the error correction codewords it contributes (Reed-Solomon is linear: a block's error
    correction codewords are the sums, XORs, of its data codewords' contributions), packed
    into 64-bit words so that summing them takes an eighth of the operations."""

    count: int
    data: int
    error: int  # error correction codewords per block
    contributions: np.ndarray  # (data × 256, words): row 256 i + v, codeword i of value v
    offsets: np.ndarray  # 256 i for each data codeword i

    @classmethod
    def of(cls, count: int, data: int, error: int) -> _Block:
        logs = _remainder_logs(data, error)  # (data, error)
        products = _EXP[_LOG[:, None, None] + logs[None]]  # (256, data, error)
        words = -(-error // 8)
        packed = np.zeros((data, 256, 8 * words), dtype=np.uint8)
        packed[:, :, :error] = products.transpose(1, 0, 2)
        contributions = packed.view(np.uint64).reshape(data * 256, words)
        return cls(count, data, error, contributions, np.arange(data, dtype=np.intp) * 256)


@dataclass(frozen=True)
class _Symbol:
    """What every QR code of one version shares."""

    width: int
    blocks: tuple[_Block, ...]
    order: np.ndarray  # message codeword i is codewords[order[i]] (data then error blocks)
    modules: np.ndarray  # flat index of each message bit's module, in message order
    template: np.ndarray  # flat modules: function patterns, format, version and the mask


def _remainder_logs(data: int, error: int) -> np.ndarray:
    """Logarithms of x^(error + data - 1 - i) mod the generator polynomial, for each i."""
    gen = consts.GEN_POLY[error]
    exp, log = consts.GALIOS_EXP, consts.GALIOS_LOG
    remainder = [exp[g] for g in gen]  # x^error
    rows = [remainder]
    for _ in range(data - 1):
        top, shifted = remainder[0], [*remainder[1:], 0]
        if top:
            shifted = [c ^ exp[log[top] + g] for c, g in zip(shifted, gen, strict=True)]
        remainder = shifted
        rows.append(remainder)
    rows.reverse()
    return np.array([[log[c] if c else _LOG_ZERO for c in row] for row in rows], dtype=np.int32)


@cache
def _symbol(version: int) -> _Symbol:
    width = encoder.calc_matrix_size(version)
    infos = consts.ECC[version][_ERROR]
    blocks = tuple(_Block.of(e.num_blocks, e.num_data, e.num_total - e.num_data) for e in infos)
    # Message order: data codewords block by block in turn, then the error codewords likewise.
    data_blocks, error_blocks, start = [], [], 0
    for e in infos:
        for _ in range(e.num_blocks):
            data_blocks.append(range(start, start + e.num_data))
            start += e.num_data
    for e in infos:
        for _ in range(e.num_blocks):
            ec = e.num_total - e.num_data
            error_blocks.append(range(start, start + ec))
            start += ec
    order = [
        i
        for kind in (data_blocks, error_blocks)
        for column in zip_longest(*kind)
        for i in column
        if i is not None
    ]
    # segno places the message itself: it writes message bit k as the value k + 3 into a
    # matrix of lists (0, 1: function patterns; 2: free), so the placement order is its own.
    # The message (its remainder bits included) fills every free module.
    matrix = [list(row) for row in encoder.make_matrix(width, width)]
    encoder.add_finder_patterns(matrix, width, width)
    encoder.add_alignment_patterns(matrix, width, width)
    free = sum(row.count(2) for row in matrix)
    encoder.add_codewords(matrix, range(3, 3 + free), version)
    mask = encoder.get_data_mask_functions(False)[MASK]
    modules = [0] * free
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value > 2:
                modules[value - 3] = i * width + j
                row[j] = int(bool(mask(i, j)))
    encoder.add_format_info(matrix, version, _ERROR, MASK)
    encoder.add_version_info(matrix, version)
    return _Symbol(
        width,
        blocks,
        np.array(order, dtype=np.intp),
        np.array(modules, dtype=np.intp),
        np.array(matrix, dtype=np.uint8).ravel(),
    )


def _data_stream(payload: str) -> tuple[int, int, int, int] | None:
    """segno's mode and encoding choice: (mode, character count, bits, bit length), or ``None``
    for what the fast path leaves to segno (numeric and kanji mode)."""
    data, count, _ = encoder.data_to_bytes(payload, None)
    mode = encoder.find_mode(data)
    if mode == consts.MODE_BYTE:
        return mode, count, int.from_bytes(data, "big"), 8 * count
    if mode != consts.MODE_ALPHANUMERIC:
        return None
    value = consts.ALPHANUMERIC_CHARS.find
    bits = 0
    for i in range(0, count - 1, 2):
        bits = bits << 11 | value(data[i : i + 1]) * 45 + value(data[i + 1 : i + 2])
    length = 11 * (count // 2)
    if count % 2:
        bits = bits << 6 | value(data[-1:])
        length += 6
    return mode, count, bits, length


def _version(mode: int, data_bits: int) -> int | None:
    for version in range(1, 41):
        count_bits = consts.CHAR_COUNT_INDICATOR_LENGTH[mode][encoder.version_range(version)]
        if consts.SYMBOL_CAPACITY[version][_ERROR] >= 4 + count_bits + data_bits:
            return version
    return None


def _data_codewords(payload: str) -> tuple[int, bytes] | None:
    """The version and data codewords segno chooses for ``payload``, padded as segno pads them:
    terminator, zero bits up to the next codeword boundary (a whole zero codeword when already
    on one), then pad codewords."""
    stream = _data_stream(payload)
    if stream is None:
        return None
    mode, count, bits, length = stream
    version = _version(mode, length)
    if version is None:
        return None
    count_bits = consts.CHAR_COUNT_INDICATOR_LENGTH[mode][encoder.version_range(version)]
    bits |= (mode << count_bits | count) << length
    length += 4 + count_bits
    capacity = consts.SYMBOL_CAPACITY[version][_ERROR]
    terminator = min(capacity - length, 4)
    length += terminator
    fill = 8 - length % 8
    data = (bits << (terminator + fill)).to_bytes((length + fill) // 8, "big")
    size = capacity // 8
    return version, (data + _PAD_CODEWORDS[: max(size - len(data), 0)])[:size]


def _modules(symbol: _Symbol, data: list[bytes]) -> np.ndarray:
    """The modules of one code per data codeword string, as rows of 0 (light) and 1 (dark)."""
    codes = len(data)
    codewords = np.frombuffer(b"".join(data), dtype=np.uint8).reshape(codes, -1)
    parts, start = [codewords], 0
    for block in symbol.blocks:
        end = start + block.count * block.data
        values = codewords[:, start:end].reshape(codes, block.count, block.data)
        contributions = block.contributions[values + block.offsets]  # (..., data, words)
        sums = np.bitwise_xor.reduce(contributions, axis=2)  # (codes, count, words)
        parts.append(sums.view(np.uint8)[..., : block.error].reshape(codes, -1))
        start = end
    message = np.concatenate(parts, axis=1)[:, symbol.order]
    bits = np.unpackbits(message, axis=1)
    modules = np.repeat(symbol.template[None], codes, axis=0)
    modules[:, symbol.modules[: bits.shape[1]]] ^= bits
    return modules.reshape(codes * symbol.width, symbol.width)


def _tex_runs(modules: np.ndarray, width: int) -> list[str]:
    """``_runs`` of every row, rows joined by ``/``, for codes of ``width`` rows stacked."""
    rows = len(modules)
    # Run boundaries of each row: its start, every change of colour (before module 0 when it
    # is dark, giving an empty light run) and its end; slot s is module s - 1.
    edges = np.empty((rows, width + 2), dtype=bool)
    edges[:, 0] = edges[:, -1] = True
    edges[:, 1] = modules[:, 0]
    np.not_equal(modules[:, 1:], modules[:, :-1], out=edges[:, 2:-1])
    # The run boundary in each slot, from a table rather than from 2-D indices (np.nonzero and
    # a remainder cost four times as much as this look-up).
    bounds = _boundaries(rows, width)[np.flatnonzero(edges)]
    lengths = np.diff(bounds)  # -width: the next row
    row_ends = np.flatnonzero(lengths < 0)
    if lengths.max() <= 26:
        text = (lengths + 64).astype(np.uint8)
        text[row_ends] = ord("/")
        text[row_ends[width - 1 :: width]] = ord("\n")
        return text.tobytes().decode("ascii").split("\n")
    texts = [_run_text(n) if n >= 0 else "/" for n in range(-width, width + 1)]
    runs = [texts[n + width] for n in lengths.tolist()]
    for end in row_ends[width - 1 :: width].tolist():
        runs[end] = "\n"
    return "".join(runs).split("\n")


@lru_cache(maxsize=64)
def _boundaries(rows: int, width: int) -> np.ndarray:
    """For every slot of ``rows`` rows of ``width + 2`` slots (``_tex_runs``), the module count
    its boundary ends a row's runs at: slot s of a row is max(s - 1, 0)."""
    row = np.maximum(np.arange(width + 2) - 1, 0)
    bounds = np.tile(row, rows)
    bounds.flags.writeable = False
    return bounds


def tex_codes(payloads: list[str]) -> list[str]:
    """``segno_tex_code`` of each payload; the codes of one version are computed together."""
    codes: list[str | None] = [None] * len(payloads)
    by_version: dict[int, list[tuple[int, bytes]]] = {}
    for i, payload in enumerate(payloads):
        encoded = _data_codewords(payload)
        if encoded is None:
            codes[i] = segno_tex_code(payload)
        else:
            by_version.setdefault(encoded[0], []).append((i, encoded[1]))
    for version, items in by_version.items():
        symbol = _symbol(version)
        texts = _tex_runs(_modules(symbol, [data for _, data in items]), symbol.width)
        for (i, _), text in zip(items, texts, strict=True):
            codes[i] = text
    return codes  # type: ignore[return-value]


def tex_code(payload: str) -> str:
    """The QR code of ``payload`` as ``\\examgen@qr`` draws it: rows of runs joined by ``/``."""
    return tex_codes([payload])[0]


#: The width (bp) a code may take in the left margin: it starts 16 bp from the paper's edge and
#: the text 1.2 in (86.4 bp) from it, so 66 bp leaves a gap.
QR_ROOM = 66.0
MODULE = 2.0  # bp: a module of three or four pixels at 150 dpi reads well


def module_size(codes: Sequence[str]) -> str:
    """The module (bp, as TeX reads it) for a student's codes: ``MODULE``, or less for a code of
    more than 33 modules a side (a long student ID), so that it stays out of the text column."""
    return f"{side_module(max(code.count('/') + 1 for code in codes)):.2f}"


def side_module(side: int) -> float:
    """The module (bp, to 0.01 below) of a code ``side`` modules wide: ``MODULE``, or what keeps
    it within ``QR_ROOM``."""
    return math.floor(min(MODULE, QR_ROOM / side) * 100) / 100


#: The least module (bp) that reads: a version-9 code fits ``QR_ROOM`` at 1.24 bp (2.6 pixels at
#: 150 dpi), and its pages read on blurred, turned and shrunk scans; a version-10 code (1.15 bp)
#: read on little more than half of them.
MIN_MODULE = 1.2


def code_version(payload: str) -> int | None:
    """The QR version (size) of ``payload``'s code, its side 17 + 4 × version modules; ``None``
    when it is too long for any (version 40 holds under 3 KB)."""
    encoded = _data_codewords(payload)
    if encoded is not None:
        return encoded[0]
    try:
        return segno.make_qr(payload, error=ERROR_LEVEL, mask=MASK, boost_error=False).version
    except segno.DataOverflowError:
        return None


class UnreadableCode(ExamgenError):
    """A student ID too long for a readable code; ``index`` is the student's place in the list
    (the CLI names the roster's line)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


#: A printed digest with a letter: a payload with one takes byte mode, the least dense, as most
#: do (a digest of digits alone, with an ID and exam ID of capitals and digits, takes a denser
#: mode), so a student passes whatever the digest of the handout will be.
_LOWERCASE_DIGEST = "z" * PRINTED_LENGTH


def refuse_unreadable_codes(exam: str, seed: int, students: Sequence[str], questions: int) -> None:
    """Stop before a build prints a student's pages with QR codes too fine to scan: a student ID
    so long that the code, shrunk into the margin, gets modules under ``MIN_MODULE``."""
    longest = pages_bound(questions)
    for index, student in enumerate(students):
        payload = Payload(exam, seed, longest, student, _LOWERCASE_DIGEST).text()
        size = len(payload.encode("utf-8"))
        if size <= _FITS_MIN_MODULE:
            continue
        version = code_version(payload)
        if version is None:
            code = "and is longer than any QR code holds"
        else:
            side = 17 + 4 * version
            if side_module(side) >= MIN_MODULE:
                continue
            code = (
                f"which would need {side} modules a side, {side_module(side):.2f} pt each in the "
                f"margin, finer than the {MIN_MODULE} pt a 150 dpi scan reads"
            )
        raise UnreadableCode(
            index,
            f"student ID {shown_name(student)!r} is too long to print: it goes into the QR code "
            f"on each of the student's handout pages, {code}; use IDs of at most "
            f"{_FITS_MIN_MODULE - (size - len(student.encode('utf-8')))} bytes in UTF-8 for this "
            "exam (--id-column takes the IDs from another roster column)",
        )


def _bytes_of_largest_readable_code() -> int:
    """The bytes the largest code with modules of at least ``MIN_MODULE`` holds (version 9 at
    error level L: 230) in byte mode, the least dense mode segno takes for a payload."""
    version = (math.floor(QR_ROOM / MIN_MODULE) - 17) // 4
    count_bits = consts.CHAR_COUNT_INDICATOR_LENGTH[consts.MODE_BYTE][
        encoder.version_range(version)
    ]
    return (consts.SYMBOL_CAPACITY[version][_ERROR] - 4 - count_bits) // 8


_FITS_MIN_MODULE = _bytes_of_largest_readable_code()


def student_codes(exam: str, seed: int, student: str, questions: int, printed: str) -> list[str]:
    pages = range(1, pages_bound(questions) + 1)
    return tex_codes([Payload(exam, seed, page, student, printed).text() for page in pages])
