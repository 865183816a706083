"""Text rules shared by `check`, `import` and the build: personal data, mojibake, pinyin left from
copied pages, traditional and simplified characters mixed, half-width punctuation in Chinese, and
the site's own word list (forbidden terms, wrong → right formulations).

Every rule is a pure function of one file's text (and the word list), so results can be cached
per file. Rules run on a "prose view" of the source: the same text with Markdown and YAML markup,
code, URLs and paths replaced by spaces, so positions still match the file but a link target or a
front matter key is never mistaken for prose.
"""
from __future__ import annotations

import bisect
import codecs
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from .frontmatter import SourceError, decode
from .problems import ERROR, WARNING, Problem

# Rule ids. The build refuses to publish what these find; `check` reports every rule.
ID_NUMBER = "id-number"
BANK_CARD = "bank-card"
MOBILE = "mobile"
FORBIDDEN = "forbidden"
WORDING = "wording"
MOJIBAKE = "mojibake"
PINYIN = "pinyin"
MIXED_SCRIPT = "mixed-script"
PUNCTUATION = "punctuation"

ERROR_RULES = frozenset({ID_NUMBER, BANK_CARD, FORBIDDEN, WORDING})
ALL_RULES = ERROR_RULES | {MOBILE, MOJIBAKE, PINYIN, MIXED_SCRIPT, PUNCTUATION}

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN = re.compile(f"[{_HAN}]")
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"


@dataclass(frozen=True)
class Finding:
    rule: str
    level: str
    line: int  # 1-based
    col: int  # 1-based, in characters
    length: int  # characters of the span at fault
    message: str
    fix: str | None = None  # what the span should become, when that is certain enough to apply


@dataclass(frozen=True)
class WordList:
    """The site's words: terms never to publish, wrong → right formulations, numbers known to be fine."""

    forbidden: tuple[str, ...] = ()
    wording: tuple[tuple[str, str], ...] = ()  # (wrong, right)
    allow: frozenset[str] = field(default_factory=frozenset)  # digits of public numbers, e.g. a hotline

    @property
    def key(self) -> str:
        """A short fingerprint, so that cached results can be keyed by (file hash, word list)."""
        text = repr((self.forbidden, self.wording, sorted(self.allow)))
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


NO_WORDS = WordList()


# ---------------------------------------------------------------- the prose view

_FENCE = re.compile(r"^[ \t]*---[ \t]*$")
_FM_KEY = re.compile(r"^([ \t]*(?:-[ \t]+)?)((?:\"[^\"\n]*\"|'[^'\n]*'|[^:#\n\"'][^:\n]*?)[ \t]*:(?:[ \t]|$))")
_FM_QUOTED = re.compile(r"""^([ \t]*)(["'])(.*)\2([ \t]*(?:#.*)?)$""")
_CODE_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
# Markup to blank out, each with a substring that must be present for the pattern to be worth running.
_BLANKS = [
    ("<!--", re.compile(r"<!--.*?-->", re.S)),  # HTML comments
    ("`", re.compile(r"`+[^`\n]*`+")),  # inline code
    ("<", re.compile(r"<[A-Za-z/!][^<>\n]*>")),  # HTML tags and autolinks
    ("](", re.compile(r"(?<=\])\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\)")),  # targets
    ("]:", re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.M)),  # reference definitions
    (":", re.compile(r"(?:https?|ftp|mailto):[!-~]+|www\.[!-~]+")),  # bare URLs
]
# An ASCII token with a slash and a letter in it is a path or an address, not prose.
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9._~%/+-]+")


def _blank_paths(text: str) -> str:
    if "/" not in text:
        return text
    return _ASCII_TOKEN.sub(lambda m: " " * len(m.group())
                            if "/" in m.group() and re.search("[A-Za-z]", m.group()) else m.group(), text)


def _blank_markup(text: str, which=None) -> str:
    for needle, pattern in which or _BLANKS:
        if needle in text:
            text = pattern.sub(lambda m: _blank(m.group()), text)
    return _blank_paths(text)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text) if "\n" in text else " " * len(text)


def front_matter_end(source: str) -> int:
    """Line index (0-based) just after the closing `---` of the front matter, 0 when there is none."""
    lines = source.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first >= len(lines) or not _FENCE.match(lines[first]):
        return 0
    for index in range(first + 1, len(lines)):
        if re.match(r"^(?:---|\.\.\.)[ \t]*$", lines[index]):
            return index + 1
    return 0


