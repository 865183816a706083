"""Declared settings, in the manner of MkDocs' config_options.

Each setting is declared once, as an option: its canonical name (the attribute it is declared as),
its Chinese aliases, its default, a Chinese label for messages, its validation and a one-line doc.
A `Section` lists its options as class attributes and becomes a keyword-only dataclass of them, so
defaults are never written twice. `read_section` reads a YAML mapping into a section and reports
each problem at the line of the key or list item at fault, at any depth. The settings reference
(docs/网站设置.md) is made from the same declarations (reference.py).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar
from urllib.parse import urlsplit

import yaml

from ..frontmatter import commented_value, commented_value_message, suggest
from ..problems import Problems
from .secrets import looks_secret

MAPPING_SHAPE = "“键: 值”形式的分项，每项缩进两个空格"
LIST_SHAPE = "列表，每项以“- ”开头"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Invalid(Exception):
    """A value that cannot be used. Without a message, its problems have been reported already."""


# -- where each value is written -----------------------------------------------------------------

@dataclass
class Place:
    """The line a value is written on (its key's line, or its list item's), and the places inside it."""

    line: int
    keys: dict[str, Place] = field(default_factory=dict)
    items: list[Place] = field(default_factory=list)

    def key(self, text: str) -> Place:
        return self.keys.get(text) or Place(self.line)

    def item(self, index: int) -> Place:
        return self.items[index] if index < len(self.items) else Place(self.line)


def locate(text: str) -> Place:
    """The place of every key and list item in YAML text that has already loaded without error."""
    node = yaml.compose(text, Loader=_Loader) if text.strip() else None
    return _place(node, 1, {})


def _place(node: yaml.Node | None, line: int, seen: dict[int, Place]) -> Place:
    if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        return Place(line)
    inner = seen.get(id(node))  # an alias (*name) shares its anchor's places, even its own parent's
    if inner is None:
        inner = seen[id(node)] = Place(0)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    inner.keys[key.value.strip()] = _place(value, key.start_mark.line + 1, seen)
        else:
            inner.items.extend(_place(item, item.start_mark.line + 1, seen) for item in node.value)
    return Place(line, inner.keys, inner.items)


@dataclass
class Reading:
    """One reading of a settings file: where problems go, and the line of every option read."""

    path: Path
    problems: Problems
    lines: dict[str, int] = field(default_factory=dict)  # "images.share", "menu.2.url" -> line
    text: list[str] = field(default_factory=list)  # the file's lines, for what YAML hides (a `# comment` value)
    schema: type[Section] | None = None  # the whole file's section, to say where a misplaced key belongs

    def home_of(self, key: str) -> str | None:
        """Where `key` is a setting: "" for the top level, "footer" for a section; None when nowhere."""
        found = _homes(self.schema).get(key) if self.schema is not None else None
        return found[0] if found else None

    def error(self, line: int, message: str) -> None:
        self.problems.error(self.path, line, message)

    def line_text(self, line: int) -> str:
        """The text of a line of the file (for what YAML does not keep, such as a comment)."""
        return self.text[line - 1] if 0 < line <= len(self.text) else ""


# -- options -------------------------------------------------------------------------------------

class Option:
    """One setting. Subclasses say how a YAML value becomes the setting's value (`convert`)."""

    kind = "文字"  # what the settings reference says to write
    hint = "Any"  # the annotation of the derived dataclass field

    def __init__(self, *aliases: str, doc: str = "", label: str = "", default: Any = None, required: bool = False,
                 check: Callable[[Any], str | None] | None = None):
        self.name = ""  # the attribute the option is declared as (set by Python, see __set_name__)
        self.aliases = aliases
        self.doc = doc
        self.label = label or (aliases[0] if aliases else "")
        self.default = default
        self.required = required
        self.check = check  # returns a Chinese message when the converted value is wrong

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def fresh_default(self) -> Any:
        """The default, new for every config: no two configs share a list or a mapping."""
        return copy.deepcopy(self.default)

    def shown_default(self) -> str:
        if self.required:
            return "必填"
        return "" if self.default in (None, "", (), [], {}) else str(self.default)

    def read(self, value: Any, place: Place, reading: Reading, where: str) -> Any:
        value = self.convert(value, place, reading, where)
        message = self.check(value) if self.check else None
        if message:
            raise Invalid(f"{self.label} \"{value}\" {message}")
        return value

    def convert(self, value: Any, place: Place, reading: Reading, where: str) -> Any:
        raise NotImplementedError

    def unwritten(self, place: Place, reading: Reading) -> None:
        """The key is written without a value: the default stands. When what follows the colon is
        a `# …` that looks like a value, YAML took it for a comment: say so (a subclass may say more)."""
        line = reading.line_text(place.line)
        comment = commented_value(line) if line else None
        if comment:
            key = line.split(":", 1)[0].strip()
            reading.problems.warning(reading.path, place.line, commented_value_message(key, comment))


