"""Content files → Story, Brand, Column and Page records.

Each file is parsed on its own (no knowledge of other files), so results can be cached by the
file's content hash and made in parallel. Cross-file checks (unknown brand, duplicate slug,
dead links) belong to the site stage.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path

from . import markdown, sanitize, showcase
from .dates import DateError, format_day, parse_datetime
from .frontmatter import Document, SourceError, canonicalize, controls_message, load_yaml, read_document
from .markdown import Ref
from .problems import WARNING, Problem, Problems
from .sanitize import HtmlPolicy
from .search.grams import StoryGrams, analyse
from .showcase import Showcase
from .sources import kind_of
from .text import ASCII_SLUG, count_characters, reading_minutes, slugify, summarize

STORY_KEYS = {
    "title": ("标题",),
    "date": ("日期", "发布日期", "发布时间", "时间"),
    "brand": ("品牌",),
    "columns": ("专栏", "栏目", "column"),
    "tags": ("标签", "tag"),
    "summary": ("摘要", "description"),
    "cover": ("封面", "image"),
    "source": ("来源",),
    "author": ("作者",),
    "editor": ("责任编辑", "编辑"),
    "slug": ("网址",),
    "draft": ("草稿",),
    "pinned": ("置顶",),
    "gov": ("政务公开",),
    "attachments": ("附件",),
}
GOV_KEYS = {
    "index_no": ("索引号",),
    "category": ("主题分类",),
    "publisher": ("发布机构",),
    "doc_no": ("文号",),
    "written": ("成文日期",),
    "keywords": ("关键词",),
}
BRAND_KEYS = {
    "name": ("名称", "品牌名称", "title", "标题"),
    "slogan": ("口号", "标语"),
    "parent": ("上级品牌", "上级", "父品牌"),
    "logo": ("标志", "标识"),
    "color": ("颜色", "主题色"),
    "owner": ("责任单位", "主办单位"),
    "order": ("排序", "顺序"),
    **showcase.SHOWCASE_KEYS,  # 标识释义, 发布日期, 内涵, 工作法, 成效, 荣誉, 大事记, 阵地
}
COLUMN_KEYS = {
    "title": ("标题", "名称", "name"),
    "description": ("简介", "描述", "说明"),
    "cover": ("封面", "image"),
    "order": ("排序", "顺序"),
    "keywords": ("关键词",),
    "type": ("栏目类型", "类型"),
}
PAGE_KEYS = {
    "title": ("标题",),
    "slug": ("网址",),
    "description": ("描述", "简介", "摘要"),
    "order": ("排序", "顺序"),
    "menu": ("导航", "菜单"),
}

# First-level folders of a site's URL space; a page may not take one of these slugs.
RESERVED_SLUGS = frozenset(
    "stories brands columns tags archive search sitemap static images files page feeds 404".split()
)
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_LIST_SPLIT = re.compile(r"\s*[,，、;；]\s*")
_TRUE = {"true", "yes", "on", "1", "是", "对", "真"}
_FALSE = {"false", "no", "off", "0", "否", "不", "假", ""}


@dataclass
class Attachment:
    ref: int  # index into the owner's refs
    title: str
    url: str = ""
    size: int = 0


# Fields that only rendering ("body") or the search index ("index") need; the parse cache stores
# each part apart and loads it only for the records that need it.
# The plain text is used while parsing (summary, character count, search grams and the record's
# text, see search.record_tail) and not kept: no later stage needs it.
HEAVY_PARTS = {"body": ("html", "headings"), "index": ("search",)}
HEAVY_FIELDS = (*(name for names in HEAVY_PARTS.values() for name in names), "text")


@dataclass
class Entry:
    """What every content file has: where it is, its Markdown body and the refs it makes."""

    rel: str  # content-relative posix path
    path: str  # absolute path, for messages
    html: str
    text: str
    refs: list[Ref]
    lines: dict[str, int]  # canonical key -> line in the file
    fm_line: int
    headings: list = field(default_factory=list)
    search: StoryGrams | None = None  # search grams of a story's title and text (stories only)
    digest: str = ""  # hash of the source file's bytes
    url: str = ""  # site-relative URL, filled in by the site stage ("stories/x/")
    ref_urls: list[str] = field(default_factory=list)  # filled in by the site stage
    image_digest: str = ""  # of the pictures this record shows, filled in by the images stage

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.fm_line)

    # Pickled as the values of its fields in order, without their names: every rebuild unpickles
    # every record of the site from the parse cache, and the names were half of each pickle.
    def __getstate__(self):
        state = self.__dict__
        return tuple(state.values()) if tuple(state) == _field_names(type(self)) else state

    def __setstate__(self, state) -> None:
        self.__dict__.update(zip(_field_names(type(self)), state) if isinstance(state, tuple) else state)

    def ref_url(self, index: int | None) -> str:
        if index is None or index >= len(self.ref_urls):
            return ""
        return self.ref_urls[index]


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


@dataclass
class Story(Entry):
    slug: str = ""
    title: str = ""
    date: datetime = datetime(1970, 1, 1)  # a dates.DateOnly when no time of day was written
    brand: str | None = None
    columns: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    tag_slugs: list[str] = field(default_factory=list)  # pinyin of each tag, made here so it is cached
    summary: str = ""
    cover: int | None = None  # ref index
    first_image: int | None = None  # ref index of the body's first image
    source: str = ""
    author: str = ""
    editor: str = ""
    draft: bool = False
    scheduled: bool = False  # dated after the build's time (定时发布): set by the site stage
    pinned: int = 0  # 0: not pinned; higher numbers come first
    gov: dict[str, str] | None = None
    attachments: list[Attachment] = field(default_factory=list)
    reading_minutes: int = 1
    char_count: int = 0


@dataclass
class Brand(Entry):
    id: str = ""
    name: str = ""
    slogan: str = ""
    parent: str | None = None
    logo: int | None = None
    color: str = ""
    owner: str = ""
    order: int = 0
    summary: str = ""  # the body's first words: the page description when there is no slogan
    showcase: Showcase = field(default_factory=Showcase)  # the 五有 beyond name and logo (showcase.py)


@dataclass
class Column(Entry):
    id: str = ""
    title: str = ""
    description: str = ""
    cover: int | None = None
    order: int = 0
    keywords: list[str] = field(default_factory=list)
    type: str = "专题专栏"


@dataclass
class Page(Entry):
    slug: str = ""
    title: str = ""
    description: str = ""
    order: int = 0
    menu: bool = True


@dataclass
class Parsed:
    """The outcome of parsing one file: the record (None when it could not be read) and problems."""

    item: Entry | None
    problems: list[Problem]


def parse_file(path: Path, rel: str, data: bytes | None = None, tokenise: bool = True,
               html: HtmlPolicy = sanitize.DEFAULT) -> Parsed:
    """A content file's record and problems. A story's search grams are made here unless
    `tokenise` is False, for a caller that makes many stories' grams at once (search.analyse_many).
    `html`: what becomes of raw HTML in the body (the site's html: settings)."""
    problems = Problems()
    try:
        doc = read_document(path, rel, data)
    except SourceError as exc:
        problems.error(path, exc.line, exc.message)
        return Parsed(None, problems.items)
    except OSError as exc:
        problems.error(path, 0, f"无法读取文件：{exc.strerror or exc}")
        return Parsed(None, problems.items)
    if doc.controls:
        problems.warning(path, doc.controls[0], controls_message(doc.controls, doc.control_codes))
    parser = {"story": _story, "brand": _brand, "column": _column, "page": _page}[kind_of(rel) or "page"]
    item = parser(doc, problems, html)
    if tokenise and isinstance(item, Story):
        item.search = analyse(item.title, item.text)
    return Parsed(item, problems.items)


# A story's tags in its front matter: the key (any of STORY_KEYS' names for it) and its value's lines.
_TAGS = re.compile(rf"^[ \t]*(?:{'|'.join(map(re.escape, ('tags', *STORY_KEYS['tags'])))})[ \t]*:.*(?:\n(?:[ \t]+|-).*)*",
                   re.MULTILINE | re.IGNORECASE)


def slug_texts(rel: str, data: bytes) -> list[str]:
    """The non-ASCII texts a parse of this file makes URL slugs of (the file name, a story's tags),
    found cheaply: a cold build has them made in one process of its own (pypinyin's dictionaries
    take 51 MB) and hands the slugs to its parse workers (text.remember_slugs). A text missed here
    is only slower: the worker's slugify then loads the dictionaries itself."""
    texts = [Path(rel).stem]
    end = data.find(b"\n---", 3)  # most likely the front matter's end: the body is not needed
    if kind_of(rel) == "story" and end > 0:
        for block in _TAGS.findall(data[:end].decode("utf-8", "replace")):
            try:
                values = load_yaml(block, 1)
            except SourceError:
                continue
            texts += _text_items(next(iter(values.values()), None)) or []
    return [text for text in texts if not text.isascii()]


def _text_items(value) -> list[str] | None:
    """The items of a list field's value, each once and in order; None when it is not a list."""
    if value is None:
        return []
    if isinstance(value, str):
        items = _LIST_SPLIT.split(value.strip())
    elif isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                         for v in value):
        items = [str(v).strip() for v in value]
    else:
        return None
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen


