"""Personal data: resident ID numbers and bank card numbers (errors: never published) and mobile
numbers (warnings: a public hotline goes on the word list's allow list).

Numbers are looked for where a reader can see them, in the page or its source: the prose, HTML
comments and the attributes of HTML tags (an alt text, a title), and in full-width digits too
(３３０１…, what a Chinese input method types in full-width mode). Addresses (href, src) are
left out, as link targets are in the prose view.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date

from ..problems import ERROR, WARNING
from .prose import Finding, Positions, WordList

ID_NUMBER = "id-number"
BANK_CARD = "bank-card"
MOBILE = "mobile"
RULES = frozenset({ID_NUMBER, BANK_CARD, MOBILE})

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


# -- where numbers are looked for ---------------------------------------------------------------

@functools.cache
def _fold_table() -> dict[int, str]:
    """NFKC for every character it turns into one ASCII character: full-width digits, letters and
    spaces as an input method types them, superscripts, circled digits. One character for one, so
    positions in the text stay right."""
    table = {}
    for code in (*range(0x10000), *range(0x1D400, 0x1D800)):  # the BMP and the mathematical digits
        folded = unicodedata.normalize("NFKC", chr(code))
        if len(folded) == 1 and folded.isascii() and folded != chr(code):
            table[code] = folded
    return table


def fold(text: str) -> str:
    """`text` with full-width (and other compatibility) digits and letters made ASCII, same length."""
    return text.translate(_fold_table())


_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
# Attributes whose value is an address: left out, as Markdown link targets are.
URL_ATTRIBUTES = frozenset("href src srcset poster action formaction data cite background longdesc ping".split())


def number_view(source: str, view: str, body_start: int) -> str:
    """The prose view with what a page also shows in its source put back from `body_start` on: the
    text of HTML comments and the values of HTML attributes (not addresses); then folded to ASCII."""
    if "<" in source[body_start:]:
        chars = list(view)

        def reveal(start: int, end: int) -> None:
            chars[start:end] = source[start:end]

        for match in _COMMENT.finditer(source, body_start):
            reveal(*match.span(1))
        for tag in _TAG.finditer(source, body_start):
            for attribute in _ATTRIBUTE.finditer(source, tag.start() + 1, tag.end() - 1):
                if attribute.group(1).lower() not in URL_ATTRIBUTES:
                    value = next(index for index in (2, 3, 4) if attribute.group(index) is not None)
                    reveal(*attribute.span(value))
        view = "".join(chars)
    return fold(view)


def _place(source: str, start: int, body_start: int) -> str:
    """Where a number is when a reader would not see it in the text: "（在 HTML 注释中）"."""
    if start < body_start:
        return ""
    if any(m.start() < start < m.end() for m in _COMMENT.finditer(source, body_start)):
        return "（写在 HTML 注释中）"
    if any(m.start() < start < m.end() for m in _TAG.finditer(source, body_start)):
        return "（写在 HTML 标签的属性中）"
    return ""


def find_personal_data(view: str, at: Positions, words: WordList, rules: frozenset[str], source: str = "",
                       body_start: int = -1) -> list[Finding]:
    """Personal numbers in `view` (see number_view). With `source`, a number found in an HTML
    comment or attribute says so."""
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def where(start: int) -> str:
        return _place(source, start, body_start) if source and body_start >= 0 else ""

    if ID_NUMBER in rules:
        for match in _ID_NUMBER.finditer(view):
            number = match.group()
            if not is_resident_id(number) or number.upper() in words.allow:
                continue
            taken.append(match.span())
            line, col = at(match.start())
            found.append(Finding(ID_NUMBER, ERROR, line, col, len(number),
                                 f"未打码的居民身份证号码 {mask_number(number, 4, 4)}{where(match.start())}："
                                 f"公开发布前请删除，或打码写成 {mask_number(number, 4, 4)} 这样"))
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
                                 f"未打码的银行卡号 {mask_number(digits, 4, 4)}{where(match.start())}："
                                 f"公开发布前请删除，或只保留后四位（如 **** {digits[-4:]}）"))
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


_NUMBERISH = re.compile(r"[0-9][0-9 -]{9,}[0-9]")  # written this way, Python's regex engine skips text fast
_FULL_WIDTH_DIGITS = "０１２３４５６７８９"


def has_long_number(source: str) -> bool:
    """Eleven digits or more in a row (spaces and hyphens allowed): the least any personal number has.
    Digits typed full-width count too (ten substring searches cost less than one regex pass)."""
    if any(digit in source for digit in _FULL_WIDTH_DIGITS):
        source = fold(source)
    return any(sum(c.isdigit() for c in m.group()) >= 11 for m in _NUMBERISH.finditer(source))
