"""The QR codes on every handout page: the fast encoder draws exactly segno's code for every
payload (the build's output is byte-identical whichever draws it), and what it draws reads back."""

from __future__ import annotations

import math
import re
import string

import numpy as np
import pytest
import segno
import zxingcpp
from hypothesis import example, given
from hypothesis import strategies as st
from segno import consts, encoder

from generator.defaults import MAX_SEED
from generator.errors import ExamgenError
from generator.paper import qr
from generator.paper.qr import (
    Payload,
    _runs,
    _tex_runs,
    segno_tex_code,
    student_codes,
    tex_code,
    tex_codes,
)
from generator.paper.read import find_qr
from tests.strategies import seeds

exam_ids = st.text(
    st.characters(categories=("L", "N")) | st.sampled_from("-_."), min_size=1, max_size=30
)
pages = st.integers(min_value=1, max_value=60)
# Any text; text segno encodes in Shift JIS (kanji, kana, Greek, Cyrillic: not ISO-8859-1) or,
# with an "é", in UTF-8; and long ones: a repeated piece reaches the highest versions and beyond.
shift_jis_ids = st.text(st.sampled_from("漢字表示テストｱｲΩДé") | st.characters(max_codepoint=127))
ids = st.text() | shift_jis_ids
any_ids = ids | st.builds(
    lambda piece, times: piece * times, st.text(min_size=1, max_size=12), st.integers(1, 400)
)


#: ``printed`` as a build writes it, or "" (a page of a build before the printed digest).
printed = st.just("") | st.text(st.sampled_from(qr._DIGITS), min_size=4, max_size=4)


def payloads_of(
    exams: st.SearchStrategy[str],
    students: st.SearchStrategy[str],
    digests: st.SearchStrategy[str] = printed,
) -> st.SearchStrategy[str]:
    return st.builds(
        lambda *fields: Payload(*fields).text(), exams, seeds, pages, students, digests
    )


payloads = payloads_of(exam_ids, any_ids)
# All upper case, digits and the rest of QR's alphanumeric alphabet: segno's alphanumeric mode.
alphanumeric_payloads = payloads_of(
    st.text(string.ascii_uppercase + string.digits + "-.", min_size=1, max_size=30),
    st.text(consts.ALPHANUMERIC_CHARS.decode(), max_size=600),
    st.just("") | st.text(string.digits, min_size=4, max_size=4),
)


def reference(payload: str) -> str | type[ValueError]:
    try:
        return segno_tex_code(payload)
    except encoder.DataOverflowError:  # too long for any QR code
        return ValueError