class _Fields:
    """Typed access to canonical front matter values, reporting mistakes at the key's line."""

    def __init__(self, doc: Document, values: dict, problems: Problems):
        self.doc, self.values, self.problems = doc, values, problems

    def error(self, key: str, message: str) -> None:
        self.problems.error(self.doc.path, self.doc.line_of(key), message)

    def text(self, key: str, label: str, required: bool = False) -> str:
        value = self.values.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(key, f"缺少{label}：请在 front matter 中写 {key}: 或 {label}:")
            return ""
        if isinstance(value, bool) or isinstance(value, (list, dict)):
            self.error(key, f"{label}应是一段文字，不是列表或是非值：如含特殊字符请用引号括起来")
            return ""
        return str(value).strip()

    def text_list(self, key: str, label: str) -> list[str]:
        items = _text_items(self.values.get(key))
        if items is None:
            self.error(key, f"{label}应是列表，例如 {key}: [甲, 乙]，或每行一项“- 甲”")
            return []
        return items

    def flag(self, key: str, label: str) -> bool:
        value = self.values.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.error(key, f"{label}应写 true 或 false（是 / 否），而不是 \"{value}\"")
        return False

    def number(self, key: str, label: str) -> int:
        value = self.values.get(key)
        if value is None or value == "":
            return 0
        try:
            return int(value)
        except (TypeError, ValueError):
            self.error(key, f"{label}应是整数，而不是 \"{value}\"")
            return 0

    def path_ref(self, key: str, refs: list[Ref], rel: str) -> int | None:
        value = self.text(key, key)
        if not value:
            return None
        refs.append(markdown.make_ref(key, value, rel, self.doc.line_of(key)))
        return len(refs) - 1