class Text(Option):
    hint = "str"

    def __init__(self, *aliases: str, default: str = "", **kwargs):
        super().__init__(*aliases, default=default, **kwargs)

    def convert(self, value, place, reading, where) -> str:
        if isinstance(value, (dict, list)):
            raise Invalid(f"{self.label}应是一段文字")
        return str(value).strip()


class Choice(Text):
    """One of a few words, e.g. 类型: s3 | sftp | folder."""

    def __init__(self, *aliases: str, choices: tuple[str, ...], **kwargs):
        super().__init__(*aliases, **kwargs)
        self.choices = choices
        self.kind = "其中之一：" + "、".join(choices)

    def convert(self, value, place, reading, where) -> str:
        text = super().convert(value, place, reading, where)
        text = next((choice for choice in self.choices if choice.lower() == text.lower()), text)  # S3 is s3
        if text not in self.choices:
            raise Invalid(f"{self.label} \"{text}\" 应是 {'、'.join(self.choices)} 之一{suggest(text, self.choices)}")
        return text


class URL(Text):
    """A full http(s) address; `folder=True` makes it end with "/" (the site's address)."""

    kind = "完整网址"

    def __init__(self, *aliases: str, folder: bool = False, **kwargs):
        super().__init__(*aliases, **kwargs)
        self.folder = folder

    def convert(self, value, place, reading, where) -> str:
        text = super().convert(value, place, reading, where)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid(f"{self.label} \"{text}\" 应是完整网址，例如 https://www.example.gov.cn/dangjian/")
        return text + "/" if self.folder and not text.endswith("/") else text


class Color(Text):
    """A colour as "#b3121b" (or "#b12"), lowercase #rrggbb once read.

    Unquoted, `主色: #b3121b` is a YAML comment and reads as nothing: said at its line (`unwritten`)
    rather than silently keeping the default.
    """

    kind = "颜色代码，加引号，例如 \"#b3121b\""
    _HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

    def convert(self, value, place, reading, where) -> str:
        text = super().convert(value, place, reading, where)
        if not self._HEX.fullmatch(text):
            raise Invalid(f"{self.label} \"{text}\" 应写成 \"#b3121b\" 这样的颜色代码（# 加 6 位十六进制数，加引号）")
        digits = text[1:].lower()
        return "#" + ("".join(d * 2 for d in digits) if len(digits) == 3 else digits)

    def unwritten(self, place: Place, reading: Reading) -> None:
        key, _, after = reading.line_text(place.line).partition(":")
        found = re.match(r"\s*(#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3}))(?![0-9a-zA-Z])", after)
        if found:
            reading.error(place.line, f"{self.label}没有读到：不加引号时，# 和它后面的内容是注释。"
                                      f"请加上引号：{key.strip()}: \"{found[1]}\"")