def prose_view(source: str, front_matter: bool = True, yaml: bool = False) -> str:
    """`source` with every character that is not prose replaced by a space (same length, same lines).

    `yaml`: the whole text is YAML (site.yaml), read the way front matter is.
    """
    lines = source.split("\n")
    fm_end = len(lines) if yaml else front_matter_end(source) if front_matter else 0
    for index in range(fm_end):
        line = lines[index]
        if _FENCE.match(line) or re.match(r"^(?:---|\.\.\.)[ \t]*$", line) or line.lstrip().startswith("#"):
            lines[index] = " " * len(line)
            continue
        key = _FM_KEY.match(line)
        head = ""
        if key:
            head, line = " " * key.end(), line[key.end():]
        elif line.lstrip().startswith("- "):
            cut = line.index("- ") + 2
            head, line = " " * cut, line[cut:]
        if line.strip()[:1] in ("[", "{") and line.strip()[-1:] in ("]", "}"):
            line = re.sub(r"[\[\]{},]", " ", line)  # a YAML flow list: brackets and commas are syntax
        quoted = _FM_QUOTED.match(line)
        if quoted:  # YAML quotes around a value are syntax, not Chinese punctuation
            line = quoted.group(1) + " " + quoted.group(3) + " " + " " * len(quoted.group(4))
        line = re.sub(r"[ \t]+#.*$", lambda m: " " * len(m.group()), line)  # YAML comments
        lines[index] = head + line
    fence = None
    for index in range(fm_end, len(lines)):
        match = _CODE_FENCE.match(lines[index])
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            lines[index] = " " * len(lines[index])
        elif match:
            fence = match.group(1)
            lines[index] = " " * len(lines[index])
        elif lines[index].startswith(("    ", "\t")) and index > fm_end and not lines[index - 1].strip():
            lines[index] = " " * len(lines[index])  # indented code block
    body = _blank_markup("\n".join(lines[fm_end:]))
    head = _blank_markup("\n".join(lines[:fm_end]), _BLANKS[-1:])  # front matter: URLs and paths only
    return head + ("\n" if fm_end and fm_end < len(lines) else "") + body if fm_end else body


class Positions:
    """Offsets in a text → (line, col), both 1-based."""

    def __init__(self, text: str, first_line: int = 1):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.first_line = first_line

    def __call__(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.first_line + index, offset - self.starts[index] + 1


# ---------------------------------------------------------------- personal data

_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])[1-8]\d{5}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?![\dA-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"(?<![\dA-Za-z])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:\d{8}|[ -]\d{4}[ -]\d{4})(?![\dA-Za-z])")
_BANK_CARD = re.compile(r"(?<![\dA-Za-z])[3-6]\d{3}(?:\d{12,15}|(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?![\dA-Za-z])")


