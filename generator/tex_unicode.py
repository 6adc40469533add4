"""Any Unicode text as pdflatex input that prints it, or prints a visible stand-in, never fails.

Student names come from registrars and LMS exports in every script. pdflatex with ``T1`` +
``utf8`` + Latin Modern (the exam template's setup) prints Western and Central European letters but
stops with "Unicode character … not set up" on, say, Vietnamese ``ễ`` or Chinese ``王``. So each
non-ASCII character of escaped text is mapped here to the first thing that prints it:

1. the character itself, when ``utf8``/``T1`` handle it (``T1_RANGES``: every character that
   LaTeX's ``.dfu`` tables declare and that compiled without error in upright, italic, bold and
   typewriter Latin Modern on TeX Live 2022; ``tests/test_pdf.py`` recompiles them all);
2. Vietnamese letters beyond T1 from Latin Modern's T5 fonts by slot (``\\examgenTfive{N}``; the
   slots are those of lmodern's ``lm-t5.enc``, so no ``vntex`` package is needed);
3. a letter plus combining accents that T1 can build (``\\"{n}`` for n̈);
4. otherwise a visible code ``\\examgenmissing{738B}`` (a small box reading U+738B), reported by
   ``unprintable_characters`` so the build can say which names were affected.

Both macros are defined in ``templates/latex/exam.tex.j2``.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import cache

# Code points that ``[utf8]{inputenc}`` with ``[T1]{fontenc}`` and lmodern print (see docstring).
T1_RANGES: tuple[tuple[int, int], ...] = (
    (0x00A0, 0x0125), (0x0128, 0x0131), (0x0134, 0x0137), (0x0139, 0x013E), (0x0141, 0x0148),
    (0x014A, 0x0165), (0x0168, 0x017E), (0x0192, 0x0192), (0x01C4, 0x01D4), (0x01E2, 0x01E3),
    (0x01E6, 0x01EB), (0x01F0, 0x01F0), (0x01F4, 0x01F5), (0x0218, 0x021B), (0x0232, 0x0233),
    (0x0237, 0x0237), (0x02C6, 0x02C7), (0x02D8, 0x02D9), (0x02DB, 0x02DD), (0x0E3F, 0x0E3F),
    (0x1E02, 0x1E03), (0x1E0D, 0x1E0D), (0x1E1E, 0x1E21), (0x1E25, 0x1E25), (0x1E30, 0x1E31),
    (0x1E37, 0x1E37), (0x1E43, 0x1E43), (0x1E45, 0x1E45), (0x1E47, 0x1E47), (0x1E5B, 0x1E5B),
    (0x1E63, 0x1E63), (0x1E6D, 0x1E6D), (0x1E8E, 0x1E91), (0x1EF2, 0x1EF3), (0x200C, 0x200C),
    (0x2010, 0x2016), (0x2018, 0x201A), (0x201C, 0x201E), (0x2020, 0x2022), (0x2026, 0x2026),
    (0x2030, 0x2030), (0x2039, 0x203B), (0x203D, 0x203D), (0x2044, 0x2044), (0x204E, 0x204E),
    (0x2052, 0x2052), (0x20A1, 0x20A1), (0x20A4, 0x20A4), (0x20A6, 0x20A6), (0x20A9, 0x20A9),
    (0x20AB, 0x20AC), (0x20B1, 0x20B1), (0x2103, 0x2103), (0x2116, 0x2117), (0x211E, 0x211E),
    (0x2126, 0x2127), (0x212E, 0x212E), (0x2190, 0x2193), (0x2329, 0x232A), (0x2422, 0x2423),
    (0x25E6, 0x25E6), (0x25EF, 0x25EF), (0x266A, 0x266A), (0x27E8, 0x27E9), (0x3008, 0x3009),
    (0xFB00, 0xFB06), (0xFEFF, 0xFEFF),
)  # fmt: skip
_RANGE_STARTS = [start for start, _ in T1_RANGES]

# Vietnamese letters T1 lacks, by their slot in Latin Modern's T5 fonts (lm-t5.enc).
_T5 = (
    "26:Ỷ 27:ỷ 28:Ỵ 29:ỵ 131:Ả 132:Ạ 134:Ầ 135:Ấ 136:Ẫ 137:Ẩ 138:Ậ 140:Ằ 141:Ắ 142:Ẵ 143:Ẳ 144:Ặ "
    "147:Ẽ 148:Ẻ 149:Ẹ 151:Ề 152:Ế 153:Ễ 154:Ể 155:Ệ 159:Ỉ 163:ả 164:ạ 166:ầ 167:ấ 168:ẫ 169:ẩ "
    "170:ậ 172:ằ 173:ắ 174:ẵ 175:ẳ 176:ặ 179:ẽ 180:ẻ 181:ẹ 183:ề 184:ế 185:ễ 186:ể 187:ệ 191:ỉ "
    "192:Ị 196:Ỏ 197:Ọ 199:Ồ 200:Ố 201:Ỗ 202:Ổ 203:Ộ 204:Ơ 205:Ờ 206:Ớ 207:Ỡ 208:Ở 209:Ợ 213:Ủ "
    "214:Ụ 215:Ư 216:Ừ 217:Ứ 218:Ữ 219:Ử 220:Ự 223:Ỹ 224:ị 228:ỏ 229:ọ 231:ồ 232:ố 233:ỗ 234:ổ "
    "235:ộ 236:ơ 237:ờ 238:ớ 239:ỡ 240:ở 241:ợ 245:ủ 246:ụ 247:ư 248:ừ 249:ứ 250:ữ 251:ử 252:ự "
    "255:ỹ"
)
T5_SLOTS: dict[str, int] = {entry.split(":")[1]: int(entry.split(":")[0]) for entry in _T5.split()}

# Combining marks T1 can put on any letter, as LaTeX accent commands.
ACCENTS: dict[str, str] = {
    "\u0300": r"\`",
    "\u0301": r"\'",
    "\u0302": r"\^",
    "\u0303": r"\~",
    "\u0304": r"\=",
    "\u0306": r"\u",
    "\u0307": r"\.",
    "\u0308": r"\"",
    "\u030a": r"\r",
    "\u030b": r"\H",
    "\u030c": r"\v",
    "\u0323": r"\d",
    "\u0327": r"\c",
    "\u0328": r"\k",
    "\u0331": r"\b",
}

# A non-ASCII character with the combining marks that follow it, or marks after an ASCII letter.
_CLUSTER_RE = re.compile(r"[^\x00-\x7f][\u0300-\u036f]*|[A-Za-z][\u0300-\u036f]+")


def in_t1(char: str) -> bool:
    """Whether pdflatex prints ``char`` as it is (ASCII, or inside ``T1_RANGES``)."""
    code = ord(char)
    if code < 0x80:
        return True
    i = bisect_right(_RANGE_STARTS, code) - 1
    return i >= 0 and T1_RANGES[i][0] <= code <= T1_RANGES[i][1]


def missing(char: str) -> str:
    return rf"\examgenmissing{{{ord(char):04X}}}"


@cache
def _cluster_latex(cluster: str) -> str:
    """LaTeX for one base character with the combining marks that follow it."""
    if len(cluster) == 1:
        if in_t1(cluster):
            return cluster
        if cluster in T5_SLOTS:
            return rf"\examgenTfive{{{T5_SLOTS[cluster]}}}"
        category = unicodedata.category(cluster)
        if category == "Zs":
            return " "
        if category == "Cf":  # zero-width joiners, direction marks: nothing to print
            return ""
    base, *marks = unicodedata.normalize("NFD", cluster)
    if unicodedata.combining(base) or not in_t1(base):
        return "".join(missing(char) for char in cluster)
    text = base
    for mark in marks:
        text = f"{ACCENTS[mark]}{{{text}}}" if mark in ACCENTS else text + missing(mark)
    return text


def unicode_latex(text: str) -> str:
    """``text`` (already NFC and with LaTeX specials escaped) with every non-ASCII character made
    printable by pdflatex as described in the module docstring."""
    return _CLUSTER_RE.sub(lambda m: _cluster_latex(m.group()), text)


_MISSING_RE = re.compile(r"\\examgenmissing\{([0-9A-F]+)\}")


def unprintable_characters(text: str) -> list[str]:
    """The characters of ``text`` that print as a ``U+XXXX`` stand-in, in order, once each."""
    codes = _MISSING_RE.findall(unicode_latex(unicodedata.normalize("NFC", text)))
    return list(dict.fromkeys(chr(int(code, 16)) for code in codes))
