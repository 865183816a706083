"""Bytes read with the wrong codec, and how to read them again.

A garbled run is encoded back with the codec that misread it (GBK, or Windows-1252/Latin-1) and
decoded with the one it was written in (UTF-8, or GBK), allowing for bytes the reader lost: a
character the reader could not decode shows as U+FFFD or `?` and stands for one or two unknown
bytes; a run may begin with the tail of a character and end with the head of one. Of all the ways
to read the bytes, `decode` keeps the one that gives the most ordinary Chinese, and may keep any
character of the run as it is; what it makes of the rest is judged by the caller.

How ordinary a character is comes from GB2312, through Python's own codec: its level 1 holds the
3,755 Han characters in everyday use, level 2 the 3,008 less common ones; GBK and Big5 add rarer
and traditional ones. UTF-8 read as GBK turns every lead byte of a Chinese character (E4–E9) into
the lead byte of a level-2 or GBK-only character, so mojibake is poor in level 1 and its repair rich.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .prose import HAN, encodable

WILD = -1  # a byte the reader replaced: unknown, and it may stand for two bytes
LOST = 4  # cost of a character whose bytes are partly lost (U+FFFD in the repair)
BAD = 12  # cost of a byte that fits no character at all
COSTS = (0, 2, 5, 8)  # by tier
REPLACEMENT = "\ufffd"
WILDCARDS = frozenset((REPLACEMENT, "?"))
# Chinese punctuation and signs of everyday prose (GB2312 has them, among many rarer symbols).
EVERYDAY_MARKS = frozenset("，。、；：？！“”‘’（）《》〈〉【】「」『』〔〕…—～·－　％℃①②③④⑤⑥⑦⑧⑨⑩")
# Codec pairs tried on a run: (the codec that misread the bytes, the codec they were written in).
GBK_AS_UTF8 = ("gbk", "utf-8")  # UTF-8 read as GBK: “鍏氬缓”
LATIN_AS_UTF8 = ("latin", "utf-8")  # UTF-8 read as Windows-1252 or Latin-1: “å…šå»º”
LATIN_AS_GBK = ("latin", "gbk")  # GBK read as Windows-1252 or Latin-1: “µ³½¨”
PAIRS = (GBK_AS_UTF8, LATIN_AS_UTF8, LATIN_AS_GBK)
DESCRIBE = {GBK_AS_UTF8: "UTF-8 被当成 GBK", LATIN_AS_UTF8: "UTF-8 被当成 Latin-1",
            LATIN_AS_GBK: "GBK 被当成 Latin-1"}


@lru_cache(maxsize=None)
def tier(char: str) -> int:
    """0: everyday (ASCII, GB2312 level 1, common punctuation); 1: GB2312 level 2 and symbols;
    2: Han characters only GBK or Big5 have; 3: anything else (kana, box drawing, private use,
    Latin letters with accents, CJK extension A, U+FFFD)."""
    if char < "\x80" or char in EVERYDAY_MARKS or "\uff01" <= char <= "\uff5e" or (
            char.isspace() and char != "\xa0"):  # a no-break space is 0xA0 read as Latin-1 as often as not
        return 0
    if char > "\uffff" or "\u2600" <= char <= "\u27bf":
        return 0  # emoji, dingbats, rare Han outside the BMP: no misreading of GBK or Latin-1 makes these
    try:
        data = char.encode("gb2312")
    except UnicodeEncodeError:
        data = b""
    if len(data) == 2:
        if data[0] >= 0xB0:
            return 0 if data[0] < 0xD8 else 1  # level 1 / level 2
        return 1 if data[0] <= 0xA3 else 3  # symbols, numbers, full-width forms / kana, Greek, Cyrillic, pinyin, boxes
    if "\u4e00" <= char <= "\u9fff" and (encodable(char, "gbk") or encodable(char, "big5")):
        return 2
    if "\uf900" <= char <= "\ufaff" and encodable(char, "big5"):
        return 2
    return 3


def cost(text: str) -> int:
    return sum(COSTS[tier(c)] for c in text)


def everyday(char: str) -> bool:
    return tier(char) == 0 and (HAN.match(char) is not None or char in EVERYDAY_MARKS or char.isalnum())


# ---------------------------------------------------------------- the wrong codec, backwards

@lru_cache(maxsize=None)
def char_bytes(char: str, wrong: str) -> tuple[int, ...] | None:
    """The bytes that `wrong` decoded into `char`; (WILD,) for a reader's replacement mark; None when
    that codec never gives this character."""
    if char in WILDCARDS:
        return (WILD,)
    if wrong == "gbk":
        if char == "\u20ac":
            return (0x80,)  # Windows and browsers read a lone 0x80 as the euro sign
        try:
            data = char.encode("gb18030")  # GBK, with its user-defined areas (private use characters)
        except UnicodeEncodeError:
            return None
        return tuple(data) if len(data) <= 2 else None
    for codec in ("cp1252", "latin-1"):  # Windows-1252, or C1 controls where it has a hole
        try:
            return tuple(char.encode(codec))
        except UnicodeEncodeError:
            continue
    return None


# ---------------------------------------------------------------- reading the bytes again

@dataclass(frozen=True)
class Piece:
    """One stretch of a run that `decode` reads again: characters [start, end) of the run become `text`."""

    start: int
    end: int
    text: str  # U+FFFD where a character was lost (one mark for several in a row)
    full: str  # the characters read whole
    lost: int  # characters lost (partly read bytes)
    bad: int  # bytes that fit nothing
    cost: int


@dataclass
class _Token:
    text: str
    cost: int
    full: str = ""
    lost: int = 0
    bad: int = 0


_CONT = range(0x80, 0xC0)


def _is(value: int, allowed) -> bool:
    return value == WILD or value in allowed


def _slots(elements: list[int], k: int, count: int):
    """Ways to take `count` byte slots from elements[k:]: (next index, the bytes, any unknown). A WILD
    element fills one slot or two."""
    if count == 0:
        yield k, (), False
        return
    if k >= len(elements):
        return
    value = elements[k]
    if value == WILD:
        for rest_k, rest, _ in _slots(elements, k + 1, count - 1):
            yield rest_k, (WILD,) + rest, True
        if count >= 2:
            for rest_k, rest, _ in _slots(elements, k + 1, count - 2):
                yield rest_k, (WILD, WILD) + rest, True
    else:
        for rest_k, rest, unknown in _slots(elements, k + 1, count - 1):
            yield rest_k, (value,) + rest, unknown


def _utf8_tokens(elements: list[int], k: int):
    first = elements[k]
    if 0 <= first < 0x80:
        yield k + 1, _Token(chr(first), COSTS[tier(chr(first))], full=chr(first))
        return
    if 0x80 <= first < 0xC0:  # the tail of a character whose head is lost
        yield k + 1, _Token(REPLACEMENT, LOST, lost=1)
        if k + 1 < len(elements) and elements[k + 1] in _CONT:
            yield k + 2, _Token(REPLACEMENT, LOST, lost=1)
        return
    if first == WILD or 0xE0 <= first < 0xF0 or 0xC2 <= first < 0xE0:
        size = 2 if 0xC2 <= first < 0xE0 else 3
        sizes = (2, 3) if first == WILD else (size,)
        for size in sizes:
            for nxt, data, unknown in _slots(elements, k, size):
                if not all(_is(b, _CONT) for b in data[1:]):
                    continue
                if unknown:
                    yield nxt, _Token(REPLACEMENT, LOST, lost=1)
                    continue
                try:
                    char = bytes(data).decode("utf-8")
                except UnicodeDecodeError:
                    continue
                yield nxt, _Token(char, COSTS[tier(char)], full=char)
        if first != WILD:  # a head whose tail is lost: the head alone, or with its first tail byte
            yield k + 1, _Token(REPLACEMENT, LOST, lost=1)
            if size == 3 and k + 1 < len(elements) and elements[k + 1] in _CONT:
                yield k + 2, _Token(REPLACEMENT, LOST, lost=1)
        else:
            yield k + 1, _Token(REPLACEMENT, LOST, lost=1)
        return
    yield k + 1, _Token(REPLACEMENT, BAD, bad=1)


def _gbk_tokens(elements: list[int], k: int):
    first = elements[k]
    if 0 <= first < 0x80:
        yield k + 1, _Token(chr(first), COSTS[tier(chr(first))], full=chr(first))
        return
    if first == WILD or 0x81 <= first <= 0xFE:
        for nxt, data, unknown in _slots(elements, k, 2):
            if data[1] != WILD and not (0x40 <= data[1] <= 0xFE and data[1] != 0x7F):
                continue
            if unknown:
                yield nxt, _Token(REPLACEMENT, LOST, lost=1)
                continue
            try:
                char = bytes(data).decode("gbk")
            except UnicodeDecodeError:
                continue
            yield nxt, _Token(char, COSTS[tier(char)], full=char)
        yield k + 1, _Token(REPLACEMENT, LOST, lost=1)
        return
    yield k + 1, _Token(REPLACEMENT, BAD, bad=1)


def decode(chars: str, pair: tuple[str, str], keep_cost=None, char_cost=None) -> tuple[int, list[Piece]]:
    """The cheapest reading of `chars` as bytes misread by pair[0] and written in pair[1]: its total
    cost and the pieces read again (every other character kept as it is). `keep_cost(i)` is what
    keeping character i costs, `char_cost(c)` what reading a character c costs (both by default
    their tier's)."""
    wrong, right = pair
    elements: list[int] = []
    owner: list[int] = []  # element → index of the character it came from
    start_of: list[int] = []  # character → its first element
    for index, char in enumerate(chars):
        data = char_bytes(char, wrong)
        start_of.append(len(elements))
        elements.extend(data if data is not None else (_NO_BYTES,))  # a character that can only be kept
        owner.extend([index] * len(data or (_NO_BYTES,)))
    n = len(elements)
    start_of.append(n)
    char_at = {element: index for index, element in enumerate(start_of[:-1])}
    tokens = _utf8_tokens if right == "utf-8" else _gbk_tokens
    keep = keep_cost or (lambda i: COSTS[tier(chars[i])])
    best: list[tuple[int, int, _Token | None] | None] = [None] * (n + 1)  # (cost, previous element, token; None: kept)
    best[0] = (0, -1, None)
    for k in range(n):
        if best[k] is None:
            continue
        here = best[k][0]
        if k in char_at:
            index = char_at[k]
            _relax(best, start_of[index + 1], here + keep(index), k, None)
        if elements[k] == _NO_BYTES:
            continue
        for nxt, token in tokens(elements, k):
            if _NO_BYTES not in elements[k:nxt]:
                if char_cost is not None and token.full:
                    token.cost = char_cost(token.full)
                _relax(best, nxt, here + token.cost, k, token)
    # Walk back, gathering each stretch of tokens read again into a piece.
    pieces: list[Piece] = []
    k, stretch, end = n, [], n
    while k > 0:
        _, previous, token = best[k]
        if token is None:
            if stretch:
                pieces.append(_piece(stretch, owner, k, end))
                stretch = []
        else:
            if not stretch:
                end = k
            stretch.insert(0, token)
        k = previous
    if stretch:
        pieces.append(_piece(stretch, owner, 0, end))
    return best[n][0], pieces[::-1]


_NO_BYTES = -2


def _relax(best, index: int, value: int, previous: int, token: _Token | None) -> None:
    if best[index] is None or value < best[index][0]:
        best[index] = (value, previous, token)


def _piece(tokens: list[_Token], owner: list[int], start: int, end: int) -> Piece:
    text = "".join(t.text for t in tokens)
    while REPLACEMENT * 2 in text:
        text = text.replace(REPLACEMENT * 2, REPLACEMENT)
    return Piece(owner[start], owner[end - 1] + 1, text, "".join(t.full for t in tokens),
                 sum(t.lost for t in tokens), sum(t.bad for t in tokens), sum(t.cost for t in tokens))