def assert_fast_code_is_segnos_code(payload: str) -> None:
    """``tex_code`` draws segno's code, with segno's fallback forbidden: every examgen payload
    takes the fast path, except one too long for any QR code (segno says so)."""
    expected = reference(payload)
    if expected is ValueError:
        with pytest.raises(encoder.DataOverflowError):
            tex_code(payload)
        return

    def no_fallback(payload: str) -> str:
        raise AssertionError(f"fell back to segno for {payload!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(qr, "segno_tex_code", no_fallback)
        assert tex_code(payload) == expected


@given(payloads)
def test_fast_code_is_segnos_code(payload: str) -> None:
    assert_fast_code_is_segnos_code(payload)


@given(alphanumeric_payloads)
def test_fast_code_is_segnos_code_in_alphanumeric_mode(payload: str) -> None:
    assert encoder.prepare_data(payload, None, None).modes == [consts.MODE_ALPHANUMERIC]
    assert_fast_code_is_segnos_code(payload)


def version(payload: str) -> int:
    """The version segno chooses (41: none)."""
    segments = encoder.prepare_data(payload, None, None)
    try:
        return encoder.find_version(segments, consts.ERROR_LEVEL_L, eci=False, micro=False)
    except encoder.DataOverflowError:
        return 41


@pytest.mark.parametrize("mode, bits", [("byte", 8), ("alphanumeric", 5.5)])
def test_full_codes_are_segnos_codes(mode: str, bits: float) -> None:
    """Every version filled exactly (one character more takes the next one), where segno's
    padding is cut off at the capacity."""
    for number in range(1, 41):
        count_bits = consts.CHAR_COUNT_INDICATOR_LENGTH[consts.MODE_MAPPING[mode]][
            encoder.version_range(number)
        ]
        capacity = consts.SYMBOL_CAPACITY[number][consts.ERROR_LEVEL_L]
        characters = int((capacity - 4 - count_bits) // bits)
        payload = Payload("E", 1, 1, "A" * (characters - len("EG:E:1:1:"))).text()
        if mode == "byte":
            payload = payload.lower()
        assert (version(payload), version(payload + "A")) == (number, number + 1)
        assert_fast_code_is_segnos_code(payload)


@given(st.text() | st.text("0123456789", min_size=1) | st.text("漢字表示", min_size=1))
def test_any_text_is_segnos_code(payload: str) -> None:
    """Texts segno codes in numeric or kanji mode (never an examgen payload) fall back to it."""
    assert tex_code(payload) == segno_tex_code(payload)


@given(st.lists(payloads_of(exam_ids, ids), max_size=8))
def test_codes_together_are_each_code(texts: list[str]) -> None:
    """Codes of several versions encoded together come back in order, each its own."""
    assert tex_codes(texts) == [segno_tex_code(text) for text in texts]


@given(exam_ids, seeds, ids, st.integers(min_value=1, max_value=12), printed)
def test_student_codes_are_one_per_page(
    exam: str, seed: int, student: str, questions: int, printed: str
) -> None:
    if reference(Payload(exam, seed, questions + 3, student, printed).text()) is ValueError:
        return
    assert student_codes(exam, seed, student, questions, printed) == [
        segno_tex_code(Payload(exam, seed, page, student, printed).text())
        for page in range(1, qr.pages_bound(questions) + 1)
    ]


@given(exam_ids, seeds, pages, any_ids, printed)
@example("quiz", 42, 3, "s001", "")  # as builds before the printed digest wrote it
@example("quiz", 42, 3, "a:b:c", "k7q2")  # an ID with colons, after the digest
def test_a_payload_reads_back_whatever_the_id(
    exam: str, seed: int, page: int, student: str, printed: str
) -> None:
    """Both forms read back: ``EG2:<printed>:…`` and the earlier ``EG:…`` (printed copies of
    builds before the digest still scan against their own build)."""
    payload = Payload(exam, seed, page, student, printed)
    assert Payload.parse(payload.text()) == payload
    assert payload.text().startswith("EG2:" if printed else "EG:")


@pytest.mark.parametrize(
    "text",
    ["EG2:k7q:quiz:1:1:s1", "EG2:K7Q2:quiz:1:1:s1", "EG2:k7q2:quiz:x:1:s1", "EG3:k7q2:q:1:1:s", ""],
)
def test_what_is_no_examgen_payload_is_none(text: str) -> None:
    assert Payload.parse(text) is None


@given(st.lists(st.text(), max_size=6), st.lists(st.text(), max_size=6))
def test_the_printed_digest_tells_texts_apart(first: list[str], second: list[str]) -> None:
    """Four lowercase letters or digits, the same for the same texts, and (but for one chance
    in 36**4) another for others: the split between texts counts too."""
    digest = qr.printed_digest(first)
    assert len(digest) == qr.PRINTED_LENGTH and set(digest) <= set(qr._DIGITS)
    assert qr.printed_digest(list(first)) == digest
    if first != second:
        assert qr.printed_digest(second) != digest
    assert qr.printed_digest(["ab", "c"]) != qr.printed_digest(["a", "bc"])


@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.integers(1, 4), st.integers(1, 40))
def test_run_lengths_are_runs(seed: int, width: int, codes: int, mean_run: int) -> None:
    """Any modules, long runs (split at 26) and rows starting dark included."""
    rng = np.random.default_rng(seed)
    runs = rng.geometric(1 / mean_run, size=codes * width * width)
    colours = np.repeat(np.arange(len(runs)) % 2, runs)[: codes * width * width]
    modules = (colours ^ rng.integers(0, 2)).astype(np.uint8).reshape(codes * width, width)
    expected = [
        "/".join(_runs(row) for row in code.tolist()) for code in modules.reshape(codes, width, -1)
    ]
    assert _tex_runs(modules, width) == expected


def modules_of(code: str) -> np.ndarray:
    """The modules (1: dark) a ``tex_code`` string draws, read the way ``\\examgen@qr`` reads it."""
    rows = []
    for runs in code.split("/"):
        row: list[int] = []
        for colour, run in enumerate(runs):
            row += [colour % 2] * (ord(run) - 64)
        rows.append(row)
    return np.array(rows, dtype=np.uint8)


#: Found by Hypothesis: zxing, looking for every format, also read a UPC-E in this payload's code.
_UNIT = "É'\U000d070e\tÚ\U0002c0afOs\x86;\U00101acd\U0001dd80"
_SPURIOUS_UPC_E = "EG:\U0001200dĂ:18:12:" + _UNIT * 93 + _UNIT[:-2]


def image_of(code: str) -> np.ndarray:
    """The code drawn black on white, 4 pixels per module, with a 4-module quiet zone."""
    return np.kron(1 - np.pad(modules_of(code), 4), np.ones((4, 4), np.uint8)) * 255


@given(payloads)
@example(_SPURIOUS_UPC_E)
@example("EG:0\u00aa\u00aa\u0800:100000:10:" + "5\u00ec\u00bdm" * 106)  # zxing saw a 1D code too
def test_fast_code_reads_back(payload: str) -> None:
    """zxing reads the payload's bytes (segno's encoding: ISO-8859-1, else Shift JIS, else
    UTF-8) from the code, looking for QR codes only, as ``examgen scan`` does: on a large code,
    all formats can find a one-dimensional barcode in its modules as well."""
    if reference(payload) is ValueError:
        return
    read = zxingcpp.read_barcodes(
        image_of(tex_code(payload)), formats=zxingcpp.BarcodeFormat.QRCode
    )
    assert [r.bytes for r in read] == [encoder.data_to_bytes(payload, None)[0]]


@given(
    st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=30),
    seeds,
    pages,
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=60),
    printed,
)
def test_scan_reads_the_payload(exam: str, seed: int, page: int, student: str, printed: str) -> None:
    """``examgen scan``'s reader finds the page's payload in the code."""
    payload = Payload(exam, seed, page, student, printed)
    codes, _ = find_qr(image_of(tex_code(payload.text())))
    assert [(code.payload, code.text) for code in codes] == [(payload, payload.text())]


