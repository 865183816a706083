"""site.yaml → a typed Config, declared option by option (in the manner of MkDocs' config_options).

Every option names its Chinese alias, its type and its default; a wrong value gets a message
that says what to write instead, at the option's line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from .frontmatter import SourceError, decode, key_lines, load_yaml, suggest
from .problems import Problems

CONFIG_FILE = "site.yaml"


@dataclass(frozen=True)
class Option:
    name: str
    aliases: tuple[str, ...] = ()
    kind: type | tuple = str
    default: Any = None
    required: bool = False
    label: str = ""
    check: Callable[[Any], str | None] | None = None  # returns a Chinese message when wrong


def _positive(value: int) -> str | None:
    return None if value > 0 else "应是大于 0 的整数"


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "应是完整网址，例如 https://www.example.gov.cn/dangjian/"
    return None


SITE_OPTIONS = [
    Option("title", ("网站名称", "标题", "名称"), required=True, label="网站名称"),
    Option("subtitle", ("副标题",), default="", label="副标题"),
    Option("base_url", ("网址", "网站地址"), required=True, label="网站地址", check=_http_url),
    Option("description", ("简介", "描述"), default="", label="网站简介"),
    Option("keywords", ("关键词",), kind=(list, str), default=[], label="关键词"),
    Option("theme", ("主题",), default="default", label="主题"),
    Option("site_id_code", ("网站标识码",), default="", label="网站标识码"),
    Option("per_page", ("每页条数",), kind=int, default=10, label="每页条数", check=_positive),
    Option("home_latest", ("首页最新条数",), kind=int, default=8, label="首页最新条数", check=_positive),
    Option("feed_limit", ("订阅条数",), kind=int, default=20, label="订阅条数", check=_positive),
    Option("related_limit", ("相关阅读条数",), kind=int, default=5, label="相关阅读条数", check=_positive),
    Option("footer", ("页脚",), kind=dict, default={}, label="页脚"),
    Option("menu", ("导航",), kind=list, default=[], label="导航"),
    Option("logo", ("标志",), default="", label="网站标志"),
    Option("images", ("图片",), kind=dict, default={}, label="图片设置"),
    Option("check", ("检查",), kind=dict, default={}, label="检查设置"),
]

FOOTER_OPTIONS = [
    Option("host", ("主办单位",), label="主办单位"),
    Option("undertaker", ("承办单位",), label="承办单位"),
    Option("contact", ("联系方式", "联系电话"), label="联系方式"),
    Option("address", ("地址", "联系地址"), label="地址"),
    Option("icp", ("ICP备案号", "icp备案号", "备案号"), label="ICP备案号"),
    Option("police", ("公安机关备案号", "公安备案号"), label="公安机关备案号"),
    Option("gov_badge", ("党政机关网站标识",), label="党政机关网站标识"),
    Option("copyright", ("版权", "版权所有"), label="版权信息"),
]


def _image_widths(value: list) -> str | None:
    if value and all(isinstance(v, int) and not isinstance(v, bool) and 16 <= v <= 8000 for v in value):
        return None
    return "应是 16 到 8000 之间的整数列表，例如 [480, 960, 1440]"


def _quality(value: int) -> str | None:
    return None if 1 <= value <= 100 else "应是 1 到 100 之间的整数"


def _ratio(value: str) -> str | None:
    match = re.fullmatch(r"\s*(\d+)\s*[:：/]\s*(\d+)\s*", value)
    if match and int(match[1]) > 0 and int(match[2]) > 0:
        return None
    return "应写成 宽:高，例如 4:3 或 4/3"


IMAGE_OPTIONS = [
    Option("widths", ("宽度",), kind=list, default=[480, 960, 1440], label="图片宽度", check=_image_widths),
    Option("quality", ("质量",), kind=int, default=80, label="图片质量", check=_quality),
    Option("card_ratio", ("卡片比例", "封面比例"), default="4:3", label="列表封面比例", check=_ratio),
    Option("share", ("分享图",), default="", label="默认分享图"),
]


def _not_negative(value: int) -> str | None:
    return None if value >= 0 else "应是 0 或更大的整数（0 表示不检查）"


# `check:` in site.yaml: what `python build.py check` looks for (see docs/检查与导入.md).
CHECK_OPTIONS = [
    Option("stale_days", ("更新期限", "专栏更新期限", "栏目更新期限"), kind=int, default=180,
           label="专栏更新期限（天）", check=_not_negative),
    Option("forbidden", ("禁用词",), kind=(list, str), default=[], label="禁用词"),
    Option("wording", ("规范提法", "提法"), kind=dict, default={}, label="规范提法"),
    Option("allow", ("允许", "白名单", "公开号码"), kind=(list, str), default=[], label="允许公开的号码"),
    Option("link_timeout", ("外链超时",), kind=int, default=10, label="外部链接超时（秒）", check=_positive),
    Option("link_workers", ("外链并发",), kind=int, default=8, label="外部链接并发数", check=_positive),
]


@dataclass
class ImageSettings:
    """How images are resized and encoded (see zhuanlan/images/)."""

    widths: list[int] = field(default_factory=lambda: [480, 960, 1440])
    quality: int = 80
    card_ratio: str = "4:3"
    share: str = ""  # content-relative raster image for pages that have no picture of their own

    @property
    def card_aspect(self) -> tuple[int, int]:
        width, height = re.split(r"[:：/]", self.card_ratio.replace(" ", ""))
        return int(width), int(height)


@dataclass
class CheckConfig:
    stale_days: int = 180
    forbidden: list[str] = field(default_factory=list)
    wording: dict[str, str] = field(default_factory=dict)
    allow: list[str] = field(default_factory=list)
    link_timeout: int = 10
    link_workers: int = 8

    @property
    def words(self):
        """The word list the text rules use."""
        from .textrules import WordList

        allow = frozenset(re.sub(r"[\s-]", "", a).upper() for a in self.allow)
        return WordList(forbidden=tuple(self.forbidden),
                        wording=tuple((str(k).strip(), str(v).strip()) for k, v in self.wording.items()),
                        allow=allow)


@dataclass
class Footer:
    host: str = ""
    undertaker: str = ""
    contact: str = ""
    address: str = ""
    icp: str = ""
    police: str = ""
    gov_badge: str = ""  # an HTML snippet supplied by the site owner, used as is
    copyright: str = ""

    @property
    def police_code(self) -> str:
        """The digits of the 公安机关备案号, which its record link needs."""
        return "".join(re.findall(r"\d+", self.police))


@dataclass
class Config:
    root: Path
    title: str
    base_url: str  # always ends with "/"
    subtitle: str = ""
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    theme: str = "default"
    site_id_code: str = ""
    per_page: int = 10
    home_latest: int = 8
    feed_limit: int = 20
    related_limit: int = 5
    footer: Footer = field(default_factory=Footer)
    menu: list[dict] = field(default_factory=list)
    logo: str = ""
    images: ImageSettings = field(default_factory=ImageSettings)
    lines: dict[str, int] = field(default_factory=dict)  # option name -> line in site.yaml

    def line_of(self, name: str) -> int:
        return self.lines.get(name, 0)
    check: CheckConfig = field(default_factory=CheckConfig)

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, e.g. '/dangjian/'."""
        return urlsplit(self.base_url).path or "/"

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def path(self) -> Path:
        return self.root / CONFIG_FILE


