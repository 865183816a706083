"""`标签：值`: the labels copied pages put in front of what they say about an article (时间、来源、作者、
政务公开 …), and reading a line of them. A label's value ends at the next label, at page furniture
(`来源: 字体大小:放大 正常 缩小` has no source) and before a date that follows it
(`作者：李明　2026年11月20日` is an author and a date)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from ..content import GOV_KEYS
from ..dates import format_day
from .byline import DATE_IN_TEXT, arabic_dates, clean_person, find_date, people, split_trailing_date
from .chrome import chrome_start, is_chrome, simplified_probe

_MORE_GOV = {"category": ("信息分类",), "publisher": ("发文机关", "发布单位", "发文单位"), "doc_no": ("发文字号",),
             "written": ("成文时间",), "keywords": ("主题词",)}
FIELDS = {
    "title": ("标题", "信息名称", "文件名称"),
    "date": ("发布时间", "发布日期", "发表时间", "发表日期", "发文日期", "更新时间", "上传时间", "时间", "日期"),
    "source": ("信息来源", "稿件来源", "文章来源", "来源", "出处"),
    "author": ("作者", "撰稿", "撰稿人", "供稿"),
    "editor": ("责任编辑", "编辑"),
    **{f"gov.{key}": names + _MORE_GOV.get(key, ()) for key, names in GOV_KEYS.items()},
    "drop": ("浏览次数", "阅读次数", "点击数", "点击量", "访问量", "阅读量", "浏览量", "公开方式", "公开范围",
             "公开时限", "有效性", "组配分类", "体裁分类", "体裁", "服务对象", "生效日期", "废止日期", "信息类别", "字体大小",
             "字体", "字号", "审核", "校对", "分享到", "标签"),
}
LABEL_OF = {label: key for key, labels in FIELDS.items() for label in labels}
_LABEL = re.compile(r"(?:^|(?<=[\s【\[|｜（(】\]•·]))(" + "|".join(sorted(LABEL_OF, key=len, reverse=True))
                    + r")\s*[:：]\s*")
_OTHER_LABEL = re.compile(r"(?:^|(?<=\s))[\u4e00-\u9fff]{2,6}\s*[:：]")  # an unknown label: 字体大小:, 主办:
_RESIDUE = re.compile(r"[\s【】\[\]|｜()（）:：,，、/•·]+")


def labelled_fields(text: str) -> tuple[list[tuple[str, str]], bool]:
    """([(field, value)], whether the line is nothing but labelled fields and page furniture)."""
    probe = simplified_probe(text)
    if len(probe) != len(text):  # labels found in simplified form, values kept as written where offsets allow
        text = probe
    matches = list(_LABEL.finditer(probe))
    if not matches:
        return [], False
    fields = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        key = LABEL_OF[match.group(1)]
        value = _value(text[match.end():end], probe[match.end():end])
        if key not in ("date", "drop", "gov.written"):
            value, date = split_trailing_date(value)
            fields.append((key, value))
            if date:
                fields.append(("date", date))
        else:
            fields.append((key, value))
    before = arabic_dates(text[:matches[0].start()])
    date = DATE_IN_TEXT.search(before)
    if date:  # "2023-06-28 15:30 来源：……": an unlabelled date in front of the labelled fields
        fields.insert(0, ("date", date.group().strip()))
        before = before[:date.start()] + before[date.end():]
    only_fields = not _RESIDUE.sub("", before) or is_chrome(before)
    return fields, only_fields


def _value(value: str, probe: str) -> str:
    """A label's value up to any page furniture or unknown label after it."""
    cuts = [at for at in (chrome_start(probe), _first(_OTHER_LABEL, probe)) if at is not None]
    if cuts:
        value = value[:min(cuts)]
    return value.strip(" 　|｜【】[]")


def _first(pattern: re.Pattern, text: str) -> int | None:
    match = pattern.search(text)
    return match.start() if match else None


def bare_label(text: str) -> str | None:
    """The field of a line that is only a label (`文号`, `索引号：`), else None."""
    return LABEL_OF.get(simplified_probe(text).strip().rstrip(":：").strip())


def plausible(key: str, value: str) -> bool:
    """Whether a labelled value in the body looks like page information rather than a sentence
    (“时间：每周三下午” is article text and must stay)."""
    if key in ("date", "gov.written"):
        return find_date(value) is not None
    if key in ("source", "author", "editor"):
        return len(value) <= 40 and not re.search(r"[。！？]", value)
    return len(value) <= 100


@dataclass
class Meta:
    """What the labelled lines of one article say, first statement kept."""

    dates: list[tuple[datetime, bool]] = field(default_factory=list)  # publication dates, in page order
    title: str = ""
    source: str = ""
    author: str = ""
    editor: str = ""
    gov: dict[str, str] = field(default_factory=dict)
    roles: list[tuple[str, list[str]]] = field(default_factory=list)  # from lines such as 文/李明　图/张三

    def add(self, key: str, value: str) -> None:
        value = value.strip()
        if key == "drop" or not value:
            return
        if key == "date":
            found = find_date(value)
            if found:
                self.dates.append(found)
        elif key.startswith("gov."):
            if key == "gov.written":
                found = find_date(value)
                value = format_day(found[0]) if found else value
            self.gov.setdefault(key[4:], value)
        elif key == "title":
            self.title = self.title or value
        elif key in ("source", "author", "editor") and not getattr(self, key):
            setattr(self, key, clean_person(value)[:60])

    def add_people(self) -> None:
        """Author and editor from the role lines, where no label named them."""
        for key, value in people(self.roles).items():
            if not getattr(self, key):
                setattr(self, key, value)