@pytest.mark.parametrize("printed", ["", "k7q2"])
def test_a_page_is_matched_to_its_own_builds_sheet_only(printed: str) -> None:
    """A page is read against the sheet whose payload it carries, word for word: a handout of a
    build before the printed digest (``EG:…``) against that build's sheets.json, as before; the
    same page against a build whose payload for it differs is ``other-build``, never read. (The
    image has no registration marks, so a matched page goes on to fail for want of them.)"""
    from generator.paper.read import read_page

    payload = Payload("quiz", 42, 2, "s:001", printed)
    image = image_of(tex_code(payload.text())).astype(np.uint8)
    box = {"x": 16.0, "y": 356.0, "w": 50.0, "h": 50.0}
    sheet = {"qr": payload.text(), "qr_box": box, "marks": [], "bubbles": []}
    matched = read_page(image, "quiz", 42, {("s:001", 2): sheet})
    assert (matched.payload, matched.problem) == (payload, "not-registered")
    other = Payload("quiz", 42, 2, "s:001", "zzzz" if printed else "k7q2").text()
    mismatched = read_page(image, "quiz", 42, {("s:001", 2): {**sheet, "qr": other}})
    assert (mismatched.payload, mismatched.problem) == (payload, "other-build")


@given(st.integers(1, 40))
def test_a_codes_module_keeps_it_within_the_margin(version: int) -> None:
    """2 bp a module up to 33 modules a side (version 4), less beyond: never wider than
    ``QR_ROOM``, as TeX reads a length."""
    side = 17 + 4 * version
    codes = ["/".join(["@"] * side)]
    module = qr.module_size(codes)
    assert re.fullmatch(r"\d\.\d\d", module)
    assert float(module) * side <= qr.QR_ROOM
    assert float(module) == (2.0 if side <= 33 else math.floor(qr.QR_ROOM / side * 100) / 100)


