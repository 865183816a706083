"""Raw HTML in content, made safe to publish: no script of an author runs for readers.

Several officers often write one site, and government sites are audited for stored XSS. So the
HTML a Markdown body carries goes through nh3 (Python's binding of ammonia, the Rust sanitiser
built on the browsers' own HTML parsing rules) with an allowlist of what officers legitimately
paste: text formatting, tables, images, <video> and <audio>, spans with the styles in
STYLE_PROPERTIES, and <iframe> only from the hosts the site lists (html.iframe_hosts). What the
allowlist drops is reported by `audit` at its line (the build warns; `check` lists it).

The whole rendered body is cleaned once, when it has raw HTML at all: Markdown alone renders to
safe markup (markdown-it escapes text and refuses javascript: links), so a body without raw HTML
is published byte for byte as before. Our own markup (heading ids, figures, footnotes, tables,
the zlref: placeholders of markdown.py) is on the allowlist. A site may opt out
(html.sanitize: false) and publish raw HTML as written; docs/写作指南.md says what that risks.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from .problems import NOTICE, WARNING

UNSAFE_HTML = "unsafe-html"  # rule id: something that could run or load code was removed (a warning)
HTML_REMOVED = "html-removed"  # rule id: formatting the allowlist does not keep was removed (a notice)

# Tags kept, with what is inside them. Anything else is dropped and its text kept, except the tags
# of REMOVED_WHOLE, whose content goes too.
TAGS = frozenset("""
    a abbr b bdi bdo blockquote br caption cite code col colgroup data dd del details dfn div dl dt em
    figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q rp rt ruby s samp section small
    span strong sub summary sup table tbody td tfoot th thead time tr u ul var wbr
    video audio source track
""".split())
REMOVED_WHOLE = frozenset("script style template noscript textarea select title xmp noembed noframes".split())
# Dropped tags that could run or load something: their removal is a warning, not a notice.
ACTIVE = frozenset("""
    script style iframe frame frameset object embed applet svg math form input button textarea select
    base meta link template noscript portal
""".split())
# Elements whose content is never readable text (summaries, search and the description skip it):
# raw text to their end tag (or the end), and containers of fallback messages or drawings.
RAW_TEXT = REMOVED_WHOLE | {"iframe"}
NOT_TEXT = RAW_TEXT | frozenset("object video audio svg math".split())

GENERIC_ATTRIBUTES = frozenset({"class", "id", "title", "lang", "dir", "style"})
_ALIGN = {"align"}
_CELL = {"align", "valign", "colspan", "rowspan", "headers", "width", "height"}
ATTRIBUTES = {
    "a": {"href", "name", "rel"},
    "img": {"src", "alt", "width", "height", "align"},
    "video": {"src", "poster", "controls", "width", "height", "preload", "loop", "muted", "playsinline", "autoplay"},
    "audio": {"src", "controls", "preload", "loop", "muted", "autoplay"},
    "source": {"src", "type", "media"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "iframe": {"src", "width", "height", "allowfullscreen", "frameborder", "scrolling", "allow", "loading",
               "referrerpolicy"},
    "table": {"align", "border", "cellpadding", "cellspacing", "width", "summary"},
    "td": _CELL, "th": _CELL | {"scope", "abbr"},
    "tr": {"align", "valign"}, "thead": {"align", "valign"}, "tbody": {"align", "valign"}, "tfoot": {"align", "valign"},
    "col": {"span", "width", "align"}, "colgroup": {"span", "width", "align"},
    "ol": {"start", "type", "reversed"}, "ul": {"type"}, "li": {"value"},
    "p": _ALIGN, "div": _ALIGN, "h1": _ALIGN, "h2": _ALIGN, "h3": _ALIGN, "h4": _ALIGN, "h5": _ALIGN, "h6": _ALIGN,
    "time": {"datetime"}, "del": {"datetime", "cite"}, "ins": {"datetime", "cite"}, "blockquote": {"cite"},
    "q": {"cite"}, "data": {"value"}, "details": {"open"},
}
TAG_ATTRIBUTE_VALUES = {"a": {"target": {"_blank"}}}
URL_ATTRIBUTES = frozenset({"href", "src", "poster", "cite"})
# zlref: is markdown.py's placeholder for a local link or image, resolved after cleaning.
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "zlref", "data"})
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);", re.I)
# Styles a span (or any tag) may keep: colour and emphasis. Sizes, fonts and spacing are the
# theme's, so that the reader's 字号 (font size) setting and high contrast still work.
STYLE_PROPERTIES = frozenset("""
    color background-color font-weight font-style text-decoration text-decoration-line text-align text-indent
    vertical-align
