"""Mojibake: text whose bytes were read with the wrong codec, whole paragraphs or a short run inside
clean text — UTF-8 read as GBK (“鍏氬缓”, “区牎鍩哄眰鍏�建”), UTF-8 or GBK read as Latin-1 (“å…šå»º”,
“µ³½¨”), twice over — and the marks of text lost in a conversion (“锟斤拷”, U+FFFD).

A run is a cluster of characters everyday Chinese rarely uses (see `misread.tier`), with the
reader's replacement marks (� and `?`) and stray Latin among them. Each run is read again
(`misread.decode`): it is repaired when that gives ordinary Chinese, with U+FFFD where a character
was lost for good; otherwise it is flagged. The API for import and check:

- `find_runs(text)`: every run with its place, line and repair (None when it cannot be recovered);
- `repair(text)`: the text with what can be recovered put back, and the runs a person must still
  look at (characters lost, or nothing recovered), at their place in the repaired text;
- `find_mojibake(view, at)`: the `mojibake` rule of `check`, one warning per run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..problems import WARNING
from . import MOJIBAKE, misread  # the rule's name is the package's (a build names it without importing this)
from .misread import REPLACEMENT, WILDCARDS, tier
from .mixedscript import script_tables
from .prose import HAN, Finding, Positions, encodable

_KNOWN_GARBAGE = re.compile(r"(?:锟斤拷)+|烫{3,}|屯{3,}")  # what U+FFFD and uninitialised memory look like in GBK
_ODD = re.compile("[\ue000-\uf8ff\u3040-\u30ff\uac00-\ud7af\u3400-\u4dbf\u2500-\u257f\u0080-\u009f"
                  "\u00c0-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2030\u2039\u203a]")
_GAP = 3  # everyday characters a run may hold between two suspicious ones (mojibake has some)
_REACH = 3  # characters on each side of a run that may turn out to belong to it


@dataclass(frozen=True)
class Run:
    """A garbled span of a text: offsets [start, end), its 1-based line, what it says now, and what it
    said when that could be recovered (U+FFFD where a character was lost for good), else None."""

    start: int
    end: int
    line: int
    text: str
    repaired: str | None
    how: str = ""  # which misreading, e.g. “UTF-8 被当成 GBK”; "" when not known
    kind: str = "misread"  # misread | garbage (锟斤拷, U+FFFD) | rare (a line thick with rare characters)

    @property
    def needs_person(self) -> bool:
        """Something a person must still put right: nothing recovered, or characters lost."""
        return self.repaired is None or REPLACEMENT in self.repaired


# ---------------------------------------------------------------- which characters are suspicious

@lru_cache(maxsize=1)
def _suspect_pattern() -> re.Pattern:
    """Any character that is not ASCII (other than `?`), whitespace, everyday punctuation or one of
    GB2312's level-1 characters: the fast test that lets clean lines through untouched."""
    level1 = bytes(b for lead in range(0xB0, 0xD8) for trail in range(0xA1, 0xFF) for b in (lead, trail))
    everyday = set(level1.decode("gb2312", errors="ignore")) | set(misread.EVERYDAY_MARKS)
    safe = "".join(sorted(c for c in everyday if tier(c) == 0))
    return re.compile("[^\\x00-\\x3e\\x40-\\x7f\uff01-\uff5e\U00010000-\U0010ffff\u2600-\u27bf"
                      + re.escape(safe) + "]")


def _common(char: str) -> bool:
    """One of the 3,755 level-1 characters of GB2312, the everyday ones."""
    return HAN.match(char) is not None and tier(char) == 0


@lru_cache(maxsize=None)
def _rare(char: str) -> bool:
    """A character with no place in Chinese prose (private use, kana, Hangul, CJK extension A, box
    drawing, C1 controls, accented Latin letters), or a Han character in neither GB2312 nor Big5 that
    is not the simplified or traditional form of another (OpenCC's tables)."""
    if char == REPLACEMENT or _ODD.match(char):
        return True
    if not HAN.match(char) or encodable(char, "gb2312") or encodable(char, "big5"):
        return False
    traditional, simplified = script_tables()
    return char not in simplified and char not in traditional  # variants are the mixed-script rule's


