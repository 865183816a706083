"""`python build.py import PATH...`: old articles (.txt, .html, .docx) → stories in content/stories/.

Each reader turns a file into plain blocks (paragraphs, headings, list items, tables, images) and
whatever the page says about itself (og:title, <h1>, Word's Title style). The rest is shared:
text repaired with the text rules (mojibake, pinyin annotations, optionally traditional →
simplified), page chrome dropped, the labelled lines (时间、来源、作者、政务公开) moved into
front matter, short lines without closing punctuation made headings. Nothing is ever overwritten;
what is left to fix is reported against the new file's lines, as `check` would.
"""
from __future__ import annotations

import base64
import binascii
import mimetypes
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from . import textrules
from .check import image_problems
from .config import load_config
from .content import parse_file
from .dates import SHANGHAI, DateError, parse_datetime
from .frontmatter import suggest
from .problems import ERROR, WARNING, Problem, Problems
from .text import slugify

SUPPORTED = (".txt", ".html", ".htm", ".docx")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".bmp"}
SLUG_LIMIT = 48


@dataclass
class ImportOptions:
    site_dir: Path
    paths: list[Path]
    column: str | None = None
    brand: str | None = None
    simplified: bool = False
    dry_run: bool = False


@dataclass
class Block:
    kind: str  # "p", "h" (heading), "li", "oli", "quote", "table", "img"
    text: str = ""
    level: int = 0  # heading level
    rows: list[list[str]] | None = None  # table cells, first row is the header
    src: str = ""  # image: where the page points
    data: bytes | None = None  # image: the bytes themselves (Word, data: URIs)
    name: str = ""  # image: a file name to keep
    caption: str = ""  # image: the line under it in the original


@dataclass
class Raw:
    """What a reader found in one file."""

    path: Path
    blocks: list[Block]
    title_hints: list[str] = field(default_factory=list)  # best first
    meta_lines: list[str] = field(default_factory=list)  # page text outside the article body
    date_hints: list[tuple[datetime, str]] = field(default_factory=list)  # (date, where it came from)
    notes: list[str] = field(default_factory=list)


@dataclass
class Article:
    source_file: Path
    title: str = ""
    date: datetime | None = None
    date_note: str = ""  # set when the date is a guess that the officer should confirm
    has_time: bool = False
    source: str = ""
    author: str = ""
    editor: str = ""
    gov: dict[str, str] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class UnreadableFile(Exception):
    """A file that cannot be imported; the message is Chinese."""


# ---------------------------------------------------------------- decoding

_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "utf8": "utf-8"}


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding name) for bytes from an old page or text file: UTF-8, GBK/GB18030, Big5, UTF-16."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if declared:
        name = _ALIASES.get(declared.lower(), declared.lower())
        try:
            return data.decode(name), name.upper()
        except (LookupError, UnicodeDecodeError):
            pass  # a page that lies about its encoding: guess instead
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16", "cp1252"]).best()
    if best is not None and best.encoding in ("gb18030", "big5"):
        return str(best), best.encoding.upper()
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "GB18030（有无法识别的字节）"


# ---------------------------------------------------------------- readers