def _apply(options: list[Option], raw: dict, lines: dict[str, int], path: Path, fallback_line: int,
           problems: Problems, where: str = "") -> dict:
    by_name = {}
    for option in options:
        by_name[option.name] = option
        for alias in option.aliases:
            by_name[alias] = option
    values: dict[str, Any] = {}
    for key, value in raw.items():
        key_text = str(key).strip()
        option = by_name.get(key_text)
        line = lines.get(key_text, fallback_line)
        if option is None:
            problems.warning(path, line, f"未知的设置 \"{where}{key_text}\"，已忽略{suggest(key_text, by_name)}")
            continue
        label = option.label or option.name
        if value is None:
            continue
        if option.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            problems.error(path, line, f"{label}应是整数，而不是 \"{value}\"")
            continue
        if option.kind is str:
            if isinstance(value, (dict, list)):
                problems.error(path, line, f"{label}应是一段文字")
                continue
            value = str(value).strip()
        elif option.kind == (list, str):
            value = [str(v) for v in value] if isinstance(value, list) else [
                v for v in re.split(r"\s*[,，、]\s*", str(value)) if v]
        elif option.kind in (dict, list) and not isinstance(value, option.kind):
            shape = "“键: 值”形式的分项，每项缩进两个空格" if option.kind is dict else "列表，每项以“- ”开头"
            problems.error(path, line, f"{label}应是{shape}")
            continue
        if option.check:
            message = option.check(value)
            if message:
                problems.error(path, line, f"{label} \"{value}\" {message}")
                continue
        values[option.name] = value
    for option in options:
        if option.name not in values:
            if option.required:
                problems.error(path, fallback_line, f"缺少{option.label}：请在 {CONFIG_FILE} 中写 {option.name}:")
            elif option.default is not None:
                values[option.name] = option.default
    return values


