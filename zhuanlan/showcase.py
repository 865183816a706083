"""A brand's 五有 showcase: the front matter keys beyond name, slogan and logo that show what the
brand means (标识释义, 内涵), what carries it (工作法, 阵地) and what it achieved (成效, 荣誉,
大事记), parsed into one dataclass per item type.

Every wrong value is reported in Chinese at the line of the item or key at fault. Lines inside
lists come from the YAML node marks (`yaml.compose`), so a mistake in the third 成效 points at
that 成效. A 大事记's 文章 becomes a `Ref` of the brand, resolved by the site stage like a
Markdown link. Everything here is plain data: records are pickled by the parse cache.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import yaml

from . import markdown
from .dates import DateError, format_day, parse_datetime
from .frontmatter import Document, compose, suggest
from .markdown import Ref
from .problems import Problems

# Canonical key → aliases, merged into content.BRAND_KEYS.
SHOWCASE_KEYS = {
    "logo_note": ("标识释义", "标志释义"),
    "launched": ("发布日期", "发布时间", "创建日期"),
    "values": ("内涵", "品牌内涵", "ideas"),
    "methods": ("工作法", "工作方法"),
    "results": ("成效", "工作成效"),
    "honours": ("荣誉", "honors", "所获荣誉"),
    "milestones": ("大事记",),
    "venues": ("阵地", "服务阵地"),
}
IDEA_KEYS = {"name": ("名称", "标题", "title"), "meaning": ("释义", "说明", "内容", "text")}
METHOD_KEYS = {"name": ("名称", "标题", "title"), "summary": ("简介", "说明", "介绍"), "steps": ("步骤", "流程")}
STEP_KEYS = {"name": ("名称", "标题", "title"), "note": ("说明", "释义", "简介")}
RESULT_KEYS = {"number": ("数值", "数字", "数据", "value"), "unit": ("单位",), "label": ("说明", "名称", "内容")}
HONOUR_KEYS = {"year": ("年份", "年度"), "date": ("日期", "时间"), "name": ("名称", "荣誉", "title"),
               "by": ("授予", "授予单位", "颁发单位", "awarded_by")}
MILESTONE_KEYS = {"date": ("日期", "时间"), "event": ("事件", "内容", "名称"), "story": ("文章", "链接", "link")}
VENUE_KEYS = {"name": ("名称",), "address": ("地址",), "hours": ("开放时间", "时间"),
              "phone": ("电话", "联系电话", "tel")}

_NUMBER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*年?\s*$")
_PHONE_SPLIT = re.compile(r"\s*(?:[、，,;；/]|或)\s*")
_WEB = re.compile(r"^https?://", re.I)


@dataclass
class Idea:
    """One line of the brand's 内涵 (meaning): a name such as 红色铸魂·思想美 and what it means."""

    name: str
    meaning: str = ""


@dataclass
class Step:
    """One step of a 工作法, in the order written."""

    name: str
    note: str = ""


@dataclass
class Method:
    """A 工作法 (working method), one of the brand's carriers (载体)."""

    name: str
    summary: str = ""
    steps: list[Step] = field(default_factory=list)


@dataclass
class Result:
    """A 成效 figure: 630 人次 累计帮助困难群众."""

    number: int | float
    unit: str = ""
    label: str = ""

    @property
    def figure(self) -> str:
        """The number as it reads: 630, 1.5, 12000 (no exponent, no trailing .0)."""
        if isinstance(self.number, int):
            return str(self.number)
        return format(self.number, "f").rstrip("0").rstrip(".")


@dataclass
class Honour:
    """A 荣誉: its name, when (a year or a date, see `Showcase` for the date form) and who gave it."""

    name: str
    date: str = ""
    by: str = ""


@dataclass
class Milestone:
    """A 大事记 entry. `story` is the index of its 文章 in the brand's refs (resolved by the site
    stage: the URL is brand.ref_url(story)); `link` is an outside http(s) address instead."""

    date: str
    event: str
    story: int | None = None
    link: str = ""


@dataclass
class Venue:
    """A 阵地 (place where the brand serves people)."""

    name: str
    address: str = ""
    hours: str = ""
    phone: str = ""

    @property
    def phones(self) -> list[tuple[str, str]]:
        """(text as written, tel: target) of each number in `phone` (several may be listed)."""
        return phone_links(self.phone)


@dataclass
class Showcase:
    """Everything of the 五有 a brand file tells beyond name, slogan, logo and owner.

    Dates are ISO text as precise as written: "2021-06-28", "2021-06" or "2021" (valid in a
    <time datetime>, and they sort as text). Lists keep the order written, except `milestones`,
    which are sorted by date (oldest first) as a timeline reads.
    """

    logo_note: str = ""
    launched: str = ""
    values: list[Idea] = field(default_factory=list)
    methods: list[Method] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    honours: list[Honour] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    venues: list[Venue] = field(default_factory=list)