def id_check_digit(first17: str) -> str:
    """The check character of a resident ID number (GB 11643), from its first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def is_resident_id(text: str) -> bool:
    """18 characters, a real date of birth and the right check character."""
    if not re.fullmatch(r"[1-8]\d{16}[\dXx]", text):
        return False
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= date.today():
        return False
    return id_check_digit(text[:17]) == text[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def mask_number(digits: str, keep_head: int, keep_tail: int) -> str:
    return digits[:keep_head] + "*" * (len(digits) - keep_head - keep_tail) + digits[len(digits) - keep_tail:]


def _personal_data(view: str, at: Positions, words: WordList, rules: frozenset[str]) -> list[Finding]:
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    if ID_NUMBER in rules:
        for match in _ID_NUMBER.finditer(view):
            number = match.group()
            if not is_resident_id(number) or number.upper() in words.allow:
                continue
            taken.append(match.span())
            line, col = at(match.start())
            found.append(Finding(ID_NUMBER, ERROR, line, col, len(number),
                                 f"未打码的居民身份证号码 {mask_number(number, 4, 4)}：公开发布前请删除，"
                                 f"或打码写成 {mask_number(number, 4, 4)} 这样"))
    if BANK_CARD in rules:
        for match in _BANK_CARD.finditer(view):
            digits = _digits(match.group())
            if not 16 <= len(digits) <= 19 or not luhn_valid(digits) or digits in words.allow:
                continue
            if any(s <= match.start() < e for s, e in taken) or is_resident_id(digits):
                continue
            taken.append(match.span())
            line, col = at(match.start())
            found.append(Finding(BANK_CARD, ERROR, line, col, len(match.group()),
                                 f"未打码的银行卡号 {mask_number(digits, 4, 4)}：公开发布前请删除，"
                                 f"或只保留后四位（如 **** {digits[-4:]}）"))
    if MOBILE in rules:
        for match in _MOBILE.finditer(view):
            digits = _digits(match.group())[-11:]
            if digits in words.allow or any(s <= match.start() < e for s, e in taken):
                continue
            line, col = at(match.start())
            found.append(Finding(MOBILE, WARNING, line, col, len(match.group()),
                                 f"未打码的手机号码 {digits}：个人号码请打码写成 {mask_number(digits, 3, 4)}；"
                                 f"公开的服务电话请写进 site.yaml 的 check.allow，以后不再提示"))
    return found


# ---------------------------------------------------------------- word list

def _word_list(view: str, at: Positions, words: WordList, rules: frozenset[str]) -> list[Finding]:
    found: list[Finding] = []
    if FORBIDDEN in rules and words.forbidden:
        pattern = _alternation(words.forbidden)
        for match in pattern.finditer(view):
            line, col = at(match.start())
            found.append(Finding(FORBIDDEN, ERROR, line, col, len(match.group()),
                                 f"禁用词“{match.group()}”：请删除或改写（词表在 site.yaml 的 check.forbidden）"))
    if WORDING in rules and words.wording:
        right_of = dict(words.wording)
        pattern = _alternation(tuple(w for w, _ in words.wording))
        for match in pattern.finditer(view):
            wrong, right = match.group(), right_of[match.group()]
            if _inside_right_form(view, match.start(), wrong, right):
                continue
            line, col = at(match.start())
            found.append(Finding(WORDING, ERROR, line, col, len(wrong),
                                 f"提法“{wrong}”不规范，应为“{right}”", fix=right))
    return found


@lru_cache(maxsize=64)
def _alternation(terms: tuple[str, ...]) -> re.Pattern:
    ordered = sorted({t for t in terms if t}, key=len, reverse=True)  # longest first: the whole term wins
    return re.compile("|".join(re.escape(t) for t in ordered))


def _inside_right_form(text: str, start: int, wrong: str, right: str) -> bool:
    """True when the wrong form found at `start` is only part of the right form (例: 两学一做 in 两学一做学习教育)."""
    offset = right.find(wrong)
    while offset >= 0:
        begin = start - offset
        if begin >= 0 and text.startswith(right, begin):
            return True
        offset = right.find(wrong, offset + 1)
    return False


# ---------------------------------------------------------------- mojibake

_GBK_MARK = "zhuanlan-gbk-mark"
codecs.register_error(_GBK_MARK, lambda exc: (b"\xff" * (exc.end - exc.start), exc.end))
# A run of well-formed UTF-8 multi-byte sequences: what Chinese UTF-8 becomes when read as GBK.
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


def _encodable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


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
    if not HAN.match(char) or _encodable(char, "gb2312") or _encodable(char, "big5"):
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
    return _encodable(char, "gbk")


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


def _mojibake(view: str, at: Positions) -> list[Finding]:
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


# ---------------------------------------------------------------- pinyin left from copied pages

_SYLLABLE = f"[a-zü{_TONED}]*[{_TONED}][a-zü{_TONED}]*|[a-zü]+[1-5]"
_PINYIN_PAREN = re.compile(rf"(?<=[{_HAN}])[ \t]?[(（][ \t]*(?:{_SYLLABLE})(?:[ \t]+(?:{_SYLLABLE}))*[ \t]*[)）]")
_PINYIN_BARE = re.compile(rf"(?<=[{_HAN}])(?:[a-zü{_TONED}]*[{_TONED}][a-zü{_TONED}]*)(?=[{_HAN}，。、；：！？”]|[ \t]*$)",
                          re.M)


_PINYIN_HINT = re.compile(rf"[{_TONED}]|[(（][ \t]*[a-zü]+[1-5]")


def _pinyin(view: str, at: Positions) -> list[Finding]:
    if not _PINYIN_HINT.search(view):
        return []
    found = []
    for pattern in (_PINYIN_PAREN, _PINYIN_BARE):
        for match in pattern.finditer(view):
            line, col = at(match.start())
            found.append(Finding(PINYIN, WARNING, line, col, len(match.group()),
                                 f"拼音注音“{match.group().strip()}”是从网页复制带来的，请删除", fix=""))
    return found


def remove_pinyin(text: str) -> str:
    if not _PINYIN_HINT.search(text):
        return text
    text = _PINYIN_PAREN.sub("", text)
    return _PINYIN_BARE.sub("", text)


# ---------------------------------------------------------------- traditional and simplified mixed

@lru_cache(maxsize=1)
def script_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(traditional-only → simplified, simplified-only → traditional), character by character.

    Built once from OpenCC's own tables. A character counts as traditional-only when OpenCC
    simplifies it and GB2312 lacks it, and simplified-only when OpenCC makes it traditional and
    Big5 lacks it; so 后、里、干、台, which traditional texts use too, are neither.
    """
    import opencc

    chars = [chr(c) for c in range(0x4E00, 0x9FA6)]
    joined = "\n".join(chars)  # one per line, so that no phrase rule applies across characters
    to_simple = opencc.OpenCC("t2s").convert(joined).split("\n")
    to_trad = opencc.OpenCC("s2t").convert(joined).split("\n")
    trad = {c: s for c, s in zip(chars, to_simple) if s != c and len(s) == 1 and not _encodable(c, "gb2312")}
    simple = {c: t for c, t in zip(chars, to_trad) if t != c and len(t) == 1 and not _encodable(c, "big5")}
    return trad, simple


