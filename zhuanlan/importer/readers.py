"""Readers for `import`: a .txt, .html or .docx file → plain blocks and what the file says about itself.

Each reader only takes the file apart; deciding what is title, date, chrome or heading is left to
`convert`, which is the same for every kind of file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..dates import SHANGHAI, DateError, parse_datetime
from ..textrules.prose import HAN

SUPPORTED = (".txt", ".html", ".htm", ".docx")


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
    number: int = 0  # ordered list item: the number typed before it


@dataclass
class Raw:
    """What a reader found in one file."""

    path: Path
    blocks: list[Block]
    title_hints: list[str] = field(default_factory=list)  # best first
    meta_lines: list[str] = field(default_factory=list)  # page text outside the article body
    date_hints: list[tuple[datetime, str]] = field(default_factory=list)  # (date the page records, where)
    file_times: list[tuple[datetime, str]] = field(default_factory=list)  # (a Word file's own time, which)
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


def read_text_file(path: Path) -> bytes:
    """The bytes of a .txt or .html file, refusing an empty, blank or binary one."""
    data = path.read_bytes()
    if not data:
        raise UnreadableFile("文件是空的（0 字节），没有可导入的内容")
    if _looks_binary(data):
        raise UnreadableFile("这不是文本文件（像是图片、压缩包或其他程序的文件被改了扩展名）：请确认选对了文件")
    return data


def _looks_binary(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has a zero byte in every other place
    sample = data[:8192]
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B))
    return b"\x00" in sample or controls > len(sample) // 100 + 1


def _refuse_blank(text: str) -> None:
    if not text.replace("\ufeff", "").strip():
        raise UnreadableFile("文件中只有空格和空行，没有文字")


# ---------------------------------------------------------------- readers

def normalize_space(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u3000", " ").replace("\u200b", "").replace("\ufeff", "")
    return re.sub(r"\s+", " ", text).strip()


def read_txt(path: Path) -> Raw:
    text, encoding = decode_bytes(read_text_file(path))
    _refuse_blank(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    groups = [g for g in re.split(r"\n[ \t\u3000]*\n", text) if g.strip()]
    long_lines = [normalize_space(line) for line in lines if len(normalize_space(line)) >= 20]
    open_ended = sum(1 for line in long_lines if not re.search(r"[。！？!?”」』）)…：:；;]$", line))
    wrapped = len(groups) > 1 and long_lines and open_ended >= 0.6 * len(long_lines)
    blocks = []
    if wrapped:  # paragraphs hard-wrapped at a fixed width, with blank lines between paragraphs
        for group in groups:
            parts = [normalize_space(line) for line in group.split("\n") if line.strip()]
            blocks.append(Block("p", _join_wrapped(parts)))
    else:
        blocks = [Block("p", normalize_space(line)) for line in lines if line.strip()]
    raw = Raw(path, blocks)
    if encoding not in ("UTF-8",):
        raw.notes.append(f"原文件是 {encoding} 编码，已转为 UTF-8")
    return raw


def _join_wrapped(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if out and (HAN.match(out[-1]) or HAN.match(part[0]) or not out[-1].isascii()):
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

    data = read_text_file(path)
    declared = _DECLARED.search(data[:4096])
    text, encoding = decode_bytes(data, declared.group(1).decode("ascii") if declared else None)
    _refuse_blank(text)
    soup = BeautifulSoup(text, "lxml")
    raw = Raw(path, [])
    if encoding != "UTF-8":
        raw.notes.append(f"原网页是 {encoding} 编码，已转为 UTF-8")

    def meta(*names: str) -> str:
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
            if tag and tag.get("content", "").strip():
                return normalize_space(tag["content"])
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
    page_title = normalize_space(soup.title.get_text()) if soup.title else ""
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
    raw.meta_lines = [line for line in map(normalize_space, body.get_text("\n").split("\n")) if line]
    raw.blocks = _html_blocks(container, NavigableString, Comment)
    return raw


def _heading_title(body, container, page_title: str) -> str:
    """The article's <h1>: the longest one the <title> repeats, else the one in the article body, else the
    first (many sites put their own name in an <h1> around the logo)."""
    headings = [normalize_space(h.get_text()) for h in body.find_all("h1")]
    headings = [h for h in headings if h]
    squeezed = re.sub(r"\s+", "", page_title)
    repeated = [h for h in headings if len(h) >= 4 and re.sub(r"\s+", "", h) in squeezed]
    if repeated:  # "文章标题_网站名称": the longer one is the article's
        return max(repeated, key=len)
    inside = container.find("h1") if container is not None else None
    if inside is not None and normalize_space(inside.get_text()):
        return normalize_space(inside.get_text())
    return headings[0] if headings else ""


def _page_title(title: str) -> str:
    """A <title> without the site name after it (“文章标题_某某镇人民政府”)."""
    parts = [p.strip() for p in re.split(r"\s*(?:_|\||｜|——|—| - | – )\s*", title) if p.strip()]
    return max(parts[:1] + [p for p in parts[1:] if len(p) > len(parts[0]) * 2], key=len) if parts else ""


def _find_container(body):
    for selector in _CONTENT_SELECTORS:
        found = body.select_one(selector)
        if found is not None and len(normalize_space(found.get_text())) >= 20:
            return found
    best, best_score = None, 0
    for element in body.find_all(["div", "section", "article", "td", "main"]):
        score = sum(len(normalize_space(p.get_text())) for p in element.find_all("p", recursive=False))
        if score > best_score:
            best, best_score = element, score
    return best


def _html_blocks(root, NavigableString, Comment) -> list[Block]:
    out: list[Block] = []
    buffer: list[str] = []

    def flush() -> None:
        text = normalize_space("".join(buffer))
        buffer.clear()
        if text:
            out.append(Block("p", text))

    def text_of(element) -> str:
        for br in element.find_all("br"):
            br.replace_with(" ")
        return normalize_space(element.get_text(" " if element.name in ("td", "th") else ""))

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
                    out.append(Block("img", normalize_space(child.get("alt", "") or child.get("title", "")), src=src))
            elif name in _HEADINGS:
                flush()
                images = child.find_all("img")
                text = text_of(child)
                if text:
                    out.append(Block("h", text, level=_HEADINGS[name]))
                for image in images:
                    out.append(Block("img", normalize_space(image.get("alt", "")), src=image.get("src", "")))
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
            texts.append(normalize_space(cell.get_text(" ")))
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
            raw.file_times.append((local, where))
    image_count = 0
    first_line = True
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            first_line = False
            rows = []
            for row in item.rows:
                rows.append([normalize_space(" ".join(p.text for p in cell.paragraphs)) for cell in row.cells])
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
        text = normalize_space(item.text)
        for blip in item._p.xpath(".//a:blip"):
            rel_id = blip.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed")
            part = document.part.related_parts.get(rel_id) if rel_id else None
            if part is None:
                continue
            image_count += 1
            ext = Path(str(part.partname)).suffix.lower() or ".png"
            descr = item._p.xpath(".//wp:docPr/@descr")
            alt = normalize_space(descr[0]) if descr else ""
            raw.blocks.append(Block("img", alt, data=part.blob, name=f"image-{image_count}{ext}"))
        if not text:
            continue
        if first_line and style != "Title" and _all_bold(item) and len(text) <= 64 \
                and not re.search(r"[。；;]", text):
            raw.title_hints.append(text)  # officers make the first line bold rather than use the Title style
        first_line = False
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


def _all_bold(paragraph) -> bool:
    """Every run with text in `paragraph` is bold (set on the run, or on its style)."""
    runs = [run for run in paragraph.runs if run.text.strip()]
    style_bold = bool(paragraph.style is not None and paragraph.style.font.bold)
    return bool(runs) and all(run.bold if run.bold is not None else style_bold for run in runs)


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