def missing_elements(has_logo: bool, showcase: Showcase, story_count: int) -> list[str]:
    """Which of the 五有 a brand lacks (its name it always has): 标识, 内涵, 载体, 影响."""
    missing = []
    if not has_logo:
        missing.append("标识")
    if not showcase.values:
        missing.append("内涵")
    if not (showcase.methods or showcase.venues):
        missing.append("载体")
    if not (showcase.results or showcase.honours or story_count):
        missing.append("影响")
    return missing


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def phone_links(text: str) -> list[tuple[str, str]]:
    """Each number of a 电话 text (split at 、，,;；/ or 或) as (text shown, tel: target); a note in
    brackets is shown but not dialled, and a part with fewer than three digits is no number."""
    links = []
    for part in _PHONE_SPLIT.split(text.strip()) if text.strip() else []:
        digits = re.sub(r"[^\d+]", "", re.sub(r"[（(].*?[)）]", "", part))
        if len(re.sub(r"\D", "", digits)) >= 3:
            links.append((part, "tel:" + digits))
    return links


def iso_day(value: object) -> str:
    """A date as written, as ISO text of the same precision. Raises DateError (Chinese)."""
    if isinstance(value, (datetime, date)):
        return format_day(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DateError(f"无法识别的日期 {value!r}：请写成 2021-06-28，也可以只写 2021-06 或 2021")
    text = str(value).strip()
    year = _YEAR.match(text)
    if year:
        return year.group(1)
    month = _MONTH.match(text)
    if month:
        number = int(month.group(2))
        if not 1 <= number <= 12:
            raise DateError(f"日期 \"{text}\" 不存在：月份应在 1 到 12 之间")
        return f"{month.group(1)}-{number:02d}"
    return format_day(parse_datetime(text))


class _Where:
    """Lines of a YAML node's parts, from its compose() marks; a missing node answers with the
    line of whatever contains it."""

    def __init__(self, node: yaml.Node | None, offset: int, fallback: int):
        self.node = node
        self.offset = offset
        self.line = offset + node.start_mark.line if node is not None else fallback

    def items(self) -> list[_Where]:
        if isinstance(self.node, yaml.SequenceNode):
            return [_Where(item, self.offset, self.line) for item in self.node.value]
        return []

    def entries(self) -> dict[str, tuple[int, _Where]]:
        """Key text → (line of the key, where its value is)."""
        found: dict[str, tuple[int, _Where]] = {}
        if isinstance(self.node, yaml.MappingNode):
            for key, value in self.node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = self.offset + key.start_mark.line
                    found[key.value.strip()] = (line, _Where(value, self.offset, line))
        return found


@dataclass
class _Item:
    """One mapping of a list: its canonical values and where each one is."""

    values: dict
    lines: dict[str, int]
    places: dict[str, _Where]
    line: int

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)

    def place(self, key: str) -> _Where:
        return self.places.get(key) or _Where(None, 0, self.line_of(key))