@lru_cache(maxsize=1)
def _script_patterns() -> tuple[re.Pattern, re.Pattern]:
    trad, simple = script_tables()
    return (re.compile("[" + "".join(sorted(trad)) + "]"), re.compile("[" + "".join(sorted(simple)) + "]"))


def script_counts(text: str) -> tuple[int, int]:
    """(traditional-only characters, simplified-only characters) in `text`."""
    trad, simple = _script_patterns()
    return len(trad.findall(text)), len(simple.findall(text))


def _mixed_script(view: str, at: Positions) -> list[Finding]:
    trad, simple = script_tables()
    n_trad, n_simple = script_counts(view)
    if n_trad >= 5 and n_trad > 4 * n_simple:  # traditional throughout (a stray 后 or 台 does not change that)
        first = _script_patterns()[0].search(view).start()
        row, col = at(first)
        return [Finding(MIXED_SCRIPT, WARNING, row, col, 1,
                        f"这篇文章用的是繁体字（{n_trad} 处）：网站应使用规范汉字（简体），"
                        f"可用 python build.py import --simplified 从原文重新导入")]
    if not n_trad or not n_simple:
        return []
    trad_pattern, simple_pattern = _script_patterns()
    table, pattern, script, other = ((trad, trad_pattern, "繁体", "简体") if n_trad <= n_simple
                                     else (simple, simple_pattern, "简体", "繁体"))
    found = []
    offset = 0
    for line in view.split("\n"):
        hits = [m.start() for m in pattern.finditer(line)]
        if hits:
            chars = "".join(dict.fromkeys(line[i] for i in hits))
            right = "".join(table[c] for c in chars)
            row, col = at(offset + hits[0])
            found.append(Finding(MIXED_SCRIPT, WARNING, row, col, 1,
                                 f"{script}字“{'、'.join(chars)}”混在{other}文章中，应为“{'、'.join(right)}”"))
        offset += len(line) + 1
    return found


# ---------------------------------------------------------------- half-width punctuation

_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）", ".": "。"}
_ASCII_MARK = re.compile(r"\.{3,}|[,;:?.]|!(?!\[)")  # "![" begins an image
_PAREN = re.compile(rf"\(([^()\n]*[{_HAN}][^()\n]*)\)")
_QUOTES = re.compile(rf"\"([^\"\n]*[{_HAN}][^\"\n]*)\"")


def _punctuation_spans(text: str):
    """(start, end, wrong, right, edits) for each half-width mark in a Chinese sentence; `edits` are the
    (start, end, replacement) that fix it (brackets and quotes change only at their two ends)."""
    for match in _ASCII_MARK.finditer(text):
        before = match.start() - 1
        while before >= 0 and text[before] in " \t":
            before -= 1
        if before < 0 or not HAN.match(text[before]):
            continue
        mark = match.group()
        if mark == ".":
            after = match.end()
            while after < len(text) and text[after] in " \t":
                after += 1
            if after < len(text) and text[after] != "\n":
                continue  # "党建.工作" is more likely a name or a file than a sentence end
        right = "……" if mark.startswith("...") else _FULL[mark]
        yield before + 1, match.end(), mark, right, [(before + 1, match.end(), right)]
    for match in _PAREN.finditer(text):
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if HAN.match(before) or HAN.match(after) or HAN.match(match.group(1)[:1]):
            yield (match.start(), match.end(), "( )", f"（{match.group(1)}）",
                   [(match.start(), match.start() + 1, "（"), (match.end() - 1, match.end(), "）")])
    for match in _QUOTES.finditer(text):
        yield (match.start(), match.end(), "\" \"", f"“{match.group(1)}”",
               [(match.start(), match.start() + 1, "“"), (match.end() - 1, match.end(), "”")])