class Integer(Option):
    hint = "int"

    def __init__(self, *aliases: str, minimum: int | None = None, maximum: int | None = None, note: str = "",
                 **kwargs):
        super().__init__(*aliases, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        if minimum is None:
            self.rule = "应是整数"
        elif maximum is not None:
            self.rule = f"应是 {minimum} 到 {maximum} 之间的整数"
        else:
            self.rule = "应是大于 0 的整数" if minimum == 1 else f"应是 {minimum} 或更大的整数"
        self.rule += f"（{note}）" if note else ""
        self.kind = "整数" + (f"，{minimum} 到 {maximum}" if maximum is not None else
                            f"，至少 {minimum}" if minimum is not None else "")

    def convert(self, value, place, reading, where) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"{self.label}应是整数，而不是 \"{value}\"")
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise Invalid(f"{self.label} \"{value}\" {self.rule}")
        return value


class Flag(Option):
    """Yes or no: true/false (YAML also reads yes/no), or 是/否."""

    kind = "true 或 false（是/否）"
    hint = "bool"
    WORDS = {"是": True, "否": False}

    def __init__(self, *aliases: str, default: bool = False, **kwargs):
        super().__init__(*aliases, default=default, **kwargs)

    def shown_default(self) -> str:
        return "必填" if self.required else ("true" if self.default else "false")

    def convert(self, value, place, reading, where) -> bool:
        if isinstance(value, bool):
            return value
        if str(value).strip() in self.WORDS:
            return self.WORDS[str(value).strip()]
        raise Invalid(f"{self.label}应写 true（是）或 false（否），而不是 \"{value}\"")


class TextList(Option):
    """A list of words: [甲, 乙], one per line with “- ”, or a string “甲、乙” (also “,” “，”)."""

    kind = "列表，或“甲、乙”"
    hint = "list[str]"

    def __init__(self, *aliases: str, default: tuple[str, ...] = (), **kwargs):
        super().__init__(*aliases, default=default, **kwargs)

    def fresh_default(self) -> list[str]:
        return list(self.default)

    def shown_default(self) -> str:
        return "、".join(self.default) if self.default else ""

    def convert(self, value, place, reading, where) -> list[str]:
        if isinstance(value, list):
            return [str(v) for v in value]
        if isinstance(value, dict):
            raise Invalid(f"{self.label}应是{LIST_SHAPE}，或写成“甲、乙”")
        return [v for v in re.split(r"\s*[,，、]\s*", str(value)) if v]


