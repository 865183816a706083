"""The 展评 deck: a brand's showcase as slides, in one self-contained HTML file at
/brands/<id>/slides/ that an officer copies to a USB stick and opens from file:// on the venue's
computer, without a network. Styles, script, pictures (as data: URIs) and the QR code of the brand
page are all inside it (templates deck.html, deck/deck.css, deck/deck.js).

`slides()` makes the plain data the template shows: one dict per slide, in order. A section
appears only when it has data; a long list is spread over several slides, so that type stays
large enough to read from the back of a hall. Pictures are the images stage's derivatives, the
smallest that fills its place on a 1920-pixel-wide screen, as JPEG or PNG (which every browser
draws: Pictures.fitting); `data_uri` inlines one at render time.
"""
from __future__ import annotations

import base64
import math
from functools import lru_cache

from .images import Pictures, Variant

STORIES = 4  # the brand's first stories as its page lists them, one a slide
PER_SLIDE = {"values": 4, "brands": 6, "results": 6, "honours": 6, "milestones": 7, "venues": 3}
COVER_WIDTH = 960  # a story's cover takes half of a 1920-pixel-wide slide
LOGO_WIDTH = 480  # the logo at its largest (标识释义) is a quarter of it
SUB_LOGO_WIDTH = 160  # a sub-brand's logo on the 品牌矩阵 slide


def chunks(items: list, most: int) -> list[list]:
    """`items` in order, in as few slides as `most` a slide allows, as evenly as they go (7 → 4 + 3)."""
    if not items:
        return []
    count = math.ceil(len(items) / most)
    size, extra = divmod(len(items), count)
    parts, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        parts.append(items[start:end])
        start = end
    return parts


def slides(brand, stories: list, pictures: Pictures, children: list | None = None) -> list[dict]:
    """The deck's slides: cover, 标识释义, 内涵, 品牌矩阵 (the sub-brands, `children` as (brand,
    story count)), each 工作法, 阵地, 成效, 荣誉, 大事记, stories, closing."""
    show = brand.showcase
    logo = pictures.fitting(brand, brand.logo, LOGO_WIDTH)
    out: list[dict] = [{"kind": "cover", "logo": logo}]
    if show.logo_note:
        out.append({"kind": "logo", "title": "标识释义", "logo": logo,
                    "paragraphs": [line.strip() for line in show.logo_note.splitlines() if line.strip()]})
    out += _listed("values", "品牌内涵", show.values)
    out += _listed("brands", "品牌矩阵", [
        {"brand": child, "count": count, "logo": pictures.fitting(child, child.logo, SUB_LOGO_WIDTH)}
        for child, count in children or []])
    for method in show.methods:
        across = 0 < len(method.steps) <= 6 and not any(step.note for step in method.steps)
        out.append({"kind": "method", "title": method.name, "kicker": "工作法", "method": method, "across": across})
    out += _listed("venues", "服务阵地", show.venues)
    out += _listed("results", "工作成效", show.results)
    out += _listed("honours", "所获荣誉", show.honours)
    out += _listed("milestones", "大事记", show.milestones)
    for story in stories[:STORIES]:
        index = story.cover if story.cover is not None else story.first_image
        out.append({"kind": "story", "title": story.title, "kicker": "品牌案例", "story": story,
                    "cover": pictures.fitting(story, index, COVER_WIDTH)})
    out.append({"kind": "end"})
    return out


def _listed(kind: str, title: str, items: list) -> list[dict]:
    parts = chunks(items, PER_SLIDE[kind])
    return [{"kind": kind, "title": title if number == 0 else f"{title}（续）", "items": part}
            for number, part in enumerate(parts)]


def data_uri(variant: Variant | None) -> str:
    """The file as a data: URI, for a page that must carry its pictures inside it."""
    if variant is None:
        return ""
    info = variant.source.stat()
    return _encoded(str(variant.source), variant.mime, info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=32)
def _encoded(path: str, mime: str, size: int, mtime: int) -> str:
    with open(path, "rb") as handle:
        return f"data:{mime};base64,{base64.b64encode(handle.read()).decode('ascii')}"
