"""Bylines: who wrote an article and when, as copied pages and Word files say it.

- dates in running text, in the forms officers type: 2026年10月8日, 2026-10-08, 2026.10.8, 2026/10/8,
  二〇二六年十月八日 (full-width digits too), with or without a time of day;
- a line that is only a date (with a weekday or in brackets), and a 署名 line of unit and date
  (`溪畔村党总支　2026年10月8日`), under the title or as the 落款 at the end;
- lines of roles and names: `(作者:陈小华)`, `文/李明　图/张三`, `记者 赵六 通讯员 钱七`, `【编辑：王一】`.
"""
from __future__ import annotations

import re
from datetime import datetime

from ..dates import DateError, parse_datetime
from .chrome import simplified_probe

# ---------------------------------------------------------------- dates

_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9}
_CN_DATE = re.compile(r"([〇○零Ｏ一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月"
                      r"\s*([一二三四五六七八九十]{1,3})\s*日")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－／：", "0123456789.-/:")
DATE = (r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
        r"(?:\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?(?:\s*[:：]\s*\d{1,2})?)?")
DATE_IN_TEXT = re.compile(DATE)
_WEEKDAY = r"(?:星期[一二三四五六日天]|周[一二三四五六日])"
_DATE_LINE = re.compile(rf"^[（(]?\s*{DATE}\s*{_WEEKDAY}?\s*[）)]?$")
_NOT_WHO = re.compile(r"(?:时间|日期|时|于|至|到|截至|自|从|在|为|是)$")  # “活动时间 2026年10月8日” is no signature
_TRAILING_DATE = re.compile(rf"(?<!\d)(?:{DATE}|{_CN_DATE.pattern})\s*{_WEEKDAY}?\s*$")
_SIGNATURE = re.compile(rf"^(?P<who>[^\d\s。！？!?，,；;：:“”\"（）()]{{2,30}}?)\s*[（(]?\s*{DATE}\s*{_WEEKDAY}?\s*[）)]?$")


def _cn_number(text: str) -> int:
    """十, 十一, 二十, 二十八, 三十一 → a number; 0 for what is none (the date is then refused)."""
    tens, ten, units = text.partition("十")
    if not ten:
        return _CN_DIGIT.get(text, 0) if len(text) == 1 else 0
    if len(tens) > 1 or len(units) > 1:
        return 0
    return (_CN_DIGIT.get(tens, 0) if tens else 1) * 10 + (_CN_DIGIT.get(units, 0) if units else 0)


def arabic_dates(text: str) -> str:
    """`text` with 二〇二六年十月八日 written 2026年10月8日 and full-width digits made ASCII, for matching."""
    text = text.translate(_FULL_WIDTH)
    if "年" not in text:
        return text

    def digits(match: re.Match) -> str:
        year = "".join(str(_CN_DIGIT[c]) for c in match.group(1))
        return f"{year}年{_cn_number(match.group(2))}月{_cn_number(match.group(3))}日"

    return _CN_DATE.sub(digits, text)


def find_date(text: str) -> tuple[datetime, bool] | None:
    """The first date in `text` that exists, and whether it had a time of day."""
    for match in DATE_IN_TEXT.finditer(arabic_dates(text)):
        year, month, day, hour, minute = match.groups()
        value = f"{year}-{month}-{day}" + (f" {hour}:{minute}" if hour else "")
        try:
            return parse_datetime(value), bool(hour)
        except DateError:
            continue
    return None


def split_trailing_date(value: str) -> tuple[str, str]:
    """(`value` without a date at its end, that date): `李明 2026年11月20日` → (`李明`, `2026年11月20日`)."""
    match = _TRAILING_DATE.search(value.translate(_FULL_WIDTH))  # the translation keeps every offset
    if not match:
        return value, ""
    return value[:match.start()].strip(), value[match.start():].strip()


def is_date_line(text: str) -> bool:
    """A line that is only a date (perhaps with a weekday, perhaps in brackets)."""
    return bool(_DATE_LINE.match(arabic_dates(text)))


def signature(text: str) -> tuple[str, datetime, bool] | None:
    """(who, date, has time) for a line of a unit or name followed by a date: `溪畔村党总支 2026年10月8日`."""
    match = _SIGNATURE.match(arabic_dates(text))
    if not match or _NOT_WHO.search(match.group("who")):
        return None
    found = find_date(text)
    return (match.group("who").strip(), *found) if found else None


