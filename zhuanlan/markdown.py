"""Markdown → HTML for one content file, independent of every other file (so it can be cached).

markdown-it-py does the parsing (CommonMark, tables, footnotes, raw HTML); our rules add heading
ids that keep Chinese, `<figure>` for images with a title, scrollable tables, CJK-aware line
joins, and turn every local link or image into a placeholder `zlref:N` that the site stage
resolves once it knows every file's URL (see `Ref`), in Markdown and in raw HTML tags alike.
A body with raw HTML is cleaned by sanitize.py once rendered, and what that removes is noted at
its line; lists and quotes nested deeper than the parser takes are noted too (never dropped unsaid).
"""
from __future__ import annotations

import html as entities
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.footnote import footnote_plugin

from . import sanitize
from .sanitize import HtmlPolicy, Removal

REF_SCHEME = "zlref:"
REF_PATTERN = re.compile(r'(?<=")zlref:(\d+)(?=")')  # as our rules write it: an attribute's whole value
_EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
_HEADING_ID_DROP = re.compile(r"[^\w\- ]+")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
# How deep lists and quotes may nest: markdown-it's block parser stops (and drops the rest of the
# container) at this level; CommonMark's preset says 20, which a list 10 levels deep reaches.
# 100 levels parse in ~300 Python frames, well inside the recursion limit; deeper is an error.
MAX_NESTING = 100
_HTML_IMG = re.compile(r"<img\b[^<>]*>", re.I)
_HTML_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
# Raw HTML tags naming a file by address, and those addresses: a local one becomes a ref like a
# Markdown link or image (checked, published, put under base_url).
_HTML_URL_TAG = re.compile(r"<(img|a|video|audio|source|track)\b[^<>]*>", re.I)
_HTML_URL_ATTR = re.compile(r"""(\s(src|href|poster)\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)
_HTML_INERT = re.compile(r"(<!--.*?(?:-->|\Z)|<(?:script|style|textarea|template|xmp)\b.*?(?:</(?:script|style|textarea|"
                         r"template|xmp)\s*>|\Z))", re.S | re.I)
_HTML_REF_KINDS = {("img", "src"): "image", ("video", "poster"): "image", ("a", "href"): "link"}  # else "media"


@dataclass
class Ref:
    """A local link, image or file named by a content file, resolved later by the site stage."""

    kind: str  # "link" (a Markdown link), "image", or a front matter key such as "cover"
    target: str | None  # content-relative posix path; None when it points outside content/
    fragment: str  # "#…" or ""
    line: int  # 1-based line in the file
    raw: str  # what the author wrote
    is_url: bool = False  # "/columns/x/": a site URL rather than a file


@dataclass(frozen=True)
class Unlabelled:
    """An image without alt text: Markdown `![](src)`, or an HTML `<img>` written into the text."""

    line: int
    src: str  # what a Markdown image points to ("" for an HTML tag)
    html: bool = False


@dataclass
class Rendered:
    html: str
    text: str  # all readable text, for search and reading time
    lead: str  # paragraph text only (no headings, tables or notes), for the default summary
    headings: list[tuple[int, str, str]] = field(default_factory=list)  # (level, text, id)
    refs: list[Ref] = field(default_factory=list)
    images: list[int] = field(default_factory=list)  # indexes into refs, in reading order
    unlabelled: list[Unlabelled] = field(default_factory=list)  # images without alt text
    too_deep: int = 0  # first line of text dropped because lists or quotes nest deeper than MAX_NESTING
    indented: list[int] = field(default_factory=list)  # first lines of indented code blocks of Chinese text
    removed: list[tuple[int, Removal]] = field(default_factory=list)  # (line, what) the sanitiser took out


def resolve_path(raw: str, doc_rel: str) -> str | None:
    """A path relative to the naming file, or absolute from content/ when it starts with '/'."""
    path = raw
    if path.startswith("/"):
        joined = path.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(doc_rel), path)
    normal = posixpath.normpath(joined)
    if normal == "." or normal.startswith("../") or normal == "..":
        return None
    return normal


def is_local(url: str) -> bool:
    return bool(url) and not url.startswith("#") and not _EXTERNAL.match(url)


def make_ref(kind: str, raw: str, doc_rel: str, line: int) -> Ref:
    path, _, fragment = raw.partition("#")
    path = path.split("?", 1)[0]
    fragment = f"#{fragment}" if fragment else ""
    is_url = path.startswith("/") and (path.endswith("/") or "." not in posixpath.basename(path))
    target = path.strip("/") + "/" if is_url else resolve_path(path, doc_rel)
    if is_url and target == "/":
        target = ""
    return Ref(kind, target, fragment, line, raw, is_url)


def heading_id(text: str) -> str:
    """An id that keeps Chinese: NFKC, lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = _HEADING_ID_DROP.sub("", text)
    return re.sub(r"[\s\-]+", "-", text).strip("-") or "section"


def _inline_text(children, with_alt: bool = True) -> str:
    parts = []
    hidden = None  # inside an inline <script>, <video>… whose content is not text: its name
    for child in children or ():
        if child.type == "html_inline":
            if hidden is None:
                hidden = sanitize.opens_not_text(child.content)
            elif re.match(rf"</{hidden}\s*>", child.content, re.I):
                hidden = None
        elif hidden is not None:
            continue
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "image" and with_alt:
            parts.append(_inline_text(child.children))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return _join_lines("".join(parts))


def _join_lines(text: str) -> str:
    """Join wrapped lines: no space between two Chinese characters, one space otherwise."""
    if "\n" not in text:
        return text
    pieces = text.split("\n")
    out = pieces[0]
    for piece in pieces[1:]:
        if out and piece and (_CJK.match(out[-1]) or _CJK.match(piece[0])):
            out += piece
        else:
            out += " " + piece
    return out


class _Collector:
    """Per-document state shared by the core rule and the render rules through `env`."""

    def __init__(self, doc_rel: str, line_offset: int, source_lines: list[str], policy: HtmlPolicy):
        self.doc_rel = doc_rel
        self.policy = policy
        self.line_offset = line_offset
        self.source_lines = source_lines
        self.refs: list[Ref] = []
        self.images: list[int] = []
        self.headings: list[tuple[int, str, str]] = []
        self.text: list[str] = []
        self.lead: list[str] = []
        self.unlabelled: list[Unlabelled] = []
        self.too_deep = 0
        self.indented: list[int] = []
        self.has_raw_html = False
        self.removed: list[tuple[int, Removal]] = []

    def line_for(self, block_map, raw: str) -> int:
        if not block_map:
            return self.line_offset
        start, end = block_map
        for index in range(start, min(end, len(self.source_lines))):
            if raw in self.source_lines[index]:
                return self.line_offset + index
        return self.line_offset + start

    def html_images(self, html: str, block_map, inline: bool) -> None:
        """Note each <img> of a piece of raw HTML that has no alt text (or an empty one)."""
        if "<" not in html:
            return
        for match in _HTML_IMG.finditer(html):
            alt = _HTML_ALT.search(match.group())
            if alt and any(g and g.strip() for g in alt.groups()):
                continue
            if inline:  # an inline tag: find its line within the paragraph
                line = self.line_for(block_map, match.group().split("\n")[0])
            else:  # an HTML block: count lines from its start
                line = self.line_offset + (block_map[0] if block_map else 0) + html.count("\n", 0, match.start())
            self.unlabelled.append(Unlabelled(line, "", html=True))

    def raw_html(self, html: str, block_map, inline: bool) -> str:
        """A piece of raw HTML as it will be published: its images without alt text noted, what the
        sanitiser will take out noted at its line, its local addresses made refs."""
        self.has_raw_html = True
        self.html_images(html, block_map, inline)
        if inline:
            first = self.line_for(block_map, html.split("\n")[0])
        else:
            first = self.line_offset + (block_map[0] if block_map else 0)
        self.removed += [(first + removal.line - 1, removal) for removal in sanitize.audit(html, self.policy)]
        if "=" not in html:
            return html

        def local(tag: re.Match) -> str:
            name = tag.group(1).lower()

            def ref(attribute: re.Match) -> str:
                value = entities.unescape(next(g for g in attribute.groups()[2:] if g is not None))
                value = re.sub(r"[\t\n\r]", "", value).strip("\x00- ")  # as browsers read an address
                if not is_local(value):
                    return attribute.group()
                kind = _HTML_REF_KINDS.get((name, attribute.group(2).lower()), "media")
                placeholder = self.add_ref(kind, value, block_map)
                if name == "img":
                    self.images.append(len(self.refs) - 1)
                return f'{attribute.group(1)}"{placeholder}"'

            return _HTML_URL_ATTR.sub(ref, tag.group())

        # Not inside comments or scripts: an image commented out is not one the page shows.
        pieces = _HTML_INERT.split(html)
        return "".join(piece if index % 2 else _HTML_URL_TAG.sub(local, piece) for index, piece in enumerate(pieces))

    def add_ref(self, kind: str, url: str, block_map) -> str:
        raw = unquote(url)  # markdown-it percent-encodes; the author wrote the plain form
        self.refs.append(make_ref(kind, raw, self.doc_rel, self.line_for(block_map, raw)))
        return f"{REF_SCHEME}{len(self.refs) - 1}"


def _core_rule(state) -> None:
    collector: _Collector = state.env["zl"]
    tokens = state.tokens
    used_ids: dict[str, int] = {}
    in_table = in_footnote = 0
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "table_open":
            in_table += 1
        elif kind == "table_close":
            in_table -= 1
        elif kind == "footnote_block_open":
            in_footnote += 1
        elif kind == "footnote_block_close":
            in_footnote -= 1
        elif kind == "heading_open":
            text = _inline_text(tokens[index + 1].children)
            base = heading_id(text)
            count = used_ids.get(base, 0)
            used_ids[base] = count + 1
            anchor = base if count == 0 else f"{base}-{count}"
            token.attrSet("id", anchor)
            collector.headings.append((int(token.tag[1]), text, anchor))
        elif kind == "paragraph_open" and not token.hidden:
            inline = tokens[index + 1]
            visible = [c for c in inline.children or () if not (c.type == "text" and not c.content.strip())
                       and c.type != "softbreak"]
            if len(visible) == 1 and visible[0].type == "image" and visible[0].attrGet("title"):
                token.tag = tokens[index + 2].tag = "figure"
                visible[0].meta["caption"] = True
        elif kind == "inline":
            text = _inline_text(token.children)
            if text.strip():
                collector.text.append(text)
            if not in_table and not in_footnote and tokens[index - 1].type == "paragraph_open":
                prose = _inline_text(token.children, with_alt=False)
                if prose.strip():
                    collector.lead.append(prose)
            for child in token.children or ():
                if child.type == "link_open":
                    href = child.attrGet("href") or ""
                    if is_local(href):
                        child.attrSet("href", collector.add_ref("link", href, token.map))
                elif child.type == "image":
                    src = child.attrGet("src") or ""
                    if not _inline_text(child.children or []).strip():
                        raw = unquote(src)
                        collector.unlabelled.append(Unlabelled(collector.line_for(token.map, raw), raw))
                    if is_local(src):
                        child.attrSet("src", collector.add_ref("image", src, token.map))
                        collector.images.append(len(collector.refs) - 1)
                elif child.type == "html_inline":
                    child.content = collector.raw_html(child.content, token.map, inline=True)
        elif kind == "code_block" and token.map and _CJK.search(token.content):
            # Four spaces before a line make it code (CommonMark): Chinese in it is most likely a
            # paragraph pasted with its indentation. Fenced code (```) is what code is written as.
            collector.indented.append(collector.line_offset + token.map[0])
        elif kind == "html_block":
            token.content = collector.raw_html(token.content, token.map, inline=False)
            text = sanitize.html_text(token.content)
            if text:
                collector.text.append(text)


def _render_image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = escapeHtml(self.renderInlineAsText(token.children, options, env))
    src = escapeHtml(token.attrGet("src") or "")
    title = token.attrGet("title")
    if token.meta.get("caption"):
        return f'<img src="{src}" alt="{alt}"><figcaption>{escapeHtml(title)}</figcaption>'
    title_attr = f' title="{escapeHtml(title)}"' if title else ""
    return f'<img src="{src}" alt="{alt}"{title_attr}>'


def _render_softbreak(self, tokens, idx, options, env) -> str:
    before = tokens[idx - 1].content if idx > 0 else ""
    after = tokens[idx + 1].content if idx + 1 < len(tokens) else ""
    if before and after and (_CJK.match(before[-1]) or _CJK.match(after[0])):
        return ""  # a line break inside Chinese text must not become a visible space
    return "\n"


def _render_table_open(self, tokens, idx, options, env) -> str:
    return '<div class="table-wrap">' + self.renderToken(tokens, idx, options, env)


def _render_table_close(self, tokens, idx, options, env) -> str:
    return self.renderToken(tokens, idx, options, env) + "</div>"


_TABLE_WRAP = '<div class="table-wrap">'
_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>")


def _wrap_raw_tables(html: str) -> str:
    """Tables written in raw HTML scroll inside a .table-wrap too, like Markdown's, so that a wide one
    does not widen the whole page on a phone. `html` is the sanitiser's output: tags in lower case,
    every table closed, no comments."""
    pieces, depth, start, wrapping = [], 0, 0, False
    for tag in _TABLE_TAG.finditer(html):
        if tag.group(1):
            depth -= 1
            if depth == 0 and wrapping:
                pieces += [html[start:tag.end()], "</div>"]
                start = tag.end()
        else:
            if depth == 0:
                wrapping = not html.endswith(_TABLE_WRAP, 0, tag.start())  # Markdown's are wrapped already
                if wrapping:
                    pieces += [html[start:tag.start()], _TABLE_WRAP]
                    start = tag.start()
            depth += 1
    return "".join(pieces) + html[start:] if pieces else html


def _guard_nesting(md: MarkdownIt) -> None:
    """Note the first line that markdown-it would skip for nesting too deep (it drops it silently)."""
    tokenize = md.block.tokenize

    def guarded(state, start_line: int, end_line: int) -> None:
        if state.level >= MAX_NESTING:
            line = state.skipEmptyLines(start_line)
            collector: _Collector = state.env["zl"]
            if line < end_line and state.sCount[line] >= state.blkIndent and not collector.too_deep:
                collector.too_deep = collector.line_offset + line
        tokenize(state, start_line, end_line)

    md.block.tokenize = guarded  # the block rules of lists and quotes call it through md.block


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    _guard_nesting(md)
    md.core.ruler.push("zhuanlan", _core_rule)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("softbreak", _render_softbreak)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    return md


_parser: MarkdownIt | None = None


def render(body: str, doc_rel: str, body_line: int = 1, policy: HtmlPolicy = sanitize.DEFAULT) -> Rendered:
    """Render one Markdown body. `doc_rel` is the file's content-relative path (for refs); `policy`
    what becomes of raw HTML (sanitize.py)."""
    global _parser
    if _parser is None:
        _parser = _make_parser()
    collector = _Collector(doc_rel, body_line, body.split("\n"), policy)
    html = _parser.render(body, {"zl": collector})
    if collector.has_raw_html:  # Markdown alone renders to safe markup: only raw HTML needs cleaning
        html = sanitize.clean(html, policy)
        if policy.sanitize:  # published as written when the site opted out
            html = _wrap_raw_tables(html)
    return Rendered(
        html=html,
        text="\n".join(collector.text),
        lead="".join(collector.lead[:6]),
        headings=collector.headings,
        refs=collector.refs,
        images=collector.images,
        unlabelled=collector.unlabelled,
        too_deep=collector.too_deep,
        indented=collector.indented,
        removed=collector.removed,
    )


def resolve_placeholders(html: str, urls: list[str]) -> str:
    """Put the final URL of each ref into the rendered HTML. A "zlref:" an author wrote that names
    no ref of the file stays as written."""
    def url(match: re.Match) -> str:
        index = int(match.group(1))
        return urls[index] if index < len(urls) else match.group()

    return REF_PATTERN.sub(url, html)
