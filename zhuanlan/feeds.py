"""Machine-read files: Atom feeds (site and per column), sitemap.xml and robots.txt."""
from __future__ import annotations

import re

from . import urls
from .content import Story
from .dates import aware, format_day
from .render import body_html
from .site import Site

# What XML 1.0 cannot hold at all. Content files lose their control characters when read (with a
# warning); this is the last guard, for what entities in raw HTML may still decode to.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """Text as XML character data (what xml.sax.saxutils.escape makes of it: that module imports
    urllib.request, and with it ssl and http.client, 50 ms of every rebuild)."""
    return _NOT_XML.sub("", text).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(text: str) -> str:
    """An XML attribute value with its quotes (as xml.sax.saxutils.quoteattr makes it)."""
    data = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in data:
        return f'"{data}"'
    return "'" + data + "'" if "'" not in data else '"' + data.replace('"', "&quot;") + '"'


def _iso(value) -> str:
    return aware(value).isoformat()


def atom(site: Site, stories: list[Story], feed_url: str, title: str, page_url: str) -> str:
    config, linker = site.config, site.linker
    latest = stories[: config.feed_limit]
    updated = _iso(max(s.date for s in latest)) if latest else "1970-01-01T00:00:00+08:00"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN" xml:base={quoteattr(config.base_url)}>',
        f"<title>{escape(title)}</title>",
        f'<link href={quoteattr(linker.absolute(feed_url))} rel="self"/>',
        f'<link href={quoteattr(linker.absolute(page_url))}/>',
        f"<id>{escape(linker.absolute(feed_url))}</id>",
        f"<updated>{updated}</updated>",
        f"<author><name>{escape(config.footer.host or config.title)}</name></author>",
    ]
    for story in latest:
        link = linker.absolute(story.url)
        parts += [
            "<entry>",
            f"<title>{escape(story.title)}</title>",
            f"<link href={quoteattr(link)}/>",
            f"<id>{escape(link)}</id>",
            f"<published>{_iso(story.date)}</published>",
            f"<updated>{_iso(story.date)}</updated>",
        ]
        if story.author:
            parts.append(f"<author><name>{escape(story.author)}</name></author>")
        parts += [
            f"<summary>{escape(story.summary)}</summary>",
            f'<content type="html">{escape(str(body_html(story)))}</content>',
            "</entry>",
        ]
    parts.append("</feed>")
    return "\n".join(parts) + "\n"


def _column_newest(site: Site, column_id: str) -> list[Story]:
    return sorted(site.column_stories[column_id], key=lambda s: s.date, reverse=True)


def entries_needed(site: Site) -> list[Story]:
    """The stories whose full text the feeds carry (their bodies must be loaded)."""
    limit = site.config.feed_limit
    needed = {id(s): s for s in site.stories[:limit]}
    for column_id in site.columns:
        needed.update((id(s), s) for s in _column_newest(site, column_id)[:limit])
    return list(needed.values())


def feeds(site: Site) -> dict[str, str]:
    """Site-relative path → Atom document, for the whole site and each column."""
    result = {urls.FIXED["feed"]: atom(site, site.stories, urls.FIXED["feed"], site.config.title, "")}
    for column in site.columns.values():
        newest = _column_newest(site, column.id)
        title = f"{column.title} - {site.config.title}"
        result[urls.column_feed(column.id)] = atom(site, newest, urls.column_feed(column.id), title, column.url)
    return result


def sitemap_xml(site: Site, page_urls: list[str]) -> str:
    """Every HTML page; stories carry their date as lastmod."""
    linker = site.linker
    dated = {story.url: story.date for story in site.stories}
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url in page_urls:
        if url == urls.FIXED["not_found"]:
            continue
        lastmod = f"<lastmod>{format_day(dated[url])}</lastmod>" if url in dated else ""
        lines.append(f"<url><loc>{escape(linker.absolute(url))}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots_txt(site: Site) -> str:
    sitemap = site.linker.absolute(urls.FIXED["sitemap_xml"])
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap}\n"