IMAGE_ALT = "image-alt"  # rule id of images without alt text (`check --format json`)
INDENTED_TEXT = "indented-text"  # rule id of Chinese text that the indentation made a code block


def _body(doc: Document, problems: Problems, html: HtmlPolicy) -> markdown.Rendered:
    rendered = markdown.render(doc.body, doc.rel, doc.body_line, html)
    for line, removal in rendered.removed:  # the build warns; `check` lists them with the rest
        problems.add(removal.level, doc.path, line, removal.message, rule=removal.rule)
    if rendered.too_deep:  # the parser would lose the text from here on: never publish a page without it
        problems.error(doc.path, rendered.too_deep,
                       "列表或引用嵌套的层数太多，从这一行起的文字无法排版（会丢失）：请减少缩进或行首“>”的层数")
    for image in rendered.unlabelled:
        # Screen readers read an image's alt text; without it elderly and blind readers hear nothing.
        # The build warns here, and `check` reports the same warnings: this is the rule's one place.
        if image.html:
            message = "图片没有说明文字：请给 <img> 加上 alt=\"图片内容\""
        else:
            message = (f"图片 \"{image.src}\" 没有说明文字：请写成 ![图片内容的简短说明]({image.src})，"
                       f"读屏软件会把这段说明读给视障读者")
        problems.add(WARNING, doc.path, image.line, message, rule=IMAGE_ALT)
    for line in rendered.indented:  # shown in a grey box in a typewriter face, not wrapped, not searched
        problems.add(WARNING, doc.path, line, "这段文字的行首有 4 个或更多空格（或 Tab），会显示成代码框（等宽字体、不自动换行，"
                                              "也不进入搜索和摘要）：如果是正文，请删掉行首的空格或 Tab；"
                                              "如果确实是代码，请在它的上一行和下一行各写 ``` 把它围起来",
                     rule=INDENTED_TEXT)
    return rendered


