"""Personal data: resident ID numbers and bank card numbers (errors: never published) and mobile
numbers (warnings: a public hotline goes on the word list's allow list)."""
from __future__ import annotations

import re
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


def find_personal_data(view: str, at: Positions, words: WordList, rules: frozenset[str]) -> list[Finding]:
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


_NUMBERISH = re.compile(r"[0-9][0-9 -]{9,}[0-9]")  # written this way, Python's regex engine skips text fast


def has_long_number(source: str) -> bool:
    """Eleven digits or more in a row (spaces and hyphens allowed): the least any personal number has."""
    return any(sum(c.isdigit() for c in m.group()) >= 11 for m in _NUMBERISH.finditer(source))