def _clusters(line: str, skip: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of `line` made of suspicious characters, with at most _GAP others between two of them."""
    marks = [m.start() for m in _suspect_pattern().finditer(line)
             if not any(s <= m.start() < e for s, e in skip)]
    spans: list[list[int]] = []
    for index in marks:
        if spans and index - spans[-1][1] <= _GAP and "\n" not in line[spans[-1][1]:index]:
            spans[-1][1] = index + 1
        else:
            spans.append([index, index + 1])
    return [(s, e) for s, e in spans if line[s:e].strip("?")]  # question marks alone are punctuation


# ---------------------------------------------------------------- reading a run again

@dataclass
class _Repair:
    start: int
    end: int
    text: str
    how: str
    strong: bool  # enough on its own to say the line is garbled


def _read_again(line: str, start: int, end: int, proven: bool) -> list[_Repair]:
    """The pieces of line[start:end] (and a character or two around it) that read better another way.

    On a line `proven` garbled, keeping a suspicious character of the run costs as much as losing
    one: there, a level-2 character next to mojibake is more likely a stray byte than a name.
    """
    lo = start
    while lo > start - _REACH and lo > 0 and not line[lo - 1].isascii():
        lo -= 1
    hi = end
    while hi < end + _REACH and hi < len(line) and not line[hi].isascii():
        hi += 1
    window = line[lo:hi]

    def keep(i: int) -> int:
        inside = start <= lo + i < end
        if window[i] == "?":
            return misread.COSTS[3] if inside else 0  # inside a run: more likely a lost byte
        base = misread.COSTS[tier(window[i])]
        return base + misread.LOST if proven and inside and base else base

    # Of the readings, the one that saves most, and says it in fewest characters (a shorter reading of
    # the same bytes is the likelier one: GBK read as Latin-1 twice is also level-1 gibberish once).
    best: list[_Repair] = []
    best_score = 0.0
    for pair in misread.PAIRS:
        _, pieces = misread.decode(window, pair, keep)
        found, score = [], 0.0
        for piece in pieces:
            verdict = _judge(window, piece, keep)
            if verdict is not None and (verdict or proven):
                found.append(_Repair(lo + piece.start, lo + piece.end, piece.text, misread.DESCRIBE[pair], verdict))
                score += sum(keep(i) for i in range(piece.start, piece.end)) - piece.cost - len(piece.text) / 2
        if score > best_score:
            best, best_score = found, score
    for pair in (misread.GBK_AS_UTF8, misread.LATIN_AS_UTF8):
        twice = _read_twice(window, range(start - lo, end - lo), pair, keep)
        if twice is not None:
            saved, start, end, said = twice
            score = saved - misread.cost(said.replace(REPLACEMENT, "")) - misread.LOST * said.count(REPLACEMENT) - len(said) / 2
            if score > best_score:
                best = [_Repair(lo + start, lo + end, said, misread.DESCRIBE[pair] + "（两次）", True)]
                best_score = score
    return best


def _judge(window: str, piece: misread.Piece, keep) -> bool | None:
    """None when `piece` is no repair; else whether it proves the line garbled by itself (True) or
    only counts beside such a proof (False)."""
    source = window[piece.start:piece.end]
    if piece.bad or all(c in WILDCARDS for c in source):
        return None
    words = [c for c in piece.full if not c.isascii()]
    if not all(misread.everyday(c) or tier(c) == 1 for c in words):
        return None
    if sum(1 for c in words if tier(c) == 1) * 5 > len(words):
        return None
    if piece.cost >= sum(keep(i) for i in range(piece.start, piece.end)):
        return None
    if len(words) >= 2 or (words and not piece.lost and any(c.isalpha() for c in source) and all(
            not c.isascii() and misread.char_bytes(c, "latin") for c in source)):
        # two characters, or one read whole out of accented letters (“é€Ÿ”): never by chance; symbols
        # alone (“°°” is 鞍 in GBK, “±±” 北) are what they look like
        return True
    near = window[max(0, piece.start - 1):piece.end + 1]
    if words and any(c in WILDCARDS for c in near):
        return True
    if not any(HAN.match(c) and tier(c) for c in source):
        return None  # a lone symbol (an en dash, a degree sign) is not a lost character
    return False


def _read_twice(window: str, inside: range, pair: tuple[str, str], keep) -> tuple[int, int, int, str] | None:
    """`window` garbled twice over (read wrongly, saved as UTF-8, read wrongly again), its run at
    `inside`, read back twice: (what keeping the span costs, its start, its end, what it said), or None."""
    if not any(_rare(c) or tier(c) == 3 for c in window):
        return None  # the first reading of mojibake is mojibake: rare characters, accented letters

    def keep_once(i: int) -> int:  # the first reading gives mojibake: any character of the run may be part of it
        return (misread.COSTS[3] if tier(window[i]) else 1) if i in inside else 0

    _, pieces = misread.decode(window, pair, keep_once,
                               lambda c: 0 if misread.char_bytes(c, pair[0]) and c not in WILDCARDS else misread.BAD)
    if not pieces:
        return None
    once = _apply(window, pieces)
    _, again = misread.decode(once, pair)
    again = [p for p in again if not p.bad and p.full and all(_ordinary(c) for c in p.full)]
    twice = _apply(once, again)
    start, end = pieces[0].start, pieces[-1].end
    moved = end - start + len(twice) - len(window)
    said = twice[start:start + moved] if moved > 0 else ""
    words = [c for c in said if not c.isascii()]
    lost = sum(p.lost for p in pieces) + said.count(REPLACEMENT)
    if not words or lost * 5 > len(words) or not all(
            _ordinary(c) or c == REPLACEMENT for c in said) or sum(tier(c) == 1 for c in words) * 5 > len(words):
        return None
    return sum(keep(i) for i in range(start, end)), start, end, said


def _ordinary(char: str) -> bool:
    return char.isascii() or misread.everyday(char) or (tier(char) == 1 and HAN.match(char) is not None)


def _apply(text: str, pieces: list[misread.Piece]) -> str:
    for piece in reversed(pieces):
        text = text[:piece.start] + piece.text + text[piece.end:]
    return text


def _line_runs(line: str) -> list[tuple[int, int, str | None, str, str]]:
    """(start, end, repaired or None, how, kind) for every garbled span of one line, in order."""
    if line.isascii() or not _suspect_pattern().search(line):
        return []
    garbage = [m.span() for m in _KNOWN_GARBAGE.finditer(line)]
    clusters = _clusters(line, garbage)
    repairs: list[_Repair] = []
    unread: list[tuple[int, int]] = []
    first = [_read_again(line, start, end, False) for start, end in clusters]
    proven = any(r.strong for found in first for r in found)
    for (start, end), found in zip(clusters, first):
        # The weak repairs (a character or two) count only on a line proven garbled, and a run with
        # nothing but level-2 characters in it (a name) only where it read better on its own too.
        if proven and (found or any(c in WILDCARDS or _rare(c) or tier(c) == 3 for c in line[start:end])):
            found = _read_again(line, start, end, True)
        else:
            found = [r for r in found if r.strong]
        repairs += found
        if not found:
            unread.append((start, end))
    runs = [(r.start, r.end, r.text, r.how, "misread") for r in repairs]
    covered = [(r.start, r.end) for r in repairs]
    runs += [(s, e, None, "", "garbage") for s, e in garbage]
    for start, end in unread:
        for s, e in _uncovered(start, end, covered):
            span = line[s:e]
            if REPLACEMENT in span and not any(c != REPLACEMENT and _rare(c) for c in span):
                for m in re.finditer(REPLACEMENT + "+", span):
                    runs.append((s + m.start(), s + m.end(), None, "", "garbage"))
            elif any(_rare(a) and _rare(b) for a, b in zip(span, span[1:])) or (
                    _inner_question(line, s, e) and any(tier(c) >= 2 for c in span)):
                runs.append((s, e, None, "", "misread"))
    if not any(kind == "misread" for *_, kind in runs):
        rare = [i for i, c in enumerate(line) if _rare(c) and c != REPLACEMENT
                and not any(s <= i < e for s, e, *_ in runs)]
        if len(rare) >= 4 and len(rare) * 10 >= len(HAN.findall(line)):
            runs.append((rare[0], rare[-1] + 1, None, "", "rare"))
    return sorted(runs)


def _uncovered(start: int, end: int, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans, position = [], start
    for s, e in sorted(covered):
        if e <= position or s >= end:
            continue
        if s > position:
            spans.append((position, s))
        position = max(position, e)
    if position < end:
        spans.append((position, end))
    return [(s, e) for s, e in spans if s < e]


def _inner_question(line: str, start: int, end: int) -> bool:
    """A `?` with non-ASCII text right on both sides: a lost byte, not a question mark."""
    return any(line[i] == "?" and 0 < i < len(line) - 1 and not line[i - 1].isascii() and not line[i + 1].isascii()
               for i in range(start, end))


# ---------------------------------------------------------------- the API

def find_runs(text: str) -> list[Run]:
    """Every garbled span of `text`, in order, with its repair where the bytes can be recovered."""
    runs: list[Run] = []
    offset = 0
    for number, line in enumerate(text.split("\n"), 1):
        for start, end, repaired, how, kind in _line_runs(line):
            runs.append(Run(offset + start, offset + end, number, line[start:end], repaired, how, kind))
        offset += len(line) + 1
    return runs


def repair(text: str) -> tuple[str, list[Run]]:
    """`text` with every recoverable run put back, and the runs a person must still look at (nothing
    recovered, or characters lost and marked U+FFFD), with their offsets in the returned text."""
    out: list[str] = []
    left: list[Run] = []
    offset = 0
    for number, line in enumerate(text.split("\n"), 1):
        pieces, position, shift = [], 0, 0
        for start, end, repaired, how, kind in _line_runs(line):
            pieces.append(line[position:start])
            now = repaired if repaired is not None else line[start:end]
            pieces.append(now)
            position = end
            run = Run(offset + start + shift, offset + start + shift + len(now), number, now, repaired, how, kind)
            if run.needs_person:
                left.append(run)
            shift += len(now) - (end - start)
        pieces.append(line[position:])
        line = "".join(pieces)
        out.append(line)
        offset += len(line) + 1
    return "\n".join(out), left


def repair_mojibake(text: str) -> str:
    """`text` with what can be recovered put back (see `repair`)."""
    return repair(text)[0]


def find_mojibake(view: str, at: Positions) -> list[Finding]:
    if view.isascii() or not _suspect_pattern().search(view):
        return []  # the usual case, found at C speed
    found: list[Finding] = []
    for run in find_runs(view):
        row, col = at(run.start)
        found.append(Finding(MOJIBAKE, WARNING, row, col, run.end - run.start, _message(run), fix=run.repaired))
    return found


def _message(run: Run) -> str:
    if run.repaired is not None:
        shown = run.repaired if len(run.repaired) <= 20 else run.repaired[:20] + "……"
        lost = "（有字已丢失，请对照原文补全）" if REPLACEMENT in run.repaired else ""
        return f"乱码：这段文字是 {run.how.removesuffix('（两次）')} 读错了{'（错了两次）' if run.how.endswith('（两次）') else ''}，原文应为“{shown}”{lost}"
    if run.kind == "garbage":
        what = "“锟斤拷”" if run.text.startswith("锟") else (
            "替换字符“\ufffd”" if run.text[0] == REPLACEMENT else f"“{run.text[:3]}”")
        return f"乱码：{what} 是编码转换时丢失的文字，请对照原文改正"
    sample = run.text if len(run.text) <= 12 else run.text[:12] + "……"
    if run.kind == "rare":
        rare = "".join(dict.fromkeys(c for c in run.text if _rare(c)))
        return f"疑似乱码：这一行有 {sum(map(_rare, run.text))} 个罕见字符（{rare[:8]}），请对照原文核对"
    return f"乱码：“{sample}”是编码转换时读错的文字，已无法自动还原，请对照原文改正"
