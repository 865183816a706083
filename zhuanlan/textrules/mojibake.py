"""Mojibake: UTF-8 read as GBK (“鍏氬缓”) or as Latin-1 (“å…šå»º”), the marks of text lost in a
conversion (“锟斤拷”, U+FFFD), and lines thick with characters no Chinese prose uses. The detector
warns with what the text said; `repair_mojibake` (for import) turns what it can back."""
from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

from ..problems import WARNING
from .mixedscript import script_tables
from .prose import HAN, Finding, Positions, encodable

MOJIBAKE = "mojibake"

_GBK_MARK = "zhuanlan-gbk-mark"
codecs.register_error(_GBK_MARK, lambda exc: (b"\xff" * (exc.end - exc.start), exc.end))
# A run of well-formed three-byte UTF-8 sequences (Chinese characters and punctuation are three bytes).
_UTF8_RUN = re.compile(rb"(?:\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf])+")
_UTF8_PAIR = re.compile(rb"(?:\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]){2}")
_UTF8_HEAD = re.compile(rb"[\xe1-\xef][\x80-\xbf]")  # the first two bytes of a three-byte character
_LATIN_RUN = re.compile("[\u00c0-\u00ef][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                        "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{1,3}"
                        "(?:[\u00c0-\u00ef][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                        "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
                        "\ufffd]{1,3})+")
_KNOWN_GARBAGE = re.compile(r"(?:锟斤拷)+|烫{3,}|屯{3,}|\ufffd+")
_ODD = re.compile("[\ue000-\uf8ff\u3040-\u30ff\uac00-\ud7af\u3400-\u4dbf]")  # private use, kana, Hangul, ext-A


@lru_cache(maxsize=None)
def _common(char: str) -> bool:
    """An everyday character: GB2312 level 1 (the 3755 most used) or GB2312 punctuation.

    UTF-8 read as GBK turns every first byte of a Chinese character (E4–E9) into the first byte
    of a GB2312 level-2 or GBK-only character, so mojibake is poor in these and its repair rich.
    """
    try:
        data = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(data) == 2 and data[0] < 0xD8


@lru_cache(maxsize=None)
def _rare(char: str) -> bool:
    """A character with no place in Chinese prose (private use, kana, Hangul, CJK extension A), or a
    Han character in neither GB2312 nor Big5 that is not the simplified form of a Big5 one."""
    if _ODD.match(char):
        return True
    if not HAN.match(char) or encodable(char, "gb2312") or encodable(char, "big5"):
        return False
    return char not in script_tables()[1]


@dataclass
class _Repair:
    start: int
    end: int
    text: str  # the repaired text; U+FFFD where a character was lost for good


