"""Brand posters (海报) for WeChat: a PNG per brand, drawn with Pillow at build time, with the site's
name, the brand's logo, name, 口号 and 成效 figures, and a QR code of the brand page's absolute
URL, for readers to long-press, save and forward. (A story's poster is drawn in the reader's
browser instead: static/js/poster.js.)

    posters = poster.plan(site, gallery, problems)   # what each poster shows, its key and URL
    posters.url(brand.id)                            # for the brand page's 保存海报 link ("" if none)
    posters.draw_missing(problems)                   # draw what the cache lacks
    posters.output_files()                           # output path -> cached PNG

The font comes from fonts.py; without one there are no posters (and no links to them). An SVG
logo is rasterised with resvg (the resvg-py wheel: no system library), after every reference to
another file is taken out of it, so nothing outside the SVG is read. Posters are cached like image
derivatives: in .cache/posters/, named by a hash of everything the drawing is made from (the text,
the logo's content-hashed name, the font files, DRAW_VERSION), and published under brands/<id>/
with that hash in the name. All of the Pillow drawing is in this module.
"""
from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np

from . import cachepaths, colors, qr, urls
from .fonts import FontFile, find_font
from .images import Gallery, Pictures, svg_size
from .problems import Problems
from .stamps import digest, installed_version
from .workers import fork_pool

if TYPE_CHECKING:  # Pillow is imported where a poster is drawn: most builds draw none (15 ms)
    from PIL import Image, ImageDraw

DRAW_VERSION = "1"  # bump when the same inputs would be drawn differently
WIDTH = 1080  # a phone shows it full width at 3x; WeChat asks for at least 750
MARGIN = 72
PAPER, INK, SOFT, WHITE = (255, 253, 249), (31, 31, 31), (77, 77, 77), (255, 255, 255)
DEFAULT_COLOR = "#b3121b"  # the theme's red, for a brand without a colour
MAX_FIGURES = 6
LOGO_SIZE = 240
QR_SIZE = 300
RESVG = installed_version("resvg_py", "resvg-py") or ""  # not installed: SVG logos are left off (see _logo)


@dataclass(frozen=True)
class PosterText:
    """Everything a poster shows; with the font and DRAW_VERSION, its cache key."""

    site: str
    name: str
    slogan: str
    owner: str
    figures: tuple[tuple[str, str, str], ...]  # (number, unit, label)
    color: str
    url: str  # what the QR code says
    logo: str  # the logo file's content-hashed output name ("" without a logo)


@dataclass
class Poster:
    brand_id: str
    text: PosterText
    key: str
    rel: str  # output path
    url: str  # link under the base path
    logo_path: Path | None = None
    logo_kind: str = ""  # "svg" or "raster"
    where: tuple[str, int] = ("", 0)  # the brand file and line that names the logo, for messages


@dataclass
class Posters:
    font: FontFile | None
    cache_dir: Path
    items: dict[str, Poster] = field(default_factory=dict)
    drawn: int = 0  # posters drawn by this build (the rest came from the cache)

    def url(self, brand_id: str) -> str:
        poster = self.items.get(brand_id)
        return poster.url if poster else ""

    def cached(self, poster: Poster) -> Path:
        return self.cache_dir / f"{poster.key}.png"

    def draw_missing(self, problems: Problems, force: bool = False, workers: int = 1) -> None:
        """Draw the posters the cache lacks (every one with `force`; on several cores when there
        are several), and forget the others."""
        if not self.items:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        todo = [(poster, self.font) for poster in self.items.values() if force or not self.cached(poster).is_file()]
        if workers > 1 and len(todo) > 2:
            with fork_pool(min(workers, len(todo))) as pool:
                drawn = pool.map(_drawn, todo)
        else:
            drawn = [_drawn(job) for job in todo]
        for (poster, _), (data, warnings) in zip(todo, drawn):
            for path, line, message in warnings:
                problems.warning(path, line, message)
            cachepaths.write_bytes(self.cached(poster), data)
        self.drawn += len(todo)
        live = {self.cached(p).name for p in self.items.values()}
        for entry in os.scandir(self.cache_dir):  # posters of brands since changed or gone
            if entry.name not in live and not entry.name.endswith(".tmp"):
                os.unlink(entry.path)

    def output_files(self) -> dict[str, Path]:
        return {poster.rel: self.cached(poster) for poster in self.items.values()}


