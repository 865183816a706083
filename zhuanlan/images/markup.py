"""<picture> markup for the renderer: WebP and fallback srcsets, sizes, width and height, and
lazy loading for every image of a page but the first.

One `Pictures` serves a renderer; `start_page()` is called before each page, since "first image"
is a property of the page being rendered (header, body and list cards alike).
"""
from __future__ import annotations

import re

from markupsafe import Markup, escape

from ..content import Entry
from .types import Gallery, ImageInfo, Variant

# Markdown images as markdown.py renders them, before their placeholders are resolved.
_BODY_IMG = re.compile(r'<img src="zlref:(\d+)" alt="([^"]*)"(?: title="([^"]*)")?>')
# The text column: .wrap is at most 960px with 16px padding on each side.
BODY_SIZES = "(min-width: 960px) 928px, calc(100vw - 32px)"


class Pictures:
    def __init__(self, gallery: Gallery | None):
        self.gallery = gallery
        self._first_taken = False

    def start_page(self) -> None:
        self._first_taken = False

    @property
    def first_taken(self) -> bool:
        """Whether this page already has its first (eager) image: what a page's next picture depends on."""
        return self._first_taken

    @first_taken.setter
    def first_taken(self, taken: bool) -> None:
        self._first_taken = taken

    # -- lookups ---------------------------------------------------------------------------------

    def info(self, source: Entry | str | None, index: int | None = None) -> ImageInfo | None:
        """The image an entry's ref names, or a content-relative path (site.yaml's logo)."""
        if self.gallery is None or source is None:
            return None
        if isinstance(source, str):
            return self.gallery.images.get(source.lstrip("/"))
        if index is None or index >= len(source.refs) or source.refs[index].is_url:
            return None
        return self.gallery.images.get(source.refs[index].target or "")

    def share(self, entry: Entry | None = None, index: int | None = None) -> Variant | None:
        """The share image (og:image, WeChat) for a ref, else the site's default one."""
        info = self.info(entry, index)
        if info is not None and info.share is not None:
            return info.share
        return self.gallery.default_share if self.gallery else None

    def fitting(self, source: Entry | str | None, index: int | None, width: int) -> Variant | None:
        """One file for a place `width` pixels wide that every browser draws (a canvas, a page
        that carries its pictures inside): SVG and GIF as they came, else the smallest JPEG or PNG
        at least that wide, or the largest there is."""
        info = self.info(source, index)
        if info is None:
            return None
        if info.copy is not None:
            return info.copy
        fallbacks = [v for v in info.fit if v.mime != "image/webp"] or [v for v in (info.share, info.full) if v]
        wide = [v for v in fallbacks if v.width >= width]
        if wide:
            return min(wide, key=lambda v: v.width)
        return max(fallbacks, key=lambda v: v.width) if fallbacks else None

    # -- markup ----------------------------------------------------------------------------------

    def picture(self, source: Entry | str | None, index: int | None = None, *, cls: str = "", alt: str = "",
                sizes: str = BODY_SIZES, crop: bool = False, eager: bool | None = None, title: str = "") -> Markup:
        """<picture> for an image ref (or a content path); "" when there is none.

        crop: use the list-card crop. eager: None = only if it is the page's first image;
        True = always (the header logo, which is always on screen); False = never.
        """
        info = self.info(source, index)
        if info is None:
            url = source.ref_url(index) if isinstance(source, Entry) else ""
            if not url:
                return Markup("")
            return Markup(f'<img src="{escape(url)}"{_attr("alt", alt, always=True)}{_attr("class", cls)}'
                          f'{self._loading(eager)}>')
        return self._html(info, cls=cls, alt=alt, sizes=sizes, crop=crop, eager=eager, title=title)

    def body(self, entry: Entry, html: str) -> str:
        """Swap a Markdown body's <img> placeholders for <picture> markup (captions stay put)."""

        def swap(match: re.Match) -> str:
            index = int(match[1])
            info = self.info(entry, index)
            if info is None or entry.refs[index].kind != "image":
                return match[0]
            title = Markup(match[3]) if match[3] else ""
            return self._html(info, alt=Markup(match[2]), title=title, sizes=BODY_SIZES)

        return _BODY_IMG.sub(swap, html)

    def _loading(self, eager: bool | None) -> str:
        if eager is None:
            eager = not self._first_taken
            self._first_taken = True
        return "" if eager else ' loading="lazy" decoding="async"'

    def _html(self, info: ImageInfo, *, cls: str = "", alt: str = "", sizes: str = BODY_SIZES, crop: bool = False,
              eager: bool | None = None, title: str = "") -> Markup:
        extra = f'{_attr("alt", alt, always=True)}{_attr("title", title)}{_attr("class", cls)}{self._loading(eager)}'
        if info.copy is not None:  # SVG or GIF, as it came
            size = f' width="{info.width}" height="{info.height}"' if info.width and info.height else ""
            return Markup(f'<img src="{escape(info.copy.url)}"{size}{extra}>')
        variants = (info.crop if crop else info.fit) or info.fit or info.crop
        webp = [v for v in variants if v.mime == "image/webp"]
        fallback = [v for v in variants if v.mime != "image/webp"]
        if not fallback:
            single = info.share or info.full
            if single is None:
                return Markup("")
            fallback = [single]
        largest = fallback[-1]
        mid = [v for v in fallback if v.width <= 960]
        src = mid[-1] if mid else fallback[0]
        size = f' width="{largest.width}" height="{largest.height}"'
        sizes_attr = f' sizes="{escape(sizes)}"'
        img = (f'<img src="{escape(src.url)}" srcset="{_srcset(fallback)}"{sizes_attr}{size}{extra}>')
        if not webp:
            return Markup(img)
        return Markup(f'<picture><source type="image/webp" srcset="{_srcset(webp)}"{sizes_attr}>{img}</picture>')


def _srcset(variants: list[Variant]) -> str:
    return ", ".join(f"{escape(v.url)} {v.width}w" for v in variants)


def _attr(name: str, value, always: bool = False) -> str:
    if not value and not always:
        return ""
    return f' {name}="{escape(value or "")}"'