class _Parser:
    def __init__(self, doc: Document, values: dict, refs: list[Ref], problems: Problems):
        self.doc, self.values, self.refs, self.problems = doc, values, refs, problems
        self._top: dict[int, _Where] | None = None

    def error(self, line: int, message: str) -> None:
        self.problems.error(self.doc.path, line, message)

    def top(self, key: str) -> _Where:
        """Where the value of a top-level (canonical) key is."""
        line = self.doc.line_of(key)
        if self._top is None:
            self._top = {}
            offset = self.doc.fm_line
            root = compose(self.doc.front)
            for key_line, where in _Where(root, offset, offset).entries().values():
                self._top[key_line] = where
        return self._top.get(line) or _Where(None, 0, line)

    # -- values ----------------------------------------------------------------------------

    def text(self, value, line: int, label: str) -> str:
        if value is None:
            return ""
        if isinstance(value, (bool, list, dict)):
            kind = "列表" if isinstance(value, list) else "“键: 值”" if isinstance(value, dict) else "是非值"
            self.error(line, f"{label}应是一段文字，而不是{kind}：如含冒号等特殊字符，请用引号把整段括起来")
            return ""
        return str(value).strip()

    def day(self, value, line: int, label: str) -> str:
        if _blank(value):
            return ""
        try:
            return iso_day(value)
        except DateError as exc:
            self.error(line, f"{label}：{exc}")
            return ""

    def items(self, value, where: _Where, label: str, schema: dict, example: str) -> list[_Item]:
        """The mappings of a list-valued key; a single mapping counts as a list of one."""
        if value is None:
            return []
        if isinstance(value, dict):
            pairs = [(value, where)]
        elif isinstance(value, list):
            places = where.items()
            pairs = [(item, places[i] if i < len(places) else where) for i, item in enumerate(value)]
        else:
            self.error(where.line, f"{label}应是列表，每项另起一行、以“- ”开头，例如：\n{example}")
            return []
        result = []
        for item, place in pairs:
            if item is None:
                continue
            if not isinstance(item, dict):
                self.error(place.line, f"{label}的每一项应写成“键: 值”，而不是一段文字，例如：\n{example}")
                continue
            result.append(self.canonical(item, place, label, schema))
        return result

    def canonical(self, item: dict, where: _Where, label: str, schema: dict) -> _Item:
        aliases = {alias: key for key, names in schema.items() for alias in (key, *names)}
        entries = where.entries()
        found = _Item({}, {}, {}, where.line)
        for raw_key, value in item.items():
            text = str(raw_key).strip()
            line, place = entries.get(text, (where.line, None))
            key = aliases.get(text) or aliases.get(text.lower())
            if key is None:
                shown = "、".join(names[0] for names in schema.values())
                self.problems.warning(self.doc.path, line, f"{label}中未知的项 \"{text}\"，已忽略"
                                                           f"{suggest(text, aliases)}（可写：{shown}）")
                continue
            if key in found.values:
                self.problems.warning(self.doc.path, line, f"{label}中 \"{text}\" 与前面的项重复，以后写的为准")
            found.values[key], found.lines[key] = value, line
            if place is not None:
                found.places[key] = place
        return found

    def required(self, item: _Item, key: str, label: str, name: str) -> str:
        raw = item.values.get(key)
        if _blank(raw):
            self.error(item.line, f"{label}的这一项缺少“{name}”，已略去这一项")
            return ""
        return self.text(raw, item.line_of(key), f"{label}的“{name}”")

    # -- sections --------------------------------------------------------------------------

    def ideas(self) -> list[Idea]:
        result = []
        for item in self.items(self.values.get("values"), self.top("values"), "内涵", IDEA_KEYS,
                               "内涵:\n  - 名称: 红色铸魂·思想美\n    释义: 把理论学习办到田间地头。"):
            name = self.required(item, "name", "内涵", "名称")
            meaning = self.text(item.values.get("meaning"), item.line_of("meaning"), "内涵的“释义”")
            if name:
                result.append(Idea(name, meaning))
        return result

    def methods(self) -> list[Method]:
        result = []
        for item in self.items(self.values.get("methods"), self.top("methods"), "工作法", METHOD_KEYS,
                               "工作法:\n  - 名称: 五单工作法\n    简介: ……\n    步骤: [群众点单, 支部派单, 党员接单]"):
            name = self.required(item, "name", "工作法", "名称")
            summary = self.text(item.values.get("summary"), item.line_of("summary"), "工作法的“简介”")
            steps = self.steps(item)
            if name:
                result.append(Method(name, summary, steps))
        return result

    def steps(self, method: _Item) -> list[Step]:
        value = method.values.get("steps")
        where = method.place("steps")
        if value is None:
            return []
        example = "步骤: [群众点单, 支部派单, 党员接单]，或每步一行“- 名称: 群众点单”加“说明: ……”"
        if not isinstance(value, list):
            self.error(where.line, f"工作法的“步骤”应是列表：{example}")
            return []
        places = where.items()
        steps = []
        for index, item in enumerate(value):
            place = places[index] if index < len(places) else where
            if item is None:
                continue
            if isinstance(item, dict):
                step = self.canonical(item, place, "步骤", STEP_KEYS)
                name = self.required(step, "name", "步骤", "名称")
                note = self.text(step.values.get("note"), step.line_of("note"), "步骤的“说明”")
                if name:
                    steps.append(Step(name, note))
            else:
                name = self.text(item, place.line, "每一个步骤")
                if name:
                    steps.append(Step(name))
        return steps

    def results(self) -> list[Result]:
        result = []
        for item in self.items(self.values.get("results"), self.top("results"), "成效", RESULT_KEYS,
                               "成效:\n  - 数值: 630\n    单位: 人次\n    说明: 累计帮助困难群众"):
            number = self.number(item)
            unit = self.text(item.values.get("unit"), item.line_of("unit"), "成效的“单位”")
            label = self.required(item, "label", "成效", "说明")
            if number is not None and label:
                result.append(Result(number, unit, label))
        return result

    def number(self, item: _Item) -> int | float | None:
        value = item.values.get("number")
        line = item.line_of("number")
        if _blank(value):
            self.error(item.line, "成效的这一项缺少“数值”，已略去这一项：请写 数值: 630")
            return None
        if isinstance(value, str) and _NUMBER.match(value.strip()):
            text = value.strip().replace(",", "")
            value = float(text) if "." in text else int(text)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.error(line, f"成效的“数值”应是一个数，例如 630 或 98.5，而不是 \"{value}\"："
                             f"“万”“%”等请写在单位里，例如 单位: 万元")
            return None
        return value

    def honours(self) -> list[Honour]:
        result = []
        for item in self.items(self.values.get("honours"), self.top("honours"), "荣誉", HONOUR_KEYS,
                               "荣誉:\n  - 年份: 2023\n    名称: 市级五星级党组织\n    授予: 中共某某市委组织部"):
            name = self.required(item, "name", "荣誉", "名称")
            when = ""
            if "year" in item.values and item.values["year"] is not None:
                year = item.values["year"]
                if isinstance(year, bool) or not _YEAR.match(str(year)):
                    self.error(item.line_of("year"), f"荣誉的“年份”应是四位数的年份，例如 2023，而不是 \"{year}\"")
                else:
                    when = _YEAR.match(str(year)).group(1)
                if item.values.get("date") is not None:
                    self.problems.warning(self.doc.path, item.line_of("date"),
                                          "荣誉的“年份”和“日期”只需写一个：已按“日期”显示")
            if item.values.get("date") is not None:
                when = self.day(item.values["date"], item.line_of("date"), "荣誉的“日期”") or when
            by = self.text(item.values.get("by"), item.line_of("by"), "荣誉的“授予”")
            if name:
                result.append(Honour(name, when, by))
        return result

    def milestones(self) -> list[Milestone]:
        result = []
        for item in self.items(self.values.get("milestones"), self.top("milestones"), "大事记", MILESTONE_KEYS,
                               "大事记:\n  - 日期: 2022-03-18\n    事件: 品牌正式发布\n"
                               "    文章: ../stories/2022/pin-pai-fa-bu.md"):
            when = self.day(item.values.get("date"), item.line_of("date"), "大事记的“日期”")
            if _blank(item.values.get("date")):
                self.error(item.line, "大事记的这一项缺少“日期”，已略去这一项：请写 日期: 2022-03-18")
            event = self.required(item, "event", "大事记", "事件")
            story, link = self.story(item)
            if when and event:
                result.append(Milestone(when, event, story, link))
        result.sort(key=lambda m: m.date)  # stable: same-day events keep their order
        return result

    def story(self, item: _Item) -> tuple[int | None, str]:
        line = item.line_of("story")
        raw = self.text(item.values.get("story"), line, "大事记的“文章”")
        if not raw:
            return None, ""
        if _WEB.match(raw):
            return None, raw
        if not markdown.is_local(raw):
            self.error(line, f"大事记的“文章” \"{raw}\" 应是一篇文章的路径（相对于这个文件，或以 / 开头表示从 content/ 算起），"
                             f"例如 ../stories/2022/pin-pai-fa-bu.md，或以 https:// 开头的网址")
            return None, ""
        self.refs.append(markdown.make_ref("milestone", raw, self.doc.rel, line))
        return len(self.refs) - 1, ""

    def venues(self) -> list[Venue]:
        result = []
        for item in self.items(self.values.get("venues"), self.top("venues"), "阵地", VENUE_KEYS,
                               "阵地:\n  - 名称: 某某村党群服务中心\n    地址: 某某路 1 号\n"
                               "    开放时间: 周一至周五 8:30–17:30\n    电话: 0571-00000000"):
            name = self.required(item, "name", "阵地", "名称")
            fields = {key: self.text(item.values.get(key), item.line_of(key), f"阵地的“{VENUE_KEYS[key][0]}”")
                      for key in ("address", "hours", "phone")}
            if fields["phone"] and not phone_links(fields["phone"]):
                self.problems.warning(self.doc.path, item.line_of("phone"),
                                      f"阵地的“电话” \"{fields['phone']}\" 里找不到号码：请写成 0571-00000000 这样的号码")
            if name:
                result.append(Venue(name, **fields))
        return result


def parse(doc: Document, values: dict, refs: list[Ref], problems: Problems) -> Showcase:
    """The showcase of a brand file from its canonical front matter `values`; a 大事记's 文章 is
    appended to `refs`. Problems are added with the line of the item or key at fault."""
    if not any(values.get(key) is not None for key in SHOWCASE_KEYS):
        return Showcase()
    parser = _Parser(doc, values, refs, problems)
    return Showcase(
        logo_note=parser.text(values.get("logo_note"), doc.line_of("logo_note"), "标识释义"),
        launched=parser.day(values.get("launched"), doc.line_of("launched"), "发布日期"),
        values=parser.ideas(),
        methods=parser.methods(),
        results=parser.results(),
        honours=parser.honours(),
        milestones=parser.milestones(),
        venues=parser.venues(),
    )
