"""Reading generated pages in tests: links, resources, meta tags and ids, via html.parser."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class PageInfo(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []  # <a href>
        self.resources: list[str] = []  # everything the browser loads: img/script/link/source/iframe
        self.meta: dict[str, str] = {}
        self.ids: set[str] = set()
        self.title = ""
        self._in_title = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script", "source", "iframe", "audio", "video") and attrs.get("src"):
            self.resources.append(attrs["src"])
        if tag == "link" and attrs.get("href") and attrs.get("rel") in ("stylesheet", "icon", "preload", "manifest"):
            self.resources.append(attrs["href"])
        if tag == "meta":
            key = attrs.get("name") or attrs.get("property")
            if key:
                self.meta[key] = attrs.get("content", "")
        if tag == "title":
            self._in_title = True

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False


def read_page(output: Path, url_path: str) -> PageInfo:
    return PageInfo(target_file(output, url_path).read_text("utf-8"))


def target_file(output: Path, url_path: str, base_path: str = "/dangjian/") -> Path:
    """The output file a site link such as /dangjian/stories/x/ points at."""
    path = unquote(urlsplit(url_path).path)
    if path.startswith(base_path):
        path = path[len(base_path):]
    path = path.lstrip("/")
    if path == "" or path.endswith("/"):
        path += "index.html"
    return output / path