""".split())
STYLE_NAMES = "颜色、背景色、粗体、斜体、下划线、对齐和首行缩进"

# Characters XML and HTML cannot carry, which entities in raw HTML (&#11;) decode to.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_EMPTY_IFRAME = re.compile(r"<iframe\b(?![^>]*\ssrc=)[^>]*>.*?</iframe>", re.S)


@dataclass(frozen=True)
class HtmlPolicy:
    """What raw HTML a site publishes: cleaned (the default) or as written; which hosts may be framed."""

    sanitize: bool = True
    iframe_hosts: tuple[str, ...] = ()  # "v.example.gov.cn"; a listed host allows its subdomains too

    @property
    def key(self) -> str:
        """For the parse cache: parsed bodies depend on the policy."""
        return f"{int(self.sanitize)}:{','.join(sorted(self.iframe_hosts))}"

    def frames(self, url: str) -> bool:
        """Whether an <iframe src> may show `url`: http(s) (or //) from a listed host."""
        url = url.strip()
        parts = urlsplit("https:" + url if url.startswith("//") else url)
        host = (parts.hostname or "").lower() if parts.scheme.lower() in ("http", "https") else ""
        return bool(host) and any(host == allowed or host.endswith("." + allowed) for allowed in self.iframe_hosts)


DEFAULT = HtmlPolicy()


def normal_host(value: str) -> str:
    """A host as site.yaml may list it: "https://v.example.gov.cn/" → "v.example.gov.cn"."""
    text = value.strip().lower()
    if "//" in text:
        text = urlsplit(text if "://" in text else "http:" + text).hostname or ""
    return text.strip("./").split("/")[0]


# -- cleaning ------------------------------------------------------------------------------------

def _keeps_url(policy: HtmlPolicy, tag: str, name: str, value: str) -> bool:
    if tag == "iframe" and name == "src":
        return policy.frames(value)
    if value.strip().lower().startswith("data:"):
        return tag == "img" and name == "src" and bool(_DATA_IMAGE.match(value.strip()))
    return True


@functools.lru_cache(maxsize=8)
def _cleaner(policy: HtmlPolicy, screen: bool):
    """nh3's cleaner for `policy`. `screen`: look at each address (iframe hosts, data: images)
    through a Python callback; without it, data: addresses are refused and no iframe is kept."""
    import nh3  # loaded when a body has raw HTML, not for every build

    tags = set(TAGS) | ({"iframe"} if screen and policy.iframe_hosts else set())
    attributes = {tag: set(names) for tag, names in ATTRIBUTES.items() if tag in tags}
    attributes["*"] = set(GENERIC_ATTRIBUTES)

    def keep(tag: str, name: str, value: str) -> str | None:
        if name in URL_ATTRIBUTES and not _keeps_url(policy, tag, name, value):
            return None
        return value

    # An <iframe>'s content is raw text (a fallback message): it goes with a refused iframe.
    return nh3.Cleaner(tags=tags, clean_content_tags=(set(REMOVED_WHOLE) | {"iframe"}) - tags, attributes=attributes,
                       tag_attribute_values=TAG_ATTRIBUTE_VALUES, attribute_filter=keep if screen else None,
                       url_schemes=set(URL_SCHEMES) - ({"data"} if not screen else set()),
                       filter_style_properties=set(STYLE_PROPERTIES), link_rel=None, strip_comments=True)


def clean(html: str, policy: HtmlPolicy = DEFAULT) -> str:
    """`html` with everything off the allowlist removed (as written when the site opted out)."""
    if not policy.sanitize:
        return html
    screen = bool(policy.iframe_hosts) or "data:" in html.lower()  # else the callback has nothing to do
    cleaned = _cleaner(policy, screen).clean(html)
    if "<iframe" in cleaned:
        cleaned = _EMPTY_IFRAME.sub("", cleaned)  # an iframe whose address was refused shows nothing
    return _CONTROL.sub("", cleaned)


# -- what cleaning removes, said where it is written ------------------------------------------------

@dataclass(frozen=True)
class Removal:
    line: int  # 1-based, within the piece of HTML audited
    level: str  # WARNING or NOTICE
    rule: str
    message: str


class _Audit(HTMLParser):
    """Reads a piece of raw HTML as written and notes each tag, attribute and style the allowlist drops."""

    def __init__(self, policy: HtmlPolicy):
        super().__init__(convert_charrefs=True)
        self.policy = policy
        self.found: list[Removal] = []

    def note(self, level: str, message: str) -> None:
        rule = UNSAFE_HTML if level == WARNING else HTML_REMOVED
        removal = Removal(self.getpos()[0], level, rule, message)
        if removal not in self.found:
            self.found.append(removal)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kept = TAGS | ({"iframe"} if self.policy.iframe_hosts else set())
        if tag == "iframe":
            src = dict(attrs).get("src") or ""
            if not self.policy.frames(src):
                host = urlsplit(src.strip()).hostname if "//" in src else ""
                self.note(WARNING, f"删除了来自 {host} 的 <iframe>（嵌入的网页）：只有 site.yaml 的 html.iframe_hosts"
                                   f"（允许嵌入的网站）中列出的网站可以嵌入，例如 html: {{iframe_hosts: [{host}]}}"
                          if host else "删除了 <iframe>（嵌入的网页）：它没有 http(s) 网址")
                return
        elif tag not in kept:
            if tag in REMOVED_WHOLE:
                self.note(WARNING, f"删除了 <{tag}> 及其中的内容：正文中不能有脚本或样式表")
            elif tag in ACTIVE:
                self.note(WARNING, f"删除了 <{tag}>：正文中不能有脚本、表单或嵌入的对象")
            else:
                self.note(NOTICE, f"删除了 <{tag}> 标签（其中的文字保留）：正文不支持这种标签")
            return
        dropped = []
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.note(WARNING, f"删除了 <{tag}> 的 {name} 属性：正文中不能运行脚本")
            elif name in URL_ATTRIBUTES and (name in ATTRIBUTES.get(tag, ()) or name in GENERIC_ATTRIBUTES):
                scheme = urlsplit(value.strip()).scheme.lower() if ":" in value else ""
                refused = (scheme and scheme not in URL_SCHEMES) or not _keeps_url(self.policy, tag, name, value)
                if refused and tag != "iframe":  # an iframe's address was judged above
                    shown = value.strip()[:30] + ("…" if len(value.strip()) > 30 else "")
                    self.note(WARNING, f"删除了 <{tag}> 的 {name}=\"{shown}\"：只能链接到网页（http、https）、"
                                       f"邮箱或电话，不能是脚本或内嵌数据")
            elif name == "style":
                declarations = [d.split(":", 1)[0].strip().lower() for d in value.split(";") if ":" in d]
                removed = [d for d in declarations if d not in STYLE_PROPERTIES]
                if removed:
                    self.note(NOTICE, f"删除了 <{tag}> 不支持的样式 {'、'.join(dict.fromkeys(removed))}"
                                      f"：正文只保留{STYLE_NAMES}，字号、字体和间距由主题决定")
            elif name in TAG_ATTRIBUTE_VALUES.get(tag, {}):
                if value not in TAG_ATTRIBUTE_VALUES[tag][name]:
                    dropped.append(f"{name}=\"{value}\"")
            elif name not in GENERIC_ATTRIBUTES and name not in ATTRIBUTES.get(tag, ()):
                dropped.append(name)
        if dropped:
            self.note(NOTICE, f"删除了 <{tag}> 的属性 {'、'.join(dropped)}：正文不支持这些属性")

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        pass  # comments are removed too, and nobody needs telling: they were never meant to be seen


def audit(html: str, policy: HtmlPolicy = DEFAULT) -> list[Removal]:
    """What `clean` removes from this piece of HTML, each at its line (1 = the piece's first line)."""
    if not policy.sanitize or "<" not in html:
        return []
    reader = _Audit(policy)
    reader.feed(html)
    reader.close()
    return reader.found


# -- readable text ----------------------------------------------------------------------------------

_RAW_TEXT_ELEMENT = re.compile(rf"<({'|'.join(sorted(RAW_TEXT))})\b.*?(?:</\1\s*>|\Z)", re.S | re.I)
_CONTAINER = re.compile(rf"<({'|'.join(sorted(NOT_TEXT - RAW_TEXT))})\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_OPENS_NOT_TEXT = re.compile(rf"<({'|'.join(sorted(NOT_TEXT))})\b", re.I)


def html_text(html: str) -> str:
    """The readable text of a piece of raw HTML: tags gone, and what scripts, styles, frames and
    players hold (code, fallback messages) gone with them."""
    import html as entities

    return entities.unescape(_TAG.sub(" ", _CONTAINER.sub(" ", _RAW_TEXT_ELEMENT.sub(" ", html)))).strip()


def opens_not_text(tag_html: str) -> str | None:
    """The element name when an inline tag opens one whose content is not text (<script>), else None."""
    match = _OPENS_NOT_TEXT.match(tag_html)
    return match.group(1).lower() if match else None