def _entry_args(doc: Document, rendered: markdown.Rendered) -> dict:
    return dict(
        rel=doc.rel, path=str(doc.path), html=rendered.html, text=rendered.text, refs=rendered.refs,
        lines=doc.canonical_lines, fm_line=doc.fm_line, headings=rendered.headings,
    )


def _slug(doc: Document, fields: _Fields) -> str:
    explicit = fields.text("slug", "slug")
    if explicit:
        if not ASCII_SLUG.match(explicit):
            fields.error("slug", f"slug \"{explicit}\" 只能包含小写英文字母、数字和连字符，例如 wu-dan-gong-zuo-fa")
        return explicit
    stem = Path(doc.rel).stem
    slug = stem if ASCII_SLUG.match(stem) else slugify(stem)
    if not slug:
        fields.error("slug", f"无法从文件名 \"{stem}\" 生成网址：请改用字母或汉字命名，或在 front matter 中写 slug:")
    return slug


def _story(doc: Document, problems: Problems, html: HtmlPolicy) -> Story:
    f = _Fields(doc, canonicalize(doc, STORY_KEYS, problems), problems)
    rendered = _body(doc, problems, html)
    refs = rendered.refs
    title = f.text("title", "标题", required=True)
    date = datetime(1970, 1, 1)
    raw_date = f.values.get("date")
    if raw_date is None or raw_date == "":
        f.error("date", "缺少日期：请在 front matter 中写 date: 2022-03-15 或 日期: 2022-03-15 09:30")
    else:
        try:
            date = parse_datetime(raw_date)
        except DateError as exc:
            f.error("date", str(exc))
    pinned_value = f.values.get("pinned")
    if isinstance(pinned_value, int) and not isinstance(pinned_value, bool):
        pinned = max(pinned_value, 0)
    else:
        pinned = 1 if f.flag("pinned", "置顶") else 0
    summary = f.text("summary", "摘要") or summarize(rendered.lead or rendered.text)
    story = Story(
        **_entry_args(doc, rendered),
        slug=_slug(doc, f),
        title=title,
        date=date,
        brand=f.text("brand", "品牌") or None,
        columns=f.text_list("columns", "专栏"),
        tags=f.text_list("tags", "标签"),
        summary=summary,
        source=f.text("source", "来源"),
        author=f.text("author", "作者"),
        editor=f.text("editor", "责任编辑"),
        draft=f.flag("draft", "草稿"),
        pinned=pinned,
        gov=_gov(f),
        char_count=count_characters(rendered.text),
    )
    story.reading_minutes = reading_minutes(story.char_count)
    story.tag_slugs = [slugify(tag) for tag in story.tags]
    story.cover = f.path_ref("cover", refs, doc.rel)
    story.first_image = rendered.images[0] if rendered.images else None
    story.attachments = _attachments(f, refs, doc.rel)
    return story