def smallest_module(exam: str, seed: int, student: str, questions: int, printed: str) -> float:
    """The module of a student's codes as the build draws them (0 when none holds the payload)."""
    try:
        return float(qr.module_size(student_codes(exam, seed, student, questions, printed)))
    except segno.DataOverflowError:
        return 0.0


@given(exam_ids, seeds, any_ids, st.integers(1, 12), printed.filter(bool))
@example("QUIZ", 0, "S" * 216, 7, "1234")  # fits a readable code only if the digest has no letter
def test_a_build_refuses_exactly_the_ids_whose_codes_would_print_too_fine(
    exam: str, seed: int, student: str, questions: int, digest: str
) -> None:
    """A student whose codes (every page's, as the build draws them) would get modules under
    ``MIN_MODULE`` with a printed digest holding a letter (byte mode, as most take) stops the
    build, before the digest is known; any other student passes, and their codes read whatever
    the digest turns out to be."""
    too_fine = smallest_module(exam, seed, student, questions, "k7q2") < qr.MIN_MODULE
    try:
        qr.refuse_unreadable_codes(exam, seed, [student], questions)
    except ExamgenError as refused:
        assert too_fine and "too long to print" in str(refused)
    else:
        assert not too_fine
        assert smallest_module(exam, seed, student, questions, digest) >= qr.MIN_MODULE


@pytest.mark.parametrize("exam", ["lecture-14-quiz", "q" * 100])
def test_the_longest_id_the_error_allows_prints_and_one_byte_more_does_not(exam: str) -> None:
    with pytest.raises(ExamgenError) as refused:
        qr.refuse_unreadable_codes(exam, MAX_SEED, ["x" * 1000], 7)
    message = str(refused.value)
    assert "\n" not in message and "--id-column" in message
    limit = int(re.search(r"at most (\d+) bytes", message).group(1))
    qr.refuse_unreadable_codes(exam, MAX_SEED, ["é" * (limit // 2)], 7)
    codes = student_codes(exam, MAX_SEED, "x" * limit, 7, "k7q2")
    assert float(qr.module_size(codes)) >= qr.MIN_MODULE
    with pytest.raises(ExamgenError, match="too long to print"):
        qr.refuse_unreadable_codes(exam, MAX_SEED, ["x" * (limit + 1)], 7)


@pytest.mark.parametrize(("side", "scales"), [(1651, [1, 2, 1, 3, 3, 3]), (3301, [1, 2, 1])])
def test_only_a_low_resolution_page_is_read_again_three_times_larger(side, scales) -> None:
    """The sharpened copies three times larger (sharpened by three amounts) are for small
    modules at 150–200 dpi: at 600 dpi each would take 0.3 GB for a page."""
    from generator.paper.read import _qr_attempts

    page = np.full((side, side * 17 // 22), 255, np.uint8)
    attempts = list(_qr_attempts(page))
    assert [scale for scale, _ in attempts] == scales
    assert [a.shape for _, a in attempts] == [(side * s, (side * 17 // 22) * s) for s in scales]