def _normalize_space(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u3000", " ").replace("\u200b", "").replace("\ufeff", "")
    return re.sub(r"\s+", " ", text).strip()


def read_txt(path: Path) -> Raw:
    text, encoding = decode_bytes(path.read_bytes())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    groups = [g for g in re.split(r"\n[ \t\u3000]*\n", text) if g.strip()]
    long_lines = [_normalize_space(line) for line in lines if len(_normalize_space(line)) >= 20]
    open_ended = sum(1 for line in long_lines if not re.search(r"[。！？!?”」』）)…：:；;]$", line))
    wrapped = len(groups) > 1 and long_lines and open_ended >= 0.6 * len(long_lines)
    blocks = []
    if wrapped:  # paragraphs hard-wrapped at a fixed width, with blank lines between paragraphs
        for group in groups:
            parts = [_normalize_space(line) for line in group.split("\n") if line.strip()]
            blocks.append(Block("p", _join_wrapped(parts)))
    else:
        blocks = [Block("p", _normalize_space(line)) for line in lines if line.strip()]
    raw = Raw(path, blocks)
    if encoding not in ("UTF-8",):
        raw.notes.append(f"原文件是 {encoding} 编码，已转为 UTF-8")
    return raw


def _join_wrapped(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if out and (textrules.HAN.match(out[-1]) or textrules.HAN.match(part[0]) or not out[-1].isascii()):
            out += part
        else:
            out += (" " if out else "") + part
    return out


_CONTENT_SELECTORS = [
    "#js_content", ".rich_media_content", "#zoom", ".TRS_Editor", "#UCAP-CONTENT", ".trs_editor_view",
    ".article-content", ".article_content", ".article-body", ".news_content", ".news-content",
    ".pages_content", "#content", ".content", "article", ".main-content", ".detail-content",
]
_DROP_TAGS = ["script", "style", "noscript", "iframe", "form", "button", "input", "select", "textarea",
              "svg", "template", "nav", "footer", "aside", "rp", "rt", "object", "embed", "link", "meta"]
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "header", "center", "figure", "figcaption", "dl", "dt",
               "dd", "address", "li", "td", "th", "tr", "tbody", "thead", "pre", "hr", "body", "html"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def read_html(path: Path) -> Raw:
    from bs4 import BeautifulSoup, Comment, NavigableString

    data = path.read_bytes()
    declared = _DECLARED.search(data[:4096])
    text, encoding = decode_bytes(data, declared.group(1).decode("ascii") if declared else None)
    soup = BeautifulSoup(text, "lxml")
    raw = Raw(path, [])
    if encoding != "UTF-8":
        raw.notes.append(f"原网页是 {encoding} 编码，已转为 UTF-8")

    def meta(*names: str) -> str:
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
            if tag and tag.get("content", "").strip():
                return _normalize_space(tag["content"])
        return ""

    og_title = meta("og:title", "twitter:title", "ArticleTitle")
    for script in soup.find_all("script"):  # a saved WeChat article keeps its time only in a script
        found = re.search(r"\bvar\s+ct\s*=\s*\"(\d{10})\"", script.string or "")
        if found:
            raw.date_hints.append((datetime.fromtimestamp(int(found.group(1)), SHANGHAI).replace(tzinfo=None),
                                   "网页中记录的发布时间"))
    published = meta("article:published_time", "PubDate", "pubdate", "publishdate", "og:release_date")
    if published:
        try:
            raw.date_hints.append((parse_datetime(re.sub(r"(\d)T(\d)", r"\1 \2", published[:19])), "网页的发布时间标记"))
        except DateError:
            pass
    page_title = _normalize_space(soup.title.get_text()) if soup.title else ""
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    body = soup.body or soup
    container = _find_container(body)
    raw.title_hints = [t for t in (og_title, _heading_title(body, container, page_title), _page_title(page_title)) if t]
    if container is None or container is body:
        raw.blocks = _html_blocks(body, NavigableString, Comment)
        return raw
    container.extract()
    # Text outside the article body still says when, by whom and (政务公开) under which index number.
    raw.meta_lines = [line for line in map(_normalize_space, body.get_text("\n").split("\n")) if line]
    raw.blocks = _html_blocks(container, NavigableString, Comment)
    return raw


def _heading_title(body, container, page_title: str) -> str:
    """The article's <h1>: the longest one the <title> repeats, else the one in the article body, else the
    first (many sites put their own name in an <h1> around the logo)."""
    headings = [_normalize_space(h.get_text()) for h in body.find_all("h1")]
    headings = [h for h in headings if h]
    squeezed = re.sub(r"\s+", "", page_title)
    repeated = [h for h in headings if len(h) >= 4 and re.sub(r"\s+", "", h) in squeezed]
    if repeated:  # "文章标题_网站名称": the longer one is the article's
        return max(repeated, key=len)
    inside = container.find("h1") if container is not None else None
    if inside is not None and _normalize_space(inside.get_text()):
        return _normalize_space(inside.get_text())
    return headings[0] if headings else ""


def _page_title(title: str) -> str:
    """A <title> without the site name after it (“文章标题_某某镇人民政府”)."""
    parts = [p.strip() for p in re.split(r"\s*(?:_|\||｜|——|—| - | – )\s*", title) if p.strip()]
    return max(parts[:1] + [p for p in parts[1:] if len(p) > len(parts[0]) * 2], key=len) if parts else ""


def _find_container(body):
    for selector in _CONTENT_SELECTORS:
        found = body.select_one(selector)
        if found is not None and len(_normalize_space(found.get_text())) >= 20:
            return found
    best, best_score = None, 0
    for element in body.find_all(["div", "section", "article", "td", "main"]):
        score = sum(len(_normalize_space(p.get_text())) for p in element.find_all("p", recursive=False))
        if score > best_score:
            best, best_score = element, score
    return best


def _html_blocks(root, NavigableString, Comment) -> list[Block]:
    out: list[Block] = []
    buffer: list[str] = []

    def flush() -> None:
        text = _normalize_space("".join(buffer))
        buffer.clear()
        if text:
            out.append(Block("p", text))

    def text_of(element) -> str:
        for br in element.find_all("br"):
            br.replace_with(" ")
        return _normalize_space(element.get_text(" " if element.name in ("td", "th") else ""))

    def visit(element) -> None:
        for child in list(element.children):
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                buffer.append(str(child))
                continue
            name = child.name
            if name == "br":
                flush()
            elif name == "img":
                flush()
                src = child.get("data-src") or child.get("src") or ""
                if src:
                    out.append(Block("img", _normalize_space(child.get("alt", "") or child.get("title", "")), src=src))
            elif name in _HEADINGS:
                flush()
                images = child.find_all("img")
                text = text_of(child)
                if text:
                    out.append(Block("h", text, level=_HEADINGS[name]))
                for image in images:
                    out.append(Block("img", _normalize_space(image.get("alt", "")), src=image.get("src", "")))
            elif name in ("ul", "ol"):
                flush()
                for item in child.find_all("li", recursive=False):
                    nested = item.find_all(["ul", "ol"])
                    for sub in nested:
                        sub.extract()
                    text = text_of(item)
                    if text:
                        out.append(Block("oli" if name == "ol" else "li", text))
                    for sub in nested:
                        visit(sub)
            elif name == "table":
                flush()
                if _is_layout_table(child):
                    for cell in child.find_all(["td", "th"]):
                        if cell.find_parent("table") is child:  # nested tables are reached through their cell
                            visit(cell)
                            flush()
                else:
                    out.append(_data_table(child))
            elif name == "blockquote":
                flush()
                start = len(out)
                visit(child)
                flush()
                for block in out[start:]:
                    if block.kind == "p":
                        block.kind = "quote"
            elif name in _BLOCK_TAGS:
                flush()
                visit(child)
                flush()
            else:
                visit(child)

    visit(root)
    flush()
    return out


def _is_layout_table(table) -> bool:
    """A table used for page layout (nested tables, one column or one row) rather than for data."""
    rows = table.find_all("tr")
    widths = [len(r.find_all(["td", "th"], recursive=False)) for r in rows]
    return table.find("table") is not None or len(rows) < 2 or max(widths, default=0) < 2


def _data_table(table) -> Block:
    cells = []
    for row in table.find_all("tr"):
        texts = []
        for cell in row.find_all(["td", "th"], recursive=False):
            for br in cell.find_all("br"):
                br.replace_with(" ")
            texts.append(_normalize_space(cell.get_text(" ")))
        cells.append(texts)
    width = max(len(r) for r in cells)
    return Block("table", rows=[r + [""] * (width - len(r)) for r in cells if any(r)])


def read_docx(path: Path) -> Raw:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - a dependency in requirements.txt
        raise UnreadableFile("读取 .docx 需要 python-docx：请运行 pip install -r requirements.txt") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several kinds for a damaged or mislabelled file
        raise UnreadableFile(f"无法打开这个 Word 文件（{type(exc).__name__}）：请用 Word 或 WPS 打开后另存为 .docx") from None
    raw = Raw(path, [])
    props = document.core_properties
    for value, where in ((props.created, "Word 文件的创建时间"), (props.modified, "Word 文件的修改时间")):
        if isinstance(value, datetime):
            local = value.replace(tzinfo=value.tzinfo or SHANGHAI).astimezone(SHANGHAI).replace(tzinfo=None)
            raw.date_hints.append((local, where))
    image_count = 0
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = []
            for row in item.rows:
                rows.append([_normalize_space(" ".join(p.text for p in cell.paragraphs)) for cell in row.cells])
            rows = _dedupe_merged(rows)
            if rows and (len(rows) < 2 or max(len(r) for r in rows) < 2):
                raw.blocks.extend(Block("p", c) for r in rows for c in r if c)
            elif rows:
                width = max(len(r) for r in rows)
                raw.blocks.append(Block("table", rows=[r + [""] * (width - len(r)) for r in rows]))
            continue
        if not isinstance(item, Paragraph):
            continue
        style = (item.style.name if item.style is not None else "") or ""
        text = _normalize_space(item.text)
        for blip in item._p.xpath(".//a:blip"):
            rel_id = blip.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed")
            part = document.part.related_parts.get(rel_id) if rel_id else None
            if part is None:
                continue
            image_count += 1
            ext = Path(str(part.partname)).suffix.lower() or ".png"
            descr = item._p.xpath(".//wp:docPr/@descr")
            alt = _normalize_space(descr[0]) if descr else ""
            raw.blocks.append(Block("img", alt, data=part.blob, name=f"image-{image_count}{ext}"))
        if not text:
            continue
        if style == "Title":
            raw.title_hints.append(text)
            raw.blocks.append(Block("p", text))
        elif style.startswith("Heading") and style[-1:].isdigit():
            raw.blocks.append(Block("h", text, level=int(style[-1])))
        elif style.startswith("List Number"):
            raw.blocks.append(Block("oli", text))
        elif style.startswith("List") or item._p.pPr is not None and item._p.pPr.numPr is not None:
            raw.blocks.append(Block("li", text))
        else:
            raw.blocks.append(Block("p", text))
    return raw


def _dedupe_merged(rows: list[list[str]]) -> list[list[str]]:
    """Word repeats a merged cell's text in every grid cell it spans; keep it once per row."""
    result = []
    for row in rows:
        kept: list[str] = []
        for text in row:
            if kept and text == kept[-1] and text:
                continue
            kept.append(text)
        result.append(kept)
    return result


READERS = {".txt": read_txt, ".html": read_html, ".htm": read_html, ".docx": read_docx}


# ---------------------------------------------------------------- cleaning

_CHROME_SHORT = re.compile(
    r"欢迎使用手机浏览|手机版|切换到(?:电脑|手机)|无障碍(?:浏览|阅读)?|长者模式|关怀版|"
    r"字体(?:大小)?\s*[:：]?\s*[【\[]?\s*大|字号\s*[:：]?\s*[【\[]?\s*大|放大\s*正常\s*缩小|【\s*大\s*】|\b大\s+中\s+小\b|"
    r"浏览次数|阅读次数|浏览量|阅读量|点击数|点击量|访问量|访问次数|"
    r"留言与评论|发表评论|网友评论|我要评论|评论\s*[（(]\s*\d+|验证码|"
    r"分享到|分享至|扫一扫|二维码|"
    r"打印本页|打印此页|【\s*打印\s*】|关闭窗口|关闭本页|【\s*关闭\s*】|收藏本页|加入收藏|返回顶部|返回首页|"
    r"^上一篇|^下一篇|^相关链接|^相关新闻|^相关阅读|^相关文章|"
    r"^当前位置|您(?:现在)?的位置|^首页\s*[>›»＞]|[>›»＞]\s*正文$|"
    r"^标签\s*[:：]|^分享\s*$"
)
_CHROME_ANY = re.compile(
    r"版权所有|Copyright|©|ICP\s*备\s*\d|ICP\s*证|公网安备|网站标识码|网站识别码|"
    r"免责声明|版权声明|转载请注明|未经.{0,20}(?:授权|许可|同意).{0,30}(?:不得|禁止|严禁)|凡本网注明|"
    r"本网站?所(?:刊登|发布|刊载)",
    re.I,
)
_NAV_WORDS = ("关于我们", "联系我们", "网站地图", "网站声明", "隐私声明", "设为首页", "加入收藏", "友情链接", "意见建议")
_SHARE_ONLY = re.compile(r"^(?:微信|微博|QQ空间|QQ|朋友圈|豆瓣|新浪微博|腾讯微博|人人网|[\s、|/·]|分享)+$")


def _simplified_probe(text: str) -> str:
    """The text in simplified characters, for recognising labels and chrome on traditional pages."""
    return text if text.isascii() else _t2s(text)


def is_chrome(text: str) -> bool:
    """A line of page furniture rather than article text (traditional pages included)."""
    text = _simplified_probe(text)
    if _CHROME_ANY.search(text):
        return True
    if sum(word in text for word in _NAV_WORDS) >= 2 or text in _NAV_WORDS:
        return True
    if _SHARE_ONLY.match(text):
        return True
    if len(text) > 15 and re.search(r"[。！？!?]$", text):
        return False  # a finished sentence (“群众扫一扫二维码就能反映问题。”) is article text
    return len(text) <= 80 and bool(_CHROME_SHORT.search(text))


def clean_text(text: str, simplified: bool) -> str:
    """Mojibake repaired where it can be, pinyin annotations gone, optionally traditional → simplified."""
    text = textrules.repair_mojibake(text)
    text = textrules.remove_pinyin(text)
    if simplified:
        text = _t2s(text)
    return text


_converter = None


def _t2s(text: str) -> str:
    global _converter
    if _converter is None:
        import opencc

        _converter = opencc.OpenCC("t2s")
    return _converter.convert(text)


# ---------------------------------------------------------------- labelled fields

_FIELDS = {
    "date": ("发布时间", "发布日期", "发表时间", "发表日期", "发文日期", "更新时间", "上传时间", "时间", "日期"),
    "source": ("信息来源", "稿件来源", "文章来源", "来源", "出处"),
    "author": ("作者", "撰稿", "撰稿人", "供稿"),
    "editor": ("责任编辑", "编辑"),
    "gov.index_no": ("索引号",),
    "gov.category": ("主题分类", "信息分类"),
    "gov.publisher": ("发布机构", "发文机关", "发布单位"),
    "gov.doc_no": ("文号", "发文字号"),
    "gov.written": ("成文日期", "成文时间"),
    "gov.keywords": ("关键词", "主题词"),
    "drop": ("浏览次数", "阅读次数", "点击数", "点击量", "访问量", "阅读量", "浏览量", "公开方式", "公开范围",
             "公开时限", "有效性", "组配分类", "体裁分类", "服务对象", "生效日期", "废止日期", "信息类别", "字体", "字号",
             "审核", "校对", "分享到", "标签"),
}
GOV_LABELS = {"index_no": "索引号", "category": "主题分类", "publisher": "发布机构", "doc_no": "文号",
              "written": "成文日期", "keywords": "关键词"}
_LABEL_OF = {label: key for key, labels in _FIELDS.items() for label in labels}
_LABEL = re.compile(r"(?:^|(?<=[\s【\[|｜（(】\]]))(" + "|".join(sorted(_LABEL_OF, key=len, reverse=True))
                    + r")\s*[:：]\s*")
_DATE_IN_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                           r"(?:\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?(?:\s*[:：]\s*\d{1,2})?)?")
_DATE_LINE = re.compile(r"^[（(]?\s*" + _DATE_IN_TEXT.pattern + r"\s*(?:星期[一二三四五六日天]|周[一二三四五六日])?\s*[）)]?$")
_RESIDUE = re.compile(r"[\s【】\[\]|｜()（）:：,，、/]+")


def find_date(text: str) -> tuple[datetime, bool] | None:
    """The first date in `text` that exists, and whether it had a time of day."""
    for match in _DATE_IN_TEXT.finditer(text):
        year, month, day, hour, minute = match.groups()
        value = f"{year}-{month}-{day}" + (f" {hour}:{minute}" if hour else "")
        try:
            return parse_datetime(value), bool(hour)
        except DateError:
            continue
    return None


def labelled_fields(text: str) -> tuple[list[tuple[str, str]], bool]:
    """([(field, value)], whether the line is nothing but labelled fields and page furniture)."""
    probe = _simplified_probe(text)
    if len(probe) == len(text):  # labels found in simplified form, values kept as written
        matches = list(_LABEL.finditer(probe))
    else:
        text = probe
        matches = list(_LABEL.finditer(text))
    if not matches:
        return [], False
    fields = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        value = text[match.end():end].strip(" 　|｜【】[]")
        fields.append((_LABEL_OF[match.group(1)], value))
    before = text[:matches[0].start()]
    date = _DATE_IN_TEXT.search(before)
    if date:  # "2023-06-28 15:30 来源：……": an unlabelled date in front of the labelled fields
        fields.insert(0, ("date", date.group()))
        before = before[:date.start()] + before[date.end():]
    only_fields = not _RESIDUE.sub("", before) or is_chrome(before)
    return fields, only_fields


def _plausible(key: str, value: str) -> bool:
    """Whether a labelled value in the body looks like page information rather than a sentence
    (“时间：每周三下午” is article text and must stay)."""
    if key == "date" or key == "gov.written":
        return find_date(value) is not None
    if key in ("source", "author", "editor"):
        return len(value) <= 40 and not re.search(r"[。！？]", value)
    return len(value) <= 80


def _apply_field(article: Article, key: str, value: str, dates: list[tuple[datetime, bool]]) -> None:
    value = value.strip()
    if key == "drop" or not value:
        return
    if key == "date":
        found = find_date(value)
        if found:
            dates.append(found)
        return
    if key.startswith("gov."):
        sub = key[4:]
        if sub == "written":
            found = find_date(value)
            value = found[0].strftime("%Y-%m-%d") if found else value
        article.gov.setdefault(sub, value)
        return
    if key in ("source", "author", "editor") and not getattr(article, key):
        setattr(article, key, re.split(r"\s{2,}", value)[0][:60])


# ---------------------------------------------------------------- the shared conversion

_CLOSING = re.compile(r"[。！？!?；;，,、：:…—]$")
_NUMBERING = [
    re.compile(r"^[一二三四五六七八九十]+、"),
    re.compile(r"^[（(][一二三四五六七八九十]+[）)]"),
    re.compile(r"^\d{1,2}[.．、](?!\d)"),
    re.compile(r"^[（(]\d{1,2}[）)]"),
]
HEADING_LIMIT = 30


def convert(raw: Raw, simplified: bool) -> Article:
    article = Article(raw.path, notes=list(raw.notes))
    for block in raw.blocks:
        block.text = clean_text(block.text, simplified)
        if block.rows:
            block.rows = [[clean_text(c, simplified) for c in row] for row in block.rows]
    blocks = [b for b in raw.blocks if b.text or b.kind in ("img", "table")]
    meta_lines = [clean_text(line, simplified) for line in raw.meta_lines]
    hints = [clean_text(t, simplified) for t in raw.title_hints]

    dates: list[tuple[datetime, bool]] = []
    # Labelled lines outside the body (HTML) first, then those among the first and last blocks.
    _fields_from_lines(article, meta_lines, dates)
    keep: list[Block] = []
    index = dropped = 0
    while index < len(blocks):
        block = blocks[index]
        near = index < 12 or index >= len(blocks) - 6
        if near and block.kind in ("p", "li", "h"):
            fields, only = labelled_fields(block.text)
            if fields and only and all(_plausible(key, value) for key, value in fields):
                for key, value in fields:
                    _apply_field(article, key, value, dates)
                # "索引号：" alone on its line, its value on the next one (table cells read as lines)
                if len(fields) == 1 and not fields[0][1] and index + 1 < len(blocks) \
                        and not labelled_fields(blocks[index + 1].text)[0]:
                    _apply_field(article, fields[0][0], blocks[index + 1].text, dates)
                    index += 1
                index += 1
                continue
        if near and block.kind == "table" and block.rows and _is_info_table(block.rows):
            for row in block.rows:
                _pairs_from_cells(article, row, dates)
            index += 1
            continue
        if block.kind in ("p", "li", "oli", "quote", "h") and is_chrome(block.text):
            dropped += 1
            index += 1
            continue
        keep.append(block)
        index += 1
    blocks = keep
    if dropped:
        article.notes.append(f"正文区域中去掉了 {dropped} 行网页框架（分享、打印、版权、上一篇下一篇等）")
    if not article.source and article.gov.get("publisher"):
        article.source = article.gov["publisher"]  # a disclosure page names its publisher, not a 来源

    # Title: what the page says it is, else the first line.
    title = next((h for h in hints if h), "")
    if not title and blocks and blocks[0].kind in ("p", "h"):
        title = blocks[0].text
    article.title = _strip_title(title)
    for position, block in enumerate(blocks[:4]):
        if block.kind in ("p", "h") and _same_text(block.text, article.title):
            del blocks[position]
            break
    if not article.title:
        article.title = raw.path.stem
        article.notes.append("没有找到标题，暂用文件名作标题，请修改 title:")

    # A date alone on a line right under the title is the publication date.
    for position, block in enumerate(blocks[:4]):
        if block.kind == "p" and _DATE_LINE.match(block.text):
            found = find_date(block.text)
            if found:
                dates.insert(0, found)
                del blocks[position]
            break
    if dates:
        article.date, article.has_time = dates[0]
        if not article.has_time:  # "发布日期：2023-01-06" in one place, "2023-01-06 10:20" in another
            timed = next((d for d, t in dates if t and d.date() == article.date.date()), None)
            if timed:
                article.date, article.has_time = timed, True
    else:
        tail = next((find_date(b.text) for b in reversed(blocks[-4:]) if b.kind == "p" and _DATE_LINE.match(b.text)),
                    None)
        if tail:  # the date under the signature (落款) of a notice
            article.date, article.has_time = tail
        elif raw.date_hints:
            article.date, where = raw.date_hints[0]
            article.has_time = True
            article.date_note = f"正文中没有写日期，这是{where}，请核对"
        else:
            mtime = datetime.fromtimestamp(raw.path.stat().st_mtime, SHANGHAI).replace(tzinfo=None)
            article.date, article.has_time = mtime, True
            article.date_note = "正文中没有写日期，这是原文件的修改时间，请核对"
    article.blocks = _headings(_captions(blocks))
    for block in article.blocks:
        if block.kind != "img":
            block.text = textrules.fix_punctuation(block.text)
        if block.rows:
            block.rows = [[textrules.fix_punctuation(c) for c in row] for row in block.rows]
    article.title = textrules.fix_punctuation(article.title)
    return article


def _fields_from_lines(article: Article, lines: list[str], dates: list) -> None:
    pending = None
    for line in lines:
        fields, _ = labelled_fields(line)
        if pending and not fields:
            _apply_field(article, pending, line, dates)
            pending = None
            continue
        pending = None
        for key, value in fields:
            _apply_field(article, key, value, dates)
        if len(fields) == 1 and not fields[0][1]:
            pending = fields[0][0]
        elif not fields:
            bare = line.rstrip(":： ")
            if bare in _LABEL_OF and _LABEL_OF[bare] != "date":
                pending = _LABEL_OF[bare]  # a table cell "索引号" with its value in the next cell


def _is_info_table(rows: list[list[str]]) -> bool:
    cells = [c.rstrip(":： ") for row in rows for c in row]
    return sum(1 for c in cells if _LABEL_OF.get(c, "").startswith("gov.")) >= 2


def _pairs_from_cells(article: Article, row: list[str], dates: list) -> None:
    for index, cell in enumerate(row[:-1]):
        key = _LABEL_OF.get(cell.rstrip(":： "))
        if key:
            _apply_field(article, key, row[index + 1], dates)


def _strip_title(title: str) -> str:
    title = _normalize_space(title)
    return re.sub(r"^(?:标题|题目)\s*[:：]\s*", "", title)


def _same_text(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return re.sub(r"[\s\W_]+", "", text)

    return bool(norm(a)) and norm(a) == norm(b)


def _captions(blocks: list[Block]) -> list[Block]:
    """A short line right under an image, with no closing punctuation, is that image's caption."""
    out: list[Block] = []
    skip = False
    for index, block in enumerate(blocks):
        if skip:
            skip = False
            continue
        if block.kind == "img" and index + 1 < len(blocks):
            following = blocks[index + 1]
            if following.kind == "p" and len(following.text) <= 40 and not _CLOSING.search(following.text) \
                    and not _numbering_level(following.text):
                block.text = block.text or following.text
                block.caption = following.text  # rendered as a figure with this caption
                skip = True
        out.append(block)
    return out


def _numbering_level(text: str) -> int:
    for level, pattern in enumerate(_NUMBERING, 1):
        if pattern.match(text):
            return level
    return 0


def _headings(blocks: list[Block]) -> list[Block]:
    """Short lines without closing punctuation become headings (## for the top numbering in use)."""
    last_prose = max((i for i, b in enumerate(blocks) if b.kind == "p" and not _is_heading_like(b.text)
                      and not _DATE_LINE.match(b.text)), default=-1)  # what follows is the signature (落款)
    candidates = []
    for index, block in enumerate(blocks):
        if block.kind != "p" or index >= last_prose or not _is_heading_like(block.text):
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if following is None or following.kind == "h":
            continue
        candidates.append(index)
    styles = sorted({_numbering_level(blocks[i].text) for i in candidates} - {0})
    for index in candidates:
        level = _numbering_level(blocks[index].text)
        blocks[index].kind = "h"
        blocks[index].level = 2 + (styles.index(level) if level else 0)
    for block in blocks:  # headings from the page itself: h1 → ##, the rest keep their level
        if block.kind == "h" and block.level < 2:
            block.level = 2
    return blocks


def _is_heading_like(text: str) -> bool:
    return (0 < len(text) <= HEADING_LIMIT and not _CLOSING.search(text) and not _DATE_LINE.match(text)
            and not re.fullmatch(r"[\d\s.:：/-]+", text) and not text.startswith(("附件", "注：", "注:")))


# ---------------------------------------------------------------- writing

_ESCAPE_INLINE = re.compile(r"([\\`*_\[\]<>])")
_ESCAPE_START = re.compile(r"^([#>+=\-|]|\d+[.)](?=\s))")


def escape_markdown(text: str) -> str:
    text = _ESCAPE_INLINE.sub(r"\\\1", text)
    return _ESCAPE_START.sub(lambda m: "\\" + m.group(1), text)


def _yaml_scalar(value: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value  # our reader takes dates as text; quotes would only puzzle the officer
    dumped = yaml.safe_dump(value, allow_unicode=True, width=10_000, default_flow_style=True).strip()
    return dumped[:-4].strip() if dumped.endswith("\n...") else dumped.removesuffix("...").strip()


def front_matter(article: Article, column: str | None, brand: str | None) -> str:
    date = article.date.strftime("%Y-%m-%d %H:%M" if article.has_time else "%Y-%m-%d") if article.date else ""
    lines = ["---", f"# 由 python build.py import 从 {article.source_file.name} 导入", f"title: {_yaml_scalar(article.title)}"]
    lines.append(f"date: {date}" + (f"  # {article.date_note}" if article.date_note else ""))
    if brand:
        lines.append(f"brand: {_yaml_scalar(brand)}")
    if column:
        lines.append(f"columns: [{_yaml_scalar(column)}]")
    for key in ("source", "author", "editor"):
        value = getattr(article, key)
        if value:
            lines.append(f"{key}: {_yaml_scalar(value)}")
    if article.gov:
        lines.append("gov:")
        for key, label in GOV_LABELS.items():
            if key in article.gov:
                lines.append(f"  {label}: {_yaml_scalar(article.gov[key])}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def body_markdown(blocks: list[Block], image_refs: dict[int, str]) -> str:
    parts: list[str] = []
    previous = ""
    number = 0
    for index, block in enumerate(blocks):
        if block.kind == "img":
            ref = image_refs.get(index)
            if ref is None:
                continue
            if ref.startswith("<!--"):
                text = ref
            else:
                caption = block.caption
                alt = escape_markdown(block.text or caption)
                title = f' "{caption.replace(chr(34), "“")}"' if caption else ""
                text = f"![{alt}]({ref}{title})"
        elif block.kind == "h":
            text = "#" * min(max(block.level, 2), 6) + " " + escape_markdown(block.text)
        elif block.kind == "li":
            text = "- " + escape_markdown(block.text)
        elif block.kind == "oli":
            number = number + 1 if previous == "oli" else 1
            text = f"{number}. " + escape_markdown(block.text)
        elif block.kind == "quote":
            text = "> " + escape_markdown(block.text)
        elif block.kind == "table" and block.rows:
            rows = [[c.replace("|", "\\|") for c in row] for row in block.rows]
            text = "\n".join(["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
                             + ["| " + " | ".join(r) + " |" for r in rows[1:]])
        else:
            text = escape_markdown(block.text)
        joiner = "\n" if block.kind in ("li", "oli") and previous == block.kind else "\n\n"
        parts.append((joiner if parts else "") + text)
        previous = block.kind
    return "".join(parts) + "\n"


@dataclass
class Planned:
    """One story to write: where, its text, and the images to put beside it."""

    source_file: Path
    target: Path
    text: str
    images: list[tuple[Path, bytes | Path]]  # (destination, bytes or a file to copy)
    article: Article
    notes: list[str]


def plan(article: Article, content_dir: Path, column: str | None, brand: str | None) -> Planned:
    year = f"{article.date.year}" if article.date else "imported"
    slug = _slug(article.title) or _slug(article.source_file.stem) or "story"
    folder = content_dir / "stories" / year
    target = folder / f"{slug}.md"
    image_dir = folder / slug
    images: list[tuple[Path, bytes | Path]] = []
    refs: dict[int, str] = {}
    used: set[str] = set()
    notes = list(article.notes)
    for index, block in enumerate(article.blocks):
        if block.kind != "img":
            continue
        source: bytes | Path | None = block.data
        name = block.name
        if source is None:
            src = block.src.strip()
            if src.startswith("data:"):
                source, name = _data_uri(src, len(images) + 1)
            elif re.match(r"^(?:https?:)?//", src):
                refs[index] = src if not src.startswith("//") else "https:" + src
                continue  # left as it is; the check below says what to do with it
            else:
                local = (article.source_file.parent / unquote(urlsplit(src).path)).resolve()
                if local.is_file() and local.suffix.lower() in IMAGE_SUFFIXES:  # never copy other files
                    source, name = local, local.name
                else:
                    refs[index] = f"<!-- 原文图片 {src} 没有找到，请补上 -->"
                    notes.append(f"原文图片 {src} 没有找到（应在 {local}），已在正文中留下标记")
                    continue
        if source is None:
            refs[index] = f"<!-- 原文图片无法读取：{block.src[:60]} -->"
            continue
        name = _image_name(name, len(images) + 1, used)
        used.add(name)
        images.append((image_dir / name, source))
        refs[index] = f"{slug}/{name}"
    text = front_matter(article, column, brand) + "\n" + body_markdown(article.blocks, refs)
    return Planned(article.source_file, target, text, images, article, notes)


def _slug(text: str) -> str:
    slug = slugify(text)
    if len(slug) <= SLUG_LIMIT:
        return slug
    cut = slug[:SLUG_LIMIT].rsplit("-", 1)[0]
    return cut or slug[:SLUG_LIMIT]


def _data_uri(src: str, number: int) -> tuple[bytes | None, str]:
    match = re.match(r"data:([\w/+.-]+)?(;base64)?,(.*)", src, re.S)
    if not match or not match.group(2):
        return None, ""
    try:
        data = base64.b64decode(match.group(3), validate=False)
    except (binascii.Error, ValueError):
        return None, ""
    ext = mimetypes.guess_extension(match.group(1) or "") or ".png"
    return data, f"image-{number}{'.jpg' if ext == '.jpe' else ext}"


def _image_name(name: str, number: int, used: set[str]) -> str:
    stem, ext = os.path.splitext(name or "")
    ext = ext.lower() if ext.lower() in IMAGE_SUFFIXES else ".jpg" if not ext else ext.lower()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-").lower()
    if not stem or not stem.isascii():
        stem = f"image-{number}"
    candidate, n = f"{stem}{ext}", 2
    while candidate in used:
        candidate, n = f"{stem}-{n}{ext}", n + 1
    return candidate


# ---------------------------------------------------------------- the command

def collect(paths: list[Path], problems: Problems) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED)
            if not found:
                problems.warning(path, 0, "文件夹中没有 .txt、.html 或 .docx 文件")
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED:
                files.append(path)
            elif path.suffix.lower() == ".doc":
                problems.error(path, 0, "这是旧的 .doc 格式：请用 Word 或 WPS 打开，另存为 .docx 后再导入")
            else:
                problems.error(path, 0, "只能导入 .txt、.html（.htm）和 .docx 文件")
        else:
            problems.error(path, 0, "找不到这个文件或文件夹")
    return list(dict.fromkeys(files))


def _known_ids(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.md")) if folder.is_dir() else []


def run_import(options: ImportOptions, out=None) -> int:
    out = out or sys.stdout
    problems = Problems()
    config = load_config(options.site_dir, problems)
    if config is None:
        _print_problems(problems.items, out)
        return 1
    content_dir = config.content_dir
    for value, folder, label in ((options.column, "columns", "专栏"), (options.brand, "brands", "品牌")):
        if value:
            known = _known_ids(content_dir / folder)
            if value not in known:
                shown = "、".join(known) or f"还没有{label}，请先在 content/{folder}/ 中建一个"
                problems.error("", 0, f"未知{label} \"{value}\"{suggest(value, known)}（可选：{shown}）")
    files = collect(options.paths, problems)
    if problems.has_errors():
        _print_problems(problems.items, out)
        return 1
    words = config.check.words
    imported = skipped = needs_work = 0
    planned_targets: set[Path] = set()
    for path in files:
        try:
            raw = READERS[path.suffix.lower()](path)
            article = convert(raw, options.simplified)
            job = plan(article, content_dir, options.column, options.brand)
        except UnreadableFile as exc:
            problems.error(path, 0, str(exc))
            skipped += 1
            continue
        except (OSError, ValueError) as exc:
            problems.error(path, 0, f"无法读取：{exc}")
            skipped += 1
            continue
        rel_target = job.target.relative_to(config.root)
        if job.target.exists() or job.target in planned_targets:
            why = "已存在" if job.target.exists() else "与本次导入的另一篇文章同名"
            problems.error(path, 0, f"目标文件 {rel_target.as_posix()} {why}，没有覆盖：如需重新导入请先删除或改名那个文件")
            skipped += 1
            continue
        planned_targets.add(job.target)
        if not options.dry_run:
            _write(job)
        imported += 1
        left = _remaining(job, config, words)
        verb = "将导入" if options.dry_run else "已导入"
        date = job.article.date.strftime("%Y-%m-%d") if job.article.date else "无日期"
        extra = f"，{len(job.images)} 张图片" if job.images else ""
        print(f"{verb} {path} → {rel_target.as_posix()}（{job.article.title}，{date}{extra}）", file=out)
        for note in job.notes:
            print(f"  说明：{note}", file=out)
        if options.dry_run:
            print(_indent(_preview(job.text)), file=out)
        if left:
            needs_work += 1
            _print_problems(left, out, indent="  ")
    _print_problems(problems.items, out)
    verb = "可导入" if options.dry_run else "导入"
    summary = f"完成：{verb} {imported} 篇"
    if skipped:
        summary += f"，{skipped} 篇未导入（原因见上）"
    if needs_work:
        summary += f"；其中 {needs_work} 篇还有需要人工核对的地方（见上），改好后运行 python build.py check"
    elif imported and not options.dry_run:
        summary += "，都已通过检查"
    if options.dry_run:
        summary += "。这是试运行（--dry-run），没有写入任何文件"
    print(summary + "。", file=out)
    return 1 if skipped or problems.has_errors() else 0


def _write(job: Planned) -> None:
    job.target.parent.mkdir(parents=True, exist_ok=True)
    with open(job.target, "x", encoding="utf-8") as handle:  # "x": never replace a file that appeared meanwhile
        handle.write(job.text)
    for destination, source in job.images:
        destination.parent.mkdir(parents=True, exist_ok=True)
        final, n = destination, 2
        while final.exists():
            final, n = destination.with_name(f"{destination.stem}-{n}{destination.suffix}"), n + 1
        if final != destination:  # keep the reference in step with the name actually used
            text = job.target.read_text("utf-8").replace(
                f"{destination.parent.name}/{destination.name}", f"{destination.parent.name}/{final.name}")
            job.target.write_text(text, encoding="utf-8")
        if isinstance(source, Path):
            shutil.copyfile(source, final)
        else:
            final.write_bytes(source)


def _remaining(job: Planned, config, words) -> list[Problem]:
    """What is left to fix in the new story: parse problems and every text rule, at the story's lines."""
    rel = job.target.relative_to(config.content_dir).as_posix()
    parsed = parse_file(job.target, rel, job.text.encode("utf-8"))
    left = [p for p in parsed.problems if p.level in (ERROR, WARNING)]
    left += [textrules.as_problem(str(job.target), f) for f in textrules.scan(job.text, words)]
    left += image_problems(str(job.target), job.text)
    return sorted(left, key=lambda p: (p.line, p.col))


def _preview(text: str, body_lines: int = 6) -> str:
    head, _, body = text.partition("\n---\n")
    lines = [line for line in body.split("\n") if line.strip()]
    more = f"\n……（正文共 {len(lines)} 段）" if len(lines) > body_lines else ""
    return head + "\n---\n" + "\n".join(lines[:body_lines]) + more


def _indent(text: str) -> str:
    return "\n".join("  | " + line for line in text.split("\n"))


def _print_problems(items: list[Problem], out, indent: str = "") -> None:
    for problem in sorted(items, key=lambda p: (p.path, p.line, p.col)):
        print(indent + problem.format(), file=out)


def main(options: ImportOptions) -> int:
    return run_import(options)