def load_config(root: Path, problems: Problems) -> Config | None:
    """Read site.yaml in `root`. Problems are collected; None when the site cannot be built."""
    path = root / CONFIG_FILE
    if not path.is_file():
        problems.error(path, 0, f"找不到 {CONFIG_FILE}：请在网站文件夹中运行，或用 --site 指定网站文件夹；"
                                f"新建网站请运行 python build.py new 文件夹名")
        return None
    try:
        text = decode(path.read_bytes())
        raw = load_yaml(text, 1) if text.strip() else {}
    except SourceError as exc:
        problems.error(path, exc.line, exc.message)
        return None
    lines = key_lines(text, 1)
    values = _apply(SITE_OPTIONS, raw, lines, path, 1, problems)
    footer_raw = values.pop("footer", {}) or {}
    footer_line = lines.get("footer", lines.get("页脚", 1))
    footer_values = _apply(FOOTER_OPTIONS, footer_raw, {}, path, footer_line, problems, where="footer.")
    images_raw = values.pop("images", {}) or {}
    images_line = lines.get("images", lines.get("图片", 1))
    image_values = _apply(IMAGE_OPTIONS, images_raw, {}, path, images_line, problems, where="images.")
    check_raw = values.pop("check", {}) or {}
    check_line = lines.get("check", lines.get("检查", 1))
    check_lines = child_lines(text, check_line)
    check_values = _apply(CHECK_OPTIONS, check_raw, check_lines, path, check_line, problems, where="check.")
    wording_line = next((check_lines[k] for k in ("wording", "规范提法", "提法") if k in check_lines), check_line)
    check_values["wording"] = _wording(check_values.get("wording", {}), child_lines(text, wording_line),
                                       wording_line, path, problems)
    if "title" not in values or "base_url" not in values:
        return None
    base_url = values.pop("base_url")
    if not base_url.endswith("/"):
        base_url += "/"
    keywords = values.pop("keywords", [])
    menu = values.pop("menu", [])
    for index, item in enumerate(menu):
        if not (isinstance(item, dict) and item.get("title") and item.get("url")):
            problems.error(path, lines.get("menu", 1), f"导航第 {index + 1} 项应写成 {{title: 名称, url: /网址/}}")
    option_lines = {o.name: lines[k] for o in SITE_OPTIONS for k in (o.name, *o.aliases) if k in lines}
    return Config(root=root, base_url=base_url, keywords=keywords, menu=menu,
                  footer=Footer(**{k: v for k, v in footer_values.items() if v}),
                  images=ImageSettings(**image_values), lines=option_lines, check=CheckConfig(**check_values),
                  **values)



def _wording(raw: dict, lines: dict[str, int], fallback: int, path: Path, problems: Problems) -> dict[str, str]:
    """Wrong → right formulations; each item that is not “错误提法: 正确提法” is reported at its line."""
    result: dict[str, str] = {}
    for wrong, right in raw.items():
        wrong_text = str(wrong).strip()
        if isinstance(right, (dict, list, bool)) or right is None or not str(right).strip() or not wrong_text:
            problems.error(path, lines.get(wrong_text, fallback),
                           f"规范提法“{wrong_text}”应写成“错误提法: 正确提法”，冒号后写一个正确的提法")
            continue
        result[wrong_text] = str(right).strip()
    return result


def child_lines(text: str, parent_line: int) -> dict[str, int]:
    """Line of each key one level under the mapping that starts at `parent_line` (1-based)."""
    lines = text.split("\n")
    found: dict[str, int] = {}
    indent = None
    for index in range(parent_line, len(lines)):
        line = lines[index]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        width = len(line) - len(line.lstrip(" "))
        if width == 0:
            break
        if indent is None:
            indent = width
        if width == indent:
            found.update({key: index + 1 for key in key_lines(line[width:], 1)})
    return found