def _gbk_repairs(line: str) -> list[_Repair]:
    """Spans of `line` that are UTF-8 read as GBK, with what they said.

    A line is taken for mojibake only when a span of two or more characters decodes into ordinary
    Chinese that reads more ordinary than the line does; then the shorter spans around it are
    repaired too (single characters between the reader's replacement marks).
    """
    if line.isascii():
        return []
    data = line.encode("gbk", errors=_GBK_MARK)
    if not _UTF8_PAIR.search(data):
        return []  # no two characters in a row that could be UTF-8: the usual case, found at C speed
    # Byte offset where each character starts (GBK: ASCII 1 byte, anything else 2; unencodable: 1 mark byte).
    starts, offset = [], 0
    for char in line:
        starts.append(offset)
        offset += 1 if ord(char) < 128 or not _encodable_gbk(char) else 2
    starts.append(offset)
    matches = []
    proven = False
    for match in _UTF8_RUN.finditer(data):
        first = bisect.bisect_right(starts, match.start()) - 1
        last = bisect.bisect_right(starts, match.end() - 1) - 1
        decoded = match.group().decode("utf-8")
        han = [c for c in decoded if HAN.match(c) or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"]
        if len(han) < len(decoded) - sum(1 for c in decoded if "\u2000" <= c <= "\u206f"):
            continue  # decodes to something other than Chinese text and its punctuation
        if not han or sum(map(_common, han)) < 0.8 * len(han):
            continue
        matches.append((match, first, last, decoded))
        source = line[first:last + 1]
        if len(han) >= 2 and sum(map(_common, source)) / len(source) < sum(map(_common, han)) / len(han):
            proven = True
    if not proven:
        return []
    repairs: list[_Repair] = []
    for match, first, last, decoded in matches:
        text, end = decoded, last + 1
        if starts[last + 1] > match.end():  # the last character is cut in two: its second byte began a lost one
            text += "\ufffd"
            if end < len(line) and line[end] == "\ufffd":
                end += 1  # the reader's own replacement mark stands for the same lost character
        if starts[first] < match.start():  # the first character carries the tail of a lost one
            if not (repairs and repairs[-1].end == first) and not (first and line[first - 1] == "\ufffd"):
                text = "\ufffd" + text
        if repairs and repairs[-1].end > first:
            continue
        repairs.append(_Repair(first, end, text))
    # What is left: a character holding only the first two bytes of one whose last byte was lost.
    covered = {i for r in repairs for i in range(r.start, r.end)}
    for index, char in enumerate(line):
        if index in covered or not _UTF8_HEAD.fullmatch(data[starts[index]:starts[index + 1]]):
            continue
        end = index + 1
        if end < len(line) and line[end] == "\ufffd":
            end += 1
        elif end < len(line) and end not in covered:
            continue  # followed by intact text: an ordinary character after all
        repairs.append(_Repair(index, end, "\ufffd"))
        covered.update(range(index, end))
    return sorted(repairs, key=lambda r: r.start)


@lru_cache(maxsize=None)
def _encodable_gbk(char: str) -> bool:
    return encodable(char, "gbk")


def _latin_repairs(line: str) -> list[_Repair]:
    """Spans that are UTF-8 read as Latin-1 / Windows-1252 (“å…šå»º”)."""
    repairs = []
    for match in _LATIN_RUN.finditer(line):
        data = bytearray()
        for char in match.group():
            if char == "\ufffd":
                data += b"\xff"
                continue
            try:
                data += char.encode("cp1252")
            except UnicodeEncodeError:
                data += char.encode("latin-1", errors="replace")
        decoded = bytes(data).decode("utf-8", errors="replace")
        if sum(1 for c in decoded if HAN.match(c)) >= 1 and decoded.count("\ufffd") <= len(decoded) // 3:
            repairs.append(_Repair(match.start(), match.end(), re.sub("\ufffd+", "\ufffd", decoded)))
    return repairs


def repair_mojibake(text: str) -> str:
    """Text with UTF-8-read-as-GBK and UTF-8-read-as-Latin-1 spans turned back into what they said."""
    out = []
    for line in text.split("\n"):
        repairs = sorted(_gbk_repairs(line) + _latin_repairs(line), key=lambda r: r.start, reverse=True)
        for repair in repairs:
            line = line[:repair.start] + repair.text + line[repair.end:]
        if repairs:  # one lost character often left two marks behind
            line = re.sub("\ufffd{2,}", "\ufffd", line)
        out.append(line)
    return "\n".join(out)


def find_mojibake(view: str, at: Positions) -> list[Finding]:
    # Whole-text searches at C speed first: most files need no line-by-line look at all.
    gbk = bool(_UTF8_PAIR.search(view.encode("gbk", errors=_GBK_MARK)))
    latin = bool(_LATIN_RUN.search(view))
    garbage = bool(_KNOWN_GARBAGE.search(view))
    rare_possible = not _all_gb2312(view)
    if not (gbk or latin or garbage or rare_possible):
        return []
    found: list[Finding] = []
    offset = 0
    for line in view.split("\n"):
        covered: list[tuple[int, int]] = []
        repairs = (_gbk_repairs(line) if gbk else []) + (_latin_repairs(line) if latin else [])
        for repair in sorted(repairs, key=lambda r: r.start):
            covered.append((repair.start, repair.end))
            shown = repair.text if len(repair.text) <= 20 else repair.text[:20] + "……"
            row, col = at(offset + repair.start)
            lost = "（有字已丢失，请对照原文补全）" if "\ufffd" in repair.text else ""
            found.append(Finding(MOJIBAKE, WARNING, row, col, repair.end - repair.start,
                                 f"乱码：这段文字是 UTF-8 被当成 {'GBK' if _is_cjk_garble(line, repair) else 'Latin-1'} "
                                 f"读错了，原文应为“{shown}”{lost}", fix=repair.text))
        for match in _KNOWN_GARBAGE.finditer(line) if garbage else ():
            if any(s <= match.start() < e for s, e in covered):
                continue
            covered.append(match.span())
            row, col = at(offset + match.start())
            what = "“锟斤拷”" if match.group().startswith("锟") else (
                "替换字符“\ufffd”" if match.group()[0] == "\ufffd" else f"“{match.group()[:3]}”")
            found.append(Finding(MOJIBAKE, WARNING, row, col, len(match.group()),
                                 f"乱码：{what} 是编码转换时丢失的文字，请对照原文改正"))
        rare = [] if not rare_possible or _all_gb2312(line) else [
            i for i, c in enumerate(line) if _rare(c) and not any(s <= i < e for s, e in covered)]
        paired = any(b - a == 1 for a, b in zip(rare, rare[1:]))
        if rare and (paired or (len(rare) >= 4 and len(rare) * 10 >= len(HAN.findall(line)))):
            row, col = at(offset + rare[0])
            sample = "".join(dict.fromkeys(line[i] for i in rare))[:8]
            found.append(Finding(MOJIBAKE, WARNING, row, col, 1,
                                 f"疑似乱码：这一行有 {len(rare)} 个罕见字符（{sample}），请对照原文核对"))
        offset += len(line) + 1
    return found


def _all_gb2312(line: str) -> bool:
    try:
        line.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _is_cjk_garble(line: str, repair: _Repair) -> bool:
    return any(HAN.match(c) for c in line[repair.start:repair.end])
