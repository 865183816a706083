"""The URL contract: every page's site-relative URL, and how it becomes a link or a canonical URL."""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")


def is_external(url: str) -> bool:
    """An address with a scheme (https:, mailto:) or a protocol-relative one (//host/): not the site's."""
    return url.startswith("//") or (":" in url and bool(_SCHEME.match(url)))


def story(slug: str) -> str:
    return f"stories/{slug}/"


def brand(brand_id: str) -> str:
    return f"brands/{brand_id}/"


def deck(brand_id: str) -> str:
    """The brand's 展评 deck: slides in one self-contained file."""
    return f"brands/{brand_id}/slides/"


def column(column_id: str, page: int = 1) -> str:
    return f"columns/{column_id}/" if page <= 1 else f"columns/{column_id}/page/{page}/"


def column_feed(column_id: str) -> str:
    return f"columns/{column_id}/feed.xml"


def tag(slug: str) -> str:
    return f"tags/{slug}/"


def year(value: int) -> str:
    return f"archive/{value}/"


def page(slug: str) -> str:
    return f"{slug}/"


def asset(rel: str) -> str:
    return quote(rel)


FIXED = {
    "home": "",
    "archive": "archive/",
    "search": "search/",
    "sitemap": "sitemap/",
    "tags": "tags/",
    "feed": "feed.xml",
    "sitemap_xml": "sitemap.xml",
    "robots": "robots.txt",
    "not_found": "404.html",
}


class Linker:
    """Turns site-relative URLs into links under the site's base path, or absolute URLs."""

    def __init__(self, base_url: str, base_path: str):
        self.base_url = base_url
        self.base_path = base_path

    def path(self, rel: str) -> str:
        """The link to a site-relative URL; an outside address (a menu item's) as written."""
        if (":" in rel or rel.startswith("//")) and is_external(rel):
            return rel
        return self.base_path + rel

    def absolute(self, rel: str) -> str:
        return self.base_url + rel

    def absolute_from_path(self, path: str) -> str:
        """An absolute URL for a root-relative path such as '/dangjian/images/a.jpg'."""
        if not path.startswith("/"):
            return path  # already absolute (or empty)
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}{path}"


def output_file(rel: str) -> str:
    """Where a site-relative URL is written: pretty URLs end in '/' and become index.html."""
    if rel == "" or rel.endswith("/"):
        return rel + "index.html"
    return rel
