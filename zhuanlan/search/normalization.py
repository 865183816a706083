"""Search's text normalisation: the text a query and a story are compared in.

Normalisation works one code point at a time (so a substring of a text always normalises to a
substring of the normalised text): NFKC (which also folds full-/half-width forms), lower case,
traditional → simplified through OpenCC's character table, and whitespace and control/format
characters dropped. Text is then handled as UTF-16 code units, the unit JavaScript strings are
made of, so that both sides count alike. search.js does the same with the same lists.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np

from .. import hanzi

# Characters that normalisation drops: controls (Cc), formats (Cf), separators (Zs, Zl, Zp) and
# lone surrogates. Written out (Unicode 14) rather than taken from unicodedata, so that the
# JavaScript side, which cannot ask for a character's category in old browsers, has the same list.
DROP_RANGES = (
    (0x0000, 0x0020), (0x007F, 0x00A0), (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C),
    (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x1680, 0x1680),
    (0x180E, 0x180E), (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x2064), (0x2066, 0x206F),
    (0x3000, 0x3000), (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)
# A query made only of these (after normalisation) is not searched: ASCII punctuation and
# symbols, Latin-1 punctuation, general punctuation, CJK punctuation, full-width forms' leftovers.
PUNCT_RANGES = (
    (0x0021, 0x002F), (0x003A, 0x0040), (0x005B, 0x0060), (0x007B, 0x007E), (0x00A1, 0x00BF),
    (0x00D7, 0x00D7), (0x00F7, 0x00F7), (0x2010, 0x2027), (0x2030, 0x205E), (0x3001, 0x3003),
    (0x3008, 0x3011), (0x3014, 0x301F), (0x30FB, 0x30FB), (0xFE10, 0xFE19), (0xFE30, 0xFE6B),
    (0xFF01, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF65),
)
# Where OpenCC's traditional characters live: CJK Ext. A, Unified, Compatibility, Ext. B–H.
_T2S_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))


def _in_ranges(cp: int, ranges) -> bool:
    return any(low <= cp <= high for low, high in ranges)


@lru_cache(maxsize=1)
def t2s_table() -> dict[str, str]:
    """Traditional → simplified, one character to one character, from OpenCC's t2s tables.

    Characters are converted one at a time (see hanzi.t2s_chars), because search must fold a
    character the same way wherever it stands.
    """
    return hanzi.t2s_chars(_characters(_T2S_RANGES))


def _characters(ranges) -> str:
    """Every character of these code point ranges, as one string (made in C: a chr() for each of
    some 100,000 characters took 30 ms, a tenth of what a one-story rebuild's search costs)."""
    return np.concatenate([np.arange(low, high + 1, dtype="<u4") for low, high in ranges]).tobytes().decode("utf-32-le")


@lru_cache(maxsize=1)
def t2s_sources() -> frozenset[str]:
    """Characters whose NFKC form holds a traditional character: those in the table, and
    compatibility forms (CJK radicals, compatibility ideographs, enclosed and squared forms)."""
    table = t2s_table()
    sources = set(table)
    for low, high in ((0x2E80, 0x2FDF), (0x3200, 0x33FF), (0xF900, 0xFAFF), (0x1F200, 0x1F2FF), (0x2F800, 0x2FA1F)):
        for cp in range(low, high + 1):
            if any(piece in table for piece in unicodedata.normalize("NFKC", chr(cp)).lower()):
                sources.add(chr(cp))
    return frozenset(sources)


def _fold_char(char: str) -> str:
    table = t2s_table()
    out = []
    for piece in unicodedata.normalize("NFKC", char).lower():
        if not _in_ranges(ord(piece), DROP_RANGES):
            out.append(table.get(piece, piece))
    return "".join(out)


class _FoldTable(dict):
    """str.translate table filled on first sight of each code point."""

    def __missing__(self, cp: int) -> str:
        value = self[cp] = _fold_char(chr(cp))
        return value


_FOLD = _FoldTable()


def fold_point(cp: int) -> str:
    """What normalize makes of one code point (folded once, then remembered)."""
    return _FOLD[cp]


def normalize(text: str) -> str:
    """The text search compares: each code point folded on its own (see the module docstring)."""
    return text.translate(_FOLD)


def searchable(normalized: str) -> bool:
    """False for an empty query or one made of punctuation only."""
    return any(not _in_ranges(ord(c), PUNCT_RANGES) for c in normalized)


def utf16_units(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype="<u2")