def _gov(f: _Fields) -> dict[str, str] | None:
    value = f.values.get("gov")
    if value is None:
        return None
    if not isinstance(value, dict):
        f.error("gov", "政务公开信息应是“键: 值”的列表，每项缩进两个空格，例如\n  索引号: 11330000/2022-00123")
        return None
    aliases = {alias: key for key, names in GOV_KEYS.items() for alias in (key, *names)}
    result: dict[str, str] = {}
    for raw_key, raw_value in value.items():
        key = aliases.get(str(raw_key).strip())
        if key is None:
            from .frontmatter import suggest

            f.problems.warning(f.doc.path, f.doc.line_of("gov"),
                               f"政务公开中未知的项 \"{raw_key}\"，已忽略{suggest(str(raw_key), aliases)}")
            continue
        if raw_value is None:
            continue
        if key == "written":
            try:
                raw_value = format_day(parse_datetime(raw_value))
            except DateError as exc:
                f.error("gov", f"成文日期：{exc}")
                continue
        if isinstance(raw_value, list):
            raw_value = "、".join(str(v) for v in raw_value)
        result[key] = str(raw_value).strip()
    return result


def _attachments(f: _Fields, refs: list[Ref], rel: str) -> list[Attachment]:
    value = f.values.get("attachments")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    result = []
    line = f.doc.line_of("attachments")
    for item in items:
        if isinstance(item, dict):
            path = item.get("file") or item.get("path") or item.get("文件") or item.get("路径")
            title = item.get("title") or item.get("名称") or item.get("标题")
        else:
            path, title = item, None
        if not isinstance(path, str) or not path.strip():
            f.error("attachments", "附件应是文件路径，例如 - ../files/通知.pdf，或 - {file: ../files/通知.pdf, title: 通知全文}")
            continue
        refs.append(markdown.make_ref("attachment", path.strip(), rel, line))
        result.append(Attachment(len(refs) - 1, str(title or Path(path).name).strip()))
    return result


def _brand(doc: Document, problems: Problems, html: HtmlPolicy) -> Brand:
    f = _Fields(doc, canonicalize(doc, BRAND_KEYS, problems), problems)
    rendered = _body(doc, problems, html)
    color = f.text("color", "颜色")
    if color and not _COLOR.match(color):
        f.error("color", f"颜色 \"{color}\" 应写成 #c8161d 这样的十六进制色值（请用引号括起来：\"#c8161d\"）")
        color = ""
    stem = Path(doc.rel).stem
    brand = Brand(
        **_entry_args(doc, rendered),
        id=stem if ASCII_SLUG.match(stem) else slugify(stem),
        name=f.text("name", "名称", required=True),
        slogan=f.text("slogan", "口号"),
        parent=f.text("parent", "上级品牌") or None,
        color=color,
        owner=f.text("owner", "责任单位"),
        order=f.number("order", "排序"),
        summary=summarize(rendered.lead or rendered.text),
    )
    brand.logo = f.path_ref("logo", rendered.refs, doc.rel)
    brand.showcase = showcase.parse(doc, f.values, rendered.refs, problems)
    return brand


def _column(doc: Document, problems: Problems, html: HtmlPolicy) -> Column:
    f = _Fields(doc, canonicalize(doc, COLUMN_KEYS, problems), problems)
    rendered = _body(doc, problems, html)
    stem = Path(doc.rel).stem
    column = Column(
        **_entry_args(doc, rendered),
        id=stem if ASCII_SLUG.match(stem) else slugify(stem),
        title=f.text("title", "标题", required=True),
        description=f.text("description", "简介") or summarize(rendered.lead or rendered.text),
        order=f.number("order", "排序"),
        keywords=f.text_list("keywords", "关键词"),
        type=f.text("type", "栏目类型") or "专题专栏",
    )
    column.cover = f.path_ref("cover", rendered.refs, doc.rel)
    return column


def _page(doc: Document, problems: Problems, html: HtmlPolicy) -> Page:
    f = _Fields(doc, canonicalize(doc, PAGE_KEYS, problems), problems)
    rendered = _body(doc, problems, html)
    slug = _slug(doc, f)
    if slug in RESERVED_SLUGS:
        f.error("slug", f"页面网址 \"{slug}\" 与网站的固定栏目重名：请在 front matter 中另写 slug:")
    menu = f.values.get("menu")
    return Page(
        **_entry_args(doc, rendered),
        slug=slug,
        title=f.text("title", "标题", required=True),
        description=f.text("description", "描述") or summarize(rendered.lead or rendered.text),
        order=f.number("order", "排序"),
        menu=True if menu is None else f.flag("menu", "导航"),
    )
