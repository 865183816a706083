"""What a deploy does, decided before anything is sent: which files to upload, in which order, and
which remote files to delete. Pure: local files and the target's state in, a Plan out.

The order keeps the published site whole while the upload runs: a reader who opens any page
mid-deploy finds everything it links to. New assets (images, CSS, JS, search index parts,
attachments) go first, then pages that are new, then pages that changed (which may link to the new
ones), then the entry points (home page, feeds, sitemap.xml, robots.txt, the search index's
manifest), and only then deletions, once nothing links to the deleted files any more.
"""
from __future__ import annotations

import fnmatch
import mimetypes
import posixpath
import re
from dataclasses import dataclass, field

from .local import LocalFile

TIER_NAMES = ("资源文件（图片、样式、脚本、搜索索引、附件）", "新页面", "改动的页面", "首页、订阅、网站地图和搜索索引清单")
ENTRY_FILES = frozenset({"index.html", "robots.txt", "sitemap.xml", "search/meta.json"})

# Files named by their content hash (images/x-960.3ac550ff6c.webp) never change: cached for a year.
FINGERPRINTED = re.compile(r"\.[0-9a-f]{10}\.[A-Za-z0-9]+$")
CACHE_LONG = "public, max-age=31536000, immutable"
CACHE_SHORT = "public, max-age=300"  # pages, feeds, search index, scripts and styles: seen soon after a deploy
CACHE_MEDIUM = "public, max-age=3600"  # attachments and other files that keep their name when they change
SHORT_SUFFIXES = (".html", ".xml", ".txt", ".json", ".css", ".js")

TEXT_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".mjs": "text/javascript", ".xml": "application/xml", ".json": "application/json", ".txt": "text/plain",
    ".csv": "text/csv", ".svg": "image/svg+xml", ".md": "text/markdown",
}
BINARY_TYPES = {
    ".webp": "image/webp", ".avif": "image/avif", ".woff2": "font/woff2", ".woff": "font/woff",
    ".ico": "image/x-icon", ".bin": "application/octet-stream", ".wasm": "application/wasm",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".ofd": "application/ofd", ".wps": "application/vnd.ms-works",
}
_GUESS = mimetypes.MimeTypes()  # Python's own table, not the machine's /etc/mime.types: the same everywhere


@dataclass(frozen=True)
class Upload:
    rel: str
    size: int
    md5: str
    new: bool  # not on the target yet


@dataclass
class Plan:
    tiers: list[list[Upload]]  # in order; each tier is finished before the next one starts
    deletions: list[str]
    unchanged: int
    kept: list[str] = field(default_factory=list)  # remote files not ours to delete (保留: patterns)

    @property
    def uploads(self) -> list[Upload]:
        return [upload for tier in self.tiers for upload in tier]

    @property
    def upload_bytes(self) -> int:
        return sum(upload.size for upload in self.uploads)


def make_plan(local: dict[str, LocalFile], remote: dict[str, str], force: bool = False,
              keep: tuple[str, ...] = ()) -> Plan:
    """`remote`: rel → MD5 of what the target holds ("" when unknown, so uploaded again).
    `force` uploads every file; deletions are the same either way."""
    tiers: list[list[Upload]] = [[] for _ in TIER_NAMES]
    unchanged = 0
    for rel in sorted(local):
        item = local[rel]
        held = remote.get(rel)
        if not force and held and held == item.md5:
            unchanged += 1
            continue
        tiers[tier(rel, new=held is None)].append(Upload(rel, item.size, item.md5, new=held is None))
    gone = sorted(rel for rel in remote if rel not in local)
    kept = [rel for rel in gone if kept_by(rel, keep)]
    deletions = sorted((rel for rel in gone if not kept_by(rel, keep)), key=_deletion_order)
    return Plan(tiers, deletions, unchanged, kept)


def tier(rel: str, new: bool) -> int:
    """0 assets, 1 new pages, 2 changed pages, 3 entry points."""
    if rel in ENTRY_FILES or rel.endswith(".xml"):  # every feed (site and column) and the sitemap
        return 3
    if rel.endswith(".html"):
        return 1 if new else 2
    return 0


def _deletion_order(rel: str) -> tuple[int, str]:
    return (0 if rel.endswith(".html") else 1, rel)  # pages first, then what they used


def kept_by(rel: str, patterns: tuple[str, ...]) -> bool:
    """A pattern ending in / keeps a folder; others are shell-style patterns on the whole path."""
    return any(rel.startswith(p) if p.endswith("/") else fnmatch.fnmatchcase(rel, p) for p in patterns)


def content_type(rel: str) -> str:
    suffix = posixpath.splitext(rel)[1].lower()
    if suffix in TEXT_TYPES:
        kind = TEXT_TYPES[suffix]
        return kind if kind == "image/svg+xml" else kind + "; charset=utf-8"
    return BINARY_TYPES.get(suffix) or _GUESS.guess_type("x" + suffix)[0] or "application/octet-stream"


def cache_control(rel: str) -> str:
    if FINGERPRINTED.search(rel):
        return CACHE_LONG
    if rel.endswith(SHORT_SUFFIXES) or rel.startswith("search/"):
        return CACHE_SHORT
    return CACHE_MEDIUM