def _punctuation(view: str, at: Positions) -> list[Finding]:
    found = []
    for start, end, wrong, right, _ in _punctuation_spans(view):
        line, col = at(start)
        found.append(Finding(PUNCTUATION, WARNING, line, col, end - start,
                             f"中文句子里用了半角标点“{wrong}”，应为全角“{right}”", fix=right))
    return found


def fix_punctuation(text: str) -> str:
    """Full-width punctuation where half-width marks sit in Chinese sentences (for imported text)."""
    edits = sorted((edit for *_, changes in _punctuation_spans(text) for edit in changes), reverse=True)
    for start, end, replacement in edits:
        text = text[:start] + replacement + text[end:]
    return text


# ---------------------------------------------------------------- entry points

_NUMBERISH = re.compile(r"[0-9][0-9 -]{9,}[0-9]")  # written this way, Python's regex engine skips text fast


def _has_long_number(source: str) -> bool:
    """Eleven digits or more in a row (spaces and hyphens allowed): the least any personal number has."""
    return any(sum(c.isdigit() for c in m.group()) >= 11 for m in _NUMBERISH.finditer(source))


def scan(source: str, words: WordList = NO_WORDS, rules: frozenset[str] = ALL_RULES,
         front_matter: bool = True, yaml: bool = False) -> list[Finding]:
    """Every finding of `rules` in one file's text, in reading order. Pure: same input, same output.

    Cheap searches of the raw text decide first whether a rule can find anything at all, so that
    the build's error rules cost one or two regex passes on a clean file.
    """
    wanted = set(rules)
    if wanted & {ID_NUMBER, BANK_CARD, MOBILE} and not _has_long_number(source):
        wanted -= {ID_NUMBER, BANK_CARD, MOBILE}
    if FORBIDDEN in wanted and not (words.forbidden and _alternation(words.forbidden).search(source)):
        wanted.discard(FORBIDDEN)
    if WORDING in wanted and not (words.wording and _alternation(tuple(w for w, _ in words.wording)).search(source)):
        wanted.discard(WORDING)
    if not wanted:
        return []
    rules = frozenset(wanted)
    view = prose_view(source, front_matter, yaml)
    at = Positions(view)
    found: list[Finding] = []
    if rules & {ID_NUMBER, BANK_CARD, MOBILE}:
        found += _personal_data(view, at, words, rules)
    if rules & {FORBIDDEN, WORDING}:
        found += _word_list(view, at, words, rules)
    if MOJIBAKE in rules:
        found += _mojibake(view, at)
    if PINYIN in rules:
        found += _pinyin(view, at)
    if MIXED_SCRIPT in rules:
        garbled = {f.line for f in (found if MOJIBAKE in rules else _mojibake(view, at)) if f.rule == MOJIBAKE}
        found += [f for f in _mixed_script(view, at) if f.line not in garbled]  # mojibake is not a script choice
    if PUNCTUATION in rules:
        found += _punctuation(view, at)
    return sorted(found, key=lambda f: (f.line, f.col, f.rule))


def scan_errors(source: str, words: WordList = NO_WORDS) -> list[Finding]:
    """The rules that stop a build: what must never be published."""
    return scan(source, words, ERROR_RULES)


def as_problem(path: str, finding: Finding) -> Problem:
    return Problem(path, finding.line, finding.level, finding.message, finding.col, finding.rule)


def file_errors(path: str, words: WordList = NO_WORDS, data: bytes | None = None) -> list[Problem]:
    """The build's text rules for one content file (unmasked ID and bank card numbers, forbidden
    terms, wrong formulations): a function of the file's bytes and the word list, so the parse
    cache keeps the result with the record."""
    try:
        source = decode(Path(path).read_bytes() if data is None else data)
    except (OSError, SourceError):
        return []  # the parser reports a file it cannot read
    return [as_problem(path, finding) for finding in scan_errors(source, words)]