def plan(site, gallery: Gallery, problems: Problems) -> Posters:
    """What each brand's poster shows, its cache key and its URL; no font, no posters."""
    config = site.config
    folder = cachepaths.posters(config.root)
    if not site.brands:
        return Posters(None, folder)
    font = find_font(config, problems, cachepaths.font_faces(config.root))
    posters = Posters(font, folder)
    if font is None:
        return posters
    linker = site.linker
    pictures = Pictures(gallery)
    font_stamp = font.stamp
    for brand in site.brands.values():
        logo = pictures.fitting(brand, brand.logo, LOGO_SIZE)  # a content-hashed file: its name says what it holds
        text = PosterText(config.title, brand.name, brand.slogan, brand.owner,
                          tuple((r.figure, r.unit, r.label) for r in brand.showcase.results[:MAX_FIGURES]),
                          brand.color or DEFAULT_COLOR, linker.absolute(brand.url), logo.rel if logo else "")
        key = digest(repr((text, font_stamp, DRAW_VERSION, RESVG)).encode(), size=10)
        rel = f"{brand.url}poster.{key}.png"
        poster = Poster(brand.id, text, key, rel, linker.path(urls.asset(rel)))
        if logo is not None:
            poster.logo_path, poster.logo_kind = logo.source, "svg" if logo.mime == "image/svg+xml" else "raster"
            poster.where = (brand.path, brand.refs[brand.logo].line)
        posters.items[brand.id] = poster
    return posters




def _drawn(job: tuple[Poster, FontFile]) -> tuple[bytes, list[tuple[str, int, str]]]:
    """One poster as PNG bytes, and warnings (file, line, message) about its logo. Runs in workers."""
    poster, font = job
    warnings: list[tuple[str, int, str]] = []
    return png(draw(poster.text, font, _logo(poster, font, warnings))), warnings


# -- the logo ---------------------------------------------------------------------------------------

def _logo(poster: Poster, font: FontFile, warnings: list) -> Image.Image | None:
    from PIL import Image

    if poster.logo_path is None:
        return None
    path, line = poster.where
    try:
        if poster.logo_kind == "svg":
            if not RESVG:
                warnings.append((path, line, "没有安装 resvg-py，海报上不画 SVG 标志：请运行 pip install -r requirements.txt"))
                return None
            image = rasterise_svg(poster.logo_path.read_bytes(), LOGO_SIZE, font)
        else:
            with Image.open(poster.logo_path) as source:
                image = source.convert("RGBA")
    except (OSError, ValueError, ET.ParseError) as exc:
        warnings.append((path, line, f"品牌标志画不到海报上（{exc}），海报上没有标志：请把标志另存为 PNG 或重新导出 SVG"))
        return None
    image.thumbnail((LOGO_SIZE, LOGO_SIZE), Image.Resampling.LANCZOS)
    return image


def rasterise_svg(data: bytes, size: int, font: FontFile | None = None) -> Image.Image:
    """The SVG drawn `size` pixels on its longer side, with nothing from outside it (an <image> of
    a file, a <use> of another document, a stylesheet's @import) — only data: and #id references."""
    import resvg_py
    from PIL import Image

    root = ET.fromstring(data)
    for parent in list(root.iter()):
        for child in list(parent):
            href = next((v for k, v in child.attrib.items() if k == "href" or k.endswith("}href")), None)
            outside = href is not None and not href.strip().startswith(("#", "data:"))
            if outside or (child.tag.endswith("style") and "@import" in (child.text or "")):
                parent.remove(child)
    width, height = svg_size(data)
    side = {"width": size} if (width or 1) >= (height or 1) else {"height": size}
    fonts = [p for p in (font.path, font.bold_path) if p] if font else []
    drawn = resvg_py.svg_to_bytes(svg_string=ET.tostring(root, encoding="unicode"), skip_system_fonts=True,
                                  font_files=fonts, **side)
    return Image.open(io.BytesIO(bytes(drawn))).convert("RGBA")


# -- drawing ----------------------------------------------------------------------------------------