class IntegerList(Option):
    """A list of whole numbers, each within bounds, checked as a whole."""

    hint = "list[int]"

    def __init__(self, *aliases: str, minimum: int, maximum: int, default: tuple[int, ...] = (), **kwargs):
        super().__init__(*aliases, default=default, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.kind = f"整数列表，每个 {minimum} 到 {maximum}"

    def fresh_default(self) -> list[int]:
        return list(self.default)

    def shown_default(self) -> str:
        return str(list(self.default)) if self.default else ""

    def convert(self, value, place, reading, where) -> list[int]:
        if not isinstance(value, list):
            raise Invalid(f"{self.label}应是{LIST_SHAPE}")
        if value and all(isinstance(v, int) and not isinstance(v, bool) and self.minimum <= v <= self.maximum
                         for v in value):
            return list(value)
        example = list(self.default) or [self.minimum]
        raise Invalid(f"{self.label} \"{value}\" 应是 {self.minimum} 到 {self.maximum} 之间的整数列表，例如 {example}")


class Mapping(Option):
    """Free keys, each with a line of text (e.g. 规范提法: 错误提法 → 正确提法); each checked at its line."""

    kind = "分项（键: 值）"
    hint = "dict[str, str]"

    def __init__(self, *aliases: str, item_hint: str, **kwargs):
        super().__init__(*aliases, default={}, **kwargs)
        self.item_hint = item_hint  # what a wrong item should look like, after “label“key””

    def convert(self, value, place, reading, where) -> dict[str, str]:
        if not isinstance(value, dict):
            raise Invalid(f"{self.label}应是{MAPPING_SHAPE}")
        result: dict[str, str] = {}
        for key, item in value.items():
            text = str(key).strip()
            at = place.key(text)
            reading.lines[where + text] = at.line
            if isinstance(item, (dict, list, bool)) or item is None or not str(item).strip() or not text:
                reading.error(at.line, f"{self.label}“{text}”{self.item_hint}")
                continue
            result[text] = str(item).strip()
        return result


class SubConfig(Option):
    """A nested section, declared by its own options (a Section subclass).

    `example` is the shape to suggest when the value is not a mapping or lacks a required option
    (useful for list items: “导航第 2 项应写成 {title: 名称, url: /网址/}”).
    """

    kind = "分项，见下表"

    def __init__(self, section: type[Section], *aliases: str, example: str = "", **kwargs):
        super().__init__(*aliases, **kwargs)
        self.section = section
        self.example = example
        self.hint = section.__name__

    def fresh_default(self) -> Section:
        return self.section()

    def shown_default(self) -> str:
        return ""

    def convert(self, value, place, reading, where) -> Section:
        malformed = f"{self.label}应写成 {self.example}" if self.example else ""
        if not isinstance(value, dict):
            raise Invalid(malformed or f"{self.label}应是{MAPPING_SHAPE}")
        section = read_section(self.section, value, place, reading, where, malformed)
        if section is None:
            raise Invalid()
        return section


class ListOf(Option):
    """A list whose items are each read by `item` (e.g. SubConfig(MenuItem)), each at its own line."""

    hint = "list"

    def __init__(self, item: Option, *aliases: str, **kwargs):
        super().__init__(*aliases, default=(), **kwargs)
        self.item = item
        self.kind = "列表，每项见下表" if isinstance(item, SubConfig) else f"列表，每项是{item.kind}"

    def fresh_default(self) -> list:
        return []

    def convert(self, value, place, reading, where) -> list:
        if not isinstance(value, list):
            raise Invalid(f"{self.label}应是{LIST_SHAPE}")
        items = []
        for index, raw in enumerate(value):
            at, number = place.item(index), index + 1
            reading.lines[f"{where}{number}"] = at.line
            item = copy.copy(self.item)
            item.label = f"{self.label}第 {number} 项"
            try:
                if raw is None and not isinstance(item, SubConfig):
                    raise Invalid(f"{item.label}是空的：请写上内容，或删去这一行")
                items.append(item.read(raw, at, reading, f"{where}{number}."))
            except Invalid as exc:
                if exc.args:
                    reading.error(at.line, exc.args[0])
        return items


# -- sections ------------------------------------------------------------------------------------

@dataclass
class Written:
    """Where a section was written, for its `validate` hook: the section's line (its key's, or its
    list item's), the options written in it with a value (right or wrong) and each one's line."""

    reading: Reading
    line: int
    where: str  # the section's prefix in reading.lines ("deploy.2.")
    given: set[str]

    def line_of(self, name: str) -> int:
        return self.reading.lines.get(self.where + name, self.line) if name else self.line

    def error(self, message: str, name: str = "") -> None:
        """An error at the option's line, or at the section's when `name` is empty."""
        self.reading.error(self.line_of(name), message)

    def warning(self, message: str, name: str = "") -> None:
        self.reading.problems.warning(self.reading.path, self.line_of(name), message)


class Section:
    """Options declared as class attributes; each subclass becomes a keyword-only dataclass of them.

    Plain annotated attributes (e.g. `root: Path`) stay ordinary dataclass fields; properties and
    methods work as usual. A subclass of a section adds options to it. Rules that tie options
    together (an s3 target needs a bucket) go in `validate`, beside the declarations.
    """

    options: ClassVar[dict[str, Option]] = {}  # canonical name -> option, in declaration order
    keys: ClassVar[dict[str, Option]] = {}  # canonical name or alias -> option

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = {name: value for name, value in vars(cls).items() if isinstance(value, Option)}
        cls.options = {**cls.options, **own}
        cls.keys = {}
        for option in cls.options.values():
            if not (option.doc and option.label):
                raise TypeError(f"{cls.__name__}.{option.name}: every option needs a doc and a label (or an alias)")
            for key in (option.name, *option.aliases):
                if cls.keys.setdefault(key, option) is not option:
                    raise TypeError(f"{cls.__name__}: \"{key}\" names two options")
        annotations = cls.__dict__.get("__annotations__", {})
        for name, option in own.items():
            annotations[name] = option.hint
            setattr(cls, name, field() if option.required else field(default_factory=option.fresh_default))
        cls.__annotations__ = annotations
        dataclass(kw_only=True)(cls)

    def validate(self, written: Written) -> None:
        """Cross-option rules, run once every option is read; report through `written`. May settle
        values that depend on others (a path written per kind)."""


def _homes(schema: type[Section], prefix: str = "", found: dict | None = None) -> dict[str, list[str]]:
    """Every key (name or alias) of `schema` and its sections → where it is a setting ("", "footer")."""
    found = {} if found is None else found
    for option in schema.options.values():
        for key in (option.name, *option.aliases):
            found.setdefault(key, []).append(prefix)
        if isinstance(option, SubConfig):
            _homes(option.section, f"{prefix}{option.name}.", found)
    return found


def _misplaced(key: str, where: str, home: str) -> str:
    """The warning for a key written in the wrong section: where it belongs instead."""
    here = f" {where.rstrip('.')} 下的设置" if where else "顶层的设置"
    if not home:
        return (f"“{key}”不是{here}，已忽略：它是顶层的设置，请顶格写（前面不留空格），"
                f"不要缩进在 {where.rstrip('.')}: 下面")
    return f"“{key}”不是{here}，已忽略：它属于 {home.rstrip('.')}:，请写在 {home.rstrip('.')}: 下面并缩进两个空格"


def read_section(cls: type[Section], raw: dict, place: Place, reading: Reading, where: str = "",
                 malformed: str = "", **fields: Any) -> Section | None:
    """`raw` (a YAML mapping) read into `cls`; None when a required option is missing or wrong.

    Unknown keys are warned about with the closest known one; a key written without a value keeps
    its default. `malformed` replaces the per-option “缺少…” messages (see SubConfig). `fields`
    are the section's fields that are not options (Config.root).
    """
    values: dict[str, Any] = {}
    given: set[str] = set()
    written_as: dict[str, tuple[str, int]] = {}  # option → the key it was first written as, and where
    for key, value in raw.items():
        text = str(key).strip()
        option, at = cls.keys.get(text), place.key(text)
        if option is None:
            if looks_secret(text):
                continue  # already refused as a secret, at this line: one message is enough
            home = reading.home_of(text)
            if home is not None and home != where:
                reading.problems.warning(reading.path, at.line, _misplaced(text, where, home))
            else:
                reading.problems.warning(reading.path, at.line,
                                         f"未知的设置 \"{where}{text}\"，已忽略{suggest(text, cls.keys)}")
            continue
        first = written_as.setdefault(option.name, (text, at.line))
        if first[0] != text:  # the same option under two of its names: say which one counts
            reading.problems.warning(reading.path, at.line,
                                     f"“{where}{text}”和第 {first[1]} 行的“{where}{first[0]}”是同一个设置，"
                                     f"写了两次：只用这里（后写）的，请删去其中一个")
        reading.lines[where + option.name] = at.line
        if value is None:
            option.unwritten(at, reading)
            continue
        given.add(option.name)
        try:
            values[option.name] = option.read(value, at, reading, f"{where}{option.name}.")
        except Invalid as exc:
            if exc.args:
                reading.error(at.line, exc.args[0])
    missing = [o for o in cls.options.values() if o.required and values.get(o.name, "") == ""]
    unwritten = [o for o in missing if o.name not in given or o.name in values]  # not those reported wrong
    if malformed and unwritten:
        reading.error(place.line, malformed)
    else:
        for option in unwritten:
            reading.error(place.line, f"缺少{option.label}：请在 {reading.path.name} 中写 {option.name}:")
    if missing:
        return None
    section = cls(**values, **fields)
    section.validate(Written(reading, place.line, where, given))
    return section