_UNIT_END = re.compile(r"(?:委员会|委|党组|党工委|总支|支部|政府|办公室|办事处|中心|局|厅|办|村|社区|街道|镇|乡|所|站|队|院|"
                       r"校|学院|大学|公司|集团|协会|联合会|部|处|科|馆|会|组|团|室|台|报|网|社)$")


def is_unit(who: str) -> bool:
    """Whether a signature names a unit (source) rather than a person (author)."""
    return bool(_UNIT_END.search(simplified_probe(who))) or len(who) > 5


# ---------------------------------------------------------------- roles and names

_ROLE_KIND = {
    "作者": "author", "文": "author", "文字": "author", "撰文": "author", "撰稿": "author", "供稿": "author", "执笔": "author",
    "图文": "author", "记者": "author", "本报记者": "author", "本台记者": "author", "本网记者": "author", "融媒体记者": "author",
    "特约记者": "author", "见习记者": "author", "通讯员": "author", "实习生": "author",
    "图": "photo", "图片": "photo", "摄影": "photo", "摄": "photo", "视频": "photo",
    "编辑": "editor", "责任编辑": "editor", "责编": "editor", "编审": "editor",
    "审核": "drop", "审校": "drop", "校对": "drop", "初审": "drop", "复审": "drop", "终审": "drop", "监制": "drop",
}
_ROLE = "|".join(sorted(_ROLE_KIND, key=len, reverse=True))
_AFTER_ROLE = r"(?:\s*[:：/／｜|丨]\s*|\s+)"
_NAME = rf"(?!(?:{_ROLE}){_AFTER_ROLE})[\u4e00-\u9fff][\u4e00-\u9fff·]{{1,11}}"
_PART = re.compile(rf"(?P<role>{_ROLE}){_AFTER_ROLE}(?P<names>{_NAME}(?:\s*[、，,和\s]\s*{_NAME})*)")
_PART_SEP = re.compile(r"[\s，,；;、|｜丨]*")
_OPEN, _CLOSE = "（(【[〔", "）)】]〕"


def role_line(text: str) -> list[tuple[str, list[str]]] | None:
    """[(kind, names)] when the whole line names people by role (kind: author, photo, editor, drop), else None."""
    inner = text.strip()
    bracketed = re.fullmatch(r"[（(【\[〔]\s*(.*?)\s*[）)】\]〕]", inner)
    inner = (bracketed.group(1) if bracketed else inner).rstrip("。.，,；;")
    probe = simplified_probe(inner)  # 記者、編輯 on traditional pages; names are taken from the line as written
    subject = probe if len(probe) == len(inner) else inner
    parts, pos = [], 0
    while (pos := _PART_SEP.match(subject, pos).end()) < len(subject):
        match = _PART.match(subject, pos)
        if not match:
            return None
        names = inner[match.start("names"):match.end("names")]
        parts.append((_ROLE_KIND[match.group("role")], [n for n in re.split(r"\s*[、，,\s]\s*", names) if n]))
        pos = match.end()
    return parts or None


def people(parts: list[tuple[str, list[str]]]) -> dict[str, str]:
    """{"author": …, "editor": …} from a role line: writers first, photographers marked （图）."""
    def names(kind: str) -> list[str]:
        return list(dict.fromkeys(n for k, group in parts if k == kind for n in group))

    writers, photos, editors = names("author"), names("photo"), names("editor")
    author = "、".join(writers)
    if photos:
        author = (f"{author}（文）、" if author else "") + "、".join(photos) + "（图）"
    return {key: value for key, value in (("author", author), ("editor", "、".join(editors))) if value}


def clean_person(value: str) -> str:
    """A name or unit without the brackets and punctuation around it: `陈小华）` → `陈小华`."""
    value = value.strip().lstrip(_OPEN + " ")
    while value and value[-1] in _CLOSE + "。.，,；;：: " and (
            value[-1] not in _CLOSE or sum(value.count(c) for c in _OPEN) < sum(value.count(c) for c in _CLOSE)):
        value = value[:-1].rstrip()
    return value