_CLOSING = set("，。、；：？！）》」』】〉”’,.;:?!)%…·")  # never at the start of a line
_OPENING = set("（《「『【〈“‘(")  # never at the end of one
_WORD = re.compile(r"[A-Za-z0-9.%+\-]+|\s+|.", re.S)


def wrap(text: str, font, width: int, max_lines: int, phrases: bool = False) -> list[str]:
    """Lines no wider than `width` (Latin words and numbers kept whole, no line starting with a
    closing mark or ending with an opening one); the last kept line ends with … if text is left.
    With `phrases`, text is broken only at spaces where it can be (a slogan: 红色铸魂 金色兴业)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        tokens = _WORD.findall(paragraph.strip())
        if phrases:
            tokens = [part for phrase in re.findall(r"\S+|\s+", paragraph.strip())
                      for part in ([phrase] if font.getlength(phrase) <= width else _WORD.findall(phrase))]
        for token in tokens:
            if font.getlength(line + token) <= width or not line.strip():
                line += token
                continue
            carry = ""
            if token[0] in _CLOSING:  # take characters down with it, until the new line may start so
                while len(line) > 1 and (not carry or carry[0] in _CLOSING):
                    line, carry = line[:-1], line[-1] + carry
            while len(line) > 1 and line[-1] in _OPENING:
                line, carry = line[:-1], line[-1] + carry
            lines.append(line.rstrip())
            line = (carry + token).lstrip()
        lines.append(line.rstrip())
    lines = [line for line in lines if line] or [""]
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last + "…"]
    return lines


class _Pen:
    """Text on the poster: the font at a size, bold drawn with a stroke when there is no bold face."""

    def __init__(self, canvas: ImageDraw.ImageDraw, font: FontFile):
        self.canvas, self.font = canvas, font

    def face(self, size: int, bold: bool = False):
        return self.font.load(size, bold)

    def text(self, xy, text: str, size: int, fill, bold: bool = False, anchor: str = "la") -> None:
        stroke = max(1, size // 28) if bold and not self.font.bold_path else 0
        self.canvas.text(xy, text, font=self.face(size, bold), fill=fill, anchor=anchor, stroke_width=stroke,
                         stroke_fill=fill)

    def lines(self, x: int, y: int, lines: list[str], size: int, fill, bold: bool = False, centre: bool = False,
              leading: float = 1.45) -> int:
        """Draw lines from top y; returns the y below them."""
        step = round(size * leading)
        for line in lines:
            self.text((x, y), line, size, fill, bold, "ma" if centre else "la")
            y += step
        return y


def draw(text: PosterText, font: FontFile, logo: Image.Image | None) -> Image.Image:
    from PIL import Image, ImageDraw

    band = colors.parse(colors.text_color(text.color))  # dark enough for white text on it
    accent = band
    inner = WIDTH - 2 * MARGIN
    centre = WIDTH // 2

    # the brand on its colour: site name, logo, name, slogan, owner
    y = 64
    body = [wrap(text.site, font.load(34), inner, 1)]
    name_lines = wrap(text.name, font.load(76, True), inner, 2, phrases=True)
    slogan_lines = wrap(text.slogan, font.load(42), inner, 3, phrases=True) if text.slogan else []
    top = y
    y += round(34 * 1.45) + 36
    logo_top = y
    if logo is not None:
        y += LOGO_SIZE + 64 + 40
    name_top = y
    y += round(76 * 1.3) * len(name_lines)
    slogan_top = y + 16
    y = slogan_top + round(42 * 1.5) * len(slogan_lines)
    owner_top = y + 8
    if text.owner:
        y = owner_top + round(30 * 1.5)
    band_bottom = y + 56
    # The canvas is as tall as the rest can take at most (cropped below to what it took): a fixed
    # 4,000 pixels made each poster drawn hold 17 MB, counted in the build's peak memory.
    rows = -(-len(text.figures) // 2)
    figures = 96 + rows * (FIGURE_MAX + 36) + 8 if text.figures else 0
    height = band_bottom + 56 + figures + 48 + QR_SIZE + 48 + 16
    image = Image.new("RGB", (WIDTH, height), PAPER)
    canvas = ImageDraw.Draw(image)
    pen = _Pen(canvas, font)
    canvas.rectangle((0, 0, WIDTH, band_bottom), fill=band)
    pen.lines(centre, top, body[0], 34, WHITE, centre=True)
    if logo is not None:
        disc = LOGO_SIZE + 64
        left = centre - disc // 2
        canvas.ellipse((left, logo_top, left + disc, logo_top + disc), fill=WHITE)
        image.paste(logo, (centre - logo.width // 2, logo_top + 32 + (LOGO_SIZE - logo.height) // 2), logo)
    pen.lines(centre, name_top, name_lines, 76, WHITE, bold=True, centre=True, leading=1.3)
    pen.lines(centre, slogan_top, slogan_lines, 42, WHITE, centre=True, leading=1.5)
    if text.owner:
        pen.lines(centre, owner_top, wrap(f"责任单位：{text.owner}", pen.face(30), inner, 1), 30, WHITE, centre=True)

    # 成效: large figures, two to a row
    y = band_bottom + 56
    if text.figures:
        canvas.rectangle((MARGIN, y + 8, MARGIN + 10, y + 52), fill=accent)
        pen.text((MARGIN + 28, y), "工作成效", 44, INK, bold=True)
        y += 96
        cell = (inner - 40) // 2
        for row in range(0, len(text.figures), 2):
            bottom = y
            for column, (number, unit, label) in enumerate(text.figures[row:row + 2]):
                x = MARGIN + column * (cell + 40)
                bottom = max(bottom, _figure(pen, canvas, x, y, cell, number, unit, label, accent))
            y = bottom + 36
        y += 8

    # the QR code of the brand page, and what to do with it
    canvas.line((MARGIN, y, WIDTH - MARGIN, y), fill=(227, 220, 210), width=2)
    y += 48
    code = qr_image(text.url, QR_SIZE)
    image.paste(code, (MARGIN, y))
    x = MARGIN + QR_SIZE + 40
    width = WIDTH - MARGIN - x
    ty = y + 40
    ty = pen.lines(x, ty, ["长按识别二维码"], 46, INK, bold=True)
    ty = pen.lines(x, ty + 4, wrap("查看品牌的全部内容", pen.face(34), width, 2), 34, SOFT)
    pen.lines(x, ty + 16, wrap(urlsplit(text.url).netloc, pen.face(30), width, 2), 30, SOFT)
    y += QR_SIZE + 48
    canvas.rectangle((0, y, WIDTH, y + 16), fill=band)
    assert y + 16 <= height, "the poster's canvas is too short"
    return image.crop((0, 0, WIDTH, y + 16))


FIGURE_MAX = 96 + 18 + 2 * round(32 * 1.45)  # the most a 成效 takes below its top (see _figure)


def _figure(pen: _Pen, canvas, x: int, y: int, width: int, number: str, unit: str, label: str, colour) -> int:
    """One 成效: the number large in the brand's colour (96 pixels at most), its unit, the label
    below (two lines of 32 at most). Returns its bottom."""
    size = 96
    while size > 48 and pen.face(size, True).getlength(number) + pen.face(40).getlength(" " + unit) > width:
        size -= 8
    left = x + 24
    baseline = y + size
    pen.text((left, baseline), number, size, colour, bold=True, anchor="ls")
    if unit:
        after = left + pen.face(size, True).getlength(number) + 10
        pen.text((after, baseline), unit, 40, colour, bold=True, anchor="ls")
    bottom = pen.lines(left, baseline + 18, wrap(label, pen.face(32), width - 24, 2), 32, SOFT) if label else baseline
    canvas.rectangle((x, y + 6, x + 6, bottom), fill=colour)
    return bottom


def qr_image(url: str, size: int) -> Image.Image:
    """The code of `url`, black on white with its quiet zone, at most `size` pixels, whole pixels a module."""
    from PIL import Image

    dark = qr.modules(url)
    padded = np.pad(dark, qr.BORDER)
    scale = max(1, size // padded.shape[0])
    pixels = np.where(padded, 0, 255).astype(np.uint8)
    code = Image.fromarray(pixels, "L").resize((padded.shape[1] * scale, padded.shape[0] * scale), Image.Resampling.NEAREST)
    framed = Image.new("RGB", (size, size), WHITE)
    framed.paste(code, ((size - code.width) // 2, (size - code.height) // 2))
    return framed


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
